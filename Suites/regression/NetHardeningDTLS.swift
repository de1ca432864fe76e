import Assay
import Foundation
import JSec
import NIOCore

/// Issue 12 item 1 (unverified datagrams must not poison the listening engine) and issue 15 item 2 (the cookie check).
package enum DTLSUnverified {
    static let pki = TestPKI.shared

    /// A datagram that starts like a ClientHello (handshake record, DTLS 1.2, epoch 0, type 1) and is junk after it.
    static func helloShaped(_ size: Int, seed: UInt8) -> [UInt8] {
        var d = [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0x3F, 0xF0, 1] + pattern(size - 14, seed: seed)
        d[11] = UInt8((size - 13) >> 8 & 0xFF); d[12] = UInt8((size - 13) & 0xFF)
        return d
    }

    /// Oversize and malformed ClientHellos from a forged source, each followed by a real client's ClientHello:
    /// every real one is answered; then real clients complete handshakes while the junk keeps coming.
    package static func junkInterleavedWithRealClients() async throws {
        let hello = try await DTLSBehaviour.captureClientHello()
        let server = try await DTLSEchoServer()
        defer { Task { await server.close() } }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: server.port)
        let spoofer = try await RawUDPSocket()
        defer { Task { await spoofer.close() } }
        let client = try await RawUDPSocket()
        defer { Task { await client.close() } }
        var longRecord = hello
        longRecord[11] = 0xFF; longRecord[12] = 0xFF
        let junk: [(String, [UInt8])] = [
            ("a 16,398-byte hello-shaped datagram", helloShaped(16_398, seed: 1)),
            ("a 17,677-byte hello-shaped datagram", helloShaped(17_677, seed: 2)),
            ("a real ClientHello padded to 17,000 bytes", hello + pattern(17_000 - hello.count, seed: 3)),
            ("a 40,000-byte hello-shaped datagram", helloShaped(40_000, seed: 4)),
            ("a truncated ClientHello", Array(hello.prefix(40))),
            ("a ClientHello whose record length runs past the datagram", longRecord),
            ("a hello-shaped 200 bytes of junk", helloShaped(200, seed: 5)),
        ]
        var answered = 0
        for round in 0..<3 {
            for (name, bytes) in junk {
                try await spoofer.send(bytes, to: target)
                try await client.send(hello, to: target)
                answered += 1
                let got = await client.waitFor(answered)
                try check(got.count == answered, "round \(round), after \(name): the real ClientHello was not answered (\(got.count) of \(answered) answers)")
                let last = got[answered - 1].bytes
                try check(last.count > 14 && last[0] == 22 && last[13] == 3, "the answer is a HelloVerifyRequest: \(last.prefix(16))")
            }
        }
        try checkEqual(server.server.sessionCount, 0, "sessions after unverified datagrams only")

        // Real handshakes while a forged source keeps sending oversize hellos.
        let flooding = Launched { () async throws -> Int in
            var sent = 0
            while !Task.isCancelled {
                try await spoofer.send(helloShaped(16_398 + sent % 1_279, seed: UInt8(truncatingIfNeeded: sent)), to: target)
                sent += 1
                try? await Task.sleep(for: .milliseconds(2))
            }
            return sent
        }
        defer { flooding.task.cancel() }
        for i in 0..<3 {
            let c = try await DTLS.connect(host: "127.0.0.1", port: server.port, context: DTLSBehaviour.clientContext { $0.handshakeTimeout = .seconds(10) })
            try await c.write("client \(i)")
            try checkEqual(try await c.read(timeout: .seconds(10)), Array("client \(i)".utf8), "echo to real client \(i) during the flood")
            await c.close()
        }
        flooding.task.cancel()
        if case .success(let sent) = try await flooding.outcome("the flood") {
            try check(sent > 0, "the flood sent datagrams (\(sent))")
        }
    }

    // MARK: - Cookies

    /// The cookie of a HelloVerifyRequest datagram (record 13 + handshake header 12 + version 2, then length and bytes).
    static func cookie(of hvr: [UInt8]) throws -> [UInt8] {
        try check(hvr.count > 28 && hvr[13] == 3, "a HelloVerifyRequest: \(hvr.prefix(16))")
        let n = Int(hvr[27])
        try check(hvr.count >= 28 + n && n > 0, "the HelloVerifyRequest carries a cookie")
        return Array(hvr[28..<(28 + n)])
    }

    /// `hello` (a client's first ClientHello, one unfragmented record) carrying `cookie`, as its second ClientHello would.
    static func hello(_ hello: [UInt8], withCookie cookie: [UInt8]) -> [UInt8] {
        var body = Array(hello[25...])
        let cookieAt = 34 + 1 + Int(body[34])  // version 2 + random 32, then session id length and bytes
        let oldLength = Int(body[cookieAt])
        body = Array(body[..<cookieAt]) + [UInt8(cookie.count)] + cookie + Array(body[(cookieAt + 1 + oldLength)...])
        var handshake = Array(hello[13..<25])
        for (at, value) in [(1, body.count), (9, body.count)] {  // length and fragment length (24-bit)
            handshake[at] = UInt8(value >> 16 & 0xFF); handshake[at + 1] = UInt8(value >> 8 & 0xFF); handshake[at + 2] = UInt8(value & 0xFF)
        }
        handshake[4] = 0; handshake[5] = 1  // message_seq 1: the second ClientHello
        var record = Array(hello[0..<13])
        record[10] = 1  // record sequence number 1
        let length = handshake.count + body.count
        record[11] = UInt8(length >> 8); record[12] = UInt8(length & 0xFF)
        return record + handshake + body
    }

    /// Sends `datagram` from `socket` and returns the handshake type of the answer's first record (3: HelloVerifyRequest, 2: ServerHello).
    static func answer(_ socket: RawUDPSocket, _ datagram: [UInt8], to target: SocketAddress, _ what: String) async throws -> (type: UInt8, bytes: [UInt8]) {
        let before = socket.datagrams.count
        try await socket.send(datagram, to: target)
        let got = await socket.waitFor(before + 1)
        try check(got.count > before, "\(what): no answer")
        let a = got[before].bytes
        try check(a.count > 14 && a[0] == 22, "\(what): the answer is a handshake record: \(a.prefix(16))")
        return (a[13], a)
    }

    /// Forged, altered, other-address and stale (earlier server on the same port) cookies get a new HelloVerifyRequest
    /// and create no session; the same crafted ClientHello with the valid cookie does create one (so the crafted
    /// hellos are well-formed and only the cookie decides).
    package static func cookieCheck() async throws {
        let first = try await captureHello()
        var config = pki.serverConfiguration()
        config.handshakeTimeout = .seconds(2)
        let context = try DTLS.context(config)
        let server = try await DTLS.listen(port: 0, context: context)
        let port = server.port!
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let a = try await RawUDPSocket()
        let b = try await RawUDPSocket()
        defer {
            Task {
                await a.close(); await b.close()
            }
        }
        let cookieA = try cookie(of: try await answer(a, first, to: target, "A's first ClientHello").bytes)

        var rng = SeededGenerator(seed: 15)
        let forged = (0..<cookieA.count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var altered = cookieA
        altered[altered.count - 1] ^= 1
        let refused: [(String, RawUDPSocket, [UInt8])] = [
            ("a forged cookie", a, forged),
            ("A's cookie with one bit changed", a, altered),
            ("A's cookie sent from another address (B)", b, cookieA),
            ("a one-byte cookie", a, [cookieA[0]]),
        ]
        for (what, socket, cookie) in refused {
            let (type, _) = try await answer(socket, hello(first, withCookie: cookie), to: target, what)
            try checkEqual(type, 3, "\(what): answered with a HelloVerifyRequest (3), not a ServerHello (2)")
            try checkEqual(server.sessionCount, 0, "\(what): sessions")
        }
        // The control: the valid cookie from its own address gets a ServerHello and a session.
        let (type, _) = try await answer(a, hello(first, withCookie: cookieA), to: target, "A's valid cookie")
        try checkEqual(type, 2, "the valid cookie is answered with a ServerHello")
        try checkEqual(server.sessionCount, 1, "the valid cookie creates a session")
        await server.close()

        // A stale cookie: issued by the previous server on this port (another secret). Within one server's life
        // the secret rotates too (cookieRotation below).
        try await Task.sleep(for: .milliseconds(100))  // the old server's last datagrams have arrived
        let again = try await DTLS.listen(port: port, context: context)
        defer { Task { await again.close() } }
        try await staleRefusedFreshAccepted(a, first, stale: cookieA, server: again, target: target, "A's cookie from the previous server")
    }

    /// The `stale` cookie (one the server no longer accepts) gets a new HelloVerifyRequest and no session; the cookie
    /// that HelloVerifyRequest carries then gets a ServerHello and the server's first session.
    static func staleRefusedFreshAccepted(
        _ socket: RawUDPSocket, _ first: [UInt8], stale: [UInt8], server: DTLSServer, target: SocketAddress, _ what: String
    ) async throws {
        let (staleType, _) = try await answer(socket, hello(first, withCookie: stale), to: target, what)
        try checkEqual(staleType, 3, "\(what): answered with a HelloVerifyRequest (3), not a ServerHello (2)")
        try checkEqual(server.sessionCount, 0, "sessions after \(what)")
        let fresh = try cookie(of: try await answer(socket, first, to: target, "a new ClientHello after \(what)").bytes)
        try check(fresh != stale, "the server gives another cookie than \(what)")
        let (freshType, _) = try await answer(socket, hello(first, withCookie: fresh), to: target, "the fresh cookie after \(what)")
        try checkEqual(freshType, 2, "the fresh cookie is answered with a ServerHello")
        try checkEqual(server.sessionCount, 1, "the fresh cookie creates a session")
    }

    /// Cookie secrets rotate (issue 23): a cookie harvested from one address was accepted for the server's
    /// whole life, so one spoofed ClientHello much later made the server send its flight to a victim. With
    /// `cookieSecretLifetime` 1 s, a cookie is refused (a new HelloVerifyRequest, no session) once two periods
    /// have passed; the fresh cookie from the same address works. Waiting longer than 2 s only makes the cookie
    /// staler, so a slow machine cannot turn this into a false pass or failure; the control (a fresh cookie used
    /// at once) needs two datagrams within a period.
    package static func cookieRotation() async throws {
        let first = try await captureHello()
        var config = pki.serverConfiguration()
        config.handshakeTimeout = .seconds(2)
        let context = try DTLS.context(config)
        var options = DTLSOptions()
        options.cookieSecretLifetime = .seconds(1)
        let server = try await DTLS.listen(port: 0, context: context, options: options)
        defer { Task { await server.close() } }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: server.port!)
        let a = try await RawUDPSocket()
        defer { Task { await a.close() } }
        let old = try cookie(of: try await answer(a, first, to: target, "A's first ClientHello").bytes)
        try await Task.sleep(for: .milliseconds(2_100))
        try await staleRefusedFreshAccepted(a, first, stale: old, server: server, target: target, "A's cookie from two cookieSecretLifetime periods ago")
    }

    /// Half-open handshakes per address (issue 23): one host that harvested cookies from many ports could fill the
    /// server with handshakes it never finishes (10,000 took the server from 54 to 555 MiB and kept real peers
    /// waiting). With `maximumHandshakesPerAddress` 2, a third verified ClientHello from 127.0.0.1 (another port) is
    /// refused and recorded, while 127.0.0.2 still gets its ServerHello.
    package static func handshakesPerAddress() async throws {
        let first = try await captureHello()
        var config = pki.serverConfiguration()
        config.handshakeTimeout = .seconds(60)  // the half-open handshakes stay for the whole test
        let context = try DTLS.context(config)
        var options = DTLSOptions()
        options.maximumHandshakesPerAddress = 2
        let server = try await DTLS.listen(port: 0, context: context, options: options)
        defer { Task { await server.close() } }
        let port = server.port!
        var sockets: [RawUDPSocket] = []
        defer { for s in sockets { Task { await s.close() } } }
        func verifiedHello(from host: String, to targetHost: String, _ what: String) async throws -> (RawUDPSocket, [UInt8], SocketAddress) {
            let s = try await RawUDPSocket(host: host)
            sockets.append(s)
            let target = try SocketAddress(ipAddress: targetHost, port: port)
            let c = try cookie(of: try await answer(s, first, to: target, "\(what)'s first ClientHello").bytes)
            return (s, hello(first, withCookie: c), target)
        }
        for i in 0..<2 {
            let (s, h, target) = try await verifiedHello(from: "127.0.0.1", to: "127.0.0.1", "127.0.0.1 #\(i)")
            let (type, _) = try await answer(s, h, to: target, "127.0.0.1 #\(i)'s cookie")
            try checkEqual(type, 2, "handshake \(i + 1) of 2 from 127.0.0.1 gets a ServerHello")
        }
        try checkEqual(server.sessionCount, 2, "half-open handshakes held")
        let (third, thirdHello, target) = try await verifiedHello(from: "127.0.0.1", to: "127.0.0.1", "127.0.0.1 #2")
        let before = third.datagrams.count
        try await third.send(thirdHello, to: target)
        try await ResourceBounds.eventually("the third handshake from 127.0.0.1 is recorded as refused (\(server.handshakeFailures))") {
            server.handshakeFailures.contains {
                $0.code == .jsec(.limitReached) && $0.message.contains("2 handshakes from 127.0.0.1 are already in progress")
            }
        }
        try checkEqual(third.datagrams.count, before, "the refused ClientHello gets no answer")
        try checkEqual(server.sessionCount, 2, "no session for the third handshake from 127.0.0.1")
        // Another address is not affected.
        let (other, otherHello, otherTarget) = try await verifiedHello(from: "127.0.0.2", to: "127.0.0.1", "127.0.0.2")
        let (type, _) = try await answer(other, otherHello, to: otherTarget, "127.0.0.2's cookie")
        try checkEqual(type, 2, "a handshake from 127.0.0.2 gets a ServerHello")
        try checkEqual(server.sessionCount, 3, "sessions with 127.0.0.2's")
    }

    static func captureHello() async throws -> [UInt8] {
        let h = try await DTLSBehaviour.captureClientHello()
        try check(
            h.count > 60 && h[13] == 1 && h[19] == 0 && h[20] == 0 && h[21] == 0 && h[14...16] == h[22...24],
            "one unfragmented ClientHello record: \(h.prefix(26))")
        return h
    }
}
