/// The statistics of one group of tests (one line of a report section).
package struct GroupSummary: Sendable, Equatable {
    package var dimension: GroupDimension
    package var key: GroupKey
    package var tests: [TestSummary]
    /// Over the tests' throughputs (each the sum over its clients).
    package var throughput: Statistics.Summary?
    /// Over every client of every test: mean/median/p95 per client, min = slowest, max = fastest.
    package var perClient: Statistics.Summary?
    package var handshake: LatencySummary?
    /// Handshake benchmark: over the tests' handshakes/s.
    package var handshakeRate: Statistics.Summary?
    package var totalBytes: Int
    package var iterations: Int
    package var connected: Int
    package var attempted: Int
    package var errors: [String: Int]
    package var negotiated: [String: Int]
    package var handshakeFailures: Int
    /// Distinct (servers, client-hosts) pairs, sorted.
    package var participants: [Participants]
    /// Datagram (DTLS) echo tests of the group: loss, retransmissions, round trips; nil when it has none.
    package var datagram: DatagramSummary?

    package struct Participants: Sendable, Hashable, Comparable, Codable {
        package var server: Int
        package var clientHost: Int
        package static func < (a: Self, b: Self) -> Bool { (a.server, a.clientHost) < (b.server, b.clientHost) }
    }

    package var name: String { key.name }

    /// Every client throughput in the group: the samples a comparison tests.
    package var clientThroughputs: [Double] { tests.flatMap(\.clientThroughputs) }

    /// Tests in the group whose negotiated version differs from the one asked for.
    package var versionMismatches: [TestSummary] { tests.filter { $0.versionMismatch != nil } }

    package init(dimension: GroupDimension, key: GroupKey, tests: [TestSummary]) {
        self.dimension = dimension
        self.key = key
        self.tests = tests
        throughput = Statistics.summary(tests.compactMap(\.throughput))
        perClient = Statistics.summary(tests.flatMap(\.clientThroughputs))
        handshake = LatencySummary(nanos: tests.flatMap(\.handshakes))
        handshakeRate = Statistics.summary(tests.compactMap(\.handshakeRate))
        totalBytes = tests.reduce(0) { $0 + $1.totalBytes }
        iterations = tests.reduce(0) { $0 + $1.iterations }
        connected = tests.reduce(0) { $0 + $1.connected }
        attempted = tests.reduce(0) { $0 + $1.attempted }
        var errors: [String: Int] = [:]
        var negotiated: [String: Int] = [:]
        for t in tests {
            errors.merge(t.errors, uniquingKeysWith: +)
            negotiated.merge(t.negotiated, uniquingKeysWith: +)
        }
        self.errors = errors
        self.negotiated = negotiated
        handshakeFailures = tests.reduce(0) { $0 + $1.handshakeFailures }
        datagram = DatagramSummary(tests.map(\.perfCase))
        participants = Set(
            tests.map {
                Participants(
                    server: $0.perfCase.configuration.serverCount,
                    clientHost: $0.perfCase.configuration.clientHostCount)
            }
        ).sorted()
    }

    /// "4 server(s), 4 client-host(s)", or a list when the group mixes counts.
    package var participantsText: String {
        if participants.count == 1, let p = participants.first {
            return "\(p.server) server(s), \(p.clientHost) client-host(s)"
        }
        return participants.map { "\($0.server)+\($0.clientHost)" }.joined(separator: ", ")
            + " (server+client-host)"
    }

    /// "io 2, timeout 1" in key order.
    package var errorsText: String {
        errors.keys.sorted().map { "\($0) \(errors[$0]!)" }.joined(separator: ", ")
    }

    /// "TLSv1.3 ×200".
    package var negotiatedText: String {
        negotiated.keys.sorted().map { "\($0) ×\(negotiated[$0]!)" }.joined(separator: ", ")
    }
}
