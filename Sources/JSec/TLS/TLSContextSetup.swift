internal import CJSecOpenSSL
import Foundation

/// How a ``TLSContext`` turns its ``TLSConfiguration`` into SSL_CTX settings, one concern per function,
/// called in this order by `TLSContext.configure()`. Every bad value is a `.configuration` error here.
extension TLSContext {
    /// The version range (the configured one within the profile's floor); returns the effective minimum.
    func configureVersions(_ c: TLSConfiguration) throws -> TLSVersion {
        guard c.minimumVersion <= c.maximumVersion else {
            throw JSecError(
                .configuration, "minimum TLS version \(c.minimumVersion.rawValue) is above the maximum \(c.maximumVersion.rawValue)",
                code: .jsec(.conflictingOptions))
        }
        // The profile's floor and the configured range both apply (TLSSecurityProfile).
        let minimum = max(c.minimumVersion, c.securityProfile.minimumVersion)
        guard minimum <= c.maximumVersion else {
            throw JSecError(
                .configuration,
                "the .\(c.securityProfile) security profile allows \(minimum.rawValue) and above, but the maximum version is \(c.maximumVersion.rawValue)",
                code: .jsec(.conflictingOptions))
        }
        if transport == .datagram {
            try configureDatagram()  // DTLSContext.swift: DTLS 1.2 only, MTU, cookie exchange
        } else {
            guard jsec_SSL_CTX_set_min_proto_version(ctx, minimum.openSSLValue) == 1,
                jsec_SSL_CTX_set_max_proto_version(ctx, c.maximumVersion.openSSLValue) == 1
            else { throw JSecError.openSSL(.configuration, "cannot set the TLS version range") }
        }
        return minimum
    }

    /// Protocol options: renegotiation (off unless opted in), compression, cipher preference, buffer modes, close.
    func configureBehaviour(_ c: TLSConfiguration, minimum: TLSVersion) throws {
        guard c.closeNotifyTimeout >= .zero else {
            throw JSecError(.configuration, "closeNotifyTimeout must not be negative, got \(c.closeNotifyTimeout)", code: .jsec(.invalidOption))
        }
        // Secure, TCP-like behaviour: no renegotiation (unless opted in), no compression, the server picks the cipher.
        SSL_CTX_set_options(ctx, jsec_SSL_OP_NO_COMPRESSION() | jsec_SSL_OP_CIPHER_SERVER_PREFERENCE())
        if c.allowRenegotiation {
            guard minimum == .tls1_2 else {
                throw JSecError(
                    .configuration,
                    "allowRenegotiation needs TLS 1.2 (renegotiation does not exist in TLS 1.3), but the minimum version is \(minimum.rawValue)",
                    code: .jsec(.conflictingOptions)
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
    }

    /// TLS 1.2 / DTLS 1.2 cipher list, TLS 1.3 suites, key-exchange groups.
    func configureCiphers(_ c: TLSConfiguration) throws {
        // An explicit list, else the profile's (ECDHE + AEAD by default).
        if let list = c.cipherList {
            guard c.securityProfile != .modern else {
                throw JSecError(
                    .configuration, "cipherList configures TLS 1.2, which the .modern security profile does not offer", code: .jsec(.conflictingOptions))
            }
            try setCipherList(list)
        } else if let list = c.securityProfile.tls12CipherList {
            try setCipherList(list)
        }
        if let suites = c.cipherSuites { try setCipherSuites(suites) }
        // An explicit list, else the profile's (X25519, P-256, P-384 unless .compatible).
        if let groups = c.groups ?? c.securityProfile.groups { try setGroups(groups) }
    }

    /// The certificate chain and key this side presents.
    func configureIdentity(_ c: TLSConfiguration) throws {
        switch (c.certificateChain, c.privateKey) {
        case (nil, nil): break
        case (.some, nil): throw JSecError(.configuration, "a certificate chain was given without its private key", code: .jsec(.conflictingOptions))
        case (nil, .some): throw JSecError(.configuration, "a private key was given without its certificate chain", code: .jsec(.conflictingOptions))
        case (.some(let chainSource), .some(let keySource)):
            let chain = try Self.loadChain(chainSource)
            let key = try Self.loadKey(keySource)
            guard SSL_CTX_use_certificate(ctx, chain[0].x509) == 1 else {
                throw JSecError.openSSL(.configuration, "the certificate cannot be used (\(chain[0].subject))")
            }
            for extra in chain.dropFirst() {
                guard X509_up_ref(extra.x509) == 1 else { throw JSecError.openSSL(.configuration, "cannot reference chain certificate \(extra.subject)") }
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
    }

    /// Session caching and tickets.
    func configureSessions(_ c: TLSConfiguration, canServe: Bool) throws {
        // Sessions: servers cache them (and issue tickets unless told not to); clients hear of every
        // new session (including TLS 1.3 tickets that arrive after the handshake) through the callback.
        // A context without a certificate only ever acts as a client: it keeps no internal store.
        _ = jsec_SSL_CTX_set_session_cache_mode(ctx, Int(canServe ? SSL_SESS_CACHE_BOTH : SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        let sidContext = Array("jsec".utf8)
        guard SSL_CTX_set_session_id_context(ctx, sidContext, UInt32(sidContext.count)) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot set the session id context")
        }
        SSL_CTX_sess_set_new_cb(ctx, newSessionCallback)
        if let size = c.sessionCacheSize {
            guard size >= 0 else { throw JSecError(.configuration, "sessionCacheSize must be >= 0, got \(size)", code: .jsec(.invalidOption)) }
            _ = jsec_SSL_CTX_sess_set_cache_size(ctx, size)
        }
        if !c.sessionTickets {
            SSL_CTX_set_options(ctx, jsec_SSL_OP_NO_TICKET())
        }
        if var key = c.sessionTicketKey {
            guard key.count == 80 else { throw JSecError(.configuration, "sessionTicketKey must be 80 bytes, got \(key.count)", code: .jsec(.invalidOption)) }
            guard jsec_SSL_CTX_set_tlsext_ticket_keys(ctx, &key, 80) == 1 else {
                throw JSecError.openSSL(.configuration, "cannot set the session ticket key")
            }
        }
    }

    /// The trust store: the system's (deferred for servers that verify no client), given CA or pinned certificates.
    func configureTrust(_ c: TLSConfiguration, canServe: Bool) throws {
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
            guard X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), UInt(X509_V_FLAG_PARTIAL_CHAIN)) == 1 else {
                throw JSecError.openSSL(.configuration, "cannot allow partial chains for the pinned certificates")
            }
        }
        try installCRLs(c.certificateRevocationLists, into: store)
    }

    static func loadSystemTrust(_ ctx: OpaquePointer) throws {
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

    func setCipherList(_ list: String) throws {
        let items = list.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard !items.isEmpty, !items.contains(where: { $0.isEmpty }) else {
            throw JSecError(.configuration, "invalid TLS 1.2 cipher list '\(list)': empty element", code: .jsec(.invalidOption))
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
                throw JSecError(.configuration, "unknown TLS 1.2 cipher '\(item)' in cipher list '\(list)'", code: .jsec(.unknownName))
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

    func setCipherSuites(_ suites: String) throws {
        let items = suites.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        for item in items where !Self.knownTLS13Suites.contains(item) {
            throw JSecError(
                .configuration, "unknown TLS 1.3 cipher suite '\(item)' (known: \(Self.knownTLS13Suites.sorted().joined(separator: ", ")))",
                code: .jsec(.unknownName))
        }
        guard SSL_CTX_set_ciphersuites(ctx, suites) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot set TLS 1.3 cipher suites '\(suites)'")
        }
    }

    func setGroups(_ groups: String) throws {
        let items = groups.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let probe = SSL_CTX_new(TLS_method()) else { throw JSecError.openSSL(.configuration, "SSL_CTX_new failed") }
        defer { SSL_CTX_free(probe) }
        for item in items where item.isEmpty || jsec_SSL_CTX_set1_groups_list(probe, item) != 1 {
            _ = OpenSSLErrorQueue.drain()
            throw JSecError(
                .configuration, "unknown key-exchange group '\(item)' in '\(groups)' (e.g. X25519, P-256, P-384, X448, ffdhe2048)", code: .jsec(.unknownName))
        }
        guard jsec_SSL_CTX_set1_groups_list(ctx, groups) == 1 else {
            throw JSecError.openSSL(.configuration, "cannot set groups '\(groups)'")
        }
    }
}
