/// The result of `--compare OLD NEW`: per configuration and metric, the change of the
/// per-repetition values with its interval and verdict (see ``MetricComparison``).
package struct ComparisonReport: Sendable {
    package var oldFiles: [String]
    package var newFiles: [String]
    package var options: CompareOptions
    package var rows: [MetricComparison]
    package var unmatched: [String]
    /// Differences between the two runs' machines and settings (``RunFacts``).
    package var warnings: [String]
    /// The conditions that differ (load, CPU model, cores, build): non-empty withholds every
    /// faster/slower verdict (``MetricComparison/withhold(conditions:)``).
    package var conditions: [String] = []
    /// The `--fail-on-regression` limit in percent, if given.
    package var failOnRegression: Double?

    package init(old: LoadedFile, new: LoadedFile, options: CompareOptions = .init(), failOnRegression: Double? = nil) {
        self.init(
            oldFiles: [old.summary], old: old.cases, newFiles: [new.summary], new: new.cases,
            options: options, failOnRegression: failOnRegression)
        warnings = RunFacts(old).differences(to: RunFacts(new))
        conditions = RunFacts(old).conditions(to: RunFacts(new))
        for i in rows.indices { rows[i].withhold(conditions: conditions) }
    }

    package init(
        oldFiles: [String], old: [PerfCase], newFiles: [String], new: [PerfCase],
        options: CompareOptions = .init(), failOnRegression: Double? = nil
    ) {
        self.oldFiles = oldFiles
        self.newFiles = newFiles
        self.options = options
        let o = old.map(TestSummary.init), n = new.map(TestSummary.init)
        rows = RepetitionComparison.compare(old: o, new: n, options: options)
        unmatched = RepetitionComparison.unmatched(old: o, new: n)
        warnings = []
        self.failOnRegression = failOnRegression
    }

    /// Rows over the `--fail-on-regression` limit (empty without a limit).
    package var regressions: [MetricComparison] {
        guard let limit = failOnRegression else { return [] }
        return rows.filter { $0.isRegression(beyond: limit) }
    }

    /// Faster/slower rows withheld because the conditions differ.
    package var withheld: [MetricComparison] { rows.filter(\.isWithheld) }

    /// Whether the two sides share no configuration: nothing was compared.
    package var nothingInCommon: Bool { rows.isEmpty }

    /// Why nothing was compared, and which report answers the question instead (one line).
    package func nothingInCommonText(old: String, new: String) -> String {
        let o = unmatched.filter { $0.hasPrefix("only in OLD") }.count, n = unmatched.count - o
        return "\(old) and \(new) have no case in common (OLD: \(o) configuration(s), NEW: \(n)): --compare pairs the "
            + "repetitions of one configuration, e.g. before and after a change. For TCP vs TLS under the same load, run "
            + "`analyzer -n \(old) \(new)`: its section \"Encrypted vs Plaintext (same load)\" gives the ratio"
    }

    package static let method =
        "Hodges–Lehmann change of the per-repetition values (NEW vs OLD, on log scale) with its "
        + "distribution-free interval (inverted Mann–Whitney test, exact for ≤ 2500 pairs)"
}
