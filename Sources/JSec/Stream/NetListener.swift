import Logging
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// A listening socket (TCP or Unix-domain) that hands out connected ``NetStream``s,
/// one at a time with ``accept(timeout:)`` or as an async sequence.
///
/// A TLS listener (``TLS/listen(host:port:backlog:reusePort:context:idleTimeout:eventLoopGroup:)``) runs each
/// handshake as soon as the connection arrives, so a slow or hostile peer never
/// holds up `accept`; only connections whose handshake succeeded are handed out.
public final class NetListener: AsyncSequence, Sendable {
    public typealias Element = NetStream

    let serverChannel: Channel
    let queue: HandoffQueue<NetStream>
    let log: ListenerLog
    private let unixPath: String?
    private let closed = Mutex(false)

    init(serverChannel: Channel, queue: HandoffQueue<NetStream>, log: ListenerLog, unixPath: String?) {
        self.serverChannel = serverChannel
        self.queue = queue
        self.log = log
        self.unixPath = unixPath
    }

    /// A listener dropped without ``close()`` closes itself: the socket (and a Unix socket's file) go away,
    /// connections not yet accepted are closed.
    deinit {
        if closed.withLock({ $0 }) { return }
        Self.stop(queue: queue, channel: serverChannel, unixPath: unixPath)
    }

    /// The bound address; with port 0 it carries the ephemeral port chosen by the system.
    public var localAddress: NetAddress? { NetAddress(serverChannel.localAddress) }
    /// The bound TCP port (nil for Unix sockets).
    public var port: Int? { localAddress?.port }

    /// Listens on TCP. Port 0 picks a free port (see ``port``); a port outside 0…65535 is a `JSecError.Category.usage` error.
    /// `idleTimeout`: an accepted connection on which nothing is received or sent for this long is closed
    /// (its pending read throws `JSecError.Category.timeout`); nil (the default) keeps idle connections.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.usage` when `port` is outside 0…65535;
    ///   - category `.configuration` when `backlog` is not positive or `idleTimeout` is not positive;
    ///   - category `.io` with code `.errno(…)` when the socket cannot be bound (`EADDRINUSE`, `EACCES`,
    ///     `EADDRNOTAVAIL`…), or with code `.addressResolution(…)` when `host` does not resolve.
    ///
    ///   `CancellationError` when the task is cancelled (the socket is closed).
    public static func listen(
        host: String = "127.0.0.1", port: Int, backlog: Int = 256, reusePort: Bool = false,
        idleTimeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetListener {
        try NetAddress.checkListenPort(port, what: "listen on \(host):\(port)")
        let target = NetAddress.ip(host: host, port: port).description
        return try await bind(
            group: eventLoopGroup, backlog: backlog, reusePort: reusePort, idleTimeout: idleTimeout, tls: nil, unixPath: nil,
            target: target
        ) { try await $0.bind(to: AddressLookup.resolve(host: host, port: port, while: "listen", target: target)) }
    }

    /// Listens on a Unix-domain socket; an existing socket file at `path` is replaced.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.configuration` when `backlog` is not positive or `idleTimeout` is not positive;
    ///   - category `.io` with code `.errno(…)` when the socket cannot be bound (`EACCES`, `ENOENT` when its
    ///     directory does not exist…); a path too long for a socket address is `.io` too.
    ///
    ///   `CancellationError` when the task is cancelled (the socket is closed).
    public static func listen(
        unixPath: String, backlog: Int = 256, idleTimeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetListener {
        try await bind(
            group: eventLoopGroup, backlog: backlog, reusePort: false, idleTimeout: idleTimeout, tls: nil, unixPath: unixPath,
            target: "unix:\(unixPath)"
        ) { $0.bind(unixDomainSocketPath: unixPath, cleanupExistingSocketFile: true) }
    }

    /// How long accepting pauses after the system refused to accept (out of descriptors: EMFILE, ENFILE; out of memory).
    static let acceptBackoff = TimeAmount.milliseconds(250)

    /// `backlog` bounds both the kernel's queue of connections and the listener's queue of connections ready
    /// for ``accept(timeout:)``; a connection arriving when the latter is full is closed at once.
    static func bind(
        group: any EventLoopGroup, backlog: Int, reusePort: Bool, idleTimeout: Duration?, tls: TLSContext?, unixPath: String?,
        target: String, _ bind: (ServerBootstrap) async throws -> EventLoopFuture<Channel>
    ) async throws -> NetListener {
        guard backlog > 0 else { throw JSecError(.configuration, "backlog must be > 0, got \(backlog)", code: .jsec(.invalidOption)) }
        if let idleTimeout, idleTimeout <= .zero {
            throw JSecError(.configuration, "idleTimeout must be positive (or nil), got \(idleTimeout)", code: .jsec(.invalidOption))
        }
        let idle = idleTimeout.map { $0.timeAmount }
        let queue = HandoffQueue<NetStream>(capacity: backlog, what: "accept")
        let log = ListenerLog(what: "listen on \(target)", logger: tls?.logger ?? JSecLog.logger)
        @Sendable func offer(_ stream: NetStream) {
            if !queue.push(stream) { stream.channel.close(promise: nil) }
        }
        let receive = StreamBridgeHandler.receiveBuffers(tls: tls != nil)
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Without it a failing accept (EMFILE when the process is out of descriptors) is retried at once,
            // forever: a busy loop. The handler pauses accepting; the log records the first failure of each episode.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler(pause: acceptBackoff) { log.acceptFailed($0) })
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // A TLS listener's connections get the TLS stream's receive buffers from the start (StreamBridgeHandler).
            .childChannelOption(.maxMessagesPerRead, value: receive.perRead)
            .childChannelOption(.recvAllocator, value: receive.allocator)
            .childChannelInitializer { channel in
                log.acceptSucceeded()
                return channel.eventLoop.makeCompletedFuture {
                    let bridge = StreamBridgeHandler(eventLoop: channel.eventLoop)
                    // Counts application bytes in either direction (after TLS); the bridge closes the connection when it fires.
                    if let idle { try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle)) }
                    if let tls {
                        let handler = try TLSHandler(context: tls, role: .server, serverName: nil)
                        // The bridge first: the TLS handler, added below it, links it to its loop's plaintext buffers.
                        try channel.pipeline.syncOperations.addHandler(bridge)
                        try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                        let stream = NetStream(channel: channel, bridge: bridge)
                        handler.whenHandshakeCompletes { result in
                            switch result {
                            case .success(let connection):
                                stream.setTLS(connection)
                                offer(stream)
                            case .failure(let error):
                                log.recordHandshakeFailure(JSecError.from(error, while: "TLS accept"))
                            }
                        }
                    } else {
                        try channel.pipeline.syncOperations.addHandler(bridge)
                        let stream = NetStream(channel: channel, bridge: bridge)
                        bridge.onActive = { offer(stream) }
                    }
                }
            }
        if reusePort {
            bootstrap = bootstrap.serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
        }
        do {
            let channel = try await bind(bootstrap).value(abandoned: { $0.close(promise: nil) })
            return NetListener(serverChannel: channel, queue: queue, log: log, unixPath: unixPath)
        } catch {
            throw JSecError.mapped(error, while: "listen", target: target)
        }
    }

    /// Waits for the next connection. Throws `JSecError.Category.closed` once the listener is closed,
    /// `JSecError.Category.timeout` after `timeout`, `JSecError.Category.usage` if another accept is pending,
    /// and `CancellationError` when the task is cancelled. After a timeout or a cancellation the listener is
    /// unchanged: the next connection goes to the next accept.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.closed` once ``close()`` was called (before or during the wait);
    ///   - category `.timeout` when `timeout` passes with no connection ready;
    ///   - category `.usage` with code `.jsec(.concurrentOperation)` when another accept is pending.
    ///
    ///   A connection whose TLS handshake failed is never handed out and throws nothing here: it is in
    ///   ``handshakeFailures``. `CancellationError` when the task is cancelled.
    public func accept(timeout: Duration? = nil) async throws -> NetStream {
        guard let stream = try await queue.pop(timeout: timeout) else {
            throw JSecError(.closed, "accept: the listener is closed", code: .jsec(.closed))
        }
        return stream
    }

    /// Handshake failures of a TLS listener since it started (peers that sent garbage, failed verification, timed out…).
    public var handshakeFailures: [JSecError] { log.handshakeFailures }

    /// Failures of the system's accept (out of descriptors…), one per episode: the listener pauses accepting
    /// for 250 ms at a time until accept succeeds again, and records the first failure of each such episode.
    public var acceptErrors: [JSecError] { log.acceptErrors }

    /// Stops listening. Connections already accepted stay open; those not yet accepted are closed. Idempotent.
    public func close() async {
        let first = closed.withLock { c in
            defer { c = true }
            return !c
        }
        guard first else { return }
        Self.stop(queue: queue, channel: nil, unixPath: nil)
        try? await serverChannel.close().get()
        if let unixPath { unlink(unixPath) }
    }

    private static func stop(queue: HandoffQueue<NetStream>, channel: Channel?, unixPath: String?) {
        queue.finish(nil)
        for s in queue.drain() { s.channel.close(promise: nil) }
        channel?.close(promise: nil)
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

/// What a listener records for diagnostics: handshake failures (the last 1000) and accept errors (one per episode).
final class ListenerLog: Sendable {
    private struct Entries {
        var handshakeFailures: [JSecError] = []
        var acceptErrors: [JSecError] = []
        var acceptFailing = false
    }
    private let entries = Mutex(Entries())
    private let what: String
    private let logger: Logger

    init(what: String, logger: Logger = JSecLog.silent) {
        self.what = what
        self.logger = logger
    }

    var handshakeFailures: [JSecError] { entries.withLock { $0.handshakeFailures } }
    var acceptErrors: [JSecError] { entries.withLock { $0.acceptErrors } }

    func recordHandshakeFailure(_ error: JSecError) {
        entries.withLock { e in
            e.handshakeFailures.append(error)
            if e.handshakeFailures.count > 1000 { e.handshakeFailures.removeFirst(e.handshakeFailures.count - 1000) }
        }
    }

    func acceptFailed(_ error: IOError) {
        let what = self.what
        let entry: JSecError? = entries.withLock { e in
            guard !e.acceptFailing else { return nil }
            e.acceptFailing = true
            let entry = JSecError(.io, "\(what): accept failed (\(error.description)); pausing accepts until it succeeds again", code: .errno(error.errnoCode))
            e.acceptErrors.append(entry)
            if e.acceptErrors.count > 1000 { e.acceptErrors.removeFirst(e.acceptErrors.count - 1000) }
            return entry
        }
        if let entry { logger.warning("\(entry.message)", metadata: ["jsec.errno": "\(error.errnoCode)"]) }  // once per episode
    }

    func acceptSucceeded() {
        let recovered = entries.withLock { e in
            defer { e.acceptFailing = false }
            return e.acceptFailing
        }
        if recovered { logger.notice("\(what): accepting again") }
    }
}
