import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket (TCP or Unix-domain) that hands out connected ``NetStream``s,
/// one at a time with ``accept(timeout:)`` or as an async sequence.
///
/// A TLS listener (``TLS/listen(host:port:backlog:reusePort:context:eventLoopGroup:)``) runs each
/// handshake as soon as the connection arrives, so a slow or hostile peer never
/// holds up `accept`; only connections whose handshake succeeded are handed out.
public final class NetListener: AsyncSequence, Sendable {
    public typealias Element = NetStream

    let serverChannel: Channel
    let queue: AcceptQueue
    private let unixPath: String?

    init(serverChannel: Channel, queue: AcceptQueue, unixPath: String?) {
        self.serverChannel = serverChannel
        self.queue = queue
        self.unixPath = unixPath
    }

    /// The bound address; with port 0 it carries the ephemeral port chosen by the system.
    public var localAddress: NetAddress? { NetAddress(serverChannel.localAddress) }
    /// The bound TCP port (nil for Unix sockets).
    public var port: Int? { localAddress?.port }

    /// Listens on TCP. Port 0 picks a free port (see ``port``).
    public static func listen(host: String = "127.0.0.1", port: Int, backlog: Int = 256, reusePort: Bool = false,
                              eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup) async throws -> NetListener {
        try await bind(group: eventLoopGroup, backlog: backlog, reusePort: reusePort, tls: nil, unixPath: nil,
                       target: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)") { $0.bind(host: host, port: port) }
    }

    /// Listens on a Unix-domain socket; an existing socket file at `path` is replaced.
    public static func listen(unixPath: String, backlog: Int = 256,
                              eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup) async throws -> NetListener {
        try await bind(group: eventLoopGroup, backlog: backlog, reusePort: false, tls: nil, unixPath: unixPath,
                       target: "unix:\(unixPath)") { $0.bind(unixDomainSocketPath: unixPath, cleanupExistingSocketFile: true) }
    }

    static func bind(group: any EventLoopGroup, backlog: Int, reusePort: Bool, tls: TLSContext?, unixPath: String?, target: String,
                     _ bind: (ServerBootstrap) -> EventLoopFuture<Channel>) async throws -> NetListener {
        guard backlog > 0 else { throw JSecError(.configuration, "backlog must be > 0, got \(backlog)") }
        let queue = AcceptQueue()
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let bridge = StreamBridgeHandler()
                    if let tls {
                        let handler = try TLSHandler(context: tls, role: .server, serverName: nil)
                        try channel.pipeline.syncOperations.addHandlers([handler, bridge])
                        let stream = NetStream(channel: channel, bridge: bridge)
                        handler.whenHandshakeCompletes { result in
                            switch result {
                            case .success(let connection):
                                stream.setTLS(connection)
                                queue.push(stream)
                            case .failure(let error):
                                queue.recordHandshakeFailure(JSecError.from(error, while: "TLS accept"))
                            }
                        }
                    } else {
                        try channel.pipeline.syncOperations.addHandler(bridge)
                        let stream = NetStream(channel: channel, bridge: bridge)
                        bridge.onActive = { queue.push(stream) }
                    }
                }
            }
        if reusePort { bootstrap = bootstrap.serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1) }
        do {
            let channel = try await bind(bootstrap).get()
            return NetListener(serverChannel: channel, queue: queue, unixPath: unixPath)
        } catch {
            throw JSecError.from(error, while: "listen", target: target)
        }
    }

    /// Waits for the next connection. Throws ``JSecError/Category/closed`` once the listener is closed,
    /// ``JSecError/Category/timeout`` after `timeout`, and ``JSecError/Category/usage`` if another accept is pending.
    public func accept(timeout: Duration? = nil) async throws -> NetStream {
        try await queue.pop(timeout: timeout)
    }

    /// Handshake failures of a TLS listener since it started (peers that sent garbage, failed verification, timed out…).
    public var handshakeFailures: [JSecError] { queue.failures }

    /// Stops listening. Connections already accepted stay open. Idempotent.
    public func close() async {
        queue.close()
        try? await serverChannel.close().get()
        if let unixPath { unlink(unixPath) }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let listener: NetListener
        public mutating func next() async throws -> NetStream? {
            do {
                return try await listener.accept()
            } catch let e as JSecError where e.category == .closed {
                return nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(listener: self) }
}

/// Connections ready to be accepted, and at most one waiting `accept`.
final class AcceptQueue: Sendable {
    private struct State {
        var ready: [NetStream] = []
        var waiter: CheckedContinuation<NetStream, any Error>?
        var waiterID = 0
        var closed = false
        var failures: [JSecError] = []
    }
    private let state = Mutex(State())

    func push(_ stream: NetStream) {
        let waiter: CheckedContinuation<NetStream, any Error>? = state.withLock { s in
            if s.closed { return nil }
            if let w = s.waiter { s.waiter = nil; return w }
            s.ready.append(stream)
            return nil
        }
        if let waiter { waiter.resume(returning: stream) }
        else if state.withLock({ $0.closed }) { stream.channel.close(promise: nil) }
    }

    func recordHandshakeFailure(_ error: JSecError) {
        state.withLock { s in
            s.failures.append(error)
            if s.failures.count > 1000 { s.failures.removeFirst(s.failures.count - 1000) }
        }
    }

    var failures: [JSecError] { state.withLock { $0.failures } }

    func pop(timeout: Duration?) async throws -> NetStream {
        let id: Int = state.withLock { s in s.waiterID += 1; return s.waiterID }
        let timeoutTask: Task<Void, Never>? = timeout.map { t in
            Task { [self] in
                try? await Task.sleep(for: t)
                if Task.isCancelled { return }
                let w: CheckedContinuation<NetStream, any Error>? = state.withLock { s in
                    guard s.waiterID == id, let w = s.waiter else { return nil }
                    s.waiter = nil
                    return w
                }
                w?.resume(throwing: JSecError(.timeout, "accept timed out after \(t)"))
            }
        }
        defer { timeoutTask?.cancel() }
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<NetStream, any Error>) in
            enum Action { case give(NetStream), fail(JSecError), wait }
            let action: Action = state.withLock { s in
                if !s.ready.isEmpty { return .give(s.ready.removeFirst()) }
                if s.closed { return .fail(JSecError(.closed, "accept: the listener is closed")) }
                if s.waiter != nil { return .fail(JSecError(.usage, "another accept is already pending on this listener")) }
                s.waiter = cont
                return .wait
            }
            switch action {
            case .give(let s): cont.resume(returning: s)
            case .fail(let e): cont.resume(throwing: e)
            case .wait: break
            }
        }
    }

    func close() {
        let (waiter, leftovers): (CheckedContinuation<NetStream, any Error>?, [NetStream]) = state.withLock { s in
            s.closed = true
            let w = s.waiter
            s.waiter = nil
            let r = s.ready
            s.ready = []
            return (w, r)
        }
        waiter?.resume(throwing: JSecError(.closed, "accept: the listener is closed"))
        for s in leftovers { s.channel.close(promise: nil) }
    }
}
