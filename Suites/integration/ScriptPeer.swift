import Foundation
import JSec

/// A peer written as two small scripts in `Suites/integration/peers/` (an echo server and a client)
/// that print `LISTENING <port>` and one `CONN version=… alpn=… reused=… …` line per connection:
/// Python's `ssl` with asyncio, and Node's `tls`.
package struct ScriptPeer: InteropPeer {
    package let name: String
    let interpreter: String
    let serverScript: String
    let clientScript: String
    let installHint: String
    let version: @Sendable () -> String

    package static let python = ScriptPeer(
        name: "python", interpreter: "python3", serverScript: "py_tls_server.py",
        clientScript: "py_tls_client.py", installHint: "apt-get install python3",
        version: { pythonVersion })
    package static let node = ScriptPeer(
        name: "node", interpreter: "node", serverScript: "node_tls_server.js",
        clientScript: "node_tls_client.js", installHint: "apt-get install nodejs",
        version: { nodeVersion })
    static let pythonVersion: String =
        Interop.versionLine("python3", ["-c", "import ssl, sys; print('Python %s (ssl: %s)' % (sys.version.split()[0], ssl.OPENSSL_VERSION))"])
    static let nodeVersion: String =
        Interop.versionLine("node", ["-p", "`node ${process.version} (OpenSSL ${process.versions.openssl})`"])

    package var unavailableReason: String? {
        PeerProcess.which(interpreter) == nil ? "\(interpreter) not installed (Debian: \(installHint))" : nil
    }
    package var versionDescription: String { version() }

    static func versionArgs(_ v: TLSVersion) -> [String] { ["--version", v == .tls1_2 ? "1.2" : "1.3"] }

    package func startServer(version: TLSVersion, feature: InteropFeature) async throws -> (process: PeerProcess, port: Int) {
        let files = InteropFiles.shared
        var args =
            [
                try Interop.peerScript(serverScript), "--cert", files.serverCert, "--key", files.serverKey,
                "--connections", "\(feature.connections)",
            ] + Self.versionArgs(version)
        if feature == .mtls { args += ["--client-ca", files.ca] }
        if feature == .alpn { args += ["--alpn", InteropFeature.serverALPN.joined(separator: ",")] }
        let server = try PeerProcess(interpreter, args)
        do {
            let port = try await server.waitFor("LISTENING (\\d+)", timeout: .seconds(15))
            return (server, Int(port)!)
        } catch { server.stop(); throw error }
    }

    package func serverFacts(_ output: String) -> [ConnectionFacts] { Interop.parseConnLines(output) }

    package func runClientWithoutCertificate(port: Int, version: TLSVersion) async throws -> (status: Int32, output: String) {
        let args = [try Interop.peerScript(clientScript), "--port", "\(port)", "--ca", InteropFiles.shared.ca] + Self.versionArgs(version)
        let client = try PeerProcess(interpreter, args)
        defer { client.stop() }
        client.closeInput()
        let status = await client.wait(timeout: .seconds(20))
        await client.waitForOutputEnd()
        return (status, client.output)
    }

    package func runClient(port: Int, version: TLSVersion, feature: InteropFeature) async throws -> [ConnectionFacts] {
        let files = InteropFiles.shared
        var args =
            [
                try Interop.peerScript(clientScript), "--port", "\(port)", "--ca", files.ca,
                "--connections", "\(feature.connections)",
            ] + Self.versionArgs(version)
        if feature == .mtls { args += ["--cert", files.clientCert, "--key", files.clientKey] }
        if feature == .alpn { args += ["--alpn", InteropFeature.clientALPN.joined(separator: ",")] }
        let client = try PeerProcess(interpreter, args)
        defer { client.stop() }
        client.closeInput()
        let status = await client.wait(timeout: .seconds(20))
        await client.waitForOutputEnd()
        try check(status == 0, "\(interpreter) client exited \(status):\n\(client.output.suffix(1500))")
        let lines = client.output.split(separator: "\n").filter { $0.hasPrefix("CONN ") }
        for (i, line) in lines.enumerated() {
            try check(line.hasSuffix("echo=\(name) line \(i)"), "\(name) client got its line back: \(line)")
        }
        return Interop.parseConnLines(client.output)
    }
}
