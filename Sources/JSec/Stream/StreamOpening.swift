import NIOCore
import Synchronization

/// A client connection being opened: what `ClientBootstrap`'s initializer installs on each channel it makes — the
/// bridge, and for ``TLS`` connects the client's `TLSHandler` below it, so the handshake starts the moment the
/// connection does — kept so the stream is assembled after the connect without a hop to the event loop.
/// Happy Eyeballs may make several channels for one name; the one that connects is taken, the others are closed by NIO.
final class StreamOpening: Sendable {
    /// What one channel got.
    struct Installed: Sendable {
        let bridge: StreamBridgeHandler
        /// The TLS handshake's outcome (TLS connects only).
        let handshake: EventLoopFuture<TLSConnection>?
    }

    private struct State: @unchecked Sendable {
        // @unchecked Sendable: `spare` is a handler built by the opening task and handed, unused, to one channel's
        // loop (which owns it from then on); nothing else touches it.
        var spare: TLSHandler?
        var installed: [ObjectIdentifier: Installed] = [:]
    }
    private let state: Mutex<State>
    private let makeTLS: (@Sendable () throws -> TLSHandler)?

    /// A plaintext connect.
    init() {
        state = Mutex(State())
        makeTLS = nil
    }

    /// A TLS connect: `first` (built by the caller, so configuration errors are thrown as they are) goes to the first
    /// channel, `make` builds one for any further channel.
    init(tls first: TLSHandler, make: @escaping @Sendable () throws -> TLSHandler) {
        state = Mutex(State(spare: first))
        makeTLS = make
    }

    var isTLS: Bool { makeTLS != nil }

    /// On `channel`'s event loop, from the bootstrap's channel initializer.
    func install(on channel: any Channel) throws {
        let pipeline = channel.pipeline.syncOperations
        let bridge = StreamBridgeHandler(eventLoop: channel.eventLoop)
        try pipeline.addHandler(bridge)
        var handshake: EventLoopFuture<TLSConnection>?
        if let makeTLS {
            let spare = state.withLock { s in
                defer { s.spare = nil }
                return s.spare
            }
            let handler = try spare ?? makeTLS()
            try pipeline.addHandler(handler, position: .first)
            let promise = channel.eventLoop.makePromise(of: TLSConnection.self)
            handler.whenHandshakeCompletes { promise.completeWith($0) }
            handshake = promise.futureResult
        }
        let entry = Installed(bridge: bridge, handshake: handshake)
        state.withLock { $0.installed[ObjectIdentifier(channel)] = entry }
    }

    /// What `install` put on `channel` (nil if it never ran there).
    func take(_ channel: any Channel) -> Installed? {
        state.withLock { $0.installed.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
