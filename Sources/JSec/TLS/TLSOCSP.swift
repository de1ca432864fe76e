internal import CJSecOpenSSL
import Foundation
import Synchronization

// OCSP stapling (issue 5 item 2). One status callback per SSL_CTX serves both roles:
// a server staples ``TLSConfiguration/ocspStapling``; a client keeps what was stapled
// and, with ``OCSPStatusPolicy/require``, checks it (returning 0 fails the handshake
// with a bad_certificate_status_response alert; TLSEngine.classify reports the reason).

/// The provider's last answer and when it was fetched (``OCSPStapling/provider(refreshInterval:_:)``).
struct OCSPStapleCache {
    var bytes: [UInt8]?
    var fetched: ContinuousClock.Instant?
}

extension TLSContext {
    /// Validates the OCSP options and installs the status callback where one is needed.
    func installOCSP() throws {
        let c = configuration
        switch c.ocspStapling {
        case .none: break
        case .response(let der)?:
            guard !der.isEmpty else { throw JSecError(.configuration, "the OCSP response to staple is empty", code: .jsec(.missingOption)) }
            let parsed: OCSPResponse
            do { parsed = try OCSPResponse(der: der) } catch let e as JSecError {
                throw JSecError(.configuration, "the OCSP response to staple does not parse: \(e.message)", code: e.code, openSSLErrors: e.openSSLErrors)
            }
            guard parsed.isSuccessful else {
                throw JSecError(.configuration, "the OCSP response to staple is not a successful response", code: .jsec(.invalidOption))
            }
        case .provider(let interval, _)?:
            if let interval, interval <= .zero {
                throw JSecError(.configuration, "the OCSP refresh interval must be positive, got \(interval)", code: .jsec(.invalidOption))
            }
        }
        guard c.ocspStapling != nil || c.ocspStatus != .off else { return }
        guard jsec_SSL_CTX_set_tlsext_status_cb(ctx, ocspStatusCallback, Unmanaged.passUnretained(self).toOpaque()) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot install the OCSP status callback")
        }
    }

    /// The DER response to staple now, if any (server side).
    func stapleBytes() -> [UInt8]? {
        switch configuration.ocspStapling {
        case .none: return nil
        case .response(let der)?: return der
        case .provider(let interval, let provide)?:
            guard let interval else { return Self.usable(provide()) }
            let now = ContinuousClock.now
            if let cached = ocspCache.withLock({ c -> [UInt8]?? in
                guard let at = c.fetched, now - at < interval else { return nil }
                return .some(c.bytes)
            }) {
                return cached
            }
            let fresh = Self.usable(provide())
            ocspCache.withLock { $0 = OCSPStapleCache(bytes: fresh, fetched: now) }
            return fresh
        }
    }

    /// Bytes a provider returned, if they are a successful OCSP response.
    private static func usable(_ bytes: [UInt8]?) -> [UInt8]? {
        guard let bytes, !bytes.isEmpty, let r = try? OCSPResponse(der: bytes), r.isSuccessful else { return nil }
        return bytes
    }
}

extension TLSEngine {
    /// The response the server stapled (client side), or nil.
    var stapledOCSPResponse: [UInt8]? {
        guard role == .client else { return nil }
        var p: UnsafePointer<UInt8>?
        let len = jsec_SSL_get_tlsext_status_ocsp_resp(ssl, &p)
        guard len > 0, let p else { return nil }
        return Array(UnsafeBufferPointer(start: p, count: len))
    }

    /// Client: checks the stapled response for the server's leaf; returns why it is not acceptable, or nil.
    func ocspProblem() -> (reason: JSecError.Code.Reason, message: String)? {
        guard let der = stapledOCSPResponse else { return (.ocspMissing, "the server stapled no OCSP response") }
        guard let response = try? OCSPResponse(der: der) else { return (.ocspInvalid, "the stapled OCSP response does not parse") }
        guard response.isSuccessful, let basic = OCSP_response_get1_basic(response.response) else {
            return (.ocspInvalid, "the stapled OCSP response is not successful (status \(OCSP_response_status(response.response)))")
        }
        defer { OCSP_BASICRESP_free(basic) }
        guard let leaf = SSL_get0_peer_certificate(ssl) else { return (.ocspInvalid, "the server presented no certificate") }
        // The leaf's issuer: next in the verified chain, else any certificate the peer sent that issued it.
        var issuer: OpaquePointer?
        var candidates: [OpaquePointer] = []
        for stack in [SSL_get0_verified_chain(ssl), SSL_get_peer_cert_chain(ssl)] {
            guard let stack else { continue }
            for i in 0..<jsec_sk_X509_num(stack) { if let x = jsec_sk_X509_value(stack, i) { candidates.append(x) } }
        }
        issuer = candidates.first { X509_cmp($0, leaf) != 0 && X509_check_issued($0, leaf) == X509_V_OK }
        guard let issuer else { return (.ocspInvalid, "cannot find the issuer of the server certificate to check the OCSP response") }
        guard let extra = jsec_sk_X509_new_null() else { return (.ocspInvalid, "out of memory") }
        defer { jsec_sk_X509_free(extra) }  // the stack only borrows the certificates
        for x in candidates where jsec_sk_X509_push(extra, x) == 0 { return (.ocspInvalid, "out of memory") }
        let store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl))
        guard OCSP_basic_verify(basic, extra, store, 0) == 1 else {
            return (.ocspBadSignature, "the stapled OCSP response is not correctly signed by the issuer or a responder it authorised")
        }
        guard let id = OCSP_cert_to_id(nil, leaf, issuer) else { return (.ocspInvalid, "cannot build the OCSP certificate id") }
        defer { OCSP_CERTID_free(id) }
        var status: Int32 = -1, reason: Int32 = -1
        var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        guard OCSP_resp_find_status(basic, id, &status, &reason, &revoked, &thisUpdate, &nextUpdate) == 1 else {
            return (.ocspNotForCertificate, "the stapled OCSP response does not cover the server certificate")
        }
        guard OCSP_check_validity(thisUpdate, nextUpdate, 300, -1) == 1 else {
            return (.ocspExpired, "the stapled OCSP response is expired or not yet valid")
        }
        switch status {
        case V_OCSP_CERTSTATUS_GOOD: return nil
        case V_OCSP_CERTSTATUS_REVOKED: return (.ocspRevoked, "the stapled OCSP response says the server certificate is revoked")
        default: return (.ocspStatusUnknown, "the stapled OCSP response says the server certificate status is unknown")
        }
    }
}

/// `SSL_CTX_set_tlsext_status_cb`: servers staple, clients check.
private let ocspStatusCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { ssl, arg in
    guard let ssl, let arg else { return 0 }
    let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
    if SSL_is_server(ssl) == 1 {
        guard let der = context.stapleBytes() else { return SSL_TLSEXT_ERR_NOACK }
        let ok = der.withUnsafeBufferPointer { jsec_SSL_set_tlsext_status_ocsp_resp_copy(ssl, $0.baseAddress, $0.count) }
        return ok == 1 ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK
    }
    guard context.configuration.ocspStatus == .require, let raw = jsec_SSL_get_app_data(ssl) else { return 1 }
    let engine = Unmanaged<TLSEngine>.fromOpaque(raw).takeUnretainedValue()
    if let problem = engine.ocspProblem() {
        engine.ocspFailure = problem
        return 0
    }
    return 1
}
