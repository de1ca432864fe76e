/// The statistics of one group of tests (one line of a report section).
public struct GroupSummary: Sendable, Equatable {
    public var dimension: GroupDimension
    public var key: GroupKey
    public var tests: [TestSummary]
    /// Over the tests' throughputs (each the sum over its clients).
    public var throughput: Statistics.Summary?
    /// Over every client of every test: mean/median/p95 per client, min = slowest, max = fastest.
    public var perClient: Statistics.Summary?
    public var handshake: LatencySummary?
    /// Handshake benchmark: over the tests' handshakes/s.
    public var handshakeRate: Statistics.Summary?
    public var totalBytes: Int
    public var iterations: Int
    public var connected: Int
    public var attempted: Int
    public var errors: [String: Int]
    public var negotiated: [String: Int]
    public var handshakeFailures: Int
    /// Distinct (servers, client-hosts) pairs, sorted.
    public var participants: [Participants]
    /// Datagram (DTLS) echo tests of the group: loss, retransmissions, round trips; nil when it has none.
    public var datagram: DatagramSummary?

    public struct Participants: Sendable, Hashable, Comparable, Codable {
        public var server: Int
        public var clientHost: Int
        public static func < (a: Self, b: Self) -> Bool { (a.server, a.clientHost) < (b.server, b.clientHost) }
    }

    public var name: String { key.name }

    /// Every client throughput in the group: the samples a comparison tests.
    public var clientThroughputs: [Double] { tests.flatMap(\.clientThroughputs) }

    /// Tests in the group whose negotiated version differs from the one asked for.
    public var versionMismatches: [TestSummary] { tests.filter { $0.versionMismatch != nil } }

    public init(dimension: GroupDimension, key: GroupKey, tests: [TestSummary]) {
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
    public var participantsText: String {
        if participants.count == 1, let p = participants.first {
            return "\(p.server) server(s), \(p.clientHost) client-host(s)"
        }
        return participants.map { "\($0.server)+\($0.clientHost)" }.joined(separator: ", ")
            + " (server+client-host)"
    }

    /// "io 2, timeout 1" in key order.
    public var errorsText: String {
        errors.keys.sorted().map { "\($0) \(errors[$0]!)" }.joined(separator: ", ")
    }

    /// "TLSv1.3 ×200".
    public var negotiatedText: String {
        negotiated.keys.sorted().map { "\($0) ×\(negotiated[$0]!)" }.joined(separator: ", ")
    }
}
