// https-server: a tiny HTTP/1.1 server over TLS that answers every GET with a fixed body
// (one request per connection, `Connection: close`). Used by the curl interop suite.
// A request body (Content-Length, up to 1 MiB) is read and ignored; a head over 64 KiB gets 431, a request
// not complete within --request-timeout gets 408.
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

    /// The largest request head (request line and header fields) served; a longer one gets 431.
    static let maximumHead = 65_536
    /// The largest request body (`Content-Length`) read; a longer one gets 413.
    static let maximumBody = 1 << 20

    /// What reading a request came to.
    enum Request {
        /// The head (up to and including its blank line) and the body its `Content-Length` announced.
        case complete(head: [UInt8], body: [UInt8])
        /// The client did not send it all within the request timeout: 408.
        case timedOut
        /// No blank line within ``maximumHead`` bytes: 431.
        case headTooLarge
        /// Content-Length above ``maximumBody``: 413.
        case bodyTooLarge
        /// Content-Length that is not a number (or two that disagree): 400.
        case badLength
    }

    /// Where the head ends in `buffer` (the index after its blank line: "\r\n\r\n", or a bare "\n\n" as real servers
    /// accept), looking from `from` on.
    static func headEnd(in buffer: [UInt8], from: Int) -> Int? {
        var i = max(0, from)
        while i < buffer.count {
            if buffer[i] == 10 {
                if i + 1 < buffer.count, buffer[i + 1] == 10 { return i + 2 }
                if i + 2 < buffer.count, buffer[i + 1] == 13, buffer[i + 2] == 10 { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// The value of `Content-Length` in `head` (0 when absent); nil when it is not a number or appears twice with
    /// different values.
    static func contentLength(_ head: [UInt8]) -> Int? {
        var length: Int?
        for line in String(decoding: head, as: UTF8.self).split(whereSeparator: \.isNewline).dropFirst() {  // "\r\n" is one Character
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-length" else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty, value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber), let n = Int(value) else { return nil }
            if let length, length != n { return nil }
            length = n
        }
        return length ?? 0
    }

    /// Reads the request head until its blank line, then the body its `Content-Length` announces — starting with
    /// whatever arrived in the same reads as the head —, all within `requestTimeout`: each read waits only for what
    /// is left of it, so a byte every few seconds cannot hold the connection. A head with no blank line within
    /// ``maximumHead`` bytes is `.headTooLarge`, however the bytes arrive.
    static func readRequest(_ stream: NetStream, requestTimeout: Duration) async throws -> Request {
        let deadline = ContinuousClock.now + requestTimeout
        var buffer: [UInt8] = []
        func more() async throws -> Bool? {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            do {
                guard let part = try await stream.read(max: 4096, timeout: left) else { return false }
                buffer += part
                return true
            } catch let e as JSecError where e.category == .timeout {
                return nil
            }
        }
        var end: Int?
        var searched = 0
        while end == nil {
            end = headEnd(in: buffer, from: searched - 2)
            searched = buffer.count
            if let e = end, e > maximumHead { return .headTooLarge }
            if end != nil { break }
            guard buffer.count <= maximumHead else { return .headTooLarge }
            switch try await more() {
            case nil: return .timedOut
            case false?: return .complete(head: buffer, body: [])  // the client ended its side: answer what came
            case true?: continue
            }
        }
        let head = Array(buffer[..<end!])
        guard let length = contentLength(head) else { return .badLength }
        guard length <= maximumBody else { return .bodyTooLarge }
        while buffer.count - head.count < length {
            switch try await more() {
            case nil: return .timedOut
            case false?: return .complete(head: head, body: Array(buffer[head.count...]))
            case true?: continue
            }
        }
        return .complete(head: head, body: Array(buffer[head.count..<(head.count + length)]))
    }

    /// Sends an error status with no body and closes: half-closes, then reads (and drops) what the client is still
    /// sending for at most a second, so the answer is not lost to a reset from closing with unread bytes.
    static func refuse(_ stream: NetStream, _ status: String) async {
        try? await stream.write("HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", timeout: .seconds(5))
        try? await stream.shutdown()
        let until = ContinuousClock.now + .seconds(1)
        var dropped = 0
        while dropped < 16 << 20, case let left = until - ContinuousClock.now, left > .zero,
            let part = try? await stream.read(max: 65_536, timeout: left)
        {
            dropped += part.count
        }
        await stream.close()
    }

    static func serve(_ stream: NetStream, body: String, requestTimeout: Duration) async {
        if let tls = stream.tls {
            say(
                "connection: \(tls.version) \(tls.cipher) alpn=\(tls.alpn ?? "none") reused=\(tls.sessionReused)"
                    + " client=\(tls.info.peerCertificates.first?.subject ?? "none")")
        }
        do {
            let request: [UInt8]
            switch try await readRequest(stream, requestTimeout: requestTimeout) {
            case .timedOut:
                say("request: timed out after \(requestTimeout) -> 408 Request Timeout")
                return await refuse(stream, "408 Request Timeout")
            case .headTooLarge:
                say("request: no end of the head within \(maximumHead) bytes -> 431 Request Header Fields Too Large")
                return await refuse(stream, "431 Request Header Fields Too Large")
            case .bodyTooLarge:
                say("request: body above \(maximumBody) bytes -> 413 Content Too Large")
                return await refuse(stream, "413 Content Too Large")
            case .badLength:
                say("request: bad Content-Length -> 400 Bad Request")
                return await refuse(stream, "400 Bad Request")
            case .complete(let head, let requestBody):
                request = head
                if !requestBody.isEmpty { say("request body: \(requestBody.count) bytes") }
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

/// Prints a line unbuffered, so a test reading stdout sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
