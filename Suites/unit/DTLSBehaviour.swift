import Foundation
import JSec
import NIOCore
import NIOPosix

/// DTLS 1.2 on our own peers: echo, message boundaries, many clients on one socket, loss, cookies,
/// mTLS, verification, ciphers, resumption, IPv6, upgrade, idle timeouts, configuration errors.
package enum DTLSBehaviour {
    static let pki = TestPKI.shared
    /// An RSA-2048 PKI, generated once per process (RSA key generation is slow).

    static func clientContext(_ edit: (inout TLSConfiguration) -> Void = { _ in }) throws -> TLSContext {
        var c = pki.clientConfiguration()
        edit(&c)
        return try DTLS.context(c)
    }

    /// Messages of `size` bytes come back whole, one per read (or, larger than fits the mtu, are refused).
    package static func echo(size: Int, mtu: Int) async throws {
        var options = DTLSOptions()
        options.mtu = mtu
        let server = try await DTLSEchoServer(options: options)
        defer { Task { await server.close() } }
        let c = try await DTLS.connect(host: "127.0.0.1", port: server.port, context: clientContext(), options: options)
        try checkEqual(c.version, .dtls1_2, "negotiated version")
        try check(
            c.maximumMessageSize < mtu && c.maximumMessageSize > mtu - 100,
            "maximumMessageSize \(c.maximumMessageSize) is the mtu \(mtu) minus record overhead")
        let message = pattern(size, seed: 7)
        if size > c.maximumMessageSize {
            // Does not fit in one datagram of this mtu: refused whole, never cut.
            try await checkThrowsJSec(.usage, "\(size) bytes at mtu \(mtu)") { try await c.write(message) }
        } else {
            try await c.write(message)
            try checkEqual(try await c.read(timeout: .seconds(10)), message, "echo of \(size) bytes")
        }
        await c.close()
    }

    /// Several writes in a row arrive as as many reads, each exactly one message, in order.
    package static func oneMessagePerRead() async throws {
        let server = try await DTLSEchoServer()
        defer { Task { await server.close() } }
        let c = try await DTLS.connect(host: "127.0.0.1", port: server.port, context: clientContext())
        let sizes = [1, 2, 100, 1, 700, 3, 1000, 5]
        for (i, n) in sizes.enumerated() { try await c.write(pattern(n, seed: UInt8(i))) }
        for (i, n) in sizes.enumerated() {
            let m = try await c.read(timeout: .seconds(10))
            try checkEqual(m, pattern(n, seed: UInt8(i)), "message \(i) (\(n) bytes) read alone")
        }
        // A message larger than fits in one record is refused, not cut, and the connection goes on.
        let e = try await checkThrowsJSec(.usage, "oversized message") { try await c.write(pattern(c.maximumMessageSize + 1)) }
        try checkEqual(e.code, .jsec(.messageTooLarge), "code says why (\(e))")
        try await checkThrowsJSec(.usage, "empty message") { try await c.write([UInt8]()) }
        try await c.write(pattern(c.maximumMessageSize))
        try checkEqual(try await c.read(timeout: .seconds(10))?.count, c.maximumMessageSize, "largest message after the refusal")
        // Two reads at once: a usage error.
        let first = Task { try await c.read(timeout: .seconds(2)) }
        try await Task.sleep(for: .milliseconds(50))
        try await checkThrowsJSec(.usage, "second concurrent read") { _ = try await c.read(timeout: .seconds(1)) }
        try await checkThrowsJSec(.timeout, "first read with nothing sent") { _ = try await first.value }
        await c.close()
    }

    /// `clients` clients on one server socket, each doing `rounds` echoes at once.
    package static func manyClients(_ clients: Int, rounds: Int) async throws {
        let server = try await DTLSEchoServer()
        defer { Task { await server.close() } }
        let context = try clientContext()
        let port = server.port
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<clients {
                group.addTask {
                    let c = try await DTLS.connect(host: "127.0.0.1", port: port, context: context)
                    for r in 0..<rounds {
                        // Each request is distinct, so a reply can only be its echo. UDP may drop a datagram when a
                        // socket buffer overflows on a slow host (valgrind): the request is then resent, as DTLS asks.
                        let m = pattern(50 + i, seed: UInt8(truncatingIfNeeded: i * 7 + r))
                        let (answered, _) = try await requestReply(c, m, firstWait: .seconds(2))
                        try check(answered, "client \(i) round \(r): no echo")
                    }
                    await c.close()
                    return i
                }
            }
            var done = 0
            for try await _ in group { done += 1 }
            try checkEqual(done, clients, "clients that completed")
        }
        try checkEqual(server.server.handshakeFailures.count, 0, "server handshake failures")
    }

    /// Sends `request` until its echo comes back, resending with exponential backoff (`firstWait` doubling to 5 s,
    /// 16 tries) as an application over DTLS must — DTLS never retransmits application data. Replies that are not
    /// the echo (stale answers to an earlier request sent twice) are skipped. Returns whether it was answered and
    /// how often the request was resent.
    static func requestReply(_ c: DTLSConnection, _ request: [UInt8], firstWait: Duration) async throws -> (Bool, Int) {
        var wait = firstWait
        var resent = 0
        for _ in 0..<16 {
            try await c.write(request)
            do {
                while let reply = try await c.read(timeout: wait) {
                    if reply == request { return (true, resent) }
                }
                return (false, resent)  // the peer closed
            } catch let e as JSecError where e.category == .timeout {
                resent += 1
                wait = min(wait * 2, .seconds(5))
            }
        }
        return (false, resent)
    }

    /// Through a relay dropping `dropRate` of datagrams each way: every handshake completes (DTLS
    /// retransmits flights) and every request gets its reply (the application resends a request
    /// whose reply does not come in time, with backoff, because DTLS never retransmits application data).
    package static func lossyRelay(clients: Int, messages: Int, dropRate: Double, seed: UInt64) async throws {
        var options = DTLSOptions()
        options.initialRetransmissionTimeout = .milliseconds(100)
        let server = try await DTLSEchoServer(options: options)
        defer { Task { await server.close() } }
        let relay = try await LossyUDPRelay(to: try SocketAddress(ipAddress: "127.0.0.1", port: server.port), dropRate: dropRate, seed: seed)
        defer { Task { await relay.close() } }
        let context = try clientContext()
        let port = relay.port
        let clientOptions = options
        let resends = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<clients {
                group.addTask {
                    let c = try await DTLS.connect(host: "127.0.0.1", port: port, context: context, options: clientOptions)
                    var resent = 0
                    for n in 0..<messages {
                        let (answered, resends) = try await requestReply(c, Array("client \(i) message \(n)".utf8), firstWait: .milliseconds(300))
                        resent += resends
                        try check(answered, "client \(i): message \(n) never answered through the lossy relay")
                    }
                    await c.close()
                    return resent
                }
            }
            var total = 0
            for try await r in group { total += r }
            return total
        }
        let counts = relay.counts
        try check(counts.dropped > 0, "the relay dropped datagrams (forwarded \(counts.forwarded), dropped \(counts.dropped))")
        try check(counts.droppedHandshake > 0, "the relay dropped handshake datagrams, so flights were retransmitted (dropped \(counts.dropped))")
        let rate = Double(counts.dropped) / Double(counts.dropped + counts.forwarded)
        try check(rate > dropRate / 3 && rate < dropRate * 3, "the drop rate \(rate) is near \(dropRate)")
        try check(resends > 0, "some requests or replies were lost and resent (drops: \(counts.dropped))")
    }

    /// With a small MTU the handshake flights (certificate chain and all) are fragmented so that no
    /// datagram in either direction is larger than the MTU; data still flows.
    package static func handshakeFragmentsToMTU(_ mtu: Int, keyType: KeyType) async throws {
        let keyPKI = keyType == .ecP256 ? pki : try await TestPKI.perKeyType.value(for: keyType)
        var options = DTLSOptions()
        options.mtu = mtu
        let server = try await DTLSEchoServer(configuration: keyPKI.serverConfiguration(), options: options)
        defer { Task { await server.close() } }
        let relay = try await LossyUDPRelay(to: try SocketAddress(ipAddress: "127.0.0.1", port: server.port), dropRate: 0, seed: 1)
        defer { Task { await relay.close() } }
        var config = keyPKI.clientConfiguration()
        config.trustRoots = .certificates([keyPKI.root.certificate])
        let c = try await DTLS.connect(host: "127.0.0.1", port: relay.port, context: DTLS.context(config), options: options)
        let handshakeDatagrams = relay.counts.forwarded
        try await c.write(pattern(c.maximumMessageSize))
        try checkEqual(try await c.read(timeout: .seconds(10)), pattern(c.maximumMessageSize), "largest message at mtu \(mtu)")
        try check(relay.largestDatagram <= mtu, "largest datagram \(relay.largestDatagram) fits the mtu \(mtu)")
        try check(relay.largestDatagram > mtu - 100, "datagrams are filled up to the mtu (largest \(relay.largestDatagram))")
        // Unfragmented, a handshake is 6 datagrams (ClientHello, HelloVerifyRequest, ClientHello, and three flights).
        try check(handshakeDatagrams > 6, "the handshake was fragmented (\(handshakeDatagrams) datagrams)")
        await c.close()
    }

    /// A ClientHello without a cookie, from a socket that never answers (a spoofed source), gets a
    /// HelloVerifyRequest and creates no session, however often it is repeated.
    package static func cookieExchange() async throws {
        let hello = try await captureClientHello()
        let server = try await DTLSEchoServer()
        defer { Task { await server.close() } }
        let spoofer = try await RawUDPSocket()
        defer { Task { await spoofer.close() } }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: server.port)
        for _ in 0..<20 { try await spoofer.send(hello, to: target) }
        let replies = await spoofer.waitFor(20)
        try checkEqual(replies.count, 20, "one answer per ClientHello")
        for r in replies {
            // record type 22 (handshake), handshake type 3 (HelloVerifyRequest)
            try check(r.bytes.count > 14 && r.bytes[0] == 22 && r.bytes[13] == 3, "answer is a HelloVerifyRequest: \(r.bytes.prefix(16))")
        }
        try checkEqual(server.server.sessionCount, 0, "sessions after cookie-less ClientHellos")
        try checkEqual(server.server.helloVerifyRequestsSent, 20, "HelloVerifyRequests sent")
        // A real client (which echoes the cookie) gets a session.
        let c = try await DTLS.connect(host: "127.0.0.1", port: server.port, context: clientContext())
        try await c.write("hi")
        try checkEqual(try await c.read(timeout: .seconds(10)), Array("hi".utf8), "echo after the cookie exchange")
        try checkEqual(server.server.sessionCount, 1, "sessions with one real client")
        try checkEqual(server.server.helloVerifyRequestsSent, 21, "the real client went through the cookie exchange")
        await c.close()
    }

    /// The first datagram a DTLS client sends: its ClientHello (caught by a socket that never answers).
    static func captureClientHello() async throws -> [UInt8] {
        let sink = try await RawUDPSocket()
        defer { Task { await sink.close() } }
        var config = pki.clientConfiguration()
        config.handshakeTimeout = .milliseconds(300)
        let attempt = Task { try await DTLS.connect(host: "127.0.0.1", port: sink.port, configuration: config) }
        let got = await sink.waitFor(1)
        _ = try? await attempt.value
        try check(!got.isEmpty, "the client sent a ClientHello")
        return got[0].bytes
    }

    /// Close sends close_notify: the peer's read returns nil; reads on the closed side throw `.closed`.
    package static func closeNotify() async throws {
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
        defer { Task { await server.close() } }
        async let accepted = server.accept(timeout: .seconds(10))
        let c = try await DTLS.connect(host: "127.0.0.1", port: server.port!, context: clientContext())
        let s = try await accepted
        try checkEqual(s.remoteAddress, c.localAddress, "server sees the client's address")
        try await c.write("last")
        await c.close()
        try checkEqual(try await s.read(timeout: .seconds(5)), Array("last".utf8), "message before close_notify")
        try checkEqual(try await s.read(timeout: .seconds(5)), nil, "close_notify ends the server's reads")
        try await checkThrowsJSec(.closed, "read after close") { _ = try await c.read() }
        try await checkThrowsJSec(.closed, "write after close") { try await c.write("x") }
        try await waitUntil("the server forgets the closed session") { server.sessionCount == 0 }
    }

    static func waitUntil(_ what: String, timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            try check(ContinuousClock.now < deadline, "\(what): still not the case after \(timeout)")
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
