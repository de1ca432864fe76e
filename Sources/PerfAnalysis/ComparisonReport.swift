/// The result of `--compare OLD NEW`.
public struct ComparisonReport: Sendable {
    public var oldFiles: [String]
    public var newFiles: [String]
    public var sections: [(GroupDimension, [GroupComparison])]
    public var unmatched: [String]
    /// The `--fail-on-regression` limit in percent, if given.
    public var failOnRegression: Double?

    public init(oldFiles: [String], old: [PerfCase], newFiles: [String], new: [PerfCase], failOnRegression: Double?) {
        self.oldFiles = oldFiles
        self.newFiles = newFiles
        let o = old.map(TestSummary.init), n = new.map(TestSummary.init)
        sections = Comparison.compare(old: o, new: n)
        unmatched = Comparison.unmatched(old: o, new: n)
        self.failOnRegression = failOnRegression
    }

    /// Groups over the `--fail-on-regression` limit (empty without a limit).
    public var regressions: [GroupComparison] {
        guard let limit = failOnRegression else { return [] }
        return sections.flatMap(\.1).filter { $0.isRegression(beyond: limit) }
    }
}
