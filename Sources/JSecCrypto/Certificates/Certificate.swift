internal import CJSecOpenSSL
import Foundation

/// An X.509 certificate (`X509`) with one owner that frees it.
public final class Certificate: @unchecked Sendable, CustomStringConvertible {
    // @unchecked Sendable: the X509 is never mutated after construction; OpenSSL
    // allows concurrent read-only use (it takes its own locks for cached fields).
    package let x509: OpaquePointer

    /// Takes ownership of `x509`.
    package init(taking x509: OpaquePointer) { self.x509 = x509 }

    /// Shares `x509` (takes a new reference with `X509_up_ref`).
    package init(retaining x509: OpaquePointer) {
        X509_up_ref(x509)
        self.x509 = x509
    }

    deinit { X509_free(x509) }

    /// Parses the first certificate in a PEM string.
    ///
    /// - Throws: what ``chain(pem:)`` throws: ``JSecError`` with category `.crypto` when `pem` holds no
    ///   certificate, or a malformed one (with OpenSSL's error queue in ``JSecError/openSSLErrors``).
    public convenience init(pem: String) throws {
        let all = try Certificate.chain(pem: pem)
        // Take our reference while `all` is certainly alive: the optimiser may end `all`'s
        // lifetime right after its last use, which would free the X509 before X509_up_ref.
        let x509 = withExtendedLifetime(all) { () -> OpaquePointer in
            X509_up_ref(all[0].x509)
            return all[0].x509
        }
        self.init(taking: x509)
    }

    /// Parses a DER-encoded certificate.
    ///
    /// - Throws: ``JSecError`` with category `.crypto` and code `.openSSL(library:reason:)` (OpenSSL's first
    ///   error) when `der` is empty or not a DER certificate.
    public convenience init(der: [UInt8]) throws {
        OpenSSLErrorQueue.clear()
        let cert: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_X509(nil, &p, buf.count)
        }
        guard let cert, !der.isEmpty else { throw JSecError.openSSL(.crypto, "cannot parse the DER certificate (\(der.count) bytes)") }
        self.init(taking: cert)
    }

    /// Parses every certificate in a PEM string (a chain: leaf first). Throws when there is none.
    ///
    /// - Throws: ``JSecError`` with category `.crypto` when `pem` holds no certificate, or one of its
    ///   certificates is malformed (with OpenSSL's error queue in ``JSecError/openSSLErrors``).
    public static func chain(pem: String) throws -> [Certificate] {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(Array(pem.utf8))
        var out: [Certificate] = []
        while let x = PEM_read_bio_X509(bio.bio, nil, nil, nil) {
            out.append(Certificate(taking: x))
        }
        // Reading stops with a "no start line" error at the end of input: expected.
        let errors = OpenSSLErrorQueue.drainEntries()
        if out.isEmpty {
            throw JSecError(
                .crypto, "no certificate found in PEM input (\(pem.utf8.count) bytes)", code: .jsec(.malformedInput), openSSLErrors: errors.map(\.text))
        }
        let realErrors = errors.filter { $0.reason != PEM_R_NO_START_LINE }
        if !realErrors.isEmpty {
            throw JSecError(
                .crypto, "malformed certificate in PEM input after \(out.count) good one(s)", code: JSecError.Code(firstOf: realErrors),
                openSSLErrors: realErrors.map(\.text))
        }
        return out
    }

    /// Loads every certificate from a PEM file.
    ///
    /// - Throws: ``JSecError`` with category `.configuration` and code `.errno(…)` when the file cannot be read
    ///   (`ENOENT`, `EACCES`, `EISDIR`), then what ``chain(pem:)`` throws.
    public static func chain(file: String) throws -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw JSecError.unreadableFile("certificate file", file)
        }
        return try chain(pem: String(decoding: data, as: UTF8.self))
    }

    /// PEM encoding.
    public var pem: String {
        let bio = MemoryBIO()
        guard PEM_write_bio_X509(bio.bio, x509) == 1 else { outOfMemory("PEM_write_bio_X509") }
        return String(decoding: bio.readAll(), as: UTF8.self)
    }

    /// DER encoding.
    public var der: [UInt8] {
        let len = i2d_X509(x509, nil)
        guard len > 0 else { outOfMemory("i2d_X509") }
        return [UInt8](unsafeUninitializedCapacity: Int(len)) { buf, count in
            var p: UnsafeMutablePointer<UInt8>? = buf.baseAddress
            count = Int(i2d_X509(x509, &p))
        }
    }

    /// Subject as a one-line string, e.g. `CN=localhost,O=Example`.
    public var subject: String { Self.nameString(X509_get_subject_name(x509)) }
    /// Issuer as a one-line string.
    public var issuer: String { Self.nameString(X509_get_issuer_name(x509)) }

    /// The subject's common name, if any.
    public var commonName: String? {
        guard let name = X509_get_subject_name(x509) else { return nil }
        let idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard idx >= 0, let entry = X509_NAME_get_entry(name, idx), let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        return Self.string(asn1: UnsafePointer(data))
    }

    /// DNS names from the subjectAltName extension.
    public var dnsNames: [String] { subjectAltNames.compactMap { if case .dns(let n) = $0 { return n } else { return nil } } }
    /// IP addresses (textual) from the subjectAltName extension.
    public var ipAddresses: [String] { subjectAltNames.compactMap { if case .ip(let n) = $0 { return n } else { return nil } } }

    public enum AltName: Sendable, Hashable { case dns(String), ip(String), email(String), uri(String) }

    public var subjectAltNames: [AltName] {
        guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { return [] }
        return Self.altNames(OpaquePointer(raw))
    }

    /// Reads and frees a GENERAL_NAMES.
    static func altNames(_ names: OpaquePointer) -> [AltName] {
        defer { GENERAL_NAMES_free(names) }
        var out: [AltName] = []
        for i in 0..<jsec_sk_GENERAL_NAME_num(names) {
            guard let gn = jsec_sk_GENERAL_NAME_value(names, i) else { continue }
            switch gn.pointee.type {
            case GEN_DNS: if let s = gn.pointee.d.dNSName { out.append(.dns(Self.string(ia5: UnsafePointer(s)))) }
            case GEN_EMAIL: if let s = gn.pointee.d.rfc822Name { out.append(.email(Self.string(ia5: UnsafePointer(s)))) }
            case GEN_URI: if let s = gn.pointee.d.uniformResourceIdentifier { out.append(.uri(Self.string(ia5: UnsafePointer(s)))) }
            case GEN_IPADD:
                if let s = gn.pointee.d.iPAddress {
                    let bytes = Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(s), count: Int(ASN1_STRING_length(s))))
                    if let text = IPAddress.text(from: bytes) { out.append(.ip(text)) }
                }
            default: break
            }
        }
        return out
    }

    /// Start of the validity period.
    public var notBefore: Date { Self.date(X509_get0_notBefore(x509)) }
    /// End of the validity period.
    public var notAfter: Date { Self.date(X509_get0_notAfter(x509)) }

    /// Serial number as upper-case hex.
    public var serialNumberHex: String {
        guard let serial = X509_get0_serialNumber(x509), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { jsec_OPENSSL_free(hex) }
        return String(cString: hex)
    }

    /// The public key's algorithm (`RSA`, `EC`, `ED25519`, …) and size in bits.
    public var publicKeyAlgorithm: String {
        guard let pk = X509_get0_pubkey(x509) else { return "unknown" }
        return PrivateKey.algorithmName(of: pk)
    }
    public var publicKeyBits: Int {
        guard let pk = X509_get0_pubkey(x509) else { return 0 }
        return Int(EVP_PKEY_get_bits(pk))
    }

    /// SHA-256 fingerprint of the DER encoding, as lower-case hex.
    public var sha256Fingerprint: String {
        get throws { try fingerprintBytes(.sha256).hexString }
    }

    public var description: String { "Certificate(\(subject), issuer: \(issuer), notAfter: \(notAfter))" }

    // MARK: - helpers

    static func nameString(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let bio = MemoryBIO()
        _ = X509_NAME_print_ex(bio.bio, name, 0, jsec_XN_FLAG_RFC2253())
        return String(decoding: bio.readAll(), as: UTF8.self)
    }

    static func string(asn1: UnsafePointer<ASN1_STRING>) -> String {
        var out: UnsafeMutablePointer<UInt8>?
        let len = ASN1_STRING_to_UTF8(&out, asn1)
        guard len >= 0, let out else { return "" }
        defer { jsec_OPENSSL_free(out) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(len)), as: UTF8.self)
    }

    static func string(ia5: UnsafePointer<ASN1_STRING>) -> String {
        String(decoding: UnsafeBufferPointer(start: ASN1_STRING_get0_data(ia5), count: Int(ASN1_STRING_length(ia5))), as: UTF8.self)
    }

    static func date(_ t: UnsafePointer<ASN1_TIME>?) -> Date {
        guard let t else { return .distantPast }
        var tm = tm()
        guard ASN1_TIME_to_tm(t, &tm) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}
