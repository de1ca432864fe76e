import Foundation

/// Human units as in the original perf9 report: KB, MB, GB are powers of
/// 1024; times in ms with two decimals.
package enum Units {
    private static let steps = ["B", "KB", "MB", "GB", "TB"]

    /// "9.90 GB", "512 B".
    package static func bytes(_ v: Double) -> String {
        var x = v
        var i = 0
        while abs(x) >= 1024, i < steps.count - 1 {
            x /= 1024
            i += 1
        }
        return i == 0 ? String(format: "%.0f B", x) : String(format: "%.2f %@", x, steps[i])
    }

    /// "338.07 MB/s".
    package static func rate(_ bytesPerSecond: Double) -> String {
        var x = bytesPerSecond
        var i = 0
        while abs(x) >= 1024, i < steps.count - 1 {
            x /= 1024
            i += 1
        }
        return String(format: "%.2f %@/s", x, steps[i])
    }

    /// The unit `rate` would print `bytesPerSecond` in: (divisor, "MB/s").
    package static func rateUnit(_ bytesPerSecond: Double) -> (Double, String) {
        var divisor = 1.0
        var i = 0
        while bytesPerSecond / divisor >= 1024, i < steps.count - 1 {
            divisor *= 1024
            i += 1
        }
        return (divisor, steps[i] + "/s")
    }

    /// Nanoseconds as "346.24 ms".
    package static func millis(_ nanos: Double) -> String {
        String(format: "%.2f ms", nanos / 1e6)
    }

    /// A signed percentage, "+3.21%" / "-12.50%".
    package static func percent(_ v: Double) -> String {
        String(format: "%+.2f%%", v)
    }
}
