import NIOCore

/// DTLS opened from a ``NetDatagramSocket``, as jsec does it: `net/connect … :datagram` then `dtls/client`,
/// `net/listen … :datagram` then `dtls/server`. The socket is handed over: from then on the DTLS connection (or
/// server) owns it, the socket's own calls are `JSecError.Category.usage` errors (code `.jsec(.socketHandedOver)`),
/// and datagrams it had received but not handed out are dropped (the DTLS handshake retransmits what it needs).
extension DTLS {
    /// Runs the DTLS client handshake on a connected socket (``NetDatagramSocket/connect(host:port:receiveQueueCapacity:)``).
    /// `serverName` (default: the host the socket connected to) is sent as SNI and checked against the certificate.
    /// A bound, unconnected socket is a `JSecError.Category.usage` error and stays the caller's. Once the handshake starts
    /// the socket belongs to the connection, even if the handshake fails (then it is closed).
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.configuration` when `options` are out of range or `context` is not a DTLS context;
    ///   - category `.usage` when the socket is only bound (not connected), or with code
    ///     `.jsec(.socketHandedOver)` when it was handed over already; category `.closed` when it is closed
    ///     (in these cases the socket stays the caller's);
    ///   - category `.verification`, `.handshake` or `.timeout` (code `.jsec(.handshakeTimeout)`) when the
    ///     handshake fails, with the codes of ``connect(host:port:serverName:context:session:options:eventLoopGroup:)``;
    ///   - category `.io` with code `.errno(…)` when the socket fails during the handshake.
    ///
    ///   `CancellationError` when the task is cancelled (before the hand-over the socket stays the caller's,
    ///   after it the association is closed).
    public static func upgrade(
        _ socket: NetDatagramSocket, serverName: String? = nil, context: TLSContext, session: TLSSession? = nil,
        options: DTLSOptions = DTLSOptions()
    ) async throws -> DTLSConnection {
        try Task.checkCancellation()
        try options.validate()
        try checkDatagram(context)
        try socket.checkUsable("DTLS upgrade")
        guard let peer = socket.channel.remoteAddress else {
            throw JSecError(.usage, "DTLS upgrade needs a connected UDP socket (NetDatagramSocket.connect); this one is only bound", code: .jsec(.invalidState))
        }
        let name = serverName ?? socket.connectedHost
        let channel = try socket.handOver(to: "the DTLS connection")
        do {
            try await channel.eventLoop.submit { try detachInbox(channel) }.get()
            let key = "dtls|\(socket.connectedHost ?? "\(peer)"):\(peer.port ?? 0)|\(name ?? "")"
            return try await install(
                on: channel, peer: peer, role: .client, serverName: name, context: context, session: session,
                options: options, cacheKey: key, ownsChannel: true)
        } catch is CancellationError {
            throw CancellationError()  // install closed the abandoned association
        } catch {
            channel.close(promise: nil)
            throw JSecError.from(error, while: "DTLS connect")
        }
    }

    /// ``upgrade(_:serverName:context:session:options:)`` with a configuration (a DTLS context for this one connection).
    ///
    /// - Throws: what ``TLSContext/init(_:transport:)`` throws (category `.configuration`), then what
    ///   ``upgrade(_:serverName:context:session:options:)`` throws.
    public static func upgrade(
        _ socket: NetDatagramSocket, serverName: String? = nil, configuration: TLSConfiguration = .client(),
        options: DTLSOptions = DTLSOptions()
    ) async throws -> DTLSConnection {
        try await upgrade(socket, serverName: serverName, context: TLSContext(configuration, transport: .datagram), options: options)
    }

    /// Serves DTLS on a bound socket (``NetDatagramSocket/bind(host:port:receiveQueueCapacity:)``): a ``DTLSServer``
    /// with one session per peer address and the cookie exchange, as ``listen(host:port:context:options:eventLoopGroup:)``
    /// gives. A connected socket is a `JSecError.Category.usage` error; a bad context or options a
    /// `JSecError.Category.configuration` one (the socket stays the caller's in both cases).
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.configuration` when `options` are out of range, or `context` is not a DTLS context or has no
    ///     certificate chain and private key;
    ///   - category `.usage` when the socket is connected, or with code `.jsec(.socketHandedOver)` when it was
    ///     handed over already; category `.closed` when it is closed (the socket stays the caller's);
    ///   - category `.closed` or `.io` when the socket fails while the server takes it over (it is closed then).
    ///
    ///   Failed handshakes of peers are not thrown: ``DTLSServer/handshakeFailures`` lists them.
    ///   `CancellationError` when the task was cancelled before the call.
    public static func serve(
        _ socket: NetDatagramSocket, context: TLSContext, options: DTLSOptions = DTLSOptions()
    ) async throws -> DTLSServer {
        try Task.checkCancellation()
        try options.validate()
        try validateServer(context)
        try socket.checkUsable("DTLS serve")
        guard socket.channel.remoteAddress == nil else {
            throw JSecError(
                .usage, "DTLS serve needs a bound, unconnected UDP socket (NetDatagramSocket.bind); this one is connected", code: .jsec(.invalidState))
        }
        let accepted = HandoffQueue<DTLSConnection>(capacity: options.maximumSessions, what: "DTLS accept")
        let stats = DTLSServerStats()
        let handler = UnsafeTransfer(try DTLSServerHandler(context: context, options: options, accepted: accepted, stats: stats))
        let channel = try socket.handOver(to: "the DTLS server")
        do {
            try await channel.eventLoop.submit {
                try detachInbox(channel)
                try channel.pipeline.syncOperations.addHandler(handler.value)
            }.get()
        } catch {
            channel.close(promise: nil)
            throw JSecError.from(error, while: "DTLS serve")
        }
        return DTLSServer(channel: channel, accepted: accepted, stats: stats)
    }

    /// ``serve(_:context:options:)`` with a configuration.
    ///
    /// - Throws: what ``TLSContext/init(_:transport:)`` throws (category `.configuration`), then what
    ///   ``serve(_:context:options:)`` throws.
    public static func serve(
        _ socket: NetDatagramSocket, configuration: TLSConfiguration, options: DTLSOptions = DTLSOptions()
    ) async throws -> DTLSServer {
        try await serve(socket, context: TLSContext(configuration, transport: .datagram), options: options)
    }

    private static func checkDatagram(_ context: TLSContext) throws {
        guard context.transport == .datagram else {
            throw JSecError(.configuration, "DTLS needs a datagram context: TLSContext(configuration, transport: .datagram)", code: .jsec(.wrongTransport))
        }
    }

    /// On the channel's loop: the socket's queue leaves the pipeline and DTLS's receive buffers replace the socket's.
    private static func detachInbox(_ channel: Channel) throws {
        guard channel.isActive else { throw JSecError(.closed, "DTLS: the UDP socket is closed", code: .jsec(.closed)) }
        try channel.syncOptions?.setOption(.recvAllocator, value: DTLSDriver.receiveAllocator)
        let pipeline = channel.pipeline.syncOperations
        pipeline.removeHandler(try pipeline.handler(type: DatagramInboxHandler.self), promise: nil)
    }
}
