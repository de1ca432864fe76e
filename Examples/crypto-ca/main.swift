// crypto-ca: a private PKI in a directory — root → intermediate → server and client leaves, a revoked
// leaf, a CRL and an OCSP response — then checks it the way openssl would.
//
//   swift run crypto-ca OUTDIR
//   openssl verify -CAfile OUTDIR/root.pem -untrusted OUTDIR/intermediate.pem OUTDIR/server.pem
//   openssl verify -crl_check -CAfile OUTDIR/root.pem -untrusted OUTDIR/intermediate.pem -CRLfile OUTDIR/crl.pem OUTDIR/revoked.pem
import Foundation
import JSecCrypto

let out = CommandLine.arguments.dropFirst().first ?? "pki"
do {
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    func save(_ name: String, _ text: String) throws { try text.write(toFile: "\(out)/\(name)", atomically: true, encoding: .utf8) }

    let root = try CertificateAuthority.createRoot(subject: DistinguishedName(commonName: "Example Root CA", organization: "Example"), keyType: .ecP384)
    let intermediate = try root.createIntermediate(
        subject: DistinguishedName(commonName: "Example Issuing CA", organization: "Example"),
        serial: 100, trackIssued: true)
    let server = try intermediate.issue(CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server))
    // A client certificate from a CSR, as a client would request it.
    let clientKey = try PrivateKey.generate(.ecP256)
    let csr = try CertificateSigningRequest.generate(key: clientKey, subject: DistinguishedName(commonName: "client-1", organization: "Example"))
    let client = try intermediate.sign(csr, usage: .client)
    let revoked = try intermediate.issue(CertificateRequest(commonName: "revoked.localhost", dnsNames: ["revoked.localhost"], usage: .server))
    try intermediate.revoke(revoked.certificate, reason: .keyCompromise)
    let crl = try intermediate.generateCRL(daysValid: 7)

    try save("root.pem", root.certificate.pem)
    try save("intermediate.pem", intermediate.certificate.pem)
    try save("server.pem", server.certificate.pem + intermediate.certificate.pem)
    try save("server-key.pem", server.privateKey.pem)
    try save("client.pem", client.pem)
    try save("client-key.pem", try clientKey.pem(password: "client"))
    try save("revoked.pem", revoked.certificate.pem)
    try save("crl.pem", crl.pem)
    let request = try OCSPRequest.create(for: revoked.certificate, issuer: intermediate.certificate)
    try Data(try intermediate.ocspResponse(to: request).der).write(to: URL(fileURLWithPath: "\(out)/revoked-ocsp.der"))

    for (name, cert, purpose) in [
        ("server", server.certificate, CertificatePurpose.serverAuth), ("client", client, .clientAuth),
        ("revoked", revoked.certificate, .serverAuth),
    ] {
        let result = try CertificateVerifier.verify(
            cert, intermediates: [intermediate.certificate], roots: [root.certificate],
            options: ChainVerificationOptions(purpose: purpose, crls: [crl]))
        print("\(name): serial \(cert.serialNumberHex), \(result.isValid ? "valid" : "INVALID (\(result.error ?? "?"))")")
    }
    print("wrote root, intermediate, server, client, revoked certificates, crl.pem and revoked-ocsp.der to \(out)/")
} catch {
    print("error: \(error)")
    exit(1)
}
