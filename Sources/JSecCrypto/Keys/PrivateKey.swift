internal import CJSecOpenSSL
#if canImport(Glibc)
    import Glibc
#endif

/// Key algorithms that JSec can generate.
public enum KeyType: Sendable, Hashable, CustomStringConvertible {
    case rsa(bits: Int)
    case ecP256
    case ecP384
    case ecP521
    case ed25519
    case x25519

    public static let rsa2048 = KeyType.rsa(bits: 2048)
    public static let rsa3072 = KeyType.rsa(bits: 3072)
    public static let rsa4096 = KeyType.rsa(bits: 4096)

    public var description: String {
        switch self {
        case .rsa(let bits): return "RSA-\(bits)"
        case .ecP256: return "EC-P256"
        case .ecP384: return "EC-P384"
        case .ecP521: return "EC-P521"
        case .ed25519: return "Ed25519"
        case .x25519: return "X25519"
        }
    }

    /// Whether a key of this type can sign (be a certificate's key). X25519 is for key agreement only.
    public var canSign: Bool { self != .x25519 }

    /// The names of the key types that can sign, for messages and help texts.
    public static let signingNames = "rsa2048, rsa3072, rsa4096, p256, p384, p521 or ed25519"

    /// Parses names such as `rsa2048`, `RSA-3072`, `p256`, `ec-p384`, `ed25519`.
    public init(name: String) throws {
        let n = name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        switch n {
        case "rsa", "rsa2048": self = .rsa2048
        case "rsa3072": self = .rsa3072
        case "rsa4096": self = .rsa4096
        case "p256", "ecp256", "ec", "prime256v1", "secp256r1": self = .ecP256
        case "p384", "ecp384", "secp384r1": self = .ecP384
        case "p521", "ecp521", "secp521r1": self = .ecP521
        case "ed25519": self = .ed25519
        case "x25519": self = .x25519
        default:
            throw JSecError(
                .configuration, "unknown key type '\(name)' (expected rsa2048, rsa3072, rsa4096, p256, p384, p521, ed25519 or x25519)",
                code: .jsec(.unknownName))
        }
    }
}

/// A private key (`EVP_PKEY`) with one owner that frees it.
public final class PrivateKey: @unchecked Sendable {
    // @unchecked Sendable: the EVP_PKEY is never mutated after construction, and
    // OpenSSL allows concurrent read-only use of a key from several threads.
    package let pkey: OpaquePointer

    /// Takes ownership of `pkey`.
    package init(taking pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }

    /// Generates a new key.
    ///
    /// - Throws: ``JSecError`` with category `.crypto` and code `.openSSL(library:reason:)` when OpenSSL cannot
    ///   generate a key of this type (no provider offers it).
    public static func generate(_ type: KeyType) throws -> PrivateKey {
        OpenSSLErrorQueue.clear()
        let algorithm: String
        switch type {
        case .rsa: algorithm = "RSA"
        case .ecP256, .ecP384, .ecP521: algorithm = "EC"
        case .ed25519: algorithm = "ED25519"
        case .x25519: algorithm = "X25519"
        }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw JSecError.openSSL(.crypto, "cannot create a key context for \(type)")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw JSecError.openSSL(.crypto, "keygen init failed for \(type)") }
        switch type {
        case .rsa(let bits):
            guard (1024...16384).contains(bits) else {
                throw JSecError(.configuration, "RSA key size \(bits) is out of range (1024…16384)", code: .jsec(.invalidArgument))
            }
            guard jsec_EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1 else {
                throw JSecError.openSSL(.crypto, "cannot set RSA key size \(bits)")
            }
        case .ecP256, .ecP384, .ecP521:
            let curve = type == .ecP256 ? "P-256" : type == .ecP384 ? "P-384" : "P-521"
            guard EVP_PKEY_CTX_set_group_name(ctx, curve) == 1 else {
                throw JSecError.openSSL(.crypto, "cannot set EC curve \(curve)")
            }
        case .ed25519, .x25519: break
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else {
            throw JSecError.openSSL(.crypto, "key generation failed for \(type)")
        }
        return PrivateKey(taking: key)
    }

    /// Parses a PEM private key (PKCS#8, traditional RSA/EC, optionally encrypted with `password`).
    ///
    /// - Throws: ``JSecError``:
    ///   - category `.crypto` with code `.jsec(.keyEncrypted)` when the key is encrypted and no `password` was
    ///     given;
    ///   - category `.crypto` with code `.openSSL(library:reason:)` (OpenSSL's first error) when `pem` is malformed,
    ///     is not a private key, or `password` is wrong;
    ///   - category `.configuration` when `pem` is larger than 1 MiB (the input limit for keys).
    public convenience init(pem: String, password: String? = nil) throws {
        guard pem.utf8.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(pem.utf8.count) }
        if password == nil, pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw JSecError(
                .crypto, "the PEM private key is encrypted and no password was given: pass its password (password:)",
                code: .jsec(.keyEncrypted))
        }
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(Array(pem.utf8))
        let key: OpaquePointer? = password.withPasswordPointer { pw in
            PEM_read_bio_PrivateKey(bio.bio, nil, pemPasswordCallback, pw)
        }
        guard let key else {
            throw JSecError.openSSL(
                .crypto,
                password == nil
                    ? "cannot parse the PEM private key (malformed, not a private key, or encrypted)"
                    : "cannot parse the PEM private key (malformed, or wrong password)")
        }
        self.init(taking: key)
    }

    /// The key as unencrypted PKCS#8 PEM.
    /// Throws a `.crypto` error when OpenSSL cannot encode the key (no encoder in the loaded providers).
    public var pem: String {
        get throws {
            OpenSSLErrorQueue.clear()
            let bio = MemoryBIO()
            guard PEM_write_bio_PrivateKey(bio.bio, pkey, nil, nil, 0, nil, nil) == 1 else {
                throw JSecError.openSSL(.crypto, "cannot encode the private key as PEM")
            }
            return String(decoding: bio.readAll(), as: UTF8.self)
        }
    }

    /// The public half as SubjectPublicKeyInfo PEM.
    public var publicKeyPEM: String { get throws { try KeyEncoding.publicPEM(pkey) } }

    /// Key size in bits (RSA modulus, EC field size, 253 for Ed25519).
    public var bits: Int { Int(EVP_PKEY_get_bits(pkey)) }

    /// Short algorithm name: `RSA`, `EC`, `ED25519`, `X25519`.
    public var algorithm: String { Self.algorithmName(of: pkey) }

    static func algorithmName(of pkey: OpaquePointer) -> String {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA: return "RSA"
        case EVP_PKEY_EC: return "EC"
        case EVP_PKEY_ED25519: return "ED25519"
        case EVP_PKEY_X25519: return "X25519"
        case EVP_PKEY_ED448: return "ED448"
        case EVP_PKEY_RSA_PSS: return "RSA-PSS"
        default:
            if let n = EVP_PKEY_get0_type_name(pkey) { return String(cString: n) }
            return "unknown"
        }
    }
}

/// A PEM password callback that never prompts on a terminal: it answers with the
/// password passed as user data, or with "no password" when there is none.
let pemPasswordCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { buf, size, _, user in
    guard let buf, let user else { return -1 }
    let pw = user.assumingMemoryBound(to: CChar.self)
    let len = strlen(pw)
    guard len <= Int(size) else { return -1 }
    memcpy(buf, pw, len)
    return Int32(len)
}

extension Optional where Wrapped == String {
    /// Calls `body` with a C string for the password, or NULL.
    func withPasswordPointer<R>(_ body: (UnsafeMutableRawPointer?) -> R) -> R {
        guard let s = self else { return body(nil) }
        return s.withCString { body(UnsafeMutableRawPointer(mutating: $0)) }
    }
}
