import Foundation

/// Writes files so that a reader never sees a half-written file: the data go
/// to a temporary file in the same directory, which is then renamed over the
/// destination (rename(2) is atomic within one file system). Failures are an
/// `OutputFileError` naming the path and the system's reason.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws(OutputFileError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        try ensureDirectory(dir, for: path)
        if isDirectory(path) { throw OutputFileError(path: path, reason: "it is a directory") }
        let tmp = dir + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputFileError(path: path, reason: "cannot create a file in \(dir): \(errnoText())") }
        var failure: String?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var off = 0
            while off < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed: \(errnoText())"
                    return
                }
                off += n
            }
        }
        if close(fd) != 0 && failure == nil { failure = "close failed: \(errnoText())" }
        if failure == nil && rename(tmp, path) != 0 { failure = "cannot rename the temporary file over it: \(errnoText())" }
        if let failure {
            unlink(tmp)
            throw OutputFileError(path: path, reason: failure)
        }
    }

    /// Checks, before a run, that `path` can be written: its directory exists
    /// (or is created) and accepts a new file, and `path` is not a directory.
    public static func checkWritable(_ path: String) throws(OutputFileError) {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try ensureDirectory(dir, for: path)
        if isDirectory(path) { throw OutputFileError(path: path, reason: "it is a directory") }
        let probe = dir + "/.\(URL(fileURLWithPath: path).lastPathComponent).probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputFileError(path: path, reason: "cannot create a file in \(dir): \(errnoText())") }
        close(fd)
        unlink(probe)
    }

    static func ensureDirectory(_ dir: String, for path: String) throws(OutputFileError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            if !isDir.boolValue { throw OutputFileError(path: path, reason: "\(dir) is not a directory") }
            return
        }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = underlying.map { String(cString: strerror(Int32($0.code))) } ?? "cannot be created"
            throw OutputFileError(path: path, reason: "its directory \(dir) cannot be created: \(reason)")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// An output file (results JSON, JUnit) that cannot be written: one line
/// naming the path and the cause.
public struct OutputFileError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}

private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
