internal import CJSecOpenSSL

// TLS 1.2 renegotiation (issue 5 item 3), opt-in on both sides (TLSConfiguration.allowRenegotiation).
// While a renegotiation handshake runs, the handler holds application writes (OpenSSL would try to
// continue the handshake inside SSL_write) and releases them, in order, when it completes; reads go on.

extension TLSEngine {
    /// Whether a handshake is in progress (after the first one: a renegotiation).
    var inHandshake: Bool { SSL_in_init(ssl) == 1 }

    /// Renegotiations this side started on the connection (OpenSSL counts no peer-started ones).
    var renegotiationCount: Int { SSL_ctrl(ssl, SSL_CTRL_GET_TOTAL_RENEGOTIATIONS, 0, nil) }

    /// Whether a renegotiation this side asked for has not completed yet.
    var renegotiationPending: Bool { SSL_renegotiate_pending(ssl) == 1 }

    /// Starts a renegotiation (client: sends a ClientHello; server: a HelloRequest). Drain the output to send.
    func renegotiate() -> JSecError? {
        OpenSSLErrorQueue.clear()
        guard context.configuration.allowRenegotiation else {
            return JSecError(.usage, "renegotiation is disabled: set allowRenegotiation on both sides to use it", code: .jsec(.renegotiationDisabled))
        }
        guard SSL_version(ssl) == TLS1_2_VERSION_VALUE else {
            return JSecError(
                .usage, "renegotiation needs TLS 1.2; this connection is \(String(cString: SSL_get_version(ssl)))", code: .jsec(.notInNegotiatedVersion))
        }
        guard jsec_SSL_get_secure_renegotiation_support(ssl) == 1 else {
            return JSecError(
                .protocol, "the peer does not support secure renegotiation (RFC 5746); refusing to renegotiate",
                code: .jsec(.insecureRenegotiation))
        }
        guard !inHandshake else { return JSecError(.usage, "a renegotiation is already in progress", code: .jsec(.concurrentOperation)) }
        guard SSL_renegotiate(ssl) == 1 else { return JSecError.openSSL(.protocol, "renegotiation refused") }
        let r = SSL_do_handshake(ssl)
        if r != 1 {
            let code = SSL_get_error(ssl, r)
            if code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE {
                return classify(code, duringHandshake: false, while: "renegotiation")
            }
        }
        _ = OpenSSLErrorQueue.drain()
        return nil
    }
}
