import Foundation

/// Selection beyond the filter language: `--tag` and `--failed-from` /
/// `--last-failed`. Both narrow the plan the filters made.
enum Selection {
    /// Where every run leaves its results for `--last-failed` (relative to the
    /// working directory; `ASSAY_LAST_RESULTS` overrides it).
    static func lastResultsPath(environment: [String: String]) -> String {
        if let p = environment["ASSAY_LAST_RESULTS"], !p.isEmpty { return p }
        return ".build/assay/last-results.json"
    }

    /// Keeps the cases whose test has at least one of `tags` (case-insensitive).
    static func keep(_ plan: Plan, tags: [String]) -> Plan {
        let wanted = Set(tags.map { $0.lowercased() })
        return narrowed(plan) { c in c.test.options.tags.contains { wanted.contains($0.lowercased()) } }
    }

    static func narrowed(_ plan: Plan, _ keep: (PlannedCase) -> Bool) -> Plan {
        var p = plan
        p.suites = plan.suites.compactMap { s in
            var s = s
            s.cases = s.cases.filter(keep)
            return s.cases.isEmpty ? nil : s
        }
        return p
    }

    /// The ids of the cases that failed (failed, timed out, crashed, passed
    /// unexpectedly) in a results file, as filters selecting exactly them;
    /// nil with a one-line reason when the file cannot be used.
    static func failedFilters(from path: String) -> Result<[FilterExpression], SelectionError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(
                SelectionError(
                    description:
                        "--failed-from \(path): cannot read it (\(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))"))
        }
        let results: RunResults
        do { results = try RunResults.decode(data) } catch {
            return .failure(SelectionError(description: "--failed-from \(path): not a readable assay results file (\(error))"))
        }
        var out: [FilterExpression] = []
        for c in results.cases where c.status.isFailure {
            do { out.append(try FilterExpression.parse(c.id)) } catch {
                return .failure(SelectionError(description: "--failed-from \(path): case id \(c.id) does not parse: \(error.message)"))
            }
        }
        return .success(out)
    }
}

struct SelectionError: Error, CustomStringConvertible {
    let description: String
}
