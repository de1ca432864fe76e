import Foundation

/// Gathers where-and-how facts for the results file.
enum RunMetadataCollector {
    static func collect(
        start: Date, arguments: [String], options: [String: JSONValue],
        extra: [String: String]
    ) -> RunMetadata {
        var os = ProcessInfo.processInfo.operatingSystemVersionString
        if let release = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
            let line = release.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") })
        {
            os = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) + " (" + os + ")"
        }
        var extra = extra
        let openssl = extra.removeValue(forKey: "opensslVersion") ?? command(["openssl", "version"])
        return RunMetadata(
            startTime: start, host: ProcessInfo.processInfo.hostName, os: os,
            swiftVersion: swiftVersion, opensslVersion: openssl,
            gitRevision: extra.removeValue(forKey: "gitRevision") ?? builtFromRevision(),
            commandLine: arguments, options: options, extra: extra)
    }

    /// The commit checked out in the git work tree the running executable lives in (`<repo>/.build/release/runner`):
    /// the code under test, whatever directory the run starts in — not the current directory's repository, which
    /// may be another checkout or another project. Nil when the executable is not inside a work tree (a copy).
    static func builtFromRevision() -> String? {
        guard let exe = ExecutablePath.current() else { return nil }
        return command(["git", "-C", (exe as NSString).deletingLastPathComponent, "rev-parse", "HEAD"])
    }

    /// The compiler that built the runner.
    static var swiftVersion: String {
        #if compiler(>=6.5)
            return "6.5+"
        #elseif compiler(>=6.4)
            return "6.4"
        #elseif compiler(>=6.3)
            return "6.3"
        #elseif compiler(>=6.2)
            return "6.2"
        #elseif compiler(>=6.1)
            return "6.1"
        #else
            return "6.0"
        #endif
    }

    /// First line of a command's output, or nil if it fails.
    static func command(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init)
    }
}
