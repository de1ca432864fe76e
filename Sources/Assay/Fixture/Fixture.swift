/// How long a fixture's value lives.
public enum FixtureScope: String, Sendable {
    /// Until the suite's last case in this process has run: in a worker (the
    /// default), the end of the worker's cases; with `--no-isolation`, the end of the suite.
    case suite
    /// Until the process's cases have all run: in a worker, the same as
    /// `.suite`; with `--no-isolation`, the end of the run.
    case worker
}

/// A typed value set up on first use and shared by the cases that use it in
/// one process — a peer server started once per worker, a PKI, a context —
/// torn down when its scope ends (pytest's scoped fixtures, swift-testing's
/// suite types):
///
///     let echoPeer = Fixture("echo peer", scope: .worker,
///                            setUp: { try await EchoPeer.start() },
///                            tearDown: { await $0.stop() },
///                            isUsable: { $0.isRunning })
///     Test("echo") { ctx in let peer = try await echoPeer.value(); … }
///
/// - Set up lazily, once per process and key, even when several tasks ask at
///   once; a failed set-up fails every case that asks, with the error, until
///   the scope ends.
/// - Before handing out a value, `isUsable` (if given) is asked; a value that
///   is no longer usable (its peer died) is torn down and set up afresh, so a
///   case never inherits a broken fixture from the one before.
/// - Torn down in reverse order of set-up when the scope ends (each tear-down
///   bounded by 10 seconds), also after a case
///   timed out and was abandoned. A case that crashes the worker takes the
///   process down: the worker's whole process group is killed (peer programs
///   it started go with it), and the cases after it run in a new worker, which
///   sets the fixture up afresh.
public final class Fixture<Value: Sendable>: Sendable {
    private let keyed: KeyedFixture<Bool, Value>

    public init(
        _ name: String, scope: FixtureScope = .worker,
        setUp: @escaping @Sendable () async throws -> Value,
        tearDown: @escaping @Sendable (Value) async -> Void = { _ in },
        isUsable: (@Sendable (Value) async -> Bool)? = nil
    ) {
        keyed = KeyedFixture(name, scope: scope, setUp: { _ in try await setUp() }, tearDown: tearDown, isUsable: isUsable)
    }

    public var name: String { keyed.name }

    /// This process's value, set up on first use.
    public func value() async throws -> Value { try await keyed.value(for: true) }
}

/// A fixture with one value per key (pytest's parametrised fixtures), e.g. a
/// PKI per key type or a peer per protocol version. Same lifetime rules as ``Fixture``.
public final class KeyedFixture<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let name: String
    public let scope: FixtureScope
    let setUp: @Sendable (Key) async throws -> Value
    let tearDown: @Sendable (Value) async -> Void
    let isUsable: (@Sendable (Value) async -> Bool)?

    public init(
        _ name: String, scope: FixtureScope = .worker,
        setUp: @escaping @Sendable (Key) async throws -> Value,
        tearDown: @escaping @Sendable (Value) async -> Void = { _ in },
        isUsable: (@Sendable (Value) async -> Bool)? = nil
    ) {
        self.name = name
        self.scope = scope
        self.setUp = setUp
        self.tearDown = tearDown
        self.isUsable = isUsable
    }

    /// This process's value for `key`, set up on first use.
    public func value(for key: Key) async throws -> Value {
        let id = FixtureStore.EntryKey(fixture: ObjectIdentifier(self), key: AnyHashable(key))
        let check: (@Sendable (any Sendable) async -> Bool)?
        if let isUsable {
            check = { v in await isUsable(v as! Value) }
        } else {
            check = nil
        }
        let setUp = self.setUp, tearDown = self.tearDown
        let make: @Sendable () async throws -> (any Sendable, @Sendable () async -> Void) = {
            let v = try await setUp(key)
            return (v, { await tearDown(v) })
        }
        let v = try await FixtureStore.shared.value(id, name: name, scope: scope, isUsable: check, setUp: make)
        return v as! Value
    }
}

/// Thrown to a case whose fixture could not be set up.
public struct FixtureError: Error, CustomStringConvertible {
    public let fixture: String
    public let underlying: String
    public var description: String { "fixture '\(fixture)' could not be set up: \(underlying)" }
}
