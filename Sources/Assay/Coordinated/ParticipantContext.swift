import Foundation

/// What a participant body receives: who it is, the case's combination, a
/// scratch directory shared by the test's participants, and the
/// coordination primitives. The same API in task, thread and process mode.
public struct ParticipantContext: Sendable {
    /// The participant's role name.
    public let role: String
    /// The instance index within the role, from 0.
    public let index: Int
    /// The mode the participants run in.
    public let mode: ParallelMode
    /// The canonical id of the coordinated case.
    public let id: String
    /// The matrix combination (empty without a matrix).
    public let combination: Combination
    /// A directory private to this test run, shared by its participants and
    /// removed when the case ends (put Unix socket files here).
    public let scratchDirectory: URL
    /// The address of the host this participant was placed on by a hosts file (nil: this
    /// machine, where servers listen on 127.0.0.1). Servers listen on it; clients reach them there.
    public let hostAddress: String?
    let counts: [String: Int]
    let channel: any CoordinationChannel
    /// `--timeout-scale`, applied to every wait's timeout.
    let waitScale: Double

    init(
        participant: ParticipantID, mode: ParallelMode, id: String, combination: Combination,
        scratchDirectory: URL, counts: [String: Int], channel: any CoordinationChannel, waitScale: Double = 1,
        hostAddress: String? = nil
    ) {
        self.waitScale = waitScale
        self.hostAddress = hostAddress
        role = participant.role
        index = participant.index
        self.mode = mode
        self.id = id
        self.combination = combination
        self.scratchDirectory = scratchDirectory
        self.counts = counts
        self.channel = channel
    }

    /// `role[index]`.
    public var name: String { "\(role)[\(index)]" }
    var participant: ParticipantID { ParticipantID(role: role, index: index) }

    /// How many instances `role` has in this case (0 for an unknown role).
    public func count(of role: String) -> Int { counts[role] ?? 0 }

    public func string(_ name: String) throws -> String { try combination.string(name) }
    public func int(_ name: String) throws -> Int { try combination.int(name) }
    public func bool(_ name: String) throws -> Bool { try combination.bool(name) }
    public func isNone(_ name: String) throws -> Bool { try combination.isNone(name) }
    public func value(_ name: String) throws -> AssayValue { try combination.value(name) }

    // MARK: events

    /// Publishes `event` with a value. Events are latched: a participant that
    /// awaits it later still gets the value.
    public func emit(_ event: String, _ value: some Codable & Sendable) async throws {
        let data: Data
        do { data = try JSONEncoder().encode(value) } catch {
            throw CoordinationError.value("\(name) cannot encode '\(event)': \(error)")
        }
        try await channel.emit(from: participant, event: event, value: data)
    }

    /// Publishes `event` without a value.
    public func emit(_ event: String) async throws { try await emit(event, true) }

    /// The value instance `index` of `role` emitted as `event`.
    public func awaitOne<T: Codable & Sendable>(
        _ role: String, _ event: String, as type: T.Type, index: Int = 0,
        timeout: Duration
    ) async throws -> T {
        let from = ParticipantID(role: role, index: index)
        let data = try await channel.awaitEvent(by: participant, from: from, event: event, timeout: timeout.seconds * waitScale)
        return try decode(type, data, event: event, from: from)
    }

    /// Waits until instance `index` of `role` has emitted `event` (value ignored).
    public func awaitOne(_ role: String, _ event: String, index: Int = 0, timeout: Duration) async throws {
        _ = try await channel.awaitEvent(
            by: participant, from: ParticipantID(role: role, index: index),
            event: event, timeout: timeout.seconds * waitScale)
    }

    /// The values every instance of `role` emitted as `event`, in index order.
    /// `timeout` bounds the whole wait.
    public func awaitAll<T: Codable & Sendable>(
        _ role: String, _ event: String, as type: T.Type,
        timeout: Duration
    ) async throws -> [T] {
        let n = count(of: role)
        guard n > 0 else {
            throw CoordinationError.usage(
                "\(name) awaits role '\(role)', which this test does not have (roles: \(counts.keys.sorted().joined(separator: ", ")))")
        }
        let deadline = ContinuousClock.now + .seconds(timeout.seconds * waitScale)
        var out: [T] = []
        for i in 0..<n {
            let left = max(.zero, deadline - ContinuousClock.now)
            let from = ParticipantID(role: role, index: i)
            let data = try await channel.awaitEvent(by: participant, from: from, event: event, timeout: left.seconds)  // already scaled
            out.append(try decode(type, data, event: event, from: from))
        }
        return out
    }

    /// Waits until every instance of `role` has emitted `event` (values ignored).
    public func awaitAll(_ role: String, _ event: String, timeout: Duration) async throws {
        _ = try await awaitAll(role, event, as: JSONValue.self, timeout: timeout)
    }

    /// Waits until every participant of the test has arrived at barrier `name`.
    public func barrier(_ name: String, timeout: Duration) async throws {
        try await channel.barrier(by: participant, name: name, timeout: timeout.seconds * waitScale)
    }

    /// Raw measurements: each call becomes one entry of the case's `data`
    /// array, `{"role": …, "index": …, "data": …}`.
    public func report(_ data: JSONValue) {
        channel.report(from: participant, data: data)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, event: String, from: ParticipantID) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw CoordinationError.value("\(name) cannot decode '\(event)' from \(from) as \(T.self): \(error)")
        }
    }
}

/// Where a participant's coordination calls go: the hub in memory (task and
/// thread mode) or the coordinator over a Unix socket (process mode).
protocol CoordinationChannel: Sendable {
    func emit(from: ParticipantID, event: String, value: Data) async throws
    func awaitEvent(by: ParticipantID, from: ParticipantID, event: String, timeout: Double) async throws -> Data
    func barrier(by: ParticipantID, name: String, timeout: Double) async throws
    func report(from: ParticipantID, data: JSONValue)
}

/// The in-memory channel: calls the hub directly; reports go to the case.
struct LocalChannel: CoordinationChannel {
    let hub: CoordinationHub
    let reportSink: @Sendable (ParticipantID, JSONValue) -> Void

    func emit(from: ParticipantID, event: String, value: Data) async throws {
        if let f = hub.failed { throw CoordinationError.aborted(f) }
        hub.emit(from: from, event: event, value: value)
    }
    func awaitEvent(by: ParticipantID, from: ParticipantID, event: String, timeout: Double) async throws -> Data {
        try await hub.awaitEvent(by: by, from: from, event: event, timeout: timeout)
    }
    func barrier(by: ParticipantID, name: String, timeout: Double) async throws {
        try await hub.barrier(by: by, name: name, timeout: timeout)
    }
    func report(from: ParticipantID, data: JSONValue) { reportSink(from, data) }
}

extension Duration {
    /// Seconds as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The entry a participant's `report` adds to the case's `data` array.
func participantReport(_ p: ParticipantID, _ data: JSONValue) -> JSONValue {
    .object(["role": .string(p.role), "index": .int(p.index), "data": data])
}
