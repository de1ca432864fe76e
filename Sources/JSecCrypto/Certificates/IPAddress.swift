#if canImport(Glibc)
    import Glibc
#endif

/// Converting IP addresses between text and bytes (IPv4 and IPv6).
public enum IPAddress {
    /// The 4 or 16 address bytes of an IP literal, or nil when `text` is not one.
    public static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        let stripped = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if inet_pton(AF_INET6, stripped, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Whether `text` is an IPv4 or IPv6 literal.
    public static func isLiteral(_ text: String) -> Bool { bytes(text) != nil }

    /// Text form of 4 or 16 address bytes.
    public static func text(from bytes: [UInt8]) -> String? {
        var buf = [CChar](repeating: 0, count: 64)
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buf, socklen_t(buf.count)) }
        guard ok != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
