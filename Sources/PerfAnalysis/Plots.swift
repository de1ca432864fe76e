import Foundation

/// The `--plot DIR` charts.
public enum Plots {
    public static let throughputFile = "throughput-by-client-count.svg"
    public static let handshakeFile = "handshake-latency.svg"
    static let percentiles = [0, 50, 75, 90, 95, 99, 99.9, 99.99]

    /// A series: colored by its base name, dashed for NEW.
    static func series(_ name: String, prefix: String, points: [(Double, Double)]) -> SVGLineChart.Series {
        let base = prefix.isEmpty ? name : String(name.dropFirst(prefix.count + 1))
        return .init(name: name, points: points, colorGroup: base, dashed: prefix == "NEW")
    }

    /// Series name of a test: "tls 1.3", "tcp"; prefixed when several data sets are plotted.
    static func seriesName(_ t: TestSummary, prefix: String) -> String {
        let c = t.perfCase.configuration
        let base = c.tlsVersion.map { "\(c.proto) \($0)" } ?? c.proto
        return prefix.isEmpty ? base : "\(prefix) \(base)"
    }

    /// Mean test throughput by client count, one line per protocol (and TLS version).
    public static func throughputChart(_ sets: [(String, [TestSummary])]) -> SVGLineChart {
        let counts = Array(Set(sets.flatMap { $0.1.compactMap(\.perfCase.configuration.clientCount) })).sorted()
        var series: [SVGLineChart.Series] = []
        for (prefix, tests) in sets {
            var byName: [String: [Int: [Double]]] = [:]
            for t in tests {
                guard let n = t.perfCase.configuration.clientCount, let tp = t.throughput else { continue }
                byName[seriesName(t, prefix: prefix), default: [:]][n, default: []].append(tp)
            }
            for name in byName.keys.sorted() {
                let pts = byName[name]!.compactMap { n, v -> (Double, Double)? in
                    guard let i = counts.firstIndex(of: n), let m = Statistics.mean(v) else { return nil }
                    return (Double(i), m)
                }
                series.append(Self.series(name, prefix: prefix, points: pts))
            }
        }
        return SVGLineChart(
            title: "perf9 throughput by client count", xLabel: "clients (per client-host)",
            yLabel: "throughput (mean over tests, all clients summed)",
            xTicks: counts.enumerated().map { (Double($0.offset), String($0.element)) }, series: series,
            yUnit: Units.rateUnit(series.flatMap { $0.points.map(\.1) }.max() ?? 0), yFormat: { Units.rate($0) })
    }

    /// Handshake latency percentile distribution (HdrHistogram), one line per protocol and TLS version.
    public static func handshakeChart(_ sets: [(String, [TestSummary])]) -> SVGLineChart {
        func position(_ p: Double) -> Double { -log10(1 - p / 100) }
        var series: [SVGLineChart.Series] = []
        for (prefix, tests) in sets {
            var byName: [String: [Int]] = [:]
            for t in tests where !t.handshakes.isEmpty {
                let name = t.isHandshakeBenchmark
                    ? (prefix.isEmpty ? "" : "\(prefix) ") + "bench \(t.handshakeLabel)" : seriesName(t, prefix: prefix)
                byName[name, default: []] += t.handshakes
            }
            for name in byName.keys.sorted() {
                let nanos = byName[name]!
                // Percentiles finer than the sample size are not shown.
                let usable = percentiles.filter { $0 == 0 || 100 - $0 >= 100 / Double(nanos.count) }
                let pts = LatencySummary.distribution(nanos, percentiles: usable).map { (position($0.0), $0.1) }
                var ser = Self.series(name, prefix: prefix, points: pts)
                ser.name = "\(name) (n=\(nanos.count))"
                series.append(ser)
            }
        }
        let ticks: [(Double, String)] = [
            (0, "min"), (50, "p50"), (90, "p90"), (99, "p99"), (99.9, "p99.9"), (99.99, "p99.99"),
        ].map { (position($0.0), $0.1) }
        return SVGLineChart(
            title: "TLS handshake latency distribution", xLabel: "percentile (HdrHistogram)",
            yLabel: "handshake latency", xTicks: ticks, series: series, yUnit: (1e6, "ms"),
            yFormat: { Units.millis($0) })
    }

    /// Writes the charts into `directory` (created if needed); returns the files written.
    public static func write(_ sets: [(String, [TestSummary])], to directory: String) throws -> [String] {
        let dir = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var written: [String] = []
        for (file, chart) in [(throughputFile, throughputChart(sets)), (handshakeFile, handshakeChart(sets))] {
            let url = dir.appendingPathComponent(file)
            try Data(chart.render().utf8).write(to: url, options: .atomic)
            written.append(url.path)
        }
        return written
    }
}
