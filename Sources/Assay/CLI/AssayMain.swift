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

    /// Runs with explicit arguments (program name first) and returns the exit status.
    /// `metadata` may supply "opensslVersion", "gitRevision" or any extra key for the results file.
    public static func run(arguments: [String], suites: [Suite],
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           metadata: @escaping @Sendable () -> [String: String] = { [:] }) -> Int32 {
        if arguments.count >= 3 && arguments[1] == WorkerProtocol.workerFlag {
            return WorkerMain.run(suites: suites, requestPath: arguments[2])
        }
        if arguments.count >= 3 && arguments[1] == ParticipantWorker.flag {
            return ParticipantWorker.run(suites: suites, json: arguments[2])
        }
        if arguments.count >= 2 && arguments[1] == RemoteParticipantMain.command {
            return RemoteParticipantMain.run(suites: suites, arguments: Array(arguments.dropFirst(2)))
        }
        let start = Date()
        var cmd: AssayCommand
        do {
            cmd = try AssayCommand.parse(Array(arguments.dropFirst()))
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
        if cmd.matrixSample != nil && cmd.seed == nil {
            cmd.seed = UInt64.random(in: 0...UInt64(UInt32.max))
            if verbosity >= 1 { say("matrix sample seed: \(cmd.seed!) (repeat with --seed \(cmd.seed!))") }
        }
        planOptions.seed = cmd.seed ?? 0

        // Stage 2: plan.
        let plan: Plan
        do { plan = try Planner.plan(catalog, options: planOptions) } catch {
            printError("error: \(error)")
            return exitUsage
        }
        for w in plan.warnings { printError("warning: \(w)") }
        if !planOptions.filters.isEmpty && plan.caseCount == 0 {
            printError("error: the filters select no case (see --list tests, --filter-help)")
            return exitUsage
        }
        if cmd.dryRun {
            Listing.printPlan(plan, verbosity: verbosity)
            return exitOK
        }
        if verbosity >= 3 {
            say("plan: \(plan.caseCount) cases in \(plan.suites.count) suites")
        }

        // Stage 3: execute.
        var exec = ExecutionOptions()
        exec.isolation = !cmd.noIsolation
        exec.jobs = cmd.jobs ?? 1
        exec.wrapper = cmd.wrapper
        exec.defaultTimeout = cmd.timeout ?? 60
        exec.timeoutScale = cmd.timeoutScale ?? 1
        exec.matricesDirectory = matricesDir
        if let s = environment["ASSAY_WORKER_STARTUP_TIMEOUT"], let v = Double(s), v > 0 { exec.startupTimeout = v }
        let reporter = ConsoleReporter(verbosity: verbosity, totalCases: plan.caseCount, memory: cmd.memory)
        if exec.isolation { ActiveWorkers.shared.installSignalHandlers() }
        let ran = Executor.run(plan, options: exec, observer: reporter)

        // Stage 4: report.
        let suiteResults = ran.map(\.0)
        let cases = ran.flatMap(\.1)
        var meta = RunMetadataCollector.collect(
            start: start, arguments: arguments, options: effectiveOptions(cmd, exec), extra: metadata())
        let end = Date()
        meta.endTime = end
        meta.duration = end.timeIntervalSince(start)
        let results = RunResults(
            run: meta, totals: Totals(counting: cases, suiteFailures: suiteResults.filter { $0.failure != nil }.count),
            suites: suiteResults, cases: cases)
        var writeFailed = false
        if let path = cmd.json {
            do { try results.write(to: path) } catch { printError("error: cannot write \(path): \(error)"); writeFailed = true }
        }
        if let path = cmd.junit {
            do { try JUnitWriter.write(results, to: path) } catch { printError("error: cannot write \(path): \(error)"); writeFailed = true }
        }
        reporter.finish(results)
        return results.totals.failures > 0 || writeFailed ? exitFailures : exitOK
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
