internal import CJSecOpenSSL
import Foundation

/// The status of one certificate in an OCSP response.
public enum OCSPCertificateStatus: Sendable, Hashable {
    case good
    case revoked(at: Date, reason: RevocationReason?)
    case unknown
}

/// The certificate identity inside an OCSP request (RFC 6960 §4.1.1 CertID).
public struct OCSPCertID: Sendable, Hashable {
    public let hashAlgorithm: String
    public let issuerNameHash: [UInt8]
    public let issuerKeyHash: [UInt8]
    /// Serial number, upper-case hex.
    public let serialHex: String
}

/// An OCSP request (`OCSP_REQUEST`) with one owner that frees it.
public final class OCSPRequest: @unchecked Sendable {
    // @unchecked Sendable: never mutated after construction.
    package let request: OpaquePointer

    package init(taking request: OpaquePointer) { self.request = request }
    deinit { OCSP_REQUEST_free(request) }

    /// Parses a DER request (jsec's `parse-ocsp-request`).
    public convenience init(der: [UInt8]) throws {
        guard der.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(der.count) }
        OpenSSLErrorQueue.clear()
        let r: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_OCSP_REQUEST(nil, &p, buf.count)
        }
        guard let r, !der.isEmpty else { throw JSecError.openSSL(.crypto, "cannot parse the DER OCSP request (\(der.count) bytes)") }
        guard OCSP_request_onereq_count(r) > 0 else {
            OCSP_REQUEST_free(r)
            throw JSecError(.crypto, "the OCSP request names no certificate", code: .jsec(.malformedInput))
        }
        self.init(taking: r)
    }

    /// A request for `certificate` issued by `issuer` (SHA-1 CertID, as most responders expect), with a random nonce.
    public static func create(for certificate: Certificate, issuer: Certificate, includeNonce: Bool = true) throws -> OCSPRequest {
        OpenSSLErrorQueue.clear()
        guard let r = OCSP_REQUEST_new() else { throw JSecError.openSSL(.crypto, "OCSP_REQUEST_new failed") }
        let req = OCSPRequest(taking: r)
        guard let id = OCSP_cert_to_id(nil, certificate.x509, issuer.x509) else { throw JSecError.openSSL(.crypto, "cannot build the CertID") }
        guard OCSP_request_add0_id(r, id) != nil else { OCSP_CERTID_free(id); throw JSecError.openSSL(.crypto, "cannot add the CertID") }
        if includeNonce, OCSP_request_add1_nonce(r, nil, -1) != 1 { throw JSecError.openSSL(.crypto, "cannot add a nonce") }
        return req
    }

    public var der: [UInt8] {
        derEncode { i2d_OCSP_REQUEST(request, $0) }
    }

    /// The certificates asked about.
    public var certIDs: [OCSPCertID] {
        var out: [OCSPCertID] = []
        for i in 0..<OCSP_request_onereq_count(request) {
            guard let one = OCSP_request_onereq_get0(request, i), let cid = OCSP_onereq_get0_id(one) else { continue }
            var nameHash: UnsafeMutablePointer<ASN1_OCTET_STRING>?
            var keyHash: UnsafeMutablePointer<ASN1_OCTET_STRING>?
            var md: OpaquePointer?
            var serial: UnsafeMutablePointer<ASN1_INTEGER>?
            guard OCSP_id_get0_info(&nameHash, &md, &keyHash, &serial, cid) == 1 else { continue }
            var alg = "unknown"
            if let md { let nid = OBJ_obj2nid(md); if let sn = OBJ_nid2sn(nid) { alg = String(cString: sn) } }
            out.append(
                OCSPCertID(
                    hashAlgorithm: alg, issuerNameHash: octets(nameHash), issuerKeyHash: octets(keyHash),
                    serialHex: SerialNumber.hex(serial.map { UnsafePointer($0) })))
        }
        return out
    }

    /// The request nonce (the octets inside the nonce extension), nil when absent.
    public var nonce: [UInt8]? {
        let idx = OCSP_REQUEST_get_ext_by_NID(request, NID_id_pkix_OCSP_Nonce, -1)
        guard idx >= 0, let ext = OCSP_REQUEST_get_ext(request, idx), let data = X509_EXTENSION_get_data(ext) else { return nil }
        let raw = octets(data)
        // The extension value is a DER OCTET STRING wrapping the nonce; fall back to the raw value.
        return raw.withUnsafeBufferPointer { buf -> [UInt8] in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            guard let inner = d2i_ASN1_OCTET_STRING(nil, &p, buf.count) else { ERR_clear_error(); return raw }
            defer { ASN1_OCTET_STRING_free(inner) }
            return octets(inner)
        }
    }
}

func octets(_ s: UnsafeMutablePointer<ASN1_OCTET_STRING>?) -> [UInt8] {
    guard let s, let d = ASN1_STRING_get0_data(s) else { return [] }
    return Array(UnsafeBufferPointer(start: d, count: Int(ASN1_STRING_length(s))))
}

/// A DER OCSP response (`OCSP_RESPONSE`) with one owner that frees it.
public final class OCSPResponse: @unchecked Sendable {
    // @unchecked Sendable: never mutated after construction.
    package let response: OpaquePointer

    package init(taking response: OpaquePointer) { self.response = response }
    deinit { OCSP_RESPONSE_free(response) }

    public convenience init(der: [UInt8]) throws {
        guard der.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(der.count) }
        OpenSSLErrorQueue.clear()
        let r: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_OCSP_RESPONSE(nil, &p, buf.count)
        }
        guard let r, !der.isEmpty else { throw JSecError.openSSL(.crypto, "cannot parse the DER OCSP response (\(der.count) bytes)") }
        self.init(taking: r)
    }

    public var der: [UInt8] {
        derEncode { i2d_OCSP_RESPONSE(response, $0) }
    }

    /// Whether the responder answered (OCSPResponseStatus successful).
    public var isSuccessful: Bool { OCSP_response_status(response) == OCSP_RESPONSE_STATUS_SUCCESSFUL }

    /// Verifies the response signature against `trusted` (the issuing CA or its root) and returns the
    /// status of `certificate`. Throws `.verification` when the signature or the nonce does not check out.
    public func status(of certificate: Certificate, issuer: Certificate, trusted: [Certificate], request: OCSPRequest? = nil) throws -> OCSPCertificateStatus {
        OpenSSLErrorQueue.clear()
        guard isSuccessful, let bs = OCSP_response_get1_basic(response) else { throw JSecError.openSSL(.verification, "OCSP response is not successful") }
        defer { OCSP_BASICRESP_free(bs) }
        guard let store = X509_STORE_new() else { throw JSecError.openSSL(.crypto, "X509_STORE_new failed") }
        defer { X509_STORE_free(store) }
        for t in trusted { guard X509_STORE_add_cert(store, t.x509) == 1 else { throw JSecError.openSSL(.crypto, "cannot add a trusted certificate") } }
        guard let extra = jsec_sk_X509_new_null() else { throw JSecError.openSSL(.crypto, "stack allocation failed") }
        defer { jsec_sk_X509_free(extra) }
        guard jsec_sk_X509_push(extra, issuer.x509) > 0 else { throw JSecError.openSSL(.crypto, "cannot add the issuer") }
        guard OCSP_basic_verify(bs, extra, store, 0) == 1 else { throw JSecError.openSSL(.verification, "OCSP response signature does not verify") }
        if let request, OCSP_check_nonce(request.request, bs) <= 0 {
            throw JSecError.openSSL(.verification, "OCSP response nonce does not match the request")
        }
        guard let id = OCSP_cert_to_id(nil, certificate.x509, issuer.x509) else { throw JSecError.openSSL(.crypto, "cannot build the CertID") }
        defer { OCSP_CERTID_free(id) }
        var status: Int32 = -1, reason: Int32 = -1
        var revtime: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var thisupd: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextupd: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        guard OCSP_resp_find_status(bs, id, &status, &reason, &revtime, &thisupd, &nextupd) == 1 else {
            OpenSSLErrorQueue.clear()
            return .unknown
        }
        guard OCSP_check_validity(thisupd, nextupd, 300, -1) == 1 else {
            throw JSecError.openSSL(.verification, "OCSP response is outside its validity period")
        }
        OpenSSLErrorQueue.clear()
        switch status {
        case V_OCSP_CERTSTATUS_GOOD: return .good
        case V_OCSP_CERTSTATUS_REVOKED:
            return .revoked(at: Certificate.date(revtime.map { UnsafePointer($0) }), reason: reason >= 0 ? RevocationReason(rawValue: Int(reason)) : nil)
        default: return .unknown
        }
    }
}

extension CertificateAuthority {
    /// A signed OCSP response (jsec's `create-ocsp-response`) giving `status` for every certificate in
    /// `request`, valid from `thisUpdate` for `validity` seconds; the request nonce is echoed.
    /// Signed by this CA, or by `responder`: a delegated responder certificate this CA issued with the
    /// OCSPSigning extended key usage (RFC 6960 §4.2.2.2), which is then included in the response.
    public func ocspResponse(
        to request: OCSPRequest, status: OCSPCertificateStatus, includeNonce: Bool = true,
        thisUpdate: Date = Date(), validity: TimeInterval = 86_400,
        responder: CertificateAndKey? = nil
    ) throws -> OCSPResponse {
        if let responder {
            guard responder.certificate.extendedKeyUsage.contains(.ocspSigning), responder.certificate.isSignatureValid(issuer: certificate) else {
                throw JSecError(
                    .configuration, "a delegated OCSP responder must be issued by this CA with the OCSPSigning extended key usage",
                    code: .jsec(.invalidArgument))
            }
        }
        guard validity > 0 else { throw JSecError(.configuration, "OCSP validity must be positive", code: .jsec(.invalidArgument)) }
        OpenSSLErrorQueue.clear()
        guard let bs = OCSP_BASICRESP_new() else { throw JSecError.openSSL(.crypto, "OCSP_BASICRESP_new failed") }
        defer { OCSP_BASICRESP_free(bs) }
        for i in 0..<OCSP_request_onereq_count(request.request) {
            guard let one = OCSP_request_onereq_get0(request.request, i), let cid = OCSP_onereq_get0_id(one) else { continue }
            let (code, reason, revDate): (Int32, Int32, Date?) = {
                switch status {
                case .good: return (V_OCSP_CERTSTATUS_GOOD, -1, nil)
                case .unknown: return (V_OCSP_CERTSTATUS_UNKNOWN, -1, nil)
                case .revoked(let at, let r): return (V_OCSP_CERTSTATUS_REVOKED, Int32(r?.rawValue ?? -1), at)
                }
            }()
            try withASN1Time(thisUpdate) { thisT in
                try withASN1Time(thisUpdate.addingTimeInterval(validity)) { nextT in
                    let ok: Bool
                    if let revDate {
                        ok = try withASN1Time(revDate) { revT in OCSP_basic_add1_status(bs, cid, code, reason, revT, thisT, nextT) != nil }
                    } else {
                        ok = OCSP_basic_add1_status(bs, cid, code, reason, nil, thisT, nextT) != nil
                    }
                    guard ok else { throw JSecError.openSSL(.crypto, "cannot add a status to the OCSP response") }
                }
            }
        }
        if includeNonce, OCSP_copy_nonce(bs, request.request) <= 0 { throw JSecError.openSSL(.crypto, "cannot copy the nonce") }
        let signerCert = responder?.certificate ?? certificate, signerKey = responder?.privateKey ?? privateKey
        guard OCSP_basic_sign(bs, signerCert.x509, signerKey.pkey, CertificateBuilder.signingDigest(for: signerKey), nil, 0) == 1 else {
            throw JSecError.openSSL(.crypto, "signing the OCSP response failed")
        }
        guard let resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs) else { throw JSecError.openSSL(.crypto, "OCSP_response_create failed") }
        return OCSPResponse(taking: resp)
    }

    /// A response whose status comes from this CA's revocation list: revoked when listed; otherwise good,
    /// or unknown when the CA tracks issued certificates and did not issue the serial.
    public func ocspResponse(to request: OCSPRequest, includeNonce: Bool = true, responder: CertificateAndKey? = nil) throws -> OCSPResponse {
        guard let id = request.certIDs.first else { throw JSecError(.crypto, "the OCSP request names no certificate", code: .jsec(.malformedInput)) }
        let status: OCSPCertificateStatus
        if let r = revocation(serialHex: id.serialHex) {
            status = .revoked(at: r.revocationDate, reason: r.reason)
        } else if let issued = issuedCertificates,
            !issued.contains(where: { SerialNumber.normalize($0.serialNumberHex) == SerialNumber.normalize(id.serialHex) })
        {
            status = .unknown
        } else {
            status = .good
        }
        return try ocspResponse(to: request, status: status, includeNonce: includeNonce, responder: responder)
    }
}

/// Runs an `i2d_*` encoder twice (length, then bytes).
func derEncode(_ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8] {
    let len = i2d(nil)
    guard len > 0 else { outOfMemory("DER encoding") }
    let der = [UInt8](unsafeUninitializedCapacity: Int(len)) { buf, count in
        var p: UnsafeMutablePointer<UInt8>? = buf.baseAddress
        let written = i2d(&p)
        count = written == len ? Int(written) : 0  // -1 from a failed second call must not become the count
    }
    guard der.count == Int(len) else { outOfMemory("DER encoding") }
    return der
}
