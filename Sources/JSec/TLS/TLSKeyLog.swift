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
/// one `write`, so lines from many connections and processes do not interleave.
///
/// Only a regular file of this process's user is written: created with mode 0600; a symbolic link (even a
/// dangling one: `O_NOFOLLOW`), a FIFO (opened `O_NONBLOCK`, so one without a reader fails at once instead of
/// blocking start-up), a device, a directory or another user's file is refused (`.jsec(.unsafeKeyLogFile)`).
/// An existing file that group or others may read has those bits cleared (mode 0644 becomes 0600), said
/// once on standard error.
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
            let (fd, oldMode) = try openSafely(path)
            let file = KeyLogFile(path: path, fd: fd)
            files[path] = file
            if let oldMode {
                FileHandle.standardError.write(
                    Data(
                        ("jsec: the TLS key log file '\(path)' was readable by others (mode \(String(oldMode, radix: 8))); "
                            + "its mode is now \(String(oldMode & 0o700, radix: 8))\n").utf8))
            }
            FileHandle.standardError.write(
                Data("jsec: writing TLS secrets to '\(path)' (\(announce)); anyone with the file can decrypt these connections\n".utf8))
            JSecLog.logger.warning("TLS key logging is on", metadata: ["jsec.keylog": "\(path)"])
            return file
        }
    }

    /// Opens `path` to append secrets, refusing anything but a regular file of this user (see the type's
    /// documentation); returns the descriptor and, when it cleared group/other bits, the mode the file had.
    static func openSafely(_ path: String) throws -> (fd: Int32, tightenedFrom: mode_t?) {
        func refuse(_ why: String) -> JSecError {
            JSecError(.configuration, "refusing the TLS key log file '\(path)': \(why); it must be a regular file of this user", code: .jsec(.unsafeKeyLogFile))
        }
        func failure(_ what: String, _ e: Int32) -> JSecError {
            JSecError(.configuration, "cannot \(what) the TLS key log file '\(path)': \(JSecError.errnoText(e)) (\(JSecError.errnoName(e)))", code: .errno(e))
        }
        // O_NOFOLLOW: a symbolic link as the last component fails (ELOOP), dangling or not. O_NONBLOCK: a FIFO
        // without a reader fails (ENXIO) instead of blocking until one comes.
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
        guard fd >= 0 else {
            let e = errno
            var st = stat()
            if e == ELOOP || e == ENXIO || e == EISDIR, lstat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
                throw refuse("it is \(fileKind(st.st_mode))")
            }
            throw failure("open", e)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw failure("inspect", e)
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw refuse("it is \(fileKind(st.st_mode))")
        }
        guard st.st_uid == geteuid() else {
            close(fd)
            throw refuse("it belongs to user \(st.st_uid), not to this process's user \(geteuid())")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let e = errno
            close(fd)
            throw failure("configure", e)
        }
        let mode = st.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return (fd, nil) }
        guard fchmod(fd, mode & 0o700) == 0 else {
            let e = errno
            close(fd)
            throw failure("restrict the mode (\(String(mode, radix: 8)), readable by others) of", e)
        }
        return (fd, mode)
    }

    /// "a symbolic link", "a FIFO"… for a refusal's message.
    private static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a directory"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file (mode \(String(mode, radix: 8)))"
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
