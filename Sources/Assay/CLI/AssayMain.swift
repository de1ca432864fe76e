import ArgumentParser
import Foundation

/// The runner's entry point. An executable's `main.swift` is one line:
///
///     AssayMain.main(suites: Registry.suites)
public enum AssayMain {
    /// Exit statuses.
    public static let exitOK: Int32 = 0, exitFailures: Int32 = 1, exitUsage: Int32 = 2

    /// Runs with the process's arguments and exits.
    public static func main(suites: [Suite], metadata: @escaping @Sendable () -> [String: String] = { [:] }) -> Never {
        exit(run(arguments: CommandLine.arguments, suites: suites, metadata: metadata))
    }

    /// Runs with the process's arguments and exits; remote participants (`--hosts`, `runner participant`) go
    /// through `remoteTransport` (the project's runner wires in AssayRemoteTLS's).
    package static func main(
        suites: [Suite], remoteTransport: any RemoteTransport, metadata: @escaping @Sendable () -> [String: String] = { [:] }
    ) -> Never {
        InstalledRemoteTransport.current = remoteTransport
        main(suites: suites, metadata: metadata)
    }

    /// Runs with explicit arguments (program name first) and returns the exit status.
    /// `metadata` may supply "opensslVersion", "gitRevision" or any extra key for the results file.
    public static func run(
        arguments: [String], suites: [Suite],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        metadata: @escaping @Sendable () -> [String: String] = { [:] }
    ) -> Int32 {
        if arguments.count >= 3 && arguments[1] == WorkerProtocol.workerFlag {
            return WorkerMain.run(suites: suites, requestPath: arguments[2])
        }
        if arguments.count >= 3 && arguments[1] == ParticipantWorker.flag {
            return ParticipantWorker.run(suites: suites, json: arguments[2])
        }
        if arguments.count >= 2 && arguments[1] == RemoteParticipantMain.command {
            return RemoteParticipantMain.run(
                suites: suites, arguments: Array(arguments.dropFirst(2)), transport: InstalledRemoteTransport.current)
        }
        let start = Date()
        let loadAtStart = MachineFacts.loadAverage()
        var cmd: AssayCommand
        do {
            // -f/--skip taken out first: ArgumentParser is quadratic in the number of arguments.
            let repeated = RepeatedOptions.extract(Array(arguments.dropFirst()))
            cmd = try AssayCommand.parse(repeated.rest)
            cmd.filter = repeated.filters + cmd.filter
            cmd.skip = repeated.skips + cmd.skip
            try cmd.applyEnvironment(environment)
        } catch {
            let code = AssayCommand.exitCode(for: error)
            if code == .success {
                say(AssayCommand.fullMessage(for: error))
                return exitOK
            }
            printError(AssayCommand.fullMessage(for: error))
            return exitUsage
        }
        if let h = cmd.hosts {
            // Checked now (a usage error), then handed to workers and participants through the environment.
            let path = URL(fileURLWithPath: h).standardizedFileURL.path
            do { _ = try HostsFile.load(path) } catch {
                printError("error: \(error)")
                return exitUsage
            }
            setenv(HostsFile.environmentKey, path, 1)
        }
        if cmd.filterHelp {
            say(FilterHelp.text)
            return exitOK
        }
        let verbosity = cmd.verbosity ?? 1
        let matricesDir = MatrixLibrary.locateDirectory(environment: environment)

        // Stage 1: collect.
        let catalog: Catalog
        do { catalog = try Catalog(suites: suites, matricesDirectory: matricesDir) } catch {
            printError("error: \(error)")
            return exitUsage
        }
        // Parse filters (usage errors point at the character).
        var planOptions = PlanOptions()
        do {
            planOptions.filters = try cmd.filter.map { try FilterExpression.parse($0) }
            planOptions.skips = try cmd.skip.map { try FilterExpression.parse($0) }
        } catch let e as FilterSyntaxError {
            printError(e.description)
            return exitUsage
        } catch {
            printError("error: \(error)")
            return exitUsage
        }
        if let what = cmd.list {
            Listing.print(what, catalog: catalog, filters: planOptions.filters)
            return exitOK
        }
        planOptions.ensuredOnly = cmd.ensuredOnly
        planOptions.matrixSample = cmd.matrixSample
        if (cmd.matrixSample != nil || cmd.shuffle) && cmd.seed == nil {
            cmd.seed = UInt64.random(in: 0...UInt64(UInt32.max))
            let what = [cmd.matrixSample != nil ? "matrix sample" : nil, cmd.shuffle ? "shuffle" : nil].compactMap { $0 }
            if verbosity >= 1 { say("\(what.joined(separator: " and ")) seed: \(cmd.seed!) (repeat with --seed \(cmd.seed!))") }
        }
        planOptions.seed = cmd.seed ?? 0

        // Stage 2: plan.
        var plan: Plan
        do { plan = try Planner.plan(catalog, options: planOptions) } catch {
            printError("error: \(error)")
            return exitUsage
        }
        if !cmd.tag.isEmpty {
            plan = Selection.keep(plan, tags: cmd.tag)
            if plan.caseCount == 0 {
                printError("error: no selected test has the tag\(cmd.tag.count == 1 ? "" : "s") \(cmd.tag.joined(separator: ", ")) (see --list tests)")
                return exitUsage
            }
        }
        if let from = cmd.lastFailed ? Selection.lastResultsPath(environment: environment) : cmd.failedFrom {
            switch Selection.failedFilters(from: from) {
            case .failure(let e):
                printError("error: \(e)")
                return exitUsage
            case .success(let failed) where failed.isEmpty:
                say("no case failed in \(from): nothing to run")
                return exitOK
            case .success(let failed):
                var o = planOptions
                o.filters = failed
                o.skips = planOptions.skips
                let again: Plan
                do { again = try Planner.plan(catalog, options: o) } catch {
                    printError("error: --failed-from \(from): \(error) (do the suites still have these cases?)")
                    return exitUsage
                }
                // With -f/--tag too, a case must also be in the plan they made (same id).
                let allowed = Set(plan.suites.flatMap { $0.cases.map(\.id) })
                let constrained = !planOptions.filters.isEmpty || !cmd.tag.isEmpty
                plan = constrained ? Selection.narrowed(again) { allowed.contains($0.id) } : again
            }
        }
        for w in plan.warnings { printError("warning: \(w)") }
        if !planOptions.filters.isEmpty && plan.caseCount == 0 {
            printError("error: the filters select no case (see --list tests, --filter-help)")
            return exitUsage
        }
        let share: Sharding.Share?
        do { (plan, share) = try ShardCLI.apply(plan, shard: cmd.shard, durationsFile: cmd.durations) } catch {
            printError("error: \(error)")
            return exitUsage
        }
        if let share, verbosity >= 1 || cmd.dryRun { say(ShardCLI.summary(share, plan: plan)) }
        // Repetitions come after sharding: every shard repeats its own share (the ids stay the plan's).
        if cmd.shuffle { plan = plan.shuffled(seed: cmd.seed ?? 0) }
        plan = plan.repeated(cmd.repetitions ?? 1)
        if cmd.dryRun {
            Listing.printPlan(plan, verbosity: verbosity)
            return exitOK
        }
        // Output files are checked before the first case runs.
        for (option, path) in [("--json", cmd.json), ("--junit", cmd.junit)] {
            guard let path else { continue }
            do { try AtomicFile.checkWritable(path) } catch {
                printError("error: \(option) \(error)")
                return exitUsage
            }
        }
        if verbosity >= 3 {
            say("plan: \(plan.caseCount) cases in \(plan.suites.count) suites")
        }

        // Stage 3: execute.
        var exec = ExecutionOptions()
        exec.isolation = !cmd.noIsolation
        exec.jobs = cmd.jobs ?? ParallelSchedule.defaultJobs
        exec.wrapper = cmd.wrapper
        exec.defaultTimeout = cmd.timeout ?? 60
        exec.timeoutScale = cmd.timeoutScale ?? 1
        exec.retries = cmd.retries ?? 0
        exec.matricesDirectory = matricesDir
        if let s = environment["ASSAY_WORKER_STARTUP_TIMEOUT"], let v = Double(s), v > 0 { exec.startupTimeout = v }
        switch ValgrindReexec.decide(
            wrapper: exec.wrapper, isolation: exec.isolation,
            executable: ExecutablePath.current() ?? arguments[0],
            timeoutScaleGiven: cmd.timeoutScale != nil, environment: environment)
        {
        case .proceed: break
        case .refuse(let line):
            printError(line)
            return exitUsage
        case .reexec(let binary, let env):
            ValgrindReexec.exec(binary: binary, arguments: arguments, environment: env)
        }
        if exec.isolation, let w = exec.wrapper,
            let completed = ValgrindWrapper.complete(
                w, suppressions: ValgrindWrapper.suppressionsFile(above: ExecutablePath.current() ?? arguments[0]))
        {
            exec.wrapper = completed.wrapper
            exec.valgrindErrorExitCode = completed.errorExitCode
            printError(completed.notice)
        }
        let reporter = ConsoleReporter(verbosity: verbosity, totalCases: plan.caseCount, memory: cmd.memory)
        let finished = FinishedResults(forwardingTo: reporter)
        var options = effectiveOptions(cmd, exec)
        if let share { options["shard"] = share.json }
        let meta = RunMetadataCollector.collect(
            start: start, arguments: arguments, options: options,
            extra: MachineFacts.collect(loadAtStart: loadAtStart).merging(metadata()) { _, hook in hook })
        let (jsonPath, junitPath) = (cmd.json, cmd.junit)
        let writeOutputs: @Sendable (RunResults) -> Bool = { results in
            var ok = true
            // Where the results went (stderr: stdout's last line stays the totals).
            if let path = jsonPath {
                do {
                    try results.write(to: path)
                    if verbosity >= 1 { printError("results: \(path) (\(results.totals.cases) cases, JSON)") }
                } catch {
                    printError("error: --json \(error)")
                    ok = false
                }
            }
            if let path = junitPath {
                do {
                    try JUnitWriter.write(results, to: path)
                    if verbosity >= 1 { printError("results: \(path) (\(results.totals.cases) cases, JUnit XML)") }
                } catch {
                    printError("error: --junit \(error)")
                    ok = false
                }
            }
            return ok
        }
        let runPlan = plan
        ActiveWorkers.shared.onInterrupt = { sig in
            Interruption.finish(
                .signal(sig), finished: finished, plan: runPlan,
                write: { _ = writeOutputs($0) }, reporter: reporter, metadata: meta)
        }
        if cmd.failFast {
            finished.onFirstFailure = { failed in
                Interruption.finish(
                    .failFast(failed), finished: finished, plan: runPlan,
                    write: { _ = writeOutputs($0) }, reporter: reporter, metadata: meta)
            }
        }
        ActiveWorkers.shared.installSignalHandlers()
        let ran = Executor.run(plan, options: exec, observer: finished)
        // Interrupted while the last cases ended: the signal handler writes the results and exits.
        while finished.isFrozen { sleep(60) }

        // Stage 4: report.
        let suiteResults = ran.map(\.0)
        var cases = ran.flatMap(\.1)
        ShardCLI.annotate(&cases, share: share)
        var runMeta = meta
        if let load = MachineFacts.loadAverage() { runMeta.extra["loadAverageEnd"] = load }
        let end = Date()
        runMeta.endTime = end
        runMeta.duration = end.timeIntervalSince(start)
        let results = RunResults(
            run: runMeta, totals: Totals(counting: cases, suiteFailures: suiteResults.filter { $0.failure != nil }.count),
            suites: suiteResults, cases: cases)
        let written = writeOutputs(results)
        // For --last-failed: every run that ran cases leaves its results (best effort).
        try? results.write(to: Selection.lastResultsPath(environment: environment))
        reporter.finish(results)
        return results.totals.failures > 0 || !written ? exitFailures : exitOK
    }

    static func effectiveOptions(_ c: AssayCommand, _ e: ExecutionOptions) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "filters": .array(c.filter.map { .string($0) }),
            "skips": .array(c.skip.map { .string($0) }),
            "isolation": .bool(e.isolation),
            "jobs": .int(e.jobs),
            "defaultTimeout": .double(e.defaultTimeout),
            "timeoutScale": .double(e.timeoutScale),
            "ensuredOnly": .bool(c.ensuredOnly),
            "verbosity": .int(c.verbosity ?? 1),
        ]
        if let w = e.wrapper { o["wrapper"] = .string(w) }
        if let h = c.hosts { o["hosts"] = .string(h) }
        if let n = c.matrixSample { o["matrixSample"] = .int(n) }
        if let s = c.seed { o["seed"] = .string(String(s)) }
        if c.shuffle { o["shuffle"] = .bool(true) }
        if c.failFast { o["failFast"] = .bool(true) }
        if let n = c.retries, n > 0 { o["retries"] = .int(n) }
        if let n = c.repetitions { o["repeat"] = .int(n) }
        return o
    }

    /// Unbuffered stdout, so lines keep their order with the reporter's.
    static func say(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }

    static func printError(_ s: String) {
        FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }
}
