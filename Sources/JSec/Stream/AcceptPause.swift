import NIOCore

/// Pauses a listening channel's accepting after the system refused an accept (out of descriptors: EMFILE,
/// ENFILE; out of buffers or memory), then resumes it. Without this a failed accept is retried at once, forever:
/// the listening socket stays readable, and NIO keeps it registered for reading after a failed accept.
///
/// NIO's own `AcceptBackoffHandler` delays the pipeline's next `read`, but after a failed accept NIO never asks
/// for one (its read is still pending), so with epoll the failing accept4 still ran ~19,000 times in 2 s here.
/// Turning `autoRead` off unregisters the socket from the event loop until the pause ends.
final class AcceptPauseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let pause: TimeAmount
    private let onError: (IOError) -> Void
    private var resume: Scheduled<Void>?

    init(pause: TimeAmount, onError: @escaping (IOError) -> Void) {
        self.pause = pause
        self.onError = onError
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let io = error as? IOError else {
            context.fireErrorCaught(error)
            return
        }
        onError(io)
        guard resume == nil, let options = context.channel.syncOptions else { return }
        try? options.setOption(.autoRead, value: false)
        let channel = context.channel
        resume = context.eventLoop.assumeIsolated().scheduleTask(in: pause) { [weak self] in
            self?.resume = nil
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }
}
