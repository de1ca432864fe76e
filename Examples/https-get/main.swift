// https-get: fetches a URL over HTTPS (HTTP/1.1) and prints the status line and body.
//
//   swift run https-get https://127.0.0.1:4433/ --ca cert.pem
import ArgumentParser
import Foundation
import JSec

@main
struct HTTPSGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fetch an https:// URL with JSec and print the status line and body.")

    @Argument(help: "The https:// URL to fetch.") var url: String
    @Option(help: "Trust these CA/pinned certificates (PEM file) instead of the system store.") var ca: String?
    @Flag(help: "Do not verify the server certificate (testing only).") var insecure = false
    @Option(help: "Seconds allowed for connecting and for each read.") var timeout = 30
    @Flag(help: "Also print the response headers.") var headers = false

    func run() async throws {
        guard let u = URL(string: url), u.scheme?.lowercased() == "https", let host = u.host else {
            throw ValidationError("expected an https:// URL, got '\(url)'")
        }
        let port = u.port ?? 443
        let path = u.path.isEmpty ? "/" : u.path + (u.query.map { "?\($0)" } ?? "")
        let config = TLSConfiguration.client(
            trustRoots: ca.map { .file($0) } ?? .system,
            verification: insecure ? .none : .fullVerification,
            applicationProtocols: ["http/1.1"])
        do {
            let stream = try await TLS.connect(host: host, port: port, configuration: config, timeout: .seconds(timeout))
            let hostHeader = u.port.map { "\(host):\($0)" } ?? host
            try await stream.write("GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: jsec-https-get\r\nConnection: close\r\n\r\n")
            let response = try await stream.readAll(timeout: .seconds(timeout))
            await stream.close()
            let text = String(decoding: response, as: UTF8.self)
            guard let headerEnd = text.range(of: "\r\n\r\n") else {
                print(text)
                throw JSecError(.protocol, "the response has no end of headers", code: .jsec(.malformedInput))
            }
            let head = text[..<headerEnd.lowerBound]
            print(head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? "")
            if headers { print(head.split(separator: "\r\n").dropFirst().joined(separator: "\n")); print() }
            print(text[headerEnd.upperBound...], terminator: "")
        } catch let error as JSecError {
            FileHandle.standardError.write(Data("https-get: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
