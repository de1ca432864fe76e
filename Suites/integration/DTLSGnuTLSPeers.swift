import Foundation
import JSec
import NIOCore

/// DTLS 1.2 interop with GnuTLS (`gnutls-serv --udp --echo`, `gnutls-cli --udp`), both roles.
/// Each scenario returns what it saw (peer program, versions, cipher) for the case to report.
package enum DTLSGnuTLSPeers {
    static let pki = TestPKI.shared
    static let priority = "--priority=NORMAL:-VERS-ALL:+VERS-DTLS1.2"

    package static var unavailableReason: String? { GnuTLSPeer().unavailableReason }

    /// `gnutls-serv --udp --echo` restricted to DTLS 1.2 (it echoes each record it gets as one record).
    static func gnutlsServ(_ extra: [String] = []) async throws -> (PeerProcess, Int) {
        let f = InteropFiles.shared
        return try await GnuTLSPeer.launchServer(
            ["--echo", "--x509certfile", f.serverCert, "--x509keyfile", f.serverKey, priority] + extra,
            udp: true)
    }

    /// Writes each message and reads it back: one read returns exactly one echoed message.
    static func echo(_ c: DTLSConnection, _ messages: [String], _ peer: String) async throws {
        for m in messages {
            try await c.write(m)
            let back = try await c.read(timeout: .seconds(10)).map { String(decoding: $0, as: UTF8.self) }
            try check(
                back == m, "\(peer) echoed one message of \(m.utf8.count) bytes; got \(back.map { "\($0.utf8.count) bytes: \($0.prefix(60))" } ?? "none")")
        }
    }

    /// Messages up to 254 bytes: gnutls-serv's UDP echo reads each record into a small buffer and sends back
    /// only its first 254 bytes (measured with gnutls-serv 3.7.9: a 900-byte message came back as 254 bytes).
    static func messages(_ tag: String) -> [String] {
        ["first \(tag)", "second \(tag), a little longer", String(repeating: "x", count: 254), "last \(tag)"]
    }

    /// Our client against `gnutls-serv --udp --echo` (which runs the cookie exchange first): version, cipher, echoes.
    /// (gnutls-serv's UDP mode prints its per-connection lines on a block-buffered stdout, so they are not waited for.)
    package static func clientAgainstServ(cipher: String?, ipv6: Bool) async throws -> [String: String] {
        let (server, port) = try await gnutlsServ()
        defer { server.stop() }
        var config = pki.clientConfiguration()
        config.cipherList = cipher
        let c = try await DTLS.connect(host: ipv6 ? "::1" : "127.0.0.1", port: port, serverName: "localhost", context: DTLS.context(config))
        try checkEqual(c.version, .dtls1_2, "version negotiated with gnutls-serv")
        if let cipher { try checkEqual(c.cipher, cipher, "cipher negotiated with gnutls-serv") }
        try await echo(c, messages(ipv6 ? "v6" : "v4"), "gnutls-serv")
        await c.close()
        return ["version": "\(c.version)", "cipher": c.cipher]
    }

    /// Our client with a certificate against `gnutls-serv --require-client-cert --verify-client-cert` (mTLS).
    package static func mutualTLSWithServ() async throws -> [String: String] {
        let f = InteropFiles.shared
        let (server, port) = try await gnutlsServ(["--require-client-cert", "--verify-client-cert", "--x509cafile", f.ca])
        defer { server.stop() }
        var config = pki.clientConfiguration()
        config.certificateChain = .certificates([pki.client.certificate])
        config.privateKey = .key(pki.client.privateKey)
        let c = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: DTLS.context(config))
        try checkEqual(c.version, .dtls1_2, "version negotiated with gnutls-serv (mTLS)")
        try await echo(c, messages("mtls"), "gnutls-serv (mTLS)")
        await c.close()
        return ["version": "\(c.version)", "cipher": c.cipher]
    }

    /// Our client resumes with gnutls-serv (it serves one DTLS client at a time, then waits for the next).
    package static func clientResumesWithServ() async throws -> [String: String] {
        let (server, port) = try await gnutlsServ()
        defer { server.stop() }
        let context = try DTLS.context(pki.clientConfiguration())
        let first = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context)
        try checkEqual(first.sessionReused, false, "first handshake is full")
        try await echo(first, ["before resumption"], "gnutls-serv")
        let session = try first.session ?? { throw CheckFailure(message: "no session from gnutls-serv", file: #fileID, line: #line) }()
        await first.close()
        let second = try await DTLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context, session: session)
        try checkEqual(second.sessionReused, true, "resumed with gnutls-serv")
        try await echo(second, ["after resumption"], "gnutls-serv")
        await second.close()
        return ["version": "\(second.version)", "cipher": second.cipher, "reused": "\(second.sessionReused)"]
    }

    /// `gnutls-cli --udp` arguments for our server on `port`.
    static func cliArguments(port: Int, mutual: Bool, extra: [String] = []) -> [String] {
        let f = InteropFiles.shared
        var args =
            [
                "--udp", "-p", "\(port)", "127.0.0.1", "--sni-hostname=localhost", "--verify-hostname=localhost",
                "--x509cafile", f.ca, priority,
            ] + extra
        if mutual { args += ["--x509certfile", f.clientCert, "--x509keyfile", f.clientKey] }
        return args
    }

    /// Sends each line to gnutls-cli and waits for our server's echo (gnutls-cli does not echo stdin locally),
    /// then closes its input; checks it exited 0 and returns its `- Description: (DTLS1.2-…)` lines
    /// after checking they all name DTLS 1.2.
    static func converse(_ client: PeerProcess, lines: [String]) async throws -> [String] {
        for line in lines {
            client.send(line + "\n")
            _ = try await client.waitFor("\\n\(line)\\n", timeout: .seconds(10))
        }
        client.closeInput()
        let status = await client.wait(timeout: .seconds(10))
        await client.waitForOutputEnd()
        try check(status == 0, "gnutls-cli exited \(status):\n\(client.output.suffix(1500))")
        try check(client.output.contains("- Status: The certificate is trusted."), "gnutls-cli verified our certificate")
        // e.g. "- Description: (DTLS1.2-X.509)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-256-GCM)", one per connection
        let descriptions = client.output.components(separatedBy: "\n- Description: ").dropFirst().map { String($0.prefix { $0 != "\n" }) }
        try check(!descriptions.isEmpty, "gnutls-cli printed its session description:\n\(client.output.suffix(1500))")
        let versions = descriptions.map { Interop.capture("^\\((D?TLS[0-9.]+)-", $0) ?? $0 }
        try checkEqual(Set(versions), ["DTLS1.2"], "version in gnutls-cli's descriptions \(descriptions)")
        return descriptions
    }

    /// `gnutls-cli --udp` against our echo server (cookie exchange; with `mutual`, a required client certificate).
    package static func cliAgainstServer(mutual: Bool) async throws -> [String: String] {
        var config = pki.serverConfiguration()
        if mutual { config.clientAuthentication = .required }
        let server = try await DTLSEchoServer(configuration: config)
        defer { Task { await server.close() } }
        let client = try PeerProcess("gnutls-cli", cliArguments(port: server.port, mutual: mutual))
        defer { client.stop() }
        let descriptions = try await converse(client, lines: ["ping 1 from gnutls-cli", "ping 2 from gnutls-cli", "ping 3 from gnutls-cli"])
        if mutual { try check(client.output.contains("Successfully sent 1 certificate(s) to server"), "gnutls-cli sent its certificate") }
        try check(server.server.helloVerifyRequestsSent >= 1, "gnutls-cli went through the cookie exchange")
        try checkEqual(server.server.handshakeFailures.count, 0, "handshake failures")
        try await DTLSBehaviour.waitUntil("the session ends with gnutls-cli's close_notify") { server.server.sessionCount == 0 }
        return ["gnutls-cli-printed": descriptions.joined(separator: " | ")]
    }

    /// `gnutls-cli --udp` without a certificate against our server requiring one: refused on both sides.
    package static func cliWithoutCertificateRefused() async throws -> [String: String] {
        var config = pki.serverConfiguration()
        config.clientAuthentication = .required
        let server = try await DTLS.listen(port: 0, context: DTLS.context(config))
        defer { Task { await server.close() } }
        let client = try PeerProcess("gnutls-cli", cliArguments(port: server.port!, mutual: false))
        defer { client.stop() }
        let status = await client.wait(timeout: .seconds(10))
        await client.waitForOutputEnd()
        try check(status != 0, "gnutls-cli without a certificate exited \(status):\n\(client.output.suffix(1500))")
        let said = Interop.capture("\\*\\*\\* (Fatal error: [^\\n]+|Handshake has failed[^\\n]*)", client.output) ?? "?"
        try check(said != "?", "gnutls-cli reported the refusal:\n\(client.output.suffix(1500))")
        try await DTLSBehaviour.waitUntil("our server counted the failed handshake") { !server.handshakeFailures.isEmpty }
        return ["gnutls-cli-said": said, "jsec-said": server.handshakeFailures.first.map { "\($0)" } ?? "?"]
    }

    /// `gnutls-cli --udp --resume` against our server: the second connection is resumed on both sides.
    package static func cliResumes() async throws -> [String: String] {
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
        defer { Task { await server.close() } }
        let client = try PeerProcess("gnutls-cli", cliArguments(port: server.port!, mutual: false, extra: ["--resume"]))
        defer { client.stop() }
        var reused: [Bool] = []
        for _ in 0..<2 {
            let s = try await server.accept(timeout: .seconds(10))
            reused.append(s.sessionReused)
            Task {  // echo until gnutls-cli disconnects (it reads stdin only on the resumed connection)
                while let m = try? await s.read(timeout: .seconds(10)) { try? await s.write(m) }
                await s.close()
            }
        }
        let descriptions = try await converse(client, lines: ["line over the resumed session"])
        try checkEqual(reused, [false, true], "our server's sessionReused for gnutls-cli's two connections")
        try check(client.output.contains("*** This is a resumed session"), "gnutls-cli says its second session is resumed")
        return ["gnutls-cli-printed": descriptions.joined(separator: " | "), "jsec-reused": "\(reused)"]
    }

    /// `gnutls-cli --udp --mtu` against our server with the same ``DTLSOptions/mtu``, through a counting relay:
    /// no datagram either way exceeds it, and a line gets echoed.
    package static func cliSmallMTU(_ mtu: Int) async throws -> [String: String] {
        var options = DTLSOptions()
        options.mtu = mtu
        let server = try await DTLSEchoServer(options: options)
        defer { Task { await server.close() } }
        let relay = try await LossyUDPRelay(to: try SocketAddress(ipAddress: "127.0.0.1", port: server.port), dropRate: 0, seed: 1)
        defer { Task { await relay.close() } }
        let client = try PeerProcess("gnutls-cli", cliArguments(port: relay.port, mutual: false, extra: ["--mtu", "\(mtu)"]))
        defer { client.stop() }
        let descriptions = try await converse(client, lines: ["small mtu \(mtu)"])
        try check(relay.largestDatagram <= mtu, "largest datagram \(relay.largestDatagram) fits the mtu \(mtu)")
        try check(relay.counts.forwarded > 6, "the handshake was fragmented (\(relay.counts.forwarded) datagrams)")
        return ["gnutls-cli-printed": descriptions.joined(separator: " | "), "largest-datagram": "\(relay.largestDatagram)"]
    }
}
