import Assay
import Foundation
import JSec

// Issue 22: every JSecError carries a code, and a condition JSec detects itself carries the Reason naming its
// class. Each case here is a real failure matched by code (the message is for people); before the codes were
// mandatory these errors had `code == nil`.
enum ErrorCodes {
    /// PEM text with no certificate in it, and a PEM block OpenSSL cannot decode.
    static func malformedInput() throws {
        let e = try checkThrowsJSecSync(.crypto, "PEM text with no certificate") { _ = try Certificate.chain(pem: "no PEM here") }
        try checkEqual(e.code, .jsec(.malformedInput), "code (\(e))")
        let b = try checkThrowsJSecSync(.configuration, "base64 that is not") { _ = try Base64.decode("*not base64*") }
        try checkEqual(b.code, .jsec(.malformedInput), "base64's code (\(b))")
        // OpenSSL decided: its code, from the queue (a PEM-library reason), not JSec's.
        let k = try checkThrowsJSecSync(.crypto, "a PEM key block that does not decode") {
            _ = try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        try check(k.code.openSSLLibrary != nil && k.code.jsecReason == nil, "OpenSSL's code: \(k.code) (\(k))")
    }

    /// A configuration value out of range, two options that contradict each other, an unknown and a refused name.
    static func configuration() throws {
        var c = TestPKI.shared.serverConfiguration()
        c.sessionTicketKey = [UInt8](repeating: 1, count: 10)
        let bad = try checkThrowsJSecSync(.configuration, "a 10-byte session ticket key") { _ = try TLSContext(c) }
        try checkEqual(bad.code, .jsec(.invalidOption), "code (\(bad))")
        c = TestPKI.shared.serverConfiguration()
        c.minimumVersion = .tls1_3
        c.maximumVersion = .tls1_2
        let range = try checkThrowsJSecSync(.configuration, "minimum version above the maximum") { _ = try TLSContext(c) }
        try checkEqual(range.code, .jsec(.conflictingOptions), "code (\(range))")
        let unknown = try checkThrowsJSecSync(.configuration, "TLS version 1.5") { _ = try TLSVersion(parsing: "1.5") }
        try checkEqual(unknown.code, .jsec(.unknownName), "code (\(unknown))")
        let refused = try checkThrowsJSecSync(.configuration, "TLS version 1.1") { _ = try TLSVersion(parsing: "1.1") }
        try checkEqual(refused.code, .jsec(.unsupportedAlgorithm), "code (\(refused))")
    }

    /// A stream context for DTLS; a key that cannot sign; a tag that does not authenticate.
    static func wrongTransportKeyAndTag() async throws {
        let stream = try TLSContext(TestPKI.shared.serverConfiguration())
        let t = try await checkThrowsJSec(.configuration, "DTLS with a TLS (stream) context") {
            _ = try await DTLS.listen(host: "127.0.0.1", port: 0, context: stream)
        }
        try checkEqual(t.code, .jsec(.wrongTransport), "code (\(t))")
        let key = try PrivateKey.generate(.x25519)
        let k = try checkThrowsJSecSync(.crypto, "RSA encryption for an X25519 key") {
            _ = try RSAEncryption.encrypt([1, 2, 3], for: key.publicKey)
        }
        try checkEqual(k.code, .jsec(.wrongKeyType), "code (\(k))")
        let aeadKey = try AEAD.generateKey(.aes256GCM)
        let box = try AEAD.seal(.aes256GCM, key: aeadKey, plaintext: Array("attack at dawn".utf8))
        var tag = box.tag
        tag[0] ^= 1
        let a = try checkThrowsJSecSync(.crypto, "a flipped tag bit") {
            _ = try AEAD.open(.aes256GCM, key: aeadKey, nonce: box.nonce, ciphertext: box.ciphertext, tag: tag)
        }
        try checkEqual(a.code, .jsec(.authenticationFailed), "code (\(a))")
    }

    /// OpenSSL failed and left its queue empty: the documented fallback, never no code.
    static func openSSLQueueEmpty() throws {
        OpenSSLErrorQueue.clear()
        let e = JSecError.openSSL(.crypto, "a call that failed silently")
        try checkEqual(e.code, .jsec(.openSSLQueueEmpty), "code (\(e))")
        try checkEqual(e.openSSLErrors, [], "no queue text")
    }

    /// The structs behave as the enums did for a caller: raw values, Codable, allCases, and an accessor per kind.
    static func codeTypes() throws {
        let encoded = try JSONEncoder().encode([JSecError.Category.protocol, .io])
        try checkEqual(String(decoding: encoded, as: UTF8.self), #"["protocol","io"]"#, "categories encode as their names")
        try checkEqual(try JSONDecoder().decode([JSecError.Category].self, from: encoded), [.protocol, .io], "and decode back")
        try checkEqual(JSecError.Category(rawValue: "no-such-category"), nil, "an unknown category name")
        let names = JSecError.Code.Reason.allCases.map(\.rawValue)
        try checkEqual(Set(names).count, names.count, "reason names are unique")
        for r in JSecError.Code.Reason.allCases { try checkEqual(JSecError.Code.Reason(rawValue: r.rawValue), r, "reason \(r)") }
        try checkEqual(JSecError.Code.Reason.malformedInput.rawValue, "malformedInput", "a reason's name is its static let's")
        let refused = JSecError.Code.errno(ECONNREFUSED)
        try checkEqual(refused.errnoValue, ECONNREFUSED, "errnoValue")
        try check(refused.openSSLLibrary == nil && refused.jsecReason == nil && refused.receivedAlert == nil, "other accessors: nil")
        try checkEqual(JSecError.Code.jsec(.limitReached).jsecReason, .limitReached, "jsecReason")
        try checkEqual(JSecError.Code.jsec(.limitReached).description, "limitReached", "a reason prints its name")
        try checkEqual(JSecError.Code.openSSL(library: 9, reason: 108).openSSLReason, 108, "openSSLReason")
    }
}
