extension JSecError {
    /// The kind of failure, for a program to branch on: configuration, handshake, verification, io, timeout, closed,
    /// protocol, crypto, usage.
    ///
    /// A struct, not an enum, so that a new category is an addition, not a break: compare with `==` or match in a
    /// `switch` that has a `default:` (`case .timeout: …`). ``allCases`` lists the categories of this version.
    public struct Category: RawRepresentable, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
        private enum Kind: String, CaseIterable {
            case configuration, handshake, verification, io, timeout, closed, `protocol`, crypto, usage
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// The category named `rawValue` ("io", "protocol"…); nil for a name this version does not know.
        public init?(rawValue: String) {
            guard let kind = Kind(rawValue: rawValue) else { return nil }
            self.kind = kind
        }

        /// The category's name ("io", "protocol"…), as it is encoded and printed.
        public var rawValue: String { kind.rawValue }

        public var description: String { kind.rawValue }

        /// Every category of this version of JSec.
        public static var allCases: [Category] { Kind.allCases.map(Category.init) }

        /// An option or input given by the program is invalid (found when a configuration is built).
        public static let configuration = Category(.configuration)
        /// The TLS/DTLS handshake failed for a reason other than certificate verification.
        public static let handshake = Category(.handshake)
        /// A certificate chain, hostname or client certificate was rejected (by us or by the peer).
        public static let verification = Category(.verification)
        /// The operating system or the transport failed (connection refused, reset, …).
        public static let io = Category(.io)
        /// An operation did not finish within its timeout. The stream stays usable.
        public static let timeout = Category(.timeout)
        /// The stream (or its write side) is closed.
        public static let closed = Category(.closed)
        /// The peer broke the protocol (garbage, truncated record, unexpected message).
        public static let `protocol` = Category(.protocol)
        /// A cryptographic operation or a key/certificate/PEM/DER input failed.
        public static let crypto = Category(.crypto)
        /// The API was used in a way it does not allow (e.g. two concurrent reads).
        public static let usage = Category(.usage)
    }
}
