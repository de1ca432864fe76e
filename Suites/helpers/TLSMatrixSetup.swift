import Assay
import Foundation
import JSec

/// The test PKI of one key type plus the extra leaves the matrix needs, built once per worker
/// process and per key type (RSA key generation is far too slow to repeat per case): a fixture.
package final class MatrixPKI: Sendable {
    package let pki: TestPKI
    /// A leaf for the SNI name `api.example.test` from the same root.
    package let sniLeaf: CertificateAndKey

    static let perKeyType = KeyedFixture<String, MatrixPKI>("matrix PKI") { name in try MatrixPKI(keyType: KeyType(name: name)) }

    init(keyType: KeyType) throws {
        pki = try TestPKI(keyType: keyType)
        sniLeaf = try pki.root.issue(
            CertificateRequest(commonName: "api.example.test", dnsNames: ["api.example.test"], usage: .server),
            keyType: keyType)
    }

    /// The worker's PKI for a `key-type` value (`rsa2048`, `p256`, `ed25519`).
    package static func named(_ name: String) async throws -> MatrixPKI { try await perKeyType.value(for: name) }
}

/// One combination of `Matrices/tls-main.json`: what it asks for and the configurations that ask for it.
package struct TLSMatrixCase: Sendable {
    package let version: TLSVersion
    package let transport: Transport
    package let keyName: String
    package let cipherGroup: String
    package let chunk: Int
    package let pki: MatrixPKI

    package init(_ ctx: TestContext) async throws {
        version = try ctx.tlsVersion()
        transport = try ctx.transport()
        keyName = try ctx.string("key-type")
        cipherGroup = try ctx.string("cipher")
        chunk = try ctx.int("chunk-size")
        pki = try await MatrixPKI.named(keyName)
    }

    /// The one cipher (1.2) or suite (1.3) both sides are restricted to, so the negotiated name is exact.
    package var expectedCipher: String {
        let auth = keyName == "rsa2048" ? "RSA" : "ECDSA"  // Ed25519 signs with the ECDSA suites in TLS 1.2 (RFC 8422)
        switch (version, cipherGroup) {
        case (.tls1_2, "aes-gcm"): return "ECDHE-\(auth)-AES128-GCM-SHA256"
        case (.tls1_2, _): return "ECDHE-\(auth)-CHACHA20-POLY1305"
        case (_, "aes-gcm"): return "TLS_AES_256_GCM_SHA384"
        default: return "TLS_CHACHA20_POLY1305_SHA256"
        }
    }

    package var expectedCipherBits: Int { expectedCipher.contains("AES128") ? 128 : 256 }

    /// `Certificate.publicKeyAlgorithm` of the server's key.
    package var expectedKeyAlgorithm: String {
        switch keyName {
        case "rsa2048": return "RSA";
        case "ed25519": return "ED25519";
        default: return "EC"
        }
    }

    /// Pins the version and the cipher of the combination.
    package func restrict(_ c: inout TLSConfiguration) {
        c.minimumVersion = version
        c.maximumVersion = version
        if version == .tls1_2 { c.cipherList = expectedCipher } else { c.cipherSuites = expectedCipher }
    }

    package func serverConfiguration(_ identity: CertificateAndKey? = nil) -> TLSConfiguration {
        var c = pki.pki.serverConfiguration(identity)
        restrict(&c)
        return c
    }

    package func clientConfiguration() -> TLSConfiguration {
        var c = pki.pki.clientConfiguration()
        restrict(&c)
        return c
    }

    /// Writes per data exchange: small chunks get many writes, large ones a few (≤ 256 KiB in all).
    package var writes: Int { chunk == 1 ? 64 : max(2, min(64, 262_144 / chunk)) }

    /// Checks on both sides that the combination's version, cipher and server key type were negotiated.
    package func checkNegotiated(_ c: MatrixConnection, resumed: Bool = false) throws {
        guard let client = c.tlsClient.tls, let server = c.tlsServer.tls else {
            throw CheckFailure(message: "a side of the connection is not TLS", file: #fileID, line: #line)
        }
        try checkEqual(client.version, .tls(version), "client's negotiated version")
        try checkEqual(server.version, .tls(version), "server's negotiated version")
        try checkEqual(client.cipher, expectedCipher, "client's negotiated cipher")
        try checkEqual(server.cipher, expectedCipher, "server's negotiated cipher")
        try checkEqual(client.info.peerCertificates.first?.publicKeyAlgorithm, expectedKeyAlgorithm, "server key type seen by the client")
        try checkEqual(server.info.localCertificateKeyType, expectedKeyAlgorithm, "server's own key type")
        try checkEqual(client.sessionReused, resumed, "client: session reused")
        try checkEqual(server.sessionReused, resumed, "server: session reused")
    }
}

/// A TLS connection of the matrix, by TLS role (in `upgraded-reversed` the accepting side is the client).
package struct MatrixConnection: Sendable {
    package let tlsClient: NetStream
    package let tlsServer: NetStream

    package func close() async {
        await tlsClient.close()
        await tlsServer.close()
    }
}

/// A listening server for one combination's transport: a TLS listener (tls-tcp, tls-unix) or a
/// plaintext one whose connections both sides upgrade (upgraded, upgraded-reversed).
package final class MatrixServer: Sendable {
    package let transport: Transport
    package let listener: NetListener
    package let serverContext: TLSContext
    package let unixPath: String?

    package init(_ transport: Transport, serverContext: TLSContext) async throws {
        self.transport = transport
        self.serverContext = serverContext
        switch transport {
        case .tlsTCP:
            unixPath = nil
            listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: serverContext)
        case .tlsUnix:
            let path = uniqueSocketPath()
            unixPath = path
            listener = try await TLS.listen(unixPath: path, context: serverContext)
        case .upgraded, .upgradedReversed:
            unixPath = nil
            listener = try await NetListener.listen(host: "127.0.0.1", port: 0)
        case .tcp, .unix:
            throw CheckFailure(message: "the TLS matrix has no plaintext transport '\(transport)'", file: #fileID, line: #line)
        }
    }

    /// Connects a client with `serverName` (sent as SNI on every transport) and optionally a session to resume.
    package func connect(_ clientContext: TLSContext, serverName: String = "localhost", session: TLSSession? = nil) async throws -> MatrixConnection {
        switch transport {
        case .tlsTCP, .tlsUnix:
            async let accepted = listener.accept(timeout: .seconds(10))
            let client: NetStream
            if let unixPath {
                client = try await TLS.connect(unixPath: unixPath, serverName: serverName, context: clientContext, session: session)
            } else {
                client = try await TLS.connect(host: "127.0.0.1", port: listener.port!, serverName: serverName, context: clientContext, session: session)
            }
            return MatrixConnection(tlsClient: client, tlsServer: try await accepted)
        default:
            let (client, server) = try await plaintextPair()
            async let up: NetStream = TLS.upgrade(server, asServerWith: serverContext)
            try await TLS.upgrade(client, asClientOf: serverName, context: clientContext, session: session)
            _ = try await up
            return MatrixConnection(tlsClient: client, tlsServer: server)
        }
    }

    /// For the upgraded transports: a plaintext connection after a STARTTLS exchange, as (future TLS client, future TLS server).
    package func plaintextPair() async throws -> (client: NetStream, server: NetStream) {
        async let accepted = listener.accept(timeout: .seconds(10))
        let connector = try await NetStream.connect(host: "127.0.0.1", port: listener.port!)
        let acceptor = try await accepted
        let (client, server) = transport == .upgradedReversed ? (acceptor, connector) : (connector, acceptor)
        try await client.write("STARTTLS\r\n")
        try checkEqual(try await server.chunk(10, timeout: .seconds(10)), Array("STARTTLS\r\n".utf8), "plaintext command")
        try await server.write("GO\r\n")
        try checkEqual(try await client.chunk(4, timeout: .seconds(10)), Array("GO\r\n".utf8), "plaintext reply")
        return (client, server)
    }

    package func close() async { await listener.close() }
}

extension TLSMatrixCase {
    /// Starts a server with `server` (default: the combination's), connects once with `client`, checks the
    /// negotiated parameters, runs `body`, and closes everything whatever happens.
    package func withConnection<T>(
        server: TLSConfiguration? = nil, client: TLSConfiguration? = nil, serverName: String = "localhost",
        _ body: (MatrixConnection) async throws -> T
    ) async throws -> T {
        let srv = try await MatrixServer(transport, serverContext: TLSContext(server ?? serverConfiguration()))
        do {
            let conn = try await srv.connect(TLSContext(client ?? clientConfiguration()), serverName: serverName)
            do {
                try checkNegotiated(conn)
                let r = try await body(conn)
                await conn.close(); await srv.close()
                return r
            } catch { await conn.close(); throw error }
        } catch { await srv.close(); throw error }
    }

    /// `writes` writes of `chunk` bytes from `from`, read on `to` with `read(max: chunk)`; checks the bytes.
    package func transfer(from: NetStream, to: NetStream, seed: UInt8, what: String) async throws {
        let total = chunk * writes
        let data = pattern(total, seed: seed)
        async let sent: Void = {
            for i in 0..<writes { try await from.write(Array(data[i * chunk..<(i + 1) * chunk]), timeout: .seconds(30)) }
        }()
        var got: [UInt8] = []
        got.reserveCapacity(total)
        while got.count < total {
            guard let part = try await to.read(max: chunk, timeout: .seconds(30)) else { break }
            try check(part.count <= chunk, "\(what): read(max: \(chunk)) returned \(part.count) bytes")
            got += part
        }
        try await sent
        try checkEqual(got.count, total, "\(what): bytes received")
        try check(got == data, "\(what): received bytes differ from those sent")
    }
}
