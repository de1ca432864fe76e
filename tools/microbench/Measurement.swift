import Foundation

/// What one benchmark measured.
struct BenchResult: Codable, Sendable {
    var instructionsPerOp: Double?
    var wallNanosPerOp: Double?
}

/// A whole run (also the baseline file format).
struct BenchResults: Codable, Sendable {
    var machine: String
    var date: String
    var benchmarks: [String: BenchResult]

    static func load(_ path: String) throws -> BenchResults {
        do {
            return try JSONDecoder().decode(BenchResults.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw BenchError("cannot read baseline \(path): \(error)")
        }
    }

    func save(_ path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func machineDescription() -> String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        return "\(ProcessInfo.processInfo.activeProcessorCount) × \(cpu)"
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs a benchmark in a child process (one benchmark per process: no state shared between them).
enum Child {
    static func run(_ executable: String, _ args: [String]) throws -> (stdout: String, stderr: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        // stdout through a pipe (one reader, to its end), stderr into a file: no second reader
        // thread is needed to keep a chatty child (valgrind) from blocking on a full pipe.
        let out = Pipe()
        let errPath = NSTemporaryDirectory() + "jsec-bench-stderr-\(getpid())-\(UInt64.random(in: 0 ... .max))"
        guard FileManager.default.createFile(atPath: errPath, contents: nil), let errFile = FileHandle(forWritingAtPath: errPath) else {
            throw BenchError("cannot create \(errPath) for the child's stderr")
        }
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        p.standardOutput = out
        p.standardError = errFile
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? errFile.close()
        let e = FileManager.default.contents(atPath: errPath) ?? Data()
        return (String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self), p.terminationStatus)
    }

    static func wallNanosPerOp(_ selfPath: String, _ name: String, iterations: Int) throws -> Double {
        let r = try run(selfPath, ["run", name, "-i", String(iterations)])
        guard r.status == 0, let line = r.stdout.split(separator: "\n").last,
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let nanos = obj["nanos"] as? Int
        else {
            throw BenchError("\(name) failed (status \(r.status)): \(r.stderr.suffix(500))")
        }
        return Double(nanos) / Double(iterations)
    }
}

/// Instruction counts from valgrind's callgrind (the same for the same binary and input,
/// whatever else the machine is doing).
enum Callgrind {
    /// valgrind 3.19 cannot read Swift's DWARF 5 debug info (DESIGN §3): it runs a stripped copy.
    static func strippedCopy(of path: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/valgrind") else {
            throw BenchError("valgrind is not installed (apt-get install valgrind), or pass --no-callgrind")
        }
        let dest = NSTemporaryDirectory() + "jsec-bench-stripped-\(getpid())"
        let r = try Child.run("/usr/bin/strip", ["-o", dest, path])
        guard r.status == 0 else { throw BenchError("strip failed: \(r.stderr)") }
        return dest
    }

    static func instructions(_ binary: String, _ name: String, iterations: Int) throws -> Int {
        let r = try Child.run(
            "/usr/bin/valgrind",
            [
                "--tool=callgrind", "--callgrind-out-file=/dev/null",
                binary, "run", name, "-i", String(iterations),
            ])
        // "==123== Collected : 456789"
        guard r.status == 0, let line = r.stderr.split(separator: "\n").first(where: { $0.contains("Collected :") }),
            let n = Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
        else {
            throw BenchError("callgrind run of \(name) failed (status \(r.status)): \(r.stderr.suffix(800))")
        }
        return n
    }
}

/// The table, and which benchmarks regressed against the baseline.
struct BenchReport {
    var text = ""
    var regressions: [String] = []

    init(results: BenchResults, baseline: BenchResults?, tolerance: Double) {
        let reference = results.benchmarks["stream.tcp.16k"]?.wallNanosPerOp
        text += "machine: \(results.machine)\n"
        if let b = baseline { text += "baseline: \(b.date) on \(b.machine); gate: instructions/op +\(tolerance)%\n" }
        text += "\n" + row("benchmark", "instr/op", "baseline", "change", "wall/op", "÷ tcp.16k") + "\n"
        for name in results.benchmarks.keys.sorted() {
            let r = results.benchmarks[name]!
            let base = baseline?.benchmarks[name]?.instructionsPerOp
            var change = "–"
            if let now = r.instructionsPerOp, let base, base > 0 {
                let pct = (now / base - 1) * 100
                change = String(format: "%+.1f%%", pct)
                if pct > tolerance { change += " REGRESSION"; regressions.append(name) }
            }
            let ratio = zip2(r.wallNanosPerOp, reference).map { String(format: "%.2f×", $0 / $1) } ?? "–"
            text +=
                row(
                    name, r.instructionsPerOp.map(count) ?? "–", base.map(count) ?? "–", change,
                    r.wallNanosPerOp.map(nanos) ?? "–", ratio) + "\n"
        }
        text += regressions.isEmpty ? "\nno regressions\n" : "\n\(regressions.count) regression(s): \(regressions.joined(separator: ", "))\n"
    }

    private func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
        guard let a, let b else { return nil }
        return (a, b)
    }
    private func row(_ c: String...) -> String {
        zip(c, [26, 12, 12, 18, 12, 10]).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
    private func count(_ x: Double) -> String { x >= 1e6 ? String(format: "%.2fM", x / 1e6) : String(format: "%.1fk", x / 1e3) }
    private func nanos(_ x: Double) -> String { x >= 1e6 ? String(format: "%.2f ms", x / 1e6) : String(format: "%.1f µs", x / 1e3) }
}
