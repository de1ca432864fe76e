internal import CJSecOpenSSL
import JSecCrypto

/// Which kind of transport a ``TLSContext`` secures.
public enum TLSTransport: String, Sendable, Hashable {
    /// TLS over a byte stream (TCP, Unix-domain sockets, upgraded plaintext streams).
    case stream
    /// DTLS 1.2 over UDP datagrams (``DTLS``).
    case datagram
}

extension TLSContext {
    /// DTLS-only context settings. The rest of ``TLSConfiguration`` (certificates, trust, verification,
    /// mTLS, cipher list, groups, ALPN, sessions, tickets, hooks) applies to DTLS exactly as to TLS.
    func configureDatagram() throws {
        let c = configuration
        // DTLS 1.2 is the DTLS of TLS 1.2 (RFC 6347); OpenSSL 3.0 has no DTLS 1.3.
        guard c.securityProfile != .modern else {
            throw JSecError(
                .configuration, "the .modern security profile is TLS 1.3 only; DTLS is DTLS 1.2 (use .intermediate or .compatible)",
                code: .jsec(.conflictingOptions))
        }
        guard c.minimumVersion == .tls1_2 else {
            throw JSecError(
                .configuration, "DTLS supports DTLS 1.2 only (the datagram form of TLS 1.2), but the minimum version is \(c.minimumVersion.rawValue)",
                code: .jsec(.conflictingOptions))
        }
        guard c.cipherSuites == nil else {
            throw JSecError(
                .configuration, "cipherSuites configures TLS 1.3 only; DTLS 1.2 takes its ciphers from cipherList", code: .jsec(.conflictingOptions))
        }
        guard !c.allowRenegotiation else {
            throw JSecError(.configuration, "allowRenegotiation is not supported with DTLS", code: .jsec(.conflictingOptions))
        }
        let v = jsec_DTLS1_2_VERSION()
        guard jsec_SSL_CTX_set_min_proto_version(ctx, v) == 1, jsec_SSL_CTX_set_max_proto_version(ctx, v) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot restrict the context to DTLS 1.2")
        }
        // The MTU is set per connection (DTLSOptions.mtu); never ask the (memory) BIO for it.
        SSL_CTX_set_options(ctx, jsec_SSL_OP_NO_QUERY_MTU())
        SSL_CTX_set_cookie_generate_cb(ctx, dtlsCookieGenerate)
        SSL_CTX_set_cookie_verify_cb(ctx, dtlsCookieVerify)
    }
}

/// Per-SSL DTLS state the C callbacks need (cookie secret, peer address, retransmission timer),
/// found through a DTLS-private ex_data slot. The ``DTLSDriver`` (or server listener) that owns
/// the SSL's engine owns this object too and outlives every callback.
final class DTLSEngineTag {
    static let exIndex: Int32 = jsec_SSL_dtls_ex_index()

    /// The server's rotating cookie keys, shared by its listening engines; nil on clients.
    let cookies: DTLSCookieSecrets?
    /// The peer's address as bytes (family, address, port): what a cookie is bound to.
    var peerBytes: [UInt8] = []
    /// First retransmission timeout in microseconds (doubles per retry, capped at 60 s).
    let initialTimeoutMicros: UInt32

    init(cookies: DTLSCookieSecrets?, initialTimeout: Duration) {
        self.cookies = cookies
        let (s, atto) = initialTimeout.components
        initialTimeoutMicros = UInt32(clamping: s * 1_000_000 + atto / 1_000_000_000_000)
    }

    /// Attaches this tag to `ssl` and installs the retransmission timer callback.
    func attach(to ssl: OpaquePointer) throws {
        // Without it the cookie and timer callbacks could not find their state.
        guard SSL_set_ex_data(ssl, Self.exIndex, Unmanaged.passUnretained(self).toOpaque()) == 1 else {
            throw JSecError.openSSL(.crypto, "cannot attach the DTLS state to the connection")
        }
        DTLS_set_timer_cb(ssl, dtlsTimerCallback)
    }

    static func from(_ ssl: OpaquePointer?) -> DTLSEngineTag? {
        guard let ssl, let raw = SSL_get_ex_data(ssl, exIndex) else { return nil }
        return Unmanaged<DTLSEngineTag>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The cookie for the current peer: HMAC-SHA256(the current period's secret, peer address).
    func cookie() -> [UInt8]? {
        guard let cookies, !peerBytes.isEmpty else { return nil }
        return cookies.cookie(for: peerBytes)
    }

    /// Whether `given` is the current peer's cookie, made in this period or the previous one.
    func verify(_ given: [UInt8]) -> Bool {
        guard let cookies, !peerBytes.isEmpty else { return false }
        return cookies.verify(given, peer: peerBytes)
    }
}

private let dtlsCookieGenerate: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> Int32 = { ssl, out, outLen in
    guard let out, let outLen, let cookie = DTLSEngineTag.from(ssl)?.cookie(), cookie.count <= Int(DTLS1_COOKIE_LENGTH) else { return 0 }
    cookie.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: cookie.count) }
    outLen.pointee = UInt32(cookie.count)
    return 1
}

private let dtlsCookieVerify: @convention(c) (OpaquePointer?, UnsafePointer<UInt8>?, UInt32) -> Int32 = { ssl, given, len in
    guard let given, let tag = DTLSEngineTag.from(ssl) else { return 0 }
    return tag.verify(Array(UnsafeBufferPointer(start: given, count: Int(len)))) ? 1 : 0
}

/// DTLS_set_timer_cb: the first timeout from the options, then doubling up to 60 s (RFC 6347 §4.2.4.1).
private let dtlsTimerCallback: @convention(c) (OpaquePointer?, UInt32) -> UInt32 = { ssl, current in
    let initial = DTLSEngineTag.from(ssl)?.initialTimeoutMicros ?? 1_000_000
    if current == 0 { return initial }
    return min(current &* 2, 60_000_000)
}
