/// One perf9 case (one planned test run) reduced to the raw measurements the
/// analyzer needs. Built from an `AssayResults.CaseResult` by `PerfCaseReader`.
package struct PerfCase: Sendable, Equatable {
    /// Canonical case id from the results file.
    package var id: String
    /// Test name: "echo", "tls-quick", "tcp-quick", "handshake".
    package var test: String
    /// Case status as written by the runner ("passed", "failed", …).
    package var status: String
    /// Which input file the case came from.
    package var source: String
    package var configuration: PerfConfiguration
    package var clients: [ClientSample]
    package var servers: [ServerSample]
    /// Resident memory of participants that measured it (the idle-memory test).
    package var memory: [MemorySample]
    /// `runner --repeat N`: which repetition this case is (nil when the run did not repeat).
    package var repetition: Int?

    package init(
        id: String, test: String, status: String, source: String,
        configuration: PerfConfiguration, clients: [ClientSample], servers: [ServerSample],
        memory: [MemorySample] = []
    ) {
        self.memory = memory
        self.id = id
        self.test = test
        self.status = status
        self.source = source
        self.configuration = configuration
        self.clients = clients
        self.servers = servers
    }
}

/// The matrix combination and coordination selector of a perf9 case.
package struct PerfConfiguration: Sendable, Hashable, Codable {
    /// "tcp", "tls", "unix", "unix-tls", "dtls".
    package var proto: String
    /// "1.2", "1.3", or nil for plaintext.
    package var tlsVersion: String?
    package var chunkSize: Int?
    package var clientCount: Int?
    /// Seconds.
    package var duration: Int?
    /// "task", "thread", "process", or "default" when the selector did not say.
    package var parallel: String
    package var serverCount: Int
    package var clientHostCount: Int
    /// The `<placement=…>` of the case: "shared" (no pinning, the default) or "split".
    package var placement: String

    package init(
        proto: String, tlsVersion: String? = nil, chunkSize: Int? = nil, clientCount: Int? = nil,
        duration: Int? = nil, parallel: String = "default", serverCount: Int = 1, clientHostCount: Int = 1,
        placement: String = "shared"
    ) {
        self.placement = placement
        self.proto = proto
        self.tlsVersion = tlsVersion
        self.chunkSize = chunkSize
        self.clientCount = clientCount
        self.duration = duration
        self.parallel = parallel
        self.serverCount = serverCount
        self.clientHostCount = clientHostCount
    }

    /// Whether the protocol runs TLS or DTLS (and so has a handshake and a TLS version).
    package var isTLS: Bool { proto.contains("tls") }
    /// DTLS over UDP: its "1.2" is DTLS 1.2 (negotiated `DTLSv1.2`).
    package var isDTLS: Bool { proto == "dtls" }

    /// The negotiated version name `tlsVersion` asks for: "TLSv1.3", "DTLSv1.2" (nil for plaintext).
    package var expectedVersionName: String? { tlsVersion.map { (isDTLS ? "DTLSv" : "TLSv") + $0 } }

    /// Short, stable, human label, e.g. "tls 1.3, 50 clients, 4 KB chunks, 10 s, thread, 2×server 2×client-host".
    package var label: String {
        var parts = [tlsVersion.map { "\(proto) \($0)" } ?? proto]
        if let c = clientCount { parts.append("\(c) clients") }
        if let c = chunkSize { parts.append("\(Units.bytes(Double(c))) chunks") }
        if let d = duration { parts.append("\(d) s") }
        parts.append(parallel)
        parts.append("\(serverCount)×server \(clientHostCount)×client-host")
        if placement != "shared" { parts.append("placement \(placement)") }
        return parts.joined(separator: ", ")
    }
}

/// One client's raw report from a client-host participant.
package struct ClientSample: Sendable, Equatable {
    package var bytesSent: Int
    package var bytesReceived: Int
    package var iterations: Int
    package var startNanos: Int?
    package var endNanos: Int?
    /// Handshake time of the echo connection, if it is TLS and completed.
    package var handshakeNanos: Int?
    package var connected: Bool
    package var negotiatedVersion: String?
    /// Error counts by category ("io", "timeout", …).
    package var errors: [String: Int]
    /// Handshake benchmark: one duration per handshake.
    package var handshakes: [Int]
    /// Handshake benchmark: whether the session was resumed.
    package var resumed: Bool?
    /// Handshake benchmark: the server key type, e.g. "RSA-2048".
    package var keyType: String?
    /// Handshake benchmark: the client's measuring window, nanoseconds (handshakes/s = count / window).
    package var handshakeWindowNanos: Int?
    /// Handshake benchmark: how many of `handshakes` resumed a session.
    package var resumedCount: Int?
    /// Datagram (DTLS) echo: messages resent after a per-message timeout.
    package var retransmissions: Int?
    /// Datagram echo: messages given up after the last resend.
    package var lost: Int?
    /// Datagram echo: echoes that arrived after their message was resent or given up.
    package var lateEchoes: Int?
    /// Datagram echo: messages the client's receive queue dropped.
    package var droppedMessages: Int?
    /// Datagram echo: round-trip times of a uniform sample of the client's messages, nanoseconds.
    package var rttSampleNanos: [Int] = []

    /// Whether the client reported datagram figures (a DTLS echo client).
    package var isDatagram: Bool { retransmissions != nil || lost != nil }

    package init(
        bytesSent: Int = 0, bytesReceived: Int = 0, iterations: Int = 0, startNanos: Int? = nil,
        endNanos: Int? = nil, handshakeNanos: Int? = nil, connected: Bool = false,
        negotiatedVersion: String? = nil, errors: [String: Int] = [:], handshakes: [Int] = [],
        resumed: Bool? = nil, keyType: String? = nil, handshakeWindowNanos: Int? = nil, resumedCount: Int? = nil,
        retransmissions: Int? = nil, lost: Int? = nil, lateEchoes: Int? = nil, droppedMessages: Int? = nil,
        rttSampleNanos: [Int] = []
    ) {
        self.retransmissions = retransmissions
        self.lost = lost
        self.lateEchoes = lateEchoes
        self.droppedMessages = droppedMessages
        self.rttSampleNanos = rttSampleNanos
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.iterations = iterations
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.handshakeNanos = handshakeNanos
        self.connected = connected
        self.negotiatedVersion = negotiatedVersion
        self.errors = errors
        self.handshakes = handshakes
        self.resumed = resumed
        self.keyType = keyType
        self.handshakeWindowNanos = handshakeWindowNanos
        self.resumedCount = resumedCount
    }

    /// Bytes moved in both directions.
    package var totalBytes: Int { bytesSent + bytesReceived }

    /// Bytes per second over the client's own run time, or nil when the
    /// client has no usable interval (never started, or end ≤ start).
    package var throughput: Double? {
        guard let s = startNanos, let e = endNanos, e > s else { return nil }
        return Double(totalBytes) / (Double(e - s) / 1e9)
    }

    /// Every handshake duration this client measured, nanoseconds.
    package var allHandshakes: [Int] {
        (handshakeNanos.map { [$0] } ?? []) + handshakes
    }
}

/// One server participant's raw report.
package struct ServerSample: Sendable, Equatable {
    package var connections: Int
    package var bytes: Int
    package var handshakeFailures: Int
    /// DTLS servers: messages dropped on full receive queues.
    package var droppedMessages: Int?

    package init(connections: Int = 0, bytes: Int = 0, handshakeFailures: Int = 0, droppedMessages: Int? = nil) {
        self.droppedMessages = droppedMessages
        self.connections = connections
        self.bytes = bytes
        self.handshakeFailures = handshakeFailures
    }
}

/// One participant's resident memory before opening connections and while they sit idle.
package struct MemorySample: Sendable, Equatable {
    /// "server" or "client-host".
    package var role: String
    package var idleConnections: Int
    package var rssBeforeBytes: Int
    package var rssIdleBytes: Int

    package init(role: String, idleConnections: Int, rssBeforeBytes: Int, rssIdleBytes: Int) {
        self.role = role
        self.idleConnections = idleConnections
        self.rssBeforeBytes = rssBeforeBytes
        self.rssIdleBytes = rssIdleBytes
    }

    /// Resident bytes per idle connection (nil without connections).
    package var bytesPerConnection: Double? {
        idleConnections > 0 ? Double(rssIdleBytes - rssBeforeBytes) / Double(idleConnections) : nil
    }
}
