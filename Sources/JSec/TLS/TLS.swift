import NIOCore
import NIOPosix

/// Opening TLS streams: connect, listen, and upgrade (STARTTLS). Once open, a TLS
/// stream is a ``NetStream`` like any other; only ``NetStream/tls`` tells them apart.
public enum TLS {
    /// Connects over TCP and runs the client handshake. `serverName` (default: `host`) is sent
    /// as SNI and checked against the certificate (IP SANs for IP literals).
    /// `session` resumes an earlier session (see ``TLSConnection/session``); with
    /// ``TLSConfiguration/clientSessionCache`` the context offers the last session for this host and port itself.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.configuration` when `context` is a DTLS (datagram) context;
    ///   - what ``NetStream/connect(host:port:timeout:eventLoopGroup:)`` throws (`.usage` for a bad port, `.io`
    ///     with code `.errno(…)` or `.addressResolution(…)`, `.timeout` with code `.errno(ETIMEDOUT)`);
    ///   - category `.verification` when the peer's certificate is rejected: code `.certificate(…)` (the X509
    ///     verification result: expired, unknown issuer, hostname mismatch…), `.jsec(.pinMismatch)`,
    ///     `.jsec(.rejectedByVerificationCallback)`, an OCSP code (`.jsec(.ocspRevoked)`…), or
    ///     `.alertReceived(…)` when the peer rejected our certificate;
    ///   - category `.handshake` when the handshake fails otherwise: code `.alertReceived(…)` (the peer's alert,
    ///     e.g. no shared version or cipher), `.openSSL(library:reason:)`, or `.jsec(.closedDuringHandshake)`;
    ///   - category `.timeout` with code `.jsec(.handshakeTimeout)` when the handshake outlasts
    ///     ``TLSConfiguration/handshakeTimeout``;
    ///   - category `.io` with code `.errno(…)` when the connection fails during the handshake.
    ///
    ///   `CancellationError` when the task is cancelled (the connection is closed).
    public static func connect(
        host: String, port: Int, serverName: String? = nil, context: TLSContext,
        session: TLSSession? = nil, timeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetStream {
        try validateStream(context)
        let opening = try clientOpening(serverName: serverName ?? host, context: context, session: session, cacheKey: "\(host):\(port)|\(serverName ?? host)")
        let (stream, installed) = try await NetStream.connect(host: host, port: port, timeout: timeout, eventLoopGroup: eventLoopGroup, opening: opening)
        return try await handshake(of: stream, installed)
    }

    /// Connects over TCP with a configuration (builds a ``TLSContext`` for this one connection).
    ///
    /// - Throws: what ``TLSContext/init(_:)`` throws for `configuration` (category `.configuration`), then what
    ///   ``connect(host:port:serverName:context:session:timeout:eventLoopGroup:)`` throws.
    public static func connect(
        host: String, port: Int, serverName: String? = nil,
        configuration: TLSConfiguration = .client(), timeout: Duration? = nil
    ) async throws -> NetStream {
        try await connect(host: host, port: port, serverName: serverName, context: TLSContext(configuration), timeout: timeout)
    }

    /// Connects to a Unix-domain socket and runs the client handshake. `serverName` is what the
    /// certificate is checked against (required unless verification skips the hostname).
    ///
    /// - Throws: what ``connect(host:port:serverName:context:session:timeout:eventLoopGroup:)`` throws, the
    ///   connection's failures being those of ``NetStream/connect(unixPath:timeout:eventLoopGroup:)``.
    public static func connect(
        unixPath: String, serverName: String?, context: TLSContext, session: TLSSession? = nil,
        timeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetStream {
        try validateStream(context)
        let opening = try clientOpening(serverName: serverName, context: context, session: session, cacheKey: "unix:\(unixPath)|\(serverName ?? "")")
        let (stream, installed) = try await NetStream.connect(unixPath: unixPath, timeout: timeout, eventLoopGroup: eventLoopGroup, opening: opening)
        return try await handshake(of: stream, installed)
    }

    /// A TLS connect's opening: its client handler is installed with the bridge, before the connection is made, so the
    /// handshake starts as the connection does (no hop to the event loop between the two).
    private static func clientOpening(serverName: String?, context: TLSContext, session: TLSSession?, cacheKey: String) throws -> StreamOpening {
        @Sendable func make() throws -> TLSHandler {
            try TLSHandler(
                context: context, role: .client, serverName: serverName, session: offered(session, context: context, cacheKey: cacheKey),
                sessionCacheKey: cacheKey)
        }
        return StreamOpening(tls: try make(), make: make)
    }

    /// Waits for the handshake of a connection `StreamOpening` opened with TLS; a failed or abandoned one is closed.
    private static func handshake(of stream: NetStream, _ installed: StreamOpening.Installed) async throws -> NetStream {
        guard let handshake = installed.handshake else { preconditionFailure("a TLS opening installs a TLS handler") }
        do {
            stream.setTLS(try await handshake.value())
            return stream
        } catch is CancellationError {
            stream.channel.close(promise: nil)
            throw CancellationError()
        } catch {
            stream.channel.close(promise: nil)
            throw JSecError.from(error, while: "TLS connect")
        }
    }

    /// The session a client offers: `session`, or with ``TLSConfiguration/clientSessionCache`` the last one for `cacheKey`.
    private static func offered(_ session: TLSSession?, context: TLSContext, cacheKey: String?) -> TLSSession? {
        if session == nil, context.configuration.clientSessionCache, let cacheKey {
            return context.sessionCache.withLock { $0[cacheKey] }
        }
        return session
    }

    /// Listens on TCP; ``NetListener/accept(timeout:)`` hands out streams whose server handshake succeeded.
    /// `idleTimeout`: a connection on which no application data is received or sent for this long (after its
    /// handshake, which ``TLSConfiguration/handshakeTimeout`` bounds) is closed, and its pending read throws
    /// `JSecError.Category.timeout`. nil (the default) keeps idle connections open.
    ///
    /// - Throws: ``/JSecCrypto/JSecError`` with category `.configuration` when `context` has no certificate chain and
    ///   private key (nor SNI certificates) or is a DTLS context, then what
    ///   ``NetListener/listen(host:port:backlog:reusePort:idleTimeout:eventLoopGroup:)`` throws (`.usage` for a
    ///   bad port, `.configuration`, `.io` with code `.errno(EADDRINUSE)`…). Handshake failures of accepted
    ///   connections are not thrown: ``NetListener/handshakeFailures`` lists them.
    public static func listen(
        host: String = "127.0.0.1", port: Int, backlog: Int = 256, reusePort: Bool = false,
        context: TLSContext, idleTimeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetListener {
        try validateServer(context)
        try NetAddress.checkListenPort(port, what: "listen on \(host):\(port)")
        let target = NetAddress.ip(host: host, port: port).description
        return try await NetListener.bind(
            group: eventLoopGroup, backlog: backlog, reusePort: reusePort, idleTimeout: idleTimeout,
            tls: context, unixPath: nil,
            target: target
        ) { try await $0.bind(to: AddressLookup.resolve(host: host, port: port, while: "listen", target: target)) }
    }

    /// Listens on a Unix-domain socket with TLS.
    ///
    /// - Throws: what ``listen(host:port:backlog:reusePort:context:idleTimeout:eventLoopGroup:)`` throws for
    ///   `context`, then what ``NetListener/listen(unixPath:backlog:idleTimeout:eventLoopGroup:)`` throws.
    public static func listen(
        unixPath: String, backlog: Int = 256, context: TLSContext, idleTimeout: Duration? = nil,
        eventLoopGroup: any EventLoopGroup = JSecRuntime.eventLoopGroup
    ) async throws -> NetListener {
        try validateServer(context)
        return try await NetListener.bind(
            group: eventLoopGroup, backlog: backlog, reusePort: false, idleTimeout: idleTimeout,
            tls: context, unixPath: unixPath,
            target: "unix:\(unixPath)"
        ) {
            $0.bind(unixDomainSocketPath: unixPath, cleanupExistingSocketFile: true)
        }
    }

    /// Upgrades an open plaintext stream to TLS as the client (STARTTLS). Bytes already received
    /// and not yet read are handed to TLS, so nothing is lost or duplicated. Returns the same
    /// stream object, now with ``NetStream/tls`` set.
    ///
    /// - Throws: ``/JSecCrypto/JSecError``:
    ///   - category `.usage` when the stream is a TLS stream already or a read is pending on it (the plaintext
    ///     stream stays usable);
    ///   - category `.configuration` when `context` is a DTLS (datagram) context;
    ///   - category `.closed` when the stream is closed;
    ///   - category `.handshake` when the peer closed the connection before the upgrade;
    ///   - category `.verification` when the peer's certificate is rejected: code `.certificate(…)` (the X509
    ///     verification result: expired, unknown issuer, hostname mismatch…), `.jsec(.pinMismatch)`,
    ///     `.jsec(.rejectedByVerificationCallback)`, an OCSP code (`.jsec(.ocspRevoked)`…), or
    ///     `.alertReceived(…)` when the peer rejected our certificate;
    ///   - category `.handshake` when the handshake fails otherwise: code `.alertReceived(…)` (the peer's alert,
    ///     e.g. no shared version or cipher), `.openSSL(library:reason:)`, or `.jsec(.closedDuringHandshake)`;
    ///   - category `.timeout` with code `.jsec(.handshakeTimeout)` when the handshake outlasts
    ///     ``TLSConfiguration/handshakeTimeout``;
    ///   - category `.io` with code `.errno(…)` when the connection fails during the handshake.
    ///
    ///   Every failure but `.usage` closes the connection. `CancellationError` when the task is cancelled before
    ///   the handshake starts (the plaintext stream is unchanged) or during it (the connection is closed).
    @discardableResult
    public static func upgrade(
        _ stream: NetStream, asClientOf serverName: String?, context: TLSContext,
        session: TLSSession? = nil
    ) async throws -> NetStream {
        let key = stream.remoteAddress.map { "\($0)|\(serverName ?? "")" }
        return try await install(on: stream, role: .client, serverName: serverName, context: context, session: session, cacheKey: key)
    }

    /// Upgrades an open plaintext stream to TLS as the server (STARTTLS, or accepting TLS on a
    /// plain listener's connection). Returns the same stream object.
    ///
    /// - Throws: what ``upgrade(_:asClientOf:context:session:)`` throws, and category `.configuration` when
    ///   `context` has no certificate chain and private key.
    @discardableResult
    public static func upgrade(_ stream: NetStream, asServerWith context: TLSContext) async throws -> NetStream {
        try validateServer(context)
        return try await install(on: stream, role: .server, serverName: nil, context: context, session: nil, cacheKey: nil)
    }

    private static func validateServer(_ context: TLSContext) throws {
        try validateStream(context)
        let c = context.configuration
        guard c.certificateChain != nil || !c.sniCertificates.isEmpty else {
            throw JSecError(.configuration, "a TLS server needs a certificate chain and private key", code: .jsec(.missingOption))
        }
    }

    /// A DTLS (datagram) context cannot secure a stream (nor a ``TLSChannelHandler``).
    static func validateStream(_ context: TLSContext) throws {
        guard context.transport == .stream else {
            throw JSecError(
                .configuration, "a DTLS (datagram) context cannot secure a TLS stream: build it with TLSContext(configuration)", code: .jsec(.wrongTransport))
        }
    }

    private static func install(
        on stream: NetStream, role: TLSEngine.Role, serverName: String?, context: TLSContext,
        session: TLSSession?, cacheKey: String?
    ) async throws -> NetStream {
        if stream.tls != nil { throw JSecError(.usage, "the stream is already a TLS stream", code: .jsec(.invalidState)) }
        try validateStream(context)
        try Task.checkCancellation()  // a cancelled task leaves the plaintext stream as it was
        let channel = stream.channel
        let bridge = stream.bridge
        // Build the engine here (not on the loop) so configuration errors surface as they are.
        let handler = try TLSHandler(
            context: context, role: role, serverName: serverName, session: role == .client ? offered(session, context: context, cacheKey: cacheKey) : session,
            sessionCacheKey: role == .client ? cacheKey : nil)
        let handlerBox = UnsafeTransfer(handler)
        let connection: TLSConnection
        do {
            connection = try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<TLSConnection> in
                let loop = channel.eventLoop
                let handler = handlerBox.value
                let b = bridge
                if b.hasPendingRead {
                    return loop.makeFailedFuture(JSecError(.usage, "cannot upgrade to TLS while a read is pending", code: .jsec(.invalidState)))
                }
                if b.closedLocally || !channel.isActive {
                    return loop.makeFailedFuture(JSecError(.closed, "cannot upgrade a closed stream to TLS", code: .jsec(.closed)))
                }
                if b.inputClosed {
                    return loop.makeFailedFuture(
                        JSecError(.handshake, "the peer closed the connection before the TLS upgrade", code: .jsec(.closedDuringHandshake)))
                }
                // Plaintext the stream accepted before the upgrade goes out before the TLS handler sits below it.
                b.sendQueued()
                let early = b.takeBuffered()
                do {
                    try StreamBridgeHandler.useTLSReceiveBuffers(channel)
                    try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                } catch {
                    return loop.makeFailedFuture(error)
                }
                if let early { handler.receiveEarly(early) }
                let promise = loop.makePromise(of: TLSConnection.self)
                handler.whenHandshakeCompletes { promise.completeWith($0) }
                return promise.futureResult
            }.value()
        } catch is CancellationError {
            // The handshake was abandoned half-way: nothing usable is left, as after a handshake timeout.
            channel.close(promise: nil)
            throw CancellationError()
        } catch {
            let e = JSecError.from(error, while: "TLS \(role == .client ? "connect" : "accept")")
            // A misuse (e.g. a read still pending) leaves the plaintext stream as it was;
            // a failed handshake leaves nothing usable, so the connection is closed.
            if e.category != .usage { channel.close(promise: nil) }
            throw e
        }
        stream.setTLS(connection)
        return stream
    }
}

/// Moves a non-Sendable value to the event loop that will own it from then on.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    // @unchecked Sendable: used only to hand a freshly built handler to its channel's
    // event loop; the creating task never touches it again after the hand-off.
    let value: Value
    init(_ value: Value) { self.value = value }
}
