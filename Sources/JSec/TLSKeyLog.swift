internal import CJSecOpenSSL
import Foundation
import Synchronization

/// Where a context writes its TLS secrets in the NSS key log format, so that a capture of its traffic
/// can be decrypted (Wireshark or tshark with `tls.keylog_file`). Anyone holding the file can read
/// every connection it covers: it is for debugging only.
public enum TLSKeyLog: Sendable, Hashable {
    /// Never, whatever the environment says.
    case off
    /// To the file named by the `SSLKEYLOGFILE` environment variable when it is set and not empty (as
    /// curl, Firefox and Chrome do); otherwise nowhere. The default. JSec says so once on standard
    /// error when it is on, so secrets are never written silently.
    case environment
    /// To this file.
    case file(String)

    /// The file to write to, if any. `environment` looks a variable up (the process's, by default: one
    /// `getenv` per context, not a copy of the whole environment).
    func path(environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }) -> String? {
        switch self {
        case .off: return nil
        case .file(let path): return path
        case .environment:
            guard let path = environment("SSLKEYLOGFILE"), !path.isEmpty else { return nil }
            return path
        }
    }
}

/// One open key log file, shared by every context that writes to the same path (opened once per
/// process and kept open: one descriptor per distinct path). Lines are appended (`O_APPEND`), each with
/// one `write`, so lines from many connections and processes do not interleave. Created with mode 0600.
final class KeyLogFile: Sendable {
    let path: String
    private let fd: Int32

    private static let files = Mutex<[String: KeyLogFile]>([:])

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// The shared writer for `path`; `announce` says on standard error, once per path, that secrets go there.
    static func shared(_ path: String, announce: String) throws -> KeyLogFile {
        try files.withLock { files in
            if let file = files[path] { return file }
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let e = errno
                throw JSecError(
                    .configuration, "cannot open the TLS key log file '\(path)': \(JSecError.errnoText(e)) (\(JSecError.errnoName(e)))", code: .errno(e))
            }
            let file = KeyLogFile(path: path, fd: fd)
            files[path] = file
            FileHandle.standardError.write(
                Data("jsec: writing TLS secrets to '\(path)' (\(announce)); anyone with the file can decrypt these connections\n".utf8))
            JSecLog.logger.warning("TLS key logging is on", metadata: ["jsec.keylog": "\(path)"])
            return file
        }
    }

    /// Appends one line (OpenSSL's, without its newline) with a single `write`.
    func append(_ line: UnsafePointer<CChar>) {
        var bytes = Array(UnsafeRawBufferPointer(start: line, count: strlen(line)))
        bytes.append(0x0A)
        bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
    }
}

extension TLSContext {
    /// Installs the key log callback when ``TLSConfiguration/keyLog`` names a file. For `.environment`,
    /// a file that cannot be opened is said on standard error and the context works without it; for an
    /// explicit `.file` it is a configuration error.
    func installKeyLog() throws -> KeyLogFile? {
        let setting = configuration.keyLog
        guard let path = setting.path() else { return nil }
        let file: KeyLogFile
        do {
            file = try KeyLogFile.shared(path, announce: setting == .environment ? "SSLKEYLOGFILE is set" : "TLSConfiguration.keyLog")
        } catch let error as JSecError where setting == .environment {
            FileHandle.standardError.write(Data("jsec: SSLKEYLOGFILE: \(error.message); not logging keys\n".utf8))
            return nil
        }
        SSL_CTX_set_keylog_callback(ctx, keyLogCallback)
        return file
    }
}

/// `SSL_CTX_set_keylog_callback` hook: one NSS key log line (no newline) for the connection's context.
private let keyLogCallback: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void = { ssl, line in
    guard let ssl, let line, let raw = jsec_SSL_get_app_data(ssl) else { return }
    Unmanaged<TLSEngine>.fromOpaque(raw).takeUnretainedValue().context.keyLogFile?.append(line)
}
