internal import CJSecOpenSSL

/// Curves for raw point arithmetic.
public enum ECCurve: String, Sendable, Hashable, CaseIterable {
    case p256 = "P-256", p384 = "P-384", p521 = "P-521", secp256k1

    var nid: Int32 {
        switch self {
        case .p256: return NID_X9_62_prime256v1
        case .p384: return NID_secp384r1
        case .p521: return NID_secp521r1
        case .secp256k1: return NID_secp256k1
        }
    }

    /// Bytes in a field element / scalar.
    public var byteLength: Int {
        switch self {
        case .p256, .secp256k1: return 32
        case .p384: return 48
        case .p521: return 66
        }
    }
}

/// Elliptic-curve point operations on SEC 1 encoded points (jsec's `ec-*` functions):
/// scalar generation, multiplication, addition, and compressed/uncompressed encoding.
/// Every point read is checked to lie on the curve; the point at infinity is rejected.
public final class EllipticCurve: @unchecked Sendable {
    // @unchecked Sendable: the EC_GROUP is never mutated after init; each operation uses its own BN_CTX and points.
    public let curve: ECCurve
    private let group: OpaquePointer

    public init(_ curve: ECCurve) throws {
        OpenSSLErrorQueue.clear()
        guard let g = EC_GROUP_new_by_curve_name(curve.nid) else { throw JSecError.openSSL(.crypto, "curve \(curve.rawValue) unavailable") }
        self.curve = curve
        self.group = g
    }

    deinit { EC_GROUP_free(group) }

    /// A random scalar in [1, order − 1], big-endian, `curve.byteLength` bytes.
    public func generateScalar() throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let k = BN_new() else { throw JSecError.openSSL(.crypto, "BN_new failed") }
        defer { BN_clear_free(k) }
        repeat {
            guard BN_priv_rand_range(k, EC_GROUP_get0_order(group)) == 1 else { throw JSecError.openSSL(.crypto, "BN_priv_rand_range failed") }
        } while BN_is_zero(k) == 1
        return try scalarBytes(k)
    }

    /// `scalar · point`, or `scalar · G` when `point` is nil.
    public func multiply(scalar: [UInt8], point: [UInt8]? = nil, compressed: Bool = false) throws -> [UInt8] {
        guard !scalar.isEmpty, scalar.count <= curve.byteLength else {
            throw JSecError(.crypto, "a \(curve.rawValue) scalar is 1…\(curve.byteLength) bytes, got \(scalar.count)", code: .jsec(.invalidArgument))
        }
        OpenSSLErrorQueue.clear()
        guard let ctx = BN_CTX_new(), let k = BN_bin2bn(scalar, Int32(scalar.count), nil) else { throw JSecError.openSSL(.crypto, "allocation failed") }
        defer { BN_CTX_free(ctx); BN_clear_free(k) }
        guard BN_is_zero(k) == 0, BN_cmp(k, EC_GROUP_get0_order(group)) < 0 else {
            throw JSecError(.crypto, "scalar must be in [1, order − 1]", code: .jsec(.invalidArgument))
        }
        let input = try point.map { try decodePoint($0, ctx) }
        defer { if let input { EC_POINT_free(input) } }
        guard let r = EC_POINT_new(group) else { throw JSecError.openSSL(.crypto, "EC_POINT_new failed") }
        defer { EC_POINT_free(r) }
        let ok = input == nil ? EC_POINT_mul(group, r, k, nil, nil, ctx) : EC_POINT_mul(group, r, nil, input, k, ctx)
        guard ok == 1 else { throw JSecError.openSSL(.crypto, "point multiplication failed") }
        return try encodePoint(r, compressed: compressed, ctx)
    }

    /// `a + b`.
    public func add(_ a: [UInt8], _ b: [UInt8], compressed: Bool = false) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let ctx = BN_CTX_new() else { throw JSecError.openSSL(.crypto, "BN_CTX_new failed") }
        defer { BN_CTX_free(ctx) }
        let pa = try decodePoint(a, ctx)
        defer { EC_POINT_free(pa) }
        let pb = try decodePoint(b, ctx)
        defer { EC_POINT_free(pb) }
        guard let r = EC_POINT_new(group) else { throw JSecError.openSSL(.crypto, "EC_POINT_new failed") }
        defer { EC_POINT_free(r) }
        guard EC_POINT_add(group, r, pa, pb, ctx) == 1 else { throw JSecError.openSSL(.crypto, "point addition failed") }
        return try encodePoint(r, compressed: compressed, ctx)
    }

    /// Re-encodes a point (compressed `02/03‖x` or uncompressed `04‖x‖y`), validating it.
    public func encode(_ point: [UInt8], compressed: Bool) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let ctx = BN_CTX_new() else { throw JSecError.openSSL(.crypto, "BN_CTX_new failed") }
        defer { BN_CTX_free(ctx) }
        let p = try decodePoint(point, ctx)
        defer { EC_POINT_free(p) }
        return try encodePoint(p, compressed: compressed, ctx)
    }

    /// Whether `point` is a valid encoding of a point on the curve (not infinity).
    public func isValidPoint(_ point: [UInt8]) -> Bool { (try? encode(point, compressed: true)) != nil }

    /// The generator G (uncompressed unless asked).
    public func generator(compressed: Bool = false) throws -> [UInt8] {
        guard let ctx = BN_CTX_new() else { throw JSecError.openSSL(.crypto, "BN_CTX_new failed") }
        defer { BN_CTX_free(ctx) }
        guard let g = EC_GROUP_get0_generator(group) else { throw JSecError.openSSL(.crypto, "no generator") }
        return try encodePoint(g, compressed: compressed, ctx)
    }

    private func decodePoint(_ bytes: [UInt8], _ ctx: OpaquePointer) throws -> OpaquePointer {
        guard bytes.count == 1 + curve.byteLength || bytes.count == 1 + 2 * curve.byteLength else {
            throw JSecError(.crypto, "invalid \(curve.rawValue) point length \(bytes.count)", code: .jsec(.malformedInput))
        }
        guard let p = EC_POINT_new(group) else { throw JSecError.openSSL(.crypto, "EC_POINT_new failed") }
        guard EC_POINT_oct2point(group, p, bytes, bytes.count, ctx) == 1, EC_POINT_is_on_curve(group, p, ctx) == 1,
            EC_POINT_is_at_infinity(group, p) == 0
        else {
            EC_POINT_free(p)
            throw JSecError.openSSL(.crypto, "not a point on \(curve.rawValue)")
        }
        return p
    }

    private func encodePoint(_ p: OpaquePointer, compressed: Bool, _ ctx: OpaquePointer) throws -> [UInt8] {
        guard EC_POINT_is_at_infinity(group, p) == 0 else { throw JSecError(.crypto, "the result is the point at infinity", code: .jsec(.invalidArgument)) }
        let form = compressed ? POINT_CONVERSION_COMPRESSED : POINT_CONVERSION_UNCOMPRESSED
        let len = EC_POINT_point2oct(group, p, form, nil, 0, ctx)
        guard len > 0 else { throw JSecError.openSSL(.crypto, "point encoding failed") }
        var out = [UInt8](repeating: 0, count: len)
        guard EC_POINT_point2oct(group, p, form, &out, len, ctx) == len else { throw JSecError.openSSL(.crypto, "point encoding failed") }
        return out
    }

    private func scalarBytes(_ k: OpaquePointer) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: curve.byteLength)
        guard BN_bn2binpad(k, &out, Int32(out.count)) == Int32(out.count) else { throw JSecError.openSSL(.crypto, "BN_bn2binpad failed") }
        return out
    }
}
