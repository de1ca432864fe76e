import Foundation
import Testing
import JSecCrypto

/// A root → intermediate → leaf PKI made by our CA, written out for the openssl CLI.
struct TestPKI {
    let root: CertificateAuthority
    let intermediate: CertificateAuthority
    let leaf: CertificateAndKey
    let dir: TempDir

    init(rootKey: KeyType = .ecP384, leafKey: KeyType = .ecP256, usage: CertificateUsage = .server) throws {
        root = try CertificateAuthority.createRoot(
            subject: DistinguishedName(commonName: "JSec Test Root", organization: "JSec", country: "US"),
            keyType: rootKey, serial: 1)
        intermediate = try root.createIntermediate(
            subject: DistinguishedName(commonName: "JSec Test Intermediate", organization: "JSec"),
            keyType: .ecP256, serial: 1000, trackIssued: true)
        leaf = try intermediate.issue(
            CertificateRequest(
                commonName: "server.test", dnsNames: ["server.test", "www.server.test"],
                ipAddresses: ["127.0.0.1"], usage: usage), keyType: leafKey)
        dir = try TempDir()
        try dir.write("root.pem", root.certificate.pem)
        try dir.write("int.pem", intermediate.certificate.pem)
        try dir.write("leaf.pem", leaf.certificate.pem)
    }
}

@Suite struct PKITests {
    @Test func certificateDetails() throws {
        let pki = try TestPKI()
        let root = pki.root.certificate, int = pki.intermediate.certificate, leaf = pki.leaf.certificate
        #expect(root.isCA && root.pathLength == nil && root.isSelfSigned && root.version == 3)
        #expect(root.keyUsage == [.keyCertSign, .cRLSign, .digitalSignature])
        #expect(int.isCA && int.pathLength == 0 && !int.isSelfSigned)
        #expect(!leaf.isCA && leaf.extendedKeyUsage == [.serverAuth] && leaf.keyUsage == [.digitalSignature])
        #expect(root.subjectName.organization == "JSec" && root.subjectName.country == "US")
        #expect(leaf.issuerName.commonName == "JSec Test Intermediate")
        #expect(leaf.dnsNames == ["server.test", "www.server.test"] && leaf.ipAddresses == ["127.0.0.1"])
        #expect(leaf.serialNumberHex == "03E8")  // sequential serial 1000
        #expect(int.serialNumberHex == "01")
        #expect(int.signatureAlgorithm == "ecdsa-with-SHA384" && leaf.signatureAlgorithm == "ecdsa-with-SHA256")
        #expect(leaf.publicKeyInfo?.curve == "P-256")
        #expect(leaf.isSignatureValid(issuer: int) && int.isSignatureValid(issuer: root))
        #expect(!leaf.isSignatureValid(issuer: root))
        #expect(try leaf.publicKey == pki.leaf.privateKey.publicKey)
        for alg in [DigestAlgorithm.sha1, .sha256] {
            let r = try Peer.openssl(["x509", "-in", pki.dir.path("leaf.pem"), "-noout", "-fingerprint", "-\(alg.description)"])
            #expect(try r.text.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("=" + leaf.fingerprint(alg)), "\(r.text)")
        }
        #expect(try leaf.sha1Fingerprint.count == 40 && leaf.sha256Fingerprint == leaf.fingerprintBytes(.sha256).hexString)
        #expect(try Certificate(bytes: leaf.der).der == leaf.der && Certificate(bytes: Array(leaf.pem.utf8)).der == leaf.der)
        #expect(pki.intermediate.issuedCertificates?.count == 1)
    }

    @Test func chainVerification() throws {
        let pki = try TestPKI()
        let leaf = pki.leaf.certificate, int = pki.intermediate.certificate, root = pki.root.certificate
        let ok = try CertificateVerifier.verify(leaf, intermediates: [int], roots: [root], options: .init(purpose: .serverAuth, hostname: "www.server.test"))
        #expect(ok.isValid && ok.chain.count == 3, "\(ok.error ?? "")")
        #expect(try CertificateVerifier.verify(leaf, intermediates: [int], roots: [root], options: .init(hostname: "127.0.0.1")).isValid)
        let noInt = try CertificateVerifier.verify(leaf, roots: [root])
        #expect(!noInt.isValid && noInt.errorDepth == 0, "\(noInt.error ?? "")")
        #expect(try !CertificateVerifier.verify(leaf, intermediates: [int], roots: [root], options: .init(purpose: .clientAuth)).isValid)
        #expect(try !CertificateVerifier.verify(leaf, intermediates: [int], roots: [root], options: .init(purpose: .codeSigning)).isValid)
        #expect(try !CertificateVerifier.verify(leaf, intermediates: [int], roots: [root], options: .init(hostname: "other.test")).isValid)
        let late = try CertificateVerifier.verify(leaf, intermediates: [int], roots: [root], options: .init(time: Date().addingTimeInterval(400 * 86_400)))
        #expect(!late.isValid && (late.error ?? "").contains("expired"))
        #expect(try !CertificateVerifier.verify(leaf, intermediates: [int], roots: [try CertificateAuthority.createRoot().certificate]).isValid)
        #expect(CertificateVerifier.buildChain(leaf, intermediates: [int], roots: [root])?.map(\.der) == [leaf.der, int.der, root.der])
        #expect(CertificateVerifier.buildChain(leaf, intermediates: [], roots: [root]) == nil)
        // openssl accepts our chain.
        let v = try Peer.openssl([
            "verify", "-purpose", "sslserver", "-CAfile", pki.dir.path("root.pem"), "-untrusted", pki.dir.path("int.pem"), pki.dir.path("leaf.pem"),
        ])
        #expect(v.status == 0 && v.text.contains("OK"), "\(v.text) \(v.stderr)")
    }

    /// A CRL made just after a second boundary must verify at once: Date() is the precise clock
    /// but OpenSSL compares with time(), the coarse one, which can still show the previous second.
    /// (CI saw "CRL is not yet valid" from this race.) The default thisUpdate is a minute back,
    /// as a certificate's notBefore is.
    @Test func aFreshCRLIsValidAtOnce() throws {
        let pki = try TestPKI()
        try pki.intermediate.revoke(pki.leaf.certificate, reason: .keyCompromise)
        let crl0 = try pki.intermediate.generateCRL()
        #expect(crl0.thisUpdate <= Date().addingTimeInterval(-59), "thisUpdate \(crl0.thisUpdate) is not backdated")
        for _ in 0..<4 {
            // Just past a second boundary, where the coarse clock lags the precise one: sleep to a few
            // milliseconds before it, then watch the clock for the last stretch only.
            let fraction = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
            if fraction < 0.995 { usleep(useconds_t((0.995 - fraction) * 1_000_000)) }
            while Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1) > 0.0003 {}
            let crl = try pki.intermediate.generateCRL()
            let r = try CertificateVerifier.verify(
                pki.leaf.certificate, intermediates: [pki.intermediate.certificate],
                roots: [pki.root.certificate], options: .init(crls: [crl]))
            #expect((r.error ?? "").contains("revoked"), "\(r.error ?? "valid")")
        }
    }

    @Test func revocationWithCRL() throws {
        let pki = try TestPKI()
        let other = try pki.intermediate.issue(CertificateRequest(commonName: "other.test"))
        try pki.intermediate.revoke(pki.leaf.certificate, reason: .keyCompromise)
        let crl = try pki.intermediate.generateCRL()
        #expect(crl.revoked.map(\.serialHex) == [pki.leaf.certificate.serialNumberHex])
        #expect(crl.revoked.first?.reason == .keyCompromise)
        #expect(crl.isSignatureValid(issuer: pki.intermediate.certificate) && !crl.isSignatureValid(issuer: pki.root.certificate))
        #expect(crl.isRevoked(pki.leaf.certificate) && !crl.isRevoked(other.certificate))
        #expect(try CertificateRevocationList(der: crl.der).der == crl.der && CertificateRevocationList(pem: crl.pem).der == crl.der)
        let opts = ChainVerificationOptions(purpose: .serverAuth, crls: [crl])
        let r = try CertificateVerifier.verify(
            pki.leaf.certificate, intermediates: [pki.intermediate.certificate], roots: [pki.root.certificate], options: opts)
        #expect(!r.isValid && (r.error ?? "").contains("revoked"), "\(r.error ?? "")")
        #expect(
            try CertificateVerifier.verify(
                other.certificate, intermediates: [pki.intermediate.certificate], roots: [pki.root.certificate],
                options: .init(crls: [crl])
            ).isValid)
        // openssl: the revoked leaf fails with our CRL, the other one passes.
        try pki.dir.write("crl.pem", crl.pem)
        try pki.dir.write("other.pem", other.certificate.pem)
        let base = ["verify", "-crl_check", "-CAfile", pki.dir.path("root.pem"), "-untrusted", pki.dir.path("int.pem"), "-CRLfile", pki.dir.path("crl.pem")]
        let bad = try Peer.openssl(base + [pki.dir.path("leaf.pem")])
        #expect(bad.status != 0 && (bad.text + bad.stderr).contains("certificate revoked"), "\(bad.text) \(bad.stderr)")
        let good = try Peer.openssl(base + [pki.dir.path("other.pem")])
        #expect(good.status == 0, "\(good.text) \(good.stderr)")
        let text = try Peer.openssl(["crl", "-in", pki.dir.path("crl.pem"), "-noout", "-text"])
        #expect(text.text.contains("Key Compromise") && text.text.contains("CRL Number"))
    }

    @Test func csrRoundTripsAndSigning() throws {
        let pki = try TestPKI()
        for kt in [KeyType.ecP256, .rsa2048, .ed25519] {
            let key = try PrivateKey.generate(kt)
            let csr = try CertificateSigningRequest.generate(
                key: key, subject: DistinguishedName(commonName: "client.test", organization: "Org", country: "DE"),
                dnsNames: ["client.test"], ipAddresses: ["::1"])
            #expect(csr.isSignatureValid && csr.subject.country == "DE" && csr.dnsNames == ["client.test"] && csr.ipAddresses == ["::1"])
            #expect(try CertificateSigningRequest(der: csr.der).pem == csr.pem)
            try pki.dir.write("csr.pem", csr.pem)
            let v = try Peer.openssl(["req", "-in", pki.dir.path("csr.pem"), "-verify", "-noout", "-text"])
            #expect(v.status == 0 && v.text.contains("client.test") && (v.text + v.stderr).contains("verify OK"), "\(kt): \(v.stderr)")
            let cert = try pki.intermediate.sign(csr, usage: .client)
            #expect(cert.subjectName.commonName == "client.test" && cert.dnsNames == ["client.test"] && cert.extendedKeyUsage == [.clientAuth])
            #expect(
                try CertificateVerifier.verify(
                    cert, intermediates: [pki.intermediate.certificate], roots: [pki.root.certificate],
                    options: .init(purpose: .clientAuth)
                ).isValid)
        }
        // A CSR made by openssl, signed by our CA, verified by openssl.
        let k = try Peer.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pki.dir.path("k.pem")])
        #expect(k.status == 0)
        let r = try Peer.openssl([
            "req", "-new", "-key", pki.dir.path("k.pem"), "-subj", "/CN=theirs.test/O=Them", "-addext", "subjectAltName=DNS:theirs.test,IP:10.0.0.1",
        ])
        let theirs = try CertificateSigningRequest(pem: r.text)
        #expect(theirs.isSignatureValid && theirs.subject.organization == "Them" && theirs.ipAddresses == ["10.0.0.1"])
        let cert = try pki.intermediate.sign(theirs, usage: .server)
        try pki.dir.write("theirs.pem", cert.pem)
        let v = try Peer.openssl([
            "verify", "-CAfile", pki.dir.path("root.pem"), "-untrusted", pki.dir.path("int.pem"), "-verify_hostname", "theirs.test", pki.dir.path("theirs.pem"),
        ])
        #expect(v.status == 0, "\(v.text) \(v.stderr)")
        // A tampered CSR is refused.
        var der = theirs.der
        der[der.count - 10] ^= 0xff
        if let bad = try? CertificateSigningRequest(der: der) {
            #expect(!bad.isSignatureValid)
            #expect(throws: JSecError.self) { try pki.intermediate.sign(bad) }
        }
        // Python reads our CSR.
        let csr = try CertificateSigningRequest.generate(key: try PrivateKey.generate(.ecP384), subject: DistinguishedName(commonName: "py.test"))
        let p = try Peer.python(
            """
            import sys
            from cryptography import x509
            c = x509.load_pem_x509_csr(sys.argv[1].encode())
            print(c.is_signature_valid, c.subject.rfc4514_string())
            """, [csr.pem])
        #expect(p.text.trimmingCharacters(in: .whitespacesAndNewlines) == "True CN=py.test", "\(p.stderr)")
    }

    @Test func ocspGoodRevokedUnknown() throws {
        let pki = try TestPKI()
        // openssl builds the request (with a nonce); we parse it.
        let r = try Peer.openssl(["ocsp", "-issuer", pki.dir.path("int.pem"), "-cert", pki.dir.path("leaf.pem"), "-reqout", pki.dir.path("req.der")])
        #expect(r.status == 0, "\(r.stderr)")
        let req = try OCSPRequest(der: try pki.dir.read("req.der"))
        #expect(req.certIDs.count == 1 && req.certIDs[0].serialHex == pki.leaf.certificate.serialNumberHex && req.certIDs[0].hashAlgorithm == "SHA1")
        #expect(req.certIDs[0].issuerNameHash.count == 20 && req.certIDs[0].issuerKeyHash.count == 20)
        #expect(req.nonce?.isEmpty == false)
        func opensslStatus(_ resp: OCSPResponse) throws -> String {
            try pki.dir.write("resp.der", resp.der)
            let out = try Peer.openssl([
                "ocsp", "-reqin", pki.dir.path("req.der"), "-respin", pki.dir.path("resp.der"), "-CAfile", pki.dir.path("root.pem"),
                "-issuer", pki.dir.path("int.pem"), "-cert", pki.dir.path("leaf.pem"), "-no_nonce",
            ])
            #expect((out.text + out.stderr).contains("Response verify OK"), "\(out.text) \(out.stderr)")
            return out.text
        }
        let good = try pki.intermediate.ocspResponse(to: req)
        #expect(try opensslStatus(good).contains("leaf.pem: good"))
        #expect(try good.status(of: pki.leaf.certificate, issuer: pki.intermediate.certificate, trusted: [pki.root.certificate], request: req) == .good)
        let unknown = try pki.intermediate.ocspResponse(to: req, status: .unknown)
        #expect(try opensslStatus(unknown).contains("leaf.pem: unknown"))
        try pki.intermediate.revoke(pki.leaf.certificate, reason: .superseded)
        let revoked = try pki.intermediate.ocspResponse(to: req)
        #expect(try opensslStatus(revoked).contains("leaf.pem: revoked"))
        let status = try revoked.status(of: pki.leaf.certificate, issuer: pki.intermediate.certificate, trusted: [pki.root.certificate], request: req)
        guard case .revoked(_, let reason) = status else { Issue.record("expected revoked, got \(status)"); return }
        #expect(reason == .superseded)
        // Our own request, answered by a different CA: the signature does not verify for this issuer's root.
        let ours = try OCSPRequest.create(for: pki.leaf.certificate, issuer: pki.intermediate.certificate)
        #expect(try OCSPRequest(der: ours.der).certIDs == ours.certIDs)
        let stranger = try CertificateAuthority.createRoot()
        let forged = try stranger.ocspResponse(to: ours, status: .good)
        #expect(throws: JSecError.self) {
            try forged.status(of: pki.leaf.certificate, issuer: pki.intermediate.certificate, trusted: [pki.root.certificate], request: ours)
        }
        #expect(throws: JSecError.self) { try OCSPRequest(der: [0x30, 0x00]) }
    }
}

@Suite struct CertificateOptionsTests {
    @Test func explicitUsagesEmailsAndSelfSignedFromKey() throws {
        let root = try CertificateAuthority.createRoot()
        var req = CertificateRequest(commonName: "signer", usage: .client)
        req.keyUsage = [.digitalSignature, .nonRepudiation]
        req.extendedKeyUsage = [.emailProtection, .codeSigning, .ocspSigning]
        req.emails = ["signer@example.test"]
        let issued = try root.issue(req)
        let c = issued.certificate
        #expect(c.keyUsage == [.digitalSignature, .nonRepudiation])
        #expect(c.extendedKeyUsage == [.emailProtection, .codeSigning, .ocspSigning])
        #expect(c.subjectAltNames == [.email("signer@example.test")])
        #expect(try CertificateVerifier.verify(c, roots: [root.certificate], options: .init(purpose: .codeSigning)).isValid)
        #expect(try CertificateVerifier.verify(c, roots: [root.certificate], options: .init(purpose: .emailProtection)).isValid)
        #expect(try !CertificateVerifier.verify(c, roots: [root.certificate], options: .init(purpose: .serverAuth)).isValid)
        // S/MIME: a CMS signature verifies under the strict purpose now.
        let signed = try CMS.sign(bytes("mail"), certificate: c, privateKey: issued.privateKey)
        #expect(try CMS.verify(signed, trusted: [root.certificate], purpose: .emailProtection).isValid)
        var none = CertificateRequest(commonName: "no-eku")
        none.extendedKeyUsage = []
        #expect(try root.issue(none).certificate.extendedKeyUsage.isEmpty)

        let key = try PrivateKey.generate(.ed25519)
        let subject = DistinguishedName(commonName: "self", organization: "Org", country: "US")
        let selfSigned = try CertificateBuilder.selfSigned(
            CertificateRequest(commonName: "", usage: .certificateAuthority(pathLength: nil)),
            subject: subject, key: key)
        #expect(selfSigned.isSelfSigned && selfSigned.subjectName.country == "US" && selfSigned.signatureAlgorithm == "ED25519")
        #expect(try selfSigned.publicKey == key.publicKey)
        #expect(throws: JSecError.self) { try CertificateBuilder.selfSigned(CertificateRequest(commonName: "x"), subject: DistinguishedName(), key: key) }
        #expect(throws: JSecError.self) {
            try CertificateBuilder.selfSigned(CertificateRequest(commonName: "x"), subject: DistinguishedName(country: "USA"), key: key)
        }
    }
}

@Suite struct PythonPKITests {
    /// Python writes a certificate with every extension we parse; we read the same values back.
    /// Python reads our chain, CRL and OCSP response.
    @Test func certificatesBothWays() throws {
        let script = """
            import datetime, ipaddress
            from cryptography import x509
            from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
            from cryptography.hazmat.primitives import hashes, serialization as s
            from cryptography.hazmat.primitives.asymmetric import ec
            k = ec.generate_private_key(ec.SECP384R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "py.example"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PyOrg"),
                              x509.NameAttribute(NameOID.COUNTRY_NAME, "NL")])
            now = datetime.datetime(2030, 1, 2, 3, 4, 5)
            c = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key()).serial_number(0xABCDEF)
                 .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=10))
                 .add_extension(x509.BasicConstraints(ca=True, path_length=2), critical=True)
                 .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
                 .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING, ExtendedKeyUsageOID.TIME_STAMPING]), critical=False)
                 .add_extension(x509.SubjectAlternativeName([x509.DNSName("py.example"), x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
                                                             x509.RFC822Name("a@py.example")]), critical=False)
                 .sign(k, hashes.SHA384()))
            print(c.public_bytes(s.Encoding.PEM).decode(), end="")
            """
        let r = try Peer.python(script)
        #expect(r.status == 0, "\(r.stderr)")
        let c = try Certificate(pem: r.text)
        let n = c.subjectName
        #expect(n.commonName == "py.example" && n.organization == "PyOrg" && n.country == "NL" && n.rfc2253 == "C=NL,O=PyOrg,CN=py.example")
        #expect(c.serialNumberHex == "ABCDEF" && c.isCA && c.pathLength == 2 && c.isSelfSigned)
        #expect(c.keyUsage == [.digitalSignature, .keyCertSign, .cRLSign])
        #expect(c.extendedKeyUsage == [.codeSigning, .timeStamping])
        #expect(c.subjectAltNames == [.dns("py.example"), .ip("2001:db8::1"), .email("a@py.example")])
        #expect(c.notBefore == Date(timeIntervalSince1970: 1_893_553_445) && c.signatureAlgorithm == "ecdsa-with-SHA384")
        #expect(c.publicKeyInfo?.curve == "P-384")
        #expect(try CertificateVerifier.verify(c, roots: [c], options: .init(time: Date(timeIntervalSince1970: 1_893_553_445 + 86_400))).isValid)

        let pki = try TestPKI()
        try pki.intermediate.revoke(pki.leaf.certificate, reason: .cessationOfOperation)
        let crl = try pki.intermediate.generateCRL()
        let req = try OCSPRequest.create(for: pki.leaf.certificate, issuer: pki.intermediate.certificate)
        let resp = try pki.intermediate.ocspResponse(to: req)
        let check = """
            import sys
            from cryptography import x509
            from cryptography.x509 import ocsp
            from cryptography.hazmat.primitives.asymmetric import ec
            root, inter, leaf = (x509.load_pem_x509_certificate(a.encode()) for a in sys.argv[1:4])
            inter.verify_directly_issued_by(root); leaf.verify_directly_issued_by(inter)
            crl = x509.load_pem_x509_crl(sys.argv[4].encode())
            assert crl.is_signature_valid(inter.public_key())
            e = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
            print(e.extensions.get_extension_for_class(x509.CRLReason).value.reason.name)
            r = ocsp.load_der_ocsp_response(bytes.fromhex(sys.argv[5]))
            print(r.response_status.name, r.certificate_status.name, r.serial_number == leaf.serial_number)
            """
        let p = try Peer.python(check, [pki.root.certificate.pem, pki.intermediate.certificate.pem, pki.leaf.certificate.pem, crl.pem, resp.der.hexString])
        #expect(p.text.split(separator: "\n").map(String.init) == ["cessation_of_operation", "SUCCESSFUL REVOKED True"], "\(p.text) \(p.stderr)")
    }
}

@Suite struct RevocationDetailTests {
    @Test func delegatedOCSPResponderAndCRLCheckAll() throws {
        let pki = try TestPKI()
        var responderReq = CertificateRequest(commonName: "OCSP Responder", usage: .client)
        responderReq.extendedKeyUsage = [.ocspSigning]
        let responder = try pki.intermediate.issue(responderReq)
        try pki.intermediate.revoke(pki.leaf.certificate, reason: .affiliationChanged)
        let req = try OCSPRequest.create(for: pki.leaf.certificate, issuer: pki.intermediate.certificate)
        let resp = try pki.intermediate.ocspResponse(to: req, responder: responder)
        let status = try resp.status(of: pki.leaf.certificate, issuer: pki.intermediate.certificate, trusted: [pki.root.certificate], request: req)
        guard case .revoked(let at, .affiliationChanged) = status else { Issue.record("expected revoked, got \(status)"); return }
        #expect(abs(at.timeIntervalSince(pki.intermediate.revoked[0].revocationDate)) < 1)  // ASN.1 time has whole seconds
        try pki.dir.write("req.der", req.der)
        try pki.dir.write("resp.der", resp.der)
        let o = try Peer.openssl([
            "ocsp", "-reqin", pki.dir.path("req.der"), "-respin", pki.dir.path("resp.der"), "-CAfile", pki.dir.path("root.pem"),
            "-issuer", pki.dir.path("int.pem"), "-cert", pki.dir.path("leaf.pem"), "-no_nonce",
        ])
        #expect((o.text + o.stderr).contains("Response verify OK") && o.text.contains("revoked"), "\(o.text) \(o.stderr)")
        // A responder without OCSPSigning is refused.
        #expect(throws: JSecError.self) { try pki.intermediate.ocspResponse(to: req, status: .good, responder: pki.leaf) }

        // crlCheck .all needs a CRL from every issuer in the chain.
        let leafCRL = try pki.intermediate.generateCRL()
        let chain = (intermediates: [pki.intermediate.certificate], roots: [pki.root.certificate])
        let missing = try CertificateVerifier.verify(
            responder.certificate, intermediates: chain.intermediates, roots: chain.roots,
            options: .init(crls: [leafCRL], crlCheck: .all))
        #expect(!missing.isValid && (missing.error ?? "").contains("CRL"), "\(missing.error ?? "")")
        let rootCRL = try pki.root.generateCRL()
        #expect(
            try CertificateVerifier.verify(
                responder.certificate, intermediates: chain.intermediates, roots: chain.roots,
                options: .init(crls: [leafCRL, rootCRL], crlCheck: .all)
            ).isValid)
        try pki.root.revoke(pki.intermediate.certificate, reason: .caCompromise)
        let intRevoked = try CertificateVerifier.verify(
            responder.certificate, intermediates: chain.intermediates, roots: chain.roots,
            options: .init(crls: [leafCRL, try pki.root.generateCRL()], crlCheck: .all))
        #expect(!intRevoked.isValid && intRevoked.errorDepth == 1, "\(intRevoked.error ?? "")")
    }
}
