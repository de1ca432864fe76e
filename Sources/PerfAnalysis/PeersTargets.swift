/// The targets of issue 8, checked in every run of a ``PeersTable``: a JSec figure divided by
/// another figure of the same run (a peer's, or JSec's own full handshakes), against a floor.
package struct PeersTarget: Sendable, Codable, Equatable {
    /// "TLS 1.3 echo: JSec ÷ node".
    package var name: String
    package var floor: Double
    /// The JSec row's workload (the denominator's row may differ: resumed vs full).
    package var workload: String
    /// One quotient per run, in the table's run order (nil where a figure is missing).
    package var values: [Double?]

    /// Every target that has data in `table`, one per matching workload.
    package static func all(_ table: PeersTable) -> [PeersTarget] {
        var out: [PeersTarget] = []
        let rows = table.runs.first?.rows ?? []
        func add(_ name: String, _ floor: Double, figure: String, prefix: String, theirs: String, theirRow: (String) -> String) {
            for r in rows where r.figure == figure && r.workload.hasPrefix(prefix) {
                let values: [Double?] = table.runs.map { run in
                    let ours = run.rows.first { $0.workload == r.workload && $0.figure == figure }?.cells.first { $0.stack == PeersTable.reference }?.value
                    let other = run.rows.first { $0.workload == theirRow(r.workload) && $0.figure == figure }?.cells.first { $0.stack == theirs }?.value
                    guard let ours, let other, other > 0 else { return nil }
                    return ours / other
                }
                if values.contains(where: { $0 != nil }) { out.append(PeersTarget(name: name, floor: floor, workload: r.workload, values: values)) }
            }
        }
        let same: (String) -> String = { $0 }
        let full: (String) -> String = { $0.replacingOccurrences(of: "handshake resumed", with: "handshake full") }
        add("TLS 1.3 echo: JSec ÷ node", 1.5, figure: "throughput", prefix: "echo tls1.3", theirs: "node", theirRow: same)
        add("TLS 1.3 echo: JSec ÷ nio-ssl", 1.2, figure: "throughput", prefix: "echo tls1.3", theirs: "nio-ssl", theirRow: same)
        add("full handshakes/s: JSec ÷ node", 1.3, figure: "handshakes/s", prefix: "handshake full", theirs: "node", theirRow: same)
        add("full handshakes/s: JSec ÷ nio-ssl", 0.8, figure: "handshakes/s", prefix: "handshake full", theirs: "nio-ssl", theirRow: same)
        add("resumed ÷ JSec's full", 3, figure: "handshakes/s", prefix: "handshake resumed", theirs: PeersTable.reference, theirRow: full)
        add("resumed ÷ nio-ssl's full (reconnects)", 1.5, figure: "handshakes/s", prefix: "handshake resumed", theirs: "nio-ssl", theirRow: full)
        return out
    }
}
