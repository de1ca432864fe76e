/// The "Idle memory" section: resident memory per idle connection, per participant.
package enum IdleMemoryReport {
    package static func render(_ cases: [PerfCase]) -> String {
        let measured = cases.filter { !$0.memory.isEmpty }
        guard !measured.isEmpty else { return "" }
        var out = TextReport.banner("Idle memory (RSS delta ÷ open idle connections)")
        out += "\n"
        for c in measured.sorted(by: { $0.id < $1.id }) {
            var lines: [(String, String)] = []
            for m in c.memory.sorted(by: { $0.role > $1.role }) {
                let per = m.bytesPerConnection.map { Units.bytes($0) } ?? "n/a"
                lines.append(
                    (
                        m.role,
                        "\(per) per connection (\(m.idleConnections) connections, RSS \(Units.bytes(Double(m.rssBeforeBytes))) → \(Units.bytes(Double(m.rssIdleBytes))))"
                    ))
            }
            out += TextReport.block("\(c.test) \(c.configuration.proto) [\(c.status)]", lines)
            out += "\n"
        }
        return out
    }
}
