import NIOCore

extension ChannelHandlerContext {
    /// Closes (`mode`) once `written` completes — the last write before the close reached the kernel —
    /// or after `limit`, whichever comes first. NIO's full close fails every write it still queues
    /// (BaseSocketChannel.close0), and so does a half-close once the peer's FIN has arrived (NIO turns
    /// it into a full close): waiting keeps what was written, as a TCP close keeps what the kernel took,
    /// while a peer that reads nothing cannot hold the socket open for longer than `limit`.
    /// Used by StreamBridgeHandler (plaintext writes) and TLSHandler (its close_notify).
    func close(mode: CloseMode, after written: EventLoopFuture<Void>, atMost limit: TimeAmount, promise: EventLoopPromise<Void>?) {
        var closed = false
        let closeNow = {
            guard !closed else { return }
            closed = true
            self.close(mode: mode, promise: promise)
        }
        let timer = eventLoop.assumeIsolated().scheduleTask(in: limit) { closeNow() }
        written.assumeIsolated().whenComplete { _ in
            timer.cancel()
            closeNow()
        }
    }
}
