internal import CJSecOpenSSL

/// A public key (`EVP_PKEY` holding only the public half) with one owner that frees it.
public final class PublicKey: @unchecked Sendable, Equatable {
    // @unchecked Sendable: the EVP_PKEY is never mutated after construction, and
    // OpenSSL allows concurrent read-only use of a key from several threads.
    package let pkey: OpaquePointer

    /// Takes ownership of `pkey`.
    package init(taking pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }

    /// Parses a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    public convenience init(pem: String) throws {
        guard pem.utf8.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(pem.utf8.count) }
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(Array(pem.utf8))
        guard let key = PEM_read_bio_PUBKEY(bio.bio, nil, nil, nil) else {
            throw JSecError.openSSL(.crypto, "cannot parse the PEM public key (expected BEGIN PUBLIC KEY)")
        }
        self.init(taking: key)
    }

    /// Parses a DER SubjectPublicKeyInfo.
    public convenience init(der: [UInt8]) throws {
        guard der.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(der.count) }
        OpenSSLErrorQueue.clear()
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_PUBKEY(nil, &p, buf.count)
        }
        guard let key, !der.isEmpty else { throw JSecError.openSSL(.crypto, "cannot parse the DER public key (\(der.count) bytes)") }
        self.init(taking: key)
    }

    /// A raw Ed25519 or X25519 public key (32 bytes).
    public convenience init(raw: [UInt8], type: KeyType) throws {
        let name: String
        switch type {
        case .ed25519: name = "ED25519"
        case .x25519: name = "X25519"
        default: throw JSecError(.configuration, "raw public keys are only supported for Ed25519 and X25519", code: .jsec(.wrongKeyType))
        }
        guard raw.count == 32 else { throw JSecError(.crypto, "a raw \(name) public key is 32 bytes, got \(raw.count)", code: .jsec(.malformedInput)) }
        OpenSSLErrorQueue.clear()
        guard let key = EVP_PKEY_new_raw_public_key_ex(nil, name, nil, raw, raw.count) else {
            throw JSecError.openSSL(.crypto, "invalid raw \(name) public key")
        }
        self.init(taking: key)
    }

    /// SubjectPublicKeyInfo PEM.
    public var pem: String { get throws { try KeyEncoding.publicPEM(pkey) } }
    /// SubjectPublicKeyInfo DER.
    public var der: [UInt8] { get throws { try KeyEncoding.publicDER(pkey) } }
    /// Raw public key bytes for Ed25519/X25519 (nil for other types).
    public var raw: [UInt8]? { KeyEncoding.rawPublic(pkey) }

    public var info: KeyInfo { KeyInfo(pkey, encrypted: false, isPrivate: false) }
    public var algorithm: String { PrivateKey.algorithmName(of: pkey) }
    public var bits: Int { Int(EVP_PKEY_get_bits(pkey)) }

    public static func == (a: PublicKey, b: PublicKey) -> Bool { EVP_PKEY_eq(a.pkey, b.pkey) == 1 }
}

/// Type, size and curve of a key (jsec's `key-info`).
public struct KeyInfo: Sendable, Hashable {
    /// `RSA`, `EC`, `ED25519`, `X25519`, …
    public let type: String
    public let bits: Int
    /// `P-256`, `P-384`, `P-521` for EC keys (the NIST name), nil otherwise.
    public let curve: String?
    /// True when the input it was read from was encrypted.
    public let encrypted: Bool
    public let isPrivate: Bool

    init(_ pkey: OpaquePointer, encrypted: Bool, isPrivate: Bool) {
        type = PrivateKey.algorithmName(of: pkey)
        bits = Int(EVP_PKEY_get_bits(pkey))
        var buf = [CChar](repeating: 0, count: 64)
        var len = 0
        if type == "EC", EVP_PKEY_get_utf8_string_param(pkey, "group", &buf, buf.count, &len) == 1 {
            let sn = String(decoding: buf.prefix(len).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch sn {
            case "prime256v1": curve = "P-256"
            case "secp384r1": curve = "P-384"
            case "secp521r1": curve = "P-521"
            default: curve = sn
            }
        } else {
            curve = nil
        }
        ERR_clear_error()
        self.encrypted = encrypted
        self.isPrivate = isPrivate
    }
}

enum KeyLimits {
    /// Keys, certificates and similar inputs larger than this are rejected before parsing (1 MiB).
    static let maximumInput = 1 << 20
    static func tooLarge(_ n: Int) -> JSecError {
        JSecError(.configuration, "input of \(n) bytes exceeds the \(maximumInput)-byte limit", code: .jsec(.inputTooLarge))
    }
}

/// Shared encoders for private and public keys.
enum KeyEncoding {
    // Key encoding goes through OpenSSL 3's provider encoders: a key from a provider without one
    // (or an OpenSSL configured without the base/default provider) cannot be written, so these throw.
    static func publicPEM(_ pkey: OpaquePointer) throws -> String {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO()
        guard PEM_write_bio_PUBKEY(bio.bio, pkey) == 1 else { throw JSecError.openSSL(.crypto, "cannot encode the public key as PEM") }
        return String(decoding: bio.readAll(), as: UTF8.self)
    }

    static func publicDER(_ pkey: OpaquePointer) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO()
        guard i2d_PUBKEY_bio(bio.bio, pkey) == 1 else { throw JSecError.openSSL(.crypto, "cannot encode the public key as DER") }
        return bio.readAll()
    }

    static func rawPublic(_ pkey: OpaquePointer) -> [UInt8]? {
        let id = EVP_PKEY_get_base_id(pkey)
        guard id == EVP_PKEY_ED25519 || id == EVP_PKEY_X25519 || id == EVP_PKEY_ED448 || id == EVP_PKEY_X448 else { return nil }
        var len = 0
        guard EVP_PKEY_get_raw_public_key(pkey, nil, &len) == 1 else { ERR_clear_error(); return nil }
        var out = [UInt8](repeating: 0, count: len)
        guard EVP_PKEY_get_raw_public_key(pkey, &out, &len) == 1 else { ERR_clear_error(); return nil }
        return out
    }
}
