internal import CJSecOpenSSL
import NIOCore

/// The transport-agnostic TLS engine (docs/architecture.md): one OpenSSL `SSL` over a
/// ``ByteBufferBIO`` (NIO buffers read and written in place). Ciphertext goes in with ``feed(_:)``
/// and comes out with ``takeOutput()``; plaintext goes through ``read(into:)`` and ``write(_:)``.
/// No sockets inside: the NIO handler drives it for streams, and tests can drive
/// it directly. Not thread-safe: one owner (an event loop) uses it at a time.
/// Every call clears OpenSSL's per-thread error queue first and drains it before
/// returning, so errors never leak into another call.
final class TLSEngine {
    enum Role: Sendable { case client, server }

    enum HandshakeStep { case complete, wantRead, failed(JSecError) }
    enum ReadStep { case data, wantRead, closeNotify, failed(JSecError) }

    let ssl: OpaquePointer
    let role: Role
    /// The network side: ciphertext from the peer in, ciphertext for the peer out.
    private let network: ByteBufferBIO
    /// Keeps the SSL_CTX (and its callbacks' arguments) alive as long as the SSL.
    let context: TLSContext
    private(set) var handshakeComplete = false
    /// Client side: the server asked for a certificate and none is configured.
    fileprivate(set) var serverWantedCertificateWeLack = false
    /// Why a verification hook (pin, custom callback) rejected the peer, set during the handshake.
    var hookFailure: (reason: JSecError.Code.Reason, message: String)?
    /// Why the stapled OCSP response was not acceptable (client with ``OCSPStatusPolicy/require``).
    var ocspFailure: (reason: JSecError.Code.Reason, message: String)?

    /// Called (on the owning event loop) when a new session or TLS 1.3 ticket arrives (client side).
    var onNewSession: ((TLSSession) -> Void)?
    /// Client: the name (or IP literal) the server's certificate is verified against, for error messages.
    private var verifiedName: String?

    init(
        context: TLSContext, role: Role, serverName: String?, session: TLSSession? = nil,
        allocator: ByteBufferAllocator = ByteBufferAllocator(), outputSegment: Int? = nil
    ) throws {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.ctx) else { throw JSecError.openSSL(.configuration, "SSL_new failed") }
        let network = ByteBufferBIO(allocator: allocator, segment: outputSegment)
        network.attach(to: ssl)  // the SSL owns the BIO from here on
        self.ssl = ssl
        self.role = role
        self.network = network
        self.context = context
        // Callbacks (client certificate request, new session) find this engine through the SSL's app data.
        guard jsec_SSL_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque()) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot attach the TLS engine to its SSL (SSL_set_ex_data)")
        }
        try configure(serverName: serverName, session: session)
    }

    deinit { SSL_free(ssl) }

    private func configure(serverName: String?, session: TLSSession?) throws {
        let config = context.configuration
        switch role {
        case .client:
            SSL_set_connect_state(ssl)
            try context.loadDeferredSystemTrust()
            if let name = serverName, !name.isEmpty {
                verifiedName = name
                if IPAddress.isLiteral(name) {
                    // RFC 6066: no SNI for IP literals; verify against IP SANs instead.
                    if config.certificateVerification == .fullVerification {
                        let ip = name.hasPrefix("[") ? String(name.dropFirst().dropLast()) : name
                        guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) == 1 else {
                            throw JSecError.openSSL(.configuration, "invalid IP address '\(name)' for verification")
                        }
                    }
                } else {
                    guard jsec_SSL_set_tlsext_host_name(ssl, name) == 1 else {
                        throw JSecError.openSSL(.configuration, "invalid server name '\(name)' for SNI")
                    }
                    if config.certificateVerification == .fullVerification {
                        SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                        guard SSL_set1_host(ssl, name) == 1 else {
                            throw JSecError.openSSL(.configuration, "invalid host name '\(name)' for verification")
                        }
                    }
                }
            } else if config.certificateVerification == .fullVerification {
                throw JSecError(
                    .configuration, "hostname verification needs a server name: pass one, or choose .noHostnameVerification", code: .jsec(.missingOption))
            }
            // Hooks (pins, a custom callback) still decide with verification off: the chain check is skipped, not them.
            let verifyNone = config.certificateVerification == .none && !config.hasVerificationHooks
            SSL_set_verify(ssl, verifyNone ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
            if config.ocspStatus != .off {
                guard jsec_SSL_set_tlsext_status_type(ssl, jsec_TLSEXT_STATUSTYPE_ocsp()) == 1 else {
                    throw JSecError.openSSL(.configuration, "cannot request OCSP stapling")
                }
            }
            if let session {
                try resume(session)
            }
        case .server:
            SSL_set_accept_state(ssl)
            guard config.certificateChain != nil || !config.sniCertificates.isEmpty else {
                throw JSecError(.configuration, "a TLS server needs a certificate chain and private key", code: .jsec(.missingOption))
            }
            switch config.clientAuthentication {
            case .none: SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
            case .optional: SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
            case .required: SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            }
        }
    }

    private func resume(_ session: TLSSession) throws {
        // SSL_set_session takes its own reference; the session object stays shared and parsed.
        guard let ok = session.withParsed({ SSL_set_session(ssl, $0) == 1 }) else {
            throw JSecError.openSSL(.configuration, "the saved TLS session cannot be parsed (\(session.der.count) bytes)")
        }
        guard ok else { throw JSecError.openSSL(.configuration, "the saved TLS session cannot be used") }
    }

    /// Asks for a TLS 1.3 key update (and, with `requestPeer`, for the peer to update its keys too).
    /// The KeyUpdate message is queued in the output; drain it to send.
    func updateKeys(requestPeer: Bool) -> JSecError? {
        OpenSSLErrorQueue.clear()
        guard SSL_version(ssl) == TLS1_3_VERSION_VALUE else {
            return JSecError(
                .usage, "key update needs TLS 1.3; this connection is \(String(cString: SSL_get_version(ssl)))", code: .jsec(.notInNegotiatedVersion))
        }
        guard SSL_key_update(ssl, requestPeer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) == 1 else {
            return JSecError.openSSL(.protocol, "key update refused")
        }
        let r = SSL_do_handshake(ssl)  // sends the KeyUpdate now rather than with the next write
        if r != 1 {
            let code = SSL_get_error(ssl, r)
            if code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE { return classify(code, duringHandshake: false, while: "key update") }
        }
        _ = OpenSSLErrorQueue.drain()
        return nil
    }

    /// Takes over the callback's reference to `session`.
    fileprivate func sessionArrived(_ session: OpaquePointer) {
        onNewSession?(TLSSession(taking: session))
    }

    // MARK: - Ciphertext in and out

    /// Hands ciphertext received from the peer to OpenSSL (queued, not copied).
    func feed(_ buffer: ByteBuffer) {
        network.receive(buffer)
    }

    /// Drops received ciphertext OpenSSL has not read (what one datagram left that must not reach the next).
    func discardInput() { network.discardInbound() }

    /// Ciphertext waiting to be sent to the peer.
    var outputPending: Int { network.outboundPending }

    /// Takes pending ciphertext for the peer (nil when there is none), without a copy: all of it, or
    /// with an `outputSegment` size the oldest buffer of at most that size (take until nil).
    func takeOutput() -> ByteBuffer? { network.takeOutbound() }

    /// Whether received ciphertext is still waiting to be processed (e.g. half a record).
    var hasUnprocessedInput: Bool { network.receivedPending > 0 || SSL_has_pending(ssl) == 1 }

    /// At most how much plaintext the bytes received and not yet read hold, to size the buffer a read decrypts
    /// into: a record's bytes less its header and tag (21 bytes at least), at most 16 KiB for a single record (its
    /// 16,406 bytes would round a buffer up to 32 KiB); a record's worth if OpenSSL holds the start of one; plus
    /// what OpenSSL holds decrypted.
    var plaintextBound: Int {
        let raw = network.receivedPending
        let decrypted = Int(SSL_pending(ssl))
        if decrypted == 0 && SSL_has_pending(ssl) == 1 { return max(raw - 21, 16_384) }
        let fromRaw = raw <= ByteBufferBIO.largestRecord ? min(max(raw - 21, 0), 16_384) : raw - 21
        return fromRaw + decrypted
    }

    // MARK: - Handshake, read, write, shutdown

    func handshake() -> HandshakeStep {
        OpenSSLErrorQueue.clear()
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            handshakeComplete = true
            return .complete
        }
        let code = SSL_get_error(ssl, r)
        if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { return .wantRead }
        return .failed(classify(code, duringHandshake: true))
    }

    /// Decrypts as much as is available into `buffer` (appending).
    func read(into buffer: inout ByteBuffer) -> ReadStep {
        OpenSSLErrorQueue.clear()
        var result: Int32 = 0
        let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 512) { raw in
            var read = 0
            result = SSL_read_ex(ssl, raw.baseAddress, raw.count, &read)
            return result == 1 ? read : 0
        }
        if result == 1 { return n > 0 ? .data : .wantRead }
        let code = SSL_get_error(ssl, 0)
        switch code {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
        case SSL_ERROR_ZERO_RETURN: return .closeNotify
        default: return .failed(classify(code, duringHandshake: false))
        }
    }

    /// Encrypts all of `buffer` (into the output BIO; drain it to send).
    func write(_ buffer: ByteBuffer) -> JSecError? {
        OpenSSLErrorQueue.clear()
        return buffer.withUnsafeReadableBytes { raw -> JSecError? in
            guard let base = raw.baseAddress, raw.count > 0 else { return nil }
            // Records carry at most 16 KiB of plaintext plus header, tag and padding.
            network.reserveOutbound(raw.count + (raw.count / 16_384 + 1) * 128)
            var offset = 0
            while offset < raw.count {
                var written = 0
                let r = SSL_write_ex(ssl, base + offset, raw.count - offset, &written)
                if r != 1 {
                    let code = SSL_get_error(ssl, 0)
                    return classify(code, duringHandshake: false, while: "write")
                }
                offset += written
            }
            return nil
        }
    }

    /// Queues a close_notify alert (drain the output to send it). Never waits for the peer's.
    func shutdown() {
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        _ = OpenSSLErrorQueue.drain()
    }

    // MARK: - Errors

    /// Turns OpenSSL's verdict into a JSecError with the right category and a message naming the cause.
    func classify(_ code: Int32, duringHandshake: Bool, while doing: String = "read") -> JSecError {
        let entries = OpenSSLErrorQueue.drainEntries()
        let texts = entries.map(\.text)
        let reasons = Set(entries.map(\.reason))
        if code == SSL_ERROR_SYSCALL && entries.isEmpty {
            return JSecError(.io, "TLS \(duringHandshake ? "handshake" : doing): transport error", code: .jsec(.transportError))
        }
        let verify = SSL_get_verify_result(ssl)
        if let hookFailure, verify == X509_V_ERR_APPLICATION_VERIFICATION {
            return JSecError(.verification, hookFailure.message, code: .jsec(hookFailure.reason), openSSLErrors: texts)
        }
        if let ocspFailure, reasons.contains(SSL_R_INVALID_STATUS_RESPONSE) {
            return JSecError(.verification, "OCSP stapling: \(ocspFailure.message)", code: .jsec(ocspFailure.reason), openSSLErrors: texts)
        }
        if reasons.contains(SSL_R_CERTIFICATE_VERIFY_FAILED), verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH {
            // Name what was asked for and what the certificate is for: the usual fix is one of the two.
            // After a failed verification OpenSSL has not set the peer certificate, but it kept the chain it received.
            let received = SSL_get_peer_cert_chain(ssl).flatMap { jsec_sk_X509_num($0) > 0 ? jsec_sk_X509_value($0, 0) : nil }
            let leaf = SSL_get1_peer_certificate(ssl).map { Certificate(taking: $0) } ?? received.map { Certificate(retaining: $0) }
            let names = leaf.map { $0.dnsNames + $0.ipAddresses } ?? []
            let certified = names.isEmpty ? "no DNS or IP names (subject \(leaf?.subject ?? "?"))" : names.joined(separator: ", ")
            return JSecError(
                .verification,
                "certificate verify failed: the server's certificate is not for '\(verifiedName ?? "?")': it is for \(certified)"
                    + " (connect with one of those names, or give the server a certificate for this one)",
                code: .certificate(X509VerifyResult(rawValue: Int32(truncatingIfNeeded: verify))), openSSLErrors: texts)
        }
        if reasons.contains(SSL_R_CERTIFICATE_VERIFY_FAILED), verify != X509_V_OK {
            let why = String(cString: X509_verify_cert_error_string(verify))
            return JSecError(
                .verification, "certificate verify failed: \(why) (X509 error \(verify))",
                code: .certificate(X509VerifyResult(rawValue: Int32(truncatingIfNeeded: verify))), openSSLErrors: texts)
        }
        if reasons.contains(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
            return JSecError(
                .verification, "the peer did not present a certificate, and one is required",
                code: .peerDidNotReturnCertificate, openSSLErrors: texts)
        }
        // Alerts by which the peer refuses our certificate.
        let refusals: [TLSAlert] = [
            .badCertificate, .unsupportedCertificate, .certificateRevoked, .certificateExpired,
            .certificateUnknown, .unknownCA, .accessDenied, .certificateRequired,
        ]
        let alerts = entries.compactMap { JSecError.Code($0).receivedAlert }
        if serverWantedCertificateWeLack, alerts.contains(.handshakeFailure) || alerts.contains(.certificateRequired) {
            return JSecError(
                .verification, "the server requires a client certificate and none is configured",
                code: .jsec(.clientCertificateNotConfigured), openSSLErrors: texts)
        }
        if let alert = alerts.first(where: refusals.contains) {
            return JSecError(.verification, "the peer rejected our certificate: \(alert)", code: .alertReceived(alert), openSSLErrors: texts)
        }
        let first =
            entries.first.map { e -> String in
                if let s = ERR_reason_error_string(e.code) { return String(cString: s) }
                return e.text
            } ?? "SSL error \(code)"
        let firstCode = JSecError.Code(firstOf: entries)
        if duringHandshake || !handshakeComplete {
            // Bytes that are not a TLS record: most often a plaintext service on the port, or a proxy.
            let hint =
                reasons.contains(SSL_R_WRONG_VERSION_NUMBER) || reasons.contains(SSL_R_HTTP_REQUEST)
                ? " — the peer does not speak TLS? (a plaintext service on this port, or a proxy)" : ""
            return JSecError(.handshake, "TLS handshake failed: \(first)\(hint)", code: firstCode, openSSLErrors: texts)
        }
        return JSecError(.protocol, "TLS \(doing) failed: \(first)", code: firstCode, openSSLErrors: texts)
    }

    // MARK: - Connection info

    func connectionInfo(handshakeDuration: Duration) -> TLSConnectionInfo {
        let cipher = SSL_get_current_cipher(ssl)
        var alpnPtr: UnsafePointer<UInt8>?
        var alpnLen: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpnPtr, &alpnLen)
        let alpn = alpnPtr.flatMap { alpnLen > 0 ? String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLen)), as: UTF8.self) : nil }
        var chain: [Certificate] = []
        if let leaf = SSL_get1_peer_certificate(ssl) {
            chain.append(Certificate(taking: leaf))
        }
        if let stack = SSL_get_peer_cert_chain(ssl) {
            for i in 0..<jsec_sk_X509_num(stack) {
                guard let x = jsec_sk_X509_value(stack, i) else { continue }
                if let first = chain.first, X509_cmp(first.x509, x) == 0 { continue }
                chain.append(Certificate(retaining: x))
            }
        }
        var localKeyType: String?
        if let own = SSL_get_certificate(ssl) {
            localKeyType = Certificate(retaining: own).publicKeyAlgorithm
        }
        return TLSConnectionInfo(
            version: NegotiatedVersion(openSSLName: String(cString: SSL_get_version(ssl))),
            cipher: cipher.map { String(cString: SSL_CIPHER_get_name($0)) } ?? "",
            cipherBits: cipher.map { Int(SSL_CIPHER_get_bits($0, nil)) } ?? 0,
            alpn: alpn,
            serverName: SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) },
            peerCertificates: chain,
            localCertificateKeyType: localKeyType,
            handshakeDuration: handshakeDuration,
            sessionReused: SSL_session_reused(ssl) == 1,
            stapledOCSPResponse: stapledOCSPResponse
        )
    }
}

/// `SSL_CTX_set_client_cert_cb` hook: the server asked for a certificate we do not have.
let clientCertificateRequested: @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32 = {
    ssl, _, _ in
    if let ssl, let raw = jsec_SSL_get_app_data(ssl) {
        Unmanaged<TLSEngine>.fromOpaque(raw).takeUnretainedValue().serverWantedCertificateWeLack = true
    }
    return 0  // continue without a certificate
}

/// `SSL_CTX_sess_set_new_cb` hook: a client got a new session (or TLS 1.3 ticket).
let newSessionCallback: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { ssl, session in
    guard let ssl, let session, SSL_is_server(ssl) == 0, let raw = jsec_SSL_get_app_data(ssl) else { return 0 }
    Unmanaged<TLSEngine>.fromOpaque(raw).takeUnretainedValue().sessionArrived(session)
    return 1  // we keep the callback's reference: the TLSSession now owns it
}
