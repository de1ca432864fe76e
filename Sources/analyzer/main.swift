// analyzer: turns perf9 results (Assay results files) into reports,
// comparisons with a significance test, and SVG charts. See docs/perf9.md.
import ArgumentParser
import AssayResults
import Foundation
import PerfAnalysis

extension ReportFormat: ExpressibleByArgument {}

struct Analyzer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyzer",
        abstract: "Summarise perf9 benchmark results from Assay results files.",
        discussion: """
            Exit status: 0 success (also when --compare has too few repetitions for a verdict: it says so); \
            1 a regression beyond --fail-on-regression; 2 bad input or usage (missing, truncated or foreign \
            file, no perf data).
            `analyzer merge SHARD.json … -o ALL.json [--junit ALL.xml]` merges the shards of one run (see `analyzer merge --help`).
            `analyzer peers DIR` prints a tools/compare-peers run side by side (see `analyzer peers --help`).
            Input files are read up to 64 MiB each (ANALYZER_MAX_INPUT_MIB overrides).
            """,
        version: "analyzer (Assay) \(AssayVersion.text)")

    @Argument(help: "Assay results files (runner --json FILE). With --compare: exactly OLD NEW, each side one file or several comma-separated.")
    var files: [String] = []

    @Flag(name: [.customShort("n"), .customLong("groups-only")], help: "Print group sections only, no per-test lines.")
    var groupsOnly = false

    @Flag(help: "Print a full block for every test.")
    var detail = false

    @Flag(
        help:
            "Compare two results files: OLD NEW, on per-repetition figures (runner --repeat N): Hodges–Lehmann change with its confidence interval and a verdict."
    )
    var compare = false

    @Option(
        name: .customLong("min-effect"),
        help: ArgumentHelp(
            "With --compare: a significant change smaller than PCT percent counts as no change (default 3).", valueName: "PCT"))
    var minEffect: Double = CompareOptions().minEffect

    @Option(
        name: .customLong("fail-on-regression"),
        help: ArgumentHelp(
            "With --compare: exit 1 when a metric is significantly slower by more than PCT percent.",
            valueName: "PCT"))
    var failOnRegression: Double?

    @Option(help: "Output format: text, json or markdown.")
    var format: ReportFormat = .text

    @Option(help: ArgumentHelp("Write SVG charts into DIR.", valueName: "DIR"))
    var plot: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one results file") }
        if compare && files.count != 2 { throw ValidationError("--compare takes exactly two files: OLD NEW") }
        if failOnRegression != nil && !compare { throw ValidationError("--fail-on-regression needs --compare") }
        if let p = failOnRegression, !(p >= 0 && p.isFinite) {
            throw ValidationError("--fail-on-regression takes a finite percentage ≥ 0 (got \(p))")
        }
        if !(minEffect >= 0 && minEffect.isFinite) { throw ValidationError("--min-effect takes a finite percentage ≥ 0 (got \(minEffect))") }
        if groupsOnly && detail { throw ValidationError("-n and --detail exclude each other") }
    }

    func run() throws {
        let outcome = AnalyzerInvocation(
            files: files, compare: compare, detail: groupsOnly ? .groupsOnly : detail ? .everyTest : .normal,
            format: format, plotDirectory: plot, failOnRegression: failOnRegression,
            compareOptions: CompareOptions(minEffect: minEffect)
        ).execute()
        FileHandle.standardOutput.write(Data(outcome.stdout.utf8))
        for line in outcome.stderr { FileHandle.standardError.write(Data("analyzer: \(line)\n".utf8)) }
        if outcome.status != 0 { throw ExitCode(outcome.status) }
    }
}

// `analyzer peers DIR` (tools/compare-peers) is its own command; everything else is the perf9 analyzer.
if CommandLine.arguments.dropFirst().first == "peers" {
    do {
        let command = try PeersCommand.parse(Array(CommandLine.arguments.dropFirst(2)))
        try command.run()
        PeersCommand.exit()
    } catch let code as ExitCode {
        PeersCommand.exit(withError: code)
    } catch {
        if PeersCommand.exitCode(for: error) == .success { PeersCommand.exit(withError: error) }
        FileHandle.standardError.write(Data("analyzer: \(PeersCommand.message(for: error))\n".utf8))
        PeersCommand.exit(withError: ExitCode(2))
    }
}

// `analyzer merge FILES -o OUT` combines shard results files (runner --shard K/N).
if CommandLine.arguments.dropFirst().first == "merge" {
    do {
        let command = try MergeCommand.parse(Array(CommandLine.arguments.dropFirst(2)))
        try command.run()
        MergeCommand.exit()
    } catch let code as ExitCode {
        MergeCommand.exit(withError: code)
    } catch let failure as MergeFailure {
        FileHandle.standardError.write(Data("analyzer: \(failure)\n".utf8))
        MergeCommand.exit(withError: ExitCode(2))
    } catch {
        if MergeCommand.exitCode(for: error) == .success { MergeCommand.exit(withError: error) }
        FileHandle.standardError.write(Data("analyzer: \(MergeCommand.message(for: error))\n".utf8))
        MergeCommand.exit(withError: ExitCode(2))
    }
}

// Usage errors exit 2 (like the runner), not ArgumentParser's 64.
do {
    var command = try Analyzer.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    Analyzer.exit(withError: code)
} catch {
    if Analyzer.exitCode(for: error) == .success { Analyzer.exit(withError: error) }
    FileHandle.standardError.write(Data("analyzer: \(Analyzer.message(for: error))\n".utf8))
    Analyzer.exit(withError: ExitCode(2))
}
