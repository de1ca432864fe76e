extension JSecError.Code {
    /// Conditions JSec detects itself (no lower layer has a number for them): the `Reason` of ``JSecError/Code/jsec(_:)``.
    ///
    /// Each names a class of condition, not a call site: `.invalidOption` is every configuration value out of its
    /// range, whichever option it is (the message names the option). A struct, not an enum, so that a new reason is an
    /// addition, not a break: compare with `==` (`e.code == .jsec(.malformedInput)`). The list, grouped, is in
    /// docs/architecture.md ("Errors").
    public struct Reason: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        private enum Kind: String, CaseIterable {
            // Peer verification and OCSP stapling.
            case pinMismatch, rejectedByVerificationCallback, clientCertificateNotConfigured
            case ocspMissing, ocspInvalid, ocspBadSignature, ocspNotForCertificate, ocspExpired, ocspRevoked, ocspStatusUnknown
            // Options and arguments the program gave.
            case invalidOption, conflictingOptions, missingOption, unknownName, unsupportedAlgorithm, wrongTransport
            case invalidArgument, inputTooLarge, wrongKeyType, keyMismatch, unsafeKeyLogFile
            // Input that does not parse or does not verify.
            case malformedInput, keyEncrypted, authenticationFailed, signatureInvalid
            // The object's state, closing and timing.
            case invalidState, notInNegotiatedVersion, concurrentOperation, socketHandedOver
            case closed, outputShutDown, inputShutDown, cancelled
            case operationTimeout, handshakeTimeout, peerIdle
            // The connection and the peer.
            case truncatedRecord, closedDuringHandshake, messageTooLarge, renegotiationDisabled, insecureRenegotiation
            case sessionReplaced, halfOpenEvicted, limitReached, transportError
            // OpenSSL failed and said nothing.
            case openSSLQueueEmpty
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// The reason named `rawValue` ("malformedInput"); nil for a name this version does not know.
        public init?(rawValue: String) {
            guard let kind = Kind(rawValue: rawValue) else { return nil }
            self.kind = kind
        }

        /// The reason's name, as its `static let` spells it ("malformedInput").
        public var rawValue: String { kind.rawValue }

        public var description: String { kind.rawValue }

        /// Every reason of this version of JSec.
        public static var allCases: [Reason] { Kind.allCases.map(Reason.init) }

        // MARK: Peer verification and OCSP stapling

        /// No public key in the peer's chain matches a configured pin.
        public static let pinMismatch = Reason(.pinMismatch)
        /// The application's verification callback rejected the peer (the message carries its reason).
        public static let rejectedByVerificationCallback = Reason(.rejectedByVerificationCallback)
        /// The server asked for a client certificate and none is configured.
        public static let clientCertificateNotConfigured = Reason(.clientCertificateNotConfigured)
        /// OCSP stapling required (`OCSPStatusPolicy.require`), and the server stapled no response.
        public static let ocspMissing = Reason(.ocspMissing)
        /// The stapled OCSP response does not parse, is not a successful response, or cannot be checked.
        public static let ocspInvalid = Reason(.ocspInvalid)
        /// The stapled OCSP response is not signed by the issuer or a responder it authorised.
        public static let ocspBadSignature = Reason(.ocspBadSignature)
        /// The stapled OCSP response is about another certificate.
        public static let ocspNotForCertificate = Reason(.ocspNotForCertificate)
        /// The stapled OCSP response is expired or not yet valid.
        public static let ocspExpired = Reason(.ocspExpired)
        /// The stapled OCSP response says the server certificate is revoked.
        public static let ocspRevoked = Reason(.ocspRevoked)
        /// The stapled OCSP response says the server certificate's status is unknown.
        public static let ocspStatusUnknown = Reason(.ocspStatusUnknown)

        // MARK: Options and arguments the program gave

        /// A configuration value is out of its range or malformed: an option of `TLSConfiguration`, `DTLSOptions` or
        /// a listener (a timeout, a size, a count, a session ticket key, an ALPN or SNI name, a pin, a cipher list,
        /// an OCSP staple, the DTLS mtu). The message names it.
        public static let invalidOption = Reason(.invalidOption)
        /// Two options contradict each other: a minimum version above the maximum, a security profile that excludes
        /// the version range or the cipher list, renegotiation with TLS 1.3 only, a certificate chain without its key
        /// (or the key without its chain), or an option DTLS 1.2 does not have.
        public static let conflictingOptions = Reason(.conflictingOptions)
        /// A TLS or DTLS configuration lacks something required, or has it empty: a server's certificate chain and
        /// key, the server name hostname verification needs, a list of certificates or CRLs, an OCSP response to
        /// staple.
        public static let missingOption = Reason(.missingOption)
        /// A name given as text names nothing JSec knows: a TLS version, a cipher or cipher suite, a key-exchange
        /// group, a digest, an AEAD algorithm, a key type, a revocation reason, a certificate purpose.
        public static let unknownName = Reason(.unknownName)
        /// JSec knows the algorithm or protocol version but refuses it here: TLS 1.0 and 1.1, HKDF with BLAKE2.
        public static let unsupportedAlgorithm = Reason(.unsupportedAlgorithm)
        /// A stream (TLS) context was given where a datagram (DTLS) one is needed, or the reverse.
        public static let wrongTransport = Reason(.wrongTransport)
        /// An argument of a call is out of range, malformed or empty: a byte count, a port, a key, IV or nonce length,
        /// a KDF parameter, an RSA key size, an EC scalar, an empty password, a name, validity or serial number of a
        /// certificate, CSR, CRL or OCSP response, an empty list of roots or recipients, a peer address a UDP socket
        /// cannot use.
        public static let invalidArgument = Reason(.invalidArgument)
        /// An input is larger than JSec accepts for the call (keys, certificates, CMS and PKCS#12 over 1 MiB, a
        /// message over the cipher's or signature's limit, an RSA plaintext over what the key and padding hold).
        public static let inputTooLarge = Reason(.inputTooLarge)
        /// The key's algorithm cannot do this: an X25519 key signing a certificate, RSA encryption with another key,
        /// a raw encoding of a key other than Ed25519 or X25519.
        public static let wrongKeyType = Reason(.wrongKeyType)
        /// The private key does not belong to the certificate it is given with.
        public static let keyMismatch = Reason(.keyMismatch)
        /// The TLS key log path is not a regular file of this user (a symbolic link, even a dangling one, a FIFO,
        /// a device, a directory, or a file another user owns): JSec refuses to write secrets there.
        public static let unsafeKeyLogFile = Reason(.unsafeKeyLogFile)

        // MARK: Input that does not parse or does not verify

        /// Input does not parse as the format asked for and JSec found it (OpenSSL's own parse failures carry
        /// OpenSSL's code): PEM with no certificate or CRL in it, empty DER, base64 or hex that is not, a raw key or
        /// EC point of the wrong length, a CBC ciphertext that is not whole blocks, an OCSP request naming no
        /// certificate.
        public static let malformedInput = Reason(.malformedInput)
        /// A PEM private key is encrypted and no password was given.
        public static let keyEncrypted = Reason(.keyEncrypted)
        /// Decryption refused the input: an AEAD tag that does not match (wrong key, nonce, AAD, ciphertext or tag)
        /// or has a length the algorithm does not allow, a CBC padding that is not (wrong key or corrupted data).
        public static let authenticationFailed = Reason(.authenticationFailed)
        /// A signature JSec checks before using the signed object does not verify (a CSR's).
        public static let signatureInvalid = Reason(.signatureInvalid)

        // MARK: The object's state, closing and timing

        /// The object is not in a state that allows the call: a digest or HMAC already finalized, a stream already
        /// TLS or with a read pending, a write or key update before the handshake completed, a shutdown during it,
        /// input fed after `finishInput`, a UDP socket connected where it must not be (or not where it must).
        public static let invalidState = Reason(.invalidState)
        /// The negotiated protocol version has no such operation: a key update needs TLS 1.3, a renegotiation TLS 1.2.
        public static let notInNegotiatedVersion = Reason(.notInNegotiatedVersion)
        /// Another read (or accept, receive, renegotiation) is already pending on this object.
        public static let concurrentOperation = Reason(.concurrentOperation)
        /// The `NetDatagramSocket` was handed to DTLS (`DTLS.upgrade`, `DTLS.serve`): the DTLS connection or server
        /// owns it now.
        public static let socketHandedOver = Reason(.socketHandedOver)
        /// The object (stream, listener, UDP socket or channel, DTLS connection or server, TLS handler, BIO) is
        /// closed, or was closed (its channel ended, its handler was removed) while the call waited.
        public static let closed = Reason(.closed)
        /// The write side was shut down (TLS close_notify / TCP FIN sent) before this write.
        public static let outputShutDown = Reason(.outputShutDown)
        /// The read side of the stream was shut down before this read.
        public static let inputShutDown = Reason(.inputShutDown)
        /// The operation was cancelled (a DTLS handshake abandoned by its task ends its association with this).
        public static let cancelled = Reason(.cancelled)
        /// A read, write, send, receive or accept did not finish within its timeout; the object stays usable.
        public static let operationTimeout = Reason(.operationTimeout)
        /// The handshake (or a renegotiation) did not complete within the configured time, or a DTLS peer did not
        /// answer the handshake's retransmissions.
        public static let handshakeTimeout = Reason(.handshakeTimeout)
        /// The peer sent nothing for the configured idle time: a DTLS server dropped its session, or a listener's
        /// `idleTimeout` closed the connection.
        public static let peerIdle = Reason(.peerIdle)

        // MARK: The connection and the peer

        /// The connection ended in the middle of a TLS record.
        public static let truncatedRecord = Reason(.truncatedRecord)
        /// The peer closed the connection before the handshake (a TLS upgrade, a DTLS handshake, a renegotiation)
        /// completed.
        public static let closedDuringHandshake = Reason(.closedDuringHandshake)
        /// A DTLS message larger than one record can carry (it is refused, never cut).
        public static let messageTooLarge = Reason(.messageTooLarge)
        /// Renegotiation is off on this side (`TLSConfiguration.allowRenegotiation`).
        public static let renegotiationDisabled = Reason(.renegotiationDisabled)
        /// The peer does not support secure renegotiation (RFC 5746).
        public static let insecureRenegotiation = Reason(.insecureRenegotiation)
        /// The peer started a new session on an address whose association was open (DTLS).
        public static let sessionReplaced = Reason(.sessionReplaced)
        /// A DTLS server ended this half-open handshake to make room for a newer one: its half-open handshake
        /// budget was full and this one was the oldest, older than `DTLSOptions.halfOpenEvictionAge`.
        public static let halfOpenEvicted = Reason(.halfOpenEvicted)
        /// A DTLS server refused a new peer at one of its limits (`DTLSOptions.maximumSessions`,
        /// `maximumHandshakesPerAddress`).
        public static let limitReached = Reason(.limitReached)
        /// The transport failed without an `errno` (a SwiftNIO channel error, or TLS saw the transport fail with
        /// nothing in OpenSSL's queue); the message carries what it said.
        public static let transportError = Reason(.transportError)

        // MARK: OpenSSL failed and said nothing

        /// An OpenSSL call failed and left its error queue empty, so there is no OpenSSL code to give: the code of
        /// `JSecError.openSSL` when the queue is empty. The message names the call.
        public static let openSSLQueueEmpty = Reason(.openSSLQueueEmpty)
    }
}
