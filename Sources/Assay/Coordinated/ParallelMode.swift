/// How the participants of a coordinated test run.
public enum ParallelMode: String, Sendable, Codable, CaseIterable {
    /// Each participant is a Swift task in the suite worker.
    case task
    /// Each participant runs on its own dedicated OS thread (a task executor
    /// backed by one thread), so its non-isolated async code executes there.
    case thread
    /// Each participant is a worker subprocess talking to the coordinator
    /// over a Unix socket (JSON lines); `--wrapper` applies to it.
    case process
}

/// One participant role of a coordinated test: a name other roles address
/// with `awaitOne`/`awaitAll`, a default instance count (the `<role=N>`
/// selector overrides it) and the body every instance runs.
public struct Role: Sendable {
    public let name: String
    public let count: Int
    public let body: ParticipantBody

    public init(_ name: String, count: Int = 1, body: @escaping ParticipantBody) {
        precondition(count >= 1, "role \(name): count must be at least 1")
        self.name = name
        self.count = count
        self.body = body
    }
}

/// The body of one participant.
public typealias ParticipantBody = @Sendable (ParticipantContext) async throws -> Void

/// What a coordinated test declares: roles, default mode, graceful timeout.
public struct CoordinatedSpec: Sendable {
    public var roles: [Role]
    public var parallel: ParallelMode
    /// Seconds participants get to finish after a failure or timeout before
    /// they are killed (process mode) or abandoned (task and thread modes).
    public var gracefulTimeout: Double

    /// The mode and instance counts for one case: the declared defaults
    /// overridden by the `<parallel=…,role=N>` selector.
    public func resolve(_ selector: [(key: String, value: String)]) throws(SelectorError) -> Resolved {
        var mode = parallel
        var counts = roles.map(\.count)
        var placement = CPUPlacement.shared
        for (key, value) in selector {
            if key.lowercased() == "placement" {
                let v = value.hasPrefix(":") ? String(value.dropFirst()) : value
                guard let p = CPUPlacement(rawValue: v.lowercased()) else {
                    throw SelectorError(
                        description: "placement=\(value) is not a placement; allowed values: "
                            + CPUPlacement.allCases.map(\.rawValue).joined(separator: ", "))
                }
                placement = p
            } else if key.lowercased() == "parallel" {
                let v = value.hasPrefix(":") ? String(value.dropFirst()) : value
                guard let m = ParallelMode(rawValue: v.lowercased()) else {
                    throw SelectorError(
                        description: "parallel=\(value) is not a parallel mode; allowed values: "
                            + ParallelMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                mode = m
            } else if let ri = roles.firstIndex(where: { $0.name.lowercased() == key.lowercased() }) {
                guard let n = Int(value), n >= 1, n <= 10_000 else {
                    throw SelectorError(description: "\(key)=\(value): an instance count must be an integer from 1 to 10000")
                }
                counts[ri] = n
            } else {
                throw SelectorError(
                    description: "'\(key)' is neither 'parallel', 'placement' nor a role of this test; allowed keys: "
                        + (["parallel", "placement"] + roles.map(\.name)).joined(separator: ", "))
            }
        }
        let available = CPUAffinity.current() ?? []
        if placement == .split {
            guard mode != .task else {
                throw SelectorError(
                    description:
                        "placement=split needs parallel=thread or parallel=process (task-mode participants share one thread pool and cannot be pinned apart)")
            }
            guard available.count >= 2 else {
                throw SelectorError(description: "placement=split needs at least 2 usable CPUs (this process may use \(available.count))")
            }
        }
        return Resolved(
            mode: mode, roles: zip(roles, counts).map { ($0.0, $0.1) }, placement: placement,
            availableCPUs: available)
    }

    /// A case's effective mode and roles with their instance counts.
    public struct Resolved: Sendable {
        public var mode: ParallelMode
        public var roles: [(role: Role, count: Int)]
        /// `<placement=…>`; with `split`, `cpus(for:)` gives each role's CPUs.
        public var placement: CPUPlacement = .shared
        /// The CPUs the resolving process may use (sched_getaffinity), ascending.
        public var availableCPUs: [Int] = []
        public var counts: [String: Int] {
            Dictionary(roles.map { ($0.role.name, $0.count) }, uniquingKeysWith: { a, _ in a })
        }
        /// Every participant, roles in declaration order, then by index.
        public var participants: [ParticipantID] {
            roles.flatMap { r in (0..<r.count).map { ParticipantID(role: r.role.name, index: $0) } }
        }
    }
}

/// A bad `<…>` selector value (a usage error: exit status 2).
public struct SelectorError: Error, CustomStringConvertible {
    public let description: String
}

/// One participant instance: `role[index]`.
public struct ParticipantID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var role: String
    public var index: Int
    public init(role: String, index: Int) {
        self.role = role
        self.index = index
    }
    public var description: String { "\(role)[\(index)]" }
}
