import Foundation
import JSec

/// Certificates, CSRs, the CA, CRLs, chain verification, OCSP, PKCS#12 and CMS: good input
/// round-trips and verifies; bad input (corrupt PEM/DER, wrong key or password, expired,
/// untrusted, revoked) is a typed error or a negative verdict, as documented.
enum CryptoPKI {
    static var pki: TestPKI { TestPKI.shared }

    /// Issue 20 item 4: a CA certificate without a subject key identifier gave a CRL without its authority key
    /// identifier, silently (an unchecked X509V3_EXT_conf_nid / X509_CRL_add_ext); it is a `.crypto` error naming it.
    static func crlWithoutAuthorityKeyIdentifier() throws {
        guard let openssl = PeerProcess.which("openssl") else { throw CheckFailure(message: "openssl CLI not installed", file: #fileID, line: #line) }
        let dir = NSTemporaryDirectory() + "jsec-noskid-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openSSLRun = Process()
        openSSLRun.executableURL = URL(fileURLWithPath: openssl)
        openSSLRun.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=No SKID CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=none", "-addext", "authorityKeyIdentifier=none",
            "-keyout", dir + "/ca.key", "-out", dir + "/ca.pem",
        ]
        openSSLRun.standardOutput = FileHandle.nullDevice
        openSSLRun.standardError = FileHandle.nullDevice
        try openSSLRun.run()
        openSSLRun.waitUntilExit()
        try checkEqual(openSSLRun.terminationStatus, 0, "openssl req made the CA")
        let ca = CertificateAuthority(
            certificate: try Certificate(pem: String(contentsOfFile: dir + "/ca.pem", encoding: .utf8)),
            privateKey: try PrivateKey(pem: String(contentsOfFile: dir + "/ca.key", encoding: .utf8)))
        try ca.revoke(serialHex: "1234", reason: .keyCompromise)
        let e = try checkThrowsJSecSync(.crypto, "a CRL from a CA without a subject key identifier") { _ = try ca.generateCRL() }
        try check(e.message.contains("authority key identifier"), "the error names what is missing: \(e.message)")
        // A CA made by JSec has a subject key identifier: its CRL is made.
        try check(!(try pki.root.generateCRL().pem.isEmpty), "a CRL from the test root")
    }

    /// Parsing, encodings and fields of a certificate; bad PEM and DER.
    static func certificates() throws {
        let leaf = pki.server.certificate
        try checkEqual(try Certificate(pem: leaf.pem).der, leaf.der, "PEM round trip")
        try checkEqual(try Certificate(der: leaf.der).pem, leaf.pem, "DER round trip")
        try checkEqual(try Certificate(bytes: Array(leaf.pem.utf8)).der, leaf.der, "detected PEM")
        try checkEqual(try Certificate.convert(leaf.der, to: .pem), Array(leaf.pem.utf8), "convert DER to PEM")
        try checkEqual(try Certificate.convert(Array(leaf.pem.utf8), to: .der), leaf.der, "convert PEM to DER")
        let chain = try Certificate.chain(pem: leaf.pem + pki.root.certificate.pem)
        try checkEqual(chain.map(\.der), [leaf.der, pki.root.certificate.der], "chain from PEM")
        let path = try TestPKI.writeTemp(leaf.pem, name: "unit-crypto-leaf.pem")
        try checkEqual(try Certificate.chain(file: path).first?.der, leaf.der, "chain from a file")
        try checkEqual(leaf.commonName, "localhost", "CN")
        try checkEqual(leaf.dnsNames, ["localhost"], "DNS SANs")
        try checkEqual(Set(leaf.ipAddresses), ["127.0.0.1", "::1"], "IP SANs")
        try check(leaf.subject.contains("localhost") && leaf.issuer.contains("JSec Test Root"), "subject \(leaf.subject), issuer \(leaf.issuer)")
        try checkEqual(leaf.issuerName.commonName, "JSec Test Root", "issuer DN")
        try checkEqual(leaf.version, 3, "X.509 v3")
        try check(leaf.isValid() && leaf.notBefore < Date() && Date() < leaf.notAfter, "validity window")
        try check(leaf.isSignatureValid(issuer: pki.root.certificate) && !leaf.isSignatureValid(issuer: pki.otherRoot.certificate), "signature check")
        try check(!leaf.isCA && pki.root.certificate.isCA && pki.root.certificate.isSelfSigned && !leaf.isSelfSigned, "CA flags")
        try checkEqual(leaf.publicKeyAlgorithm, "EC", "key algorithm")
        try checkEqual(leaf.publicKeyBits, 256, "key bits")
        try checkEqual(leaf.publicKeyInfo?.curve, "P-256", "curve")
        try check(leaf.publicKey == pki.server.privateKey.publicKey, "public key matches the private key")
        try checkEqual(leaf.sha256Fingerprint.filter(\.isHexDigit).lowercased(), try Digest.hash(.sha256, leaf.der).hexString, "SHA-256 fingerprint")
        try checkEqual(leaf.sha1Fingerprint, try Digest.hash(.sha1, leaf.der).hexString, "SHA-1 fingerprint")
        try checkEqual(leaf.fingerprintBytes(.sha384), try Digest.hash(.sha384, leaf.der), "SHA-384 fingerprint")
        try check(leaf.extendedKeyUsage.contains(.serverAuth), "EKU \(leaf.extendedKeyUsage)")
        try check(!leaf.serialNumberHex.isEmpty && !leaf.signatureAlgorithm.isEmpty && leaf.description.contains("localhost"), "serial, algorithm, description")
        try check(!pki.expiredServer.certificate.isValid(), "expired certificate is not valid now")
        try check(pki.expiredServer.certificate.isValid(at: Date().addingTimeInterval(-25 * 86_400)), "…but was valid then")
        // Bad input.
        var der = leaf.der; der.removeLast(20)
        try checkThrowsJSecSync(.crypto, "truncated DER") { _ = try Certificate(der: der) }
        try checkThrowsJSecSync(.crypto, "empty DER") { _ = try Certificate(der: []) }
        try checkThrowsJSecSync(.crypto, "garbage PEM") { _ = try Certificate(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") }
        try checkThrowsJSecSync(.crypto, "key PEM as certificate") { _ = try Certificate(pem: pki.server.privateKeyPEM) }
        try checkThrowsJSecSync(.crypto, "no certificate in a chain") { _ = try Certificate.chain(pem: "hello") }
        try checkThrowsJSecSync(.configuration, "missing chain file") { _ = try Certificate.chain(file: "/nonexistent/jsec-cert.pem") }
    }

    /// The CA: roots, intermediates, issuing, CSR signing, serials, tracking, revocation and CRLs.
    static func authority() throws {
        let subject = DistinguishedName(commonName: "Unit Root", organization: "JSec", country: "NL")
        let root = try CertificateAuthority.createRoot(subject: subject, keyType: .ecP384, serial: 100, trackIssued: true)
        try checkEqual(root.certificate.subjectName.organization, "JSec", "root subject O")
        try checkEqual(root.certificate.subjectName.country, "NL", "root subject C")
        try check(root.certificate.subjectName.rfc2253.contains("CN=Unit Root"), "RFC 2253 \(root.certificate.subjectName)")
        try check(root.isTrackingIssued && root.nextSerial == 100, "serial and tracking")
        let inter = try root.createIntermediate(commonName: "Unit Intermediate")
        try checkEqual(inter.certificate.pathLength, 0, "intermediate path length")
        let leaf = try inter.issue(CertificateRequest(commonName: "leaf.test", dnsNames: ["leaf.test"], usage: .server))
        let ok = try CertificateVerifier.verify(
            leaf.certificate, intermediates: [inter.certificate], roots: [root.certificate],
            options: ChainVerificationOptions(purpose: .serverAuth, hostname: "leaf.test"))
        try check(ok.isValid && ok.chain.count == 3 && ok.errorCode == 0, "chain verifies: \(ok.error ?? "")")
        try checkEqual(CertificateVerifier.buildChain(leaf.certificate, intermediates: [inter.certificate], roots: [root.certificate])?.count, 3, "buildChain")
        let wrongHost = try CertificateVerifier.verify(
            leaf.certificate, intermediates: [inter.certificate], roots: [root.certificate],
            options: ChainVerificationOptions(hostname: "other.test"))
        try check(!wrongHost.isValid && wrongHost.error != nil, "hostname mismatch")
        let noInter = try CertificateVerifier.verify(leaf.certificate, roots: [root.certificate])
        try check(!noInter.isValid && noInter.errorDepth == 0, "missing intermediate fails at the leaf")
        let clientPurpose = try CertificateVerifier.verify(
            leaf.certificate, intermediates: [inter.certificate], roots: [root.certificate],
            options: ChainVerificationOptions(purpose: .clientAuth))
        try check(!clientPurpose.isValid, "a server-only certificate is not a client certificate")
        let expired = try CertificateVerifier.verify(pki.expiredServer.certificate, roots: [pki.root.certificate])
        try check(!expired.isValid && (expired.error ?? "").contains("expired"), "expired: \(expired.error ?? "valid")")
        try checkThrowsJSecSync(.configuration, "no roots") { _ = try CertificateVerifier.verify(leaf.certificate, roots: []) }
        try checkEqual(try CertificatePurpose(name: "ssl-server"), .serverAuth, "purpose name")
        try checkThrowsJSecSync(.configuration, "unknown purpose") { _ = try CertificatePurpose(name: "world-domination") }
        // CSR: generate, parse, sign; a tampered CSR is refused.
        let key = try PrivateKey.generate(.ed25519)
        let csr = try CertificateSigningRequest.generate(
            key: key, subject: DistinguishedName(commonName: "csr.test"), dnsNames: ["csr.test"],
            ipAddresses: ["10.0.0.1"], emails: ["a@csr.test"])
        let parsed = try CertificateSigningRequest(pem: csr.pem)
        try check(parsed.isSignatureValid && parsed.subject.commonName == "csr.test", "CSR parses and verifies")
        try checkEqual(parsed.dnsNames, ["csr.test"], "CSR DNS names")
        try checkEqual(parsed.ipAddresses, ["10.0.0.1"], "CSR IPs")
        try checkEqual(try CertificateSigningRequest(der: csr.der).pem, csr.pem, "CSR DER round trip")
        try check(parsed.publicKey == key.publicKey, "CSR key")
        let signed = try root.sign(parsed, usage: .client, daysValid: 10)
        try check(signed.publicKey == key.publicKey && signed.isSignatureValid(issuer: root.certificate), "signed from the CSR")
        try checkEqual(root.issuedCertificates?.count, 2, "tracked issued certificates")
        try checkThrowsJSecSync(.crypto, "garbage CSR") { _ = try CertificateSigningRequest(der: [0x30, 0x03, 1, 2, 3]) }
        try checkThrowsJSecSync(.crypto, "certificate PEM as CSR") { _ = try CertificateSigningRequest(pem: root.certificate.pem) }
        // Revocation and CRL.
        try root.revoke(signed, reason: .keyCompromise)
        try checkEqual(root.revocation(serialHex: signed.serialNumberHex)?.reason, .keyCompromise, "revocation recorded")
        try checkThrowsJSecSync(.configuration, "bad serial") { try root.revoke(serialHex: "not hex") }
        let crl = try root.generateCRL(daysValid: 7)
        try check(crl.isSignatureValid(issuer: root.certificate) && !crl.isSignatureValid(issuer: inter.certificate), "CRL signature")
        try check(crl.isRevoked(signed) && !crl.isRevoked(inter.certificate), "CRL lists exactly the revoked")
        try checkEqual(crl.revoked.map(\.serialHex), [signed.serialNumberHex], "CRL entries")
        try checkEqual(try CertificateRevocationList(pem: crl.pem).der, crl.der, "CRL PEM round trip")
        try checkEqual(try CertificateRevocationList(der: crl.der).issuer.commonName, "Unit Root", "CRL issuer")
        try check(crl.nextUpdate != nil && crl.thisUpdate <= Date(), "CRL dates")
        let revokedCheck = try CertificateVerifier.verify(signed, roots: [root.certificate], options: ChainVerificationOptions(crls: [crl], crlCheck: .leaf))
        try check(!revokedCheck.isValid && (revokedCheck.error ?? "").contains("revoked"), "CRL check rejects: \(revokedCheck.error ?? "valid")")
        try checkThrowsJSecSync(.configuration, "CRL validity 0") { _ = try root.generateCRL(daysValid: 0) }
        try checkThrowsJSecSync(.crypto, "garbage CRL") { _ = try CertificateRevocationList(der: [1, 2, 3]) }
        try checkEqual(try RevocationReason(name: "key-compromise"), .keyCompromise, "reason name")
        try checkThrowsJSecSync(.configuration, "unknown reason") { _ = try RevocationReason(name: "boredom") }
    }

    /// OCSP request/response: good, revoked, unknown; a response from the wrong CA; garbage DER.
    static func ocsp() throws {
        let root = try CertificateAuthority.createRoot(commonName: "OCSP Unit Root")
        let leaf = try root.issue(CertificateRequest(commonName: "ocsp.test", usage: .server)).certificate
        let request = try OCSPRequest.create(for: leaf, issuer: root.certificate)
        try checkEqual(request.certIDs.map(\.serialHex), [leaf.serialNumberHex], "request CertID")
        try checkEqual(request.nonce?.isEmpty, false, "request nonce")
        try checkEqual(try OCSPRequest(der: request.der).der, request.der, "request DER round trip")
        let revokedAt = Date().addingTimeInterval(-3_600)
        for status in [OCSPCertificateStatus.good, .revoked(at: revokedAt, reason: .superseded), .unknown] {
            let response = try root.ocspResponse(to: request, status: status)
            try check(response.isSuccessful, "successful response")
            let reparsed = try OCSPResponse(der: response.der)
            let got = try reparsed.status(of: leaf, issuer: root.certificate, trusted: [root.certificate], request: request)
            if case .revoked(let at, let reason) = got {
                try check(abs(at.timeIntervalSince(revokedAt)) < 2 && reason == .superseded, "revoked details \(got)")
            } else {
                try checkEqual(got, status, "status")
            }
        }
        let other = try CertificateAuthority.createRoot(commonName: "Not The Responder")
        let forged = try other.ocspResponse(to: request, status: .good)
        try checkThrowsJSecSync(.verification, "response signed by another CA") {
            _ = try forged.status(of: leaf, issuer: root.certificate, trusted: [root.certificate], request: request)
        }
        try checkThrowsJSecSync(.crypto, "garbage OCSP response") { _ = try OCSPResponse(der: [0x30, 0x01, 0x00]) }
        try checkThrowsJSecSync(.crypto, "garbage OCSP request") { _ = try OCSPRequest(der: []) }
    }

    /// PKCS#12 create/parse; wrong password, truncated, mismatched key.
    static func pkcs12() throws {
        let id = pki.server
        let p12 = try PKCS12.create(
            certificate: id.certificate, privateKey: id.privateKey, chain: [pki.root.certificate],
            password: "p12pass", friendlyName: "unit")
        let parsed = try PKCS12.parse(p12, password: "p12pass")
        try checkEqual(parsed.certificate?.der, id.certificate.der, "certificate")
        try checkEqual(parsed.privateKey?.der, id.privateKey.der, "key")
        try checkEqual(parsed.chain.map(\.der), [pki.root.certificate.der], "chain")
        try checkEqual(parsed.friendlyName, "unit", "friendly name")
        try checkThrowsJSecSync(.crypto, "wrong password") { _ = try PKCS12.parse(p12, password: "wrong") }
        try checkThrowsJSecSync(.crypto, "truncated") { _ = try PKCS12.parse(Array(p12.prefix(100)), password: "p12pass") }
        try checkThrowsJSecSync(.configuration, "key of another certificate") {
            _ = try PKCS12.create(certificate: id.certificate, privateKey: pki.client.privateKey, password: "x")
        }
    }

    /// CMS sign/verify (attached, detached), encrypt/decrypt, certs-only; tampering and wrong keys.
    static func cms() throws {
        let id = pki.client
        let data = pattern(2_000, seed: 15)
        let signed = try CMS.sign(data, certificate: id.certificate, privateKey: id.privateKey, chain: [pki.root.certificate])
        let v = try CMS.verify(signed, trusted: [pki.root.certificate])
        try check(v.isValid && v.content == data && v.signers.first?.der == id.certificate.der, "attached signature: \(v.error ?? "")")
        let untrusted = try CMS.verify(signed, trusted: [pki.otherRoot.certificate])
        try check(!untrusted.isValid && untrusted.error != nil, "untrusted signer")
        let detached = try CMS.sign(data, certificate: id.certificate, privateKey: id.privateKey, detached: true)
        try check(try CMS.verify(detached, detachedContent: data).isValid, "detached signature")
        try check(try !CMS.verify(detached, detachedContent: data + [1]).isValid, "detached signature over other content")
        try checkEqual(try CMS.certificates(in: signed).count, 2, "certificates in the signature")
        let bundle = try CMS.certificatesOnly([pki.root.certificate, pki.otherRoot.certificate])
        try checkEqual(try CMS.certificates(in: bundle).map(\.der), [pki.root.certificate.der, pki.otherRoot.certificate.der], "certs-only")
        try checkThrowsJSecSync(.crypto, "garbage CMS") { _ = try CMS.verify([0x30, 0x80, 0x00]) }
        try checkThrowsJSecSync(.crypto, "garbage CMS certificates") { _ = try CMS.certificates(in: [1, 2, 3]) }
        // Encryption needs an RSA (key transport) or EC (key agreement) recipient.
        for cipher in CMSCipher.allCases {
            let enc = try CMS.encrypt(data, recipients: [id.certificate], cipher: cipher)
            try checkEqual(try CMS.decrypt(enc, certificate: id.certificate, privateKey: id.privateKey), data, "decrypt \(cipher)")
            try checkThrowsJSecSync(.crypto, "decrypt with another key (\(cipher))") {
                _ = try CMS.decrypt(enc, certificate: nil, privateKey: pki.server.privateKey)
            }
        }
        try checkThrowsJSecSync(.configuration, "no recipients") { _ = try CMS.encrypt(data, recipients: []) }
    }
}
