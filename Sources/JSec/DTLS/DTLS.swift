import NIOCore
import NIOPosix

/// DTLS 1.2 over UDP: connect, listen, and upgrade an existing UDP channel. Configured like TLS
/// (a ``TLSContext`` built with `transport: .datagram` from a ``TLSConfiguration``), plus
/// datagram settings in ``DTLSOptions``. See docs/dtls.md.
public enum DTLS {
    /// A DTLS context for `configuration` (shorthand for `TLSContext(configuration, transport: .datagram)`).
    public static func context(_ configuration: TLSConfiguration) throws -> TLSContext {
        try TLSContext(configuration, transport: .datagram)
    }

    /// Opens a UDP socket connected to `host`:`port` and runs the client handshake. `serverName`
    /// (default: `host`) is sent as SNI and checked against the certificate (IP SANs for IP literals);
    /// `session` resumes an earlier session (with ``TLSConfiguration/clientSessionCache`` the context does it itself).
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.configuration` when `options` are out of range or `context` is not a DTLS context
    ///     (``TLSContext/init(_:transport:)`` with `.datagram`);
    ///   - category `.usage` when `port` is outside 1…65535;
    ///   - category `.io` with code `.addressResolution(…)` when `host` does not resolve, or `.errno(…)` when the
    ///     socket cannot be opened or the peer's host refuses the datagrams (`ECONNREFUSED`: nothing listens
    ///     there);
    ///   - category `.verification` when a certificate is rejected (code `.certificate(…)`, `.jsec(.pinMismatch)`,
    ///     `.alertReceived(…)`…, as for ``TLS/connect(host:port:serverName:context:session:timeout:eventLoopGroup:)``);
    ///   - category `.handshake` when the handshake fails otherwise (code `.alertReceived(…)`,
    ///     `.openSSL(library:reason:)`);
    ///   - category `.timeout` with code `.jsec(.handshakeTimeout)` when the handshake outlasts
    ///     ``TLSConfiguration/handshakeTimeout``;
    ///
    ///   `CancellationError` when the task is cancelled (the association is closed).
    public static func connect(
        host: String, port: Int, serverName: String? = nil, context: TLSContext,
        session: TLSSession? = nil, options: DTLSOptions = DTLSOptions(),
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> DTLSConnection {
        try options.validate()
        try NetAddress.checkConnectPort(port, what: "DTLS connect to \(host):\(port)")
        let address = try await AddressLookup.resolve(host: host, port: port, while: "DTLS connect", target: "\(host):\(port)")
        let channel: Channel
        do {
            channel = try await DatagramOpen.open(
                DatagramBootstrap(group: eventLoopGroup).channelOption(.recvAllocator, value: DTLSDriver.receiveAllocator)
            ) { $0.connect(to: address) }
        } catch {
            throw JSecError.mapped(error, while: "DTLS connect", target: "\(host):\(port)")
        }
        let name = serverName ?? host
        let key = "dtls|\(host):\(port)|\(name)"
        do {
            return try await install(
                on: channel, peer: address, role: .client, serverName: name, context: context,
                session: session, options: options, cacheKey: key, ownsChannel: true)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Connects with a configuration (builds a DTLS context for this one connection).
    ///
    /// - Throws: what ``TLSContext/init(_:transport:)`` throws (category `.configuration`), then what
    ///   ``connect(host:port:serverName:context:session:options:eventLoopGroup:)`` throws.
    public static func connect(
        host: String, port: Int, serverName: String? = nil, configuration: TLSConfiguration = .client(),
        options: DTLSOptions = DTLSOptions()
    ) async throws -> DTLSConnection {
        try await connect(
            host: host, port: port, serverName: serverName, context: TLSContext(configuration, transport: .datagram),
            options: options)
    }

    /// Binds a UDP socket on `host`:`port` (port 0 picks one; `::1`/`::` for IPv6) and serves DTLS on it.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.configuration` when `options` are out of range, or `context` is not a DTLS context or has no
    ///     certificate chain and private key;
    ///   - category `.usage` when `port` is outside 0…65535;
    ///   - category `.io` with code `.errno(…)` when the socket cannot be bound (`EADDRINUSE`: no
    ///     `SO_REUSEADDR` for UDP, a busy port is an error; `EACCES`…), or `.addressResolution(…)`.
    ///
    ///   Failed handshakes of peers are not thrown: ``DTLSServer/handshakeFailures`` lists them. `CancellationError` when the task
    ///   is cancelled.
    public static func listen(
        host: String = "127.0.0.1", port: Int, context: TLSContext, options: DTLSOptions = DTLSOptions(),
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> DTLSServer {
        try options.validate()
        try validateServer(context)
        try NetAddress.checkListenPort(port, what: "DTLS listen on \(host):\(port)")
        let accepted = HandoffQueue<DTLSConnection>(capacity: options.maximumSessions, what: "DTLS accept")
        let stats = DTLSServerStats()
        // Built here so a configuration error surfaces as it is.
        let handler = UnsafeTransfer(try DTLSServerHandler(context: context, options: options, accepted: accepted, stats: stats))
        do {
            let address = try await AddressLookup.resolve(host: host, port: port, while: "DTLS listen", target: "\(host):\(port)")
            // No SO_REUSEADDR: Linux honours it for UDP, so a second server on a port in use would bind too
            // and the two would split the datagrams. A busy port is an error (EADDRINUSE) instead.
            let channel = try await DatagramOpen.open(
                DatagramBootstrap(group: eventLoopGroup).channelOption(.recvAllocator, value: DTLSDriver.receiveAllocator),
                initializer: { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler.value) }
                }
            ) { $0.bind(to: address) }
            return DTLSServer(channel: channel, accepted: accepted, stats: stats)
        } catch {
            throw JSecError.mapped(error, while: "DTLS listen", target: "\(host):\(port)")
        }
    }

    /// Runs a DTLS client handshake on an existing UDP channel (a `DatagramChannel`, connected or not) with `peer`
    /// (default: the channel's connected address). Datagrams from other addresses keep flowing to the channel's
    /// other handlers. The returned connection owns the channel: closing it closes the channel.
    /// Not public: a program opens DTLS from a ``NetDatagramSocket``, or puts a ``DTLSClientHandler`` in a pipeline of its
    /// own; suites and tests use this form for channels they build themselves.
    package static func upgrade(
        _ channel: Channel, peer: SocketAddress? = nil, asClientOf serverName: String?,
        context: TLSContext, session: TLSSession? = nil,
        options: DTLSOptions = DTLSOptions()
    ) async throws -> DTLSConnection {
        try options.validate()
        let target = try peerAddress(peer, channel)
        return try await install(
            on: channel, peer: target, role: .client, serverName: serverName, context: context,
            session: session, options: options, cacheKey: "dtls|\(target)|\(serverName ?? "")", ownsChannel: true)
    }

    /// Runs a DTLS server handshake on an existing UDP channel with one `peer` (default: the connected address).
    /// No cookie exchange: the channel already names its peer. For many peers on one socket use ``listen(host:port:context:options:eventLoopGroup:)``.
    package static func upgrade(
        _ channel: Channel, peer: SocketAddress? = nil, asServerWith context: TLSContext,
        options: DTLSOptions = DTLSOptions()
    ) async throws -> DTLSConnection {
        try options.validate()
        try validateServer(context)
        let target = try peerAddress(peer, channel)
        return try await install(
            on: channel, peer: target, role: .server, serverName: nil, context: context,
            session: nil, options: options, cacheKey: nil, ownsChannel: true)
    }

    private static func peerAddress(_ peer: SocketAddress?, _ channel: Channel) throws -> SocketAddress {
        guard let target = peer ?? channel.remoteAddress else {
            throw JSecError(.usage, "DTLS upgrade needs the peer's address: pass peer:, or connect the UDP channel first", code: .jsec(.invalidArgument))
        }
        return target
    }

    static func validateServer(_ context: TLSContext) throws {
        guard context.transport == .datagram else {
            throw JSecError(.configuration, "DTLS needs a datagram context: TLSContext(configuration, transport: .datagram)", code: .jsec(.wrongTransport))
        }
        let c = context.configuration
        guard c.certificateChain != nil || !c.sniCertificates.isEmpty else {
            throw JSecError(.configuration, "a DTLS server needs a certificate chain and private key", code: .jsec(.missingOption))
        }
    }

    static func install(
        on channel: Channel, peer: SocketAddress, role: TLSEngine.Role, serverName: String?,
        context: TLSContext, session: TLSSession?, options: DTLSOptions, cacheKey: String?,
        ownsChannel: Bool
    ) async throws -> DTLSConnection {
        var offered = session
        if offered == nil, role == .client, context.configuration.clientSessionCache, let cacheKey {
            offered = context.sessionCache.withLock { $0[cacheKey] }
        }
        let tag = DTLSEngineTag(cookies: nil, initialTimeout: options.initialRetransmissionTimeout)
        // Built here (not on the loop) so configuration errors surface as they are.
        let engine = UnsafeTransfer(
            try DTLSDriver.makeEngine(
                context: context, role: role, serverName: serverName, session: offered,
                options: options, tag: tag))
        let tagBox = UnsafeTransfer(tag)
        let key = role == .client ? cacheKey : nil
        do {
            return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<DTLSConnection> in
                let loop = channel.eventLoop
                guard channel.isActive else { return loop.makeFailedFuture(JSecError(.closed, "DTLS: the UDP channel is closed", code: .jsec(.closed))) }
                let driver = DTLSDriver(
                    engine: engine.value, tag: tagBox.value, peer: peer, localAddress: channel.localAddress,
                    options: options, eventLoop: loop, allocator: channel.allocator, sessionCacheKey: key)
                if ownsChannel { driver.ownedChannel = channel }
                do {
                    try channel.syncOptions?.setOption(.recvAllocator, value: DTLSDriver.receiveAllocator)
                } catch {
                    return loop.makeFailedFuture(error)
                }
                let promise = loop.makePromise(of: DTLSConnection.self)
                driver.whenHandshakeCompletes { promise.completeWith($0.mapError { $0 as any Error }) }
                do {
                    try channel.pipeline.syncOperations.addHandler(DTLSPeerHandler(driver: driver), position: .first)
                } catch {
                    return loop.makeFailedFuture(error)
                }
                return promise.futureResult
            }.value()  // a connection completed after a cancellation is dropped, and closes itself
        } catch is CancellationError {
            // The handshake was abandoned half-way: the association ends (a client's socket closes with it).
            channel.eventLoop.execute {
                if let h = try? channel.pipeline.syncOperations.handler(type: DTLSPeerHandler.self) {
                    h.driver.fail(JSecError(.closed, "DTLS handshake cancelled", code: .jsec(.cancelled)))
                } else if ownsChannel {
                    channel.close(promise: nil)
                }
            }
            throw CancellationError()
        } catch {
            throw JSecError.from(error, while: "DTLS \(role == .client ? "connect" : "accept")")
        }
    }
}
