internal import CJSecOpenSSL

extension JSecError {
    /// What exactly failed, as the number the deciding layer gave it: a program (or a test) matches
    /// this, never the message text.
    ///
    /// ```swift
    /// catch let e as JSecError where e.code == .errno(ECONNREFUSED) { … }
    /// catch let e as JSecError where e.code == .certificate(.unableToGetLocalIssuerCertificate) { … }
    /// catch let e as JSecError where e.code == .alertReceived(.certificateRequired) { … }
    /// ```
    ///
    /// A struct, not an enum, so that a new kind of code or a new ``Reason`` is an addition, not a break: compare with
    /// `==`, or ask an accessor (``errnoValue``, ``openSSLLibrary``, ``jsecReason``…) for the number inside.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Which layer decided, and its number. Internal: a switch over it stays inside JSecCrypto.
        enum Kind: Hashable, Sendable {
            case certificate(X509VerifyResult)
            case alertReceived(TLSAlert)
            case errno(Int32)
            case addressResolution(Int32)
            case openSSL(library: Int32, reason: Int32)
            case jsec(Reason)
        }

        let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// Certificate verification failed with this result (OpenSSL's `X509_V_ERR_*`).
        public static func certificate(_ result: X509VerifyResult) -> Code { Code(.certificate(result)) }
        /// The peer sent this TLS/DTLS alert (its AlertDescription number, RFC 8446 §6.2).
        public static func alertReceived(_ alert: TLSAlert) -> Code { Code(.alertReceived(alert)) }
        /// The operating system failed with this error number (`errno`: ECONNREFUSED, EADDRINUSE, …).
        public static func errno(_ number: Int32) -> Code { Code(.errno(number)) }
        /// A host name could not be resolved (getaddrinfo's `EAI_*` code).
        public static func addressResolution(_ code: Int32) -> Code { Code(.addressResolution(code)) }
        /// OpenSSL failed: the library and reason of the first entry of its error queue
        /// (`ERR_GET_LIB`, `ERR_GET_REASON`; e.g. library 20 is SSL, 9 is PEM).
        public static func openSSL(library: Int32, reason: Int32) -> Code { Code(.openSSL(library: library, reason: reason)) }
        /// A condition JSec detects itself.
        public static func jsec(_ reason: Reason) -> Code { Code(.jsec(reason)) }

        /// The verification result of a ``certificate(_:)`` code, else nil.
        public var verifyResult: X509VerifyResult? { if case .certificate(let r) = kind { r } else { nil } }
        /// The alert of an ``alertReceived(_:)`` code, else nil.
        public var receivedAlert: TLSAlert? { if case .alertReceived(let a) = kind { a } else { nil } }
        /// The number of an ``errno(_:)`` code, else nil.
        public var errnoValue: Int32? { if case .errno(let n) = kind { n } else { nil } }
        /// getaddrinfo's `EAI_*` code of an ``addressResolution(_:)`` code, else nil.
        public var addressResolutionError: Int32? { if case .addressResolution(let n) = kind { n } else { nil } }
        /// The OpenSSL library (`ERR_GET_LIB`) of an ``openSSL(library:reason:)`` code, else nil.
        public var openSSLLibrary: Int32? { if case .openSSL(let library, _) = kind { library } else { nil } }
        /// The OpenSSL reason (`ERR_GET_REASON`) of an ``openSSL(library:reason:)`` code, else nil.
        public var openSSLReason: Int32? { if case .openSSL(_, let reason) = kind { reason } else { nil } }
        /// The reason of a ``jsec(_:)`` code, else nil.
        public var jsecReason: Reason? { if case .jsec(let r) = kind { r } else { nil } }

        public var description: String {
            switch kind {
            case .certificate(let r): return "X509 \(r.rawValue) (\(r))"
            case .alertReceived(let a): return "alert \(a.rawValue) (\(a))"
            case .errno(let n): return errnoName(n)
            case .addressResolution(let n): return "EAI \(n)"
            case .openSSL(let lib, let reason): return "OpenSSL \(lib):\(reason)"
            case .jsec(let r): return r.rawValue
            }
        }

        /// A server that requires a client certificate got none (OpenSSL's `SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE`).
        public static let peerDidNotReturnCertificate = Code.openSSL(library: ERR_LIB_SSL, reason: SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)

        /// The peer refused a TLS 1.2 renegotiation (its no_renegotiation alert; OpenSSL's `SSL_R_NO_RENEGOTIATION`).
        public static let renegotiationRefused = Code.openSSL(library: ERR_LIB_SSL, reason: SSL_R_NO_RENEGOTIATION)

        /// The code OpenSSL's error queue entry stands for: an alert the peer sent, a system error, or an OpenSSL reason.
        package init(_ entry: OpenSSLErrorQueue.Entry) {
            let lib = ERR_GET_LIB(entry.code)
            let reason = ERR_GET_REASON(entry.code)
            if lib == ERR_LIB_SYS {
                self.init(.errno(reason))
            } else if lib == ERR_LIB_SSL, reason >= SSL_AD_REASON_OFFSET, reason < SSL_AD_REASON_OFFSET + 256 {
                self.init(.alertReceived(TLSAlert(rawValue: UInt8(reason - SSL_AD_REASON_OFFSET))))
            } else {
                self.init(.openSSL(library: lib, reason: reason))
            }
        }

        /// The code of the first (root-cause) entry of a drained error queue; ``Reason/openSSLQueueEmpty`` when
        /// OpenSSL failed without an entry.
        package init(firstOf entries: [OpenSSLErrorQueue.Entry]) {
            if let first = entries.first { self.init(first) } else { self.init(.jsec(.openSSLQueueEmpty)) }
        }
    }

    /// The symbolic name of an `errno` value ("ECONNREFUSED"), or "errno N" where the C library has none.
    public static func errnoName(_ n: Int32) -> String {
        if let name = jsec_errno_name(n) { return String(cString: name) }
        return "errno \(n)"
    }

    /// The C library's text for an `errno` value, starting lower-case ("connection refused").
    public static func errnoText(_ n: Int32) -> String {
        guard let text = jsec_errno_text(n) else { return "errno \(n)" }
        let s = String(cString: text)
        return s.prefix(1).lowercased() + s.dropFirst()
    }
}

/// A certificate verification result: OpenSSL's `X509_V_ERR_*` number.
public struct X509VerifyResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let unableToGetIssuerCertificate = Self(rawValue: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
    public static let unableToGetCRL = Self(rawValue: X509_V_ERR_UNABLE_TO_GET_CRL)
    public static let certificateSignatureFailure = Self(rawValue: X509_V_ERR_CERT_SIGNATURE_FAILURE)
    public static let certificateNotYetValid = Self(rawValue: X509_V_ERR_CERT_NOT_YET_VALID)
    public static let certificateHasExpired = Self(rawValue: X509_V_ERR_CERT_HAS_EXPIRED)
    public static let selfSignedCertificate = Self(rawValue: X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
    public static let selfSignedCertificateInChain = Self(rawValue: X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
    public static let unableToGetLocalIssuerCertificate = Self(rawValue: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    public static let certificateRevoked = Self(rawValue: X509_V_ERR_CERT_REVOKED)
    public static let invalidCA = Self(rawValue: X509_V_ERR_INVALID_CA)
    public static let invalidPurpose = Self(rawValue: X509_V_ERR_INVALID_PURPOSE)
    public static let applicationVerification = Self(rawValue: X509_V_ERR_APPLICATION_VERIFICATION)
    public static let hostnameMismatch = Self(rawValue: X509_V_ERR_HOSTNAME_MISMATCH)
    public static let ipAddressMismatch = Self(rawValue: X509_V_ERR_IP_ADDRESS_MISMATCH)

    /// OpenSSL's text for the result ("unable to get local issuer certificate").
    public var description: String { String(cString: X509_verify_cert_error_string(Int(rawValue))) }
}

/// A TLS/DTLS alert description number (RFC 8446 §6.2, RFC 5246 §7.2).
public struct TLSAlert: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let closeNotify = Self(rawValue: 0)
    public static let unexpectedMessage = Self(rawValue: 10)
    public static let badRecordMAC = Self(rawValue: 20)
    public static let recordOverflow = Self(rawValue: 22)
    public static let handshakeFailure = Self(rawValue: 40)
    public static let badCertificate = Self(rawValue: 42)
    public static let unsupportedCertificate = Self(rawValue: 43)
    public static let certificateRevoked = Self(rawValue: 44)
    public static let certificateExpired = Self(rawValue: 45)
    public static let certificateUnknown = Self(rawValue: 46)
    public static let illegalParameter = Self(rawValue: 47)
    public static let unknownCA = Self(rawValue: 48)
    public static let accessDenied = Self(rawValue: 49)
    public static let decodeError = Self(rawValue: 50)
    public static let decryptError = Self(rawValue: 51)
    public static let protocolVersion = Self(rawValue: 70)
    public static let insufficientSecurity = Self(rawValue: 71)
    public static let internalError = Self(rawValue: 80)
    public static let userCanceled = Self(rawValue: 90)
    public static let noRenegotiation = Self(rawValue: 100)
    public static let missingExtension = Self(rawValue: 109)
    public static let unsupportedExtension = Self(rawValue: 110)
    public static let unrecognizedName = Self(rawValue: 112)
    public static let badCertificateStatusResponse = Self(rawValue: 113)
    public static let certificateRequired = Self(rawValue: 116)
    public static let noApplicationProtocol = Self(rawValue: 120)

    /// The alert's name, as RFC 8446 spells it with spaces ("bad certificate"); "unknown" for other numbers.
    public var description: String { Self.names[rawValue] ?? "unknown" }

    private static let names: [UInt8: String] = [
        0: "close notify", 10: "unexpected message", 20: "bad record mac", 22: "record overflow", 40: "handshake failure",
        42: "bad certificate", 43: "unsupported certificate", 44: "certificate revoked", 45: "certificate expired",
        46: "certificate unknown", 47: "illegal parameter", 48: "unknown CA", 49: "access denied", 50: "decode error",
        51: "decrypt error", 70: "protocol version", 71: "insufficient security", 80: "internal error",
        86: "inappropriate fallback", 90: "user canceled", 100: "no renegotiation", 109: "missing extension",
        110: "unsupported extension", 112: "unrecognized name", 113: "bad certificate status response",
        115: "unknown PSK identity", 116: "certificate required", 120: "no application protocol",
    ]
}
