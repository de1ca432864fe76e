internal import CJSecOpenSSL
import Foundation

/// The single error type of JSec and JSecCrypto (docs/architecture.md, "Errors").
///
/// Every failure carries a ``Category`` a program can switch on, a ``Code`` saying exactly what
/// failed (an X509 verification result, the alert the peer sent, an `errno`, an OpenSSL reason,
/// or a condition JSec detects), a one-line human message naming the cause and the object,
/// and — where OpenSSL was involved — the text of OpenSSL's error queue, drained in the same
/// call that failed. There is no error without a code: the initializer requires one.
///
/// Two errors are equal when their category and code are: the message is for people.
public struct JSecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let category: Category
    /// What exactly failed: the number the deciding layer gave it, or the condition JSec named.
    public let code: Code
    public let message: String
    /// OpenSSL's error queue at the time of the failure, oldest first.
    public let openSSLErrors: [String]

    public init(_ category: Category, _ message: String, code: Code, openSSLErrors: [String] = []) {
        self.category = category
        self.code = code
        self.message = message
        self.openSSLErrors = openSSLErrors
    }

    /// Equal when category and code are (messages may word the same failure differently).
    public static func == (a: JSecError, b: JSecError) -> Bool { a.category == b.category && a.code == b.code }

    public var description: String {
        if openSSLErrors.isEmpty { return "\(category): \(message)" }
        return "\(category): \(message) [\(openSSLErrors.joined(separator: "; "))]"
    }

    /// Builds an error from OpenSSL's error queue, draining it; the code is its first (root-cause) entry's, or
    /// `.jsec(.openSSLQueueEmpty)` when OpenSSL failed without an entry.
    package static func openSSL(_ category: Category, _ message: String) -> JSecError {
        let entries = OpenSSLErrorQueue.drainEntries()
        return JSecError(category, message, code: Code(firstOf: entries), openSSLErrors: entries.map(\.text))
    }
}

/// OpenSSL's error queue is per thread; call ``clear()`` before and ``drain()``
/// after an operation, in the same synchronous section (Swift tasks hop threads).
package enum OpenSSLErrorQueue {
    package struct Entry: Sendable {
        package let code: UInt
        package let text: String
        /// The reason part of the code (`ERR_GET_REASON`).
        package var reason: Int32 { Int32(truncatingIfNeeded: code & 0x7FFFFF) }
    }

    /// Empties this thread's error queue. It is usually empty already (every failure drains it), and
    /// looking costs a quarter of clearing: OpenSSL 3.0's `ERR_clear_error` resets all sixteen slots
    /// (~880 instructions against ~250 for `ERR_peek_error`, callgrind), and a TLS stream calls this
    /// before every `SSL_read`/`SSL_write` (docs/performance.md, "What a round trip costs").
    package static func clear() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    /// Returns and removes every entry of this thread's error queue, oldest first.
    package static func drainEntries() -> [Entry] {
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
    package static func drain() -> [String] { drainEntries().map(\.text) }
}

extension JSecError {
    /// A file that cannot be read, with the cause (`errno`) named: "cannot read certificate file 'x.pem': no such
    /// file or directory (ENOENT)", code `.errno(ENOENT)`.
    package static func unreadableFile(_ what: String, _ path: String) -> JSecError {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return JSecError(.configuration, "cannot read \(what) '\(path)': it is a directory", code: .errno(EISDIR))
        }
        let cause: Int32 = access(path, R_OK) == 0 ? EIO : errno
        return JSecError(
            .configuration, "cannot read \(what) '\(path)': \(Self.errnoText(cause)) (\(Self.errnoName(cause)))", code: .errno(cause))
    }
}
