import JSec

/// MemoryBIO (jsec's `bio` module), the error type and OpenSSL's error queue, backend information
/// and IP address parsing.
enum CryptoSupport {
    /// new-mem, write (count), read (nil when empty), to-string (non-consuming), close (idempotent), use after close.
    static func memoryBIO() throws {
        let bio = MemoryBIO()
        try checkEqual(try bio.take(max: 10), nil, "read from an empty BIO")
        try checkEqual(try bio.append("hello "), 6, "write returns the byte count")
        try checkEqual(try bio.append([0x77, 0x6f, 0x72, 0x6c, 0x64]), 5, "bytes")
        try checkEqual(try bio.contents(), Array("hello world".utf8), "to-string")
        try checkEqual(bio.pending, 11, "to-string does not consume")
        try checkEqual(try bio.take(max: 6), Array("hello ".utf8), "partial read")
        try checkEqual(try bio.take(max: 100), Array("world".utf8), "rest")
        try checkEqual(try bio.take(max: 1), nil, "drained")
        let big = pattern(200_000, seed: 16)
        try bio.append(big)
        var back: [UInt8] = []
        while let chunk = try bio.take(max: 65_536) { back += chunk }
        try checkEqual(back, big, "200 kB through the BIO")
        try checkThrowsJSecSync(.configuration, "read of 0 bytes") { _ = try bio.take(max: 0) }
        try bio.append("left over")
        bio.close()
        bio.close()  // idempotent
        try check(bio.isClosed && bio.pending == 0 && bio.peekAll().isEmpty, "closed BIO is empty")
        for (what, op) in [("write", { _ = try bio.append([1]) }), ("read", { _ = try bio.take(max: 1) }), ("to-string", { _ = try bio.contents() })]
            as [(String, () throws -> Void)]
        {
            let e = try checkThrowsJSecSync(.closed, "\(what) after close", op)
            try checkEqual(e.message, "BIO \(what): the BIO is closed", "message names the operation")
        }
        // The non-throwing API used inside the library: PEM through a BIO.
        let other = MemoryBIO(Array("abc".utf8))
        try checkEqual(other.readIfAvailable(max: 2), Array("ab".utf8), "readIfAvailable")
        other.reset()
        try checkEqual(other.readAll(), [], "reset")
    }

    /// JSecError: categories, messages, OpenSSL's queue drained into the error, never leaking into the next call.
    static func errors() throws {
        let e = JSecError(.crypto, "broken", code: .jsec(.malformedInput), openSSLErrors: ["err:1", "err:2"])
        try checkEqual(e.description, "crypto: broken [err:1; err:2]", "description")
        try checkEqual(JSecError(.io, "x", code: .jsec(.transportError)).description, "io: x", "description without OpenSSL text")
        try checkEqual(JSecError.Category.allCases.count, 9, "categories")
        for c in JSecError.Category.allCases { try checkEqual(JSecError.Category(rawValue: c.rawValue), c, "category raw value") }
        // A failing parse carries OpenSSL's text; the queue is empty afterwards.
        let parse = try checkThrowsJSecSync(.crypto, "bad DER") { _ = try Certificate(der: [0x30, 0x82, 0xff, 0xff, 0x00]) }
        try check(!parse.openSSLErrors.isEmpty, "OpenSSL's reason is attached: \(parse)")
        try checkEqual(OpenSSLErrorQueue.drain(), [], "queue drained by the failing call")
        try checkEqual(try Digest.hash(.sha256, [UInt8]()).count, 32, "the next call is unaffected")
        // clear/drainEntries on a queue with a real entry.
        _ = try? PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        OpenSSLErrorQueue.clear()
        try checkEqual(OpenSSLErrorQueue.drainEntries().count, 0, "clear empties the queue")
        // Information and small parsers.
        try checkEqual(OpenSSLInfo.backend, "openssl", "backend")
        try check(OpenSSLInfo.version.hasPrefix("OpenSSL 3") && OpenSSLInfo.number >= 0x3000_0000, "version \(OpenSSLInfo.version)")
        try checkEqual(IPAddress.bytes("127.0.0.1"), [127, 0, 0, 1], "IPv4")
        try checkEqual(IPAddress.bytes("::1")?.count, 16, "IPv6")
        try checkEqual(IPAddress.text(from: [10, 0, 0, 1]), "10.0.0.1", "IPv4 text")
        try check(IPAddress.isLiteral("[::1]") || !IPAddress.isLiteral("localhost"), "literal check")
        try check(!IPAddress.isLiteral("localhost") && IPAddress.bytes("999.1.1.1") == nil && IPAddress.text(from: [1, 2, 3]) == nil, "bad IPs")
        let dn = DistinguishedName(commonName: "a", organization: "b", organizationalUnit: "c", country: "NL", state: "d", locality: "e", email: "f@g")
        let cert = try CertificateBuilder.selfSigned(CertificateRequest(commonName: "a"), subject: dn, key: PrivateKey.generate(.ecP256))
        try checkEqual(cert.subjectName.organizationalUnit, "c", "OU through a certificate")
        try checkEqual(cert.subjectName.email, "f@g", "email through a certificate")
        try checkEqual(cert.subjectName.locality, "e", "locality")
        try checkThrowsJSecSync(.configuration, "two-letter country only") {
            _ = try CertificateBuilder.selfSigned(
                CertificateRequest(commonName: "a"), subject: DistinguishedName(commonName: "a", country: "NLD"),
                key: PrivateKey.generate(.ecP256))
        }
    }
}
