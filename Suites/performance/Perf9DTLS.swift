import Assay
import Foundation
import JSec
import NIOCore

/// perf9's `protocol=dtls` echo: DTLS 1.2 over UDP. Servers are `DTLS.listen` sockets (one port each: UDP
/// has no SO_REUSEPORT in `DTLS.listen`, so clients are spread round-robin as on Unix sockets); clients are
/// `DTLS.connect` associations. A client sends one message of `chunk-size` bytes (its sequence number in
/// the first 8), waits for its echo, and sends the next. UDP loses datagrams and DTLS does not resend
/// application data, so a client that gets no echo within ``retransmitTimeout`` sends the message again,
/// up to ``maximumRetransmissions`` times; then the message is counted lost and the next one goes out.
/// Retransmissions, lost messages and late echoes (of an earlier attempt) are reported per client, with a
/// sample of round-trip times, beside the bytes and iterations every perf9 client reports.
enum Perf9DTLS {
    /// How long a client waits for an echo before it sends the message again.
    static let retransmitTimeout: Duration = .milliseconds(250)
    /// Resends of one message before it counts as lost.
    static let maximumRetransmissions = 4
    /// Round-trip times kept per client (a uniform reservoir sample of all its messages).
    static let rttSampleSize = 256
    /// The datagram size both ends use: `DTLSOptions`' default, a path with room for tunnels.
    static let mtu = DTLSOptions().mtu
    /// The largest message at ``mtu`` with an AES-GCM suite: 13 bytes of record header, 8 of explicit
    /// nonce, 16 of tag. The skip rule uses it; the client still checks the connection's own maximum.
    static let maximumMessageAtMTU = mtu - 13 - 8 - 16

    /// The skip reason of a `protocol=dtls` combination, or nil when it runs.
    static func skipReason(tlsVersion: AssayValue?, chunkSize: AssayValue?) -> String? {
        if tlsVersion != .string("1.2") {
            return "dtls runs at tls-version 1.2 (DTLS 1.2, the datagram form of TLS 1.2; OpenSSL 3 has no DTLS 1.3)"
        }
        if case .int(let chunk)? = chunkSize, chunk > maximumMessageAtMTU {
            return "a DTLS message is one datagram: chunk-size \(chunk) exceeds the \(maximumMessageAtMTU)-byte maximum message at mtu \(mtu)"
        }
        return nil
    }

    static func options(_ load: Perf9.Load) -> DTLSOptions {
        var o = DTLSOptions()
        // Every benchmark client comes from one address (127.0.0.1): the per-address bound on handshakes in
        // progress (a defence against cookie harvesting) would otherwise hold back all but 64 of them.
        o.maximumHandshakesPerAddress = max(o.maximumHandshakesPerAddress, 10 * load.clientCount)
        return o
    }

    // MARK: - server

    static func listen(
        host: String, identity: CertificateAndKey, load: Perf9.Load, group: any EventLoopGroup
    ) async throws -> DTLSServer {
        var config = TLSConfiguration.server(identity)
        config.minimumVersion = .tls1_2
        config.maximumVersion = .tls1_2
        return try await DTLS.listen(
            host: host, port: 0, context: DTLS.context(config), options: options(load), eventLoopGroup: group)
    }

    /// Echoes every message of every accepted association until the client-hosts are done; reports the
    /// raw counts (as the stream servers do, plus messages dropped on a full receive queue).
    static func serveEcho(_ p: ParticipantContext, _ server: DTLSServer, duration: Int) async throws {
        let counters = ServerCounters()
        let acceptor = Task {
            await withDiscardingTaskGroup { group in
                while let connection = try? await server.accept() {
                    counters.connected()
                    group.addTask {
                        let (bytes, drops) = await echo(connection)
                        counters.add(bytes: bytes)
                        counters.add(dropped: drops)
                    }
                }
            }
        }
        try await p.barrier("start", timeout: .seconds(60))
        try await p.awaitAll("client-host", "done", timeout: .seconds(Double(duration) + 120))
        await server.close()
        await acceptor.value
        p.report([
            "connections": .int(counters.connections), "bytes": .int(counters.bytes),
            "handshakeFailures": .int(server.handshakeFailures.count), "droppedMessages": .int(counters.dropped),
        ])
    }

    /// Sends every message back until the client closes (or the server does); returns the bytes echoed
    /// and the messages the connection dropped on a full receive queue.
    static func echo(_ connection: DTLSConnection) async -> (bytes: Int, dropped: Int) {
        var total = 0
        while let message = try? await connection.read() {
            total += message.count
            do { try await connection.write(message) } catch { break }
        }
        let dropped = connection.droppedMessages
        await connection.close()
        return (total, dropped)
    }

    // MARK: - client

    static func clientContext(certificatePEM: String) throws -> TLSContext {
        var c = TLSConfiguration.client(trustRoots: .pem(certificatePEM))
        c.minimumVersion = .tls1_2
        c.maximumVersion = .tls1_2
        return try DTLS.context(c)
    }

    /// One DTLS echo client: connect (handshake timed), then lock-step messages until `deadline`.
    static func runClient(
        server: Perf9.ServerInfo, context: TLSContext, load: Perf9.Load, deadline: ContinuousClock.Instant,
        group: any EventLoopGroup, seed: UInt64
    ) async -> Perf9.ClientResult {
        var r = Perf9.ClientResult()
        r.datagram = Perf9.DatagramCounts()
        r.startNanos = DispatchTime.now().uptimeNanoseconds
        var connection: DTLSConnection?
        do {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let c = try await DTLS.connect(
                host: server.host, port: server.port!, serverName: "localhost", context: context,
                options: options(load), eventLoopGroup: group)
            connection = c
            r.connected = true
            r.handshakeNanos = DispatchTime.now().uptimeNanoseconds - t0
            r.negotiatedVersion = "\(c.version)"
            guard load.chunkSize <= c.maximumMessageSize, load.chunkSize >= 8 else {
                throw JSecError(
                    .usage,
                    "chunk-size \(load.chunkSize) does not fit this DTLS connection: messages are 8…\(c.maximumMessageSize) bytes (\(c.cipher), mtu \(mtu))",
                    code: .jsec(.invalidArgument))
            }
            var payload = [UInt8](repeating: 0x5A, count: load.chunkSize)
            var sampler = ReservoirSampler(capacity: rttSampleSize, seed: seed)
            var sequence: UInt64 = 0
            r.startNanos = DispatchTime.now().uptimeNanoseconds
            while ContinuousClock.now < deadline {
                sequence += 1
                withUnsafeBytes(of: sequence.bigEndian) { for i in 0..<8 { payload[i] = $0[i] } }
                let sent = DispatchTime.now().uptimeNanoseconds
                var answered = false
                for attempt in 0...maximumRetransmissions {
                    if attempt > 0 { r.datagram!.retransmissions += 1 }
                    try await c.write(payload)
                    r.bytesSent += payload.count
                    if try await awaitEcho(c, sequence: sequence, size: payload.count, result: &r) {
                        answered = true
                        break
                    }
                }
                if answered {
                    r.bytesReceived += payload.count
                    r.iterations += 1
                    sampler.add(Int(DispatchTime.now().uptimeNanoseconds - sent))
                } else {
                    r.datagram!.lost += 1
                }
            }
            r.endNanos = DispatchTime.now().uptimeNanoseconds
            r.datagram!.rttSampleNanos = sampler.samples
            r.datagram!.droppedMessages = c.droppedMessages
            await c.close()
        } catch {
            r.endNanos = DispatchTime.now().uptimeNanoseconds
            let category = (error as? JSecError)?.category.rawValue ?? "other"
            r.errors[category, default: 0] += 1
            await connection?.close()
        }
        return r
    }

    /// Reads until the echo of `sequence` arrives (true) or ``retransmitTimeout`` passes (false). Echoes of
    /// earlier messages or attempts that arrive late are counted and skipped.
    static func awaitEcho(
        _ c: DTLSConnection, sequence: UInt64, size: Int, result r: inout Perf9.ClientResult
    ) async throws -> Bool {
        let giveUp = ContinuousClock.now + retransmitTimeout
        while true {
            let remaining = giveUp - ContinuousClock.now
            guard remaining > .zero else { return false }
            let message: [UInt8]?
            do {
                message = try await c.read(timeout: remaining)
            } catch let e as JSecError where e.category == .timeout {
                return false
            }
            guard let message else { throw JSecError(.closed, "the DTLS server sent close_notify", code: .jsec(.closed)) }
            let got = message.count >= 8 ? message[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : 0
            if got == sequence && message.count == size { return true }
            r.datagram!.lateEchoes += 1
        }
    }
}

extension Perf9 {
    /// What a datagram client counts beyond the stream clients' figures.
    struct DatagramCounts: Sendable {
        /// Messages sent again after ``Perf9DTLS/retransmitTimeout`` without an echo.
        var retransmissions = 0
        /// Messages given up after ``Perf9DTLS/maximumRetransmissions`` resends.
        var lost = 0
        /// Echoes that arrived after their message had been resent or given up (duplicates, stragglers).
        var lateEchoes = 0
        /// Messages the client's own receive queue dropped (``DTLSConnection/droppedMessages``).
        var droppedMessages = 0
        /// Round-trip times (first send → matching echo, resends included) of a uniform sample of messages.
        var rttSampleNanos: [Int] = []

        var json: [String: JSONValue] {
            [
                "retransmissions": .int(retransmissions), "lost": .int(lost), "lateEchoes": .int(lateEchoes),
                "droppedMessages": .int(droppedMessages), "rttSampleNanos": .array(rttSampleNanos.map { .int($0) }),
            ]
        }
    }
}

/// A uniform sample of at most `capacity` values from a stream of unknown length (Algorithm R),
/// with a deterministic generator so a run's sampling does not depend on global state.
struct ReservoirSampler {
    let capacity: Int
    private(set) var samples: [Int] = []
    private var seen = 0
    private var generator: SeededGenerator

    init(capacity: Int, seed: UInt64) {
        self.capacity = capacity
        generator = SeededGenerator(seed: seed)
    }

    mutating func add(_ value: Int) {
        seen += 1
        if samples.count < capacity {
            samples.append(value)
            return
        }
        let j = Int(generator.next() % UInt64(seen))
        if j < capacity { samples[j] = value }
    }
}
