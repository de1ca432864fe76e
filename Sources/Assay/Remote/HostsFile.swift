import Foundation

/// `--hosts FILE` (or `ASSAY_HOSTS`): where process-mode participants run.
///
///     {"coordinator": {"address": "10.77.0.1", "port": 0},
///      "hosts": [{"name": "a", "address": "10.77.0.2", "launcher": "external", "binary": "/opt/runner"},
///                {"name": "b", "address": "10.77.0.3", "launcher": "ssh", "binary": "/opt/runner",
///                 "ssh": ["-p", "2222", "-i", "key", "root@10.77.0.3"]}],
///      "roles": {"server": ["a"], "client-host": ["b", "c"]},
///      "commands": "/tmp/run/commands", "silenceTimeout": 10}
///
/// Instance `i` of a role listed in `roles` runs on host `roles[role][i % count]`; roles not
/// listed run here as local processes. Errors are usage errors naming the file and the field.
struct HostsFile: Codable, Sendable {
    struct Coordinator: Codable, Sendable {
        /// The address the coordinator listens on and participants connect to (an IP literal or a DNS name).
        var address: String
        /// The TCP port (0: any free port, chosen per case).
        var port: Int?

        init(address: String, port: Int? = nil) {
            self.address = address
            self.port = port
        }

        /// The port is read as a number first, so `1e20` or `80.5` is a port error, not "not valid JSON".
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            address = try c.decode(String.self, forKey: .address)
            guard let p = try c.decodeIfPresent(Double.self, forKey: .port) else { return }
            guard p.isFinite, p == p.rounded(), (0...65_535).contains(p) else {
                throw CoordinationError.usage("coordinator.port \(HostsFile.number(p)) is not a port (an integer 0…65535)")
            }
            port = Int(p)
        }
    }

    /// A number as the file wrote it, near enough: "1e+20", "80.5", "-1".
    static func number(_ d: Double) -> String {
        d.isFinite && d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
    }
    struct Host: Codable, Sendable {
        var name: String
        /// The host's own address: perf9 servers listen on it, and clients connect to it.
        var address: String
        var launcher: LauncherKind
        /// The runner on that host (default: this runner's path).
        var binary: String?
        /// ssh launcher: arguments before the command (default: the address).
        var ssh: [String]?
    }
    var coordinator: Coordinator
    var hosts: [Host]
    var roles: [String: [String]]
    /// External launcher: each printed command is also appended to this file (one per line).
    var commands: String?
    /// Seconds without a byte (heartbeats included) after which a remote participant counts as gone (default 10).
    var silenceTimeout: Double?

    static let environmentKey = "ASSAY_HOSTS"

    /// The file named by `ASSAY_HOSTS`, or nil when unset.
    static func fromEnvironment() throws -> HostsFile? {
        guard let path = ProcessInfo.processInfo.environment[environmentKey], !path.isEmpty else { return nil }
        return try load(path)
    }

    static func load(_ path: String) throws -> HostsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoordinationError.usage("hosts file \(path): cannot read it")
        }
        let file: HostsFile
        do { file = try JSONDecoder().decode(HostsFile.self, from: data) } catch CoordinationError.usage(let m) {
            throw CoordinationError.usage("hosts file \(path): \(m)")
        } catch let e as DecodingError {
            throw CoordinationError.usage("hosts file \(path): \(describe(e))")
        } catch {
            throw CoordinationError.usage("hosts file \(path): \(error)")
        }
        try file.validate(path)
        return file
    }

    /// One line for a decoding error: where in the file and what.
    static func describe(_ e: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch e {
        case .keyNotFound(let k, let ctx): return "missing field \"\(k.stringValue)\" in \(at(ctx.codingPath))"
        case .typeMismatch(let t, let ctx): return "\(at(ctx.codingPath)): wrong type (expected \(t))"
        case .valueNotFound(_, let ctx): return "\(at(ctx.codingPath)): null"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "\(at(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    func validate(_ path: String) throws {
        var names = Set<String>()
        for h in hosts {
            guard !h.name.isEmpty, names.insert(h.name).inserted else {
                throw CoordinationError.usage("hosts file \(path): host names must be non-empty and unique ('\(h.name)')")
            }
            guard !h.address.isEmpty else { throw CoordinationError.usage("hosts file \(path): host \(h.name) has no address") }
        }
        for (role, list) in roles {
            guard !list.isEmpty else { throw CoordinationError.usage("hosts file \(path): role \(role) maps to no host") }
            for n in list where !names.contains(n) {
                throw CoordinationError.usage("hosts file \(path): role \(role) names host '\(n)', which is not in hosts")
            }
        }
        if let p = coordinator.port, !(0...65_535).contains(p) {
            throw CoordinationError.usage("hosts file \(path): coordinator port \(p) is not 0…65535")
        }
        if let s = silenceTimeout, !(s > 0) {
            throw CoordinationError.usage("hosts file \(path): silenceTimeout must be > 0")
        }
    }

    /// Where each participant runs (nil: locally, as today).
    func placement(_ participants: [ParticipantID]) -> [ParticipantID: Host] {
        var out: [ParticipantID: Host] = [:]
        for p in participants {
            guard let list = roles[p.role], !list.isEmpty else { continue }
            let name = list[p.index % list.count]
            if let h = hosts.first(where: { $0.name == name }), h.launcher != .local { out[p] = h }
        }
        return out
    }
}

/// How a participant on a host is started.
enum LauncherKind: String, Codable, Sendable {
    /// A subprocess of the coordinator (process mode as without a hosts file).
    case local
    /// `ssh [ssh args] BINARY participant --connect … --bundle -`, the bundle on stdin.
    case ssh
    /// The coordinator prints the command (stderr and the `commands` file) and waits for it to connect.
    case external
}
