import Foundation
import Synchronization

/// Task and thread mode: each participant is a Swift task in this process,
/// in thread mode with its own `ThreadExecutor` as executor preference.
/// `tasks` is written in `start()` before any other method is called and
/// only read afterwards; it lives in a `Mutex`.
final class LocalParticipants: ParticipantGroup, Sendable {
    let resolved: CoordinatedSpec.Resolved
    let hub: CoordinationHub
    let tracker: ParticipantTracker
    let channel: LocalChannel
    let id: String
    let combination: Combination
    let scratch: URL
    let waitScale: Double
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(
        resolved: CoordinatedSpec.Resolved, hub: CoordinationHub, tracker: ParticipantTracker,
        reportSink: @escaping @Sendable (ParticipantID, JSONValue) -> Void, id: String,
        combination: Combination, scratch: URL, waitScale: Double
    ) {
        self.waitScale = waitScale
        self.resolved = resolved
        self.hub = hub
        self.tracker = tracker
        self.channel = LocalChannel(hub: hub, reportSink: reportSink)
        self.id = id
        self.combination = combination
        self.scratch = scratch
    }

    func start() throws {
        for (role, count) in resolved.roles {
            for i in 0..<count {
                let p = ParticipantID(role: role.name, index: i)
                let ctx = ParticipantContext(
                    participant: p, mode: resolved.mode, id: id, combination: combination,
                    scratchDirectory: scratch, counts: resolved.counts, channel: channel,
                    waitScale: waitScale)
                let body = role.body
                let tracker = tracker
                // placement=split (thread mode only, see CPUPlacement): the participant's own thread
                // pins itself before the body runs; threads the body starts inherit the mask.
                let cpus = resolved.mode == .thread ? resolved.cpus(for: role.name) : nil
                let work: @Sendable () async -> Void = {
                    do {
                        if let cpus { try CPUAffinity.pin(to: cpus) }
                        try await body(ctx)
                        tracker.finished(p)
                    } catch let skip as SkipTest {
                        tracker.skipped(p, skip.reason)
                    } catch {
                        tracker.failed(p, describeParticipantError(p, error))
                    }
                }
                if resolved.mode == .thread {
                    let exec = ThreadExecutor(name: "assay \(p)")
                    let t = Task(executorPreference: exec) {
                        await work()
                        exec.shutdown()
                    }
                    tasks.withLock { $0.append(t) }
                } else {
                    let t = Task { await work() }
                    tasks.withLock { $0.append(t) }
                }
            }
        }
    }

    func cancel(_ reason: String) {
        for t in tasks.withLock({ $0 }) { t.cancel() }
    }

    func forceStop() -> [ParticipantID] {
        // Tasks cannot be killed: whatever still runs is abandoned (the
        // executor reports it so the worker process is replaced).
        cancel("stopped")
        return tracker.stillRunning
    }

    func cleanUp() {}
}
