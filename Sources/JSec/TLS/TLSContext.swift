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
    let systemTrust = Mutex(false)
    /// Where the key log callback writes (``TLSConfiguration/keyLog``); set once while configuring.
    private(set) var keyLogFile: KeyLogFile?

    /// A TLS (stream) context for `configuration`.
    ///
    /// - Throws: ``/JSecCrypto/JSecError`` with category `.configuration` for every option it rejects: code
    ///   `.openSSL(library:reason:)` when OpenSSL refuses a setting (a private key that does not match its
    ///   certificate, a cipher list that selects nothing…), `.errno(…)` when a file the configuration names cannot
    ///   be read (`ENOENT`, `EACCES`), `.jsec(.unsafeKeyLogFile)` for a key log file that is not a regular file of
    ///   this user; an option JSec checks itself (a version range, an ALPN name, an unknown cipher or group, a
    ///   certificate without its key) names the option in the message.
    public convenience init(_ configuration: TLSConfiguration) throws {
        try self.init(configuration, isSNIChild: false)
    }

    /// A context for `transport`: `.datagram` builds a DTLS 1.2 context from the same configuration.
    ///
    /// - Throws: what ``init(_:)`` throws (category `.configuration`), and for `.datagram` the same category
    ///   for what DTLS 1.2 cannot do (the `.modern` security profile, a minimum version other than TLS 1.2,
    ///   TLS 1.3 cipher suites, renegotiation).
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
                guard !name.isEmpty else {
                    wire?.deallocate(); throw JSecError(.configuration, "an SNI certificate needs a non-empty server name", code: .jsec(.invalidOption))
                }
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

    /// Configures the SSL_CTX from ``configuration``, one concern at a time (TLSContextSetup.swift).
    private func configure() throws {
        let c = configuration
        let minimum = try configureVersions(c)
        try configureBehaviour(c, minimum: minimum)
        try configureCiphers(c)
        try configureIdentity(c)
        // A context without a certificate only ever acts as a client.
        let canServe = c.certificateChain != nil || !c.sniCertificates.isEmpty
        try configureSessions(c, canServe: canServe)
        try configureTrust(c, canServe: canServe)
        installVerificationHooks()
        try installOCSP()
        keyLogFile = try installKeyLog()
        try configureALPNAndSNI()
        _ = OpenSSLErrorQueue.drain()
    }

    private func configureALPNAndSNI() throws {
        // ALPN.
        if let wire = alpnWire {
            guard SSL_CTX_set_alpn_protos(ctx, wire.baseAddress, UInt32(wire.count)) == 0 else {
                throw JSecError.openSSL(.configuration, "cannot set ALPN protocols")
            }
            SSL_CTX_set_alpn_select_cb(ctx, alpnSelectCallback, Unmanaged.passUnretained(self).toOpaque())
        }

        // SNI on the server side.
        if !sniContexts.isEmpty {
            guard jsec_SSL_CTX_set_servername_callback(ctx, serverNameCallback, Unmanaged.passUnretained(self).toOpaque()) == 1 else {
                throw JSecError.openSSL(.configuration, "cannot install the SNI callback")
            }
        }
    }

    private static func alpnWireFormat(_ protocols: [String]) throws -> UnsafeMutableBufferPointer<UInt8>? {
        if protocols.isEmpty { return nil }
        var wire: [UInt8] = []
        for p in protocols {
            let bytes = Array(p.utf8)
            guard (1...255).contains(bytes.count) else {
                throw JSecError(.configuration, "ALPN protocol names must be 1…255 bytes, got '\(p)'", code: .jsec(.invalidOption))
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
                guard !certs.isEmpty else { throw JSecError(.configuration, "an empty certificate list was given", code: .jsec(.missingOption)) }
                return certs
            }
        } catch let e as JSecError {
            throw JSecError(.configuration, "invalid certificate: \(e.message)", code: e.code, openSSLErrors: e.openSSLErrors)
        }
    }

    static func loadKey(_ source: PrivateKeySource) throws -> PrivateKey {
        do {
            switch source {
            case .key(let k): return k
            case .pem(let pem, let password): return try PrivateKey(pem: pem, password: password)
            case .file(let path, let password):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw JSecError.unreadableFile("private key file", path)
                }
                return try PrivateKey(pem: String(decoding: data, as: UTF8.self), password: password)
            }
        } catch let e as JSecError {
            throw JSecError(.configuration, "invalid private key: \(e.message)", code: e.code, openSSLErrors: e.openSSLErrors)
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
private let serverNameCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = { ssl, alert, arg in
    guard let ssl, let arg else { return SSL_TLSEXT_ERR_NOACK }
    guard let raw = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return SSL_TLSEXT_ERR_NOACK }
    let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
    guard let match = context.sniContext(for: String(cString: raw)) else { return SSL_TLSEXT_ERR_OK }
    // Failing to switch would answer with the default context's certificate: abort the handshake instead.
    guard SSL_set_SSL_CTX(ssl, match.ctx) != nil else {
        alert?.pointee = SSL_AD_INTERNAL_ERROR
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    return SSL_TLSEXT_ERR_OK
}
