/// A way to group tests in the report.
package enum GroupDimension: String, Sendable, CaseIterable, Codable {
    case proto = "protocol"
    case tlsVersion = "tls-version"
    case clientCount = "client-count"
    case parallel
    case participants
    case configuration
    case handshakeBenchmark = "handshake-benchmark"
    case overall

    /// The sections of a report, in order.
    package static let reportSections: [GroupDimension] = [
        .proto, .tlsVersion, .clientCount, .parallel, .participants, .overall, .handshakeBenchmark,
    ]

    package var title: String {
        switch self {
        case .proto: return "Results by Protocol"
        case .tlsVersion: return "Results by TLS Version"
        case .clientCount: return "Results by Client Count"
        case .parallel: return "Results by Parallel Mode"
        case .participants: return "Results by Participants"
        case .configuration: return "Results by Configuration"
        case .handshakeBenchmark: return "Handshake Benchmark"
        case .overall: return "Overall Statistics"
        }
    }

    /// The group a test falls in (nil: not in this section, e.g. plaintext
    /// tests have no TLS version), with a sort key that orders groups.
    /// Handshake-benchmark tests only appear in their own section.
    package func key(_ t: TestSummary) -> GroupKey? {
        let c = t.perfCase.configuration
        if self == .handshakeBenchmark {
            guard t.isHandshakeBenchmark else { return nil }
            return GroupKey(name: t.handshakeLabel, sort: [], text: t.handshakeLabel)
        }
        if t.isHandshakeBenchmark { return nil }
        switch self {
        case .proto:
            let order = ["tcp", "tls", "unix", "unix-tls", "dtls"].firstIndex(of: c.proto) ?? 99
            return GroupKey(name: c.proto, sort: [order], text: c.proto)
        case .tlsVersion:
            guard let v = c.tlsVersion else { return nil }
            // DTLS 1.2 is its own group: datagrams, not TLS 1.2's stream.
            if c.isDTLS { return GroupKey(name: "DTLS \(v)", sort: [1], text: v) }
            return GroupKey(name: "TLS \(v)", sort: [], text: v)
        case .clientCount:
            guard let n = c.clientCount else { return nil }
            return GroupKey(name: "\(n) clients", sort: [n], text: "")
        case .parallel:
            let order = ["task", "thread", "process"].firstIndex(of: c.parallel) ?? 99
            return GroupKey(name: c.parallel, sort: [order], text: c.parallel)
        case .participants:
            return GroupKey(
                name: "\(c.serverCount) server(s), \(c.clientHostCount) client-host(s)",
                sort: [c.serverCount, c.clientHostCount], text: "")
        case .configuration:
            return GroupKey(name: c.label, sort: [], text: c.label)
        case .overall:
            return GroupKey(name: "All tests", sort: [], text: "")
        case .handshakeBenchmark:
            return nil
        }
    }
}

/// Identifies a group within a dimension.
package struct GroupKey: Sendable, Hashable, Comparable, Codable {
    package var name: String
    var sort: [Int]
    var text: String

    package static func < (a: GroupKey, b: GroupKey) -> Bool {
        if a.sort != b.sort { return a.sort.lexicographicallyPrecedes(b.sort) }
        return a.text != b.text ? a.text < b.text : a.name < b.name
    }
}

/// Puts tests into groups.
package enum Grouping {
    /// Groups of `tests` along `dimension`, in report order.
    package static func groups(_ tests: [TestSummary], by dimension: GroupDimension) -> [GroupSummary] {
        var buckets: [GroupKey: [TestSummary]] = [:]
        for t in tests {
            guard let k = dimension.key(t) else { continue }
            buckets[k, default: []].append(t)
        }
        return buckets.keys.sorted().map { GroupSummary(dimension: dimension, key: $0, tests: buckets[$0]!) }
    }

    /// Every report section with its groups (empty sections left out).
    package static func sections(
        _ tests: [TestSummary], dimensions: [GroupDimension] = GroupDimension.reportSections
    )
        -> [(GroupDimension, [GroupSummary])]
    {
        dimensions.map { ($0, groups(tests, by: $0)) }.filter { !$0.1.isEmpty }
    }
}
