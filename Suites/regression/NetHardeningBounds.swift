import Assay
import Foundation
import JSec

/// Issue 20 item 5: bounds in docs/security.md's resource-limit table that no test exercised (removing the DTLS
/// session limit went unnoticed).
package enum ResourceBounds {
    static let pki = TestPKI.shared

    /// Waits (at most 10 s) until `condition` holds; fails naming `what` otherwise.
    static func eventually(_ what: @autoclosure () -> String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CheckFailure(message: "still not the case after 10 s: \(what())", file: #fileID, line: #line) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `maximumSessions = 2`: two clients hold sessions, a third is refused (its handshake times out) and the server
    /// records the refusal in `handshakeFailures`; once one of the two leaves, a new client gets in.
    package static func dtlsMaximumSessions() async throws {
        var options = DTLSOptions()
        options.maximumSessions = 2
        let server = try await DTLSEchoServer(options: options)
        defer { Task { await server.close() } }
        let context = try DTLSBehaviour.clientContext { $0.handshakeTimeout = .seconds(10) }
        var held: [DTLSConnection] = []
        for i in 0..<2 {
            let c = try await DTLS.connect(host: "127.0.0.1", port: server.port, context: context)
            try await c.write("client \(i)")
            try checkEqual(try await c.read(timeout: .seconds(10)), Array("client \(i)".utf8), "echo to client \(i)")
            held.append(c)
        }
        try checkEqual(server.server.sessionCount, 2, "sessions held")
        try checkEqual(server.server.handshakeFailures.count, 0, "failures before the limit")

        var quick = DTLSOptions()
        quick.initialRetransmissionTimeout = .milliseconds(100)
        let refusedContext = try DTLSBehaviour.clientContext { $0.handshakeTimeout = .milliseconds(1500) }
        try await checkThrowsJSec(.timeout, "a third client while the server holds 2 sessions") {
            let c = try await DTLS.connect(host: "127.0.0.1", port: server.port, context: refusedContext, options: quick)
            await c.close()
        }
        try checkEqual(server.server.sessionCount, 2, "sessions after the refusal")
        let failures = server.server.handshakeFailures
        try check(!failures.isEmpty, "the refusal is recorded in handshakeFailures")
        for f in failures {
            try check(
                f.category == .handshake && f.code == .jsec(.limitReached) && f.message.contains("already holds 2 sessions"),
                "a recorded refusal has the code of a limit, and names it: \(f) (\(f.code))")
        }

        // A bound, not a breakage: when a session ends, a new peer is admitted.
        await held.removeFirst().close()
        try await eventually("the closed client's session ended (\(server.server.sessionCount) sessions)") { server.server.sessionCount == 1 }
        let late = try await DTLS.connect(host: "127.0.0.1", port: server.port, context: context)
        try await late.write("late")
        try checkEqual(try await late.read(timeout: .seconds(10)), Array("late".utf8), "echo to a client admitted after one left")
        await late.close()
        for c in held { await c.close() }
    }

    /// `receiveQueueCapacity = 4`: ten messages sent to a server connection that does not read; four wait to be
    /// read, six are dropped and counted in `droppedMessages`.
    package static func dtlsReceiveQueue() async throws {
        var options = DTLSOptions()
        options.receiveQueueCapacity = 4
        let server = try await DTLS.listen(host: "127.0.0.1", port: 0, context: DTLS.context(pki.serverConfiguration()), options: options)
        defer { Task { await server.close() } }
        let client = try await DTLS.connect(
            host: "127.0.0.1", port: server.port!, context: DTLSBehaviour.clientContext { $0.handshakeTimeout = .seconds(10) })
        let s = try await server.accept(timeout: .seconds(10))
        for i in 0..<10 { try await client.write("m\(i)") }
        try await eventually("6 messages dropped (\(s.droppedMessages) so far)") { s.droppedMessages >= 6 }
        try checkEqual(s.droppedMessages, 6, "dropped beyond the capacity")
        for i in 0..<4 {
            try checkEqual(try await s.read(timeout: .seconds(10)), Array("m\(i)".utf8), "queued message \(i)")
        }
        try await checkThrowsJSec(.timeout, "nothing more was kept") { _ = try await s.read(timeout: .milliseconds(300)) }
        // Reading made room again.
        try await client.write("after")
        try checkEqual(try await s.read(timeout: .seconds(10)), Array("after".utf8), "a message once the queue has room")
        await client.close(); await s.close()
    }

    /// The last 1,000 handshake failures are kept: 1,005 clients that send junk instead of a ClientHello leave
    /// exactly 1,000 recorded.
    package static func recordedFailuresBounded() async throws {
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(pki.serverConfiguration()))
        defer { Task { await listener.close() } }
        for i in 0..<1_005 {
            let c = try await NetStream.connect(host: "127.0.0.1", port: listener.port!, timeout: .seconds(10))
            try await c.write("junk \(i) that is not a TLS record\r\n\r\n")
            _ = try? await c.readAll(timeout: .seconds(10))
            await c.close()
        }
        try await eventually("1,000 failures recorded (\(listener.handshakeFailures.count))") { listener.handshakeFailures.count == 1_000 }
        try await Task.sleep(for: .milliseconds(200))
        try checkEqual(listener.handshakeFailures.count, 1_000, "recorded failures stay at the bound")
    }
}
