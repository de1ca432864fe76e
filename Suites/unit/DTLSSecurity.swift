import Foundation
import JSec
import NIOCore
import NIOPosix

/// DTLS with the TLS configuration: mTLS, verification, ciphers, ALPN, resumption; plus IPv6,
/// upgrade of UDP channels, peer idle timeouts, handshake timeouts and configuration errors.
package enum DTLSSecurity {
    static let pki = TestPKI.shared

    /// Accepts one connection while the client connects; returns both.
    static func pair(
        server: DTLSServer, host: String = "127.0.0.1", context: TLSContext, session: TLSSession? = nil,
        options: DTLSOptions = DTLSOptions()
    ) async throws -> (client: DTLSConnection, server: DTLSConnection) {
        async let accepted = server.accept(timeout: .seconds(10))
        let c = try await DTLS.connect(host: host, port: server.port!, context: context, session: session, options: options)
        return (c, try await accepted)
    }

    package static func mutualTLS() async throws {
        var sc = pki.serverConfiguration()
        sc.clientAuthentication = .required
        let server = try await DTLS.listen(port: 0, context: DTLS.context(sc))
        defer { Task { await server.close() } }
        var cc = pki.clientConfiguration()
        cc.certificateChain = .certificates([pki.client.certificate])
        cc.privateKey = .key(pki.client.privateKey)
        let (c, s) = try await pair(server: server, context: DTLS.context(cc))
        try checkEqual(s.info.peerCertificates.first?.subject.contains("test-client"), true, "server sees the client certificate")
        try checkEqual(c.info.peerCertificates.first?.subject.contains("localhost"), true, "client sees the server certificate")
        try await c.write("mtls")
        try checkEqual(try await s.read(timeout: .seconds(5)), Array("mtls".utf8), "data over mTLS")
        await c.close(); await s.close()
        // Without a client certificate the handshake fails on both sides.
        let e = try await checkThrowsJSec(.verification, "client without a certificate") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: server.port!, context: DTLS.context(pki.clientConfiguration()))
        }
        try checkEqual(e.code, .jsec(.clientCertificateNotConfigured), "client's code (\(e))")
        try await DTLSBehaviour.waitUntil("the server records the failure") { !server.handshakeFailures.isEmpty }
        try checkEqual(server.handshakeFailures.last?.category, .verification, "server-side failure category")
        try checkEqual(server.handshakeFailures.last?.code, .peerDidNotReturnCertificate, "server-side failure code")
    }

    /// A server certificate from an untrusted CA, and a hostname mismatch, fail with `.verification`.
    package static func verificationFailure() async throws {
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration(pki.serverFromOtherCA)))
        defer { Task { await server.close() } }
        let e = try await checkThrowsJSec(.verification, "untrusted server certificate") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: server.port!, context: DTLS.context(pki.clientConfiguration()))
        }
        try checkEqual(e.code, .certificate(.unableToGetLocalIssuerCertificate), "code says why verification failed (\(e))")
        let good = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
        defer { Task { await good.close() } }
        let mismatch = try await checkThrowsJSec(.verification, "wrong host name") {
            _ = try await DTLS.connect(
                host: "127.0.0.1", port: good.port!, serverName: "not-this-host.example",
                context: DTLS.context(pki.clientConfiguration()))
        }
        try checkEqual(mismatch.code, .certificate(.hostnameMismatch), "code for the wrong host name (\(mismatch))")
    }

    /// The cipher the client asks for is the one negotiated, and both sides report it (and ALPN).
    package static func cipherAndALPN() async throws {
        var sc = pki.serverConfiguration()
        sc.applicationProtocols = ["coap", "other"]
        let server = try await DTLS.listen(port: 0, context: DTLS.context(sc))
        defer { Task { await server.close() } }
        for cipher in ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"] {
            let (c, s) = try await pair(
                server: server,
                context: DTLSBehaviour.clientContext {
                    $0.cipherList = cipher
                    $0.applicationProtocols = ["coap"]
                })
            try checkEqual(c.cipher, cipher, "client's cipher")
            try checkEqual(s.cipher, cipher, "server's cipher")
            try checkEqual(c.alpn, "coap", "client's ALPN")
            try checkEqual(s.alpn, "coap", "server's ALPN")
            try checkEqual(s.version, .dtls1_2, "server's version")
            await c.close(); await s.close()
        }
    }

    /// An exported session resumes: `sessionReused` on both sides; without it the handshake is full.
    package static func sessionResumption(tickets: Bool) async throws {
        var sc = pki.serverConfiguration()
        sc.sessionTickets = tickets
        let server = try await DTLS.listen(port: 0, context: DTLS.context(sc))
        defer { Task { await server.close() } }
        let context = try DTLSBehaviour.clientContext()
        let (c1, s1) = try await pair(server: server, context: context)
        try checkEqual(c1.sessionReused, false, "first handshake is full")
        let session = try c1.session ?? { throw CheckFailure(message: "no session after the first handshake", file: #fileID, line: #line) }()
        await c1.close(); await s1.close()
        let (c2, s2) = try await pair(server: server, context: context, session: session)
        try checkEqual(c2.sessionReused, true, "client resumed")
        try checkEqual(s2.sessionReused, true, "server resumed")
        try await c2.write("again")
        try checkEqual(try await s2.read(timeout: .seconds(5)), Array("again".utf8), "data on the resumed session")
        await c2.close(); await s2.close()
        // The client session cache does the same without handing the session around.
        let cached = try DTLSBehaviour.clientContext { $0.clientSessionCache = true }
        let (c3, s3) = try await pair(server: server, context: cached)
        await c3.close(); await s3.close()
        let (c4, s4) = try await pair(server: server, context: cached)
        try checkEqual(c4.sessionReused, true, "the client cache resumed")
        await c4.close(); await s4.close()
    }

    /// A server on ::1 and a client connecting to ::1.
    package static func ipv6() async throws {
        let server = try await DTLS.listen(host: "::1", port: 0, context: DTLS.context(pki.serverConfiguration()))
        defer { Task { await server.close() } }
        let (c, s) = try await pair(server: server, host: "::1", context: DTLSBehaviour.clientContext())
        guard case .ip(let host, _) = s.remoteAddress else { throw CheckFailure(message: "no remote address", file: #fileID, line: #line) }
        try checkEqual(host, "::1", "server sees an IPv6 peer")
        try await c.write(pattern(1000))
        try checkEqual(try await s.read(timeout: .seconds(5)), pattern(1000), "message over IPv6")
        try await s.write("back")
        try checkEqual(try await c.read(timeout: .seconds(5)), Array("back".utf8), "reply over IPv6")
        await c.close(); await s.close()
    }

    /// Two plain UDP channels connected to each other; one upgrades as client, the other as server.
    package static func upgrade(connected: Bool) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let a = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let b = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        if connected {
            try await a.connect(to: b.localAddress!).get()
            try await b.connect(to: a.localAddress!).get()
        }
        async let server = DTLS.upgrade(b, peer: connected ? nil : a.localAddress!, asServerWith: DTLS.context(pki.serverConfiguration()))
        let client = try await DTLS.upgrade(
            a, peer: connected ? nil : b.localAddress!, asClientOf: "localhost",
            context: DTLSBehaviour.clientContext())
        let s = try await server
        try checkEqual(client.version, .dtls1_2, "upgraded client version")
        for size in [1, 500, client.maximumMessageSize] {
            try await client.write(pattern(size))
            try checkEqual(try await s.read(timeout: .seconds(5)), pattern(size), "client to server, \(size) bytes")
            try await s.write(pattern(size, seed: 3))
            try checkEqual(try await client.read(timeout: .seconds(5)), pattern(size, seed: 3), "server to client, \(size) bytes")
        }
        // Garbage from the peer's address (random bytes, a forged application-data record) is discarded
        // without ending the association (RFC 6347 §4.1.2.7).
        let forged: [UInt8] = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 40] + pattern(40)
        // Shorter than nonce + tag: OpenSSL 3.0 would fail the association on it; the driver drops it first.
        let short: [UInt8] = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 10, 0, 20] + pattern(20)
        for (i, junk) in [pattern(50, seed: 9), forged, short, [22]].enumerated() {
            let out = ByteBuffer(bytes: junk)
            if connected {
                try await a.writeAndFlush(out).get()
            } else {
                try await a.writeAndFlush(AddressedEnvelope(remoteAddress: b.localAddress!, data: out)).get()
            }
            try await client.write("after junk \(i)")
            try checkEqual(try await s.read(timeout: .seconds(5)), Array("after junk \(i)".utf8), "the association survived garbage \(i)")
        }
        await client.close()
        try checkEqual(try await s.read(timeout: .seconds(5)), nil, "close_notify reaches the upgraded server")
        await s.close()
        try checkEqual(a.isActive, false, "closing the upgraded connection closes its channel")
        // Upgrading needs a peer address.
        let lone = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        try await checkThrowsJSec(.usage, "upgrade of an unconnected channel without a peer") {
            _ = try await DTLS.upgrade(lone, asClientOf: "localhost", context: DTLSBehaviour.clientContext())
        }
        try await lone.close().get()
    }

    /// A client that restarts on the same address and port (no close_notify) gets a new session after the
    /// cookie exchange; the old session ends with a `.closed` error.
    package static func peerRestartsOnSamePort() async throws {
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
        defer { Task { await server.close() } }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: server.port!)
        let group = MultiThreadedEventLoopGroup.singleton
        let first = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let localPort = first.localAddress!.port!
        try await first.connect(to: target).get()
        async let accepted1 = server.accept(timeout: .seconds(10))
        let c1 = try await DTLS.upgrade(first, asClientOf: "localhost", context: DTLSBehaviour.clientContext())
        let s1 = try await accepted1
        try await first.close().get()  // the client vanishes without close_notify
        _ = c1
        let second = try await DatagramBootstrap(group: group).channelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: localPort).get()
        try await second.connect(to: target).get()
        async let accepted2 = server.accept(timeout: .seconds(10))
        let c2 = try await DTLS.upgrade(second, asClientOf: "localhost", context: DTLSBehaviour.clientContext())
        let s2 = try await accepted2
        try checkEqual(s2.remoteAddress, s1.remoteAddress, "the new session has the old one's address")
        let e = try await checkThrowsJSec(.closed, "read on the replaced session") { _ = try await s1.read(timeout: .seconds(5)) }
        try checkEqual(e.code, .jsec(.sessionReplaced), "code says why (\(e))")
        try checkEqual(server.sessionCount, 1, "one session for the address")
        try await c2.write("new")
        try checkEqual(try await s2.read(timeout: .seconds(5)), Array("new".utf8), "data on the new session")
        await c2.close(); await s2.close()
    }

    /// A replayed ClientHello (with the client's valid cookie, from the client's address) does not end the
    /// established session: the new handshake waits on the side and the old session is replaced only if it completes.
    package static func replayedClientHello() async throws {
        var sc = pki.serverConfiguration()
        sc.handshakeTimeout = .milliseconds(600)
        let server = try await DTLS.listen(port: 0, context: DTLS.context(sc))
        defer { Task { await server.close() } }
        let relay = try await LossyUDPRelay(to: try SocketAddress(ipAddress: "127.0.0.1", port: server.port!), dropRate: 0, seed: 1)
        defer { Task { await relay.close() } }
        async let accepted = server.accept(timeout: .seconds(10))
        let c = try await DTLS.connect(host: "127.0.0.1", port: relay.port, serverName: "localhost", context: DTLSBehaviour.clientContext())
        let s = try await accepted
        // Datagram 1 is the ClientHello that carried the cookie (datagram 0 had none).
        try check(relay.sentToServer.count >= 2 && relay.sentToServer[1][13] == 1, "the second datagram is a ClientHello")
        try await relay.replay(1)
        try await waitUntil("the replay starts a handshake on the side") { server.sessionCount == 2 }
        try await c.write("still here")
        try checkEqual(try await s.read(timeout: .seconds(5)), Array("still here".utf8), "the established session goes on")
        try await waitUntil("the unfinished handshake times out") { server.sessionCount == 1 }
        try await s.write("and after")
        try checkEqual(try await c.read(timeout: .seconds(5)), Array("and after".utf8), "the established session outlives the replay")
        await c.close(); await s.close()
    }

    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        try await DTLSBehaviour.waitUntil(what, condition)
    }

    /// A peer that goes quiet loses its session after `peerIdleTimeout`; its server connection's read says so.
    package static func peerIdleTimeout() async throws {
        var options = DTLSOptions()
        options.peerIdleTimeout = .milliseconds(400)
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()), options: options)
        defer { Task { await server.close() } }
        let (c, s) = try await pair(server: server, context: DTLSBehaviour.clientContext())
        try checkEqual(server.sessionCount, 1, "one session while the peer is there")
        let e = try await checkThrowsJSec(.timeout, "read on the idle peer's connection") { _ = try await s.read(timeout: .seconds(10)) }
        try checkEqual(e.code, .jsec(.peerIdle), "code says the peer was idle (\(e))")
        try checkEqual(server.sessionCount, 0, "the idle session is gone")
        await c.close()
    }

    /// A server that never answers: the handshake times out (`.timeout`); a closed port: `.io` at once.
    package static func handshakeTimeouts() async throws {
        let silent = try await RawUDPSocket()
        defer { Task { await silent.close() } }
        var config = pki.clientConfiguration()
        config.handshakeTimeout = .milliseconds(700)
        var options = DTLSOptions()
        options.initialRetransmissionTimeout = .milliseconds(100)
        try await checkThrowsJSec(.timeout, "silent server") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: silent.port, context: DTLS.context(config), options: options)
        }
        let retransmitted = await silent.waitFor(3)
        try check(retransmitted.count >= 3, "the ClientHello was retransmitted (\(retransmitted.count) copies)")
        let port = silent.port
        await silent.close()
        try await checkThrowsJSec(.io, "nothing listens") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: port, context: DTLS.context(config), options: options)
        }
    }

    /// Bad configurations are refused with `.configuration` before any packet is sent.
    package static func invalidConfiguration() async throws {
        var tls13 = pki.clientConfiguration()
        tls13.minimumVersion = .tls1_3
        try await checkThrowsJSec(.configuration, "DTLS with a TLS 1.3 minimum") { _ = try DTLS.context(tls13) }
        var suites = pki.clientConfiguration()
        suites.cipherSuites = "TLS_AES_128_GCM_SHA256"
        try await checkThrowsJSec(.configuration, "TLS 1.3 suites for DTLS") { _ = try DTLS.context(suites) }
        var cipher = pki.clientConfiguration()
        cipher.cipherList = "NOT-A-CIPHER"
        try await checkThrowsJSec(.configuration, "unknown cipher") { _ = try DTLS.context(cipher) }
        let streamContext = try TLSContext(pki.clientConfiguration())
        try await checkThrowsJSec(.configuration, "a stream context for DTLS") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: 9, context: streamContext)
        }
        try await checkThrowsJSec(.configuration, "server without a certificate") {
            _ = try await DTLS.listen(port: 0, context: DTLS.context(pki.clientConfiguration()))
        }
        for bad in [100, 70_000] {
            var o = DTLSOptions()
            o.mtu = bad
            try await checkThrowsJSec(.configuration, "mtu \(bad)") {
                _ = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()), options: o)
            }
        }
        let dtlsServer = try DTLS.context(pki.serverConfiguration())
        try await checkThrowsJSec(.configuration, "a DTLS context for a TLS listener") {
            _ = try await TLS.listen(host: "127.0.0.1", port: 0, context: dtlsServer)
        }
        try await checkThrowsJSec(.configuration, "a DTLS context for a TLS client") {
            _ = try await TLS.connect(host: "127.0.0.1", port: 9, context: DTLS.context(pki.clientConfiguration()))
        }
        var noIdle = DTLSOptions()
        noIdle.peerIdleTimeout = .zero
        try await checkThrowsJSec(.configuration, "zero idle timeout") {
            _ = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()), options: noIdle)
        }
        try await checkThrowsJSec(.configuration, "hostname verification without a name") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: 9, serverName: "", context: DTLS.context(pki.clientConfiguration()))
        }
    }
}
