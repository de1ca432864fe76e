import ArgumentParser
import CJSecOpenSSL
import CJSecPeerSystem
import Foundation

/// One connection of `--api direct`: its socket, and on TLS an `SSL` reading and writing that socket itself
/// (OpenSSL's socket BIO: no copies between a framework's buffers and OpenSSL's). Used by one task at a time.
final class DirectConnection: @unchecked Sendable {
    let fd: Int32
    let loop: DirectLoop
    private let ssl: OpaquePointer?

    /// Takes `fd` (closed with the connection, or here when the TLS set-up fails).
    init(fd: Int32, tls: DirectTLS?, loop: DirectLoop) throws {
        self.fd = fd
        self.loop = loop
        guard let tls else {
            ssl = nil
            return
        }
        guard let ssl = SSL_new(tls.context) else {
            loop.unregister(fd)
            close(fd)
            throw DirectSocket.DirectError.openSSL("SSL_new")
        }
        self.ssl = ssl
        let named = tls.isServer || (jsec_SSL_set_tlsext_host_name(ssl, "localhost") == 1 && SSL_set1_host(ssl, "localhost") == 1)
        guard SSL_set_fd(ssl, fd) == 1, named else { throw DirectSocket.DirectError.openSSL("SSL_set_fd or the server name") }
    }

    deinit {
        if let ssl { SSL_free(ssl) }
        loop.unregister(fd)
        close(fd)
    }

    var cipher: String? { ssl.flatMap { SSL_get_current_cipher($0) }.flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } }

    /// Waits as OpenSSL asks after a call returned `result`; false when the call failed or the peer closed.
    private func waitForOpenSSL(_ result: Int32) async -> Bool {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: await loop.wait(fd)
        case SSL_ERROR_WANT_WRITE: await loop.wait(fd, writable: true)
        default:
            ERR_clear_error()
            return false
        }
        return true
    }

    /// The TLS handshake (nothing on TCP).
    func handshake(server: Bool) async throws {
        guard let ssl else { return }
        while true {
            let result = server ? SSL_accept(ssl) : SSL_connect(ssl)
            if result == 1 { return }
            let reason = ERR_peek_error()
            guard await waitForOpenSSL(result) else {
                var text = "the connection ended"
                if reason != 0 {
                    var chars = [CChar](repeating: 0, count: 256)
                    ERR_error_string_n(reason, &chars, chars.count)
                    text = String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
                throw DirectSocket.DirectError.openSSL("the handshake (\(text))")
            }
        }
    }

    /// Bytes read into `buffer` (0: end of stream), nil on an error.
    func read(into buffer: UnsafeMutableRawBufferPointer) async -> Int? {
        guard let ssl else { return await loop.read(fd, into: buffer) }
        while true {
            let n = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
            if n > 0 { return Int(n) }
            if SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN { return 0 }
            guard await waitForOpenSSL(n) else { return nil }
        }
    }

    /// Writes every byte of `bytes`; false on an error.
    func writeAll(_ bytes: UnsafeRawBufferPointer) async -> Bool {
        guard let ssl else { return await loop.writeAll(fd, bytes) }
        var offset = 0
        while offset < bytes.count {
            let n = SSL_write(ssl, bytes.baseAddress! + offset, Int32(bytes.count - offset))
            if n > 0 {
                offset += Int(n)
            } else {
                guard await waitForOpenSSL(n) else { return false }
            }
        }
        return true
    }
}

/// The C peer's `SSL_CTX` (tools/peers/c-openssl/peer.c, `context()`), in Swift: TLS 1.3 only,
/// TLS_AES_128_GCM_SHA256, X25519, partial writes; the server's certificate, or the client's trust root with
/// peer verification (the host name is set per connection).
final class DirectTLS: @unchecked Sendable {
    let context: OpaquePointer
    let isServer: Bool

    init(server: Bool, cert: String? = nil, key: String? = nil, ca: String? = nil) throws {
        if server && (cert == nil || key == nil) { throw ValidationError("--cert and --key are required with --tls 1.3") }
        if !server && ca == nil { throw ValidationError("--ca is required with --tls 1.3 (the server's certificate is verified)") }
        guard let context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw DirectSocket.DirectError.openSSL("SSL_CTX_new")
        }
        self.context = context
        isServer = server
        let mode = Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        _ = jsec_SSL_CTX_set_mode(context, mode)  // returns the new mode bits, not a status
        guard jsec_SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) == 1,
            jsec_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1,
            SSL_CTX_set_ciphersuites(context, "TLS_AES_128_GCM_SHA256") == 1,
            jsec_SSL_CTX_set1_groups_list(context, "X25519") == 1
        else { throw DirectSocket.DirectError.openSSL("the pinned version, suite or group") }
        if server {
            guard SSL_CTX_use_certificate_chain_file(context, cert) == 1,
                SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1
            else { throw DirectSocket.DirectError.openSSL("the certificate or key") }
        } else {
            guard SSL_CTX_load_verify_locations(context, ca, nil) == 1 else { throw DirectSocket.DirectError.openSSL("the CA file") }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// The non-blocking IPv4 sockets of `--api direct`.
enum DirectSocket {
    struct Listener { let fd: Int32, port: Int }

    static func listen(host: String, port: Int) throws -> Listener {
        var address = try address(host, port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 4096) == 0 else { throw DirectError.system("bind/listen", errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Listener(fd: fd, port: Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A connected socket, or nil (the reason on standard error).
    static func connect(host: String, port: Int, loop: DirectLoop) async -> Int32? {
        var fd: Int32 = -1
        do {
            var address = try address(host, port)
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw DirectError.system("socket", errno) }
            prepare(fd)
            loop.register(fd)
            let started = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if started != 0 {
                guard errno == EINPROGRESS else { throw DirectError.system("connect", errno) }
                await loop.wait(fd, writable: true)
                var failure: Int32 = 0
                var length = socklen_t(4)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
                guard failure == 0 else { throw DirectError.system("connect", failure) }
            }
            return fd
        } catch {
            FileHandle.standardError.write(Data("connect: \(error)\n".utf8))
            if fd >= 0 {  // a failed connect's socket is not the caller's to close
                loop.unregister(fd)
                close(fd)
            }
            return nil
        }
    }

    /// TCP_NODELAY, as every peer; non-blocking for an accepted socket.
    static func prepare(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    private static func address(_ host: String, _ port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw DirectError.notIPv4(host) }
        return address
    }

    enum DirectError: Error, CustomStringConvertible {
        case system(String, Int32), notIPv4(String), openSSL(String)
        var description: String {
            switch self {
            case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
            case .openSSL(let what): "OpenSSL: \(what) failed"
            case .notIPv4(let host): "--api direct takes an IPv4 address, not \(host)"
            }
        }
    }
}
