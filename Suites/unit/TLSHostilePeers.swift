import Assay
import Foundation
import JSec

/// Slow and hostile peers: a TLS server keeps serving others whatever one peer does.
package enum TLSHostilePeers {
    static func serverContext(handshakeTimeout: Duration) throws -> TLSContext {
        var config = TestPKI.shared.serverConfiguration()
        config.handshakeTimeout = handshakeTimeout
        return try TLSContext(config)
    }

    /// A good client still gets served while `listener` is being abused.
    static func goodClientIsServed(_ listener: NetListener) async throws {
        async let s = listener.accept(timeout: .seconds(10))
        let c = try await TLS.connect(host: "127.0.0.1", port: listener.port!, context: TLSContext(TestPKI.shared.clientConfiguration()))
        let srv = try await s
        try await c.write("still here")
        try checkEqual(try await srv.chunk(10, timeout: .seconds(10)), Array("still here".utf8), "a good client is served")
        await c.close(); await srv.close()
    }

    /// Many idle connections that never send a byte: a new client is still accepted and served,
    /// and the idle ones are released at the handshake timeout.
    package static func idleConnectionsAreReleased(count: Int) async throws {
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: serverContext(handshakeTimeout: .seconds(1)))
        defer { Task { await listener.close() } }
        var idle: [NetStream] = []
        for _ in 0..<count { idle.append(try await NetStream.connect(host: "127.0.0.1", port: listener.port!)) }
        try await goodClientIsServed(listener)
        // After the timeout the server has closed every idle connection: each sees end of stream.
        for s in idle {
            let r = try await s.read(max: 1, timeout: .seconds(10))
            try check(r == nil, "an idle connection was not released (read \(String(describing: r)))")
            await s.close()
        }
        let timeouts = listener.handshakeFailures.filter { $0.category == .timeout }.count
        try checkEqual(timeouts, count, "handshake timeouts recorded by the server")
    }

    package enum Abuse: String, CaseIterable, Sendable {
        case garbage, truncatedHello = "truncated-hello", closeMidHandshake = "close-mid-handshake"
    }

    /// A peer that sends garbage, half a ClientHello then closes, or closes mid-handshake fails
    /// its own handshake with a typed error while the server keeps serving others.
    package static func abusivePeer(_ abuse: Abuse) async throws {
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: serverContext(handshakeTimeout: .seconds(5)))
        defer { Task { await listener.close() } }
        let peer = try await NetStream.connect(host: "127.0.0.1", port: listener.port!)
        switch abuse {
        case .garbage:
            try await peer.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            _ = try? await peer.read(max: 100, timeout: .seconds(5))  // the server's alert, then end of stream
        case .truncatedHello:
            // The first 40 bytes of a real ClientHello record, then FIN.
            try await peer.write([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03] + [UInt8](repeating: 7, count: 29))
            try await peer.shutdown()
        case .closeMidHandshake:
            try await peer.write([0x16, 0x03, 0x01])
        }
        await peer.close()
        try await goodClientIsServed(listener)
        let deadline = ContinuousClock.now + .seconds(10)
        while listener.handshakeFailures.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let failure = try listener.handshakeFailures.first ?? { throw CheckFailure(message: "no handshake failure recorded", file: #fileID, line: #line) }()
        try check([.handshake, .protocol, .closed].contains(failure.category), "typed failure: \(failure)")
    }

    /// A peer that ends the TCP connection without close_notify: read returns nil (like TCP), and
    /// `peerClosure` is `.withoutCloseNotify`; with close_notify it is `.closeNotify`.
    package static func eofWithoutCloseNotifyIsDistinguishable() async throws {
        let pki = TestPKI.shared
        // Clean close: the client shuts down (close_notify + FIN).
        try await withPair(.tlsTCP) { pair in
            try await pair.client.shutdown()
            try check(try await pair.server.read(max: 10, timeout: .seconds(10)) == nil, "end of stream")
            try checkEqual(pair.server.tls?.peerClosure, .closeNotify, "close_notify seen")
        }
        // Unclean: the TLS client is an openssl s_client killed with SIGKILL (no close_notify).
        guard PeerProcess.which("openssl") != nil else { throw SkipTest("openssl CLI not installed") }
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(pki.serverConfiguration()))
        defer { Task { await listener.close() } }
        let client = try PeerProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(listener.port!)", "-quiet"])
        let s = try await listener.accept(timeout: .seconds(10))
        client.send("x\n")
        _ = try await s.read(max: 10, timeout: .seconds(10))
        kill(client.process.processIdentifier, SIGKILL)
        try check(try await s.read(max: 10, timeout: .seconds(10)) == nil, "end of stream without close_notify")
        try checkEqual(s.tls?.peerClosure, .withoutCloseNotify, "no close_notify seen")
        await s.close()
    }

    /// close() returns promptly even when the peer never answers (it does not wait for the
    /// peer's close_notify), and reports nothing.
    package static func closeNeverHangs() async throws {
        try await withPair(.tlsTCP) { pair in
            // Fill the peer's receive window so our close_notify cannot even be sent.
            let big = pattern(8 << 20, seed: 1)
            let writer = Task { try? await pair.server.write(big) }
            try await Task.sleep(for: .milliseconds(200))
            // A hang here is caught by the case timeout; no wall-clock threshold.
            await pair.server.close()
            writer.cancel()
            // The peer, which never read, now drains what arrived and then sees the end.
            var drained = 0
            do {
                while let d = try await pair.client.read(max: 1 << 20, timeout: .seconds(30)) { drained += d.count }
            } catch let e as JSecError {
                try check(e.category == .protocol || e.category == .io, "peer after close: \(e)")
            }
            try check(drained <= big.count, "the peer received \(drained) bytes, more than were written")
        }
    }
}

package let tlsHostileSuite = Suite("tls-hostile", category: "unit", description: "slow and hostile peers; clean vs unclean end of stream", timeout: 90) {
    MatrixTest("idle connections are released", matrix: .inline(["connections": [20, 200]]), ensured: [["connections": 20]]) { ctx in
        try await TLSHostilePeers.idleConnectionsAreReleased(count: ctx.int("connections"))
    }
    MatrixTest("abusive peer", matrix: .inline(["abuse": TLSHostilePeers.Abuse.allCases.map { .string($0.rawValue) }])) { ctx in
        try await TLSHostilePeers.abusivePeer(TLSHostilePeers.Abuse(rawValue: ctx.string("abuse"))!)
    }
    Test("EOF without close_notify is distinguishable") { _ in try await TLSHostilePeers.eofWithoutCloseNotifyIsDistinguishable() }
    Test("close never hangs") { _ in try await TLSHostilePeers.closeNeverHangs() }
}
