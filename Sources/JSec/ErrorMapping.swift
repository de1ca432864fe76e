import NIOCore
import NIOPosix

extension JSecError {
    /// Maps SwiftNIO's errors (and anything else) to a ``JSecError`` with the right category.
    static func from(_ error: any Error, while doing: String) -> JSecError {
        if let e = error as? JSecError { return e }
        if let e = error as? ChannelError {
            switch e {
            case .ioOnClosedChannel, .alreadyClosed, .eof:
                return JSecError(.closed, "\(doing): the stream is closed")
            case .outputClosed:
                return JSecError(.closed, "\(doing): the write side of the stream is shut down")
            case .inputClosed:
                return JSecError(.closed, "\(doing): the read side of the stream is shut down")
            case .connectTimeout(let t):
                return JSecError(.timeout, "\(doing): connection timed out after \(t.nanoseconds / 1_000_000) ms")
            default:
                return JSecError(.io, "\(doing): \(e)")
            }
        }
        if let e = error as? IOError {
            return JSecError(.io, "\(doing): \(e.description)")
        }
        if let e = error as? NIOConnectionError {
            let causes = e.connectionErrors.map { "\($0.target): \($0.error)" }
            let detail = causes.isEmpty ? (e.dnsAError.map { "\($0)" } ?? "no address") : causes.joined(separator: "; ")
            return JSecError(.io, "\(doing): cannot connect to \(e.host):\(e.port) (\(detail))")
        }
        if error is CancellationError { return JSecError(.closed, "\(doing): cancelled") }
        return JSecError(.io, "\(doing): \(error)")
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (s, atto) = components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
