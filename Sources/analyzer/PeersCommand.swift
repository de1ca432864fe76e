import ArgumentParser
import Foundation
import PerfAnalysis

/// `analyzer peers DIR`: the side-by-side table of a tools/compare-peers results directory.
struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyzer peers",
        abstract: "Print a tools/compare-peers run side by side, each figure also as a ratio to JSec's.",
        discussion: "DIR holds run.json and measurements.jsonl. Exit status: 0 success; 2 bad input or usage.")

    @Argument(help: "A tools/compare-peers results directory.")
    var directory: String

    @Option(help: "Output format: text, json or markdown.")
    var format: ReportFormat = .text

    func run() throws {
        let outcome = PeersReport.execute(directory: directory, format: format)
        FileHandle.standardOutput.write(Data(outcome.stdout.utf8))
        for line in outcome.stderr { FileHandle.standardError.write(Data("analyzer: \(line)\n".utf8)) }
        if outcome.status != 0 { throw ExitCode(outcome.status) }
    }
}
