import Foundation
import JSec

/// GnuTLS's `gnutls-serv` (echo server) and `gnutls-cli` (gnutls-bin): a TLS stack that shares no code with OpenSSL.
package struct GnuTLSPeer: InteropPeer {
    package init() {}
    package var name: String { "gnutls" }

    package var unavailableReason: String? {
        let missing = ["gnutls-serv", "gnutls-cli"].filter { PeerProcess.which($0) == nil }
        return missing.isEmpty ? nil : "\(missing.joined(separator: " and ")) not installed (Debian: apt-get install gnutls-bin)"
    }

    package static let version: String = Interop.versionLine("gnutls-cli")
    package var versionDescription: String { Self.version }

    static func priority(_ version: TLSVersion) -> String {
        "--priority=NORMAL:-VERS-ALL:+VERS-TLS\(version == .tls1_2 ? "1.2" : "1.3")"
    }

    package func startServer(version: TLSVersion, feature: InteropFeature) async throws -> (process: PeerProcess, port: Int) {
        let files = InteropFiles.shared
        var args = ["--echo", "--x509certfile", files.serverCert, "--x509keyfile", files.serverKey, Self.priority(version)]
        if feature == .mtls { args += ["--x509cafile", files.ca, "--require-client-cert", "--verify-client-cert"] }
        if feature == .alpn { args += ["--alpn=http/1.1", "--alpn-fatal"] }
        return try await Self.launchServer(args)
    }

    /// Starts `gnutls-serv` with `args` (plus `-p` and, for DTLS, `--udp`) and waits until it listens.
    /// gnutls-serv cannot bind port 0 and report it: pick a free port, retry if someone took it meanwhile.
    package static func launchServer(_ args: [String], udp: Bool = false) async throws -> (process: PeerProcess, port: Int) {
        var last = ""
        for _ in 0..<3 {
            let port = try Interop.freePort(udp: udp)
            let server = try PeerProcess("gnutls-serv", (udp ? ["--udp"] : []) + ["-p", "\(port)"] + args)
            do {
                // "Echo Server listening on IPv4 0.0.0.0 port N...done" ("UDP Echo Server …" with --udp)
                _ = try await server.waitFor("listening on IPv4 [^\\n]*port \(port)\\.\\.\\.done", timeout: .seconds(10))
                return (server, port)
            } catch {
                last = server.output
                server.stop()
            }
        }
        throw CheckFailure(message: "gnutls-serv did not start listening; it printed:\n\(last.suffix(1000))", file: #fileID, line: #line)
    }

    /// One block per `* Accepted connection`, complete once it shows `- Version:`.
    package func serverFacts(_ output: String) -> [ConnectionFacts] {
        output.components(separatedBy: "* Accepted connection from").dropFirst().compactMap { block in
            guard let v = Interop.capture("\\n- Version: (TLS[0-9.]+)", block) else { return nil }
            return ConnectionFacts(
                version: v.replacingOccurrences(of: "TLS", with: "TLSv"),
                alpn: Interop.capture("\\n- Application protocol: ([^\\n]+)", block),
                reused: block.contains("*** This is a resumed session"),
                peerCommonName: Interop.capture("\\n\\s*Subject: CN=([^,\\n]+)", block))
        }
    }

    /// `gnutls-cli` (with `--resume`: connects, disconnects, then resumes and sends the line over the second connection).
    package func runClient(port: Int, version: TLSVersion, feature: InteropFeature) async throws -> [ConnectionFacts] {
        let files = InteropFiles.shared
        var args = [
            "-p", "\(port)", "127.0.0.1", "--sni-hostname=localhost", "--verify-hostname=localhost",
            "--x509cafile", files.ca, Self.priority(version),
        ]
        if feature == .mtls { args += ["--x509certfile", files.clientCert, "--x509keyfile", files.clientKey] }
        if feature == .alpn { args += ["--alpn=x-unknown", "--alpn=http/1.1"] }
        if feature == .resumption { args.append("--resume") }
        let client = try PeerProcess("gnutls-cli", args)
        defer { client.stop() }
        let line = "gnutls line to jsec"
        client.send(line + "\n")
        _ = try await client.waitFor("\\n\(line)\\n", timeout: .seconds(10))  // the echo (stdin is not echoed locally)
        client.closeInput()
        let status = await client.wait(timeout: .seconds(10))
        await client.waitForOutputEnd()
        try check(status == 0, "gnutls-cli exited \(status):\n\(client.output.suffix(1500))")
        try check(client.output.contains("- Status: The certificate is trusted."), "gnutls-cli verified our certificate")
        return client.output.components(separatedBy: "Connecting to '").dropFirst().map { block in
            ConnectionFacts(
                version: Interop.capture("- Description: \\((TLS[0-9.]+)", block)?.replacingOccurrences(of: "TLS", with: "TLSv"),
                alpn: Interop.capture("\\n- Application protocol: ([^\\n]+)", block),
                reused: block.contains("*** This is a resumed session"),
                peerCommonName: Interop.capture("subject `CN=([^',]+)", block))
        }
    }

    package func runClientWithoutCertificate(port: Int, version: TLSVersion) async throws -> (status: Int32, output: String) {
        let client = try PeerProcess(
            "gnutls-cli",
            [
                "-p", "\(port)", "127.0.0.1", "--sni-hostname=localhost", "--verify-hostname=localhost",
                "--x509cafile", InteropFiles.shared.ca, Self.priority(version),
            ])
        defer { client.stop() }
        client.send("no certificate\n")  // TLS 1.3: the refusal arrives after the handshake, when gnutls-cli reads
        try? await Task.sleep(for: .milliseconds(300))
        client.closeInput()
        let status = await client.wait(timeout: .seconds(10))
        await client.waitForOutputEnd()
        return (status, client.output)
    }
}
