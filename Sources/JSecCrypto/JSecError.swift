internal import CJSecOpenSSL

/// The single error type of JSec and JSecCrypto (DESIGN.md §3 "Errors").
///
/// Every failure carries a ``Category`` a program can switch on, a human
/// message saying what went wrong, and — where OpenSSL was involved — the
/// text of OpenSSL's error queue, drained in the same call that failed.
public struct JSecError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Category: String, Sendable, Codable, CaseIterable {
        /// An option or input given by the program is invalid (found when a configuration is built).
        case configuration
        /// The TLS/DTLS handshake failed for a reason other than certificate verification.
        case handshake
        /// A certificate chain, hostname or client certificate was rejected (by us or by the peer).
        case verification
        /// The operating system or the transport failed (connection refused, reset, …).
        case io
        /// An operation did not finish within its timeout. The stream stays usable.
        case timeout
        /// The stream (or its write side) is closed.
        case closed
        /// The peer broke the protocol (garbage, truncated record, unexpected message).
        case `protocol`
        /// A cryptographic operation or a key/certificate/PEM/DER input failed.
        case crypto
        /// The API was used in a way it does not allow (e.g. two concurrent reads).
        case usage
    }

    public let category: Category
    public let message: String
    /// OpenSSL's error queue at the time of the failure, oldest first.
    public let openSSLErrors: [String]

    public init(_ category: Category, _ message: String, openSSLErrors: [String] = []) {
        self.category = category
        self.message = message
        self.openSSLErrors = openSSLErrors
    }

    public var description: String {
        if openSSLErrors.isEmpty { return "\(category): \(message)" }
        return "\(category): \(message) [\(openSSLErrors.joined(separator: "; "))]"
    }

    /// Builds an error from OpenSSL's error queue, draining it.
    public static func openSSL(_ category: Category, _ message: String) -> JSecError {
        JSecError(category, message, openSSLErrors: OpenSSLErrorQueue.drain())
    }
}

/// OpenSSL's error queue is per thread; call ``clear()`` before and ``drain()``
/// after an operation, in the same synchronous section (Swift tasks hop threads).
public enum OpenSSLErrorQueue {
    public struct Entry: Sendable {
        public let code: UInt
        public let text: String
        /// The reason part of the code (`ERR_GET_REASON`).
        public var reason: Int32 { Int32(truncatingIfNeeded: code & 0x7FFFFF) }
    }

    public static func clear() { ERR_clear_error() }

    /// Returns and removes every entry of this thread's error queue, oldest first.
    public static func drainEntries() -> [Entry] {
        var out: [Entry] = []
        var buf = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            ERR_error_string_n(code, &buf, buf.count)
            let text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            out.append(Entry(code: code, text: text))
        }
        return out
    }

    /// The text of every entry of this thread's error queue, draining it.
    public static func drain() -> [String] { drainEntries().map(\.text) }
}
