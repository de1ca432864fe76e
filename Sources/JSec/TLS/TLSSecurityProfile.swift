/// A named choice of protocol versions and TLS 1.2 ciphers, set as ``TLSConfiguration/securityProfile``.
///
/// The profiles follow Mozilla's server-side TLS guidelines. Every profile keeps OpenSSL's TLS 1.3
/// suites (all of them AEAD with forward secrecy); they differ in what TLS 1.2 (and DTLS 1.2) offers:
///
/// | profile          | versions          | TLS 1.2 / DTLS 1.2 ciphers                                       | groups |
/// |------------------|-------------------|------------------------------------------------------------------|--------|
/// | `.modern`        | TLS 1.3 only      | none                                                             | X25519, P-256, P-384 |
/// | `.intermediate`  | TLS 1.2 and 1.3   | ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only (default) | X25519, P-256, P-384 |
/// | `.compatible`    | TLS 1.2 and 1.3   | OpenSSL's default list: adds CBC (SHA-1, SHA-256) and static-RSA suites | OpenSSL's default: adds X448, P-521, FFDHE |
///
/// The profile combines with the explicit settings: ``TLSConfiguration/minimumVersion`` and
/// ``TLSConfiguration/maximumVersion`` narrow the profile's versions further (a range outside them is a
/// `.configuration` error), and an explicit ``TLSConfiguration/cipherList`` replaces the profile's
/// TLS 1.2 list (with `.modern`, which has no TLS 1.2, a cipher list is a `.configuration` error), and an
/// explicit ``TLSConfiguration/groups`` replaces the profile's groups.
public enum TLSSecurityProfile: String, Sendable, Hashable, CaseIterable, Codable {
    /// TLS 1.3 only. Not available for DTLS (OpenSSL has no DTLS 1.3).
    case modern
    /// TLS 1.2 with forward-secret AEAD suites only, and TLS 1.3: Mozilla's "intermediate" profile without
    /// the finite-field DHE suites. The default.
    case intermediate
    /// OpenSSL's default TLS 1.2 list (CBC suites with SHA-1 and SHA-256 MACs, static RSA key exchange),
    /// for peers too old for ``intermediate``. Weaker: no forward secrecy with static RSA, CBC padding oracles.
    case compatible

    /// The lowest version the profile allows.
    public var minimumVersion: TLSVersion { self == .modern ? .tls1_3 : .tls1_2 }

    /// The TLS 1.2 cipher list the profile sets; nil leaves OpenSSL's default (``compatible``) or
    /// offers no TLS 1.2 at all (``modern``).
    public var tls12CipherList: String? {
        switch self {
        case .intermediate: return Self.intermediateCipherList
        case .modern, .compatible: return nil
        }
    }

    /// The key-exchange groups the profile offers (client) and accepts (server), in preference order; nil leaves
    /// OpenSSL's default list (``compatible``: adds X448, P-521 and the FFDHE groups). An explicit
    /// ``TLSConfiguration/groups`` replaces it.
    public var groups: String? {
        switch self {
        case .modern, .intermediate: return Self.defaultGroups
        case .compatible: return nil
        }
    }

    /// X25519, P-256, P-384: Mozilla's "modern" and "intermediate" groups (v5.7), the ones every current client offers.
    public static let defaultGroups = "X25519:P-256:P-384"

    /// ECDHE with ECDSA or RSA authentication; AES-GCM and ChaCha20-Poly1305 only (Mozilla "intermediate", v5.7,
    /// minus DHE-RSA). Ed25519 certificates use the ECDSA suites in TLS 1.2 (RFC 8422).
    public static let intermediateCipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
}
