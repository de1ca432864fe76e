import Foundation

/// The `--compare --plot` chart: one row per configuration and metric, the Hodges–Lehmann change
/// (dot, with its value printed) and its confidence interval (whisker), a zero line and the
/// ±min-effect band; colour by verdict. Rows without an interval say "not enough repetitions".
package struct ChangeChart: Sendable {
    package var report: ComparisonReport

    package init(_ report: ComparisonReport) { self.report = report }

    static let colors: [MetricComparison.Verdict: String] = [
        .faster: "#2ca02c", .slower: "#d62728", .fasterWithheld: "#98c998", .slowerWithheld: "#e89a9a",
        .noChange: "#555555", .notEnough: "#999999", .noData: "#999999",
    ]

    package func render() -> String {
        let rows = report.rows
        let rowH = 26.0, left = 470.0, right = 40.0, top = 70.0, bottom = 70.0, width = 1100.0
        let height = top + bottom + rowH * Double(max(rows.count, 1))
        let plotW = width - left - right
        let values =
            rows.flatMap { r -> [Double] in
                guard let e = r.estimate else { return [] }
                return [e.percent] + [e.percentLower, e.percentUpper].compactMap { $0 }
            } + [report.options.minEffect, -report.options.minEffect]
        let span = max(abs(values.min() ?? 5), abs(values.max() ?? 5)) * 1.15
        let step = SVGLineChart.niceStep(span, count: 4)
        let lim = (span / step).rounded(.up) * step
        func px(_ v: Double) -> Double { left + (v + lim) / (2 * lim) * plotW }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let esc = SVGLineChart.escape
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
            <text x="\(width / 2)" y="24" text-anchor="middle" font-size="16" font-weight="bold">perf9 comparison: change NEW vs OLD</text>
            <text x="\(width / 2)" y="42" text-anchor="middle" font-size="11" fill="#444">\(esc("dot: Hodges–Lehmann change of the per-repetition values; whisker: \(TextReport.confidence(report.options)) interval; grey band: ±\(TextReport.fmt(report.options.minEffect))% minimum effect"))</text>

            """
        let bandX = px(-report.options.minEffect), bandW = px(report.options.minEffect) - bandX
        s += "<rect x=\"\(f(bandX))\" y=\"\(f(top))\" width=\"\(f(bandW))\" height=\"\(f(rowH * Double(rows.count)))\" fill=\"#eeeeee\"/>\n"
        var t = -lim
        while t <= lim + step / 2 {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(height - bottom + 5))\" stroke=\"\(t == 0 ? "black" : "#dddddd")\"/>\n"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(height - bottom + 20))\" text-anchor=\"middle\">\(esc(String(format: "%+g%%", t)))</text>\n"
            t += step
        }
        s +=
            "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 20))\" text-anchor=\"middle\">change of the metric, NEW vs OLD (%; for latencies, negative = faster)</text>\n"
        for (i, r) in rows.enumerated() {
            let y = top + rowH * (Double(i) + 0.5)
            let color = Self.colors[r.verdict] ?? "black"
            s += "<g class=\"row\" data-verdict=\"\(esc(r.verdict.rawValue))\">"
            let label = "\(r.configuration.count > 58 ? String(r.configuration.prefix(57)) + "…" : r.configuration) · \(r.metric.rawValue)"
            s +=
                "<text class=\"label\" x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(esc(label))<title>\(esc(r.configuration))</title></text>"
            if let e = r.estimate, let lo = e.percentLower, let hi = e.percentUpper {
                s += "<line x1=\"\(f(px(lo)))\" y1=\"\(f(y))\" x2=\"\(f(px(hi)))\" y2=\"\(f(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                s += "<line x1=\"\(f(px(lo)))\" y1=\"\(f(y - 5))\" x2=\"\(f(px(lo)))\" y2=\"\(f(y + 5))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                s += "<line x1=\"\(f(px(hi)))\" y1=\"\(f(y - 5))\" x2=\"\(f(px(hi)))\" y2=\"\(f(y + 5))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                s += "<circle cx=\"\(f(px(e.percent)))\" cy=\"\(f(y))\" r=\"4.5\" fill=\"\(color)\"/>"
                s +=
                    "<text class=\"value\" x=\"\(f(px(e.percent)))\" y=\"\(f(y - 7))\" text-anchor=\"middle\" font-size=\"10\" fill=\"\(color)\">\(esc("\(Units.percent(e.percent)) \(r.verdict.rawValue)"))</text>"
            } else {
                s +=
                    "<text class=\"value\" x=\"\(f(px(0) + 6))\" y=\"\(f(y + 4))\" font-size=\"11\" fill=\"\(color)\">\(esc(r.verdict.rawValue + (r.estimate.map { " (" + Units.percent($0.percent) + ")" } ?? "")))</text>"
            }
            s += "</g>\n"
        }
        if rows.isEmpty { s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + 16))\" text-anchor=\"middle\">no configuration in both files</text>\n" }
        s += "</svg>\n"
        return s
    }
}
