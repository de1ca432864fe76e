/// Descriptive statistics over plain samples (throughputs).
package enum Statistics {
    package static func mean(_ xs: [Double]) -> Double? {
        xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
    }

    package static func median(_ xs: [Double]) -> Double? { percentile(xs, 50) }

    /// Percentile `p` (0…100) by linear interpolation between closest ranks
    /// (Hyndman–Fan type 7, the default of NumPy, R and spreadsheets).
    package static func percentile(_ xs: [Double], _ p: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        let h = Double(s.count - 1) * min(max(p, 0), 100) / 100
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }

    /// Mean, median, p95, min and max of `xs`, or nil when it is empty.
    package static func summary(_ xs: [Double]) -> Summary? {
        guard let m = mean(xs), let med = median(xs), let p95 = percentile(xs, 95),
            let lo = xs.min(), let hi = xs.max()
        else { return nil }
        return Summary(count: xs.count, mean: m, median: med, p95: p95, min: lo, max: hi)
    }

    package struct Summary: Sendable, Equatable, Codable {
        package var count: Int
        package var mean: Double
        package var median: Double
        package var p95: Double
        package var min: Double
        package var max: Double
    }
}
