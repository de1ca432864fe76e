import Foundation

/// The fixture values of this process: set up on first use, handed out,
/// torn down when their scope ends.
package actor FixtureStore {
    package static let shared = FixtureStore()
    /// Seconds one tear-down may take before it is abandoned (× `--timeout-scale`).
    package static let tearDownLimit = 10.0

    /// `@unchecked Sendable`: `key` always wraps a `KeyedFixture`'s `Key`, which is `Sendable`;
    /// AnyHashable itself cannot say so.
    struct EntryKey: Hashable, @unchecked Sendable {
        let fixture: ObjectIdentifier
        let key: AnyHashable
    }

    private enum State {
        case settingUp(Task<(any Sendable, @Sendable () async -> Void), any Error>)
        case ready(any Sendable, tearDown: @Sendable () async -> Void)
        case failed(String)
    }

    private struct Entry {
        var state: State
        let name: String
        let scope: FixtureScope
        let order: Int
    }

    private var entries: [EntryKey: Entry] = [:]
    private var nextOrder = 0

    func value(
        _ id: EntryKey, name: String, scope: FixtureScope, isUsable: (@Sendable (any Sendable) async -> Bool)?,
        setUp: @escaping @Sendable () async throws -> (any Sendable, @Sendable () async -> Void)
    ) async throws -> any Sendable {
        while true {
            switch entries[id]?.state {
            case .ready(let v, let tearDown)?:
                guard let isUsable else { return v }
                let generation = entries[id]!.order
                if await isUsable(v) { return v }
                // Broken (its peer died, …): replace it, unless another task already did.
                if entries[id]?.order == generation {
                    entries[id] = nil
                    await Self.bounded(tearDown)
                }
                continue
            case .settingUp(let task)?:
                _ = try? await task.value
                continue
            case .failed(let message)?:
                throw FixtureError(fixture: name, underlying: message)
            case nil:
                let task = Task { try await setUp() }
                nextOrder += 1
                entries[id] = Entry(state: .settingUp(task), name: name, scope: scope, order: nextOrder)
                do {
                    let (v, tearDown) = try await task.value
                    entries[id]?.state = .ready(v, tearDown: tearDown)
                    return v
                } catch {
                    entries[id]?.state = .failed("\(error)")
                    throw FixtureError(fixture: name, underlying: "\(error)")
                }
            }
        }
    }

    /// Tears down the values of `scopes` (every scope when nil), newest first.
    package func tearDown(_ scopes: Set<FixtureScope>? = nil) async {
        let ending = entries.filter { scopes?.contains($0.value.scope) ?? true }.sorted { $0.value.order > $1.value.order }
        for (id, entry) in ending {
            entries[id] = nil
            switch entry.state {
            case .ready(_, let tearDown): await Self.bounded(tearDown)
            case .settingUp(let task):
                // A set-up still running (its case was abandoned): tear down what it produces, bounded.
                await Self.bounded { if let (_, tearDown) = try? await task.value { await tearDown() } }
            case .failed: break
            }
        }
    }

    /// How many values are set up now (self-tests).
    package var liveCount: Int { entries.count }

    /// Runs a tear-down, abandoning it after ``tearDownLimit`` seconds (× `--timeout-scale`).
    static func bounded(_ work: @escaping @Sendable () async -> Void) async {
        let box = CompletionBox()
        Task {
            await work()
            box.complete(.returned)
        }
        _ = await box.wait(seconds: tearDownLimit * ParticipantLaunch.settings.timeoutScale)
    }
}
