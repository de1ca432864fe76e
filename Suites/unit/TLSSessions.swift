import Foundation
import JSec

/// Session resumption (exported sessions, the client cache, tickets on/off, ticket keys across
/// restarts) and TLS 1.3 key update.
package enum TLSSessions {
    /// Connects once, reads a byte (TLS 1.3 tickets arrive with the first data), returns the session.
    static func firstSession(port: Int, listener: NetListener, context: TLSContext) async throws -> TLSSession {
        async let s = listener.accept(timeout: .seconds(10))
        let c = try await TLS.connect(host: "127.0.0.1", port: port, context: context)
        let srv = try await s
        try await srv.write("x")
        _ = try await c.chunk(1, timeout: .seconds(10))
        try checkEqual(c.tls?.sessionReused, false, "first connection is a full handshake")
        let session = try c.tls?.session ?? { throw CheckFailure(message: "no session after the first connection", file: #fileID, line: #line) }()
        await c.close(); await srv.close()
        return session
    }

    /// Connects with `session` and reports whether both sides saw a resumed session.
    static func resumes(port: Int, listener: NetListener, context: TLSContext, session: TLSSession?) async throws -> (client: Bool, server: Bool) {
        async let s = listener.accept(timeout: .seconds(10))
        let c = try await TLS.connect(host: "127.0.0.1", port: port, context: context, session: session)
        let srv = try await s
        try await c.write("ping")
        try checkEqual(try await srv.chunk(4), Array("ping".utf8), "data on the resumed connection")
        let result = (c.tls?.sessionReused ?? false, srv.tls?.sessionReused ?? false)
        await c.close(); await srv.close()
        return result
    }

    /// An exported session resumes, and both sides say so. `tickets: false` uses the server's session cache.
    package static func exportedSessionResumes(version: TLSVersion, tickets: Bool) async throws {
        var server = TestPKI.shared.serverConfiguration()
        server.minimumVersion = version; server.maximumVersion = version
        server.sessionTickets = tickets
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        defer { Task { await l.close() } }
        let client = try TLSContext(TestPKI.shared.clientConfiguration())
        let session = try await firstSession(port: l.port!, listener: l, context: client)
        // The session survives a Codable round trip.
        let decoded = try JSONDecoder().decode(TLSSession.self, from: JSONEncoder().encode(session))
        let r = try await resumes(port: l.port!, listener: l, context: client, session: decoded)
        try checkEqual(r.client, true, "client reports the session resumed")
        try checkEqual(r.server, true, "server reports the session resumed")
        let fresh = try await resumes(port: l.port!, listener: l, context: client, session: nil)
        try checkEqual(fresh.client, false, "without a session the handshake is full")
    }

    /// With `clientSessionCache` the context resumes by itself on the next connect to the same host and port.
    package static func clientCacheResumes() async throws {
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(TestPKI.shared.serverConfiguration()))
        defer { Task { await l.close() } }
        var config = TestPKI.shared.clientConfiguration()
        config.clientSessionCache = true
        let client = try TLSContext(config)
        _ = try await firstSession(port: l.port!, listener: l, context: client)
        let r = try await resumes(port: l.port!, listener: l, context: client, session: nil)
        try checkEqual(r.client, true, "the cached session was offered and resumed")
    }

    /// Tickets survive a server restart when the ticket key is configured, and not otherwise.
    package static func ticketKeySurvivesRestart() async throws {
        let key = (0..<80).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var server = TestPKI.shared.serverConfiguration()
        server.sessionTicketKey = key
        let client = try TLSContext(TestPKI.shared.clientConfiguration())
        let first = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        let session = try await firstSession(port: first.port!, listener: first, context: client)
        await first.close()
        // "Restart": a new context and listener with the same key.
        let second = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        let r = try await resumes(port: second.port!, listener: second, context: client, session: session)
        await second.close()
        try checkEqual(r.server, true, "the restarted server accepted the ticket")
        var otherKey = server
        otherKey.sessionTicketKey = key.map { $0 ^ 0xFF }
        let third = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(otherKey))
        let r3 = try await resumes(port: third.port!, listener: third, context: client, session: session)
        await third.close()
        try checkEqual(r3.server, false, "a server with another key falls back to a full handshake")
        var bad = server
        bad.sessionTicketKey = [1, 2, 3]
        do { _ = try TLSContext(bad); throw CheckFailure(message: "a 3-byte ticket key was accepted", file: #fileID, line: #line) } catch let e as JSecError {
            try checkEqual(e.category, .configuration, "short ticket key")
        }
    }

    /// TLS 1.3 key updates (asked of the peer too, from both sides) while data flows both ways: no byte lost.
    package static func keyUpdateWhileDataFlows(_ transport: Transport) async throws {
        _ = try await withPair(transport) { pair in
            let up = pattern(3_000_000, seed: 5)
            let down = pattern(2_000_000, seed: 6)
            async let sentUp: Void = pair.client.write(up)
            async let sentDown: Void = pair.server.write(down)
            async let gotUp = pair.server.chunk(up.count, timeout: .seconds(60))
            async let gotDown = pair.client.chunk(down.count, timeout: .seconds(60))
            for i in 0..<5 {
                try await pair.client.tls!.updateKeys(requestPeer: i % 2 == 0)
                try await pair.server.tls!.updateKeys(requestPeer: true)
                try await Task.sleep(for: .milliseconds(2))
            }
            try await sentUp; try await sentDown
            try check(try await gotUp == up, "client→server bytes differ across key updates")
            try check(try await gotDown == down, "server→client bytes differ across key updates")
        }
        var tls12 = TestPKI.shared.serverConfiguration()
        tls12.maximumVersion = .tls1_2
        _ = try await withPair(.tlsTCP, server: tls12) { pair in
            try await checkThrowsJSec(.usage, "key update on TLS 1.2") { try await pair.client.tls!.updateKeys() }
        }
    }
}
