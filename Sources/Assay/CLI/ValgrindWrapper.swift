import Foundation

/// `--wrapper 'valgrind …'` as typed gives an honest verdict: valgrind exits 0 whatever it finds unless
/// told otherwise, and without suppressions the Swift runtime's one-time allocations drown a real leak.
/// So the runner completes the wrapper — `--error-exitcode=99` unless the user chose an exit code, the
/// package's Swift-runtime suppressions (tools/valgrind/swift-runtime.supp) unless the user gave
/// suppressions — and says so in one line at start. A worker that exits with that code failed its suite
/// ("valgrind found errors"), with valgrind's summary lines in the message and its report in the
/// worker output (SuiteSupervisor).
enum ValgrindWrapper {
    static let defaultErrorExitCode: Int32 = 99

    struct Completed: Equatable {
        var wrapper: String
        /// valgrind's exit code for "errors found".
        var errorExitCode: Int32
        /// The one line for stderr.
        var notice: String
    }

    /// nil when the wrapper is not valgrind. `suppressions`: the package's file, when found.
    static func complete(_ wrapper: String, suppressions: String?) -> Completed? {
        guard ValgrindReexec.valgrindProgram(in: wrapper) != nil else { return nil }
        var words = wrapper.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let at = words.firstIndex(where: { ($0 as NSString).lastPathComponent == "valgrind" }) else { return nil }
        var added: [String] = []
        let code: Int32
        if let given = words.first(where: { $0.hasPrefix("--error-exitcode=") }) {
            code = Int32(given.dropFirst("--error-exitcode=".count)) ?? 0
        } else {
            code = defaultErrorExitCode
            added.append("--error-exitcode=\(code)")
        }
        var missing: String?
        let userSuppressions = words.contains { $0.hasPrefix("--suppressions=") }
        if !userSuppressions, let suppressions {
            added.append("--suppressions=\(suppressions)")
        } else if !userSuppressions {
            missing =
                "the Swift-runtime suppressions (tools/valgrind/swift-runtime.supp) are not beside this binary's package: the runtime's one-time allocations may be reported"
        }
        words.insert(contentsOf: added, at: at + 1)
        var notice = "assay: --wrapper valgrind: "
        notice += added.isEmpty ? "as given" : "added \(added.joined(separator: " "))"
        notice +=
            code == 0
            ? "; --error-exitcode=0: valgrind's findings do NOT fail a suite"
            : "; a worker in which valgrind finds errors (exit \(code)) fails its suite, with valgrind's summary shown"
        if let missing { notice += "; " + missing }
        return Completed(wrapper: words.joined(separator: " "), errorExitCode: code, notice: notice)
    }

    /// The package's suppressions file above `executable`'s build directory, if any.
    static func suppressionsFile(above executable: String) -> String? {
        guard let root = ValgrindReexec.packageRoot(above: executable) else { return nil }
        let path = root + "/tools/valgrind/swift-runtime.supp"
        return FileManager.default.isReadableFile(atPath: path) ? path : nil
    }

    /// The suite failure for a worker valgrind found errors in: its ERROR SUMMARY and leak summary lines
    /// (absent with --quiet, which prints only the errors: then the worker output holds the report).
    static func failure(code: Int32, stderrPath: String) -> String {
        let text = FileManager.default.contents(atPath: stderrPath).map { String(decoding: $0.suffix(1 << 20), as: UTF8.self) } ?? ""
        let keys = ["ERROR SUMMARY", "definitely lost:", "indirectly lost:", "possibly lost:"]
        let lines = text.split(separator: "\n").filter { l in keys.contains { l.contains($0) } }
            .map { $0.replacing(/^==\d+== +/, with: "").trimmingCharacters(in: .whitespaces) }
        var m = "valgrind found errors in the worker (exit \(code))"
        m += lines.isEmpty ? "; its report is in the worker output" : ": " + lines.suffix(4).joined(separator: "; ")
        return m
    }
}
