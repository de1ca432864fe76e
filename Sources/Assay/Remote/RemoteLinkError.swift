/// A failure of the remote link, classified for the relay's watchdog and the participant's messages. Its text is
/// the transport's own (a transport wraps its errors in it, unchanged) or, for Assay's checks, `kind: message`.
package struct RemoteLinkError: Error, CustomStringConvertible, Sendable {
    package enum Kind: String, Sendable {
        /// Nothing within the timeout: the stream is still usable.
        case timeout
        /// The other side closed the stream, or it was closed here.
        case closed
        /// The peer's identity did not verify.
        case verification
        /// The handshake failed otherwise.
        case handshake
        /// The peer broke the protocol.
        case `protocol`
        /// Anything else (an I/O error, an address that does not resolve…).
        case other
    }

    package let kind: Kind
    package let description: String

    /// A transport's failure, with its own text.
    package init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }

    /// Assay's own: `kind: message`.
    package init(_ kind: Kind, _ message: String) {
        self.init(kind: kind, description: "\(kind.rawValue): \(message)")
    }
}
