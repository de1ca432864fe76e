import Assay
import Foundation
import JSec

/// The main TLS matrix (issue 7 item 1): every functional TLS behaviour, in every combination of
/// version × transport × key type × cipher group × chunk size of `Matrices/tls-main.json`.
package let tlsMatrixSuite = Suite(
    "tls-matrix", category: "unit",
    description: "functional TLS tests across version, transport, key type, cipher and chunk size, checking what was negotiated",
    timeout: 60
) {
    MatrixGroup("main", matrix: .named("tls-main")) {
        Test("handshake and connection info") { ctx in try await TLSMatrixTests.handshakeAndInfo(TLSMatrixCase(ctx)) }
        Test("data client to server") { ctx in try await TLSMatrixTests.dataTransfer(TLSMatrixCase(ctx), .clientToServer) }
        Test("data server to client") { ctx in try await TLSMatrixTests.dataTransfer(TLSMatrixCase(ctx), .serverToClient) }
        Test("data both ways at once") { ctx in try await TLSMatrixTests.dataTransfer(TLSMatrixCase(ctx), .both) }
        Test("half close") { ctx in try await TLSMatrixTests.halfClose(TLSMatrixCase(ctx)) }
        Test("close semantics") { ctx in try await TLSMatrixTests.closeSemantics(TLSMatrixCase(ctx)) }
        Test("timeouts leave the stream usable") { ctx in try await TLSMatrixTests.timeouts(TLSMatrixCase(ctx)) }
        Test("mutual TLS") { ctx in try await TLSMatrixTests.mutualTLS(TLSMatrixCase(ctx)) }
        Test("ALPN") { ctx in try await TLSMatrixTests.alpn(TLSMatrixCase(ctx)) }
        Test("SNI selects the certificate") { ctx in try await TLSMatrixTests.sni(TLSMatrixCase(ctx)) }
        Test("session resumption") { ctx in try await TLSMatrixTests.resumption(TLSMatrixCase(ctx)) }
        Test(
            "key update while data flows",
            skipCases: [
                .when(
                    ["tls-version": "1.2"],
                    reason: "KeyUpdate is a TLS 1.3 message; on TLS 1.2 updateKeys is a usage error (unit/tls-sessions checks that)")
            ]
        ) { ctx in
            try await TLSMatrixTests.keyUpdate(TLSMatrixCase(ctx))
        }
        Test(
            "untrusted server is rejected",
            skipCases: [
                .predicate { c in
                    c["chunk-size"] == 1000 ? nil : "no application data flows when the handshake fails: chunk size plays no part (runs at 1000 only)"
                }
            ]
        ) { ctx in
            try await TLSMatrixVerification.untrustedServerIsRejected(TLSMatrixCase(ctx))
        }
    }
}

/// Verification failure in every version × transport × key type × cipher.
package enum TLSMatrixVerification {
    /// The server presents a leaf of the combination's key type from a CA the client does not trust:
    /// the client fails with `.verification` naming the cause, the server learns of it (alert unknown CA)
    /// as a `.verification` error too, and nothing is left hanging.
    package static func untrustedServerIsRejected(_ m: TLSMatrixCase) async throws {
        let serverContext = try TLSContext(m.serverConfiguration(m.pki.pki.serverFromOtherCA))
        let clientContext = try TLSContext(m.clientConfiguration())
        let srv = try await MatrixServer(m.transport, serverContext: serverContext)
        defer { Task { await srv.close() } }
        let expected = JSecError.Code.certificate(.unableToGetLocalIssuerCertificate)
        switch m.transport {
        case .tlsTCP, .tlsUnix:
            let e = try await checkThrowsJSec(.verification, "connect to an untrusted server") {
                if m.transport == .tlsTCP {
                    _ = try await TLS.connect(host: "127.0.0.1", port: srv.listener.port!, serverName: "localhost", context: clientContext)
                } else {
                    _ = try await TLS.connect(unixPath: srv.unixPath!, serverName: "localhost", context: clientContext)
                }
            }
            try checkEqual(e.code, expected, "client code names the cause (\(e))")
            // The listener's handshake fails on the client's alert and is recorded, not handed out.
            let deadline = ContinuousClock.now + .seconds(5)
            while srv.listener.handshakeFailures.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            let failure =
                try srv.listener.handshakeFailures.first
                ?? { throw CheckFailure(message: "the server recorded no handshake failure", file: #fileID, line: #line) }()
            try checkEqual(failure.category, .verification, "server's view of the rejection (\(failure))")
        default:
            let (client, server) = try await srv.plaintextPair()
            defer {
                Task {
                    await client.close(); await server.close()
                }
            }
            let serverSide = Task { () throws -> JSecError in
                try await checkThrowsJSec(.verification, "server upgrade rejected by the client") {
                    try await TLS.upgrade(server, asServerWith: serverContext)
                }
            }
            let e = try await checkThrowsJSec(.verification, "upgrade to an untrusted server") {
                try await TLS.upgrade(client, asClientOf: "localhost", context: clientContext)
            }
            try checkEqual(e.code, expected, "client code names the cause (\(e))")
            _ = try await serverSide.value
        }
    }
}
