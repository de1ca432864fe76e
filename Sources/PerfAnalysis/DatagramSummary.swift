/// What datagram (DTLS) echo clients count beyond the stream figures, totalled over the clients of a test
/// or a group: messages echoed and lost, retransmissions, late echoes, messages dropped on full receive
/// queues, and the round-trip times the clients sampled. Nil for stream tests (no client reported any of it).
package struct DatagramSummary: Sendable, Equatable, Codable {
    /// Messages that came back (echo round trips).
    package var echoed: Int
    /// Messages given up after the client's last resend.
    package var lost: Int
    /// Resends after a per-message timeout.
    package var retransmissions: Int
    /// Echoes that arrived after their message had been resent or given up.
    package var lateEchoes: Int
    /// Messages dropped on a full receive queue: by the clients, by the servers.
    package var clientDropped: Int
    package var serverDropped: Int
    /// Round trip (first send → echo, resends included) of the sampled messages.
    package var roundTrip: LatencySummary?

    /// Messages the clients sent at least once.
    package var messages: Int { echoed + lost }
    /// Lost messages as a share of all messages, 0…1 (nil without messages).
    package var lossRate: Double? { messages > 0 ? Double(lost) / Double(messages) : nil }
    /// Resends per message sent, 0… (nil without messages).
    package var retransmissionRate: Double? { messages > 0 ? Double(retransmissions) / Double(messages) : nil }

    /// Nil when no client of `cases` reported datagram figures.
    package init?(_ cases: [PerfCase]) {
        let clients = cases.flatMap(\.clients).filter(\.isDatagram)
        guard !clients.isEmpty else { return nil }
        echoed = clients.reduce(0) { $0 + $1.iterations }
        lost = clients.reduce(0) { $0 + ($1.lost ?? 0) }
        retransmissions = clients.reduce(0) { $0 + ($1.retransmissions ?? 0) }
        lateEchoes = clients.reduce(0) { $0 + ($1.lateEchoes ?? 0) }
        clientDropped = clients.reduce(0) { $0 + ($1.droppedMessages ?? 0) }
        serverDropped = cases.flatMap(\.servers).reduce(0) { $0 + ($1.droppedMessages ?? 0) }
        roundTrip = LatencySummary(nanos: clients.flatMap(\.rttSampleNanos))
    }

    /// "0 lost of 1234567 messages (0.000%), 12 retransmissions (0.001 per message), 3 late echoes".
    package var lossText: String {
        "\(lost) lost of \(messages) messages (\(percent(lossRate))), \(retransmissions) retransmissions "
            + "(\(percent(retransmissionRate)) of messages), \(lateEchoes) late echoes"
    }

    /// "client 0, server 0".
    package var droppedText: String { "client \(clientDropped), server \(serverDropped) (full receive queues)" }

    /// "0.08 ms (p50), 0.31 ms (p99), 2.10 ms (max), 512 sampled".
    package var roundTripText: String? {
        roundTrip.map { "\(Units.millis($0.median)) (p50), \(Units.millis($0.p99)) (p99), \(Units.millis($0.max)) (max), \($0.count) sampled" }
    }

    private func percent(_ x: Double?) -> String {
        x.map { String(format: "%.3f%%", $0 * 100) } ?? "–"
    }
}
