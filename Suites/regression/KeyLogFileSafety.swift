import Assay
import Foundation
import JSec
#if canImport(Glibc)
    import Glibc
#endif

/// Issue 20 item 2: the key log file followed symbolic links (even dangling ones), blocked start-up on a FIFO
/// without a reader, and wrote secrets into an existing file that others could read (0600 applied only to a
/// file JSec created).
package enum KeyLogFileSafety {
    static let pki = TestPKI.shared

    /// A fresh directory for one case, removed by `body`'s end.
    static func inTemporaryDirectory(_ body: (String) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "jsec-keylog-safety-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await body(dir)
    }

    static func mode(_ path: String) throws -> mode_t {
        var st = stat()
        try check(stat(path, &st) == 0, "stat \(path): \(String(cString: strerror(errno)))")
        return st.st_mode & 0o7777
    }

    /// A server context whose key log is `path` must be refused with `.unsafeKeyLogFile`.
    static func checkRefused(_ path: String, _ what: String) throws {
        var config = pki.serverConfiguration()
        config.keyLog = .file(path)
        let e = try checkThrowsJSecSync(.configuration, what) { _ = try TLSContext(config) }
        try checkEqual(e.code, .jsec(.unsafeKeyLogFile), "\(what): the code (\(e.message))")
        try check(e.message.contains(path), "\(what): the message names the file: \(e.message)")
    }

    package static func run(_ kind: String) async throws {
        try await inTemporaryDirectory { dir in
            let path = dir + "/keys.log"
            switch kind {
            case "symlink":
                let target = dir + "/target.log"
                try check(FileManager.default.createFile(atPath: target, contents: nil, attributes: [.posixPermissions: 0o600]), "create \(target)")
                try check(symlink(target, path) == 0, "symlink")
                try checkRefused(path, "a key log path that is a symbolic link to a regular file")
            case "dangling-symlink":
                let target = dir + "/missing.log"
                try check(symlink(target, path) == 0, "symlink")
                try checkRefused(path, "a key log path that is a dangling symbolic link")
                try check(!FileManager.default.fileExists(atPath: target), "the link's target was not created")
            case "fifo":
                // Before the fix open(2) blocked until a reader came: this case never returned (its timeout failed it).
                try check(mkfifo(path, 0o600) == 0, "mkfifo")
                try checkRefused(path, "a key log path that is a FIFO without a reader")
            case "mode-0644":
                try check(
                    FileManager.default.createFile(atPath: path, contents: Data("# earlier lines\n".utf8), attributes: [.posixPermissions: 0o644]),
                    "create \(path)")
                try checkEqual(String(try mode(path), radix: 8), "644", "the file's mode before")
                var config = pki.serverConfiguration()
                config.keyLog = .file(path)
                let context = try TLSContext(config)
                try checkEqual(String(try mode(path), radix: 8), "600", "the mode once the key log is opened")
                // Secrets still go to it, appended after what was there.
                let listener = try await TLS.listen(port: 0, context: context)
                defer { Task { await listener.close() } }
                let client = try await TLS.connect(
                    host: "127.0.0.1", port: listener.port!, serverName: "localhost", context: TLSContext(pki.clientConfiguration()))
                let server = try await listener.accept(timeout: .seconds(10))
                try await client.write("x")
                try checkEqual(try await server.chunk(1, timeout: .seconds(10)), Array("x".utf8), "a byte over the connection")
                await client.close(); await server.close()
                let text = try String(contentsOfFile: path, encoding: .utf8)
                try check(text.hasPrefix("# earlier lines\n"), "the earlier content is kept: \(text.prefix(80))")
                try check(text.contains("SERVER_HANDSHAKE_TRAFFIC_SECRET") || text.contains("CLIENT_RANDOM"), "secrets appended: \(text.prefix(200))")
            default:
                throw CheckFailure(message: "unknown case \(kind)", file: #fileID, line: #line)
            }
        }
    }
}
