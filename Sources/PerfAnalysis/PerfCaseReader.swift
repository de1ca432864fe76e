import AssayResults

/// Turns the cases of a results file into `PerfCase`s: picks the perf9
/// cases (`category: performance`, `suite: perf9`) that carry participant
/// reports, and reads their combination, coordination and raw data.
/// Unknown keys are ignored; missing numbers count as zero.
public enum PerfCaseReader {
    public static let category = "performance"
    public static let suite = "perf9"

    /// Whether a case belongs to perf9 at all (with or without data).
    public static func isPerf9(_ c: CaseResult) -> Bool {
        c.category == category && c.suite == suite
    }

    /// The perf9 cases of `results` that have participant data.
    public static func cases(in results: RunResults, source: String) -> [PerfCase] {
        results.cases.filter(isPerf9).compactMap { read($0, source: source) }
    }

    /// Reads one case; nil when it has no client or server report.
    public static func read(_ c: CaseResult, source: String) -> PerfCase? {
        var clients: [ClientSample] = []
        var servers: [ServerSample] = []
        var memory: [MemorySample] = []
        for entry in c.data {
            guard let role = entry["role"]?.stringValue, let payload = entry["data"] else { continue }
            if let idle = payload["rssIdleBytes"]?.intValue {
                memory.append(
                    MemorySample(
                        role: role, idleConnections: payload["idleConnections"]?.intValue ?? 0,
                        rssBeforeBytes: payload["rssBeforeBytes"]?.intValue ?? 0, rssIdleBytes: idle))
            }
            switch role {
            case "client-host":
                clients += (payload["clients"]?.arrayValue ?? []).map(client)
            case "server":
                servers.append(server(payload))
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

    static func client(_ v: JSONValue) -> ClientSample {
        var errors: [String: Int] = [:]
        for (k, n) in v["errors"]?.objectValue ?? [:] { errors[k] = n.intValue ?? 0 }
        return ClientSample(
            bytesSent: v["bytesSent"]?.intValue ?? 0,
            bytesReceived: v["bytesReceived"]?.intValue ?? 0,
            iterations: v["iterations"]?.intValue ?? 0,
            startNanos: v["startNanos"]?.intValue,
            endNanos: v["endNanos"]?.intValue,
            handshakeNanos: v["handshakeNanos"]?.intValue,
            connected: v["connected"]?.boolValue ?? false,
            negotiatedVersion: v["negotiatedVersion"]?.stringValue,
            errors: errors,
            handshakes: (v["handshakes"]?.arrayValue ?? []).compactMap(\.intValue),
            resumed: v["resumed"]?.boolValue,
            keyType: v["keyType"]?.stringValue,
            handshakeWindowNanos: v["handshakeWindowNanos"]?.intValue,
            resumedCount: v["resumedCount"]?.intValue)
    }

    static func server(_ v: JSONValue) -> ServerSample {
        ServerSample(
            connections: v["connections"]?.intValue ?? 0,
            bytes: v["bytes"]?.intValue ?? 0,
            handshakeFailures: v["handshakeFailures"]?.intValue ?? 0)
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
