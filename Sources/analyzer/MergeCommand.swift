import ArgumentParser
import AssayResults
import Foundation
import PerfAnalysis

/// `analyzer merge a.json b.json … -o all.json [--junit all.xml]`: the shards
/// of one run (`runner --shard K/N --json …`) as one results file.
///
/// It lives in the analyzer, not the runner: merging needs no suite, no
/// catalog and no OpenSSL — only results files — so one analyzer serves every
/// runner built on Assay (the project's, the fixture runner, a user's), and a
/// CI merge job needs nothing but this binary and the shards' files.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyzer merge",
        abstract: "Merge the results files of the shards of one run into one results file (and JUnit XML).",
        discussion: """
            The inputs must be every shard (1/N … N/N) of one plan, from one commit and one filter set; \
            --force merges anyway (except overlapping inputs). The output does not depend on the order of \
            the inputs. Exit status: 0 merged, nothing failed; 1 merged, the merged run has failures; \
            2 bad input, refused merge or usage.
            """)

    @Argument(help: "Results files of the shards (runner --shard K/N --json FILE).")
    var files: [String] = []

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the merged results here (atomically).", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Also write the merged run as JUnit XML.", valueName: "file"))
    var junit: String?

    @Flag(help: "Merge even from different commits, filter sets or plans, or with shards missing.")
    var force = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the shards' results files") }
    }

    func run() throws {
        var inputs: [ResultsMerge.Input] = []
        for f in files {
            // The same input limit as `analyzer FILE` (64 MiB, ANALYZER_MAX_INPUT_MIB).
            let data: Data
            do { data = try ResultsLoader.read(path: f) } catch { throw MergeFailure(error.description) }
            do { inputs.append(.init(name: f, results: try RunResults.decode(data))) } catch {
                throw MergeFailure("\(f): not a readable results file: \(error)")
            }
        }
        let merged: RunResults
        do {
            merged = try ResultsMerge.merge(
                inputs, force: force,
                commandLine: ["analyzer", "merge"]
                    + files.map {
                        URL(fileURLWithPath: $0).lastPathComponent
                    }.sorted())
        } catch let e as MergeError {
            throw MergeFailure("refused: " + e.message)
        }
        do { try merged.write(to: output) } catch { throw MergeFailure("cannot write \(output): \(error)") }
        if let junit {
            do { try JUnitWriter.write(merged, to: junit) } catch { throw MergeFailure("cannot write \(junit): \(error)") }
        }
        let t = merged.totals
        print(
            "merged \(inputs.count) file\(inputs.count == 1 ? "" : "s"): \(t.cases) cases in \(merged.suites.count) suites; "
                + "\(t.passed) passed, \(t.failures) failed, \(t.skipped) skipped → \(output)")
        if t.failures > 0 { throw ExitCode(1) }
    }
}

/// A merge problem: printed as `analyzer: …`, exit status 2.
struct MergeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
