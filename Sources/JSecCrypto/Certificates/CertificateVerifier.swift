internal import CJSecOpenSSL
import Foundation

/// What a certificate chain is verified for.
public enum CertificatePurpose: String, Sendable, Hashable, CaseIterable {
    case any, serverAuth, clientAuth, emailProtection, smimeEncrypt, timestamping, ocspHelper, codeSigning

    /// Parses jsec names: `server-auth|ssl-server`, `client-auth|ssl-client`, `email-protection|smime-sign`, ….
    public init(name: String) throws {
        switch name.lowercased() {
        case "any": self = .any
        case "server-auth", "ssl-server", "serverauth": self = .serverAuth
        case "client-auth", "ssl-client", "clientauth": self = .clientAuth
        case "email-protection", "smime-sign": self = .emailProtection
        case "smime-encrypt": self = .smimeEncrypt
        case "timestamp", "timestamp-sign", "timestamping": self = .timestamping
        case "ocsp-helper": self = .ocspHelper
        case "code-signing", "codesigning": self = .codeSigning
        default: throw JSecError(.configuration, "unknown certificate purpose '\(name)'", code: .jsec(.unknownName))
        }
    }

    var x509Purpose: Int32? {
        switch self {
        case .any: return X509_PURPOSE_ANY
        case .serverAuth: return X509_PURPOSE_SSL_SERVER
        case .clientAuth: return X509_PURPOSE_SSL_CLIENT
        case .emailProtection: return X509_PURPOSE_SMIME_SIGN
        case .smimeEncrypt: return X509_PURPOSE_SMIME_ENCRYPT
        case .timestamping: return X509_PURPOSE_TIMESTAMP_SIGN
        case .ocspHelper: return X509_PURPOSE_OCSP_HELPER
        case .codeSigning: return nil  // no X509_PURPOSE in OpenSSL 3.0: checked through the EKU below
        }
    }
}

/// The outcome of a chain verification.
public struct ChainVerificationResult: Sendable {
    public let isValid: Bool
    /// The verified chain, leaf first, root last (empty when verification failed before building one).
    public let chain: [Certificate]
    /// OpenSSL's verification error text (nil when valid).
    public let error: String?
    /// `X509_V_ERR_*` code (0 when valid).
    public let errorCode: Int
    /// Depth in the chain of the certificate that failed (0 = leaf).
    public let errorDepth: Int?
}

/// Options of ``CertificateVerifier/verify(_:intermediates:roots:options:)``.
public struct ChainVerificationOptions: Sendable {
    public enum CRLCheck: Sendable { case none, leaf, all }
    public var purpose: CertificatePurpose = .any
    /// Verify as of this time instead of now.
    public var time: Date?
    /// A DNS name or IP literal the leaf must match.
    public var hostname: String?
    public var crls: [CertificateRevocationList] = []
    /// CRL checking: `.leaf` by default when CRLs are given.
    public var crlCheck: CRLCheck?

    public init(
        purpose: CertificatePurpose = .any, time: Date? = nil, hostname: String? = nil,
        crls: [CertificateRevocationList] = [], crlCheck: CRLCheck? = nil
    ) {
        self.purpose = purpose
        self.time = time
        self.hostname = hostname
        self.crls = crls
        self.crlCheck = crlCheck
    }
}

/// Chain building and verification with `X509_verify_cert`.
public enum CertificateVerifier {
    public static func verify(
        _ leaf: Certificate, intermediates: [Certificate] = [], roots: [Certificate],
        options: ChainVerificationOptions = ChainVerificationOptions()
    ) throws -> ChainVerificationResult {
        guard !roots.isEmpty else { throw JSecError(.configuration, "chain verification needs at least one trusted root", code: .jsec(.invalidArgument)) }
        OpenSSLErrorQueue.clear()
        guard let store = X509_STORE_new() else { throw JSecError.openSSL(.crypto, "X509_STORE_new failed") }
        defer { X509_STORE_free(store) }
        for r in roots { guard X509_STORE_add_cert(store, r.x509) == 1 else { throw JSecError.openSSL(.crypto, "cannot add a trusted root") } }
        for c in options.crls { guard X509_STORE_add_crl(store, c.crl) == 1 else { throw JSecError.openSSL(.crypto, "cannot add a CRL") } }
        guard let untrusted = jsec_sk_X509_new_null() else { throw JSecError.openSSL(.crypto, "sk_X509_new failed") }
        defer { jsec_sk_X509_free(untrusted) }  // the stack only borrows the certificates
        for c in intermediates { guard jsec_sk_X509_push(untrusted, c.x509) > 0 else { throw JSecError.openSSL(.crypto, "cannot add an intermediate") } }
        guard let ctx = X509_STORE_CTX_new() else { throw JSecError.openSSL(.crypto, "X509_STORE_CTX_new failed") }
        defer { X509_STORE_CTX_free(ctx) }
        guard X509_STORE_CTX_init(ctx, store, leaf.x509, untrusted) == 1 else { throw JSecError.openSSL(.crypto, "X509_STORE_CTX_init failed") }
        let param = X509_STORE_CTX_get0_param(ctx)
        if let t = options.time { X509_VERIFY_PARAM_set_time(param, time_t(t.timeIntervalSince1970)) }
        if let purpose = options.purpose.x509Purpose, X509_STORE_CTX_set_purpose(ctx, purpose) != 1 {
            throw JSecError.openSSL(.configuration, "cannot set purpose \(options.purpose)")
        }
        if let host = options.hostname {
            let ok = IPAddress.isLiteral(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host) : X509_VERIFY_PARAM_set1_host(param, host, host.utf8.count)
            guard ok == 1 else { throw JSecError.openSSL(.configuration, "invalid hostname '\(host)'") }
        }
        switch options.crlCheck ?? (options.crls.isEmpty ? .none : .leaf) {
        case .none: break
        case .leaf: X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_CRL_CHECK))
        case .all: X509_VERIFY_PARAM_set_flags(param, UInt(jsec_X509_V_FLAG_CRL_CHECK_ALL()))
        }
        let ok = X509_verify_cert(ctx) == 1
        var chain: [Certificate] = []
        if let sk = X509_STORE_CTX_get1_chain(ctx) {
            for i in 0..<jsec_sk_X509_num(sk) { if let x = jsec_sk_X509_value(sk, i) { chain.append(Certificate(retaining: x)) } }
            jsec_sk_X509_pop_free(sk)
        }
        OpenSSLErrorQueue.clear()
        if !ok {
            let code = X509_STORE_CTX_get_error(ctx)
            let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "verification failed"
            return ChainVerificationResult(
                isValid: false, chain: chain, error: text, errorCode: Int(code),
                errorDepth: Int(X509_STORE_CTX_get_error_depth(ctx)))
        }
        if options.purpose == .codeSigning, !leaf.extendedKeyUsage.contains(.codeSigning) {
            return ChainVerificationResult(
                isValid: false, chain: chain, error: "certificate is not allowed for code signing",
                errorCode: Int(X509_V_ERR_INVALID_PURPOSE), errorDepth: 0)
        }
        return ChainVerificationResult(isValid: true, chain: chain, error: nil, errorCode: 0, errorDepth: nil)
    }

    /// The chain from `leaf` to a trusted root (leaf first), or nil when none can be built.
    /// Signatures are checked; validity dates and purposes are not.
    public static func buildChain(_ leaf: Certificate, intermediates: [Certificate], roots: [Certificate]) -> [Certificate]? {
        var chain = [leaf]
        var current = leaf
        let pool = intermediates + roots
        for _ in 0..<16 {
            if roots.contains(where: { $0.der == current.der }) { return chain }
            guard let issuer = pool.first(where: { $0.subject == current.issuer && current.isSignatureValid(issuer: $0) && $0.der != current.der }) else {
                return nil
            }
            chain.append(issuer)
            current = issuer
        }
        return nil
    }
}
