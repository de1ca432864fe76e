import ArgumentParser
import Foundation
import JSec
import Synchronization

/// Micro-benchmarks of JSec's hot paths, with saved baselines (DESIGN §5: speed is
/// measured, never asserted in functional tests).
///
/// Two measures per benchmark:
/// - instructions per operation, from two `valgrind --tool=callgrind` runs with different
///   iteration counts (their difference cancels set-up). Instruction counts are stable on
///   this shared, noisy machine, so they are what the baseline comparison gates on.
/// - wall time per operation (best of several runs), reported as a ratio to `stream.tcp.16k`
///   measured in the same run.
@main
struct JSecBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jsec-bench", abstract: "JSec micro-benchmarks with saved baselines.",
        subcommands: [List.self, Run.self, Measure.self, Coordination.self], defaultSubcommand: Measure.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the benchmarks.")
        func run() {
            for b in Benchmarks.all { print("\(b.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(b.summary)") }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run one benchmark N times in this process; print one JSON line.")
        @Argument var name: String
        @Option(name: .shortAndLong) var iterations: Int = 1000

        func run() throws {
            guard let b = Benchmarks.all.first(where: { $0.name == name }) else {
                throw ValidationError("unknown benchmark '\(name)' (see jsec-bench list)")
            }
            guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
            // The main thread blocks on a semaphore instead of parking in dispatch_main:
            // callgrind crashes on libdispatch's sigsuspend-based main thread.
            if ProcessInfo.processInfo.environment["JSEC_TASKS_ON_EVENT_LOOPS"] == "1" {
                JSecRuntime.runTasksOnEventLoops()
            }
            let done = DispatchSemaphore(value: 0)
            let outcome = Outcome()
            let count = iterations
            Task.detached {
                let r: Result<Int64, any Error>
                do { r = .success(try await Self.measure(b, iterations: count)) } catch { r = .failure(error) }
                outcome.result.withLock { $0 = r }
                done.signal()
            }
            done.wait()
            let nanos = try outcome.result.withLock { $0 }.get()
            print("{\"name\":\"\(name)\",\"iterations\":\(iterations),\"nanos\":\(nanos)}")
        }

        /// The detached measurement's result, read after its semaphore (a class: the task's closure escapes).
        final class Outcome: Sendable {
            let result = Mutex<Result<Int64, any Error>>(.failure(BenchError("the benchmark did not finish")))
        }

        static func measure(_ b: Benchmark, iterations: Int) async throws -> Int64 {
            let op = try await b.make()
            let start = ContinuousClock.now
            for _ in 0..<iterations { try await op.op() }
            let elapsed = ContinuousClock.now - start
            await op.tearDown()
            return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        }
    }

    struct Measure: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure every benchmark (instructions/op under callgrind, wall ns/op) and compare with a baseline.")
        @Option(help: "Only benchmarks whose name contains this.") var filter: String?
        @Option(help: "Baseline JSON to compare with.") var baseline: String?
        @Option(help: "Write this run as a baseline JSON here.") var save: String?
        @Option(help: "Flag a benchmark whose instructions/op grew by more than this percentage.") var tolerance: Double = 5
        @Flag(help: "Skip the callgrind runs (wall time only).") var noCallgrind = false
        @Option(help: "Wall-time runs per benchmark (the best is kept).") var repeats: Int = 3

        func run() throws {
            let benches = Benchmarks.all.filter { filter == nil || $0.name.contains(filter!) }
            guard !benches.isEmpty else { throw ValidationError("no benchmark matches '\(filter ?? "")'") }
            let base = try baseline.map { try BenchResults.load($0) }
            var results = BenchResults(machine: BenchResults.machineDescription(), date: ISO8601DateFormatter().string(from: Date()), benchmarks: [:])
            let selfPath = CommandLine.arguments[0]
            let valgrindBinary = noCallgrind ? nil : try Callgrind.strippedCopy(of: selfPath)
            for b in benches {
                var r = BenchResult()
                r.wallNanosPerOp = try (0..<repeats).map { _ in try Child.wallNanosPerOp(selfPath, b.name, iterations: b.callgrindIterations.1) }.min()
                if let vg = valgrindBinary {
                    let (n1, n2) = b.callgrindIterations
                    let i1 = try Callgrind.instructions(vg, b.name, iterations: n1)
                    let i2 = try Callgrind.instructions(vg, b.name, iterations: n2)
                    r.instructionsPerOp = Double(i2 - i1) / Double(n2 - n1)
                }
                results.benchmarks[b.name] = r
                FileHandle.standardError.write(Data("measured \(b.name)\n".utf8))
            }
            let report = BenchReport(results: results, baseline: base, tolerance: tolerance)
            print(report.text)
            if let save { try results.save(save); print("saved baseline: \(save)") }
            if !report.regressions.isEmpty { throw ExitCode(3) }
        }
    }

    struct Coordination: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the harness round-trip latencies from a runner results file (performance/coordination).")
        @Argument var results: String

        func run() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: results))
            guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let cases = root["cases"] as? [[String: Any]]
            else { throw ValidationError("\(results): not a results file") }
            var printed = 0
            for c in cases {
                for entry in c["data"] as? [[String: Any]] ?? [] {
                    guard let d = entry["data"] as? [String: Any], let mode = d["mode"] as? String else { continue }
                    func us(_ k: String) -> String { (d[k] as? Double).map { String(format: "%7.1f µs", $0) } ?? "?" }
                    print(
                        "  \(mode.padding(toLength: 8, withPad: " ", startingAt: 0)) event median \(us("eventMedianUs")), p99 \(us("eventP99Us"));"
                            + "  barrier median \(us("barrierMedianUs")), p99 \(us("barrierP99Us"))")
                    printed += 1
                }
                if (c["status"] as? String) != "passed" { print("  case \(c["id"] ?? "?") \(c["status"] ?? "?")") }
            }
            if printed == 0 { throw ValidationError("\(results): no coordination round-trip report") }
        }
    }
}
