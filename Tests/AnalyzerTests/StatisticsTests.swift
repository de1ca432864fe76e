import Foundation
import Testing
@testable import PerfAnalysis

@Suite struct StatisticsTests {
    @Test func percentilesMatchNumPyLinearInterpolation() throws {
        // numpy.percentile reference values (method "linear").
        #expect(Statistics.percentile([1, 2, 3, 4], 50) == 2.5)
        #expect(abs(try #require(Statistics.percentile((1...10).map(Double.init), 95)) - 9.55) < 1e-9)
        #expect(abs(try #require(Statistics.percentile([15, 20, 35, 40, 50], 40)) - 29) < 1e-9)
        #expect(Statistics.percentile([7], 95) == 7)
        #expect(Statistics.percentile([], 50) == nil)
    }

    @Test func summaryOfSamples() throws {
        let s = try #require(Statistics.summary([4, 1, 3, 2]))
        #expect(s.count == 4)
        #expect(s.mean == 2.5)
        #expect(s.median == 2.5)
        #expect(s.min == 1 && s.max == 4)
        #expect(abs(s.p95 - 3.85) < 1e-9)
        #expect(Statistics.summary([]) == nil)
    }

    @Test func mannWhitneyTextbookExample() throws {
        // SciPy's documented example: mannwhitneyu(males, females, method="asymptotic")
        // gives U = 17, p = 0.11134688653314041.
        let males: [Double] = [19, 22, 16, 29, 24]
        let females: [Double] = [20, 11, 17, 12]
        let t = try #require(MannWhitneyU(males, females))
        #expect(t.u1 == 17)
        #expect(t.u2 == 3)
        #expect(t.u == 3)
        #expect(abs(t.z - 6.5 / (50.0 / 3).squareRoot()) < 1e-9)
        #expect(abs(t.p - 0.11134688653314041) < 1e-9)
    }

    @Test func mannWhitneyWithTies() throws {
        // SciPy: mannwhitneyu([1,2,2,3,3,3,4], [3,4,4,5,5,6], method="asymptotic")
        // gives U = 3.5, p = 0.012999854364387305 (tie-corrected).
        let t = try #require(MannWhitneyU([1, 2, 2, 3, 3, 3, 4], [3, 4, 4, 5, 5, 6]))
        #expect(t.u1 == 3.5)
        #expect(abs(t.p - 0.012999854364387305) < 1e-9)
        #expect(t.z < 0)
    }

    @Test func mannWhitneyDegenerateInputs() throws {
        #expect(MannWhitneyU([], [1, 2]) == nil)
        let same = try #require(MannWhitneyU([5, 5, 5], [5, 5, 5]))
        #expect(same.p == 1)
        #expect(same.z == 0)
        let symmetric = try #require(MannWhitneyU([1, 2, 3], [1, 2, 3]))
        #expect(symmetric.p == 1)
    }

    @Test func hdrHistogramLatencySummary() throws {
        // 1…1000 µs in nanoseconds: mean 500.5 µs, p95 950 µs, within HdrHistogram's 3 digits.
        let nanos = (1...1000).map { $0 * 1000 }
        let s = try #require(LatencySummary(nanos: nanos))
        #expect(s.count == 1000)
        #expect(abs(s.mean - 500_500) / 500_500 < 0.001)
        #expect(abs(s.p95 - 950_000) / 950_000 < 0.001)
        #expect(abs(s.median - 500_000) / 500_000 < 0.001)
        #expect(LatencySummary(nanos: []) == nil)
    }

    @Test func unitsLikeTheOriginalReport() {
        #expect(Units.rate(338.07 * 1024 * 1024) == "338.07 MB/s")
        #expect(Units.rate(980.33 * 1024) == "980.33 KB/s")
        #expect(Units.rate(2.5 * 1024 * 1024 * 1024) == "2.50 GB/s")
        #expect(Units.bytes(9.9 * 1024 * 1024 * 1024) == "9.90 GB")
        #expect(Units.bytes(512) == "512 B")
        #expect(Units.millis(346_240_000) == "346.24 ms")
        #expect(Units.percent(-12.5) == "-12.50%")
    }
}
