import Foundation

/// The Hodges–Lehmann shift between two independent samples with its distribution-free
/// confidence interval (Bauer 1972; Hollander & Wolfe ch. 4), on the LOG of the values, so the
/// shift is a ratio: NEW ≈ OLD × e^shift. Both come from the Mann–Whitney statistic:
///
/// - estimate: the median of the m·n pairwise differences ln yⱼ − ln xᵢ;
/// - (1 − α) interval: [D₍ₖ₎, D₍ₘₙ₊₁₋ₖ₎] of the sorted differences, k the largest integer with
///   P(U ≤ k − 1) ≤ α/2 under the null hypothesis — the exact distribution of U (no ties) for
///   m·n ≤ 2500, the normal approximation above. The interval excludes 0 exactly when the
///   two-sided Mann–Whitney test rejects at level α.
///
/// k = 0 means no interval exists at this α: too few samples. With α = 0.05 that is m = n ≤ 3
/// (the smallest two-sided p of 3 vs 3 is 2/20 = 0.1); 4 vs 4 reaches 2/70 = 0.029, 5 vs 5
/// 2/252 = 0.0079.
package struct HodgesLehmann: Sendable, Equatable, Codable {
    package var m: Int
    package var n: Int
    /// ln(NEW / OLD) estimate.
    package var logShift: Double
    /// The interval in log space; nil when k = 0 (too few samples for this α).
    package var logLower: Double?
    package var logUpper: Double?
    /// Two-sided Mann–Whitney p (exact without ties and m·n ≤ 2500, else normal approximation).
    package var p: Double
    package var exact: Bool
    package var alpha: Double

    /// Nil when a sample is empty or holds a value ≤ 0 (no logarithm).
    package init?(old x: [Double], new y: [Double], alpha: Double = 0.05) {
        guard !x.isEmpty, !y.isEmpty, x.allSatisfy({ $0 > 0 && $0.isFinite }), y.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        m = x.count
        n = y.count
        self.alpha = alpha
        let lx = x.map { Foundation.log($0) }, ly = y.map { Foundation.log($0) }
        var d: [Double] = []
        d.reserveCapacity(m * n)
        for a in lx { for b in ly { d.append(b - a) } }
        d.sort()
        logShift = Statistics.median(d)!
        // U = number of pairs with y > x (ties ½): the statistic whose null distribution we need.
        let u = d.reduce(0.0) { $0 + ($1 > 0 ? 1 : $1 == 0 ? 0.5 : 0) }
        let ties = Set(lx + ly).count < m + n
        let k: Int
        if !ties, let dist = Self.exactDistribution(m: m, n: n) {
            exact = true
            var cdf = 0.0
            var kk = 0
            while kk < dist.count {
                cdf += dist[kk]
                if cdf > alpha / 2 { break }
                kk += 1
            }
            k = kk
            let lowerTail = dist[0...Int(u.rounded(.down))].reduce(0, +)
            let upperTail = dist[Int(u.rounded(.up))...].reduce(0, +)
            p = min(1, 2 * min(lowerTail, upperTail))
        } else {
            exact = false
            let mn = Double(m * n)
            let sd = (mn * Double(m + n + 1) / 12).squareRoot()
            k = max(0, Int((mn / 2 - Self.zTwoSided(alpha) * sd).rounded(.down)))
            p = MannWhitneyU(y, x)?.p ?? 1
        }
        if k >= 1 && k <= d.count {
            logLower = d[k - 1]
            logUpper = d[m * n - k]
        }
    }

    /// Percent change NEW vs OLD of the estimate and the interval ends.
    package var percent: Double { (exp(logShift) - 1) * 100 }
    package var percentLower: Double? { logLower.map { (exp($0) - 1) * 100 } }
    package var percentUpper: Double? { logUpper.map { (exp($0) - 1) * 100 } }
    /// Whether the interval exists (enough samples for this α).
    package var hasInterval: Bool { logLower != nil }
    /// Whether the interval excludes "no change".
    package var significant: Bool {
        guard let lo = logLower, let hi = logUpper else { return false }
        return lo > 0 || hi < 0
    }

    /// The smallest per-side sample size (equal sides) at which a verdict is possible at `alpha`.
    package static func minimumRepetitions(alpha: Double = 0.05) -> Int {
        var n = 1
        while n < 1000 {
            // Smallest two-sided exact p with n vs n: 2 / C(2n, n).
            var c = 1.0
            for i in 0..<n { c = c * Double(2 * n - i) / Double(i + 1) }
            if 1 / c <= alpha / 2 { return n }
            n += 1
        }
        return n
    }

    /// P(U = u) for u = 0…m·n under H0 (no ties): the coefficients of the Gaussian binomial
    /// [m+n choose m]_q, built by the recursion c(i, j, u) = c(i−1, j, u−j) + c(i, j−1, u) (only
    /// additions, so no cancellation). Nil when m·n > 2500.
    static func exactDistribution(m: Int, n: Int) -> [Double]? {
        guard m * n <= 2500 else { return nil }
        guard m >= 1, n >= 1 else { return nil }
        // prev[j] = counts of U for (i − 1) x's and j y's; U counts pairs x > y here (the same
        // distribution: U is symmetric). The largest value is an x (adds j pairs) or a y (adds 0).
        var prev: [[Double]] = (0...n).map { _ in [1.0] }  // no x: U ≡ 0
        for i in 1...m {
            var cur: [[Double]] = [[1.0]]  // no y: U ≡ 0
            for j in 1...n {
                var c = [Double](repeating: 0, count: i * j + 1)
                for (u, v) in prev[j].enumerated() { c[u + j] += v }
                for (u, v) in cur[j - 1].enumerated() { c[u] += v }
                cur.append(c)
            }
            prev = cur
        }
        let counts = prev[n]
        let total = counts.reduce(0, +)
        return counts.map { $0 / total }
    }

    /// z with P(|Z| > z) = alpha.
    static func zTwoSided(_ alpha: Double) -> Double {
        // Bisection on erfc: P(|Z| > z) = erfc(z / √2).
        var lo = 0.0, hi = 10.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if erfc(mid / 2.0.squareRoot()) > alpha { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
