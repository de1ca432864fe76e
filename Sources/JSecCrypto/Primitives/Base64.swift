import Foundation

/// Base64 (RFC 4648 §4) and base64url (§5, unpadded on output, padding optional on input).
public enum Base64 {
    public static func encode(_ data: some Collection<UInt8>) -> String { Data(data).base64EncodedString() }

    public static func decode(_ text: String) throws -> [UInt8] {
        let cleaned = text.filter { !$0.isWhitespace }
        guard let d = Data(base64Encoded: cleaned) else { throw JSecError(.configuration, "invalid base64 input", code: .jsec(.malformedInput)) }
        return [UInt8](d)
    }

    public static func encodeURL(_ data: some Collection<UInt8>) -> String {
        var s = encode(data)
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    public static func decodeURL(_ text: String) throws -> [UInt8] {
        guard !text.contains("+"), !text.contains("/") else { throw JSecError(.configuration, "invalid base64url input", code: .jsec(.malformedInput)) }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if s.count % 4 == 1 { throw JSecError(.configuration, "invalid base64url length", code: .jsec(.malformedInput)) }
        while s.count % 4 != 0 { s += "=" }
        return try decode(s)
    }
}
