// starttls: SMTP-style STARTTLS. A toy SMTP server answers EHLO (offering STARTTLS), then upgrades the
// same TCP connection to TLS; the client says EHLO, STARTTLS, upgrades, and says EHLO again over TLS.
// No byte is lost or duplicated across the upgrade, whichever side reads ahead.
//
//   swift run starttls                   # toy server and client in one process, the dialogue printed
//   swift run starttls --tls-version 1.2
import ArgumentParser
import Foundation
import JSec

@main
struct StartTLS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a STARTTLS upgrade (SMTP style) with JSec.")

    @Option(help: "TLS version: 1.2 or 1.3 (default: negotiate).") var tlsVersion: String?

    func run() async throws {
        let identity = try CertificateBuilder.selfSigned(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        var serverConfig = TLSConfiguration.server(identity)
        var clientConfig = TLSConfiguration.client(trustRoots: .certificates([identity.certificate]))
        if let v = tlsVersion {
            let version = try TLSVersion(parsing: v)
            for c in [\TLSConfiguration.minimumVersion, \.maximumVersion] { serverConfig[keyPath: c] = version; clientConfig[keyPath: c] = version }
        }
        let serverContext = try TLSContext(serverConfig)
        let listener = try await NetListener.listen(host: "127.0.0.1", port: 0)  // plain TCP: TLS comes later
        print("toy SMTP server on 127.0.0.1:\(listener.port!)")
        let server = Task { try await ToySMTPServer.serve(try await listener.accept(timeout: .seconds(10)), tls: serverContext) }

        let stream = try await NetStream.connect(host: "127.0.0.1", port: listener.port!, timeout: .seconds(10))
        var lines = LineReader(stream)
        try await lines.expect("220")  // greeting
        try await send(stream, "EHLO client.example")
        let ehlo = try await lines.reply()
        guard ehlo.contains(where: { $0.hasSuffix("STARTTLS") }) else { throw ValidationError("server does not offer STARTTLS") }
        try await send(stream, "STARTTLS")
        try await lines.expect("220")  // "Ready to start TLS"
        try await TLS.upgrade(stream, asClientOf: "localhost", context: TLSContext(clientConfig))
        print("-- upgraded: \(stream.tls!.version) \(stream.tls!.cipher); the same stream object, now encrypted --")
        lines = LineReader(stream)  // anything read before the upgrade is void (RFC 3207)
        try await send(stream, "EHLO client.example")
        _ = try await lines.reply()
        try await send(stream, "QUIT")
        try await lines.expect("221")
        _ = try? await stream.readAll(timeout: .seconds(5))  // let the server close first (its close_notify)
        print("-- the server closed the connection \(stream.tls?.peerClosure == .closeNotify ? "cleanly (close_notify)" : "without close_notify") --")
        await stream.close()
        try await server.value
        await listener.close()
    }

    func send(_ stream: NetStream, _ line: String) async throws {
        print("C: \(line)")
        try await stream.write(line + "\r\n")
    }
}

/// Reads CRLF-terminated lines and SMTP replies (`250-…` continues, `250 …` ends).
struct LineReader {
    let stream: NetStream
    var buffer: [UInt8] = []
    init(_ stream: NetStream) { self.stream = stream }

    mutating func line() async throws -> String {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                buffer.removeSubrange(...nl)
                return line
            }
            guard let more = try await stream.read(max: 1024, timeout: .seconds(10)) else {
                throw JSecError(.closed, "the connection ended in the middle of a line", code: .jsec(.closed))
            }
            buffer += more
        }
    }

    /// One SMTP reply (all its lines), printed as it arrives.
    mutating func reply(prefix: String = "S: ") async throws -> [String] {
        var all: [String] = []
        while true {
            let l = try await line()
            print(prefix + l)
            all.append(l)
            if l.count < 4 || l[l.index(l.startIndex, offsetBy: 3)] != "-" { return all }
        }
    }

    mutating func expect(_ code: String) async throws {
        let r = try await reply()
        guard r.last?.hasPrefix(code) == true else { throw UnexpectedReply(description: "expected \(code), got \(r.last ?? "nothing")") }
    }
}

/// The peer answered with another SMTP reply code than the dialogue expects (an application error, not JSec's).
struct UnexpectedReply: Error, CustomStringConvertible {
    let description: String
}

/// A toy SMTP server: greeting, EHLO, STARTTLS (then TLS on the same connection), EHLO, QUIT.
enum ToySMTPServer {
    static func serve(_ stream: NetStream, tls: TLSContext) async throws {
        var lines = LineReader(stream)
        try await stream.write("220 toy.example ESMTP ready\r\n")
        while true {
            let command = try await lines.line()
            let verb = command.split(separator: " ").first.map { $0.uppercased() } ?? ""
            switch verb {
            case "EHLO":
                let secure = stream.tls != nil
                try await stream.write(
                    "250-toy.example greets you\(secure ? " over \(stream.tls!.version)" : "")\r\n"
                        + (secure ? "" : "250-STARTTLS\r\n") + "250 SIZE 10240000\r\n")
            case "STARTTLS" where stream.tls == nil:
                try await stream.write("220 Ready to start TLS\r\n")
                try await TLS.upgrade(stream, asServerWith: tls)
                lines = LineReader(stream)
            case "QUIT":
                try await stream.write("221 Bye\r\n")
                try? await stream.shutdown()  // the client may already have closed: nothing left to tell it
                await stream.close()
                return
            default:
                try await stream.write("502 Command not implemented\r\n")
            }
        }
    }
}
