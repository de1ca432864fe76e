import Foundation

/// The side-by-side table of a tools/compare-peers run: one row per workload and figure, one
/// column per stack (each measured with its own client against its own server), every figure
/// also as a ratio to JSec's (figure ÷ JSec's figure in the same row of the same run).
package struct PeersTable: Sendable, Codable, Equatable {
    /// The reference column every ratio is taken against.
    package static let reference = "jsec"
    /// Column order for the stacks tools/compare-peers knows; others follow by name.
    static let knownStacks = ["jsec", "jsec-base", "jsec-pool", "jsec-base-pool", "c-openssl", "c-openssl-epoll", "go", "nio-ssl", "node", "python"]
    /// C straight on OpenSSL 3 (tools/peers/c-openssl), thread per connection: one of the ceiling's two modes.
    package static let ceiling = "c-openssl"
    /// The same C peer with `--io epoll` (one thread, non-blocking): the ceiling's other mode.
    package static let ceilingEpoll = "c-openssl-epoll"
    /// The ceiling's stacks and the names of their modes; per row the better of the two is the ceiling.
    package static let ceilingModes: [(stack: String, mode: String)] = [(ceiling, "threads"), (ceilingEpoll, "epoll")]
    /// JSec with its Swift tasks on the default cooperative pool (`jsec-peer --no-tasks-on-event-loops`).
    package static let pool = "jsec-pool"

    /// Whether the table has a ceiling column (a C stack measured).
    package var hasCeiling: Bool { Self.ceilingModes.contains { stacks.contains($0.stack) } }

    package var stacks: [String]
    /// One table per repetition, and (with more than one) the median over them.
    package var runs: [Run]
    /// Reasons behind n/a and FAILED cells, numbered as the cells refer to them.
    package var notes: [String]
    /// Client of one stack against a server of another (not in the table): label, figure, suite.
    package var crossChecks: [CrossCheck]
    /// DTLS echo measurements' loss and retries, per run and stack (beside the rate rows, not hidden).
    package var datagramLoss: [DatagramLoss]

    package struct DatagramLoss: Sendable, Codable, Equatable {
        package var run: Int
        package var stack: String
        package var workload: String
        /// Messages sent at least once (echoed + lost).
        package var messages: Int
        package var lost: Int
        package var retransmissions: Int
        package var lateEchoes: Int
    }

    package struct Run: Sendable, Codable, Equatable {
        /// "Run 1", "Run 2", "Median of 2 runs".
        package var title: String
        package var rows: [Row]
    }

    package struct Row: Sendable, Codable, Equatable {
        /// "echo tls1.3, 64.00 KB chunks, 50 clients", "handshake full, P-256, 10 clients".
        package var workload: String
        /// "throughput", "handshakes/s", "latency p50", "latency p99".
        package var figure: String
        package var cells: [Cell]
        /// The ceiling: the better of the C peer's two modes in this row (the higher rate, the lower
        /// latency), of this run's values (or, in the median table, of the medians); nil without either.
        package var ceiling: Double?
        /// Which mode gave the ceiling: "threads" (c-openssl) or "epoll" (c-openssl-epoll).
        package var ceilingMode: String?
        /// The share of OpenSSL's own speed JSec delivers: JSec ÷ the ceiling for throughput and
        /// handshakes/s, the ceiling ÷ JSec for latencies (so above 1 is always "JSec is better"); nil without both.
        package var ceilingShare: Double?
        /// The same share for jsec-pool (JSec with its tasks on the cooperative pool).
        package var poolCeilingShare: Double?

        init(workload: String, figure: String, cells: [Cell]) {
            self.workload = workload
            self.figure = figure
            self.cells = cells
            let latency = figure.hasPrefix("latency")
            for (stack, mode) in PeersTable.ceilingModes {
                guard let v = cells.first(where: { $0.stack == stack })?.value, v > 0 else { continue }
                if let best = ceiling, latency ? v >= best : v <= best { continue }  // a tie keeps threads, the first
                ceiling = v
                ceilingMode = mode
            }
            func share(_ stack: String) -> Double? {
                guard let c = ceiling, let j = cells.first(where: { $0.stack == stack })?.value, j > 0 else { return nil }
                return latency ? c / j : j / c
            }
            ceilingShare = share(PeersTable.reference)
            poolCeilingShare = share(PeersTable.pool)
        }
    }

    package struct Cell: Sendable, Codable, Equatable {
        package var stack: String
        /// Bytes/s, handshakes/s or nanoseconds; nil for n/a, FAILED or not measured.
        package var value: Double?
        /// value ÷ JSec's value in the same row.
        package var ratio: Double?
        /// Index into `notes` (n/a or FAILED).
        package var note: Int?
        package var failed: Bool
    }

    package struct CrossCheck: Sendable, Codable, Equatable {
        package var run: Int
        package var client: String
        package var server: String
        package var workload: String
        package var figure: String
        package var value: Double?
        package var cipher: String?
    }

    package init(_ run: PeersRun) {
        let own = run.measurements.filter(\.isOwnPair)
        var stacks = Self.knownStacks.filter { s in own.contains { $0.stack == s } }
        stacks += Set(own.map(\.stack)).subtracting(stacks).sorted()
        self.stacks = stacks
        var notes: [String] = []
        func note(_ text: String) -> Int {
            if let i = notes.firstIndex(of: text) { return i + 1 }
            notes.append(text)
            return notes.count
        }
        let reps = Set(run.measurements.map { $0.rep ?? 1 }).sorted()
        var runs: [Run] = []
        for rep in reps {
            let ms = own.filter { ($0.rep ?? 1) == rep }
            runs.append(Run(title: reps.count > 1 ? "Run \(rep) of \(reps.count)" : "Run", rows: Self.rows(ms, stacks: stacks, note: note)))
        }
        if runs.count > 1 { runs.append(Self.median(runs, stacks: stacks)) }
        self.runs = runs
        self.notes = notes
        datagramLoss = own.filter { $0.isDatagram && $0.skipped == nil && $0.failed == nil }.map { m in
            DatagramLoss(
                run: m.rep ?? 1, stack: m.stack, workload: Self.workload(m), messages: (m.iterations ?? 0) + (m.lost ?? 0),
                lost: m.lost ?? 0, retransmissions: m.retransmissions ?? 0, lateEchoes: m.lateEchoes ?? 0)
        }.sorted { ($0.workload, $0.run, stacks.firstIndex(of: $0.stack) ?? 99) < ($1.workload, $1.run, stacks.firstIndex(of: $1.stack) ?? 99) }
        crossChecks = run.measurements.filter { !$0.isOwnPair && $0.skipped == nil && $0.failed == nil }.flatMap { m in
            Self.figures(m).map { f in
                CrossCheck(
                    run: m.rep ?? 1, client: m.stack, server: m.serverStack, workload: Self.workload(m),
                    figure: f.0, value: f.1, cipher: m.cipher)
            }
        }
    }

    /// The row label of a measurement (everything but the stack).
    static func workload(_ m: PeerMeasurement) -> String {
        var parts: [String]
        if m.workload == "echo" {
            parts = ["echo \(m.transport ?? "?")"]
            if m.transport != "tcp", let k = m.key { parts.append(k) }
            if let c = m.chunk { parts.append("\(Units.bytes(Double(c))) chunks") }
        } else {
            parts = ["\(m.workload) \(m.mode ?? "")".trimmingCharacters(in: .whitespaces)]
            if let k = m.key { parts.append(k) }
        }
        parts.append(m.clients == 1 ? "1 client" : "\(m.clients) clients")
        return parts.joined(separator: ", ")
    }

    /// Sort key of a row: echo before handshake, TCP before TLS, key types in a fixed order, full before resumed.
    static func order(_ m: PeerMeasurement) -> [Int] {
        let keys = ["RSA-2048", "P-256", "Ed25519"]
        return [
            m.workload == "echo" ? 0 : 1, ["tcp", "tls1.3", "dtls1.2"].firstIndex(of: m.transport ?? "") ?? 1, keys.firstIndex(of: m.key ?? "") ?? 9,
            m.mode == "resumed" ? 1 : 0, m.clients, m.chunk ?? 0,
        ]
    }

    /// The figures of a measurement: (name, value). Latencies in nanoseconds via HdrHistogram.
    static func figures(_ m: PeerMeasurement) -> [(String, Double?)] {
        if m.workload == "echo" && m.isDatagram { return [("throughput", m.throughput), ("messages/s", m.messageRate)] }
        if m.workload == "echo" { return [("throughput", m.throughput)] }
        let lat = LatencySummary(nanos: (m.latenciesUs ?? []).map { $0 * 1000 })
        return [("handshakes/s", m.handshakeRate), ("latency p50", lat?.median), ("latency p99", lat?.p99)]
    }

    static let figureNames = ["throughput", "messages/s", "handshakes/s", "latency p50", "latency p99"]

    static func rows(_ ms: [PeerMeasurement], stacks: [String], note: (String) -> Int) -> [Row] {
        var byWorkload: [String: [PeerMeasurement]] = [:]
        var order: [String: [Int]] = [:]
        for m in ms {
            let w = workload(m)
            byWorkload[w, default: []].append(m)
            order[w] = order[w] ?? Self.order(m)
        }
        let workloads = byWorkload.keys.sorted { a, b in
            order[a]! != order[b]! ? order[a]!.lexicographicallyPrecedes(order[b]!) : a < b
        }
        var rows: [Row] = []
        for w in workloads {
            let group = byWorkload[w]!
            let isEcho = group.first?.workload == "echo"
            let isDatagram = group.first?.isDatagram == true
            for figure in isDatagram ? ["throughput", "messages/s"] : isEcho ? ["throughput"] : ["handshakes/s", "latency p50", "latency p99"] {
                var cells: [Cell] = stacks.map { stack in
                    guard let m = group.first(where: { $0.stack == stack }) else {
                        return Cell(stack: stack, value: nil, ratio: nil, note: nil, failed: false)
                    }
                    if let why = m.skipped { return Cell(stack: stack, value: nil, ratio: nil, note: note("\(stack): \(why)"), failed: false) }
                    if let why = m.failed { return Cell(stack: stack, value: nil, ratio: nil, note: note("\(stack), \(w): \(why)"), failed: true) }
                    return Cell(stack: stack, value: figures(m).first { $0.0 == figure }?.1 ?? nil, ratio: nil, note: nil, failed: false)
                }
                fillRatios(&cells)
                rows.append(Row(workload: w, figure: figure, cells: cells))
            }
        }
        return rows
    }

    static func fillRatios(_ cells: inout [Cell]) {
        guard let ref = cells.first(where: { $0.stack == reference })?.value, ref > 0 else { return }
        for i in cells.indices { cells[i].ratio = cells[i].value.map { $0 / ref } }
    }

    /// Per cell, the median of the runs' values (ratios recomputed from the medians).
    static func median(_ runs: [Run], stacks: [String]) -> Run {
        var rows: [Row] = []
        var seen: [String] = []
        for r in runs.flatMap(\.rows) where !seen.contains(r.workload + "|" + r.figure) {
            seen.append(r.workload + "|" + r.figure)
            let same = runs.flatMap(\.rows).filter { $0.workload == r.workload && $0.figure == r.figure }
            var cells = stacks.map { stack in
                let cs = same.flatMap(\.cells).filter { $0.stack == stack }
                let values = cs.compactMap(\.value)
                return Cell(
                    stack: stack, value: Statistics.median(values), ratio: nil,
                    note: values.isEmpty ? cs.compactMap(\.note).first : nil, failed: values.isEmpty && cs.contains(where: \.failed))
            }
            fillRatios(&cells)
            rows.append(Row(workload: r.workload, figure: r.figure, cells: cells))
        }
        return Run(title: "Median of \(runs.count) runs", rows: rows)
    }
}
