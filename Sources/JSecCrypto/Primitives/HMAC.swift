internal import CJSecOpenSSL

/// HMAC (RFC 2104) over any ``DigestAlgorithm``, through OpenSSL 3's `EVP_MAC`.
public final class HMAC {
    public let algorithm: DigestAlgorithm
    private let ctx: OpaquePointer
    private var finished = false

    /// Starts a streaming HMAC with `key`.
    public init(_ algorithm: DigestAlgorithm, key: some Collection<UInt8>) throws {
        OpenSSLErrorQueue.clear()
        guard let ctx = EVP_MAC_CTX_new(try AlgorithmFetcher.shared.hmac()) else { throw JSecError.openSSL(.crypto, "EVP_MAC_CTX_new failed") }
        let params = ParamList()
        params.utf8("digest", algorithm.openSSLName)
        let ok = key.withContiguousBytes { k in
            params.withParams { EVP_MAC_init(ctx, k.baseAddress?.assumingMemoryBound(to: UInt8.self), k.count, $0) }
        }
        guard ok == 1 else {
            EVP_MAC_CTX_free(ctx)
            throw JSecError.openSSL(.crypto, "cannot start HMAC-\(algorithm)")
        }
        self.algorithm = algorithm
        self.ctx = ctx
    }

    deinit { EVP_MAC_CTX_free(ctx) }

    public func update(_ data: some Collection<UInt8>) throws {
        guard !finished else { throw JSecError(.usage, "HMAC already finalized", code: .jsec(.invalidState)) }
        OpenSSLErrorQueue.clear()
        let ok = data.withContiguousBytes { EVP_MAC_update(ctx, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count) }
        guard ok == 1 else { throw JSecError.openSSL(.crypto, "HMAC update failed") }
    }

    public func finalize() throws -> [UInt8] {
        guard !finished else { throw JSecError(.usage, "HMAC already finalized", code: .jsec(.invalidState)) }
        finished = true
        OpenSSLErrorQueue.clear()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len = 0
        guard EVP_MAC_final(ctx, &out, &len, out.count) == 1 else { throw JSecError.openSSL(.crypto, "HMAC final failed") }
        return Array(out.prefix(len))
    }

    /// One-shot HMAC of `data` under `key`.
    public static func authenticationCode(_ algorithm: DigestAlgorithm, key: some Collection<UInt8>, data: some Collection<UInt8>) throws -> [UInt8] {
        let h = try HMAC(algorithm, key: key)
        try h.update(data)
        return try h.finalize()
    }

    /// Recomputes the HMAC and compares it with `mac` in constant time.
    public static func isValid(
        _ mac: some Collection<UInt8>, _ algorithm: DigestAlgorithm, key: some Collection<UInt8>, data: some Collection<UInt8>
    ) throws -> Bool {
        ConstantTime.equal(try authenticationCode(algorithm, key: key, data: data), mac)
    }
}

/// Constant-time comparison (`CRYPTO_memcmp`).
public enum ConstantTime {
    /// True when `a` and `b` have the same length and bytes. The time taken depends only on the length.
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withContiguousBytes { pa in b.withContiguousBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 } }
    }
}

/// Cryptographically secure random bytes (`RAND_bytes`).
public enum SecureRandom {
    /// The largest single request (1 MiB).
    public static let maximumCount = 1 << 20

    public static func bytes(_ count: Int) throws -> [UInt8] {
        guard (0...maximumCount).contains(count) else {
            throw JSecError(.configuration, "random byte count \(count) is out of range (0…\(maximumCount))", code: .jsec(.invalidArgument))
        }
        if count == 0 { return [] }
        OpenSSLErrorQueue.clear()
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw JSecError.openSSL(.crypto, "RAND_bytes failed") }
        return out
    }

    /// A random challenge of 8…64 bytes (default 16), e.g. for challenge–response authentication.
    public static func challenge(length: Int = 16) throws -> [UInt8] {
        guard (8...64).contains(length) else {
            throw JSecError(.configuration, "challenge length \(length) is out of range (8…64)", code: .jsec(.invalidArgument))
        }
        return try bytes(length)
    }
}
