import Foundation

/// What the machine was like during a run, for the results file's `run.extra` (benchmarks are only
/// comparable on like machines under like load; `analyzer --compare` warns when these differ).
enum MachineFacts {
    /// `cpuModel`, `cpuCount`, `loadAverageStart` (given), `loadAverageEnd` (now). Keys whose value
    /// cannot be read (no /proc) are left out.
    static func collect(loadAtStart: String?) -> [String: String] {
        var out: [String: String] = ["cpuCount": String(ProcessInfo.processInfo.activeProcessorCount)]
        if let m = cpuModel() { out["cpuModel"] = m }
        if let l = loadAtStart { out["loadAverageStart"] = l }
        if let l = loadAverage() { out["loadAverageEnd"] = l }
        return out
    }

    /// The 1, 5 and 15 minute load averages, "0.52 0.61 0.70".
    static func loadAverage() -> String? {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) == 3 else { return nil }
        return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }

    /// `model name` of the first processor in /proc/cpuinfo.
    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
