import Foundation
import JSec

/// Interop with the `openssl` command-line peer (s_server and s_client), both roles.
package enum OpenSSLPeers {
    /// Whether the peer is installed; callers skip with this reason when it is not.
    package static var unavailableReason: String? {
        PeerProcess.which("openssl") == nil ? "openssl (the CLI) is not installed" : nil
    }

    /// Version string of the peer, for reports.
    package static let peerVersion: String = Interop.versionLine("openssl", ["version"])

    static func writeIdentity() throws -> (cert: String, key: String, ca: String) {
        let pki = TestPKI.shared
        let tag = UUID().uuidString.prefix(8)
        return (
            try TestPKI.writeTemp(pki.server.certificatePEM, name: "server-\(tag).pem"),
            try TestPKI.writeTemp(pki.server.privateKeyPEM, name: "server-key-\(tag).pem"),
            try TestPKI.writeTemp(pki.root.certificate.pem, name: "ca-\(tag).pem")
        )
    }

    /// Our client against `openssl s_server` (it echoes lines reversed with -rev), at `version`.
    package static func clientAgainstSServer(version: TLSVersion) async throws {
        let files = try writeIdentity()
        let flag = version == .tls1_3 ? "-tls1_3" : "-tls1_2"
        let server = try PeerProcess(
            "openssl",
            [
                "s_server", "-accept", "127.0.0.1:0", "-cert", files.cert, "-key", files.key,
                flag, "-rev", "-naccept", "1",
            ])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        let stream = try await TLS.connect(
            host: "127.0.0.1", port: port, serverName: "localhost",
            context: TLSContext(TestPKI.shared.clientConfiguration()))
        try checkEqual(stream.tls?.version, .tls(version), "negotiated version with s_server")
        try await stream.write("hello jsec\n")
        var got: [UInt8] = []
        while !got.contains(UInt8(ascii: "\n")), let part = try await stream.read(max: 100, timeout: .seconds(10)) { got += part }
        try checkEqual(String(decoding: got, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "cesj olleh", "s_server -rev reply")
        await stream.close()
    }

    /// `openssl s_client` against our TLS echo server: what it sends comes back.
    package static func sClientAgainstServer(version: TLSVersion) async throws {
        let files = try writeIdentity()
        var config = TestPKI.shared.serverConfiguration()
        config.minimumVersion = version
        config.maximumVersion = version
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        defer { Task { await listener.close() } }
        let echo = Task {
            let s = try await listener.accept(timeout: .seconds(10))
            while let d = try await s.read(max: 4096, timeout: .seconds(10)) { try await s.write(d) }
            await s.close()
            return s.tls?.version
        }
        let client = try PeerProcess(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(listener.port!)", "-servername", "localhost",
                "-CAfile", files.ca, "-verify_return_error", "-quiet", "-no_ign_eof",
            ])
        defer { client.stop() }
        client.send("ping from s_client\n")
        _ = try await client.waitFor("ping from s_client")
        client.closeInput()
        await client.wait()
        try checkEqual(try await echo.value, .tls(version), "version our server negotiated with s_client")
    }

    /// A peer that only speaks TLS 1.0/1.1 is refused by our client (TLS 1.2 minimum).
    package static func refusesOldTLSServer(_ flag: String) async throws {
        let files = try writeIdentity()
        let server = try PeerProcess(
            "openssl",
            [
                "s_server", "-accept", "127.0.0.1:0", "-cert", files.cert, "-key", files.key,
                flag, "-cipher", "DEFAULT:@SECLEVEL=0", "-naccept", "1",
            ])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        let e = try await checkThrowsJSec(.handshake, "connect to a \(flag)-only server") {
            _ = try await TLS.connect(
                host: "127.0.0.1", port: port, serverName: "localhost",
                context: TLSContext(TestPKI.shared.clientConfiguration()))
        }
        try check(
            e.message.lowercased().contains("protocol") || e.message.lowercased().contains("version"),
            "message names the protocol version: \(e.message)")
    }

    /// Our server refuses an `openssl s_client` that offers only TLS 1.1.
    package static func refusesOldTLSClient() async throws {
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(TestPKI.shared.serverConfiguration()))
        defer { Task { await listener.close() } }
        let client = try PeerProcess(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(listener.port!)", "-tls1_1",
                "-cipher", "DEFAULT:@SECLEVEL=0",
            ])
        client.closeInput()
        let status = await client.wait()
        try check(status != 0, "s_client -tls1_1 should fail, it exited \(status): \(client.output.suffix(500))")
        try await Task.sleep(for: .milliseconds(100))
        try check(!listener.handshakeFailures.isEmpty, "the server recorded the refused handshake")
        try checkEqual(listener.handshakeFailures.first?.category, .handshake, "category of the refusal")
    }
}

extension OpenSSLPeers {
    /// How s_client is made to resume.
    package enum ResumeMethod: String, CaseIterable, Sendable {
        /// `-reconnect`: five reconnects in one run, each offering the previous session.
        case reconnect
        /// `-sess_out FILE` on a first run, `-sess_in FILE` on a second.
        case sessionFiles = "sess-files"
    }

    /// Why `-reconnect` cannot resume TLS 1.3 (a limitation of s_client, not of the server).
    package static let reconnectTLS13Limitation =
        "s_client -reconnect (OpenSSL 3.0) reconnects without reading the TLS 1.3 NewSessionTicket, so it has nothing to offer: "
        + "all six connections print New (measured against our server); TLS 1.3 resumption is covered by -sess_out/-sess_in"

    /// `openssl s_client` resumes against our server and prints "Reused" (and our server sees sessionReused):
    /// with `-reconnect` (TLS 1.2: five reconnects) or with `-sess_out` then `-sess_in` (TLS 1.2 and 1.3).
    package static func sClientResumes(version: TLSVersion, method: ResumeMethod) async throws {
        let files = try writeIdentity()
        var config = TestPKI.shared.serverConfiguration()
        config.minimumVersion = version; config.maximumVersion = version
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        defer { Task { await listener.close() } }
        let expected = method == .reconnect ? 5 : 1
        let server = Task {
            var reused = 0
            for _ in 0...expected {
                guard let s = try? await listener.accept(timeout: .seconds(10)) else { break }
                if s.tls?.sessionReused == true { reused += 1 }
                Task {
                    while let d = try? await s.read(max: 4096, timeout: .seconds(5)) { try? await s.write(d) }; await s.close()
                }
            }
            return reused
        }
        let base = ["s_client", "-connect", "127.0.0.1:\(listener.port!)", "-servername", "localhost", "-CAfile", files.ca]
        var output = ""
        let flag = version == .tls1_2 ? "-tls1_2" : "-tls1_3"
        if method == .reconnect {
            let client = try PeerProcess("openssl", base + ["-reconnect", flag])
            client.closeInput()
            await client.wait(timeout: .seconds(20))
            await client.waitForOutputEnd()
            output = client.output
        } else {
            let sess = try TestPKI.writeTemp("", name: "sess-\(UUID().uuidString.prefix(8)).pem")
            for (i, sessFlag) in ["-sess_out", "-sess_in"].enumerated() {
                let client = try PeerProcess("openssl", base + [flag, sessFlag, sess])
                client.send("ping \(i)\n")
                _ = try await client.waitFor("ping \(i)")  // the echo (the ticket arrived before it)
                client.closeInput()
                await client.wait(timeout: .seconds(10))
                await client.waitForOutputEnd()
                output += client.output
            }
        }
        let reusedLines = output.components(separatedBy: "\n").filter { $0.hasPrefix("Reused,") }.count
        try check(reusedLines >= expected, "s_client reported \(reusedLines) reused sessions, expected \(expected):\n\(output.suffix(800))")
        await listener.close()
        let serverReused = await server.value
        try check(serverReused >= expected, "our server saw \(serverReused) resumed sessions, expected \(expected)")
    }

    /// Our client resumes a session with `openssl s_server`.
    package static func clientResumesWithSServer(version: TLSVersion) async throws {
        let files = try writeIdentity()
        let flag = version == .tls1_3 ? "-tls1_3" : "-tls1_2"
        let server = try PeerProcess("openssl", ["s_server", "-accept", "127.0.0.1:0", "-cert", files.cert, "-key", files.key, flag, "-rev", "-naccept", "2"])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        let context = try TLSContext(TestPKI.shared.clientConfiguration())
        var session: TLSSession?
        for round in 0..<2 {
            let c = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context, session: session)
            try await c.write("abc\n")
            var got: [UInt8] = []
            while !got.contains(10), let d = try await c.read(max: 100, timeout: .seconds(10)) { got += d }
            try checkEqual(c.tls?.sessionReused, round == 1, "round \(round) resumed")
            session = c.tls?.session
            await c.close()
        }
    }
}
