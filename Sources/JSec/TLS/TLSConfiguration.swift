import Logging

/// A TLS protocol version.
public enum TLSVersion: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case tls1_2 = "TLS1.2"
    case tls1_3 = "TLS1.3"

    /// Accepts `1.2`, `TLS1.2`, `tls1.2`, `TLSv1.2`, `tls12` (and the same for 1.3).
    public init(parsing text: String) throws {
        let t = text.lowercased().replacingOccurrences(of: "tlsv", with: "").replacingOccurrences(of: "tls", with: "")
            .replacingOccurrences(of: "_", with: ".")
        switch t {
        case "1.2", "12": self = .tls1_2
        case "1.3", "13": self = .tls1_3
        case "1.0", "1", "10", "1.1", "11":
            throw JSecError(
                .configuration, "TLS version '\(text)' is not supported: TLS 1.0 and 1.1 are insecure; use TLS1.2 or TLS1.3", code: .jsec(.unsupportedAlgorithm)
            )
        default:
            throw JSecError(.configuration, "unknown TLS version '\(text)' (expected TLS1.2 or TLS1.3)", code: .jsec(.unknownName))
        }
    }

    var openSSLValue: Int32 { self == .tls1_2 ? TLS1_2_VERSION_VALUE : TLS1_3_VERSION_VALUE }
    /// The name OpenSSL reports for a negotiated connection (`TLSv1.2`, `TLSv1.3`).
    public var protocolName: String { self == .tls1_2 ? "TLSv1.2" : "TLSv1.3" }

    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.openSSLValue < b.openSSLValue }
}

let TLS1_2_VERSION_VALUE: Int32 = 0x0303
let TLS1_3_VERSION_VALUE: Int32 = 0x0304

/// Where a certificate chain comes from.
public enum CertificateSource: Sendable {
    /// PEM text: the leaf first, then intermediates.
    case pem(String)
    /// A PEM file: the leaf first, then intermediates.
    case file(String)
    case certificates([Certificate])
}

/// Where a private key comes from.
public enum PrivateKeySource: Sendable {
    case pem(String, password: String? = nil)
    case file(String, password: String? = nil)
    case key(PrivateKey)
}

/// Which certificates a peer's chain must lead to.
public enum TrustRoots: Sendable {
    /// The operating system's trust store (on Debian: /etc/ssl/certs from `ca-certificates`).
    case system
    /// CA or pinned certificates as PEM text.
    case pem(String)
    /// A PEM file of CA or pinned certificates.
    case file(String)
    /// CA or pinned certificates. A pinned leaf (self-signed or not) is trusted as it is.
    case certificates([Certificate])
}

/// How a client checks the server's certificate.
public enum CertificateVerification: Sendable, Hashable {
    /// Verify the chain and the hostname (the secure default).
    case fullVerification
    /// Verify the chain but not the hostname.
    case noHostnameVerification
    /// Accept any certificate. Only for tests and explicit opt-out.
    case none
}

/// Whether a server asks clients for certificates (mTLS).
public enum ClientAuthentication: Sendable, Hashable {
    case none
    /// Ask for a certificate, verify it if given, accept clients without one.
    case optional
    /// Require a valid client certificate; the handshake fails without one.
    case required
}

/// A certificate and key a server presents for one SNI name (or wildcard `*.example.com`).
public struct SNICertificate: Sendable {
    public var serverName: String
    public var certificateChain: CertificateSource
    public var privateKey: PrivateKeySource

    public init(serverName: String, certificateChain: CertificateSource, privateKey: PrivateKeySource) {
        self.serverName = serverName
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}

/// Everything that configures TLS for clients and servers: jsec's `:security`
/// table plus certificates, trust, verification, SNI, ALPN and timeouts.
///
/// Build it once into a ``TLSContext`` (which validates every option and fails
/// with a `JSecError.Category.configuration` error on a bad one) and reuse the context.
public struct TLSConfiguration: Sendable {
    /// The named profile of versions and TLS 1.2 ciphers (``TLSSecurityProfile``): `.intermediate` (TLS 1.2 with
    /// ECDHE and AEAD suites only, and TLS 1.3) unless changed. The version range and cipher list below narrow
    /// or replace what the profile allows.
    public var securityProfile: TLSSecurityProfile = .intermediate
    /// The lowest version accepted; the profile's own minimum (TLS 1.3 for `.modern`) applies too.
    public var minimumVersion: TLSVersion = .tls1_2
    public var maximumVersion: TLSVersion = .tls1_3
    /// OpenSSL cipher list for TLS 1.2 and DTLS 1.2 (e.g. `ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256`).
    /// nil: the ``securityProfile``'s list (``TLSSecurityProfile/intermediateCipherList`` by default).
    public var cipherList: String?
    /// TLS 1.3 cipher suites, colon-separated (e.g. `TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256`). nil: OpenSSL's default.
    public var cipherSuites: String?
    /// Key-exchange groups, colon-separated (e.g. `X25519:P-256`). nil: the security profile's
    /// (``TLSSecurityProfile/groups``: X25519, P-256, P-384, or OpenSSL's default list for `.compatible`).
    public var groups: String?

    /// The certificate chain this side presents (required for servers; for clients, only with mTLS).
    public var certificateChain: CertificateSource?
    public var privateKey: PrivateKeySource?
    /// Extra certificates and keys a server selects by the client's SNI name.
    public var sniCertificates: [SNICertificate] = []

    /// What peers' chains are verified against (clients: the server; servers with mTLS: the clients).
    public var trustRoots: TrustRoots = .system
    public var additionalTrustRoots: [TrustRoots] = []
    /// Client side: how the server certificate is checked.
    public var certificateVerification: CertificateVerification = .fullVerification
    /// Server side: whether client certificates are requested or required.
    public var clientAuthentication: ClientAuthentication = .none

    /// ALPN protocols, most preferred first (client: offered; server: accepted, in server preference order).
    public var applicationProtocols: [String] = []
    /// Server: how many sessions the server-side cache keeps (TLS 1.2 session ids, stateful tickets). nil: OpenSSL's default (20,480).
    public var sessionCacheSize: Int?
    /// Server: issue session tickets (TLS 1.2 tickets, TLS 1.3 stateless tickets). Off: resumption uses the server cache only.
    public var sessionTickets: Bool = true
    /// Server: 80 bytes of ticket key material, so tickets survive a server restart (and work across servers sharing it).
    /// nil: OpenSSL generates a random key per context.
    public var sessionTicketKey: [UInt8]?
    /// Client: remember the latest session per host and port in the ``TLSContext`` and offer it on the next connect.
    public var clientSessionCache: Bool = false

    /// Server: the OCSP response to staple (``OCSPStapling``); nil staples nothing.
    public var ocspStapling: OCSPStapling?
    /// Client: whether to ask for a stapled OCSP response, and whether to require a good one.
    public var ocspStatus: OCSPStatusPolicy = .off

    /// Both sides: a check run after the chain verified (sees the chain, leaf first; accepts or rejects with a reason).
    public var verificationCallback: PeerVerificationCallback?
    /// Both sides: SHA-256 hashes of the SubjectPublicKeyInfo (base64, optionally `sha256/`-prefixed, or hex);
    /// when non-empty, some certificate in the peer's verified chain must match one. See ``JSecCrypto/Certificate/publicKeyPin``.
    public var pinnedPublicKeys: Set<String> = []
    /// Both sides: CRLs to check the peer's leaf against (revoked: "certificate revoked"; a CA without a CRL here fails too).
    public var certificateRevocationLists: [CRLSource] = []

    /// TLS 1.2 renegotiation (RFC 5746 secure renegotiation only), off by default. Both sides must opt in:
    /// with it off, ``TLSConnection/renegotiate()`` is refused locally and a peer's attempt is refused.
    public var allowRenegotiation: Bool = false

    /// Time allowed for the handshake; nil waits forever (not recommended for servers).
    public var handshakeTimeout: Duration? = .seconds(30)

    /// Where diagnostics go (``JSecLog``): nil uses ``JSecLog/logger``, which is silent unless the application
    /// sets it or `JSEC_LOG_LEVEL` is set.
    public var logger: Logger?
    /// Where TLS secrets are written for decrypting captures (``TLSKeyLog``): by default to `SSLKEYLOGFILE`
    /// when that environment variable is set, else nowhere; `.off` never.
    public var keyLog: TLSKeyLog = .environment

    /// TLS streams: how long a full `close()` waits for its close_notify (and any data written before it) to reach
    /// the kernel when the socket's send buffer is full — a peer that stopped reading. Past this the
    /// socket is closed anyway and the peer sees an end of stream without close_notify. `.zero` closes at once.
    /// DTLS does not use it: its close_notify is one datagram, sent without waiting.
    public var closeNotifyTimeout: Duration = .seconds(5)

    public init() {}

    /// A client configuration with secure defaults: system trust store, full verification, TLS 1.2+.
    public static func client(
        trustRoots: TrustRoots = .system, verification: CertificateVerification = .fullVerification,
        applicationProtocols: [String] = []
    ) -> TLSConfiguration {
        var c = TLSConfiguration()
        c.trustRoots = trustRoots
        c.certificateVerification = verification
        c.applicationProtocols = applicationProtocols
        return c
    }

    /// A server configuration presenting `certificateChain` with `privateKey`.
    public static func server(
        certificateChain: CertificateSource, privateKey: PrivateKeySource,
        clientAuthentication: ClientAuthentication = .none, trustRoots: TrustRoots = .system,
        applicationProtocols: [String] = []
    ) -> TLSConfiguration {
        var c = TLSConfiguration()
        c.certificateChain = certificateChain
        c.privateKey = privateKey
        c.clientAuthentication = clientAuthentication
        c.trustRoots = trustRoots
        c.applicationProtocols = applicationProtocols
        return c
    }

    /// A server configuration from a generated certificate.
    public static func server(
        _ identity: CertificateAndKey, clientAuthentication: ClientAuthentication = .none,
        trustRoots: TrustRoots = .system
    ) -> TLSConfiguration {
        server(
            certificateChain: .certificates([identity.certificate]), privateKey: .key(identity.privateKey),
            clientAuthentication: clientAuthentication, trustRoots: trustRoots)
    }
}

/// What a server staples in answer to a client's status_request (OCSP stapling, RFC 6066 §8).
public enum OCSPStapling: Sendable {
    /// A DER OCSP response (e.g. from `openssl ocsp -respout`), stapled as it is.
    case response([UInt8])
    /// A provider called on the event loop when a client asks (keep it fast: return cached bytes).
    /// With `refreshInterval` nil it is called on every handshake that requests status; otherwise its
    /// last answer is reused for that long. nil or bytes that do not parse: nothing is stapled.
    case provider(refreshInterval: Duration?, @Sendable () -> [UInt8]?)
}

/// Whether a client asks for, and insists on, a stapled OCSP response.
public enum OCSPStatusPolicy: Sendable, Hashable {
    /// Do not ask.
    case off
    /// Ask, and report what was stapled in ``TLSConnectionInfo/stapledOCSPResponse``; never fail over it.
    case request
    /// Ask, and fail verification unless a correctly signed, current response says the leaf is good.
    case require
}

/// The answer of a ``PeerVerificationCallback``.
public enum PeerVerificationDecision: Sendable, Hashable {
    case accept
    /// Reject the peer; the handshake fails with a `.verification` error carrying `reason`.
    case reject(String)
}

/// A custom verification check: called with the peer's chain (leaf first) after OpenSSL verified it
/// (with ``CertificateVerification/none``: with the chain the peer sent, unverified).
public typealias PeerVerificationCallback = @Sendable (_ chain: [Certificate]) -> PeerVerificationDecision

/// Where CRLs come from.
public enum CRLSource: Sendable {
    /// A PEM file of one or more CRLs.
    case file(String)
    /// PEM text of one or more CRLs.
    case pem(String)
    case crls([CertificateRevocationList])
}
