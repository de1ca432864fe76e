import Foundation
import JSec

/// The bodies of unit/tls-matrix: each runs one functional TLS behaviour in one combination of
/// `Matrices/tls-main.json` and (through ``TLSMatrixCase/withConnection``) checks that the combination's
/// version, cipher and server key type are the ones negotiated. Application data is sent in writes of
/// the combination's chunk size.
package enum TLSMatrixTests {
    /// Handshake and connection info on both sides, then the first application data.
    package static func handshakeAndInfo(_ m: TLSMatrixCase) async throws {
        try await m.withConnection { c in
            let client = c.tlsClient.tls!.info, server = c.tlsServer.tls!.info
            try checkEqual(client.cipherBits, m.expectedCipherBits, "cipher strength")
            try checkEqual(client.tlsVersion, m.version, "TLSVersion of the info")
            try checkEqual(server.serverName, "localhost", "the server saw the SNI name")
            try checkEqual(client.alpn, nil, "no ALPN configured, none negotiated")
            try checkEqual(client.peerCertificates.first?.sha256Fingerprint, m.pki.pki.server.certificate.sha256Fingerprint, "server leaf")
            try checkEqual(client.peerCertificates.first?.commonName, "localhost", "server certificate name")
            try check(server.peerCertificates.isEmpty, "no client certificate without mTLS")
            try check(client.handshakeDuration > .zero && server.handshakeDuration > .zero, "handshake durations are measured")
            try await m.transfer(from: c.tlsClient, to: c.tlsServer, seed: 1, what: "first data")
        }
    }

    package enum Direction: Sendable { case clientToServer, serverToClient, both }

    /// Data in one direction or both at once, `chunk-size` bytes per write.
    package static func dataTransfer(_ m: TLSMatrixCase, _ direction: Direction) async throws {
        try await m.withConnection { c in
            switch direction {
            case .clientToServer: try await m.transfer(from: c.tlsClient, to: c.tlsServer, seed: 2, what: "client→server")
            case .serverToClient: try await m.transfer(from: c.tlsServer, to: c.tlsClient, seed: 3, what: "server→client")
            case .both:
                async let up: Void = m.transfer(from: c.tlsClient, to: c.tlsServer, seed: 4, what: "client→server")
                async let down: Void = m.transfer(from: c.tlsServer, to: c.tlsClient, seed: 5, what: "server→client")
                try await up; try await down
            }
        }
    }

    /// The client sends a request and half-closes (close_notify + FIN); the server reads to the end,
    /// replies and closes its side; both ends saw a clean close, and writing after shutdown is refused.
    ///
    /// Each side reads while the other writes and shuts down, as peers do: `shutdown()` returns once its
    /// close_notify reached the kernel (at most `closeNotifyTimeout`), so a reader that starts only after the
    /// writer's `shutdown()` returned would need the whole transfer (up to 256 KiB here) to fit in the socket
    /// buffers and the reader's read-ahead (64 KiB); when it did not, the writer waited that long and closed.
    package static func halfClose(_ m: TLSMatrixCase) async throws {
        try await m.withConnection { c in
            let request = pattern(m.chunk * m.writes, seed: 6)
            async let requestRead = c.tlsServer.readAll(timeout: .seconds(30))
            for i in 0..<m.writes { try await c.tlsClient.write(Array(request[i * m.chunk..<(i + 1) * m.chunk])) }
            try await c.tlsClient.shutdown()
            try check(try await requestRead == request, "request before the half-close differs")
            try checkEqual(c.tlsServer.tls?.peerClosure, .closeNotify, "server: the client ended with close_notify")
            let reply = pattern(m.chunk * m.writes, seed: 7)
            async let replyRead = c.tlsClient.readAll(timeout: .seconds(30))
            for i in 0..<m.writes { try await c.tlsServer.write(Array(reply[i * m.chunk..<(i + 1) * m.chunk])) }
            try await c.tlsServer.shutdown()
            try check(try await replyRead == reply, "reply after the half-close differs")
            try checkEqual(c.tlsClient.tls?.peerClosure, .closeNotify, "client: the server ended with close_notify")
            try await checkThrowsJSec(.closed, "write after shutdown") { try await c.tlsClient.write("more") }
        }
    }

    /// Data written just before `close()` arrives; close is idempotent, ends a pending read with
    /// `.closed`, later calls fail with `.closed`, and the peer sees a clean end of stream.
    package static func closeSemantics(_ m: TLSMatrixCase) async throws {
        try await m.withConnection { c in
            let pending = Task { try await c.tlsClient.read(max: 1, timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(20))
            await c.tlsClient.close()
            await c.tlsClient.close()
            do {
                let r = try await pending.value
                throw CheckFailure(message: "a pending read returned \(String(describing: r)) after close", file: #fileID, line: #line)
            } catch let e as JSecError {
                try checkEqual(e.category, .closed, "pending read after close")
            }
            try await checkThrowsJSec(.closed, "read after close") { _ = try await c.tlsClient.read(max: 1) }
            try await checkThrowsJSec(.closed, "write after close") { try await c.tlsClient.write("x") }
            // The server had written nothing; what it reads now is the end of stream, announced by close_notify.
            try checkEqual(try await c.tlsServer.read(max: m.chunk, timeout: .seconds(10)), nil, "server read after the client closed")
            try checkEqual(c.tlsServer.tls?.peerClosure, .closeNotify, "close() sent close_notify")
        }
        // The other way round, with data in flight: everything written before close() arrives. The client reads
        // meanwhile, as a peer does (close() waits at most closeNotifyTimeout for its close_notify: see halfClose).
        try await m.withConnection { c in
            let data = pattern(m.chunk * m.writes, seed: 8)
            async let received = c.tlsClient.readAll(timeout: .seconds(30))
            for i in 0..<m.writes { try await c.tlsServer.write(Array(data[i * m.chunk..<(i + 1) * m.chunk])) }
            await c.tlsServer.close()
            try check(try await received == data, "data written before close() was lost")
            try checkEqual(c.tlsClient.tls?.peerClosure, .closeNotify, "close() sent close_notify after the data")
        }
    }

    /// A timed-out read and a timed-out chunk throw `.timeout`, and the stream keeps every byte.
    package static func timeouts(_ m: TLSMatrixCase) async throws {
        try await m.withConnection { c in
            try await checkThrowsJSec(.timeout, "read with nothing to read") {
                _ = try await c.tlsServer.read(max: m.chunk, timeout: .milliseconds(50))
            }
            let data = pattern(m.chunk + 1, seed: 9)
            try await c.tlsClient.write(Array(data[..<m.chunk]))
            try await checkThrowsJSec(.timeout, "chunk(\(m.chunk + 1)) with \(m.chunk) bytes sent") {
                _ = try await c.tlsServer.chunk(m.chunk + 1, timeout: .milliseconds(50))
            }
            try await c.tlsClient.write([data[m.chunk]])
            try check(try await c.tlsServer.chunk(m.chunk + 1, timeout: .seconds(10)) == data, "bytes after the timeouts differ")
            try await checkThrowsJSec(.timeout, "client read with nothing to read") {
                _ = try await c.tlsClient.read(max: 1, timeout: .milliseconds(20))
            }
            try await m.transfer(from: c.tlsServer, to: c.tlsClient, seed: 10, what: "server→client after a timeout")
        }
    }

    /// mTLS: a client certificate of the combination's key type is required, presented and seen by both sides.
    package static func mutualTLS(_ m: TLSMatrixCase) async throws {
        var server = m.serverConfiguration()
        server.clientAuthentication = .required
        var client = m.clientConfiguration()
        client.certificateChain = .certificates([m.pki.pki.client.certificate])
        client.privateKey = .key(m.pki.pki.client.privateKey)
        try await m.withConnection(server: server, client: client) { c in
            let seen = c.tlsServer.tls?.info.peerCertificates.first
            try checkEqual(seen?.commonName, "test-client", "server sees the client certificate")
            try checkEqual(seen?.publicKeyAlgorithm, m.expectedKeyAlgorithm, "client key type seen by the server")
            try checkEqual(c.tlsClient.tls?.info.localCertificateKeyType, m.expectedKeyAlgorithm, "client's own key type")
            async let up: Void = m.transfer(from: c.tlsClient, to: c.tlsServer, seed: 11, what: "client→server over mTLS")
            async let down: Void = m.transfer(from: c.tlsServer, to: c.tlsClient, seed: 12, what: "server→client over mTLS")
            try await up; try await down
        }
    }

    /// ALPN: the server's first choice among the client's offers, seen by both sides.
    package static func alpn(_ m: TLSMatrixCase) async throws {
        var server = m.serverConfiguration()
        server.applicationProtocols = ["h2", "http/1.1"]
        var client = m.clientConfiguration()
        client.applicationProtocols = ["http/1.1", "h2"]
        try await m.withConnection(server: server, client: client) { c in
            try checkEqual(c.tlsClient.tls?.alpn, "h2", "client's ALPN")
            try checkEqual(c.tlsServer.tls?.alpn, "h2", "server's ALPN")
            try await m.transfer(from: c.tlsClient, to: c.tlsServer, seed: 13, what: "data after ALPN")
        }
    }

    /// SNI: a server with a second certificate presents it for its name, over every transport.
    package static func sni(_ m: TLSMatrixCase) async throws {
        var server = m.serverConfiguration()
        let leaf = m.pki.sniLeaf
        server.sniCertificates = [
            SNICertificate(
                serverName: "api.example.test", certificateChain: .certificates([leaf.certificate]),
                privateKey: .key(leaf.privateKey))
        ]
        try await m.withConnection(server: server, serverName: "api.example.test") { c in
            try checkEqual(c.tlsClient.tls?.info.peerCertificates.first?.commonName, "api.example.test", "certificate for the SNI name")
            try checkEqual(c.tlsServer.tls?.info.serverName, "api.example.test", "server sees the SNI name")
            try await m.transfer(from: c.tlsServer, to: c.tlsClient, seed: 14, what: "data after SNI")
        }
    }

    /// A session from a first connection resumes on a second one over the same transport, with the same
    /// version and cipher, and both sides say it was resumed.
    package static func resumption(_ m: TLSMatrixCase) async throws {
        let srv = try await MatrixServer(m.transport, serverContext: TLSContext(m.serverConfiguration()))
        defer { Task { await srv.close() } }
        let clientContext = try TLSContext(m.clientConfiguration())
        let first = try await srv.connect(clientContext)
        let session: TLSSession
        do {
            try m.checkNegotiated(first)
            // TLS 1.3 tickets arrive with the first data the client reads.
            try await m.transfer(from: first.tlsServer, to: first.tlsClient, seed: 15, what: "first connection")
            session = try first.tlsClient.tls?.session ?? { throw CheckFailure(message: "no session after the first connection", file: #fileID, line: #line) }()
            await first.close()
        } catch { await first.close(); throw error }
        let second = try await srv.connect(clientContext, session: session)
        do {
            try m.checkNegotiated(second, resumed: true)
            try await m.transfer(from: second.tlsClient, to: second.tlsServer, seed: 16, what: "resumed connection")
            await second.close()
        } catch { await second.close(); throw error }
    }

    /// TLS 1.3 key updates from both sides (asking the peer too) while `chunk-size` writes flow both ways.
    package static func keyUpdate(_ m: TLSMatrixCase) async throws {
        try await m.withConnection { c in
            async let up: Void = m.transfer(from: c.tlsClient, to: c.tlsServer, seed: 17, what: "client→server across key updates")
            async let down: Void = m.transfer(from: c.tlsServer, to: c.tlsClient, seed: 18, what: "server→client across key updates")
            for i in 0..<3 {
                try await c.tlsClient.tls!.updateKeys(requestPeer: i % 2 == 0)
                try await c.tlsServer.tls!.updateKeys(requestPeer: true)
            }
            try await up; try await down
            // And after the updates, still the same parameters.
            try m.checkNegotiated(c)
        }
    }
}
