import Assay
import JSec
import NIOCore

/// Issue 23: the half-open handshake budget. Per-address limits do not stop cookies harvested from many addresses
/// (10,000 took dtls-echo from 54 to 555 MiB and kept a real peer unanswered for 37 s).
package enum DTLSHalfOpenBudget {
    /// Twenty verified ClientHellos from twenty addresses (cookies harvested first, then fired together; nobody
    /// answers the server's flights) against a server whose budget holds 4 half-open handshakes and whose
    /// `maximumSessions` is 8: at most 4 are ever held and the rest are counted as refused (or evicted, on a
    /// machine slow enough that the first ones age past `halfOpenEvictionAge` meanwhile). A real client then
    /// completes its handshake and gets its echo while the flood's handshakes still hold the budget (their handshake
    /// timeout is 60 s): the oldest gives way once older than `halfOpenEvictionAge`. Without the budget the flood
    /// takes all 8 sessions and the real client times out.
    package static func floodOfVerifiedHellos() async throws {
        let first = try await DTLSUnverified.captureHello()
        var config = TestPKI.shared.serverConfiguration()
        config.handshakeTimeout = .seconds(60)  // the flood's handshakes stay for the whole test
        var options = DTLSOptions()
        options.halfOpenHandshakeBudget = 4 * DTLSOptions.halfOpenHandshakeCharge
        options.halfOpenEvictionAge = .milliseconds(500)
        options.maximumSessions = 8
        let echo = try await DTLSEchoServer(configuration: config, options: options)
        defer { Task { await echo.close() } }
        let server = echo.server
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: echo.port)

        var flood: [(RawUDPSocket, [UInt8])] = []
        defer { for (s, _) in flood { Task { await s.close() } } }
        for i in 1...20 {
            let s = try await RawUDPSocket(host: "127.0.1.\(i)")
            let c = try DTLSUnverified.cookie(of: try await DTLSUnverified.answer(s, first, to: target, "127.0.1.\(i)'s first ClientHello").bytes)
            flood.append((s, DTLSUnverified.hello(first, withCookie: c)))
        }
        var mostHeld = 0
        for (s, h) in flood {
            try await s.send(h, to: target)
            mostHeld = max(mostHeld, server.halfOpenHandshakes, server.sessionCount)
        }
        try await ResourceBounds.eventually(
            "every verified ClientHello of the flood was admitted, refused or made room (held \(server.halfOpenHandshakes), refused \(server.halfOpenHandshakesRefused), evicted \(server.halfOpenHandshakesEvicted))"
        ) {
            mostHeld = max(mostHeld, server.halfOpenHandshakes, server.sessionCount)
            return server.halfOpenHandshakesRefused + server.halfOpenHandshakesEvicted + min(server.halfOpenHandshakes, 4) >= 20
        }
        try check(mostHeld <= 4, "at most 4 half-open handshakes (a budget of 4 charges) held at once, saw \(mostHeld)")
        try checkEqual(server.halfOpenHandshakes, 4, "the budget is full of the flood's handshakes")
        try check(server.halfOpenHandshakesRefused > 0, "verified ClientHellos beyond the budget are counted as refused")
        let started = { flood.filter { s, _ in s.datagrams.contains { $0.bytes.count > 14 && $0.bytes[13] == 2 } }.count }
        try await ResourceBounds.eventually("flood addresses that got a ServerHello: \(started()), admitted: 4 + \(server.halfOpenHandshakesEvicted) evicted") {
            started() == 4 + server.halfOpenHandshakesEvicted
        }

        // A real peer during the flood: its verified ClientHello waits for the oldest to age, then takes its place.
        let context = try DTLSBehaviour.clientContext { $0.handshakeTimeout = .seconds(20) }
        let c = try await DTLS.connect(host: "127.0.0.1", port: echo.port, context: context)
        try await c.write("real peer")
        try checkEqual(try await c.read(timeout: .seconds(10)), Array("real peer".utf8), "echo to the real peer during the flood")
        await c.close()
        try check(server.halfOpenHandshakesEvicted >= 1, "the real peer took the place of an aged half-open handshake")
        try check(
            server.handshakeFailures.contains { $0.code == .jsec(.halfOpenEvicted) },
            "the eviction is recorded with its code: \(server.handshakeFailures.map(\.code))")
        try check(server.halfOpenHandshakes <= 4, "still at most 4 half-open handshakes, now \(server.halfOpenHandshakes)")
    }
}
