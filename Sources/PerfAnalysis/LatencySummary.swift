import Histogram

/// Handshake latency statistics from an HdrHistogram (3 significant
/// digits, nanosecond values).
package struct LatencySummary: Sendable, Equatable, Codable {
    package var count: Int
    /// Nanoseconds.
    package var mean: Double
    package var median: Double
    package var p95: Double
    package var p99: Double
    package var max: Double

    /// Nil when there are no samples.
    package init?(nanos: [Int]) {
        guard let h = LatencySummary.histogram(nanos) else { return nil }
        count = Int(h.totalCount)
        mean = h.mean
        median = Double(h.valueAtPercentile(50))
        p95 = Double(h.valueAtPercentile(95))
        p99 = Double(h.valueAtPercentile(99))
        max = Double(h.max)
    }

    /// An auto-resizing histogram holding `nanos` (negatives are dropped).
    package static func histogram(_ nanos: [Int]) -> Histogram<UInt64>? {
        let values = nanos.filter { $0 >= 0 }
        guard !values.isEmpty else { return nil }
        var h = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        h.autoResize = true
        for v in values { _ = h.record(UInt64(v)) }
        return h
    }

    /// (percentile, nanoseconds) points of the latency distribution, for plots.
    package static func distribution(_ nanos: [Int], percentiles: [Double]) -> [(Double, Double)] {
        guard let h = histogram(nanos) else { return [] }
        return percentiles.map { ($0, Double(h.valueAtPercentile($0))) }
    }
}
