import Assay
import Foundation
import JSec

/// `curl` (libcurl on OpenSSL) against our `Examples/https-server`, run as built.
package enum CurlInterop {
    package static var unavailableReason: String? {
        PeerProcess.which("curl") == nil ? "curl not installed (Debian: apt-get install curl)" : nil
    }
    package static let version: String = Interop.versionLine("curl")

    /// curl fetches `/` (twice for resumption: the server closes after each response, so curl reconnects
    /// and offers its session), verifying with `--cacert`; with mTLS it presents `--cert/--key`.
    package static func againstHTTPSServer(version: TLSVersion, feature: InteropFeature) async throws -> InteropOutcome {
        let files = InteropFiles.shared
        let n = feature.connections
        var serverArgs = [
            "--port", "0", "--cert", files.serverCert, "--key", files.serverKey,
            "--tls-version", version == .tls1_2 ? "1.2" : "1.3", "--max-connections", "\(n)",
        ]
        if feature == .alpn { serverArgs += ["--alpn", "http/1.1"] }
        if feature == .mtls { serverArgs += ["--client-ca", files.ca] }
        let server = try PeerProcess(try ExamplePrograms.path("https-server"), serverArgs)
        defer { server.stop() }
        let port = try await server.waitFor("listening on https://127\\.0\\.0\\.1:(\\d+)/")

        let url = "https://localhost:\(port)/"
        var args = [
            "-sS", "-v", "--resolve", "localhost:\(port):127.0.0.1", "--cacert", files.ca, "--max-time", "10",
            "-w", "\\nRESULT verify=%{ssl_verify_result} http=%{http_version} code=%{http_code}\\n",
        ]
        args += version == .tls1_2 ? ["--tlsv1.2", "--tls-max", "1.2"] : ["--tlsv1.3"]
        if feature == .mtls { args += ["--cert", files.clientCert, "--key", files.clientKey] }
        let curl = try PeerProcess("curl", args + Array(repeating: url, count: n))
        defer { curl.stop() }
        curl.closeInput()
        let status = await curl.wait(timeout: .seconds(20))
        await curl.waitForOutputEnd()
        let out = curl.output
        try check(status == 0, "curl exited \(status):\n\(out.suffix(2000))")

        // What curl saw: body, verify result, HTTP version, TLS version, ALPN, session reuse.
        try checkEqual(out.components(separatedBy: "Hello from jsec https-server").count - 1, n, "bodies curl received")
        let results = out.split(separator: "\n").filter { $0.hasPrefix("RESULT ") }
        try checkEqual(
            results.map(String.init), Array(repeating: "RESULT verify=0 http=1.1 code=200", count: n),
            "curl's -w '%{ssl_verify_result} %{http_version} %{http_code}'")
        let segments = out.components(separatedBy: "*   Trying 127.0.0.1:").dropFirst()
        try checkEqual(segments.count, n, "connections curl made")
        var theirs: [ConnectionFacts] = []
        for s in segments {
            let v = Interop.capture("\\* SSL connection using (TLSv1\\.[23])", s)
            theirs.append(
                ConnectionFacts(
                    version: v, alpn: Interop.capture("\\* ALPN: server accepted ([^\\n]+)", s),
                    reused: s.contains("* SSL re-using session ID"),
                    peerCommonName: Interop.capture("\\*  subject: CN=([^,\\n]+)", s)))
            try check(s.contains("SSL certificate verify ok."), "curl verified our certificate")
        }

        // What our server saw (its log lines), once it has served all connections and exited.
        await server.wait(timeout: .seconds(10))
        await server.waitForOutputEnd()
        let ours = server.output.split(separator: "\n").filter { $0.hasPrefix("connection: ") }.map { line -> ConnectionFacts in
            let l = String(line)
            let client = Interop.capture("client=CN=([^,\\s]+)", l)
            let alpn = Interop.capture("alpn=(\\S+)", l)
            return ConnectionFacts(
                version: Interop.capture("^connection: (\\S+)", l), alpn: alpn == "none" ? nil : alpn,
                reused: Interop.capture("reused=(\\S+)", l) == "true", peerCommonName: client)
        }
        try checkEqual(server.output.components(separatedBy: "-> 200 OK").count - 1, n, "requests our server answered")
        try check(
            !server.output.contains("connection error:") && !server.output.contains("handshake failed:"),
            "https-server reported an error:\n\(server.output.suffix(1000))")
        let outcome = InteropOutcome(ours: ours, theirs: theirs)
        // curl offers h2,http/1.1 whatever the case; the server without --alpn negotiates none.
        try InteropScenario.checkOutcome(outcome, version: version, feature: feature, oursIsClient: false, peer: "curl")
        return outcome
    }
}

package let curlSuite = Suite(
    "curl", category: "integration",
    description: "curl against the https-server example: TLS 1.2/1.3, --cacert, mTLS (--cert/--key), ALPN, session reuse",
    timeout: 90
) {
    let missing = CurlInterop.unavailableReason
    MatrixTest(
        "curl against https-server",
        matrix: .inline(["tls-version": tlsVersions, "feature": InteropFeature.allCases.map { .string($0.rawValue) }]),
        skip: missing, ensured: [["tls-version": "1.3", "feature": "mtls"]]
    ) { ctx in
        let version = try ctx.tlsVersion(), feature = try ctx.feature()
        ctx.reportPeer(CurlInterop.version, role: "curl ↔ jsec https-server example", version: version, feature: feature)
        ctx.reportOutcome(try await CurlInterop.againstHTTPSServer(version: version, feature: feature))
    }
}
