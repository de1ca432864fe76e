internal import CJSecOpenSSL
import Foundation
import Synchronization

/// An immutable, reusable OpenSSL `SSL_CTX` built from a ``TLSConfiguration``.
///
/// Building validates every option: an unknown cipher, group or version, a key
/// that does not match its certificate, an unreadable file — each is a
/// `JSecError.Category.configuration` error here, never silently ignored.
/// Build one context per configuration and share it across connections.
public final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is fully configured in init and never
    // mutated afterwards (except the deferred system trust store, loaded once under
    // `systemTrust`'s lock); OpenSSL allows SSL_new on one SSL_CTX from many threads.
    let ctx: OpaquePointer
    public let configuration: TLSConfiguration
    /// Streams (TLS over TCP/Unix) or datagrams (DTLS 1.2, see DTLSContext.swift).
    public let transport: TLSTransport
    /// Contexts presenting other certificates, selected by SNI name (lower-cased; may start with `*.`).
    private let sniContexts: [(name: String, context: TLSContext)]
    /// ALPN protocols in wire format (length-prefixed), owned here because OpenSSL keeps pointers into it.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>?
    /// The client session cache (``TLSConfiguration/clientSessionCache``), keyed by host and port.
    let sessionCache = Mutex<[String: TLSSession]>([:])
    /// ``TLSConfiguration/pinnedPublicKeys`` decoded (SHA-256 hashes of SubjectPublicKeyInfo).
    let pins: Set<[UInt8]>
    /// The OCSP provider's last answer (``OCSPStapling/provider(refreshInterval:_:)``).
    let ocspCache = Mutex(OCSPStapleCache())
    /// Whether the system trust store still has to be loaded (see ``loadDeferredSystemTrust()``).
    private let systemTrust = Mutex(false)
    /// Where the key log callback writes (``TLSConfiguration/keyLog``); set once while configuring.
    private(set) var keyLogFile: KeyLogFile?

    public convenience init(_ configuration: TLSConfiguration) throws {
        try self.init(configuration, isSNIChild: false)
    }

    /// A context for `transport`: `.datagram` builds a DTLS 1.2 context from the same configuration.
    public convenience init(_ configuration: TLSConfiguration, transport: TLSTransport) throws {
        try self.init(configuration, isSNIChild: false, transport: transport)
    }

    private init(_ configuration: TLSConfiguration, isSNIChild: Bool, transport: TLSTransport = .stream) throws {
        self.configuration = configuration
        self.transport = transport
        // Everything that can fail before the SSL_CTX exists comes first: a class initialiser
        // that throws before every stored property is set does not run deinit.
        pins = try Self.parsePins(configuration.pinnedPublicKeys)
        let wire = try Self.alpnWireFormat(configuration.applicationProtocols)
        var children: [(String, TLSContext)] = []
        if !isSNIChild {
            for entry in configuration.sniCertificates {
                var child = configuration
                child.certificateChain = entry.certificateChain
                child.privateKey = entry.privateKey
                child.sniCertificates = []
                child.ocspStapling = nil  // a staple answers for the main certificate only
                let name = entry.serverName.lowercased()
                guard !name.isEmpty else { wire?.deallocate(); throw JSecError(.configuration, "an SNI certificate needs a non-empty server name") }
                do { children.append((name, try TLSContext(child, isSNIChild: true, transport: transport))) } catch { wire?.deallocate(); throw error }
            }
        }
        OpenSSLErrorQueue.clear()
        guard let ctx = SSL_CTX_new(transport == .datagram ? DTLS_method() : TLS_method()) else {
            wire?.deallocate(); throw JSecError.openSSL(.configuration, "SSL_CTX_new failed")
        }
        self.ctx = ctx
        self.alpnWire = wire
        sniContexts = children
        // From here on every stored property is set: a throw runs deinit, which frees ctx and wire.
        try configure()
    }

    deinit {
        SSL_CTX_free(ctx)
        alpnWire?.deallocate()
    }

    private func configure() throws {
        let c = configuration
        // Versions.
        guard c.minimumVersion <= c.maximumVersion else {
            throw JSecError(.configuration, "minimum TLS version \(c.minimumVersion.rawValue) is above the maximum \(c.maximumVersion.rawValue)")
        }
        // The profile's floor and the configured range both apply (TLSSecurityProfile).
        let minimum = max(c.minimumVersion, c.securityProfile.minimumVersion)
        guard minimum <= c.maximumVersion else {
            throw JSecError(
                .configuration,
                "the .\(c.securityProfile) security profile allows \(minimum.rawValue) and above, but the maximum version is \(c.maximumVersion.rawValue)")
        }
        guard c.closeNotifyTimeout >= .zero else {
            throw JSecError(.configuration, "closeNotifyTimeout must not be negative, got \(c.closeNotifyTimeout)")
        }
        if transport == .datagram {
            try configureDatagram()  // DTLSContext.swift: DTLS 1.2 only, MTU, cookie exchange
        } else {
            guard jsec_SSL_CTX_set_min_proto_version(ctx, minimum.openSSLValue) == 1,
                jsec_SSL_CTX_set_max_proto_version(ctx, c.maximumVersion.openSSLValue) == 1
            else { throw JSecError.openSSL(.configuration, "cannot set the TLS version range") }
        }

        // Secure, TCP-like behaviour: no renegotiation (unless opted in), no compression, the server picks the cipher.
        SSL_CTX_set_options(ctx, jsec_SSL_OP_NO_COMPRESSION() | jsec_SSL_OP_CIPHER_SERVER_PREFERENCE())
        if c.allowRenegotiation {
            guard minimum == .tls1_2 else {
                throw JSecError(
                    .configuration, "allowRenegotiation needs TLS 1.2 (renegotiation does not exist in TLS 1.3), but the minimum version is \(minimum.rawValue)"
                )
            }
            // Secure renegotiation only: OpenSSL 3 refuses peers without RFC 5746 support unless told
            // otherwise (SSL_OP_LEGACY_SERVER_CONNECT / SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION), which we never set.
            SSL_CTX_clear_options(ctx, jsec_SSL_OP_UNSAFE_LEGACY_RENEGOTIATION())
            SSL_CTX_set_options(ctx, jsec_SSL_OP_ALLOW_CLIENT_RENEGOTIATION())
        } else {
            SSL_CTX_set_options(ctx, jsec_SSL_OP_NO_RENEGOTIATION())
        }
        // RELEASE_BUFFERS: OpenSSL frees its 16 KiB+ record buffers while a connection is idle
        // (measured by perf9 idle-memory; see docs/performance.md).
        // NO_AUTO_CHAIN: we send exactly the configured chain. Without it OpenSSL completes the
        // chain from the trust store on every handshake — with the system store that is a
        // directory lookup in /etc/ssl/certs per handshake (strace: one open per handshake).
        _ = jsec_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN))

        // TLS 1.2 / DTLS 1.2 ciphers: an explicit list, else the profile's (ECDHE + AEAD by default).
        if let list = c.cipherList {
            guard c.securityProfile != .modern else {
                throw JSecError(.configuration, "cipherList configures TLS 1.2, which the .modern security profile does not offer")
            }
            try setCipherList(list)
        } else if let list = c.securityProfile.tls12CipherList {
            try setCipherList(list)
        }
        if let suites = c.cipherSuites { try setCipherSuites(suites) }
        if let groups = c.groups { try setGroups(groups) }

        // Own certificate and key.
        switch (c.certificateChain, c.privateKey) {
        case (nil, nil): break
        case (.some, nil): throw JSecError(.configuration, "a certificate chain was given without its private key")
        case (nil, .some): throw JSecError(.configuration, "a private key was given without its certificate chain")
        case (.some(let chainSource), .some(let keySource)):
            let chain = try Self.loadChain(chainSource)
            let key = try Self.loadKey(keySource)
            guard SSL_CTX_use_certificate(ctx, chain[0].x509) == 1 else {
                throw JSecError.openSSL(.configuration, "the certificate cannot be used (\(chain[0].subject))")
            }
            for extra in chain.dropFirst() {
                X509_up_ref(extra.x509)
                guard jsec_SSL_CTX_add_extra_chain_cert(ctx, extra.x509) == 1 else {
                    X509_free(extra.x509)
                    throw JSecError.openSSL(.configuration, "cannot add chain certificate \(extra.subject)")
                }
            }
            guard SSL_CTX_use_PrivateKey(ctx, key.pkey) == 1 else {
                throw JSecError.openSSL(.configuration, "the private key does not match the certificate (\(chain[0].subject)) or cannot be used")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw JSecError.openSSL(.configuration, "the private key does not match the certificate (\(chain[0].subject))")
            }
        }

        if c.certificateChain == nil { SSL_CTX_set_client_cert_cb(ctx, clientCertificateRequested) }

        // Sessions: servers cache them (and issue tickets unless told not to); clients hear of every
        // new session (including TLS 1.3 tickets that arrive after the handshake) through the callback.
        // A context without a certificate only ever acts as a client: it keeps no internal store.
        let canServe = c.certificateChain != nil || !c.sniCertificates.isEmpty
        _ = jsec_SSL_CTX_set_session_cache_mode(ctx, Int(canServe ? SSL_SESS_CACHE_BOTH : SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        let sidContext = Array("jsec".utf8)
        _ = SSL_CTX_set_session_id_context(ctx, sidContext, UInt32(sidContext.count))
        SSL_CTX_sess_set_new_cb(ctx, newSessionCallback)
        if let size = c.sessionCacheSize {
            guard size >= 0 else { throw JSecError(.configuration, "sessionCacheSize must be >= 0, got \(size)") }
            _ = jsec_SSL_CTX_sess_set_cache_size(ctx, size)
        }
        if !c.sessionTickets {
            SSL_CTX_set_options(ctx, jsec_SSL_OP_NO_TICKET())
        }
        if var key = c.sessionTicketKey {
            guard key.count == 80 else { throw JSecError(.configuration, "sessionTicketKey must be 80 bytes, got \(key.count)") }
            guard jsec_SSL_CTX_set_tlsext_ticket_keys(ctx, &key, 80) == 1 else {
                throw JSecError.openSSL(.configuration, "cannot set the session ticket key")
            }
        }

        // Trust.
        let store = SSL_CTX_get_cert_store(ctx)
        var custom = false
        for source in [c.trustRoots] + c.additionalTrustRoots {
            switch source {
            case .system:
                if canServe && c.clientAuthentication == .none {
                    // A server that verifies no client needs no trust store, and loading the
                    // system bundle costs ~250M instructions per context. Should the context
                    // be used for a client connection, the first one loads it.
                    systemTrust.withLock { $0 = true }
                } else {
                    try Self.loadSystemTrust(ctx)
                }
            case .pem, .file, .certificates:
                custom = true
                let certs = try Self.loadChain(source.asCertificateSource)
                for cert in certs {
                    if X509_STORE_add_cert(store, cert.x509) != 1 {
                        // Adding the same certificate twice is not an error.
                        _ = OpenSSLErrorQueue.drain()
                    }
                }
            }
        }
        if custom {
            // Pinned certificates (a self-signed leaf, an intermediate) are trust anchors as they are.
            X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), UInt(X509_V_FLAG_PARTIAL_CHAIN))
        }

        try installCRLs(c.certificateRevocationLists, into: store)
        installVerificationHooks()
        try installOCSP()
        keyLogFile = try installKeyLog()

        // ALPN.
        if let wire = alpnWire {
            guard SSL_CTX_set_alpn_protos(ctx, wire.baseAddress, UInt32(wire.count)) == 0 else {
                throw JSecError.openSSL(.configuration, "cannot set ALPN protocols")
            }
            SSL_CTX_set_alpn_select_cb(ctx, alpnSelectCallback, Unmanaged.passUnretained(self).toOpaque())
        }

        // SNI on the server side.
        if !sniContexts.isEmpty {
            _ = jsec_SSL_CTX_set_servername_callback(ctx, serverNameCallback, Unmanaged.passUnretained(self).toOpaque())
        }
        _ = OpenSSLErrorQueue.drain()
    }

    private static func loadSystemTrust(_ ctx: OpaquePointer) throws {
        guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot load the system trust store")
        }
    }

    /// Loads the system trust store if it was deferred (a server context used as a client).
    func loadDeferredSystemTrust() throws {
        try systemTrust.withLock { pending in
            guard pending else { return }
            try Self.loadSystemTrust(ctx)
            pending = false
        }
    }

    // MARK: - Validation helpers

    private func setCipherList(_ list: String) throws {
        let items = list.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard !items.isEmpty, !items.contains(where: { $0.isEmpty }) else {
            throw JSecError(.configuration, "invalid TLS 1.2 cipher list '\(list)': empty element")
        }
        // OpenSSL ignores unknown names as long as one element matches: check each on its own.
        guard let probe = SSL_CTX_new(TLS_method()) else { throw JSecError.openSSL(.configuration, "SSL_CTX_new failed") }
        defer { SSL_CTX_free(probe) }
        SSL_CTX_set_security_level(probe, 0)
        for item in items where !item.hasPrefix("@") {
            var name = item
            if let f = name.first, "!-+".contains(f) { name.removeFirst() }
            if name.isEmpty || SSL_CTX_set_cipher_list(probe, name) != 1 {
                _ = OpenSSLErrorQueue.drain()
                throw JSecError(.configuration, "unknown TLS 1.2 cipher '\(item)' in cipher list '\(list)'")
            }
        }
        guard SSL_CTX_set_cipher_list(ctx, list) == 1 else {
            throw JSecError.openSSL(.configuration, "the TLS 1.2 cipher list '\(list)' selects no usable cipher")
        }
    }

    /// TLS 1.3 suites defined by RFC 8446 that OpenSSL implements.
    static let knownTLS13Suites: Set<String> = [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
    ]

    private func setCipherSuites(_ suites: String) throws {
        let items = suites.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        for item in items where !Self.knownTLS13Suites.contains(item) {
            throw JSecError(.configuration, "unknown TLS 1.3 cipher suite '\(item)' (known: \(Self.knownTLS13Suites.sorted().joined(separator: ", ")))")
        }
        guard SSL_CTX_set_ciphersuites(ctx, suites) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot set TLS 1.3 cipher suites '\(suites)'")
        }
    }

    private func setGroups(_ groups: String) throws {
        let items = groups.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let probe = SSL_CTX_new(TLS_method()) else { throw JSecError.openSSL(.configuration, "SSL_CTX_new failed") }
        defer { SSL_CTX_free(probe) }
        for item in items where item.isEmpty || jsec_SSL_CTX_set1_groups_list(probe, item) != 1 {
            _ = OpenSSLErrorQueue.drain()
            throw JSecError(.configuration, "unknown key-exchange group '\(item)' in '\(groups)' (e.g. X25519, P-256, P-384, X448, ffdhe2048)")
        }
        guard jsec_SSL_CTX_set1_groups_list(ctx, groups) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot set groups '\(groups)'")
        }
    }

    private static func alpnWireFormat(_ protocols: [String]) throws -> UnsafeMutableBufferPointer<UInt8>? {
        if protocols.isEmpty { return nil }
        var wire: [UInt8] = []
        for p in protocols {
            let bytes = Array(p.utf8)
            guard (1...255).contains(bytes.count) else {
                throw JSecError(.configuration, "ALPN protocol names must be 1…255 bytes, got '\(p)'")
            }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        let buf = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: wire.count)
        _ = buf.initialize(from: wire)
        return buf
    }

    static func loadChain(_ source: CertificateSource) throws -> [Certificate] {
        do {
            switch source {
            case .pem(let pem): return try Certificate.chain(pem: pem)
            case .file(let path): return try Certificate.chain(file: path)
            case .certificates(let certs):
                guard !certs.isEmpty else { throw JSecError(.configuration, "an empty certificate list was given") }
                return certs
            }
        } catch let e as JSecError {
            throw JSecError(.configuration, "invalid certificate: \(e.message)", openSSLErrors: e.openSSLErrors)
        }
    }

    static func loadKey(_ source: PrivateKeySource) throws -> PrivateKey {
        do {
            switch source {
            case .key(let k): return k
            case .pem(let pem, let password): return try PrivateKey(pem: pem, password: password)
            case .file(let path, let password):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw JSecError(.configuration, "cannot read private key file '\(path)'")
                }
                return try PrivateKey(pem: String(decoding: data, as: UTF8.self), password: password)
            }
        } catch let e as JSecError {
            throw JSecError(.configuration, "invalid private key: \(e.message)", openSSLErrors: e.openSSLErrors)
        }
    }

    // MARK: - Callback support

    fileprivate var alpnWireBuffer: UnsafeMutableBufferPointer<UInt8>? { alpnWire }

    /// The context whose certificate matches `name` (exact, then `*.` wildcard one label deep).
    fileprivate func sniContext(for name: String) -> TLSContext? {
        let lower = name.lowercased()
        if let exact = sniContexts.first(where: { $0.name == lower }) { return exact.context }
        if let dot = lower.firstIndex(of: ".") {
            let wildcard = "*" + lower[dot...]
            return sniContexts.first(where: { $0.name == wildcard })?.context
        }
        return nil
    }
}

extension TrustRoots {
    var asCertificateSource: CertificateSource {
        switch self {
        case .pem(let p): return .pem(p)
        case .file(let f): return .file(f)
        case .certificates(let c): return .certificates(c)
        case .system: return .certificates([])
        }
    }
}

/// Server-side ALPN: pick the first of the server's protocols that the client offers (RFC 7301);
/// no overlap is a fatal `no_application_protocol` alert.
private let alpnSelectCallback:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outlen, clientWire, clientLen, arg in
        guard let arg, let out, let outlen, let clientWire else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
        guard let server = context.alpnWireBuffer, let serverBase = server.baseAddress else { return SSL_TLSEXT_ERR_NOACK }
        var selected: UnsafeMutablePointer<UInt8>?
        var selectedLen: UInt8 = 0
        let r = SSL_select_next_proto(&selected, &selectedLen, serverBase, UInt32(server.count), clientWire, clientLen)
        guard r == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        out.pointee = UnsafePointer(selected)
        outlen.pointee = selectedLen
        return SSL_TLSEXT_ERR_OK
    }

/// Server-side SNI: switch to the context whose certificate matches the requested name.
private let serverNameCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = { ssl, _, arg in
    guard let ssl, let arg else { return SSL_TLSEXT_ERR_NOACK }
    guard let raw = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return SSL_TLSEXT_ERR_NOACK }
    let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
    guard let match = context.sniContext(for: String(cString: raw)) else { return SSL_TLSEXT_ERR_OK }
    _ = SSL_set_SSL_CTX(ssl, match.ctx)
    return SSL_TLSEXT_ERR_OK
}
