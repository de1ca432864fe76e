import Foundation
import JSec

/// `Examples/https-nio` (NIO's ServerBootstrap + JSec's public `TLSServerHandler` + NIOHTTP1), run as built, with
/// curl as the client: it verifies the server with `--cacert` against the test PKI and fetches pages over TLS.
package enum HTTPSNIOExample {
    static let body = "Hello from jsec https-nio"

    /// Starts the example on a free port (ALPN: its default, http/1.1 and http/1.0).
    static func start() throws -> PeerProcess {
        let files = InteropFiles.shared
        return try PeerProcess(
            try ExamplePrograms.path("https-nio"),
            ["--port", "0", "--cert", files.serverCert, "--key", files.serverKey])
    }

    /// Runs curl against `urls` (one curl, so it keeps the connection alive between them when the server lets it)
    /// and returns its output: bodies, `-v` lines, and one `RESULT …` line per URL.
    static func curl(_ urls: [String], port: String, version: TLSVersion, extra: [String] = []) async throws -> String {
        var args = [
            "-sS", "-v", "--resolve", "localhost:\(port):127.0.0.1", "--cacert", InteropFiles.shared.ca, "--max-time", "10",
            "-w", "\\nRESULT verify=%{ssl_verify_result} http=%{http_version} code=%{http_code} new-connections=%{num_connects}\\n",
        ]
        args += version == .tls1_2 ? ["--tlsv1.2", "--tls-max", "1.2"] : ["--tlsv1.3"]
        let curl = try PeerProcess("curl", args + extra + urls)
        defer { curl.stop() }
        curl.closeInput()
        let status = await curl.wait(timeout: .seconds(20))
        await curl.waitForOutputEnd()
        try check(status == 0, "curl exited \(status):\n\(curl.output.suffix(2000))")
        return curl.output
    }

    /// Two GETs on one keep-alive connection (HTTP/1.1, ALPN http/1.1), then one HTTP/1.0 GET, which the server
    /// answers and closes with close_notify. Checks what curl received and what the server logged.
    package static func curlFetches(version: TLSVersion) async throws {
        let server = try start()
        defer { server.stop() }
        let port = try await server.waitFor("listening on https://127\\.0\\.0\\.1:(\\d+)/")
        let base = "https://localhost:\(port)"

        // HTTP/1.1: two requests, one connection, one handshake.
        let keepAlive = try await curl(["\(base)/", "\(base)/second"], port: port, version: version)
        try checkEqual(keepAlive.components(separatedBy: body).count - 1, 2, "bodies curl received over HTTP/1.1")
        try checkEqual(
            keepAlive.split(separator: "\n").filter { $0.hasPrefix("RESULT ") }.map(String.init),
            [
                "RESULT verify=0 http=1.1 code=200 new-connections=1",
                "RESULT verify=0 http=1.1 code=200 new-connections=0",
            ], "curl's -w for the two keep-alive requests (the second reuses the connection)")
        try checkEqual(Interop.capture("\\* SSL connection using (TLSv1\\.[23])", keepAlive), version.protocolName, "TLS version curl saw")
        try checkEqual(Interop.capture("\\* ALPN: server accepted ([^\\n]+)", keepAlive), "http/1.1", "ALPN curl saw")
        try check(keepAlive.contains("SSL certificate verify ok."), "curl verified the server's certificate")
        _ = try await server.waitFor("GET /second HTTP/1\\.1 -> 200 OK \\(request 2 on this connection")
        try ExamplePrograms.expectLines(
            server.output,
            [
                "^GET / HTTP/1\\.1 -> 200 OK \\(request 1 on this connection, \(version.protocolName) \\S+, alpn=http/1\\.1, keep-alive=true\\)$",
                "^GET /second HTTP/1\\.1 -> 200 OK \\(request 2 on this connection, \(version.protocolName) \\S+, alpn=http/1\\.1, keep-alive=true\\)$",
            ], "https-nio (keep-alive)")

        // HTTP/1.0: the server answers, then closes the connection (close_notify, then FIN). curl stops reading once it
        // has the Content-Length it was told, so whether it logs the close_notify depends on timing: s_client, below,
        // reads to the end.
        let close = try await curl(["\(base)/old"], port: port, version: version, extra: ["--http1.0"])
        try checkEqual(close.components(separatedBy: body).count - 1, 1, "bodies curl received over HTTP/1.0")
        try checkEqual(
            close.split(separator: "\n").filter { $0.hasPrefix("RESULT ") }.map(String.init),
            ["RESULT verify=0 http=1 code=200 new-connections=1"], "curl's -w for the HTTP/1.0 request")
        try checkEqual(Interop.capture("\\* ALPN: server accepted ([^\\n]+)", close), "http/1.0", "ALPN curl saw (it offers only http/1.0)")
        _ = try await server.waitFor("GET /old HTTP/1\\.0 -> 200 OK \\(request 1 on this connection, [^)]*alpn=http/1\\.0, keep-alive=false\\)")

        // The server's close after an HTTP/1.0 response starts with close_notify: s_client reads until the connection ends.
        let sClient = try PeerProcess(
            "openssl",
            [
                "s_client", "-quiet", "-msg", "-connect", "127.0.0.1:\(port)", "-servername", "localhost",
                "-CAfile", InteropFiles.shared.ca, "-verify_return_error", version == .tls1_2 ? "-tls1_2" : "-tls1_3",
            ])
        defer { sClient.stop() }
        sClient.send("GET /s_client HTTP/1.0\r\nHost: localhost\r\n\r\n")
        sClient.closeInput()  // -quiet implies -ign_eof: it reads on until the server closes
        let status = await sClient.wait(timeout: .seconds(20))
        await sClient.waitForOutputEnd()
        try check(status == 0, "openssl s_client exited \(status):\n\(sClient.output.suffix(2000))")
        try ExamplePrograms.expectLines(
            sClient.output,
            [
                "^HTTP/1\\.0 200 OK", "^\(body)$",
                "^<<< TLS 1\\.[23], Alert \\[length 0002\\], warning close_notify$",
            ], "openssl s_client (HTTP/1.0)")
        try check(!server.output.contains("connection error:"), "https-nio reported an error:\n\(server.output.suffix(1000))")
    }
}
