// https-server: a tiny HTTP/1.1 server over TLS that answers every GET with a fixed body
// (one request per connection, `Connection: close`). Used by the curl interop suite.
//
//   swift run https-server --self-signed --port 8443
//   curl -k https://127.0.0.1:8443/
//   swift run https-server --cert cert.pem --key key.pem --client-ca ca.pem --port 8443   # mTLS
import ArgumentParser
import Foundation
import JSec

@main
struct HTTPSServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A minimal HTTPS (HTTP/1.1 over TLS) server built on JSec.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one; the URL is printed at start).") var port = 8443
    @Option(help: "Certificate chain (PEM file).") var cert: String?
    @Option(help: "Private key (PEM file) for --cert.") var key: String?
    @Flag(help: "Generate a self-signed certificate for localhost/127.0.0.1 at start.") var selfSigned = false
    @Option(help: "Only this TLS version: 1.2 or 1.3 (default: both).") var tlsVersion: String?
    @Option(help: "ALPN protocols to accept, comma-separated (e.g. http/1.1).") var alpn: String?
    @Option(help: "Require a client certificate chaining to this CA (PEM file): mTLS.") var clientCA: String?
    @Option(help: "The response body.") var body = "Hello from jsec https-server\n"
    @Option(help: "Stop after this many connections (0: serve forever).") var maxConnections = 0
    @Option(help: "Seconds a client has to send its whole request (a slow drip does not extend it).") var requestTimeout = 30.0
    @Option(help: "Close a connection after this many seconds without traffic (0: never).") var idleTimeout = 60.0

    func run() async throws {
        let context = try makeContext()
        guard requestTimeout > 0, requestTimeout.isFinite else { throw ValidationError("--request-timeout must be a number of seconds > 0") }
        guard idleTimeout >= 0, idleTimeout.isFinite else { throw ValidationError("--idle-timeout must be a number of seconds >= 0") }
        let idle: Duration? = idleTimeout > 0 ? .milliseconds(Int64(idleTimeout * 1000)) : nil
        let deadline = Duration.milliseconds(Int64(requestTimeout * 1000))
        let listener = try await TLS.listen(host: host, port: port, context: context, idleTimeout: idle)
        say("https-server: listening on https://\(host):\(listener.port ?? port)/")
        var served = 0
        try await withThrowingDiscardingTaskGroup { group in
            for try await stream in listener {
                served += 1
                if maxConnections > 0 && served >= maxConnections { await listener.close() }
                let body = self.body
                group.addTask { await Self.serve(stream, body: body, requestTimeout: deadline) }
            }
        }
        for failure in listener.handshakeFailures { say("handshake failed: \(failure)") }
    }

    /// Reads the request head until a blank line ("\r\n\r\n", or a bare "\n\n" as real servers accept), within
    /// `requestTimeout` in all: each read waits only for what is left of it, so a byte every few seconds cannot hold
    /// the connection. A client that runs out of time gets 408 and the connection is closed.
    static func readRequest(_ stream: NetStream, requestTimeout: Duration) async throws -> [UInt8]? {
        let deadline = ContinuousClock.now + requestTimeout
        var request: [UInt8] = []
        while request.count < 65_536, !request.ends(with: Array("\r\n\r\n".utf8)), !request.ends(with: Array("\n\n".utf8)) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            do {
                guard let part = try await stream.read(max: 4096, timeout: left) else { break }
                request += part
            } catch let e as JSecError where e.category == .timeout {
                return nil
            }
        }
        return request
    }

    static func serve(_ stream: NetStream, body: String, requestTimeout: Duration) async {
        if let tls = stream.tls {
            say(
                "connection: \(tls.version) \(tls.cipher) alpn=\(tls.alpn ?? "none") reused=\(tls.sessionReused)"
                    + " client=\(tls.info.peerCertificates.first?.subject ?? "none")")
        }
        do {
            guard let request = try await readRequest(stream, requestTimeout: requestTimeout) else {
                say("request: timed out after \(requestTimeout) -> 408 Request Timeout")
                try? await stream.write("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", timeout: .seconds(5))
                await stream.close()
                return
            }
            let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
            let method = line.split(separator: " ").first.map(String.init) ?? ""
            let (status, text) = method == "GET" ? ("200 OK", body) : ("405 Method Not Allowed", "only GET\n")
            say("request: \(line) -> \(status)")
            try await stream.write(
                "HTTP/1.1 \(status)\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n"
                    + "Connection: close\r\n\r\n\(text)")
            // The client may already be gone once it has Content-Length bytes (curl closes at once): nothing to tell it.
            try? await stream.shutdown()
        } catch {
            say("connection error: \(error)")
        }
        await stream.close()
    }

    func makeContext() throws -> TLSContext {
        var config: TLSConfiguration
        if selfSigned {
            config = .server(
                try CertificateBuilder.selfSigned(
                    commonName: "localhost", dnsNames: ["localhost"],
                    ipAddresses: ["127.0.0.1", "::1"], keyType: .ecP256))
        } else if let cert, let key {
            config = .server(certificateChain: .file(cert), privateKey: .file(key))
        } else {
            throw ValidationError("give --cert and --key, or --self-signed")
        }
        if let v = tlsVersion {
            config.minimumVersion = try TLSVersion(parsing: v)
            config.maximumVersion = config.minimumVersion
        }
        if let alpn { config.applicationProtocols = alpn.split(separator: ",").map(String.init) }
        if let clientCA {
            config.clientAuthentication = .required
            config.trustRoots = .file(clientCA)
        }
        return try TLSContext(config)
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// Prints a line unbuffered, so a test reading stdout sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
