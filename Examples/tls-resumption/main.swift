// tls-resumption: connect, export the TLS session, reconnect offering it, and print whether it resumed.
//
//   swift run tls-resumption                       # against a local echo server it starts itself
//   swift run tls-resumption --tls-version 1.2
//   openssl s_server -accept 4433 -cert cert.pem -key key.pem -rev &
//   swift run tls-resumption --port 4433 --ca cert.pem --session-file /tmp/session.json
import ArgumentParser
import Foundation
import JSec

@main
struct TLSResumption: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show TLS session resumption with JSec: export a session, resume with it.")

    @Option(help: "Server to connect to (default: a local echo server this program starts).") var host = "127.0.0.1"
    @Option(help: "Server port (default: start a local server).") var port: Int?
    @Option(help: "Name to verify the server certificate against (SNI).") var serverName = "localhost"
    @Option(help: "Trust these CA/pinned certificates (PEM file) for --port.") var ca: String?
    @Option(help: "TLS version: 1.2 or 1.3 (default: negotiate).") var tlsVersion: String?
    @Option(help: "Also write the exported session (JSON, DER inside) to this file.") var sessionFile: String?

    func run() async throws {
        var config = TLSConfiguration.client()
        var localServer: Task<Void, Error>?
        var target = port ?? 0
        if let v = tlsVersion {
            config.minimumVersion = try TLSVersion(parsing: v)
            config.maximumVersion = config.minimumVersion
        }
        if port == nil {
            // A local echo server with a fresh self-signed certificate, which the client pins.
            let identity = try CertificateBuilder.selfSigned(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
            let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(.server(identity)))
            target = listener.port!
            config.trustRoots = .certificates([identity.certificate])
            localServer = Task {
                for _ in 0..<2 {
                    let s = try await listener.accept(timeout: .seconds(10))
                    print("server: accepted \(s.tls!.version), sessionReused=\(s.tls!.sessionReused)")
                    while let d = try await s.read(max: 4096, timeout: .seconds(10)) { try await s.write(d) }
                    await s.close()
                }
                await listener.close()
            }
            print("started a local TLS echo server on 127.0.0.1:\(target)")
        } else if let ca {
            config.trustRoots = .file(ca)
        }
        let context = try TLSContext(config)

        // 1. A full handshake. With TLS 1.3 the session ticket arrives after the handshake, so read something first.
        let first = try await TLS.connect(host: host, port: target, serverName: serverName, context: context, timeout: .seconds(10))
        try await exchange(first)
        print("connection 1: \(first.tls!.version) \(first.tls!.cipher), sessionReused=\(first.tls!.sessionReused)")
        guard let session = first.tls?.session else {
            print("the server issued no session (no ticket and no session id): nothing to resume")
            throw ExitCode(1)
        }
        await first.close()

        // 2. Export: TLSSession is Codable (its DER inside), so it can be stored and loaded later.
        let json = try JSONEncoder().encode(session)
        if let sessionFile { try json.write(to: URL(fileURLWithPath: sessionFile)) }
        print("exported the session: \(session.der.count) bytes of DER, \(json.count) bytes as JSON\(sessionFile.map { " (written to \($0))" } ?? "")")
        let restored = try JSONDecoder().decode(TLSSession.self, from: json)

        // 3. Reconnect offering it.
        let second = try await TLS.connect(
            host: host, port: target, serverName: serverName, context: context,
            session: restored, timeout: .seconds(10))
        try await exchange(second)
        print("connection 2: \(second.tls!.version) \(second.tls!.cipher), sessionReused=\(second.tls!.sessionReused)")
        await second.close()
        try await localServer?.value
        if second.tls?.sessionReused != true {
            print("the server did not resume the session")
            throw ExitCode(1)
        }
    }

    /// Sends a line and reads whatever comes back first (a local echo, or e.g. `openssl s_server -rev`).
    func exchange(_ stream: NetStream) async throws {
        try await stream.write("hello from tls-resumption\n")
        do {
            if let reply = try await stream.read(max: 4096, timeout: .seconds(3)) {
                print("  reply: \(String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        } catch let e as JSecError where e.category == .timeout {
            print("  (no reply within 3 s)")
        }
    }
}
