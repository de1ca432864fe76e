import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Process mode's protocol: one JSON object per line over a Unix stream
/// socket. Participant → coordinator: hello, emit, await, barrier, report,
/// done, failed. Coordinator → participant: reply, error (to an await or
/// barrier `id`), abort (the test failed: release everything and stop).
struct WireMessage: Codable, Sendable {
    enum Op: String, Codable, Sendable {
        case hello, emit, await, barrier, report, done, failed, reply, error, abort
    }
    var op: Op
    var id: Int?
    var role: String?
    var index: Int?
    var event: String?
    var name: String?
    /// An event value: JSON text.
    var value: String?
    var timeout: Double?
    var data: JSONValue?
    var message: String?
    /// For `error`: timedOut, aborted, usage, value.
    var kind: String?
    var issues: [Issue]?

    init(_ op: Op) { self.op = op }

    func coordinationError() -> CoordinationError {
        let m = message ?? "unknown error"
        switch kind {
        case "timedOut": return .timedOut(m)
        case "usage": return .usage(m)
        case "value": return .value(m)
        default: return .aborted(m)
        }
    }

    static func error(id: Int, _ e: any Error) -> WireMessage {
        var w = WireMessage(.error)
        w.id = id
        switch e {
        case CoordinationError.timedOut(let m): w.kind = "timedOut"; w.message = m
        case CoordinationError.usage(let m): w.kind = "usage"; w.message = m
        case CoordinationError.value(let m): w.kind = "value"; w.message = m
        case CoordinationError.aborted(let m): w.kind = "aborted"; w.message = m
        default: w.kind = "aborted"; w.message = "\(e)"
        }
        return w
    }
}

/// One end of a Unix stream socket carrying `WireMessage` lines. Writes are
/// serialized by the `Mutex` holding the descriptor; reads happen on one thread
/// only (`readLoop`); the descriptor is closed once, under that lock.
final class WireConnection: Sendable {
    private let fd: Mutex<Int32>

    init(fd: Int32) { self.fd = Mutex(fd) }

    /// Sends one message; false when the peer is gone.
    @discardableResult
    func send(_ m: WireMessage) -> Bool {
        guard var bytes = try? JSONEncoder().encode(m) else { return false }
        bytes.append(0x0A)
        return fd.withLock { fd in
            guard fd >= 0 else { return false }
            return bytes.withUnsafeBytes { buf -> Bool in
                var off = 0
                while off < buf.count {
                    let n = Glibc.send(fd, buf.baseAddress! + off, buf.count - off, Int32(MSG_NOSIGNAL))
                    if n < 0 { if errno == EINTR { continue }; return false }
                    off += n
                }
                return true
            }
        }
    }

    /// Reads messages until end of stream (blocking; call from a dedicated thread).
    func readLoop(_ handle: (WireMessage) -> Void) {
        let rfd = fd.withLock { $0 }
        guard rfd >= 0 else { return }
        var reader = LineReader(fd: rfd)
        while case .line(let data) = reader.next(deadline: .max) {
            if let m = try? JSONDecoder().decode(WireMessage.self, from: data) { handle(m) }
        }
    }

    func close() {
        fd.withLock { fd in
            if fd >= 0 {
                shutdown(fd, Int32(SHUT_RDWR))
                Glibc.close(fd)
                fd = -1
            }
        }
    }
}

/// Unix-socket helpers.
enum UnixSocket {
    static func address(_ path: String) throws -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw CoordinationError.usage("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return addr
    }

    /// A listening socket bound to `path`.
    static func listen(_ path: String, backlog: Int32) throws -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CoordinationError.usage("socket(): errno \(errno)") }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, backlog) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw CoordinationError.usage("cannot listen on \(path): \(String(cString: strerror(e)))")
        }
        return fd
    }

    /// A socket connected to `path`.
    static func connect(_ path: String) throws -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CoordinationError.usage("socket(): errno \(errno)") }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw CoordinationError.usage("cannot connect to \(path): \(String(cString: strerror(e)))")
        }
        return fd
    }
}
