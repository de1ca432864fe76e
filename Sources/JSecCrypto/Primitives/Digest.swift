internal import CJSecOpenSSL
import Synchronization

/// Hash algorithms offered by ``Digest`` and ``HMAC``.
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sha1 = "SHA1"
    case sha224 = "SHA2-224"
    case sha256 = "SHA2-256"
    case sha384 = "SHA2-384"
    case sha512 = "SHA2-512"
    case sha3_256 = "SHA3-256"
    case sha3_512 = "SHA3-512"
    case blake2b512 = "BLAKE2B-512"
    case blake2s256 = "BLAKE2S-256"

    /// The OpenSSL algorithm name (used with `EVP_MD_fetch` and `OSSL_PARAM` digest names).
    public var openSSLName: String { rawValue }

    /// Output size in bytes.
    public var outputSize: Int {
        switch self {
        case .sha1: return 20
        case .sha224: return 28
        case .sha256, .sha3_256, .blake2s256: return 32
        case .sha384: return 48
        case .sha512, .sha3_512, .blake2b512: return 64
        }
    }

    public var description: String {
        switch self {
        case .sha1: return "sha1"
        case .sha224: return "sha224"
        case .sha256: return "sha256"
        case .sha384: return "sha384"
        case .sha512: return "sha512"
        case .sha3_256: return "sha3-256"
        case .sha3_512: return "sha3-512"
        case .blake2b512: return "blake2b512"
        case .blake2s256: return "blake2s256"
        }
    }

    /// Parses `sha256`, `SHA-256`, `sha3-512`, `blake2b512`, ….
    public init(name: String) throws {
        let n = name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        switch n {
        case "sha1": self = .sha1
        case "sha224", "sha2224": self = .sha224
        case "sha256", "sha2256": self = .sha256
        case "sha384", "sha2384": self = .sha384
        case "sha512", "sha2512": self = .sha512
        case "sha3256": self = .sha3_256
        case "sha3512": self = .sha3_512
        case "blake2b512", "blake2b": self = .blake2b512
        case "blake2s256", "blake2s": self = .blake2s256
        default: throw JSecError(.configuration, "unknown digest algorithm '\(name)'", code: .jsec(.unknownName))
        }
    }

    /// The fetched `EVP_MD` (fetched on first use, then kept: OpenSSL 3 implicit fetches are slow).
    /// Throws a `.crypto` error naming the algorithm when the loaded providers lack it (e.g. BLAKE2 under FIPS).
    func md() throws -> OpaquePointer { try AlgorithmFetcher.shared.digest(self) }
}

/// OpenSSL algorithm objects (`EVP_MD`, `EVP_CIPHER`, `EVP_MAC`), each fetched on its first use and then kept.
///
/// Nothing is fetched up front: an OpenSSL whose providers lack one algorithm (the FIPS provider has no BLAKE2)
/// serves every other one, and asking for the missing one is a ``JSecError/Category/crypto`` error naming it.
/// A failed fetch is not remembered (a provider loaded later is found).
package final class AlgorithmFetcher: Sendable {
    /// The process-wide fetcher (default library context, default properties); its objects live as long as the process.
    package static let shared = AlgorithmFetcher(properties: nil)

    /// The property query passed to every fetch (e.g. `fips=yes`); nil: OpenSSL's default properties.
    package let properties: String?
    // OpaquePointer is not Sendable; the fetched objects are immutable and OpenSSL documents them as
    // shareable between threads. Every access goes through the Mutex.
    private struct Fetched: @unchecked Sendable {
        var digests: [DigestAlgorithm: OpaquePointer] = [:]
        var ciphers: [AEADAlgorithm: OpaquePointer] = [:]
        var hmac: OpaquePointer?
    }
    private let fetched = Mutex(Fetched())

    /// A fetcher with its own cache and property query (``shared`` is the one the library uses).
    package init(properties: String?) { self.properties = properties }

    deinit {
        fetched.withLock { f in
            f.digests.values.forEach { EVP_MD_free($0) }
            f.ciphers.values.forEach { EVP_CIPHER_free($0) }
            if let h = f.hmac { EVP_MAC_free(h) }
        }
    }

    /// The digests fetched so far (what the laziness test looks at).
    package var cachedDigests: Set<DigestAlgorithm> { fetched.withLock { Set($0.digests.keys) } }

    package func digest(_ alg: DigestAlgorithm) throws -> OpaquePointer {
        try fetched.withLock { f in
            if let md = f.digests[alg] { return md }
            guard let md = EVP_MD_fetch(nil, alg.openSSLName, properties) else { throw missing("digest", alg.openSSLName) }
            f.digests[alg] = md
            return md
        }
    }

    package func cipher(_ alg: AEADAlgorithm) throws -> OpaquePointer {
        try fetched.withLock { f in
            if let c = f.ciphers[alg] { return c }
            guard let c = EVP_CIPHER_fetch(nil, alg.openSSLName, properties) else { throw missing("cipher", alg.openSSLName) }
            f.ciphers[alg] = c
            return c
        }
    }

    package func hmac() throws -> OpaquePointer {
        try fetched.withLock { f in
            if let h = f.hmac { return h }
            guard let h = EVP_MAC_fetch(nil, "HMAC", properties) else { throw missing("MAC", "HMAC") }
            f.hmac = h
            return h
        }
    }

    private func missing(_ kind: String, _ name: String) -> JSecError {
        let query = properties.map { " matching '\($0)'" } ?? ""
        return JSecError.openSSL(.crypto, "OpenSSL has no \(kind) \(name)\(query) (not offered by the loaded providers)")
    }
}

/// Message digests: one-shot (``hash(_:_:)``) and streaming (``Digest/init(_:)``, ``update(_:)``, ``finalize()``).
public final class Digest {
    public let algorithm: DigestAlgorithm
    private let ctx: OpaquePointer
    private var finished = false

    /// Starts a streaming digest.
    public init(_ algorithm: DigestAlgorithm) throws {
        OpenSSLErrorQueue.clear()
        let md = try algorithm.md()
        guard let ctx = EVP_MD_CTX_new() else { throw JSecError.openSSL(.crypto, "EVP_MD_CTX_new failed") }
        guard EVP_DigestInit_ex2(ctx, md, nil) == 1 else {
            EVP_MD_CTX_free(ctx)
            throw JSecError.openSSL(.crypto, "cannot start digest \(algorithm)")
        }
        self.algorithm = algorithm
        self.ctx = ctx
    }

    deinit { EVP_MD_CTX_free(ctx) }

    /// Feeds more data.
    public func update(_ data: some Collection<UInt8>) throws {
        guard !finished else { throw JSecError(.usage, "digest already finalized", code: .jsec(.invalidState)) }
        OpenSSLErrorQueue.clear()
        let ok = data.withContiguousBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
        guard ok == 1 else { throw JSecError.openSSL(.crypto, "digest update failed") }
    }

    /// Finishes and returns the digest. The object cannot be updated afterwards.
    public func finalize() throws -> [UInt8] {
        guard !finished else { throw JSecError(.usage, "digest already finalized", code: .jsec(.invalidState)) }
        finished = true
        OpenSSLErrorQueue.clear()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        guard EVP_DigestFinal_ex(ctx, &out, &len) == 1 else { throw JSecError.openSSL(.crypto, "digest final failed") }
        return Array(out.prefix(Int(len)))
    }

    /// One-shot digest of `data`.
    public static func hash(_ algorithm: DigestAlgorithm, _ data: some Collection<UInt8>) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        let md = try algorithm.md()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let ok = data.withContiguousBytes { EVP_Digest($0.baseAddress, $0.count, &out, &len, md, nil) }
        guard ok == 1 else { throw JSecError.openSSL(.crypto, "digest \(algorithm) failed") }
        return Array(out.prefix(Int(len)))
    }
}

extension Collection<UInt8> {
    /// Calls `body` with contiguous bytes of the collection (copying only when it is not contiguous).
    /// The base address is never NULL, even for an empty collection.
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let r = try withContiguousStorageIfAvailable({ buf -> R in
            if buf.isEmpty { return try withUnsafeBytes(of: UInt8(0)) { try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) } }
            return try body(UnsafeRawBufferPointer(buf))
        }) {
            return r
        }
        let copy = Array(self)
        if copy.isEmpty { return try withUnsafeBytes(of: UInt8(0)) { try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) } }
        return try copy.withUnsafeBytes(body)
    }

    /// Lower-case hex.
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Parsing hex text into bytes.
public enum Hex {
    /// Decodes hex (upper or lower case; `:` and whitespace ignored).
    public static func decode(_ text: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var hi: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"): continue
            default: throw JSecError(.configuration, "invalid hex character in input", code: .jsec(.malformedInput))
            }
            if let h = hi { out.append(h << 4 | v); hi = nil } else { hi = v }
        }
        guard hi == nil else { throw JSecError(.configuration, "hex input has an odd number of digits", code: .jsec(.malformedInput)) }
        return out
    }
}
