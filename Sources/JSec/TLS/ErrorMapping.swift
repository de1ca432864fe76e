#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOPosix

extension JSecError {
    /// Maps SwiftNIO's errors (and anything else) to a `JSecError` with the right category and code,
    /// and a one-line message naming the cause and the object:
    /// `connection refused: 127.0.0.1:9 (ECONNREFUSED)`, `address already in use: 127.0.0.1:8443 (EADDRINUSE)`.
    ///
    /// - Parameters:
    ///   - doing: the operation ("connect", "listen", "read"…), named when there is no `target`.
    ///   - target: the object the operation was on ("127.0.0.1:8443", "unix:/tmp/s"), if known.
    static func from(_ error: any Error, while doing: String, target: String? = nil) -> JSecError {
        if let e = error as? JSecError { return e }
        let object = target ?? doing
        if let e = error as? ChannelError {
            switch e {
            case .ioOnClosedChannel, .alreadyClosed, .eof:
                return JSecError(.closed, "\(doing): the stream is closed", code: .jsec(.closed))
            case .outputClosed:
                return JSecError(.closed, "\(doing): the write side of the stream is shut down", code: .jsec(.outputShutDown))
            case .inputClosed:
                return JSecError(.closed, "\(doing): the read side of the stream is shut down", code: .jsec(.inputShutDown))
            case .connectTimeout(let t):
                return JSecError(
                    .timeout, "connection timed out: \(object) (after \(t.nanoseconds / 1_000_000) ms)",
                    code: .errno(ETIMEDOUT))
            default:
                return JSecError(.io, "\(doing): \(e)", code: .jsec(.transportError))
            }
        }
        if let e = error as? IOError { return system(e.errnoCode, target, doing: doing) }
        if let e = error as? NIOConnectionError { return connection(e) }
        if let e = error as? SocketAddressError.UnknownHost { return unknownHost(e.errorCode, e.errorDescription, object) }
        if error is CancellationError { return JSecError(.closed, "\(doing): cancelled", code: .jsec(.cancelled)) }
        return JSecError(.io, "\(doing): \(error)", code: .jsec(.transportError))
    }

    /// `connection refused: 127.0.0.1:9 (ECONNREFUSED)`, or without a known object `write: broken pipe (EPIPE)`.
    private static func system(_ errno: Int32, _ target: String?, doing: String) -> JSecError {
        if let target { return JSecError(.io, "\(errnoText(errno)): \(target) (\(errnoName(errno)))", code: .errno(errno)) }
        return JSecError(.io, "\(doing): \(errnoText(errno)) (\(errnoName(errno)))", code: .errno(errno))
    }

    private static func unknownHost(_ code: Int, _ text: String, _ object: String) -> JSecError {
        JSecError(.io, "cannot resolve host: \(object) (\(text))", code: .addressResolution(Int32(truncatingIfNeeded: code)))
    }

    /// NIO's Happy Eyeballs result: every address tried failed, or the name did not resolve.
    private static func connection(_ e: NIOConnectionError) -> JSecError {
        let target = e.host.contains(":") ? "[\(e.host)]:\(e.port)" : "\(e.host):\(e.port)"
        let attempts: [(address: String, errno: Int32?)] = e.connectionErrors.map { failure in
            (NetAddress(failure.target)?.description ?? "\(failure.target)", (failure.error as? IOError)?.errnoCode)
        }
        // One cause (one address, or all refused alike): say it once.
        if let first = attempts.first, let errno = first.errno, attempts.allSatisfy({ $0.errno == errno }) {
            return system(errno, target, doing: "connect")
        }
        if !attempts.isEmpty {
            let causes = zip(attempts, e.connectionErrors).map { attempt, failure in
                attempt.errno.map { "\(attempt.address) \(errnoName($0))" } ?? "\(attempt.address) \(failure.error)"
            }
            return JSecError(
                .io, "cannot connect: \(target) (\(causes.joined(separator: "; ")))",
                code: attempts.first?.errno.map { .errno($0) } ?? .jsec(.transportError))
        }
        if let dns = (e.dnsAError ?? e.dnsAAAAError) as? SocketAddressError.UnknownHost {
            return unknownHost(dns.errorCode, dns.errorDescription, target)
        }
        let detail = (e.dnsAError ?? e.dnsAAAAError).map { "\($0)" } ?? "the name has no address"
        return JSecError(.io, "cannot resolve host: \(target) (\(detail))", code: .addressResolution(EAI_NONAME))
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (s, atto) = components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
