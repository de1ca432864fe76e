internal import CJSecOpenSSL

/// The OpenSSL library in use (jsec's `utils/ssl-backend` and `utils/ssl-version`).
public enum OpenSSLInfo {
    /// Always `openssl`: JSec is built on the system OpenSSL 3.
    public static let backend = "openssl"
    /// The runtime library version text, e.g. `OpenSSL 3.0.19 27 Jan 2026`.
    public static var version: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
    /// The runtime version number (`0xMNN00PP0L`).
    public static var number: UInt { UInt(OpenSSL_version_num()) }
}

extension Certificate {
    public enum Encoding: String, Sendable { case pem, der }

    /// Re-encodes a PEM or DER certificate (jsec's `convert-cert`).
    public static func convert(_ data: [UInt8], to encoding: Encoding) throws -> [UInt8] {
        let cert = try Certificate(bytes: data)
        return encoding == .pem ? Array(cert.pem.utf8) : cert.der
    }
}
