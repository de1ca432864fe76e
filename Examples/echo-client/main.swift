// echo-client: sends a message to an echo server and prints what comes back.
//
//   swift run echo-client --port 8443 --tls --insecure --message hello
import ArgumentParser
import Foundation
import JSec

@main
struct EchoClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "An echo client built on JSec (TLS or plain).")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server TCP port.") var port = 8443
    @Option(help: "Connect to this Unix-domain socket path instead of TCP.") var unix: String?
    @Flag(help: "Use TLS.") var tls = false
    @Option(help: "Trust these CA/pinned certificates (PEM file) instead of the system store.") var ca: String?
    @Flag(help: "Do not verify the server certificate (testing only).") var insecure = false
    @Option(help: "Name to send as SNI and check the certificate against (default: --host).") var serverName: String?
    @Option(help: "Only this TLS version: 1.2 or 1.3.") var tlsVersion: String?
    @Option(help: "ALPN protocols to offer, comma-separated.") var alpn: String?
    @Option(help: "Client certificate (PEM file) for mTLS.") var cert: String?
    @Option(help: "Client private key (PEM file) for mTLS.") var key: String?
    @Option(help: "Message to send.") var message = "hello from jsec"
    @Option(help: "How many times to send it.") var count = 1

    func run() async throws {
        let stream: NetStream
        if tls {
            var config = TLSConfiguration.client(
                trustRoots: ca.map { .file($0) } ?? .system,
                verification: insecure ? .none : .fullVerification)
            if let v = tlsVersion { let t = try TLSVersion(parsing: v); config.minimumVersion = t; config.maximumVersion = t }
            if let alpn { config.applicationProtocols = alpn.split(separator: ",").map(String.init) }
            if let cert, let key { config.certificateChain = .file(cert); config.privateKey = .file(key) }
            let context = try TLSContext(config)
            if let unix {
                stream = try await TLS.connect(unixPath: unix, serverName: serverName ?? (insecure ? nil : "localhost"), context: context)
            } else {
                stream = try await TLS.connect(host: host, port: port, serverName: serverName, context: context)
            }
            let info = stream.tls!.info
            FileHandle.standardError.write(
                Data(
                    "connected: \(info.version) \(info.cipher)\(info.alpn.map { " alpn=\($0)" } ?? "") server=\(info.peerCertificates.first?.subject ?? "?")\n"
                        .utf8))
        } else {
            stream = unix != nil ? try await NetStream.connect(unixPath: unix!) : try await NetStream.connect(host: host, port: port)
        }
        let bytes = Array(message.utf8)
        for _ in 0..<count {
            try await stream.write(bytes)
            let echoed = try await stream.chunk(bytes.count, timeout: .seconds(10))
            print(String(decoding: echoed, as: UTF8.self))
        }
        try await stream.shutdown()
        await stream.close()
    }
}
