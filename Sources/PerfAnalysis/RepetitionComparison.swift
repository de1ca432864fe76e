/// A figure compared between two runs, one value per repetition (one perf9 case = one repetition).
package enum Metric: String, Sendable, Codable, CaseIterable {
    case throughput
    case handshakeRate = "handshakes/s"
    case latencyP50 = "latency p50"
    case latencyP99 = "latency p99"

    /// Throughput and rates: more is better. Latencies: less is better.
    package var higherIsBetter: Bool { self == .throughput || self == .handshakeRate }

    /// The metrics of a test: echo → throughput; handshake benchmark → rate and latency percentiles.
    static func metrics(for t: TestSummary) -> [Metric] {
        t.isHandshakeBenchmark ? [.handshakeRate, .latencyP50, .latencyP99] : [.throughput]
    }

    /// This repetition's figure: bytes/s, handshakes/s or nanoseconds.
    func value(_ t: TestSummary) -> Double? {
        switch self {
        case .throughput: return t.throughput
        case .handshakeRate: return t.handshakeRate
        case .latencyP50: return LatencySummary(nanos: t.handshakes)?.median
        case .latencyP99: return LatencySummary(nanos: t.handshakes)?.p99
        }
    }

    package func format(_ v: Double) -> String {
        switch self {
        case .throughput: return Units.rate(v)
        case .handshakeRate: return String(format: "%.0f/s", v)
        case .latencyP50, .latencyP99: return Units.millis(v)
        }
    }
}

/// How `--compare` decides.
package struct CompareOptions: Sendable, Equatable {
    /// Two-sided level of the interval (and of the Mann–Whitney test it inverts).
    package var alpha = 0.05
    /// `--min-effect`: a significant change smaller than this (percent) is reported as no change.
    package var minEffect = 3.0
    package init(alpha: Double = 0.05, minEffect: Double = 3.0) {
        self.alpha = alpha
        self.minEffect = minEffect
    }
}

/// One metric of one configuration, OLD vs NEW, on per-repetition values.
package struct MetricComparison: Sendable, Equatable {
    package enum Verdict: String, Sendable, Codable {
        case faster
        case slower
        /// Faster or slower, but the runs' conditions differ (load, CPU, cores, build): not a
        /// verdict on the code, and not counted by `--fail-on-regression`.
        case fasterWithheld = "faster?"
        case slowerWithheld = "slower?"
        case noChange = "no change"
        case notEnough = "not enough repetitions"
        case noData = "no data"
    }

    /// The configuration (like with like): "echo — tls 1.3, 10 clients, 16.00 KB chunks, …".
    package var configuration: String
    package var metric: Metric
    package var old: [Double]
    package var new: [Double]
    package var estimate: HodgesLehmann?
    package var verdict: Verdict
    /// Why the verdict is what it is, one line.
    package var reason: String

    package init(configuration: String, metric: Metric, old: [Double], new: [Double], options: CompareOptions = .init()) {
        self.configuration = configuration
        self.metric = metric
        self.old = old
        self.new = new
        estimate = HodgesLehmann(old: old, new: new, alpha: options.alpha)
        let need = HodgesLehmann.minimumRepetitions(alpha: options.alpha)
        guard let e = estimate else {
            verdict = .noData
            reason = "a side has no positive value"
            return
        }
        guard e.hasInterval else {
            verdict = .notEnough
            reason = "\(old.count) vs \(new.count) repetitions cannot reach α = \(options.alpha) (need at least \(need) per side; runner --repeat N)"
            return
        }
        let pct = e.percent
        let better = metric.higherIsBetter ? pct > 0 : pct < 0
        if !e.significant {
            verdict = .noChange
            reason = "the \(Int(((1 - options.alpha) * 100).rounded()))% interval contains 0"
        } else if abs(pct) < options.minEffect {
            verdict = .noChange
            reason = "significant, but \(Units.percent(pct)) is below the \(TextReport.fmt(options.minEffect))% minimum effect (--min-effect)"
        } else {
            verdict = better ? .faster : .slower
            reason = "the interval excludes 0 and |\(Units.percent(pct))| ≥ \(TextReport.fmt(options.minEffect))%"
        }
    }

    /// The runs' conditions differ (``RunFacts/conditions(to:)``, e.g. "load at start 3.50 → 4.10"):
    /// a faster/slower verdict becomes "faster?"/"slower?" with the conditions as its reason.
    package mutating func withhold(conditions: [String]) {
        guard !conditions.isEmpty else { return }
        switch verdict {
        case .faster: verdict = .fasterWithheld
        case .slower: verdict = .slowerWithheld
        default: return
        }
        reason = "conditions differ: " + conditions.joined(separator: ", ")
    }

    /// Whether the verdict was withheld because the runs' conditions differ.
    package var isWithheld: Bool { verdict == .fasterWithheld || verdict == .slowerWithheld }

    /// A significant slowdown (throughput/rate drop, latency rise) of more than `percent`.
    package func isRegression(beyond percent: Double) -> Bool {
        guard verdict == .slower, let e = estimate else { return false }
        return abs(e.percent) > percent
    }

    package var oldMedian: Double? { Statistics.median(old) }
    package var newMedian: Double? { Statistics.median(new) }
}

/// Pairs the two runs' cases by configuration and compares every metric.
package enum RepetitionComparison {
    /// The configuration a case belongs to; its cases are the repetitions.
    static func configuration(_ t: TestSummary) -> String {
        let c = t.perfCase.configuration
        if t.isHandshakeBenchmark {
            return "handshake — \(t.handshakeLabel), \(c.parallel), \(c.serverCount)×server \(c.clientHostCount)×client-host"
                + (c.placement == "shared" ? "" : ", placement \(c.placement)")
        }
        return "\(t.perfCase.test) — \(c.label)"
    }

    static func groups(_ tests: [TestSummary]) -> [(String, [TestSummary])] {
        var order: [String] = []
        var by: [String: [TestSummary]] = [:]
        for t in tests {
            let k = configuration(t)
            if by[k] == nil { order.append(k) }
            by[k, default: []].append(t)
        }
        return order.sorted().map { ($0, by[$0]!) }
    }

    package static func compare(old: [TestSummary], new: [TestSummary], options: CompareOptions) -> [MetricComparison] {
        let n = Dictionary(groups(new), uniquingKeysWith: { a, _ in a })
        var out: [MetricComparison] = []
        for (key, o) in groups(old) {
            guard let nn = n[key], let first = o.first else { continue }
            for m in Metric.metrics(for: first) {
                out.append(
                    MetricComparison(
                        configuration: key, metric: m, old: o.compactMap(m.value),
                        new: nn.compactMap(m.value), options: options))
            }
        }
        return out
    }

    /// Configurations only one side has.
    package static func unmatched(old: [TestSummary], new: [TestSummary]) -> [String] {
        let o = Set(groups(old).map(\.0)), n = Set(groups(new).map(\.0))
        return o.subtracting(n).sorted().map { "only in OLD: \($0)" } + n.subtracting(o).sorted().map { "only in NEW: \($0)" }
    }
}
