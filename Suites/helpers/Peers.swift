import Assay
import Foundation

/// A peer program (openssl, gnutls-cli, python3…) started for a test and always stopped.
package final class PeerProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` and the pipes are set up in init and only read
    // afterwards; `output` is guarded by `lock`. NSLock (a pthread mutex), not Mutex: the exception
    // tools/check-locks lists. Foundation's readability handler appends on its thread while a test polls
    // `output`, so the lock is contended, and ThreadSanitizer does not see a contended Mutex's hand-off:
    // with a Mutex, `tools/sanitizers/tsan.sh` reported the append and the read as a race (unit/tls-defaults).
    package let process = Process()
    private let outPipe = Pipe()
    private let inPipe = Pipe()
    private let lock = NSLock()
    private var collected = Data()
    private var outputEnded = false

    /// Finds `name` on PATH; nil when it is not installed.
    package static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Whether this process runs under valgrind (its preload library is in LD_PRELOAD).
    package static var underValgrind: Bool {
        ProcessInfo.processInfo.environment["LD_PRELOAD"]?.contains("vgpreload") ?? false
    }

    /// `environment` entries are added to (or replace) this process's environment for the peer.
    package init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        // Foundation.Process cannot spawn under valgrind: it closes descriptors up to the limit it
        // reads from /proc/self/fd, including valgrind's reserved ones, and fails with EBADF.
        if Self.underValgrind {
            throw SkipTest("peer programs cannot be started under valgrind (Foundation.Process fails with EBADF)")
        }
        guard let path = executable.hasPrefix("/") ? executable : PeerProcess.which(executable) else {
            throw CheckFailure(message: "peer '\(executable)' is not installed", file: #fileID, line: #line)
        }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardOutput = outPipe
        process.standardError = outPipe
        process.standardInput = inPipe
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { if d.isEmpty { h.readabilityHandler = nil }; return }
            if d.isEmpty {  // end of file: stop, or it fires forever
                h.readabilityHandler = nil
                self.lock.lock(); self.outputEnded = true; self.lock.unlock()
                return
            }
            self.lock.lock(); self.collected.append(d); self.lock.unlock()
        }
        try process.run()
    }

    /// Everything the peer printed so far (stdout and stderr).
    package var output: String { lock.lock(); defer { lock.unlock() }; return String(decoding: collected, as: UTF8.self) }

    /// Waits until the output matches `regex` (returns the first capture group, or the match).
    package func waitFor(_ regex: String, timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        let re = try NSRegularExpression(pattern: regex)
        while ContinuousClock.now < deadline {
            let text = output
            if let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
                let r = m.numberOfRanges > 1 ? m.range(at: 1) : m.range
                return String(text[Range(r, in: text)!])
            }
            if !process.isRunning && output == text { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CheckFailure(message: "peer output never matched /\(regex)/; it printed:\n\(output.suffix(2000))", file: #fileID, line: #line)
    }

    /// Waits (up to `timeout`) until everything the peer printed is in ``output``: its output reached end of file,
    /// or (the end-of-file event is sometimes late) the process has exited and its output stayed the same for 100 ms.
    package func waitForOutputEnd(timeout: Duration = .seconds(5)) async {
        let deadline = ContinuousClock.now + timeout
        var last = -1, quietSince = ContinuousClock.now
        while ContinuousClock.now < deadline {
            let (ended, size) = lock.withLock { (outputEnded, collected.count) }
            if ended { return }
            if size != last { last = size; quietSince = .now }
            if !process.isRunning && ContinuousClock.now - quietSince >= .milliseconds(100) { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    package func send(_ text: String) { inPipe.fileHandleForWriting.write(Data(text.utf8)) }
    package func closeInput() { try? inPipe.fileHandleForWriting.close() }

    /// Waits for the process to exit (killing it after `timeout`) and returns its status.
    /// Polls instead of blocking, so it never ties up a thread of the cooperative pool.
    @discardableResult
    package func wait(timeout: Duration = .seconds(10)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            stop()
            let hard = ContinuousClock.now + .seconds(2)
            while process.isRunning && ContinuousClock.now < hard { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return process.isRunning ? -1 : process.terminationStatus
    }

    /// Stops the peer: SIGTERM, then SIGKILL.
    package func stop() {
        guard process.isRunning else { return }
        process.terminate()
        usleep(50_000)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        stop()
    }
}
