import Foundation
@testable import AssayResults

/// Binaries next to the fixture runner, and small helpers for the -j, shard, merge and fixture tests.
enum Binaries {
    static var directory: URL { URL(fileURLWithPath: Fixture.executable).deletingLastPathComponent() }
    static var analyzer: String { directory.appendingPathComponent("analyzer").path }
    static var runner: String { directory.appendingPathComponent("runner").path }

    /// Runs any program; stdout and stderr captured through files (no pipe can fill up).
    static func run(_ exe: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> Fixture.Run {
        let dir = NSTemporaryDirectory() + "assay-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var environment = ProcessInfo.processInfo.environment
        environment["ASSAY_NO_PROGRESS"] = "1"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return Fixture.Run(
            status: p.terminationStatus,
            stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
    }

    static func results(_ path: String) throws -> RunResults {
        try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The case ids a `--dry-run --verbosity 5` printed, in order.
    static func plannedIDs(_ stdout: String) -> [String] {
        stdout.split(separator: "\n").filter { $0.hasPrefix("    ") }.map { line in
            var s = line.dropFirst(4)
            if let r = s.range(of: "  (ensured)") { s = s[..<r.lowerBound] }
            if let r = s.range(of: "  — skip: ") { s = s[..<r.lowerBound] }
            return String(s)
        }
    }

    static func tempDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "assay-scale-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
