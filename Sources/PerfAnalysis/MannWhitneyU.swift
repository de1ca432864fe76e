import Foundation

/// Mann–Whitney U test (Wilcoxon rank-sum), two-sided, normal
/// approximation with tie correction and continuity correction — the same
/// as SciPy's `mannwhitneyu(x, y, method="asymptotic")`.
package struct MannWhitneyU: Sendable, Equatable, Codable {
    /// U statistic of the first sample (number of pairs where x > y, ties ½).
    package var u1: Double
    /// U statistic of the second sample; u1 + u2 = n1·n2.
    package var u2: Double
    package var n1: Int
    package var n2: Int
    /// Standard score of u1 (with continuity correction); 0 when every value ties.
    package var z: Double
    /// Two-sided p-value.
    package var p: Double

    package static let name = "Mann–Whitney U (two-sided, normal approximation, tie-corrected)"

    /// The smaller of u1 and u2, the value textbook tables list.
    package var u: Double { Swift.min(u1, u2) }

    /// Nil when either sample is empty.
    package init?(_ x: [Double], _ y: [Double]) {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        let all = (x.map { ($0, 0) } + y.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        let n = all.count
        var rankSumX = 0.0
        var tieTerm = 0.0  // Σ (t³ − t) over tie groups
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && all[j + 1].0 == all[i].0 { j += 1 }
            let t = Double(j - i + 1)
            let midRank = Double(i + j) / 2 + 1
            for k in i...j where all[k].1 == 0 { rankSumX += midRank }
            tieTerm += t * t * t - t
            i = j + 1
        }
        let u1 = rankSumX - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let mu = Double(n1 * n2) / 2
        let nn = Double(n)
        let variance = Double(n1 * n2) / 12 * ((nn + 1) - tieTerm / (nn * (nn - 1)))
        var z = 0.0
        var p = 1.0
        if variance > 0 {
            // Continuity correction: move |U − μ| half a step toward zero.
            let d = u1 - mu
            let corrected = Swift.max(abs(d) - 0.5, 0)
            z = (d < 0 ? -corrected : corrected) / variance.squareRoot()
            p = Swift.min(1, erfc(abs(z) / 2.0.squareRoot()))
        }
        self.u1 = u1
        self.u2 = u2
        self.n1 = n1
        self.n2 = n2
        self.z = z
        self.p = p
    }
}
