#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// A connected byte stream: TCP, Unix-domain, TLS over either, or a plaintext
/// stream upgraded to TLS. Every transport behaves the same (docs/architecture.md, "Invariants"):
///
/// - ``read(max:timeout:)`` returns 1…max bytes as soon as any are available, `nil` at end of stream.
/// - ``chunk(_:timeout:)`` waits for exactly n bytes; at end of stream it returns what arrived.
/// - ``write(_:timeout:)-(String,_)`` returns once every byte is *accepted*: sent down to the transport, or queued
///   for it in order within a bounded window (64 KiB of accepted bytes not yet written to the kernel, or one larger
///   write alone). It waits only while that window is full, so a peer that reads nothing stops the writer. A failure to send accepted bytes fails the
///   stream, and the next write or read reports it with its cause; ``shutdown()`` and ``close()`` send every
///   accepted byte before the FIN (and close_notify) — as `send(2)` and `close(2)` do for TCP.
/// - a timeout throws `JSecError.Category.timeout` and leaves the stream usable.
/// - ``shutdown()`` half-closes the write side (TCP FIN, TLS close_notify); ``close()`` is idempotent and never hangs.
/// - one read and one write may run at once; two concurrent reads are a usage error.
/// - a cancelled task's call throws `CancellationError` and leaves the stream as a timeout would.
/// - a stream dropped without ``close()`` closes itself.
///
/// TLS-specific information lives on ``tls``, which is `nil` for plaintext.
public final class NetStream: Sendable {
    let channel: Channel
    /// Shared with the event loop behind its own lock (reads and writes do not hop to the loop).
    let bridge: StreamBridgeHandler
    private let tlsState = Mutex<TLSConnection?>(nil)
    /// Numbers this stream's reads, so a cancellation ends the read it was meant for.
    private let readTokens = Atomic<UInt64>(0)
    /// Numbers this stream's waits for write room, so a cancellation ends the wait it was meant for.
    private let writeTokens = Atomic<UInt64>(0)

    init(channel: Channel, bridge: StreamBridgeHandler) {
        self.channel = channel
        self.bridge = bridge
    }

    /// A stream nobody references any more closes its connection (close_notify first on TLS), as ``close()`` would.
    deinit {
        channel.close(promise: nil)
    }

    /// The TLS facet: version, cipher, ALPN, peer certificates… `nil` for a plaintext stream.
    public var tls: TLSConnection? { tlsState.withLock { $0 } }

    func setTLS(_ connection: TLSConnection) { tlsState.withLock { $0 = connection } }

    public var localAddress: NetAddress? { NetAddress(channel.localAddress) }
    public var remoteAddress: NetAddress? { NetAddress(channel.remoteAddress) }

    // MARK: - Opening

    /// Connects over TCP. `host` may be a name or an IP literal; a port outside 1…65535 is a `JSecError.Category.usage` error.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.usage` when `port` is outside 1…65535;
    ///   - category `.io` with code `.errno(…)` when the connection fails (`ECONNREFUSED`, `ENETUNREACH`…), or
    ///     with code `.addressResolution(…)` when `host` does not resolve;
    ///   - category `.timeout` with code `.errno(ETIMEDOUT)` when `timeout` passes first.
    ///
    ///   `CancellationError` when the task is cancelled (the connection being opened is closed).
    public static func connect(
        host: String, port: Int, timeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetStream {
        try await connect(host: host, port: port, timeout: timeout, eventLoopGroup: eventLoopGroup, opening: StreamOpening()).stream
    }

    /// `connect(host:port:timeout:eventLoopGroup:)` with what `opening` installs (TLS.connect: its handler).
    static func connect(
        host: String, port: Int, timeout: Duration?, eventLoopGroup: any EventLoopGroup, opening: StreamOpening
    ) async throws -> (stream: NetStream, installed: StreamOpening.Installed) {
        try NetAddress.checkConnectPort(port, what: "connect to \(host):\(port)")
        return try await open(
            group: eventLoopGroup, timeout: timeout, target: NetAddress.ip(host: host, port: port).description,
            opening: opening
        ) { bootstrap in
            // An IP literal needs no resolver: NIO's Happy Eyeballs would send it to getaddrinfo on a Dispatch
            // queue and back, and run its state machine and timers, for the one address it already is.
            if let address = try? SocketAddress(ipAddress: host, port: port) { return bootstrap.connect(to: address) }
            return bootstrap.connect(host: host, port: port)
        }
    }

    /// Connects to a Unix-domain socket.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.io` with code `.errno(…)` when the connection fails (`ENOENT`: no socket at `unixPath`,
    ///     `ECONNREFUSED`: nobody listens on it, `EACCES`…);
    ///   - category `.timeout` with code `.errno(ETIMEDOUT)` when `timeout` passes first.
    ///
    ///   `CancellationError` when the task is cancelled (the connection being opened is closed).
    public static func connect(
        unixPath: String, timeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetStream {
        try await connect(unixPath: unixPath, timeout: timeout, eventLoopGroup: eventLoopGroup, opening: StreamOpening()).stream
    }

    /// `connect(unixPath:timeout:eventLoopGroup:)` with what `opening` installs (TLS.connect: its handler).
    static func connect(
        unixPath: String, timeout: Duration?, eventLoopGroup: any EventLoopGroup, opening: StreamOpening
    ) async throws -> (stream: NetStream, installed: StreamOpening.Installed) {
        try await open(group: eventLoopGroup, timeout: timeout, target: "unix:\(unixPath)", opening: opening) { bootstrap in
            bootstrap.connect(unixDomainSocketPath: unixPath)
        }
    }

    private static func open(
        group: any EventLoopGroup, timeout: Duration?, target: String, opening: StreamOpening,
        _ connect: (ClientBootstrap) -> EventLoopFuture<Channel>
    ) async throws -> (stream: NetStream, installed: StreamOpening.Installed) {
        // A TLS connection reads the TLS stream's receive buffers from the start (StreamBridgeHandler).
        let receive = StreamBridgeHandler.receiveBuffers(tls: opening.isTLS)
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.maxMessagesPerRead, value: receive.perRead)
            .channelOption(.recvAllocator, value: receive.allocator)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try opening.install(on: channel) }
            }
        if let timeout { bootstrap = bootstrap.connectTimeout(timeout.timeAmount) }
        let channel: Channel
        do {
            channel = try await connect(bootstrap).value(abandoned: { $0.close(promise: nil) })
        } catch {
            throw JSecError.mapped(error, while: "connect", target: target)
        }
        // The initializer ran on this channel before it connected: its bridge is there to take, no hop to the loop.
        guard let installed = opening.take(channel) else {
            channel.close(promise: nil)
            throw JSecError(.io, "connect: \(target): the connection came without its stream handler", code: .jsec(.transportError))
        }
        // From here the stream owns the channel (and closes it when dropped).
        return (NetStream(channel: channel, bridge: installed.bridge), installed)
    }

    // MARK: - Reading

    /// Returns 1…`max` bytes as soon as any are available, or `nil` at end of stream.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.usage` when `max` is not positive, or with code `.jsec(.concurrentOperation)` when another
    ///     read of this stream is pending;
    ///   - category `.timeout` when `timeout` passes with nothing received (the stream stays usable), or when the
    ///     listener's `idleTimeout` closed the connection;
    ///   - category `.closed` when ``close()`` was called, before or during the read;
    ///   - category `.io` with code `.errno(…)` when the connection failed (`ECONNRESET`…);
    ///   - on TLS: category `.protocol` when the peer broke the protocol (code `.jsec(.truncatedRecord)` for a
    ///     record cut short by the end of the connection), `.handshake` or `.verification` when a
    ///     renegotiation or key update failed, with code `.alertReceived(…)` when the peer sent an alert.
    ///
    ///   `CancellationError` when the task is cancelled (no byte is lost: the next read gets them).
    public func read(max: Int, timeout: Duration? = nil) async throws -> [UInt8]? {
        try await readBuffer(max: max, timeout: timeout).map { Array($0.readableBytesView) }
    }

    /// Waits for exactly `count` bytes. At end of stream it returns what arrived: fewer bytes, possibly none.
    ///
    /// - Throws: what ``read(max:timeout:)`` throws, and ``/JSecCrypto/JSecError`` with category `.usage` when
    ///   `count` is negative. After a timeout the bytes that arrived stay for the next read.
    public func chunk(_ count: Int, timeout: Duration? = nil) async throws -> [UInt8] {
        Array(try await chunkBuffer(count, timeout: timeout).readableBytesView)
    }

    /// ``read(max:timeout:)`` without a copy: a `ByteBuffer` sharing the received bytes' storage.
    ///
    /// - Throws: what ``read(max:timeout:)`` throws.
    public func readBuffer(max: Int, timeout: Duration? = nil) async throws -> ByteBuffer? {
        guard max > 0 else { throw JSecError(.usage, "read(max:) needs max > 0, got \(max)", code: .jsec(.invalidArgument)) }
        return try await readOnLoop(.upTo(max), timeout: timeout)
    }

    /// ``chunk(_:timeout:)`` without a copy when the bytes arrived together.
    ///
    /// - Throws: what ``chunk(_:timeout:)`` throws.
    public func chunkBuffer(_ count: Int, timeout: Duration? = nil) async throws -> ByteBuffer {
        guard count >= 0 else { throw JSecError(.usage, "chunk needs a count >= 0, got \(count)", code: .jsec(.invalidArgument)) }
        if count == 0 { return ByteBuffer() }
        return try await readOnLoop(.exactly(count), timeout: timeout) ?? ByteBuffer()
    }

    /// Reads until end of stream.
    ///
    /// - Throws: what ``read(max:timeout:)`` throws; `timeout` bounds each read, not the whole.
    public func readAll(timeout: Duration? = nil) async throws -> [UInt8] {
        var out: [UInt8] = []
        while let part = try await readBuffer(max: 65_536, timeout: timeout) { out += part.readableBytesView }
        return out
    }

    private func readOnLoop(_ kind: StreamBridgeHandler.ReadKind, timeout: Duration?) async throws -> ByteBuffer? {
        try Task.checkCancellation()
        let bridge = self.bridge
        // Bytes already here are taken on this thread: no hop to the event loop, no suspension.
        let result: StreamBridgeHandler.ReadResult
        if let now = bridge.tryRead(kind) {
            result = now
        } else {
            let amount = timeout?.timeAmount
            let token = readTokens.add(1, ordering: .relaxed).newValue
            result = await withTaskCancellationHandler {
                await withUnsafeContinuation { continuation in
                    bridge.read(kind, timeout: amount, token: token) { continuation.resume(returning: $0) }
                }
            } onCancel: {
                bridge.cancelRead(token)
            }
        }
        switch result {
        case .success(let bytes): return bytes
        case .failure(let error): throw JSecError.mapped(error, while: "read")
        }
    }

    // MARK: - Writing

    /// Writes every byte; returns once all are accepted (see the type's documentation): at once while the
    /// outbound window has room, else when the peer has taken enough earlier bytes. A timeout or a cancellation
    /// while waiting for room throws, and nothing of this write was sent.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.timeout` when `timeout` passes while the window is full (nothing of this write was sent;
    ///     the stream stays usable);
    ///   - category `.closed` when the stream is closed, or with code `.jsec(.outputShutDown)` after
    ///     ``shutdown()``;
    ///   - category `.io` with code `.errno(…)` when sending earlier accepted bytes failed (`EPIPE`,
    ///     `ECONNRESET`…): the stream has failed, and this write reports the cause;
    ///   - on TLS: the failure that ended the TLS connection (categories `.protocol`, `.handshake`,
    ///     `.verification`).
    ///
    ///   `CancellationError` when the task is cancelled while waiting for room (nothing of this write was sent).
    public func write(_ bytes: some Sequence<UInt8>, timeout: Duration? = nil) async throws {
        let buffer = channel.allocator.buffer(bytes: bytes)
        try await write(buffer: buffer, timeout: timeout)
    }

    /// Writes the UTF-8 bytes of `string`.
    ///
    /// - Throws: what writing bytes throws (the `some Sequence<UInt8>` form of `write`).
    public func write(_ string: String, timeout: Duration? = nil) async throws {
        try await write(buffer: channel.allocator.buffer(string: string), timeout: timeout)
    }

    /// Writes a `ByteBuffer` without copying it (NIO's buffer goes straight down the pipeline).
    ///
    /// - Throws: what writing bytes throws (the `some Sequence<UInt8>` form of `write`).
    public func write(_ buffer: ByteBuffer, timeout: Duration? = nil) async throws {
        try await write(buffer: buffer, timeout: timeout)
    }

    func write(buffer: ByteBuffer, timeout: Duration?) async throws {
        if buffer.readableBytes == 0 {
            if !channel.isActive { throw JSecError(.closed, "write: the stream is closed", code: .jsec(.closed)) }
            return
        }
        try Task.checkCancellation()
        let bridge = self.bridge
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            switch bridge.write(buffer) {
            case .accepted: return
            case .failed(let error): throw error
            case .full:
                // The window is full: wait for the peer to take earlier bytes, then offer the write again.
                let left = deadline.map { max(.zero, $0 - ContinuousClock.now).timeAmount }
                let token = writeTokens.add(1, ordering: .relaxed).newValue
                let room: Result<Void, any Error> = await withTaskCancellationHandler {
                    await withUnsafeContinuation { continuation in
                        bridge.waitForWindow(bytes: buffer.readableBytes, timeout: left, token: token) { continuation.resume(returning: $0) }
                    }
                } onCancel: {
                    bridge.cancelWrite(token)
                }
                try room.get()
            }
        }
    }

    // MARK: - Closing

    /// Half-closes the write side: TCP FIN (after TLS close_notify on a TLS stream).
    /// Reading goes on until the peer closes its side. Calling it twice is harmless.
    ///
    /// - Throws: ``/JSecCrypto/JSecError`` with category `.io` and code `.errno(…)` when the system refuses the half-close.
    ///   A stream already shut down or closed, or whose peer already tore the connection down (`ECONNRESET`,
    ///   `EPIPE`, `ENOTCONN`), is no error: there is no write side left to close. `CancellationError` when the
    ///   task was cancelled before the call.
    public func shutdown() async throws {
        try Task.checkCancellation()
        do {
            try await channel.close(mode: .output).value()
        } catch is CancellationError {
            throw CancellationError()
        } catch let e as ChannelError where e == .outputClosed || e == .alreadyClosed {
            return
        } catch let e as IOError where [ENOTCONN, ECONNRESET, EPIPE, EBADF].contains(e.errnoCode) {
            // The peer already tore the connection down (or NIO closed the socket on seeing the
            // reset while our shutdown was on its way: EBADF): there is no write side left to close.
            return
        } catch {
            throw JSecError.from(error, while: "shutdown")
        }
    }

    /// Closes the stream (sending close_notify first on TLS). Idempotent; never waits for the peer.
    /// A pending read ends with a `JSecError.Category.closed` error.
    ///
    /// It throws nothing: a close that fails (the connection was reset) leaves the stream closed all the same.
    public func close() async {
        // Ends a pending read and waiting writes at once; the close itself first sends what writes accepted.
        bridge.closeLocally()
        try? await channel.close().get()
    }
}
