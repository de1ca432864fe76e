/// OLD versus NEW, group by group: the change of the mean throughput and
/// whether the per-client throughput samples differ significantly.
public struct GroupComparison: Sendable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        case faster = "significantly faster"
        case slower = "significantly slower"
        case noChange = "no significant change"
        case tooFewSamples = "too few samples"
        case notComparable = "no throughput samples"
    }

    public var dimension: GroupDimension
    public var name: String
    public var old: GroupSummary
    public var new: GroupSummary
    /// Percent change of the mean test throughput, NEW relative to OLD.
    public var change: Double?
    /// Percent change of the per-client median throughput.
    public var clientMedianChange: Double?
    public var test: MannWhitneyU?
    public var verdict: Verdict
    /// Handshake-benchmark groups compare handshake latency (lower is
    /// better) instead of throughput.
    public var comparesLatency: Bool

    /// Fewer client samples than this on either side gives no verdict.
    public static let minimumSamples = 3
    public static let alpha = 0.05

    public init(dimension: GroupDimension, old: GroupSummary, new: GroupSummary) {
        self.dimension = dimension
        self.name = old.name
        self.old = old
        self.new = new
        comparesLatency = dimension == .handshakeBenchmark
        let x: [Double], y: [Double]
        if comparesLatency {
            change = Self.percentChange(old.handshake?.mean, new.handshake?.mean)
            clientMedianChange = Self.percentChange(old.handshake?.median, new.handshake?.median)
            x = old.tests.flatMap(\.handshakes).map(Double.init)
            y = new.tests.flatMap(\.handshakes).map(Double.init)
        } else {
            change = Self.percentChange(old.throughput?.mean, new.throughput?.mean)
            clientMedianChange = Self.percentChange(old.perClient?.median, new.perClient?.median)
            x = old.clientThroughputs
            y = new.clientThroughputs
        }
        test = MannWhitneyU(x, y)
        if x.isEmpty || y.isEmpty {
            verdict = .notComparable
        } else if min(x.count, y.count) < Self.minimumSamples {
            verdict = .tooFewSamples
        } else if let t = test, t.p < Self.alpha {
            // u1 counts pairs where OLD > NEW: more than half means NEW is
            // lower — slower for throughput, faster for latency.
            let newIsLower = t.u1 > Double(t.n1 * t.n2) / 2
            verdict = newIsLower != comparesLatency ? .slower : .faster
        } else {
            verdict = .noChange
        }
    }

    static func percentChange(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b, a != 0 else { return nil }
        return (b - a) / a * 100
    }

    /// A significant (p < 0.05) throughput drop of more than `percent`
    /// (handshake benchmark: a latency rise of more than `percent`).
    public func isRegression(beyond percent: Double) -> Bool {
        guard verdict == .slower, let c = change else { return false }
        return comparesLatency ? c > percent : c < -percent
    }
}

/// All group comparisons between two sets of tests.
public enum Comparison {
    /// Sections compared, in order; configuration groups first, as they
    /// compare like with like.
    public static let dimensions: [GroupDimension] = [.configuration] + GroupDimension.reportSections

    public static func compare(old: [TestSummary], new: [TestSummary]) -> [(GroupDimension, [GroupComparison])] {
        dimensions.compactMap { d in
            let o = Grouping.groups(old, by: d)
            let n = Dictionary(Grouping.groups(new, by: d).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            let pairs = o.compactMap { g in n[g.key].map { GroupComparison(dimension: d, old: g, new: $0) } }
            return pairs.isEmpty ? nil : (d, pairs)
        }
    }

    /// Groups that only one side has, as "OLD only: …" notes.
    public static func unmatched(old: [TestSummary], new: [TestSummary]) -> [String] {
        let o = Set(Grouping.groups(old, by: .configuration).map(\.name))
        let n = Set(Grouping.groups(new, by: .configuration).map(\.name))
        return o.subtracting(n).sorted().map { "only in OLD: \($0)" }
            + n.subtracting(o).sorted().map { "only in NEW: \($0)" }
    }
}
