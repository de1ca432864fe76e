internal import CJSecOpenSSL
import Synchronization

/// A TLS session a client can resume later: opaque bytes (OpenSSL's DER encoding), Codable.
///
/// Inside, it keeps OpenSSL's parsed `SSL_SESSION` as well, so resuming does not parse the DER
/// again: parsing includes decoding the server's certificate, which OpenSSL 3.0 does at about
/// 1.5 million instructions — a fifth of a whole resumed handshake (callgrind, jsec-bench).
/// The DER is produced on first use when the session came from a live connection.
public struct TLSSession: Sendable, Codable, Hashable {
    private let storage: Storage

    /// The session's DER encoding (what `Codable` stores).
    public var der: [UInt8] { storage.der }

    public init(der: [UInt8]) { storage = Storage(der: der) }

    /// Takes over one reference to `session` (the caller must have one to give).
    init(taking session: OpaquePointer) { storage = Storage(taking: session) }

    public init(from decoder: any Decoder) throws {
        self.init(der: try decoder.singleValueContainer().decode([UInt8].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(der)
    }

    public static func == (a: TLSSession, b: TLSSession) -> Bool { a.storage === b.storage || a.der == b.der }
    public func hash(into hasher: inout Hasher) { hasher.combine(der) }

    /// Runs `body` with the parsed session (parsed once, then shared); nil when the bytes are not a session.
    func withParsed<T: Sendable>(_ body: (OpaquePointer) -> T) -> T? { storage.withParsed(body) }

    /// The one owner of an `SSL_SESSION` reference and/or its DER bytes.
    final class Storage: Sendable {
        // @unchecked Sendable: the raw pointer is only read or written while `state`'s lock is held.
        private struct State: @unchecked Sendable {
            var der: [UInt8]?
            var session: OpaquePointer?
            var parseFailed = false
        }
        // Mutex: several connections may resume from one session at once (OpenSSL's own cache
        // shares SSL_SESSION objects between connections the same way; SSL_set_session takes
        // its own reference).
        private let state: Mutex<State>

        init(der: [UInt8]) { state = Mutex(State(der: der)) }
        init(taking session: OpaquePointer) { state = Mutex(State(session: session)) }

        deinit {
            state.withLock { s in if let p = s.session { SSL_SESSION_free(p) } }
        }

        var der: [UInt8] {
            state.withLock { s in
                if let d = s.der { return d }
                guard let p = s.session else { return [] }
                let len = i2d_SSL_SESSION(p, nil)
                let d =
                    len <= 0
                    ? []
                    : [UInt8](unsafeUninitializedCapacity: Int(len)) { buf, count in
                        var out: UnsafeMutablePointer<UInt8>? = buf.baseAddress
                        // A failed second call returns -1: an empty encoding (as when the first fails), never a trap.
                        let written = i2d_SSL_SESSION(p, &out)
                        count = written == len ? Int(written) : 0
                    }
                s.der = d
                return d
            }
        }

        func withParsed<T: Sendable>(_ body: (OpaquePointer) -> T) -> T? {
            state.withLock { s in
                if s.session == nil, !s.parseFailed, let d = s.der {
                    s.session = d.withUnsafeBufferPointer { buf in
                        var p: UnsafePointer<UInt8>? = buf.baseAddress
                        return d2i_SSL_SESSION(nil, &p, buf.count)
                    }
                    s.parseFailed = s.session == nil
                }
                return s.session.map(body)
            }
        }
    }
}
