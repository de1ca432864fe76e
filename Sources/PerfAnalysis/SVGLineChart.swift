import Foundation

/// A small hand-written SVG line chart with markers, axes, ticks and a
/// legend. Standalone SVG 1.1: any browser shows it.
package struct SVGLineChart: Sendable {
    package struct Series: Sendable {
        package var name: String
        /// (x, y) in data units; x positions are what the x ticks use.
        package var points: [(Double, Double)]
        /// Series with the same color group share a color (OLD and NEW of one protocol).
        package var colorGroup: String
        /// Drawn with a dashed line (NEW in comparisons).
        package var dashed: Bool
        /// Whether the points are joined by a line (an ordered x axis); the legend shows what is drawn.
        package var connect: Bool
        package init(name: String, points: [(Double, Double)], colorGroup: String? = nil, dashed: Bool = false, connect: Bool = true) {
            self.connect = connect
            self.name = name
            self.points = points
            self.colorGroup = colorGroup ?? name
            self.dashed = dashed
        }
    }

    package var title: String
    /// A second line under the title (e.g. what is held fixed); empty for none.
    package var subtitle = ""
    /// Print each point's value next to its marker.
    package var valueLabels = true
    package var xLabel: String
    package var yLabel: String
    /// Tick positions (data units) and their labels.
    package var xTicks: [(Double, String)]
    package var series: [Series]
    /// Formats a y value for tooltips.
    package var yFormat: @Sendable (Double) -> String
    /// Y ticks are round numbers of this unit: (divisor, name), e.g. (1048576, "MB/s").
    package var yUnit: (Double, String)

    package init(
        title: String, xLabel: String, yLabel: String, xTicks: [(Double, String)], series: [Series],
        yUnit: (Double, String), yFormat: @escaping @Sendable (Double) -> String
    ) {
        self.yUnit = yUnit
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xTicks = xTicks
        self.series = series
        self.yFormat = yFormat
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let width = 920.0, height = 480.0
    static let left = 100.0, right = 310.0, top = 72.0, bottom = 60.0

    /// A "nice" tick step (1, 2 or 5 × 10ⁿ) giving about `count` ticks up to `maxValue`.
    static func niceStep(_ maxValue: Double, count: Int = 5) -> Double {
        guard maxValue > 0 else { return 1 }
        let raw = maxValue / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let f = raw / mag
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag
    }

    package func render() -> String {
        let w = Self.width, h = Self.height
        let plotW = w - Self.left - Self.right, plotH = h - Self.top - Self.bottom
        let xs = xTicks.map(\.0) + series.flatMap { $0.points.map(\.0) }
        var xMin = xs.min() ?? 0, xMax = xs.max() ?? 1
        if xMin == xMax { xMin -= 1; xMax += 1 }
        let pad = (xMax - xMin) * 0.05
        xMin -= pad
        xMax += pad
        let yMaxData = series.flatMap { $0.points.map(\.1) }.max() ?? 1
        let step = Self.niceStep(yMaxData / yUnit.0) * yUnit.0
        let yMax = max(step, (yMaxData / step).rounded(.up) * step)
        func px(_ x: Double) -> Double { Self.left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { Self.top + plotH - y / yMax * plotH }

        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))" font-family="sans-serif" font-size="12">
            <rect x="0" y="0" width="\(Int(w))" height="\(Int(h))" fill="white"/>
            <text x="\(w / 2)" y="22" text-anchor="middle" font-size="16" font-weight="bold">\(Self.escape(title))</text>

            """
        // The subtitle, one text line per "\n"-separated part.
        for (i, part) in subtitle.split(separator: "\n").enumerated() {
            s += "<text x=\"\(w / 2)\" y=\"\(40 + 14 * i)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">\(Self.escape(String(part)))</text>\n"
        }
        // Grid and y ticks.
        var y = 0.0
        while y <= yMax + step / 2 {
            s += "<line x1=\"\(f(Self.left))\" y1=\"\(f(py(y)))\" x2=\"\(f(Self.left + plotW))\" y2=\"\(f(py(y)))\" stroke=\"#e0e0e0\"/>\n"
            s += "<text x=\"\(f(Self.left - 8))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(Self.escape(tickLabel(y)))</text>\n"
            y += step
        }
        for (x, label) in xTicks {
            s += "<line x1=\"\(f(px(x)))\" y1=\"\(f(Self.top + plotH))\" x2=\"\(f(px(x)))\" y2=\"\(f(Self.top + plotH + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(px(x)))\" y=\"\(f(Self.top + plotH + 20))\" text-anchor=\"middle\">\(Self.escape(label))</text>\n"
        }
        // Axes and labels.
        s += "<line x1=\"\(f(Self.left))\" y1=\"\(f(Self.top))\" x2=\"\(f(Self.left))\" y2=\"\(f(Self.top + plotH))\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(f(Self.left))\" y1=\"\(f(Self.top + plotH))\" x2=\"\(f(Self.left + plotW))\" y2=\"\(f(Self.top + plotH))\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f(Self.left + plotW / 2))\" y=\"\(f(h - 15))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        s +=
            "<text x=\"16\" y=\"\(f(Self.top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(Self.top + plotH / 2)))\">\(Self.escape(yLabel + " (" + yUnit.1 + ")"))</text>\n"
        // Series and legend.
        var groups: [String] = []
        for ser in series where !groups.contains(ser.colorGroup) { groups.append(ser.colorGroup) }
        for (i, ser) in series.enumerated() {
            let color = Self.palette[(groups.firstIndex(of: ser.colorGroup) ?? i) % Self.palette.count]
            let dash = ser.dashed ? " stroke-dasharray=\"6 4\"" : ""
            let pts = ser.points.sorted { $0.0 < $1.0 }
            s += "<g class=\"series\" data-name=\"\(Self.escape(ser.name))\">\n"
            if ser.connect && pts.count > 1 {
                let path = pts.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(path)\"/>\n"
            }
            for p in pts {
                s +=
                    "<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"4\" fill=\"\(color)\"><title>\(Self.escape("\(ser.name): \(yFormat(p.1))"))</title></circle>\n"
                if valueLabels {
                    // Offset per series so labels of points at the same x do not sit on each other.
                    let dy = -8.0 - Double(i % 3) * 11
                    s +=
                        "<text class=\"value\" x=\"\(f(px(p.0) + 6))\" y=\"\(f(py(p.1) + dy))\" font-size=\"10\" fill=\"\(color)\">\(Self.escape(yFormat(p.1)))</text>\n"
                }
            }
            s += "</g>\n"
            let ly = Self.top + 10 + Double(i) * 20
            let lx = w - Self.right + 15
            s += "<g class=\"legend\">"
            if ser.connect {
                s += "<line x1=\"\(f(lx - 2))\" y1=\"\(f(ly - 3))\" x2=\"\(f(lx + 14))\" y2=\"\(f(ly - 3))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>"
            }
            s += "<circle cx=\"\(f(lx + 6))\" cy=\"\(f(ly - 3))\" r=\"4\" fill=\"\(color)\"/>"
            s += "<text x=\"\(f(lx + 18))\" y=\"\(f(ly + 2))\">\(Self.escape(ser.name))</text></g>\n"
        }
        if series.isEmpty {
            s += "<text x=\"\(f(Self.left + plotW / 2))\" y=\"\(f(Self.top + plotH / 2))\" text-anchor=\"middle\">no data</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// "400 MB/s", "2.5 ms".
    func tickLabel(_ y: Double) -> String {
        let v = y / yUnit.0
        let text = v == v.rounded() ? String(format: "%.0f", v) : String(format: "%g", (v * 1000).rounded() / 1000)
        return "\(text) \(yUnit.1)"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
