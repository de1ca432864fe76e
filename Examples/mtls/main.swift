// mtls: mutual TLS. A server that requires a client certificate from its CA, and clients with and
// without one. Makes its own CA, server and client certificates with JSec (or takes PEM files).
//
//   swift run mtls
//   swift run mtls --tls-version 1.2
//   swift run mtls --server-cert s.pem --server-key sk.pem --client-cert c.pem --client-key ck.pem --ca ca.pem
import ArgumentParser
import Foundation
import JSec

@main
struct MutualTLS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show mutual TLS (client certificates) with JSec.")

    @Option(help: "TLS version: 1.2 or 1.3 (default: negotiate).") var tlsVersion: String?
    @Option(help: "Server certificate (PEM file); with the other file options instead of generated certificates.") var serverCert: String?
    @Option(help: "Server private key (PEM file).") var serverKey: String?
    @Option(help: "Client certificate (PEM file).") var clientCert: String?
    @Option(help: "Client private key (PEM file).") var clientKey: String?
    @Option(help: "CA (PEM file) that issued both certificates.") var ca: String?

    func run() async throws {
        var server: TLSConfiguration, client: TLSConfiguration
        if let serverCert, let serverKey, let clientCert, let clientKey, let ca {
            server = .server(certificateChain: .file(serverCert), privateKey: .file(serverKey), clientAuthentication: .required, trustRoots: .file(ca))
            client = .client(trustRoots: .file(ca))
            client.certificateChain = .file(clientCert)
            client.privateKey = .file(clientKey)
        } else {
            let root = try CertificateAuthority.createRoot(commonName: "Example mTLS Root")
            let serverID = try root.issue(CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server))
            let clientID = try root.issue(CertificateRequest(commonName: "alice", organization: "Example Clients", usage: .client))
            print("made a root CA, a server certificate (CN=localhost) and a client certificate (\(clientID.certificate.subject))")
            // The server requires a client certificate that chains to the root; the client trusts the same root.
            server = .server(serverID, clientAuthentication: .required, trustRoots: .certificates([root.certificate]))
            client = .client(trustRoots: .certificates([root.certificate]))
            client.certificateChain = .certificates([clientID.certificate])
            client.privateKey = .key(clientID.privateKey)
        }
        if let v = tlsVersion {
            let version = try TLSVersion(parsing: v)
            for c in [\TLSConfiguration.minimumVersion, \.maximumVersion] { server[keyPath: c] = version; client[keyPath: c] = version }
        }
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        print("server: listening on 127.0.0.1:\(listener.port!), client certificates required")
        let serverTask = Task {
            let s = try await listener.accept(timeout: .seconds(10))
            let who = s.tls?.info.peerCertificates.first?.subject ?? "nobody"
            print("server: \(s.tls!.version) connection from client certificate \(who)")
            try await s.write("hello, \(s.tls?.info.peerCertificates.first?.commonName ?? "?")\n")
            await s.close()
        }

        // 1. With the client certificate: accepted.
        let stream = try await TLS.connect(
            host: "127.0.0.1", port: listener.port!, serverName: "localhost",
            context: TLSContext(client), timeout: .seconds(10))
        let greeting = try await stream.readAll(timeout: .seconds(10))
        print("client with certificate: \(stream.tls!.version), server said: \(String(decoding: greeting, as: UTF8.self).trimmingCharacters(in: .newlines))")
        await stream.close()
        try await serverTask.value

        // 2. Without one: the server refuses the handshake (TLS 1.3 reports it on the first read).
        var anonymous = client
        anonymous.certificateChain = nil
        anonymous.privateKey = nil
        do {
            let s = try await TLS.connect(
                host: "127.0.0.1", port: listener.port!, serverName: "localhost",
                context: TLSContext(anonymous), timeout: .seconds(10))
            _ = try await s.read(max: 100, timeout: .seconds(10))
            await s.close()
            print("client without certificate: unexpectedly accepted")
            throw ExitCode(1)
        } catch let e as JSecError {
            print("client without certificate: refused — \(e.category): \(e.message)")
        }
        try await Task.sleep(for: .milliseconds(100))
        if let failure = listener.handshakeFailures.first { print("server: refused a handshake — \(failure.message)") }
        await listener.close()
    }
}
