import AssayResults

/// Turns the cases of a results file into `PerfCase`s: picks the perf9
/// cases (`category: performance`, `suite: perf9`) that carry participant
/// reports, and reads their combination, coordination and raw data.
/// Unknown keys are ignored; missing numbers count as zero.
package enum PerfCaseReader {
    package static let category = "performance"
    package static let suite = "perf9"

    /// Whether a case belongs to perf9 at all (with or without data).
    package static func isPerf9(_ c: CaseResult) -> Bool {
        c.category == category && c.suite == suite
    }

    /// The perf9 cases of `results` that have participant data. A number that is not a count
    /// (negative, fractional, infinite, 1e308, a string) is `LoadError.malformed`, naming the case,
    /// the participant, the client and the field: a report that cannot be true is not averaged in.
    package static func cases(in results: RunResults, source: String) throws(LoadError) -> [PerfCase] {
        var out: [PerfCase] = []
        for c in results.cases where isPerf9(c) {
            do {
                if let p = try read(c, source: source) { out.append(p) }
            } catch {
                throw .malformed(path: source, reason: "case \(c.id)\(c.repetition.map { " (repetition \($0))" } ?? ""): \(error.description)")
            }
        }
        return out
    }

    /// The largest count a report may hold: 2^53, the last integer a Double holds exactly.
    package static let maxCount = 1 << 53

    /// Why a report's number cannot be used: "client-host[0] client 3: bytesReceived 1e+308 is not a count …".
    package struct BadNumber: Error, CustomStringConvertible {
        package var description: String
    }

    /// A count or a time in ns: absent or null is nil (counted as zero); else a non-negative integer ≤ 2^53.
    static func count(_ v: JSONValue?, _ field: String, _ at: String) throws(BadNumber) -> Int? {
        let shown: String
        switch v {
        case nil, .null?: return nil
        case .int(let i)?:
            if i >= 0 && i <= maxCount { return i }
            shown = String(i)
        case .double(let d)?:
            if d.isFinite && d >= 0 && d <= Double(maxCount) && d == d.rounded() { return Int(d) }
            shown = "\(d)"
        case .string(let t)?: shown = "\"\(t)\""
        case .bool(let b)?: shown = String(b)
        case .array?: shown = "an array"
        case .object?: shown = "an object"
        }
        throw BadNumber(description: "\(at)\(field) \(shown) is not a count (a non-negative integer ≤ 2^53)")
    }

    /// Reads one case; nil when it has no client or server report.
    package static func read(_ c: CaseResult, source: String) throws(BadNumber) -> PerfCase? {
        var clients: [ClientSample] = []
        var servers: [ServerSample] = []
        var memory: [MemorySample] = []
        for entry in c.data {
            guard let role = entry["role"]?.stringValue, let payload = entry["data"] else { continue }
            let at = "\(role)[\(entry["index"]?.intValue.map(String.init) ?? "?")] "
            if let idle = try count(payload["rssIdleBytes"], "rssIdleBytes", at) {
                memory.append(
                    MemorySample(
                        role: role, idleConnections: try count(payload["idleConnections"], "idleConnections", at) ?? 0,
                        rssBeforeBytes: try count(payload["rssBeforeBytes"], "rssBeforeBytes", at) ?? 0, rssIdleBytes: idle))
            }
            switch role {
            case "client-host":
                for (i, v) in (payload["clients"]?.arrayValue ?? []).enumerated() { clients.append(try client(v, at: at + "client \(i): ")) }
            case "server":
                servers.append(try server(payload, at: at))
            default:
                continue
            }
        }
        guard !clients.isEmpty || !servers.isEmpty else { return nil }
        var out = PerfCase(
            id: c.id, test: c.test, status: c.status.rawValue, source: source,
            configuration: configuration(c), clients: clients, servers: servers, memory: memory)
        out.repetition = c.repetition
        return out
    }

    static func configuration(_ c: CaseResult) -> PerfConfiguration {
        let combo = c.combination
        func int(_ key: String) -> Int? {
            switch combo[key] {
            case .int(let i): return i
            case .string(let s): return Int(s)
            default: return nil
            }
        }
        func string(_ key: String) -> String? {
            switch combo[key] {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: return nil
            }
        }
        var proto = string("protocol")
        if proto == nil {
            // Quick variants are named after their protocol.
            if c.test.hasPrefix("tls") { proto = "tls" } else if c.test.hasPrefix("tcp") { proto = "tcp" }
        }
        let resolved = proto ?? "unknown"
        var tls = string("tls-version")
        if !resolved.contains("tls") { tls = nil }
        return PerfConfiguration(
            proto: resolved, tlsVersion: tls, chunkSize: int("chunk-size"), clientCount: int("client-count"),
            duration: int("duration"), parallel: c.coordination["parallel"] ?? "default",
            serverCount: c.coordination["server"].flatMap { Int($0) } ?? 1,
            clientHostCount: c.coordination["client-host"].flatMap { Int($0) } ?? 1,
            placement: c.coordination["placement"]?.lowercased() ?? "shared")
    }

    static func client(_ v: JSONValue, at: String = "") throws(BadNumber) -> ClientSample {
        var errors: [String: Int] = [:]
        for (k, n) in v["errors"]?.objectValue ?? [:] { errors[k] = try count(n, "errors.\(k)", at) ?? 0 }
        var handshakes: [Int] = []
        for (i, h) in (v["handshakes"]?.arrayValue ?? []).enumerated() {
            if let n = try count(h, "handshakes[\(i)]", at) { handshakes.append(n) }
        }
        var rtt: [Int] = []
        for (i, h) in (v["rttSampleNanos"]?.arrayValue ?? []).enumerated() {
            if let n = try count(h, "rttSampleNanos[\(i)]", at) { rtt.append(n) }
        }
        return ClientSample(
            bytesSent: try count(v["bytesSent"], "bytesSent", at) ?? 0,
            bytesReceived: try count(v["bytesReceived"], "bytesReceived", at) ?? 0,
            iterations: try count(v["iterations"], "iterations", at) ?? 0,
            startNanos: try count(v["startNanos"], "startNanos", at),
            endNanos: try count(v["endNanos"], "endNanos", at),
            handshakeNanos: try count(v["handshakeNanos"], "handshakeNanos", at),
            connected: v["connected"]?.boolValue ?? false,
            negotiatedVersion: v["negotiatedVersion"]?.stringValue,
            errors: errors,
            handshakes: handshakes,
            resumed: v["resumed"]?.boolValue,
            keyType: v["keyType"]?.stringValue,
            handshakeWindowNanos: try count(v["handshakeWindowNanos"], "handshakeWindowNanos", at),
            resumedCount: try count(v["resumedCount"], "resumedCount", at),
            retransmissions: try count(v["retransmissions"], "retransmissions", at),
            lost: try count(v["lost"], "lost", at),
            lateEchoes: try count(v["lateEchoes"], "lateEchoes", at),
            droppedMessages: try count(v["droppedMessages"], "droppedMessages", at),
            rttSampleNanos: rtt)
    }

    static func server(_ v: JSONValue, at: String = "") throws(BadNumber) -> ServerSample {
        ServerSample(
            connections: try count(v["connections"], "connections", at) ?? 0,
            bytes: try count(v["bytes"], "bytes", at) ?? 0,
            handshakeFailures: try count(v["handshakeFailures"], "handshakeFailures", at) ?? 0,
            droppedMessages: try count(v["droppedMessages"], "droppedMessages", at))
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.isFinite && abs(d) < 9e18: return Int(d)
        default: return nil
        }
    }
    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
}
