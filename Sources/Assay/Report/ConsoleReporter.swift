import Foundation

/// Console output during and after a run.
///
/// | verbosity | adds |
/// |---|---|
/// | 0 | the closing totals only |
/// | 1 | one line per suite, one line per failing case (default) |
/// | 2 | per-category totals, timing, memory |
/// | 3 | the plan's size before running, the failing ids again at the end |
/// | 4 | skip and expected-fail reasons |
/// | 5 | every case, with its reported data (one line per entry, cut at 200 characters) |
/// | 6 | failure details: every failed expectation with its location, reported data, worker stderr |
///
/// On a terminal (and below level 5) a progress line shows counts and the
/// running case; it is erased before any other output. When the output is not
/// a terminal (CI logs, `| tee`), levels 1–4 print the same line as a plain
/// line at most every 20 s (`ASSAY_PROGRESS_INTERVAL` seconds), so a long run
/// is not silent: `[412/3120] 410 passed, 2 failed, 0 skipped · unit/tls-matrix/…`.
package final class ConsoleReporter: RunObserver, @unchecked Sendable {
    // Mutable state is only touched with `lock` held: @unchecked is safe. NSLock (a pthread mutex), not Mutex: the
    // exception tools/check-locks lists. With -j N the supervisors' threads report cases at once and the lock is held
    // while a line is written, so it is contended by design, and ThreadSanitizer does not see a contended Mutex's
    // hand-off: with a Mutex, `tools/sanitizers/tsan.sh -f unit` reported 5 races on the state it orders.
    private let lock = NSLock()
    let verbosity: Int
    let progress: Bool
    let memory: Bool
    private var total: Int
    private var done = 0
    private var counts = Totals()
    private var running: [String] = []
    private var progressShown = false
    private var finished = false
    private var lastDraw: UInt64 = 0
    /// Not a terminal: nanoseconds between plain progress lines (nil: none).
    let plainInterval: UInt64?
    private var lastPlain: UInt64

    package init(
        verbosity: Int, totalCases: Int, memory: Bool, terminal: Bool = isatty(1) == 1,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.verbosity = verbosity
        self.total = totalCases
        self.memory = memory
        let wanted = verbosity < 5 && (environment["ASSAY_NO_PROGRESS"] ?? "").isEmpty
        self.progress = terminal && wanted
        let seconds = environment["ASSAY_PROGRESS_INTERVAL"].flatMap(Double.init).flatMap { $0 >= 0 && $0 < 86_400 ? $0 : nil } ?? 20
        self.plainInterval = !terminal && wanted && verbosity >= 1 ? UInt64(seconds * 1e9) : nil
        lastPlain = DispatchTime.now().uptimeNanoseconds
        // A timer too, so one long case (a 30 s benchmark) is not a silent gap: the line also comes
        // when nothing starts or ends. (An interval under a second, for tests, is events only.)
        if let interval = plainInterval, interval >= 1_000_000_000 {
            let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
            timer.schedule(deadline: .now() + .nanoseconds(Int(interval)), repeating: .nanoseconds(Int(interval)))
            timer.setEventHandler { [weak self] in self?.tick() }
            timer.resume()
            self.timer = timer
        }
    }

    deinit { timer?.cancel() }

    private var timer: (any DispatchSourceTimer)?

    private func tick() {
        lock.withLock { plainProgress() }
    }

    /// The progress text: "[done/total] N passed, N failed, N skipped · running-id".
    private func progressText() -> String {
        var text = "[\(done)/\(total)] \(counts.passed) passed, \(counts.failures) failed, \(counts.skipped) skipped"
        if let r = running.last { text += " · \(r)" }
        return text
    }

    /// Not a terminal: a plain progress line when the interval has passed since the last one.
    private func plainProgress() {
        guard let interval = plainInterval, !finished else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastPlain >= interval else { return }
        lastPlain = now
        FileHandle.standardOutput.write(Data((progressText() + "\n").utf8))
    }

    // MARK: RunObserver

    package func caseStarted(_ id: String) {
        lock.withLock {
            running.append(id)
            drawProgress()
            plainProgress()
        }
    }

    package func caseFinished(_ r: CaseResult) {
        lock.withLock {
            if let i = running.firstIndex(of: r.id) { running.remove(at: i) }
            done += 1
            counts.add(r.status)
            var lines: [String] = []
            let showCase =
                verbosity >= 5
                || (verbosity >= 1 && (r.status.isFailure || r.status == .flaky))
                || (verbosity >= 4 && (r.status == .skipped || r.status == .expectedFail))
            if showCase {
                var line = "\(Self.label(r.status)) \(r.id)"
                if verbosity >= 5 && r.status != .skipped { line += " (\(Self.seconds(r.duration)))" }
                if let m = r.message, r.status != .passed, verbosity >= 4 || r.status.isFailure || r.status == .flaky {
                    line += " — " + (m.split(separator: "\n").first.map(String.init) ?? m)
                }
                lines.append(line)
                // Reported data (e.g. which peer and version an interop case ran against); failures show it in full at 6.
                if verbosity >= 5 && !(verbosity >= 6 && (r.status.isFailure || r.status == .expectedFail)) {
                    for d in r.data {
                        let text = Self.json(d)
                        lines.append("      data: " + (text.count > 200 ? String(text.prefix(199)) + "…" : text))
                    }
                }
            }
            if verbosity >= 6 && (r.status.isFailure || r.status == .expectedFail) {
                for issue in r.issues {
                    let loc = issue.location.map { "\($0): " } ?? ""
                    lines.append(contentsOf: (loc + issue.message).split(separator: "\n").map { "      " + $0 })
                }
                if !r.combination.isEmpty {
                    lines.append("      combination: " + r.combination.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
                }
                for d in r.data { lines.append("      data: \(Self.json(d))") }
            }
            emit(lines)
            plainProgress()
        }
    }

    package func suiteFinished(_ s: SuiteResult, cases: [CaseResult]) {
        lock.withLock {
            guard verbosity >= 1 else { return }
            let t = Totals(counting: cases, suiteFailures: s.failure == nil ? 0 : 1)
            var line = "\(s.status == "passed" ? "ok  " : "FAIL") \(s.category)/\(s.name): \(Self.countsText(t))"
            if let why = Self.allSkipped(s, cases: cases) { line = "skip \(s.category)/\(s.name): \(why)" }
            if verbosity >= 2 { line += " in \(Self.seconds(s.duration))" }
            if let rss = s.peakRSSBytes, memory || verbosity >= 2 { line += ", peak RSS \(Self.megabytes(rss))" }
            if verbosity >= 2 && s.workers > 1 { line += ", \(s.workers) workers" }
            var lines = [line]
            if let f = s.failure { lines.append("     suite failure: \(f)") }
            if let out = s.workerOutput, verbosity >= 6 || s.failure != nil {
                lines.append("     worker stderr (last lines):")
                lines.append(contentsOf: out.split(separator: "\n", omittingEmptySubsequences: false).suffix(verbosity >= 6 ? 30 : 8).map { "       | " + $0 })
            }
            emit(lines)
        }
    }

    // MARK: closing

    /// The run's final lines; the last one is exactly `N passed, N failed, N skipped`.
    package func finish(_ results: RunResults) {
        lock.withLock {
            clearProgress()
            finished = true
            timer?.cancel()
            var lines: [String] = []
            let t = results.totals
            if verbosity >= 2 {
                var cats: [String: Totals] = [:]
                var order: [String] = []
                for c in results.cases {
                    if cats[c.category] == nil { order.append(c.category) }
                    cats[c.category, default: Totals()].add(c.status)
                }
                for s in results.suites where s.failure != nil { cats[s.category, default: Totals()].suiteFailures += 1 }
                for cat in order { lines.append("category \(cat): \(Self.countsText(cats[cat]!))") }
                if let d = results.run.duration { lines.append("time \(Self.seconds(d))") }
            }
            if verbosity >= 3 {
                let failing = results.cases.filter { $0.status.isFailure }
                if !failing.isEmpty {
                    lines.append("failing cases:")
                    lines += failing.map { "  \($0.id)" }
                }
            }
            var extra: [String] = []
            if t.expectedFail > 0 { extra.append("\(t.expectedFail) expected-fail") }
            if t.unexpectedPass > 0 { extra.append("\(t.unexpectedPass) unexpected-pass") }
            if t.timedOut > 0 { extra.append("\(t.timedOut) timed-out") }
            if t.crashed > 0 { extra.append("\(t.crashed) crashed") }
            if t.suiteFailures > 0 { extra.append("\(t.suiteFailures) suite failure\(t.suiteFailures == 1 ? "" : "s")") }
            if !extra.isEmpty { lines.append(extra.joined(separator: ", ") + " (failed counts all but expected-fail)") }
            lines.append("\(t.passed) passed, \(t.failures) failed, \(t.skipped) skipped" + (t.flaky > 0 ? ", \(t.flaky) flaky" : ""))
            emit(lines)
        }
    }

    // MARK: helpers (call with lock held)

    private func emit(_ lines: [String]) {
        guard !lines.isEmpty else { drawProgress(); return }
        clearProgress()
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        drawProgress(force: true)
    }

    private func drawProgress(force: Bool = false) {
        guard progress, !finished else { return }
        // At most 20 redraws a second, unless the line was just erased.
        let now = DispatchTime.now().uptimeNanoseconds
        if progressShown && !force && now - lastDraw < 50_000_000 { return }
        lastDraw = now
        var text = progressText()
        let width = 120
        if text.count > width { text = String(text.prefix(width - 1)) + "…" }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K\(text)".utf8))
        progressShown = true
    }

    private func clearProgress() {
        guard progressShown else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        progressShown = false
    }

    static func label(_ s: CaseStatus) -> String {
        switch s {
        case .passed: return "PASS "
        case .failed: return "FAIL "
        case .skipped: return "SKIP "
        case .expectedFail: return "XFAIL"
        case .unexpectedPass: return "XPASS"
        case .timedOut: return "TIME "
        case .crashed: return "CRASH"
        case .flaky: return "FLAKY"
        }
    }

    /// For a suite whose every case skipped: "N skipped — reason[; other reason…]".
    static func allSkipped(_ s: SuiteResult, cases: [CaseResult]) -> String? {
        guard s.failure == nil, !cases.isEmpty, cases.allSatisfy({ $0.status == .skipped }) else { return nil }
        var reasons: [String] = []
        for c in cases {
            let r = (c.message ?? "no reason given").split(separator: "\n").first.map(String.init) ?? "no reason given"
            if !reasons.contains(r) { reasons.append(r) }
        }
        let shown = reasons.prefix(3).joined(separator: "; ") + (reasons.count > 3 ? "; and \(reasons.count - 3) other reasons" : "")
        return "\(cases.count) skipped — \(shown)"
    }

    static func countsText(_ t: Totals) -> String {
        var s = "\(t.passed) passed, \(t.failures) failed, \(t.skipped) skipped"
        if t.expectedFail > 0 { s += ", \(t.expectedFail) expected-fail" }
        if t.flaky > 0 { s += ", \(t.flaky) flaky" }
        return s
    }

    static func seconds(_ d: Double) -> String { String(format: d < 10 ? "%.3f s" : "%.1f s", d) }
    static func megabytes(_ b: Int) -> String { String(format: "%.1f MB", Double(b) / 1_048_576) }
    static func json(_ v: JSONValue) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: e.encode(v), as: UTF8.self)) ?? "?"
    }
}
