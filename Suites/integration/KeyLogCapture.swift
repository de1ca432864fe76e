import Assay
import Foundation
import JSec

/// Debugging as Swift servers do it: SSLKEYLOGFILE written by a JSec program lets tshark decrypt a capture
/// of its traffic (and without the file it cannot), and JSEC_LOG_LEVEL turns JSec's log lines on.
package enum KeyLogCapture {
    /// tshark, or a skip naming the package.
    static func tshark() throws -> String {
        guard let path = PeerProcess.which("tshark") else {
            throw SkipTest("tshark is not installed (Debian: tshark); .ci/run installs it")
        }
        return path
    }

    /// echo-client with SSLKEYLOGFILE talks to echo-server while tshark captures loopback; tshark then
    /// follows the TLS stream with the key log and finds the message, and without it does not.
    package static func decryptCapture(version: TLSVersion, scratch dir: String) async throws {
        let tshark = try tshark()
        let keys = dir + "/keys.log", capture = dir + "/capture.pcapng"
        let (server, port) = try await ServerLimits.startExample("echo-server", ["--self-signed"])
        defer { server.stop() }
        let sniffer = try PeerProcess(tshark, ["-i", "lo", "-f", "tcp port \(port)", "-w", capture])
        defer { sniffer.stop() }
        do {
            _ = try await sniffer.waitFor("Capturing on", timeout: .seconds(30))
        } catch {
            throw SkipTest("tshark cannot capture on lo here (needs root or CAP_NET_RAW): \(sniffer.output.suffix(300))")
        }
        let message = "keylog-\(UInt64.random(in: 0...UInt64.max))"
        let version12 = version == .tls1_2
        let client = try PeerProcess(
            try ExamplePrograms.path("echo-client"),
            ["--tls", "--insecure", "--port", "\(port)", "--tls-version", version12 ? "1.2" : "1.3", "--message", message],
            environment: ["SSLKEYLOGFILE": keys])
        defer { client.stop() }
        let status = await client.wait(timeout: .seconds(30))
        await client.waitForOutputEnd()
        try check(status == 0 && client.output.contains(message), "echo-client: exit \(status): \(client.output.suffix(500))")
        try check(client.output.contains("jsec: writing TLS secrets to '\(keys)'"), "echo-client says secrets are written: \(client.output)")
        // The key log: NSS format, the labels of the version.
        let log = try String(contentsOfFile: keys, encoding: .utf8)
        let labels = Set(log.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        let expected: Set<String> =
            version12
            ? ["CLIENT_RANDOM"]
            : ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"]
        try checkEqual(labels, expected, "key log labels")
        let attributes = try FileManager.default.attributesOfItem(atPath: keys)
        try checkEqual((attributes[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600, "key log file mode")
        // Let tshark see the end of the connection, then stop it (SIGTERM: it writes the file out).
        try await Task.sleep(for: .milliseconds(500))
        sniffer.stop()
        _ = await sniffer.wait(timeout: .seconds(10))
        func follow(_ extra: [String]) async throws -> String {
            let reader = try PeerProcess(tshark, ["-r", capture, "-q", "-z", "follow,tls,ascii,0"] + extra)
            defer { reader.stop() }
            let status = await reader.wait(timeout: .seconds(60))
            await reader.waitForOutputEnd()
            try check(status == 0, "tshark -r: exit \(status): \(reader.output.suffix(500))")
            return reader.output
        }
        let decrypted = try await follow(["-o", "tls.keylog_file:\(keys)"])
        try check(decrypted.contains(message), "tshark with the key log shows the message:\n\(decrypted.suffix(1500))")
        let opaque = try await follow([])
        try check(!opaque.contains(message), "without the key log the message stays encrypted:\n\(opaque.suffix(800))")
    }

    /// JSEC_LOG_LEVEL=debug: echo-client's handshake is logged on standard error; unset: nothing is.
    package static func logLevelFromEnvironment() async throws {
        let (server, port) = try await ServerLimits.startExample("echo-server", ["--self-signed"])
        defer { server.stop() }
        func run(_ environment: [String: String]) async throws -> String {
            let client = try PeerProcess(
                try ExamplePrograms.path("echo-client"), ["--tls", "--insecure", "--port", "\(port)", "--message", "hi"],
                environment: environment)
            defer { client.stop() }
            let status = await client.wait(timeout: .seconds(30))
            await client.waitForOutputEnd()
            try check(status == 0, "echo-client: exit \(status): \(client.output.suffix(500))")
            return client.output
        }
        let loud = try await run(["JSEC_LOG_LEVEL": "debug"])
        for line in ["jsec.role=client", "TLS handshake started", "TLS handshake completed"] {
            try check(loud.contains(line), "JSEC_LOG_LEVEL=debug logs '\(line)':\n\(loud.suffix(1500))")
        }
        let quiet = try await run(["JSEC_LOG_LEVEL": ""])
        try check(!quiet.contains("handshake"), "no JSEC_LOG_LEVEL: silent:\n\(quiet)")
        let bad = try await run(["JSEC_LOG_LEVEL": "loud"])
        try check(bad.contains("JSEC_LOG_LEVEL='loud' is not a level"), "a bad level is named:\n\(bad)")
    }
}

package let keyLogSuite = Suite(
    "keylog", category: "integration",
    description: "SSLKEYLOGFILE: tshark decrypts a capture of echo-client with the key log it wrote; JSEC_LOG_LEVEL logging",
    timeout: 120
) {
    MatrixTest("tshark decrypts with the key log", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try await KeyLogCapture.decryptCapture(version: ctx.tlsVersion(), scratch: ctx.scratchDirectory())
    }
    Test("JSEC_LOG_LEVEL") { _ in try await KeyLogCapture.logLevelFromEnvironment() }
}
