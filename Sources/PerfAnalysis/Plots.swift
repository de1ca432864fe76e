import Foundation

/// The `--plot DIR` charts: for a run, one echo-throughput chart per dimension that varies in it
/// (the other varying dimensions become separate series: nothing is averaged across
/// configurations — a point is the median over the repetitions of ONE configuration), plus the
/// handshake latency distribution; for `--compare`, the change chart (``ChangeChart``).
package enum Plots {
    package static let handshakeFile = "handshake-latency.svg"
    package static let changeFile = "compare-change.svg"
    static let percentiles = [0, 50, 75, 90, 95, 99, 99.9, 99.99]

    /// A dimension of the echo configuration a chart can put on its x axis.
    struct Dimension: Sendable {
        var slug: String
        var title: String
        /// x-axis label, with its unit.
        var axis: String
        /// Ordered axis (line drawn) or categories (markers only).
        var ordered: Bool
        /// Sort key and label of a test's value.
        var value: @Sendable (PerfConfiguration) -> (Double, String)
        /// Slugs of dimensions merged into this one (they vary together with it).
        var absorbed: [String] = []

        static let all: [Dimension] = [
            Dimension(slug: "protocol", title: "protocol", axis: "protocol", ordered: false) {
                (Double(["tcp", "tls", "unix", "unix-tls", "dtls"].firstIndex(of: $0.proto) ?? 9), $0.proto)
            },
            Dimension(slug: "tls-version", title: "TLS version", axis: "TLS version", ordered: false) {
                ($0.tlsVersion.flatMap(Double.init) ?? 0, $0.tlsVersion.map { "TLS \($0)" } ?? "no TLS")
            },
            Dimension(slug: "chunk-size", title: "chunk size", axis: "chunk size (bytes per write)", ordered: true) {
                (Double($0.chunkSize ?? 0), $0.chunkSize.map { Units.bytes(Double($0)) } ?? "?")
            },
            Dimension(slug: "client-count", title: "client count", axis: "clients per client-host", ordered: true) {
                (Double($0.clientCount ?? 0), $0.clientCount.map(String.init) ?? "?")
            },
            Dimension(slug: "duration", title: "duration", axis: "duration (s)", ordered: true) {
                (Double($0.duration ?? 0), $0.duration.map { "\($0) s" } ?? "?")
            },
            Dimension(slug: "mode", title: "parallel mode", axis: "parallel mode", ordered: false) {
                (Double(["task", "thread", "process"].firstIndex(of: $0.parallel) ?? 9), $0.parallel)
            },
            Dimension(slug: "participants", title: "participants", axis: "servers × client-hosts", ordered: false) {
                (Double($0.serverCount * 1000 + $0.clientHostCount), "\($0.serverCount)×\($0.clientHostCount)")
            },
            Dimension(slug: "placement", title: "CPU placement", axis: "CPU placement", ordered: false) {
                ($0.placement == "shared" ? 0 : 1, $0.placement)
            },
        ]
    }

    /// The dimensions with more than one value among `tests`. A dimension that splits the tests
    /// exactly like an earlier one (TLS version beside protocol when the run is "tcp" and "tls 1.3")
    /// gets no chart of its own: its values join the earlier one's labels.
    static func varying(_ tests: [TestSummary]) -> [Dimension] {
        var out: [Dimension] = []
        var partitions: [Set<Set<Int>>] = []
        for d in Dimension.all {
            var groups: [String: Set<Int>] = [:]
            for (i, t) in tests.enumerated() { groups[d.value(t.perfCase.configuration).1, default: []].insert(i) }
            guard groups.count > 1 else { continue }
            let partition = Set(groups.values)
            if let j = partitions.firstIndex(of: partition) {
                let first = out[j], second = d
                out[j] = Dimension(
                    slug: first.slug, title: "\(first.title) and \(second.title)",
                    axis: "\(first.axis) · \(second.axis)", ordered: first.ordered
                ) { c in
                    let a = first.value(c), b = second.value(c)
                    return (a.0, "\(a.1) · \(b.1)")
                }
                out[j].absorbed = first.absorbed + [second.slug]
                continue
            }
            partitions.append(partition)
            out.append(d)
        }
        return out
    }

    /// Echo throughput over `dimension`; one series per combination of the other varying dimensions.
    static func throughputChart(_ tests: [TestSummary], by d: Dimension, varying: [Dimension]) -> SVGLineChart {
        let others = varying.filter { $0.slug != d.slug }
        let fixed = Dimension.all.filter { f in !varying.contains { $0.slug == f.slug || $0.absorbed.contains(f.slug) } }
        let xs = Dictionary(
            tests.map { t -> (String, Double) in
                let v = d.value(t.perfCase.configuration)
                return (v.1, v.0)
            }, uniquingKeysWith: { a, _ in a }
        )
        .sorted { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }
        let xIndex = Dictionary(uniqueKeysWithValues: xs.enumerated().map { ($0.element.key, Double($0.offset)) })
        var bySeries: [String: [String: [Double]]] = [:]
        var seriesSort: [String: [Double]] = [:]
        for t in tests {
            guard let tp = t.throughput else { continue }
            let c = t.perfCase.configuration
            let name = others.isEmpty ? "echo" : others.map { $0.value(c).1 }.joined(separator: " · ")
            seriesSort[name] = others.map { $0.value(c).0 }
            bySeries[name, default: [:]][d.value(c).1, default: []].append(tp)
        }
        let names = bySeries.keys.sorted { a, b in
            seriesSort[a]! != seriesSort[b]! ? seriesSort[a]!.lexicographicallyPrecedes(seriesSort[b]!) : a < b
        }
        let series = names.map { name in
            SVGLineChart.Series(
                name: name, points: bySeries[name]!.compactMap { x, v in Statistics.median(v).map { (xIndex[x]!, $0) } },
                connect: d.ordered)
        }
        let reps = bySeries.values.flatMap(\.values).map(\.count)
        var chart = SVGLineChart(
            title: "perf9 echo throughput by \(d.title)", xLabel: d.axis,
            yLabel: "throughput, all clients summed",
            xTicks: xs.enumerated().map { (Double($0.offset), $0.element.key) }, series: series,
            yUnit: Units.rateUnit(series.flatMap { $0.points.map(\.1) }.max() ?? 0), yFormat: { Units.rate($0) })
        let fixedText = fixed.compactMap { f -> String? in
            guard let t = tests.first else { return nil }
            return "\(f.title) \(f.value(t.perfCase.configuration).1)"
        }.joined(separator: ", ")
        let lo = reps.min() ?? 0, hi = reps.max() ?? 0
        let count = lo == hi ? "\(lo) repetition\(lo == 1 ? "" : "s")" : "\(lo)–\(hi) repetitions"
        chart.subtitle =
            "point = median of \(count) of one configuration"
            + (fixedText.isEmpty ? "" : "\nfixed: \(fixedText)")
        return chart
    }

    /// Handshake latency percentile distribution (HdrHistogram), one line per protocol and TLS version.
    /// Percentiles the sample cannot resolve (p99.9 needs ≥ 1000 handshakes) are left out, and the
    /// subtitle says so.
    package static func handshakeChart(_ tests: [TestSummary]) -> SVGLineChart {
        func position(_ p: Double) -> Double { -log10(1 - p / 100) }
        var series: [SVGLineChart.Series] = []
        var byName: [String: [Int]] = [:]
        for t in tests where !t.handshakes.isEmpty {
            let c = t.perfCase.configuration
            let name = t.isHandshakeBenchmark ? "bench \(t.handshakeLabel)" : (c.tlsVersion.map { "\(c.proto) \($0)" } ?? c.proto)
            byName[name, default: []] += t.handshakes
        }
        var shown = Set<Double>()
        for name in byName.keys.sorted() {
            let nanos = byName[name]!
            let usable = percentiles.filter { $0 == 0 || 100 - $0 >= 100 / Double(nanos.count) }
            shown.formUnion(usable)
            let pts = LatencySummary.distribution(nanos, percentiles: usable).map { (position($0.0), $0.1) }
            series.append(SVGLineChart.Series(name: "\(name) (n=\(nanos.count))", points: pts))
        }
        // A labelled tick for every percentile a point is drawn at.
        let names: [(Double, String)] = [
            (0, "min"), (50, "p50"), (75, "p75"), (90, "p90"), (95, "p95"), (99, "p99"),
            (99.9, "p99.9"), (99.99, "p99.99"),
        ]
        let ticks = names.filter { shown.contains($0.0) }.map { (position($0.0), $0.1) }
        let missing = names.filter { $0.0 >= 99.9 && !shown.contains($0.0) }.map(\.1)
        var chart = SVGLineChart(
            title: "TLS handshake latency distribution", xLabel: "percentile (HdrHistogram)",
            yLabel: "handshake latency", xTicks: ticks, series: series, yUnit: (1e6, "ms"),
            yFormat: { Units.millis($0) })
        chart.valueLabels = false
        chart.subtitle = missing.isEmpty ? "" : missing.joined(separator: ", ") + ": n too small (needs ≥ 1000 / 10000 handshakes)"
        return chart
    }

    /// The charts of one run: file name → chart.
    package static func charts(_ tests: [TestSummary]) -> [(String, SVGLineChart)] {
        let echo = tests.filter { !$0.isHandshakeBenchmark && $0.throughput != nil }
        let v = varying(echo)
        var out: [(String, SVGLineChart)] = []
        if !echo.isEmpty {
            if v.isEmpty {
                let d = Dimension.all.first { $0.slug == "protocol" }!
                out.append(("throughput-by-protocol.svg", throughputChart(echo, by: d, varying: [])))
            }
            for d in v { out.append(("throughput-by-\(d.slug).svg", throughputChart(echo, by: d, varying: v))) }
        }
        if tests.contains(where: { !$0.handshakes.isEmpty }) { out.append((handshakeFile, handshakeChart(tests))) }
        return out
    }

    /// Writes the charts of a run into `directory` (created if needed); returns the files written.
    package static func write(_ tests: [TestSummary], to directory: String) throws -> [String] {
        try write(charts(tests).map { ($0.0, $0.1.render()) }, to: directory)
    }

    /// Writes the change chart of a comparison.
    package static func write(_ report: ComparisonReport, to directory: String) throws -> [String] {
        try write([(changeFile, ChangeChart(report).render())], to: directory)
    }

    static func write(_ files: [(String, String)], to directory: String) throws -> [String] {
        let dir = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var written: [String] = []
        for (file, svg) in files {
            let url = dir.appendingPathComponent(file)
            try Data(svg.utf8).write(to: url, options: .atomic)
            written.append(url.path)
        }
        return written
    }
}
