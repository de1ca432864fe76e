/// What a report shows.
package enum ReportDetail: String, Sendable, Codable {
    /// Group sections only (`-n`).
    case groupsOnly
    /// A one-line list of the tests, then the group sections.
    case normal
    /// A full block for every test, then the group sections (`--detail`).
    case everyTest
}

/// The input of every report writer: the analysed tests and their groups.
package struct Analysis: Sendable {
    package var files: [String]
    /// One line per input file: where and when it ran.
    package var inputs: [String]
    package var tests: [TestSummary]
    package var sections: [(GroupDimension, [GroupSummary])]

    package init(files: [String], cases: [PerfCase], inputs: [String] = []) {
        self.files = files
        self.inputs = inputs
        tests = cases.map(TestSummary.init).sorted { a, b in
            a.perfCase.configuration.label != b.perfCase.configuration.label
                ? a.perfCase.configuration.label < b.perfCase.configuration.label : a.perfCase.id < b.perfCase.id
        }
        sections = Grouping.sections(tests)
        var seen: [(GroupDimension, Set<Set<String>>)] = []
        var same: [GroupDimension: GroupDimension] = [:]
        for (d, groups) in sections {
            let partition = Set(groups.map { Set($0.tests.map(Self.identity)) })
            if let earlier = seen.first(where: { $0.1 == partition }) { same[d] = earlier.0 } else { seen.append((d, partition)) }
        }
        sameAs = same
    }

    /// Sections whose groups hold exactly the same tests as an earlier section's (so the same
    /// numbers): printed once, the later one as a one-line reference. E.g. a run of one
    /// configuration has one group in every section.
    package var sameAs: [GroupDimension: GroupDimension]

    static func identity(_ t: TestSummary) -> String {
        "\(t.perfCase.source)|\(t.perfCase.id)|\(t.perfCase.repetition ?? 0)"
    }

    /// "Results by TLS Version: the same tests and figures as Results by Protocol (TLS 1.3 = tls)".
    package func sameAsText(_ d: GroupDimension) -> String? {
        guard let e = sameAs[d], let mine = sections.first(where: { $0.0 == d })?.1,
            let theirs = sections.first(where: { $0.0 == e })?.1
        else { return nil }
        let pairs = mine.compactMap { g -> String? in
            let ids = Set(g.tests.map(Self.identity))
            guard let other = theirs.first(where: { Set($0.tests.map(Self.identity)) == ids }) else { return nil }
            return g.name == other.name ? nil : "\(g.name) = \(other.name)"
        }
        return "\(d.title): the same tests and figures as \(e.title)" + (pairs.isEmpty ? "" : " (\(pairs.joined(separator: ", ")))")
    }
}

/// The statistic lines of a group or test block, shared by the text and
/// markdown writers: ("Throughput", "338.07 MB/s (mean), …").
enum StatLines {
    static func lines(_ g: GroupSummary) -> [(String, String)] {
        var out: [(String, String)] = []
        if let t = g.throughput {
            out.append(("Throughput", "\(Units.rate(t.mean)) (mean), \(Units.rate(t.median)) (median), \(Units.rate(t.p95)) (p95)"))
        }
        if let c = g.perClient {
            out.append(("Per client", "\(Units.rate(c.mean)) (mean), \(Units.rate(c.median)) (median), \(Units.rate(c.p95)) (p95)"))
            out.append(("Client range", "\(Units.rate(c.min)) (slowest) → \(Units.rate(c.max)) (fastest)"))
        }
        if let r = g.handshakeRate {
            out.append(("Rate", String(format: "%.0f handshakes/s (mean), %.0f (median), %.0f (fastest)", r.mean, r.median, r.max)))
        }
        if let h = g.handshake {
            out.append(("Handshake", "\(Units.millis(h.mean)) (mean), \(Units.millis(h.p95)) (p95), \(h.count) handshakes"))
            if g.dimension == .handshakeBenchmark {
                out.append(("Latency", "\(Units.millis(h.median)) (p50), \(Units.millis(h.p99)) (p99), \(Units.millis(h.max)) (max)"))
            }
        }
        let resumed = g.tests.flatMap(\.perfCase.clients).compactMap(\.resumedCount).reduce(0, +)
        if resumed > 0 { out.append(("Resumed", "\(resumed) of \(g.handshake?.count ?? 0) handshakes")) }
        if g.totalBytes > 0 || g.throughput != nil {
            out.append(("Total bytes", Units.bytes(Double(g.totalBytes))))
            out.append(("Iterations", String(g.iterations)))
        }
        out.append(("Connected", "\(g.connected)/\(g.attempted)"))
        if !g.negotiated.isEmpty {
            var text = g.negotiatedText
            let bad = g.versionMismatches
            if !bad.isEmpty {
                text += " — MISMATCH: \(bad.count) test(s) negotiated another version than asked"
            }
            out.append(("Negotiated", text))
        }
        if let d = g.datagram {
            out.append(("Loss", d.lossText))
            if let rtt = d.roundTripText { out.append(("Round trip", rtt)) }
            out.append(("Dropped", d.droppedText))
        }
        if !g.errors.isEmpty { out.append(("Errors", g.errorsText)) }
        if g.handshakeFailures > 0 { out.append(("HS failures", "\(g.handshakeFailures) (server side)")) }
        out.append(("Participants", g.participantsText))
        out.append(("Tests", String(g.tests.count)))
        var statuses: [String: Int] = [:]
        for t in g.tests { statuses[t.perfCase.status, default: 0] += 1 }
        if statuses.keys.contains(where: { $0 != "passed" }) {
            // Failed or timed-out cases that still reported data are included; say so.
            out.append(("Status", statuses.keys.sorted().map { "\(statuses[$0]!) \($0)" }.joined(separator: ", ")))
        }
        return out
    }

    /// Lines of one test in `--detail`: the group lines of a one-test group
    /// plus what only a single test has.
    static func lines(_ t: TestSummary) -> [(String, String)] {
        let g = GroupSummary(dimension: .configuration, key: GroupKey(name: t.perfCase.id, sort: [], text: ""), tests: [t])
        var out = lines(g).filter { $0.0 != "Tests" && $0.0 != "Participants" }
        if let i = out.firstIndex(where: { $0.0 == "Throughput" }), let tp = t.throughput {
            out[i] = ("Throughput", "\(Units.rate(tp)) (sum over \(t.clientThroughputs.count) clients)")
        }
        out.insert(("Status", t.perfCase.status), at: 0)
        out.insert(("Source", t.perfCase.source), at: 1)
        out.append(("Configuration", t.perfCase.configuration.label))
        out.append(("Servers", "\(t.perfCase.servers.count) reported: \(t.serverConnections) connections, \(Units.bytes(Double(t.serverBytes)))"))
        if let m = t.versionMismatch { out.append(("Warning", "asked for \(m), negotiated \(g.negotiatedText)")) }
        return out
    }
}
