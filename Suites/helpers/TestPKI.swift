import Assay
import Foundation
import JSec

/// A private PKI for tests, generated once per process: a root CA, a server leaf for
/// localhost/127.0.0.1/::1, a client leaf, an expired server leaf, and a second, unrelated CA.
package final class TestPKI: Sendable {
    package let root: CertificateAuthority
    package let otherRoot: CertificateAuthority
    package let server: CertificateAndKey
    package let client: CertificateAndKey
    package let expiredServer: CertificateAndKey
    package let serverFromOtherCA: CertificateAndKey
    package let selfSigned: CertificateAndKey

    package static let shared: TestPKI = {
        do { return try TestPKI(keyType: .ecP256) } catch { fatalError("cannot build the test PKI: \(error)") }
    }()

    /// One PKI per key type and worker, built on first use and shared by the worker's cases
    /// (an RSA-2048 PKI is seven key generations: seconds in a debug build).
    package static let perKeyType = KeyedFixture<KeyType, TestPKI>("test PKI per key type") { try TestPKI(keyType: $0) }

    package init(keyType: KeyType) throws {
        root = try CertificateAuthority.createRoot(commonName: "JSec Test Root", keyType: keyType)
        otherRoot = try CertificateAuthority.createRoot(commonName: "Some Other Root", keyType: keyType)
        let serverReq = CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"], usage: .server)
        server = try root.issue(serverReq, keyType: keyType)
        client = try root.issue(CertificateRequest(commonName: "test-client", usage: .client), keyType: keyType)
        let past = Date().addingTimeInterval(-30 * 86_400)
        expiredServer = try root.issue(
            CertificateRequest(
                commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"],
                notBefore: past, daysValid: 10, usage: .server), keyType: keyType)
        serverFromOtherCA = try otherRoot.issue(serverReq, keyType: keyType)
        selfSigned = try CertificateBuilder.selfSigned(commonName: "localhost", ipAddresses: ["127.0.0.1"], keyType: keyType)
    }

    /// A server configuration presenting `identity` (default: the good server leaf).
    package func serverConfiguration(_ identity: CertificateAndKey? = nil) -> TLSConfiguration {
        .server(identity ?? server, trustRoots: .certificates([root.certificate]))
    }

    /// A client configuration trusting this PKI's root.
    package func clientConfiguration() -> TLSConfiguration {
        .client(trustRoots: .certificates([root.certificate]))
    }

    /// Writes `text` to a temporary file and returns its path (for peers that read files).
    package static func writeTemp(_ text: String, name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jsec-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
