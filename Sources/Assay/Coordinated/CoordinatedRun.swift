import Foundation

/// Runs one coordinated case: starts every participant in the chosen mode,
/// watches them, and on the first failure (or the test's timeout) releases
/// the others, gives them `gracefulTimeout` to stop, then kills (process
/// mode) or abandons (task and thread modes) what is left.
struct CoordinatedRun {
    let spec: CoordinatedSpec
    let planned: PlannedCase
    let timeout: Double

    func run(_ ctx: TestContext) async throws {
        let resolved: CoordinatedSpec.Resolved
        do { resolved = try spec.resolve(planned.coordination) } catch {
            throw CoordinatedFailure(message: error.description, timedOut: false, abandoned: false)
        }
        let scratch = try ctx.scratchDirectory()
        let scale = ParticipantLaunch.settings.timeoutScale
        let graceful = spec.gracefulTimeout * scale
        let hub = CoordinationHub(counts: resolved.counts)
        let tracker = ParticipantTracker(resolved.participants)
        let sink: @Sendable (ParticipantID, JSONValue) -> Void = { p, d in ctx.report(participantReport(p, d)) }
        let group: any ParticipantGroup
        switch resolved.mode {
        case .task, .thread:
            group = LocalParticipants(
                resolved: resolved, hub: hub, tracker: tracker, reportSink: sink,
                id: ctx.id, combination: ctx.combination,
                scratch: URL(fileURLWithPath: scratch), waitScale: scale)
        case .process:
            group = ProcessParticipants(
                resolved: resolved, hub: hub, tracker: tracker, reportSink: sink,
                planned: planned, id: ctx.id, scratch: scratch, waitScale: scale,
                entrySink: { ctx.report($0) })
        }
        let start = DispatchTime.now().uptimeNanoseconds
        do { try group.start() } catch {
            hub.fail("cannot start participants: \(error)")
            group.cancel("cannot start participants")
            await tracker.wait(until: DispatchTime.now().uptimeNanoseconds + Self.ns(graceful)) { $0.allFinished }
            let left = group.forceStop()
            group.cleanUp()
            throw CoordinatedFailure(
                message: "cannot start participants: \(error)", timedOut: false,
                abandoned: !left.isEmpty && resolved.mode != .process)
        }
        await tracker.wait(until: start + Self.ns(timeout)) { $0.allFinished || $0.firstFailure != nil }

        var message: String?
        var timedOut = false
        if let f = tracker.firstFailure {
            message = f
        } else if !tracker.allFinished {
            timedOut = true
            message =
                "exceeded its timeout of \(CaseExecutor.format(timeout)) s; still running: "
                + tracker.stillRunning.map(\.description).joined(separator: ", ")
        }
        var abandoned = false
        if let m = message {
            hub.fail(m)
            if !tracker.allFinished {
                group.cancel(m)
                await tracker.wait(until: DispatchTime.now().uptimeNanoseconds + Self.ns(graceful)) { $0.allFinished }
            }
            let left = group.forceStop()
            if !left.isEmpty {
                let how = resolved.mode == .process ? "killed" : "abandoned"
                message =
                    m + "; \(how) after the graceful timeout of \(CaseExecutor.format(graceful)) s: "
                    + left.map(\.description).joined(separator: ", ")
                abandoned = resolved.mode != .process
            }
        } else {
            _ = group.forceStop()
        }
        group.cleanUp()
        if let reason = tracker.skip, !abandoned { throw SkipTest(reason) }
        if let m = message {
            throw CoordinatedFailure(message: m, timedOut: timedOut, abandoned: abandoned, crashed: !timedOut && tracker.crash)
        }
    }

    static func ns(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }
}

/// The participants of one case, in one mode.
protocol ParticipantGroup: Sendable {
    /// Starts every participant.
    func start() throws
    /// Asks the running participants to stop (cancellation; the hub already released their waits).
    func cancel(_ reason: String)
    /// Ends what is still running (kill, or abandon); returns those participants. Also reaps finished processes.
    func forceStop() -> [ParticipantID]
    /// Removes files the group created (socket file…).
    func cleanUp()
}

/// Describes a participant's error for the failure message.
func describeParticipantError(_ p: ParticipantID, _ error: any Error) -> String {
    switch error {
    case let e as CoordinationError: return "\(p) failed: \(e)"
    case let e as AssertionFailure: return "\(p) failed: \(e.message)"
    case is CancellationError: return "\(p) was cancelled"
    default: return "\(p) threw \(type(of: error)): \(error)"
    }
}
