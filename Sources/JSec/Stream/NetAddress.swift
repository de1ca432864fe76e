import NIOCore

/// The local or remote address of a stream or listener.
public enum NetAddress: Sendable, Hashable, CustomStringConvertible {
    case ip(host: String, port: Int)
    case unix(path: String)

    init?(_ address: SocketAddress?) {
        guard let address else { return nil }
        switch address {
        case .v4, .v6: self = .ip(host: address.ipAddress ?? "?", port: address.port ?? 0)
        case .unixDomainSocket: self = .unix(path: address.pathname ?? "")
        }
    }

    /// The port of an IP address, nil for a Unix socket.
    public var port: Int? { if case .ip(_, let p) = self { return p } else { return nil } }

    public var description: String {
        switch self {
        case .ip(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}
