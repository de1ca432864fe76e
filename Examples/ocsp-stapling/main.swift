// ocsp-stapling: a server that staples an OCSP response, and a client that requires a good one.
// By default everything is made here with JSec's CA API (root, server certificate, OCSP responses);
// --response staples a DER response made elsewhere, e.g. with `openssl ocsp ... -respout resp.der`.
//
//   swift run ocsp-stapling
//   swift run ocsp-stapling --tls-version 1.2
//   swift run ocsp-stapling --cert server.pem --key server-key.pem --ca ca.pem --response resp.der
import ArgumentParser
import Foundation
import JSec

@main
struct OCSPStaplingExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show OCSP stapling with JSec: staple on the server, require on the client.")

    @Option(help: "TLS version: 1.2 or 1.3 (default: negotiate).") var tlsVersion: String?
    @Option(help: "Server certificate (PEM file), with --key, --ca and --response.") var cert: String?
    @Option(help: "Server private key (PEM file).") var key: String?
    @Option(help: "CA (PEM file) that issued --cert and signed --response.") var ca: String?
    @Option(help: "DER OCSP response to staple (e.g. from openssl ocsp -respout).") var response: String?

    func run() async throws {
        if let cert, let key, let ca, let response {
            let der = Array(try Data(contentsOf: URL(fileURLWithPath: response)))
            var server = TLSConfiguration.server(certificateChain: .file(cert), privateKey: .file(key))
            server.ocspStapling = .response(der)
            let ok = try await attempt("the given response", server: server, trust: .file(ca))
            if !ok { throw ExitCode(1) }
            return
        }
        guard cert == nil, key == nil, ca == nil, response == nil else {
            throw ValidationError("--cert, --key, --ca and --response go together")
        }
        // A private CA, a server certificate, and OCSP responses about it, all made with JSec.
        let root = try CertificateAuthority.createRoot(commonName: "Example Root CA")
        let leaf = try root.issue(CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server))
        let request = try OCSPRequest.create(for: leaf.certificate, issuer: root.certificate, includeNonce: false)
        let good = try root.ocspResponse(to: request, status: .good, includeNonce: false, validity: 3600)
        let revoked = try root.ocspResponse(to: request, status: .revoked(at: Date(), reason: .keyCompromise), includeNonce: false)
        print(
            "made a root CA, a server certificate (serial \(leaf.certificate.serialNumberHex)) and two OCSP responses: good (\(good.der.count) bytes), revoked")

        var server = TLSConfiguration.server(leaf)
        server.ocspStapling = .response(good.der)
        let okGood = try await attempt("a good staple", server: server, trust: .certificates([root.certificate]))
        server.ocspStapling = .response(revoked.der)
        let okRevoked = try await attempt("a revoked staple", server: server, trust: .certificates([root.certificate]))
        server.ocspStapling = nil
        let okNone = try await attempt("no staple", server: server, trust: .certificates([root.certificate]))
        // Expected: the good staple passes; the revoked one and a missing one are refused.
        guard okGood, !okRevoked, !okNone else { throw ExitCode(1) }
        print("as expected: good staple accepted; revoked and missing staples refused")
    }

    /// Runs a server with `server` and a client with `ocspStatus = .require`; true when the handshake succeeded.
    func attempt(_ what: String, server: TLSConfiguration, trust: TrustRoots) async throws -> Bool {
        var server = server
        var client = TLSConfiguration.client(trustRoots: trust)
        client.ocspStatus = .require
        if let v = tlsVersion {
            let version = try TLSVersion(parsing: v)
            for c in [\TLSConfiguration.minimumVersion, \.maximumVersion] { server[keyPath: c] = version; client[keyPath: c] = version }
        }
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        defer { Task { await listener.close() } }
        let accepted = Task { try? await listener.accept(timeout: .seconds(5)) }
        do {
            let stream = try await TLS.connect(
                host: "127.0.0.1", port: listener.port!, serverName: "localhost",
                context: TLSContext(client), timeout: .seconds(10))
            let staple = stream.tls?.info.stapledOCSPResponse
            let status = try staple.map { try OCSPResponse(der: $0) }
                .map { try $0.status(of: stream.tls!.info.peerCertificates[0], issuer: trustAnchor(trust), trusted: [trustAnchor(trust)]) }
            print("\(what): handshake ok, \(stream.tls!.version), stapled \(staple?.count ?? 0) bytes, status \(status.map { "\($0)" } ?? "-")")
            await stream.close()
            await accepted.value?.close()
            return true
        } catch let e as JSecError {
            print("\(what): refused — \(e.category): \(e.message)")
            accepted.cancel()
            return false
        }
    }

    func trustAnchor(_ trust: TrustRoots) throws -> Certificate {
        switch trust {
        case .certificates(let c): return c[0]
        case .file(let path): return try Certificate(pem: String(contentsOfFile: path, encoding: .utf8))
        default: throw ValidationError("unsupported trust roots")
        }
    }
}
