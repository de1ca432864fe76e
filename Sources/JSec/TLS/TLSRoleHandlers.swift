import NIOCore

/// The client side of TLS in a SwiftNIO pipeline (see ``TLSChannelHandler`` for what it does and fires):
///
/// ```swift
/// let context = try TLSContext(.client())
/// let bootstrap = ClientBootstrap(group: group).channelInitializer { channel in
///     channel.eventLoop.makeCompletedFuture {
///         try channel.pipeline.syncOperations.addHandler(TLSClientHandler(context: context, serverName: "example.com"))
///         // … the protocol's handlers above it
///     }
/// }
/// ```
public final class TLSClientHandler: TLSChannelHandler {
    /// - Parameters:
    ///   - context: a stream context (`TLSContext(configuration)`); a DTLS one is refused.
    ///   - serverName: sent as SNI and checked against the server's certificate (IP SANs for an IP literal). nil
    ///     only when the configuration skips the hostname check (`.noHostnameVerification` or `.none`).
    ///   - session: resumes an earlier session (``TLSConnection/session`` of a previous connection). The context's
    ///     ``TLSConfiguration/clientSessionCache`` is not consulted: the handler does not know the host and port.
    /// - Throws: a `JSecError` with category `.configuration` when the context or the name cannot be used.
    public init(context: TLSContext, serverName: String?, session: TLSSession? = nil) throws {
        try TLS.validateStream(context)
        super.init(tls: try TLSHandler(context: context, role: .client, serverName: serverName, session: session))
    }
}

/// The server side of TLS in a SwiftNIO pipeline (see ``TLSChannelHandler`` for what it does and fires); one per
/// accepted connection, all sharing one ``TLSContext``:
///
/// ```swift
/// let context = try TLSContext(.server(certificateChain: .file("cert.pem"), privateKey: .file("key.pem")))
/// let bootstrap = ServerBootstrap(group: group).childChannelInitializer { channel in
///     channel.eventLoop.makeCompletedFuture {
///         try channel.pipeline.syncOperations.addHandler(TLSServerHandler(context: context))
///         try channel.pipeline.syncOperations.configureHTTPServerPipeline()
///     }
/// }
/// ```
public final class TLSServerHandler: TLSChannelHandler {
    /// - Parameter context: a stream context with a certificate chain and key (or SNI certificates); a DTLS one
    ///   is refused.
    /// - Throws: a `JSecError` with category `.configuration` when the context cannot serve.
    public init(context: TLSContext) throws {
        try TLS.validateStream(context)
        super.init(tls: try TLSHandler(context: context, role: .server, serverName: nil))
    }
}
