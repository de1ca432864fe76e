internal import CJSecOpenSSL
import Foundation

// Verification hooks (issue 5 item 4): a custom callback, SPKI pinning and CRL checking.
// OpenSSL's chain verification is replaced by `certVerifyCallback`, which runs
// X509_verify_cert itself and then the hooks, so every failure is a verification
// failure of the handshake with the hook's reason (see TLSEngine.classify).

extension Certificate {
    /// The SHA-256 hash of this certificate's SubjectPublicKeyInfo, base64 (the HPKP / `pin-sha256` form),
    /// for ``TLSConfiguration/pinnedPublicKeys``.
    public var publicKeyPin: String { Base64.encode(Self.spkiSHA256(x509) ?? []) }

    static func spkiSHA256(_ x509: OpaquePointer) -> [UInt8]? {
        guard let pub = X509_get_X509_PUBKEY(x509) else { return nil }
        let len = i2d_X509_PUBKEY(pub, nil)
        guard len > 0 else { return nil }
        let der = [UInt8](unsafeUninitializedCapacity: Int(len)) { buf, count in
            var p: UnsafeMutablePointer<UInt8>? = buf.baseAddress
            count = Int(i2d_X509_PUBKEY(pub, &p))
        }
        var md = [UInt8](repeating: 0, count: 32)
        var mdLen: UInt32 = 0
        guard EVP_Digest(der, der.count, &md, &mdLen, EVP_sha256(), nil) == 1, mdLen == 32 else { return nil }
        return md
    }
}

extension TLSConfiguration {
    /// Whether a verify callback or pins are configured (the chain verification goes through our hook).
    var hasVerificationHooks: Bool { verificationCallback != nil || !pinnedPublicKeys.isEmpty }
}

extension TLSContext {
    /// Parses ``TLSConfiguration/pinnedPublicKeys``: each must be a 32-byte SHA-256 in base64 or hex.
    static func parsePins(_ pins: Set<String>) throws -> Set<[UInt8]> {
        var out: Set<[UInt8]> = []
        for pin in pins {
            var text = pin.trimmingCharacters(in: .whitespaces)
            if text.lowercased().hasPrefix("sha256/") { text.removeFirst(7) }
            var bytes: [UInt8]?
            if text.count == 64, text.allSatisfy(\.isHexDigit) {
                bytes = stride(from: 0, to: 64, by: 2).compactMap { i -> UInt8? in
                    let a = text.index(text.startIndex, offsetBy: i)
                    return UInt8(text[a...text.index(after: a)], radix: 16)
                }
            } else {
                bytes = try? Base64.decode(text)
            }
            guard let b = bytes, b.count == 32 else {
                throw JSecError(
                    .configuration, "invalid public key pin '\(pin)': expected a SHA-256 hash (32 bytes) in base64 or hex", code: .jsec(.invalidOption))
            }
            out.insert(b)
        }
        return out
    }

    /// Loads ``TLSConfiguration/certificateRevocationLists`` into `store` and turns on CRL checking of the leaf.
    func installCRLs(_ sources: [CRLSource], into store: OpaquePointer?) throws {
        guard !sources.isEmpty else { return }
        guard let store else { throw JSecError.openSSL(.configuration, "the context has no certificate store for CRLs") }
        var crls: [CertificateRevocationList] = []
        for source in sources {
            switch source {
            case .crls(let list):
                guard !list.isEmpty else { throw JSecError(.configuration, "an empty CRL list was given", code: .jsec(.missingOption)) }
                crls += list
            case .pem(let pem): crls += try Self.parseCRLs(pem, what: "CRL PEM text")
            case .file(let path):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw JSecError.unreadableFile("CRL file", path)
                }
                crls += try Self.parseCRLs(String(decoding: data, as: UTF8.self), what: "CRL file '\(path)'")
            }
        }
        for crl in crls {
            // X509_STORE_add_crl takes its own reference; `crl` keeps (and frees) ours.
            guard X509_STORE_add_crl(store, crl.crl) == 1 else {
                throw JSecError.openSSL(.configuration, "cannot add a CRL to the trust store")
            }
        }
        // CRLs configured but not checked would be worse than an error.
        guard X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), UInt(X509_V_FLAG_CRL_CHECK)) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot turn on CRL checking")
        }
    }

    private static func parseCRLs(_ pem: String, what: String) throws -> [CertificateRevocationList] {
        let marker = "-----BEGIN X509 CRL-----"
        let blocks = pem.components(separatedBy: marker).dropFirst().map { marker + $0 }
        guard !blocks.isEmpty else { throw JSecError(.configuration, "no CRL found in \(what)", code: .jsec(.malformedInput)) }
        do {
            return try blocks.map { try CertificateRevocationList(pem: $0) }
        } catch let e as JSecError {
            throw JSecError(.configuration, "invalid CRL in \(what): \(e.message)", code: e.code, openSSLErrors: e.openSSLErrors)
        }
    }

    func installVerificationHooks() {
        guard configuration.hasVerificationHooks else { return }
        SSL_CTX_set_cert_verify_callback(ctx, certVerifyCallback, nil)
    }
}

extension TLSEngine {
    /// Runs pinning and the custom callback on `chain` (leaf first); returns the rejection, if any.
    func runVerificationHooks(chain: [OpaquePointer]) -> (reason: JSecError.Code.Reason, message: String)? {
        let config = context.configuration
        if !context.pins.isEmpty {
            let matched = chain.contains { x in Certificate.spkiSHA256(x).map { context.pins.contains($0) } ?? false }
            if !matched { return (.pinMismatch, "certificate pinning failed: no public key in the peer's chain matches a configured pin") }
        }
        if let callback = config.verificationCallback {
            if case .reject(let reason) = callback(chain.map { Certificate(retaining: $0) }) {
                return (.rejectedByVerificationCallback, "rejected by the verification callback: \(reason)")
            }
        }
        return nil
    }
}

/// `SSL_CTX_set_cert_verify_callback` hook: OpenSSL's chain verification, then pins and the custom callback.
/// A rejection sets X509_V_ERR_APPLICATION_VERIFICATION and remembers the reason on the engine.
private let certVerifyCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { storeCtx, _ in
    guard let storeCtx else { return 0 }
    let verified = X509_verify_cert(storeCtx)
    guard let sslRaw = X509_STORE_CTX_get_ex_data(storeCtx, SSL_get_ex_data_X509_STORE_CTX_idx()),
        let appData = jsec_SSL_get_app_data(OpaquePointer(sslRaw))
    else { return verified }
    let engine = Unmanaged<TLSEngine>.fromOpaque(appData).takeUnretainedValue()
    let unverifiedOK = engine.role == .client && engine.context.configuration.certificateVerification == .none
    if verified != 1 && !unverifiedOK { return verified }
    // The verified chain (leaf … anchor), or with verification off the chain the peer sent.
    let stack = verified == 1 ? X509_STORE_CTX_get0_chain(storeCtx) : X509_STORE_CTX_get0_untrusted(storeCtx)
    var chain: [OpaquePointer] = []
    if let stack {
        for i in 0..<jsec_sk_X509_num(stack) { if let x = jsec_sk_X509_value(stack, i) { chain.append(x) } }
    }
    if chain.isEmpty, let leaf = X509_STORE_CTX_get0_cert(storeCtx) { chain = [leaf] }
    if let rejection = engine.runVerificationHooks(chain: chain) {
        engine.hookFailure = rejection
        X509_STORE_CTX_set_error(storeCtx, X509_V_ERR_APPLICATION_VERIFICATION)
        return 0
    }
    if verified != 1 { X509_STORE_CTX_set_error(storeCtx, X509_V_OK) }
    return 1
}
