import Assay
import Foundation
import JSec

// Issue 12 item 11 / issue 16 item 4: errors a user can cause print one line naming the cause and the
// object, and carry a code a program can match. Before the fix a refused connection read
// "connect to 127.0.0.1:9: cannot connect to 127.0.0.1:9 (… connection reset (error set): Connection
// refused (errno: 111))" and a busy port "… Address already in use) (errno: 98)", with no code.
package let errorTextSuite = Suite(
    "error-text", category: "regression",
    description: "errors a user can cause: one line naming cause and object, with a code", timeout: 60
) {
    Test("refused connection") { _ in try await ErrorText.refusedConnection() }
    Test("busy port") { _ in try await ErrorText.busyPort() }
    Test("missing unix socket") { _ in try await ErrorText.missingUnixSocket() }
    Test("unresolvable host") { _ in try await ErrorText.unresolvableHost() }
    Test("connection reset by the peer") { _ in try await ErrorText.resetByPeer() }
    Test("echo-client against a closed port") { _ in try await ErrorText.exampleRefused() }
    Test("codes: equality, names, OpenSSL queue") { _ in try ErrorText.codes() }
    // Issue 16 item 7: echo-server offered x25519 for --self-signed, which failed deep in OpenSSL
    // ("operation not supported for this keytype"): an X25519 key cannot sign.
    Test("x25519 cannot sign a certificate") { _ in try await ErrorText.x25519Certificate() }
    // Issue 22 item 3: messages a user met that did not name the cause or the fix.
    Test("a missing certificate file names the cause") { _ in try ErrorText.missingCertificateFile() }
    Test("an encrypted key without its password says so, in one line") { _ in try ErrorText.encryptedKey() }
    Test("a hostname mismatch names the name asked for and the names certified") { _ in try await ErrorText.hostnameMismatch() }
    Test("a plaintext peer: the handshake error asks whether the peer speaks TLS") { _ in try await ErrorText.plaintextPeer() }
    // Issue 22: a code on every error, the Reason naming the class of what JSec detects (ErrorCodes.swift).
    Test("code: malformed PEM and base64 input") { _ in try ErrorCodes.malformedInput() }
    Test("code: an invalid, a conflicting, an unknown and a refused configuration value") { _ in try ErrorCodes.configuration() }
    Test("code: wrong transport, wrong key type, failed authentication") { _ in try await ErrorCodes.wrongTransportKeyAndTag() }
    Test("code: OpenSSL failed with an empty queue") { _ in try ErrorCodes.openSSLQueueEmpty() }
    Test("code types: raw values, Codable, allCases, accessors") { _ in try ErrorCodes.codeTypes() }
}

enum ErrorText {
    /// A TCP port nothing listens on: bound, then closed again.
    static func closedPort() async throws -> Int {
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        let port = l.port!
        await l.close()
        return port
    }

    static func refusedConnection() async throws {
        let port = try await closedPort()
        let e = try await checkThrowsJSec(.io, "connect to a closed port") {
            _ = try await NetStream.connect(host: "127.0.0.1", port: port)
        }
        try checkEqual(e.message, "connection refused: 127.0.0.1:\(port) (ECONNREFUSED)", "message")
        try checkEqual(e.code, .errno(ECONNREFUSED), "code")
        try checkEqual(e.description, "io: connection refused: 127.0.0.1:\(port) (ECONNREFUSED)", "description (what a program prints)")
        // Through TLS.connect the same words: the TCP connect fails before TLS starts.
        let t = try await checkThrowsJSec(.io, "TLS connect to a closed port") {
            _ = try await TLS.connect(host: "127.0.0.1", port: port, context: TLSContext(TestPKI.shared.clientConfiguration()))
        }
        try checkEqual(t.message, e.message, "TLS.connect's message")
        // An IPv6 literal (connected to directly, as an IPv4 one is) and a name (through NIO's resolver): the same words.
        let v6 = try await checkThrowsJSec(.io, "connect to a closed port on ::1") {
            _ = try await NetStream.connect(host: "::1", port: port)
        }
        try checkEqual(v6.message, "connection refused: [::1]:\(port) (ECONNREFUSED)", "an IPv6 literal's message")
        let named = try await checkThrowsJSec(.io, "connect to a closed port by name") {
            _ = try await NetStream.connect(host: "localhost", port: port)
        }
        try checkEqual(named.message, "connection refused: localhost:\(port) (ECONNREFUSED)", "a name's message")
        try checkEqual(named.code, .errno(ECONNREFUSED), "a name's code")
    }

    static func busyPort() async throws {
        let first = try await NetListener.listen(host: "127.0.0.1", port: 0)
        defer { Task { await first.close() } }
        let port = first.port!
        let e = try await checkThrowsJSec(.io, "listen on a busy port") {
            _ = try await NetListener.listen(host: "127.0.0.1", port: port)
        }
        try checkEqual(e.message, "address already in use: 127.0.0.1:\(port) (EADDRINUSE)", "message")
        try checkEqual(e.code, .errno(EADDRINUSE), "code")
        let t = try await checkThrowsJSec(.io, "TLS listen on a busy port") {
            _ = try await TLS.listen(host: "127.0.0.1", port: port, context: TLSContext(TestPKI.shared.serverConfiguration()))
        }
        try checkEqual(t.message, e.message, "TLS.listen's message")
        // UDP: a second DTLS server on a port in use is refused too. (It used to bind with SO_REUSEADDR,
        // which Linux honours for UDP: the two servers then silently split the first one's datagrams.)
        let dtlsContext = try DTLS.context(TestPKI.shared.serverConfiguration())
        let udp = try await DTLS.listen(host: "127.0.0.1", port: 0, context: dtlsContext)
        defer { Task { await udp.close() } }
        let udpPort = udp.port!
        let d = try await checkThrowsJSec(.io, "DTLS listen on a busy UDP port") {
            _ = try await DTLS.listen(host: "127.0.0.1", port: udpPort, context: dtlsContext)
        }
        try checkEqual(d.message, "address already in use: 127.0.0.1:\(udpPort) (EADDRINUSE)", "DTLS.listen's message")
        try checkEqual(d.code, .errno(EADDRINUSE), "DTLS.listen's code")
    }

    static func missingUnixSocket() async throws {
        let path = NSTemporaryDirectory() + "jsec-missing-\(UUID().uuidString.prefix(8)).sock"
        let e = try await checkThrowsJSec(.io, "connect to a missing unix socket") {
            _ = try await NetStream.connect(unixPath: path)
        }
        try checkEqual(e.message, "no such file or directory: unix:\(path) (ENOENT)", "message")
        try checkEqual(e.code, .errno(ENOENT), "code")
    }

    static func unresolvableHost() async throws {
        // RFC 6761: .invalid never resolves. Without a resolver getaddrinfo says EAI_AGAIN instead of EAI_NONAME;
        // either way the error is an address-resolution failure naming the host.
        let e = try await checkThrowsJSec(.io, "connect to an unresolvable name") {
            _ = try await NetStream.connect(host: "no-such-host.invalid", port: 443, timeout: .seconds(20))
        }
        guard e.code.addressResolutionError != nil else { throw CheckFailure(message: "code \(e.code) (\(e))", file: #fileID, line: #line) }
        // The prefix only: the resolver's own text after it differs between C libraries and networks.
        try check(
            e.message.hasPrefix("cannot resolve host: no-such-host.invalid:443 (") && e.message.allSatisfy { !$0.isNewline },
            "message names the cause and the host: \(e.message)")
    }

    /// The peer resets the connection (a raw socket closed with SO_LINGER 0): the read says so, naming the peer.
    static func resetByPeer() async throws {
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        defer { Task { await l.close() } }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try check(fd >= 0, "socket(): errno \(errno)")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(l.port!).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try check(rc == 0, "connect(): errno \(errno)")
        let s = try await l.accept(timeout: .seconds(10))
        let peer = s.remoteAddress!  // read now: a closed channel forgets its addresses
        var off = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, socklen_t(MemoryLayout<linger>.size))
        close(fd)  // sends RST
        let e = try await checkThrowsJSec(.io, "read after the peer's reset") { _ = try await s.read(max: 10, timeout: .seconds(10)) }
        try checkEqual(e.message, "connection reset by peer: \(peer) (ECONNRESET)", "message")
        try checkEqual(e.code, .errno(ECONNRESET), "code")
        await s.close()
    }

    /// What a user sees: the example prints one line, the cause and the address.
    static func exampleRefused() async throws {
        let port = try await closedPort()
        let p = try PeerProcess(try ExamplePrograms.path("echo-client"), ["--port", "\(port)"])
        defer { p.stop() }
        p.closeInput()
        let status = await p.wait(timeout: .seconds(30))
        await p.waitForOutputEnd()
        try check(status != 0, "echo-client exited \(status) against a closed port")
        try checkEqual(
            p.output.trimmingCharacters(in: .whitespacesAndNewlines),
            "Error: io: connection refused: 127.0.0.1:\(port) (ECONNREFUSED)", "echo-client's output")
    }

    static func x25519Certificate() async throws {
        let e = try checkThrowsJSecSync(.configuration, "self-signed X25519 certificate") {
            _ = try CertificateBuilder.selfSigned(commonName: "localhost", keyType: .x25519)
        }
        try checkEqual(e.message, "X25519 keys cannot sign certificates (they are for key agreement only); use one of \(KeyType.signingNames)", "message")
        try checkEqual(e.code, .jsec(.wrongKeyType), "code")
        try check(!KeyType.x25519.canSign && KeyType.ecP521.canSign && KeyType.ed25519.canSign, "canSign")
        _ = try CertificateBuilder.selfSigned(commonName: "localhost", keyType: .ecP521)  // P-521, also offered, works
        let p = try PeerProcess(try ExamplePrograms.path("echo-server"), ["--self-signed", "--key-type", "x25519", "--port", "0"])
        defer { p.stop() }
        p.closeInput()
        let status = await p.wait(timeout: .seconds(30))
        await p.waitForOutputEnd()
        try check(status != 0, "echo-server exited \(status)")
        try check(
            p.output.contains("--key-type x25519 cannot sign a certificate; use one of \(KeyType.signingNames)"),
            "echo-server says what works: \(p.output)")
    }

    static func codes() throws {
        // Equality by category and code; the message is for people.
        try checkEqual(JSecError(.io, "one wording", code: .errno(ECONNREFUSED)), JSecError(.io, "another", code: .errno(ECONNREFUSED)), "same code")
        try check(JSecError(.io, "x", code: .errno(ECONNREFUSED)) != JSecError(.io, "x", code: .errno(ECONNRESET)), "different errno")
        try check(JSecError(.io, "x", code: .errno(ECONNREFUSED)) != JSecError(.timeout, "x", code: .errno(ECONNREFUSED)), "different category")
        try checkEqual(JSecError.errnoName(EADDRINUSE), "EADDRINUSE", "errno name")
        try checkEqual(JSecError.errnoText(EADDRINUSE), "address already in use", "errno text, lower-case")
        try checkEqual(JSecError.errnoName(100_000), "errno 100000", "unknown errno")
        try checkEqual(X509VerifyResult.unableToGetLocalIssuerCertificate.rawValue, 20, "X509 result number")
        try checkEqual(X509VerifyResult.certificateHasExpired.description, "certificate has expired", "X509 result text")
        try checkEqual(TLSAlert.badCertificate.description, "bad certificate", "alert text")
        try checkEqual(JSecError.Code.alertReceived(.certificateRequired).description, "alert 116 (certificate required)", "alert code text")
        // JSecError.openSSL takes the code from OpenSSL's queue: a PEM parse failure is a PEM-library reason.
        let e = try checkThrowsJSecSync(.crypto, "garbage PEM") { _ = try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
        guard let library = e.code.openSSLLibrary, let reason = e.code.openSSLReason else {
            throw CheckFailure(message: "a failed parse carries OpenSSL's code: \(e) code \(e.code)", file: #fileID, line: #line)
        }
        try check(library > 0 && reason > 0, "library \(library), reason \(reason)")
    }

    /// Was "cannot read certificate file 'x.pem'", without the cause.
    static func missingCertificateFile() throws {
        let path = NSTemporaryDirectory() + "jsec-missing-\(UUID().uuidString.prefix(8)).pem"
        var config = TestPKI.shared.serverConfiguration()
        config.certificateChain = .file(path)
        let e = try checkThrowsJSecSync(.configuration, "a missing certificate file") { _ = try TLSContext(config) }
        try checkEqual(e.message, "invalid certificate: cannot read certificate file '\(path)': no such file or directory (ENOENT)", "message")
        try checkEqual(e.code, .errno(ENOENT), "code")
        config = TestPKI.shared.serverConfiguration()
        config.privateKey = .file(NSTemporaryDirectory(), password: nil)
        let d = try checkThrowsJSecSync(.configuration, "a directory as the key file") { _ = try TLSContext(config) }
        try check(d.message.hasSuffix("cannot read private key file '\(NSTemporaryDirectory())': it is a directory"), "message: \(d.message)")
        try checkEqual(d.code, .errno(EISDIR), "code")
    }

    /// Was "cannot parse the PEM private key (malformed, not a private key, or encrypted)" and five OpenSSL queue lines.
    static func encryptedKey() throws {
        let pem = try TestPKI.shared.server.privateKey.pem(password: "secret")
        var config = TestPKI.shared.serverConfiguration()
        config.privateKey = .pem(pem, password: nil)
        let e = try checkThrowsJSecSync(.configuration, "an encrypted key without its password") { _ = try TLSContext(config) }
        try checkEqual(e.message, "invalid private key: the PEM private key is encrypted and no password was given: pass its password (password:)", "message")
        try checkEqual(e.openSSLErrors, [], "no OpenSSL queue lines")
        try checkEqual(e.code, .jsec(.keyEncrypted), "code")
        config.privateKey = .pem(pem, password: "secret")
        _ = try TLSContext(config)  // the same key with its password loads
    }

    /// Was "certificate verify failed: hostname mismatch (X509 error 62)".
    static func hostnameMismatch() async throws {
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(TestPKI.shared.serverConfiguration()))
        defer { Task { await listener.close() } }
        let server = Task { _ = try? await listener.accept() }
        defer { server.cancel() }
        let e = try await checkThrowsJSec(.verification, "a server whose certificate is for another name") {
            _ = try await TLS.connect(
                host: "127.0.0.1", port: listener.port!, serverName: "other.example", context: TLSContext(TestPKI.shared.clientConfiguration()))
        }
        try checkEqual(
            e.message,
            "certificate verify failed: the server's certificate is not for 'other.example': it is for localhost, 127.0.0.1, ::1"
                + " (connect with one of those names, or give the server a certificate for this one)", "message")
        try checkEqual(e.code, .certificate(.hostnameMismatch), "code")
    }

    /// Was "TLS handshake failed: wrong version number" and nothing about why.
    static func plaintextPeer() async throws {
        let listener = try await NetListener.listen(host: "127.0.0.1", port: 0)
        defer { Task { await listener.close() } }
        let server = Task {
            guard let s = try? await listener.accept() else { return }
            try? await s.write(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
            _ = try? await s.read(max: 4096, timeout: .seconds(10))
        }
        defer { server.cancel() }
        let e = try await checkThrowsJSec(.handshake, "TLS to a plaintext HTTP server") {
            _ = try await TLS.connect(host: "127.0.0.1", port: listener.port!, context: TLSContext(TestPKI.shared.clientConfiguration()))
        }
        try checkEqual(
            e.message, "TLS handshake failed: wrong version number — the peer does not speak TLS? (a plaintext service on this port, or a proxy)",
            "message")
        try checkEqual(e.code.openSSLLibrary, 20, "code: an SSL-library reason (\(e.code))")
    }
}
