import NIOCore

/// A TLS connection with no I/O of its own ("sans-IO"): the program moves the ciphertext.
///
/// Bytes received from the peer go in with ``feed(_:)``; bytes to send come out of
/// ``takeOutput()``. Plaintext goes through ``write(_:)`` and ``read(max:)``. Nothing here
/// touches a socket, a thread or an event loop, so it runs over any transport (a pipe, a
/// message queue, a test that splits records at every byte) — and it is the same engine
/// (`SSL` over memory BIOs) the NIO streams use.
///
/// ```swift
/// let client = try TLSMemoryConnection(client: TLSContext(.client()), serverName: "example.com")
/// _ = try client.handshake()              // .wantRead: the ClientHello is in the output
/// transport.send(client.takeOutput())
/// try client.feed(transport.receive())
/// if try client.handshake() == .done { try client.write(Array("hello".utf8)) }
/// ```
///
/// Rules (each broken rule is a typed `JSecError`, never a crash):
/// - ``write(_:)`` before the handshake completes is a `usage` error; after ``shutdown()``
///   it is a `closed` error.
/// - ``read(max:)`` before the handshake completes advances the handshake and returns
///   ``ReadResult/wantRead`` until it is done.
/// - after a failure (garbage, a bad certificate, a truncated record) every later call
///   throws the same error.
/// - ``finishInput()`` tells the connection the transport ended: a truncated record or an
///   unfinished handshake is reported then; otherwise ``peerClosure`` tells a close_notify
///   from a bare end of stream.
///
/// Not thread-safe: one owner uses it at a time (it is not `Sendable`).
public final class TLSMemoryConnection {
    public enum Role: Sendable, Hashable { case client, server }

    /// The result of a handshake step.
    public enum HandshakeStatus: Sendable, Hashable {
        /// The handshake is complete.
        case done
        /// More bytes from the peer are needed (send ``takeOutput()`` first: it may hold a flight).
        case wantRead
    }

    /// The result of a read.
    public enum ReadResult: Sendable, Hashable {
        /// Decrypted application data (never empty).
        case data([UInt8])
        /// Nothing to read until more ciphertext is fed.
        case wantRead
        /// The peer sent close_notify: no more data will come.
        case closed
    }

    public let role: Role
    private let engine: TLSEngine
    private var failure: JSecError?
    private var sentCloseNotify = false
    private var receivedCloseNotify = false
    private var inputFinished = false
    private var handshakeStart: ContinuousClock.Instant?
    private var handshakeDuration: Duration = .zero
    private var latestSession: TLSSession?
    /// Plaintext decrypted but not yet returned (a read asked for fewer bytes than a record held).
    private var readAhead: [UInt8] = []
    private let allocator = ByteBufferAllocator()

    /// A client connection. `serverName` is sent as SNI and checked against the certificate
    /// (unless verification is relaxed); `session` resumes an earlier session.
    public init(client context: TLSContext, serverName: String?, session: TLSSession? = nil) throws {
        role = .client
        engine = try TLSEngine(context: context, role: .client, serverName: serverName, session: session)
        engine.onNewSession = { [unowned self] in self.latestSession = $0 }
    }

    /// A server connection; `context` must carry a certificate and key.
    public init(server context: TLSContext) throws {
        role = .server
        engine = try TLSEngine(context: context, role: .server, serverName: nil)
    }

    // MARK: - Ciphertext

    /// Hands bytes received from the peer to TLS. Nothing is decrypted until ``handshake()`` or ``read(max:)``.
    public func feed(_ ciphertext: some Collection<UInt8>) throws {
        if let failure { throw failure }
        guard !inputFinished else { throw JSecError(.usage, "feed: the input was already finished (finishInput)", code: .jsec(.invalidState)) }
        guard !ciphertext.isEmpty else { return }
        engine.feed(allocator.buffer(bytes: ciphertext))
    }

    /// Ciphertext waiting to be sent to the peer (bytes).
    public var outputPending: Int { engine.outputPending }

    /// Removes and returns everything waiting to be sent to the peer (possibly nothing).
    public func takeOutput() -> [UInt8] {
        engine.takeOutput().map { Array($0.readableBytesView) } ?? []
    }

    // MARK: - Handshake

    /// Whether the handshake has completed.
    public var isHandshakeComplete: Bool { engine.handshakeComplete }

    /// Advances the handshake with what has been fed. A failure (bad certificate, garbage, an
    /// alert from the peer) throws; the alert for the peer, if any, is then in ``takeOutput()``.
    @discardableResult
    public func handshake() throws -> HandshakeStatus {
        if let failure { throw failure }
        if engine.handshakeComplete { return .done }
        if handshakeStart == nil { handshakeStart = .now }
        switch engine.handshake() {
        case .complete:
            handshakeDuration = handshakeStart.map { ContinuousClock.now - $0 } ?? .zero
            return .done
        case .wantRead:
            return .wantRead
        case .failed(let error):
            throw fail(error)
        }
    }

    // MARK: - Plaintext

    /// Encrypts `plaintext` into the output (as many records as it takes).
    public func write(_ plaintext: some Collection<UInt8>) throws {
        if let failure { throw failure }
        guard !sentCloseNotify else { throw JSecError(.closed, "write: the write side of the TLS connection is shut down", code: .jsec(.outputShutDown)) }
        guard engine.handshakeComplete else { throw JSecError(.usage, "write: the TLS handshake has not completed", code: .jsec(.invalidState)) }
        guard !plaintext.isEmpty else { return }
        if let error = engine.write(allocator.buffer(bytes: plaintext)) { throw fail(error) }
    }

    /// Decrypts up to `max` bytes of what has been fed. Before the handshake completes it advances the handshake.
    /// Data decrypted before a failure is returned first; the failure is thrown by the next call.
    public func read(max: Int = 16_384) throws -> ReadResult {
        guard max > 0 else { throw JSecError(.configuration, "read: the byte count must be positive, got \(max)", code: .jsec(.invalidArgument)) }
        if !readAhead.isEmpty { return .data(takeReadAhead(max)) }
        if let failure { throw failure }
        if receivedCloseNotify { return .closed }
        if !engine.handshakeComplete {
            guard try handshake() == .done else { return .wantRead }
        }
        var buffer = allocator.buffer(capacity: 16_384)
        var failed: JSecError?
        loop: while buffer.readableBytes < max {
            switch engine.read(into: &buffer) {
            case .data: continue
            case .wantRead: break loop
            case .closeNotify: receivedCloseNotify = true; break loop
            case .failed(let error): failed = fail(error); break loop
            }
        }
        readAhead += buffer.readBytes(length: buffer.readableBytes) ?? []
        if !readAhead.isEmpty { return .data(takeReadAhead(max)) }
        if let failed { throw failed }
        return receivedCloseNotify ? .closed : .wantRead
    }

    private func takeReadAhead(_ max: Int) -> [UInt8] {
        let n = min(max, readAhead.count)
        let out = Array(readAhead[..<n])
        readAhead.removeFirst(n)
        return out
    }

    /// Queues close_notify (take the output to send it). Idempotent. Writes after it throw `closed`.
    /// During the handshake it is a `usage` error (TLS cannot close an unfinished handshake cleanly).
    public func shutdown() throws {
        if sentCloseNotify { return }
        guard engine.handshakeComplete else { throw JSecError(.usage, "shutdown during the TLS handshake", code: .jsec(.invalidState)) }
        sentCloseNotify = true
        engine.shutdown()
    }

    /// The transport ended: no more bytes will be fed. Throws `protocol` when half a record was
    /// left (a truncated stream) and `handshake` when the handshake had not completed.
    public func finishInput() throws {
        if let failure { throw failure }
        inputFinished = true
        if !engine.handshakeComplete {
            throw fail(JSecError(.handshake, "the peer closed the connection during the TLS handshake", code: .jsec(.closedDuringHandshake)))
        }
        if engine.hasUnprocessedInput && !receivedCloseNotify {
            throw fail(JSecError(.protocol, "the connection ended in the middle of a TLS record (truncated)", code: .jsec(.truncatedRecord)))
        }
    }

    // MARK: - TLS operations and information

    /// TLS 1.3 key update for what this side sends; with `requestPeer` the peer updates its keys too.
    /// The KeyUpdate message is queued in the output.
    public func updateKeys(requestPeer: Bool = false) throws {
        if let failure { throw failure }
        guard engine.handshakeComplete else { throw JSecError(.usage, "key update: the TLS handshake has not completed", code: .jsec(.invalidState)) }
        guard !sentCloseNotify else { throw JSecError(.closed, "key update: the write side is shut down", code: .jsec(.outputShutDown)) }
        if let error = engine.updateKeys(requestPeer: requestPeer) { throw error }
    }

    /// What was negotiated; nil until the handshake completes.
    public var info: TLSConnectionInfo? {
        engine.handshakeComplete ? engine.connectionInfo(handshakeDuration: handshakeDuration) : nil
    }

    /// Client: the latest session (or TLS 1.3 ticket) the server gave, for ``init(client:serverName:session:)``.
    /// TLS 1.3 tickets arrive after the handshake, with the first read. nil on servers.
    public var session: TLSSession? { latestSession }

    /// ``PeerClosure/closeNotify`` once close_notify was received; ``PeerClosure/withoutCloseNotify`` when
    /// ``finishInput()`` came without it; ``PeerClosure/open`` before either.
    public var peerClosure: PeerClosure {
        if receivedCloseNotify { return .closeNotify }
        return inputFinished ? .withoutCloseNotify : .open
    }

    /// Whether this side has queued close_notify.
    public var isShutDown: Bool { sentCloseNotify }

    /// The error that ended the connection, if one did.
    public var error: JSecError? { failure }

    private func fail(_ error: JSecError) -> JSecError {
        if failure == nil { failure = error }
        return failure!
    }
}
