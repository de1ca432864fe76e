import AssayResults
import Foundation

/// One line of a tools/compare-peers run: what a peer's client printed (tools/peers/README.md),
/// plus what the driver adds (server stack, key type, repetition), or a skip/failure record.
package struct PeerMeasurement: Sendable, Codable, Equatable {
    /// The client's stack: "jsec", "nio-ssl", "node", "python".
    package var stack: String
    /// The server's stack; nil means the same as `stack`.
    package var server: String?
    /// "echo" or "handshake".
    package var workload: String
    /// Echo: "tcp", "tls1.3" or "dtls1.2" (messages over UDP).
    package var transport: String?
    /// Handshake: "full" or "resumed".
    package var mode: String?
    /// Server key type: "RSA-2048", "P-256", "Ed25519".
    package var key: String?
    package var clients: Int
    /// Echo: bytes per write.
    package var chunk: Int?
    /// Seconds asked for.
    package var duration: Double?
    /// Seconds measured.
    package var seconds: Double?
    /// Echo: bytes sent plus received by the clients.
    package var bytes: Int?
    /// Echo: round trips (DTLS: messages that came back).
    package var iterations: Int?
    /// DTLS echo: messages resent after the per-message timeout.
    package var retransmissions: Int?
    /// DTLS echo: messages given up after the last resend.
    package var lost: Int?
    /// DTLS echo: echoes that arrived after their message was resent or given up.
    package var lateEchoes: Int?
    /// Handshake: completed connections.
    package var handshakes: Int?
    /// Handshake: how many of them resumed a session.
    package var resumed: Int?
    /// Operations the clients saw fail (connects, handshakes, reads, writes): none in a clean run.
    package var errors: Int?
    /// Echo: clients that connected (and handshook) of `clients`.
    package var connected: Int?
    /// Handshake: one latency per handshake (connect start → echoed byte), microseconds.
    package var latenciesUs: [Int]?
    /// The TLS suite the client negotiated, when the stack can tell.
    package var cipher: String?
    /// Which repetition of the comparison (1, 2, …).
    package var rep: Int?
    /// Why this stack cannot run this workload (e.g. no client session API): shown as n/a.
    package var skipped: String?
    /// Why the measurement failed (the peer's exit status and last words): shown as FAILED.
    package var failed: String?

    package init(
        stack: String, server: String? = nil, workload: String, transport: String? = nil, mode: String? = nil,
        key: String? = nil, clients: Int, chunk: Int? = nil, duration: Double? = nil, seconds: Double? = nil,
        bytes: Int? = nil, handshakes: Int? = nil, resumed: Int? = nil, errors: Int? = nil,
        latenciesUs: [Int]? = nil, cipher: String? = nil, rep: Int? = nil, skipped: String? = nil,
        failed: String? = nil, iterations: Int? = nil, retransmissions: Int? = nil, lost: Int? = nil, lateEchoes: Int? = nil,
        connected: Int? = nil
    ) {
        self.iterations = iterations; self.retransmissions = retransmissions; self.lost = lost; self.lateEchoes = lateEchoes
        self.stack = stack; self.server = server; self.workload = workload; self.transport = transport
        self.mode = mode; self.key = key; self.clients = clients; self.chunk = chunk; self.duration = duration
        self.seconds = seconds; self.bytes = bytes; self.handshakes = handshakes; self.resumed = resumed
        self.errors = errors; self.connected = connected; self.latenciesUs = latenciesUs; self.cipher = cipher; self.rep = rep
        self.skipped = skipped; self.failed = failed
    }

    /// Why a measurement that ran is not the figure its row names, or nil: errors among its clients, clients
    /// that never connected (a rate of the others), or handshakes of the other mode (a "resumed" rate made of
    /// full handshakes). `PeersRun.load` shows such a measurement as FAILED with this reason.
    package var flaw: String? {
        if let e = errors, e > 0 { return "\(e) operation\(e == 1 ? "" : "s") failed among its clients (a clean run has none)" }
        if workload == "echo", let c = connected, c < clients { return "only \(c) of its \(clients) clients connected" }
        if workload == "handshake", let h = handshakes, let r = resumed {
            if mode == "resumed" && r < h { return "only \(r) of its \(h) handshakes resumed a session" }
            if mode == "full" && r > 0 { return "\(r) of its \(h) handshakes resumed a session in a full-handshake run" }
        }
        return nil
    }

    package var serverStack: String { server ?? stack }
    /// Client and server are the same stack (the side-by-side table); otherwise a cross-check.
    package var isOwnPair: Bool { serverStack == stack }

    /// Echo: bytes per second (sent plus received).
    package var throughput: Double? {
        guard let b = bytes, let s = seconds, s > 0 else { return nil }
        return Double(b) / s
    }

    /// A datagram echo (DTLS): its rows add messages/s, and its loss is listed.
    package var isDatagram: Bool { transport?.hasPrefix("dtls") == true }

    /// DTLS echo: messages echoed per second.
    package var messageRate: Double? {
        guard let n = iterations, let s = seconds, s > 0 else { return nil }
        return Double(n) / s
    }

    /// Handshake: completed handshakes per second.
    package var handshakeRate: Double? {
        guard let n = handshakes, let s = seconds, s > 0 else { return nil }
        return Double(n) / s
    }
}

/// A tools/compare-peers results directory: `run.json` (parameters, machine) and
/// `measurements.jsonl` (one ``PeerMeasurement`` a line).
package struct PeersRun: Sendable {
    package var directory: String
    /// The top-level objects of run.json ("parameters", "machine", …).
    package var info: [String: JSONValue]
    package var measurements: [PeerMeasurement]

    package init(directory: String, info: [String: JSONValue], measurements: [PeerMeasurement]) {
        self.directory = directory
        self.info = info
        self.measurements = measurements
    }

    package static let infoFile = "run.json"
    package static let measurementsFile = "measurements.jsonl"

    package static func load(directory: String) throws(LoadError) -> PeersRun {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw .missing(path: directory)
        }
        let infoPath = (directory as NSString).appendingPathComponent(infoFile)
        let linesPath = (directory as NSString).appendingPathComponent(measurementsFile)
        var info: [String: JSONValue] = [:]
        if FileManager.default.fileExists(atPath: infoPath) {
            let data = try ResultsLoader.read(path: infoPath)  // the analyzer's input limit (64 MiB)
            guard let v = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let o) = v else {
                throw .notJSON(path: infoPath)
            }
            info = o
        }
        guard FileManager.default.fileExists(atPath: linesPath) else { throw .missing(path: linesPath) }
        let data = try ResultsLoader.read(path: linesPath)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var out: [PeerMeasurement] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            do {
                var m = try decoder.decode(PeerMeasurement.self, from: Data(text.utf8))
                if m.failed == nil && m.skipped == nil, let flaw = m.flaw { m.failed = flaw }
                out.append(m)
            } catch {
                throw .malformed(path: linesPath, reason: "line \(i + 1) is not a peer measurement (\(Self.reason(error)))")
            }
        }
        guard !out.isEmpty else { throw .malformed(path: linesPath, reason: "no measurements") }
        return PeersRun(directory: directory, info: info, measurements: out)
    }

    private static func reason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let k, _): return "missing \(k.stringValue)"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "bad \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case .dataCorrupted: return "not JSON"
        default: return "\(error)"
        }
    }
}
