internal import CJSecOpenSSL
#if canImport(Glibc)
    import Glibc
#endif

/// Builds an `OSSL_PARAM` array whose strings and buffers it owns (copies freed in `deinit`).
final class ParamList {
    private var params: [OSSL_PARAM] = []
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit { for a in allocations { free(a) } }

    private func copy(_ bytes: UnsafeRawBufferPointer, extraZero: Bool) -> UnsafeMutableRawPointer {
        let p = malloc(max(1, bytes.count + (extraZero ? 1 : 0)))!
        if let b = bytes.baseAddress, bytes.count > 0 { memcpy(p, b, bytes.count) }
        if extraZero { p.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self) }
        allocations.append(p)
        return p
    }

    func utf8(_ key: String, _ value: String) {
        let k = Array(key.utf8CString).withUnsafeBytes { copy($0, extraZero: false) }
        let v = Array(value.utf8).withUnsafeBytes { copy($0, extraZero: true) }
        params.append(OSSL_PARAM_construct_utf8_string(k.assumingMemoryBound(to: CChar.self), v.assumingMemoryBound(to: CChar.self), 0))
    }

    func octets(_ key: String, _ value: some Collection<UInt8>) {
        let k = Array(key.utf8CString).withUnsafeBytes { copy($0, extraZero: false) }
        let v = value.withContiguousBytes { copy($0, extraZero: false) }
        params.append(OSSL_PARAM_construct_octet_string(k.assumingMemoryBound(to: CChar.self), v, value.count))
    }

    func uint64(_ key: String, _ value: UInt64) {
        let k = Array(key.utf8CString).withUnsafeBytes { copy($0, extraZero: false) }
        let v = malloc(8)!
        allocations.append(v)
        v.storeBytes(of: value, as: UInt64.self)
        params.append(OSSL_PARAM_construct_uint64(k.assumingMemoryBound(to: CChar.self), v.assumingMemoryBound(to: UInt64.self)))
    }

    func uint32(_ key: String, _ value: UInt32) {
        let k = Array(key.utf8CString).withUnsafeBytes { copy($0, extraZero: false) }
        let v = malloc(4)!
        allocations.append(v)
        v.storeBytes(of: value, as: UInt32.self)
        params.append(OSSL_PARAM_construct_uint32(k.assumingMemoryBound(to: CChar.self), v.assumingMemoryBound(to: UInt32.self)))
    }

    func int(_ key: String, _ value: Int32) {
        let k = Array(key.utf8CString).withUnsafeBytes { copy($0, extraZero: false) }
        let v = malloc(4)!
        allocations.append(v)
        v.storeBytes(of: value, as: Int32.self)
        params.append(OSSL_PARAM_construct_int(k.assumingMemoryBound(to: CChar.self), v.assumingMemoryBound(to: Int32.self)))
    }

    /// Calls `body` with a pointer to the END-terminated array.
    func withParams<R>(_ body: (UnsafeMutablePointer<OSSL_PARAM>) throws -> R) rethrows -> R {
        var all = params
        all.append(OSSL_PARAM_construct_end())
        return try all.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
