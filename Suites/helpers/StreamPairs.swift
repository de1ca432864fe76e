import Foundation
import JSec

/// The transports every stream-contract test runs over.
package enum Transport: String, CaseIterable, Sendable, CustomStringConvertible {
    case tcp, unix
    case tlsTCP = "tls-tcp"
    case tlsUnix = "tls-unix"
    /// Plain TCP, then both sides upgrade (STARTTLS); the connecting side is the TLS client.
    case upgraded
    /// Plain TCP, then both sides upgrade; the accepting side is the TLS client.
    case upgradedReversed = "upgraded-reversed"

    package var description: String { rawValue }
    package var isTLS: Bool { self != .tcp && self != .unix }
}

/// A connected client/server pair of streams and the listener behind them.
package struct StreamPair: Sendable {
    package let client: NetStream
    package let server: NetStream
    let listener: NetListener

    package func close() async {
        await client.close()
        await server.close()
        await listener.close()
    }
}

/// Unique Unix socket paths under /tmp (short: sun_path is limited to 108 bytes).
package func uniqueSocketPath() -> String {
    "/tmp/jsec-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
}

/// Opens a connected pair over `transport`, with TLS from `pki` where the transport uses it.
package func makePair(
    _ transport: Transport, pki: TestPKI = .shared,
    server serverConfig: TLSConfiguration? = nil, client clientConfig: TLSConfiguration? = nil
) async throws -> StreamPair {
    let serverContext = try TLSContext(serverConfig ?? pki.serverConfiguration())
    let clientContext = try TLSContext(clientConfig ?? pki.clientConfiguration())
    switch transport {
    case .tcp:
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        async let s = l.accept(timeout: .seconds(10))
        let c = try await NetStream.connect(host: "127.0.0.1", port: l.port!)
        return StreamPair(client: c, server: try await s, listener: l)
    case .unix:
        let path = uniqueSocketPath()
        let l = try await NetListener.listen(unixPath: path)
        async let s = l.accept(timeout: .seconds(10))
        let c = try await NetStream.connect(unixPath: path)
        return StreamPair(client: c, server: try await s, listener: l)
    case .tlsTCP:
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: serverContext)
        async let s = l.accept(timeout: .seconds(10))
        let c = try await TLS.connect(host: "127.0.0.1", port: l.port!, context: clientContext)
        return StreamPair(client: c, server: try await s, listener: l)
    case .tlsUnix:
        let path = uniqueSocketPath()
        let l = try await TLS.listen(unixPath: path, context: serverContext)
        async let s = l.accept(timeout: .seconds(10))
        let c = try await TLS.connect(unixPath: path, serverName: "localhost", context: clientContext)
        return StreamPair(client: c, server: try await s, listener: l)
    case .upgraded, .upgradedReversed:
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        async let s = l.accept(timeout: .seconds(10))
        let c = try await NetStream.connect(host: "127.0.0.1", port: l.port!)
        let server = try await s
        // A short plaintext exchange first, as in SMTP/IMAP STARTTLS.
        try await c.write("STARTTLS\r\n")
        try checkEqual(try await server.chunk(10), Array("STARTTLS\r\n".utf8), "plaintext command")
        try await server.write("GO\r\n")
        try checkEqual(try await c.chunk(4), Array("GO\r\n".utf8), "plaintext reply")
        if transport == .upgraded {
            async let up: NetStream = TLS.upgrade(server, asServerWith: serverContext)
            try await TLS.upgrade(c, asClientOf: "localhost", context: clientContext)
            _ = try await up
        } else {
            // Roles reversed: the accepting side is the TLS client, the connecting side the TLS server.
            async let up: NetStream = TLS.upgrade(c, asServerWith: serverContext)
            try await TLS.upgrade(server, asClientOf: "localhost", context: clientContext)
            _ = try await up
        }
        return StreamPair(client: c, server: server, listener: l)
    }
}

/// Opens a pair over `transport`, runs `body`, and closes everything whatever happens.
package func withPair<T>(
    _ transport: Transport, pki: TestPKI = .shared,
    server: TLSConfiguration? = nil, client: TLSConfiguration? = nil,
    _ body: (StreamPair) async throws -> T
) async throws -> T {
    let pair = try await makePair(transport, pki: pki, server: server, client: client)
    do {
        let r = try await body(pair)
        await pair.close()
        return r
    } catch {
        await pair.close()
        throw error
    }
}
