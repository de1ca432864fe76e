import Foundation

/// What a run used (the results file's `run` metadata and its cases' placement), for the warnings
/// `analyzer --compare` prints when two runs differ — a difference there can explain a "change".
package struct RunFacts: Sendable, Equatable {
    package var values: [(String, String)]
    /// 1-minute load averages at start and end (nil: not recorded).
    package var loadStart: Double?
    package var loadEnd: Double?

    /// Load averages differing by at least this much (runnable threads) are warned about, and
    /// withhold the verdicts (see ``conditions(to:)``).
    package static let loadTolerance = 0.5

    /// The facts whose difference withholds a verdict: a change measured on another CPU, core count
    /// or build is not the code's. (OpenSSL and Swift versions only warn: comparing them is a
    /// reason to run --compare; placement and parallel mode are part of every configuration.)
    package static let conditionKeys: Set<String> = ["CPU model", "cores", "build"]

    package static func == (a: RunFacts, b: RunFacts) -> Bool {
        a.values.map { $0.0 + "=" + $0.1 } == b.values.map { $0.0 + "=" + $0.1 } && a.loadStart == b.loadStart && a.loadEnd == b.loadEnd
    }

    package init(_ f: LoadedFile) {
        let e = f.run.extra
        let placements = Set(f.cases.map(\.configuration.placement)).sorted().joined(separator: ", ")
        let modes = Set(f.cases.map(\.configuration.parallel)).sorted().joined(separator: ", ")
        values = [
            ("CPU model", e["cpuModel"] ?? "not recorded"),
            ("cores", e["cpuCount"] ?? "not recorded"),
            ("OpenSSL", f.run.opensslVersion ?? "not recorded"),
            ("Swift", f.run.swiftVersion ?? "not recorded"),
            ("build", e["buildConfiguration"] ?? "not recorded"),
            ("tasks on event loops", e["tasksOnEventLoops"] ?? "not recorded"),
            ("placement", placements.isEmpty ? "not recorded" : placements),
            ("parallel mode", modes.isEmpty ? "not recorded" : modes),
        ]
        func first(_ s: String?) -> Double? { s?.split(separator: " ").first.flatMap { Double($0) } }
        loadStart = first(e["loadAverageStart"])
        loadEnd = first(e["loadAverageEnd"])
    }

    /// One line per difference, e.g. "build differs: OLD release, NEW debug".
    package func differences(to new: RunFacts) -> [String] {
        var out: [String] = []
        for ((k, a), (_, b)) in zip(values, new.values) where a != b {
            out.append("\(k) differs: OLD \(a), NEW \(b)")
        }
        for (name, a, b) in [("load average at start", loadStart, new.loadStart), ("load average at end", loadEnd, new.loadEnd)] {
            guard let a, let b else { continue }
            if abs(a - b) >= Self.loadTolerance {
                out.append(
                    "\(name) differs: OLD " + String(format: "%.2f", a) + ", NEW " + String(format: "%.2f", b) + " (1-minute; other load on the machine?)")
            }
        }
        return out
    }

    /// The conditions that differ between the runs, short ("load at start 3.50 → 4.10", "build
    /// release → debug"): the load averages past ``loadTolerance`` and the ``conditionKeys`` when
    /// both runs recorded them. Non-empty: a faster/slower verdict is withheld ("slower?").
    package func conditions(to new: RunFacts) -> [String] {
        var out: [String] = []
        for (name, a, b) in [("load at start", loadStart, new.loadStart), ("load at end", loadEnd, new.loadEnd)] {
            guard let a, let b, abs(a - b) >= Self.loadTolerance else { continue }
            out.append("\(name) " + String(format: "%.2f", a) + " → " + String(format: "%.2f", b))
        }
        for ((k, a), (_, b)) in zip(values, new.values) where Self.conditionKeys.contains(k) && a != b {
            if a == "not recorded" || b == "not recorded" { continue }
            out.append("\(k) \(a) → \(b)")
        }
        return out
    }

    /// "cores 2, build release, …" plus the loads, for the report header.
    package var text: String {
        var parts = values.map { "\($0.0) \($0.1)" }
        if let s = loadStart, let e = loadEnd { parts.append(String(format: "load %.2f → %.2f", s, e)) }
        return parts.joined(separator: "; ")
    }
}
