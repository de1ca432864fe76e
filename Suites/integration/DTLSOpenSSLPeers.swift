import Foundation
import JSec
import NIOCore
import NIOPosix

/// DTLS 1.2 interop with `openssl s_server -dtls1_2` and `openssl s_client -dtls1_2`, both roles.
package enum DTLSOpenSSLPeers {
    static let pki = TestPKI.shared

    static func files() throws -> (cert: String, key: String, clientCert: String, clientKey: String, ca: String) {
        let tag = UUID().uuidString.prefix(8)
        return (
            try TestPKI.writeTemp(pki.server.certificatePEM, name: "dtls-server-\(tag).pem"),
            try TestPKI.writeTemp(pki.server.privateKeyPEM, name: "dtls-server-key-\(tag).pem"),
            try TestPKI.writeTemp(pki.client.certificatePEM, name: "dtls-client-\(tag).pem"),
            try TestPKI.writeTemp(pki.client.privateKeyPEM, name: "dtls-client-key-\(tag).pem"),
            try TestPKI.writeTemp(pki.root.certificate.pem, name: "dtls-ca-\(tag).pem")
        )
    }

    /// Starts `openssl s_server -dtls1_2` and returns it with its port.
    static func sServer(_ extra: [String], naccept: Int = 1, ipv6: Bool = false) async throws -> (PeerProcess, Int) {
        let f = try files()
        let accept = ipv6 ? "[::1]:0" : "127.0.0.1:0"
        let server = try PeerProcess(
            "openssl",
            [
                "s_server", "-dtls1_2", "-accept", accept, "-cert", f.cert, "-key", f.key,
                "-naccept", "\(naccept)",
            ] + extra)
        let port = Int(try await server.waitFor("ACCEPT \\[?[0-9a-f.:]+\\]?:(\\d+)"))!
        return (server, port)
    }

    /// Our client against s_server: version, cipher, a message each way (s_server prints what it gets
    /// and sends the lines typed on its input).
    package static func clientAgainstSServer(cipher: String?, ipv6: Bool) async throws {
        // -listen: s_server runs the cookie exchange (DTLSv1_listen) first, so our client answers a HelloVerifyRequest.
        let (server, port) = try await sServer(["-listen"] + (cipher.map { ["-cipher", $0] } ?? []), ipv6: ipv6)
        defer { server.stop() }
        var config = pki.clientConfiguration()
        config.cipherList = cipher
        let c = try await DTLS.connect(host: ipv6 ? "::1" : "127.0.0.1", port: port, serverName: "localhost", context: DTLS.context(config))
        try checkEqual(c.version, .dtls1_2, "version negotiated with s_server")
        if let cipher { try checkEqual(c.cipher, cipher, "cipher negotiated with s_server") }
        try await c.write("hello from jsec\n")
        _ = try await server.waitFor("hello from jsec")
        server.send("hello from s_server\n")
        try checkEqual(try await c.read(timeout: .seconds(10)), Array("hello from s_server\n".utf8), "one message from s_server")
        await c.close()
    }

    /// Our client with a certificate against `s_server -Verify 1` (mTLS), and without one (refused).
    package static func mutualTLSWithSServer() async throws {
        let f = try files()
        let (server, port) = try await sServer(["-Verify", "1", "-CAfile", f.ca, "-verify_return_error"], naccept: 2)
        defer { server.stop() }
        var config = pki.clientConfiguration()
        config.certificateChain = .certificates([pki.client.certificate])
        config.privateKey = .key(pki.client.privateKey)
        let c = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: DTLS.context(config))
        try await c.write("mtls\n")
        _ = try await server.waitFor("mtls")
        await c.close()
        try await checkThrowsJSec(.verification, "no client certificate for s_server -Verify") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: DTLS.context(pki.clientConfiguration()))
        }
    }

    /// Our client resumes a session with s_server (which keeps a session cache across its accepts).
    package static func clientResumesWithSServer() async throws {
        let (server, port) = try await sServer([], naccept: 2)
        defer { server.stop() }
        let context = try DTLS.context(pki.clientConfiguration())
        let first = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context)
        try checkEqual(first.sessionReused, false, "first handshake is full")
        let session = try first.session ?? { throw CheckFailure(message: "no session from s_server", file: #fileID, line: #line) }()
        await first.close()
        try await Task.sleep(for: .milliseconds(200))  // s_server goes back to accepting after the close
        let second = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context, session: session)
        try checkEqual(second.sessionReused, true, "resumed with s_server")
        await second.close()
    }

    /// s_server presenting a certificate from another CA: our client fails with `.verification`.
    package static func verificationFailureWithSServer() async throws {
        let tag = UUID().uuidString.prefix(8)
        let cert = try TestPKI.writeTemp(pki.serverFromOtherCA.certificatePEM, name: "dtls-other-\(tag).pem")
        let key = try TestPKI.writeTemp(pki.serverFromOtherCA.privateKeyPEM, name: "dtls-other-key-\(tag).pem")
        let server = try PeerProcess("openssl", ["s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-naccept", "1"])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        let e = try await checkThrowsJSec(.verification, "s_server with an untrusted certificate") {
            _ = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: DTLS.context(pki.clientConfiguration()))
        }
        try checkEqual(e.code, .certificate(.unableToGetLocalIssuerCertificate), "code says why verification failed (\(e))")
    }

    /// A plain UDP channel connected to s_server, upgraded to DTLS as the client.
    package static func upgradeAgainstSServer() async throws {
        let (server, port) = try await sServer([])
        defer { server.stop() }
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
        let c = try await DTLS.upgrade(channel, asClientOf: "localhost", context: DTLS.context(pki.clientConfiguration()))
        try checkEqual(c.version, .dtls1_2, "upgraded channel's version with s_server")
        try await c.write("upgraded\n")
        _ = try await server.waitFor("upgraded")
        await c.close()
    }

    /// Our client's handshake with s_server through a relay that drops `dropRate` of datagrams each way (seeded so
    /// that handshake datagrams are lost): both sides retransmit their flights and the handshake completes.
    package static func lossyHandshakeWithSServer(dropRate: Double, seed: UInt64) async throws {
        let (server, port) = try await sServer([])
        defer { server.stop() }
        let relay = try await LossyUDPRelay(to: try SocketAddress(ipAddress: "127.0.0.1", port: port), dropRate: dropRate, seed: seed)
        defer { Task { await relay.close() } }
        var options = DTLSOptions()
        options.initialRetransmissionTimeout = .milliseconds(200)
        let c = try await DTLS.connect(
            host: "127.0.0.1", port: relay.port, serverName: "localhost",
            context: DTLS.context(pki.clientConfiguration()), options: options)
        try check(relay.counts.droppedHandshake > 0, "handshake datagrams were dropped (\(relay.counts))")
        for attempt in 0..<20 {
            try await c.write("through loss \(attempt)\n")
            if (try? await server.waitFor("through loss", timeout: .milliseconds(300))) != nil { break }
        }
        _ = try await server.waitFor("through loss")
        await c.close()
    }

    /// A small MTU on both sides (`s_server -mtu`, ``DTLSOptions/mtu``): through a counting relay, no datagram in
    /// either direction exceeds it, and a message of our largest size gets through.
    package static func smallMTUWithSServer(_ mtu: Int) async throws {
        let (server, port) = try await sServer(["-mtu", "\(mtu)"])
        defer { server.stop() }
        let relay = try await LossyUDPRelay(to: try SocketAddress(ipAddress: "127.0.0.1", port: port), dropRate: 0, seed: 1)
        defer { Task { await relay.close() } }
        var options = DTLSOptions()
        options.mtu = mtu
        let c = try await DTLS.connect(
            host: "127.0.0.1", port: relay.port, serverName: "localhost",
            context: DTLS.context(pki.clientConfiguration()), options: options)
        let line = String(repeating: "m", count: c.maximumMessageSize - 1) + "\n"
        try await c.write(line)
        _ = try await server.waitFor("m{\(c.maximumMessageSize - 1)}")
        try check(relay.largestDatagram <= mtu, "largest datagram \(relay.largestDatagram) fits the mtu \(mtu)")
        try check(relay.counts.forwarded > 6, "the handshake was fragmented (\(relay.counts.forwarded) datagrams)")
        await c.close()
    }

    /// s_client that goes quiet loses its session on our server after `peerIdleTimeout`.
    package static func sClientIdleTimeout() async throws {
        let f = try files()
        var options = DTLSOptions()
        options.peerIdleTimeout = .milliseconds(500)
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()), options: options)
        defer { Task { await server.close() } }
        let client = try PeerProcess(
            "openssl",
            [
                "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(server.port!)", "-servername", "localhost",
                "-CAfile", f.ca, "-verify_return_error", "-quiet",
            ])
        defer { client.stop() }
        let s = try await server.accept(timeout: .seconds(10))
        try checkEqual(server.sessionCount, 1, "one session while s_client is there")
        try await checkThrowsJSec(.timeout, "read on the idle s_client's session") { _ = try await s.read(timeout: .seconds(10)) }
        try checkEqual(server.sessionCount, 0, "the idle session is gone")
    }

    /// `openssl s_client -dtls1_2` against our echo server: what it sends comes back; it went through the cookie exchange.
    package static func sClientAgainstServer(mutual: Bool) async throws {
        let f = try files()
        var config = pki.serverConfiguration()
        if mutual { config.clientAuthentication = .required }
        let server = try await DTLSEchoServer(configuration: config)
        defer { Task { await server.close() } }
        var args = [
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost",
            "-CAfile", f.ca, "-verify_return_error", "-quiet", "-no_ign_eof",
        ]
        if mutual { args += ["-cert", f.clientCert, "-key", f.clientKey] }
        let client = try PeerProcess("openssl", args)
        defer { client.stop() }
        client.send("ping from s_client\n")
        _ = try await client.waitFor("ping from s_client")
        client.closeInput()
        await client.wait()
        try check(server.server.helloVerifyRequestsSent >= 1, "s_client went through the cookie exchange")
        try checkEqual(server.server.handshakeFailures.count, 0, "handshake failures")
        try await DTLSBehaviour.waitUntil("the session ends with s_client's close_notify") { server.server.sessionCount == 0 }
    }

    /// s_client resumes (-sess_out, then -sess_in) with our server; our side reports the resumption.
    package static func sClientResumes() async throws {
        let f = try files()
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
        defer { Task { await server.close() } }
        let sessionFile = try TestPKI.writeTemp("", name: "dtls-sess-\(UUID().uuidString.prefix(8)).pem")
        var reused: [Bool] = []
        for flag in ["-sess_out", "-sess_in"] {
            let client = try PeerProcess(
                "openssl",
                [
                    "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(server.port!)", "-servername", "localhost",
                    "-CAfile", f.ca, "-verify_return_error", "-quiet", "-no_ign_eof", flag, sessionFile,
                ])
            defer { client.stop() }
            let s = try await server.accept(timeout: .seconds(10))
            reused.append(s.sessionReused)
            client.send("x\n")
            _ = try await s.read(timeout: .seconds(10))
            client.closeInput()
            await client.wait()
            await s.close()
        }
        try checkEqual(reused, [false, true], "our server's sessionReused for s_client's two connections")
    }
}
