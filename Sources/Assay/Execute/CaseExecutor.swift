import Foundation
import Synchronization

/// Runs one case in the current process: the body in its own task, raced
/// against the case's timeout. A body that ignores cancellation past the
/// grace period is *abandoned* (the caller decides what that means: a
/// worker exits so a fresh one runs the rest; in-process mode moves on).
enum CaseExecutor {
    /// Seconds a cancelled body gets to stop before it is abandoned.
    static let cancellationGrace = 1.0
    /// Seconds past timeout + graceful timeout a coordinator gets to kill and clean up.
    static let coordinatorMargin = 12.0

    struct Outcome: Sendable {
        var result: CaseResult
        var abandoned: Bool
    }

    enum BodyOutcome: Sendable {
        case returned
        case threw(any Error)
    }

    /// Runs the case; with `retries`, a failed or timed-out attempt (not abandoned) runs again, up to
    /// `retries` more times. A pass after a failure is `flaky`, its message naming the attempts and the
    /// first failure; a case that fails every attempt keeps its last failure. `attempts` is set when it
    /// ran more than once. Expected failures and unexpected passes are not retried (they are verdicts).
    static func run(_ c: PlannedCase, timeout: Double, retries: Int = 0) async -> Outcome {
        var o = await once(c, timeout: timeout)
        guard retries > 0 else { return o }
        var attempt = 1
        var firstFailure: CaseResult?
        var total = o.result.duration
        while [.failed, .timedOut].contains(o.result.status), !o.abandoned, attempt <= retries {
            if firstFailure == nil { firstFailure = o.result }
            attempt += 1
            o = await once(c, timeout: timeout)
            total += o.result.duration
        }
        guard attempt > 1 else { return o }
        o.result.attempts = attempt
        o.result.duration = total
        if o.result.status == .passed, let first = firstFailure {
            o.result.status = .flaky
            let why = first.message ?? first.issues.first?.message ?? first.status.rawValue
            o.result.message = "passed on attempt \(attempt) of \(retries + 1); attempt 1 \(first.status.rawValue): \(why)"
            o.result.issues = first.issues
            o.result.location = first.location
        }
        return o
    }

    /// One attempt.
    static func once(_ c: PlannedCase, timeout: Double) async -> Outcome {
        var result = skeleton(c)
        if let reason = c.skipReason {
            result.status = .skipped
            result.message = reason
            return Outcome(result: result, abandoned: false)
        }
        let recorder = CaseRecorder()
        let ctx = TestContext(
            id: result.id, combination: c.combination,
            coordination: Dictionary(c.coordination.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
            recorder: recorder)
        var body = c.test.body
        var waitSeconds = timeout
        if let spec = c.test.coordinated {
            // The coordinator enforces the timeout and the graceful stop itself.
            let run = CoordinatedRun(spec: spec, planned: c, timeout: timeout)
            body = { ctx in try await run.run(ctx) }
            waitSeconds = timeout + spec.gracefulTimeout * ParticipantLaunch.settings.timeoutScale + coordinatorMargin
        }
        let box = CompletionBox()
        let start = DispatchTime.now()
        let task = Task {
            let outcome: BodyOutcome = await CaseRecorder.$current.withValue(recorder) {
                do { try await body(ctx); return .returned } catch { return .threw(error) }
            }
            box.complete(outcome)
        }
        var outcome = await box.wait(seconds: waitSeconds)
        var timedOut = false, abandoned = false
        if outcome == nil {
            timedOut = true
            task.cancel()
            outcome = await box.wait(seconds: cancellationGrace)
            abandoned = outcome == nil
        }
        result.duration = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        if case .threw(let f as CoordinatedFailure)? = outcome, f.abandoned { abandoned = true }
        if !abandoned { recorder.cleanUp() }
        result.issues = recorder.issues
        result.data = recorder.data
        result.location = result.issues.first?.location
        if timedOut {
            result.status = .timedOut
            result.message =
                "exceeded its timeout of \(format(timeout)) s"
                + (abandoned ? "; did not stop within \(format(cancellationGrace)) s of cancellation" : "")
            return Outcome(result: result, abandoned: abandoned)
        }
        classify(&result, outcome: outcome!, expectedFail: c.test.options.expectedFail)
        return Outcome(result: result, abandoned: abandoned)
    }

    /// A result with the case's identity and no outcome yet.
    static func skeleton(_ c: PlannedCase) -> CaseResult {
        var r = CaseResult(
            id: c.id, category: c.category, suite: c.suiteName, test: c.test.name, group: c.test.group,
            kind: c.test.kind.rawValue, combination: c.test.kind == .simple ? [:] : c.combination.dictionary,
            coordination: Dictionary(c.coordination.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
            status: .skipped, tags: c.test.options.tags,
            participants: (try? c.test.coordinated?.resolve(c.coordination)).map {
                CoordinatedParticipants(mode: $0.mode.rawValue, counts: $0.counts)
            })
        r.repetition = c.repetition
        return r
    }

    static func classify(_ r: inout CaseResult, outcome: BodyOutcome, expectedFail: String?) {
        var failedMessage: String?
        switch outcome {
        case .returned:
            failedMessage = r.issues.first?.message
        case .threw(let error as SkipTest):
            r.status = .skipped
            r.message = error.reason
            return
        case .threw(let error as CoordinatedFailure) where error.timedOut && expectedFail == nil:
            r.status = .timedOut
            r.message = error.message
            return
        case .threw(let error as CoordinatedFailure) where error.crashed:
            // As for a crashed worker: a crash is a crash, expected failure or not.
            r.issues.insert(Issue(message: error.message, location: nil), at: 0)
            r.status = .crashed
            r.message = error.message
            return
        case .threw(let error as CoordinatedFailure):
            r.issues.insert(Issue(message: error.message, location: nil), at: 0)
            failedMessage = error.message
        case .threw(let error as AssertionFailure):
            failedMessage = r.issues.first?.message ?? error.message
        case .threw(let error):
            let text = "threw \(type(of: error)): \(error)"
            r.issues.append(Issue(message: text, location: nil))
            failedMessage = r.issues.first?.message ?? text
        }
        switch (failedMessage, expectedFail) {
        case (nil, nil):
            r.status = .passed
        case (nil, let reason?):
            r.status = .unexpectedPass
            r.message = "expected to fail (\(reason)) but passed"
        case (let m?, nil):
            r.status = .failed
            r.message = m
        case (let m?, let reason?):
            r.status = .expectedFail
            r.message = "\(reason) — \(m)"
        }
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(format: "%.2f", d)
    }
}

/// Hands the body's outcome to a waiter with a deadline. State in a `Mutex`;
/// each continuation is resumed exactly once (by the completion or by its own
/// timer, whichever takes it first).
final class CompletionBox: Sendable {
    private struct State {
        var outcome: CaseExecutor.BodyOutcome?
        var waiter: (id: Int, cont: CheckedContinuation<CaseExecutor.BodyOutcome?, Never>)?
        var nextID = 0
    }
    private let state = Mutex(State())

    func complete(_ o: CaseExecutor.BodyOutcome) {
        let w: CheckedContinuation<CaseExecutor.BodyOutcome?, Never>? = state.withLock { s in
            s.outcome = o
            let w = s.waiter?.cont
            s.waiter = nil
            return w
        }
        w?.resume(returning: o)
    }

    /// The outcome, or nil if none arrived within `seconds`.
    func wait(seconds: Double) async -> CaseExecutor.BodyOutcome? {
        await withCheckedContinuation { (cont: CheckedContinuation<CaseExecutor.BodyOutcome?, Never>) in
            let id: Int? = state.withLock { s in
                if s.outcome != nil { return nil }
                s.nextID += 1
                s.waiter = (s.nextID, cont)
                return s.nextID
            }
            guard let id else { cont.resume(returning: state.withLock { $0.outcome }); return }
            // A Dispatch timer, not Task.sleep: it fires even if the body blocks cooperative threads.
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                let w: CheckedContinuation<CaseExecutor.BodyOutcome?, Never>? = state.withLock { s in
                    guard let current = s.waiter, current.id == id else { return nil }
                    s.waiter = nil
                    return current.cont
                }
                w?.resume(returning: nil)
            }
        }
    }
}
