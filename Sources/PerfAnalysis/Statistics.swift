/// Descriptive statistics over plain samples (throughputs).
public enum Statistics {
    public static func mean(_ xs: [Double]) -> Double? {
        xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
    }

    public static func median(_ xs: [Double]) -> Double? { percentile(xs, 50) }

    /// Percentile `p` (0…100) by linear interpolation between closest ranks
    /// (Hyndman–Fan type 7, the default of NumPy, R and spreadsheets).
    public static func percentile(_ xs: [Double], _ p: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        let h = Double(s.count - 1) * min(max(p, 0), 100) / 100
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }

    /// Mean, median, p95, min and max of `xs`, or nil when it is empty.
    public static func summary(_ xs: [Double]) -> Summary? {
        guard let m = mean(xs), let med = median(xs), let p95 = percentile(xs, 95),
            let lo = xs.min(), let hi = xs.max()
        else { return nil }
        return Summary(count: xs.count, mean: m, median: med, p95: p95, min: lo, max: hi)
    }

    public struct Summary: Sendable, Equatable, Codable {
        public var count: Int
        public var mean: Double
        public var median: Double
        public var p95: Double
        public var min: Double
        public var max: Double
    }
}
