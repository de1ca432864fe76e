import ArgumentParser

/// The runner's command line. Every option that makes sense has an
/// environment variable (`ASSAY_…`); an option given on the command line wins.
package struct AssayCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run Assay suites: select with filters, expand matrices, isolate suites in workers, report.",
        discussion: """
            Filters: category/suite/test[key=value,…]<key=value,…> — see --filter-help.
            Exit status: 0 nothing failed, 1 something failed (an unexpected pass counts; also a run stopped by -x),
            2 usage error, 128+signal when interrupted (130 SIGINT, 143 SIGTERM).
            Environment: ASSAY_FILTER and ASSAY_SKIP (';'-separated), ASSAY_VERBOSITY, ASSAY_TIMEOUT,
            ASSAY_TIMEOUT_SCALE, ASSAY_JSON, ASSAY_JUNIT, ASSAY_ENSURED_ONLY, ASSAY_MATRIX_SAMPLE, ASSAY_SEED,
            ASSAY_SHUFFLE, ASSAY_FAIL_FAST, ASSAY_RETRIES, ASSAY_MEMORY, ASSAY_REPEAT, ASSAY_JOBS, ASSAY_WRAPPER, ASSAY_NO_ISOLATION, ASSAY_MATRICES_DIR, ASSAY_NO_PROGRESS,
            ASSAY_SHARD, ASSAY_DURATIONS, ASSAY_LAST_RESULTS, ASSAY_HOSTS.
            """,
        version: "runner (Assay) \(AssayVersion.text)")

    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("Select cases (repeatable; a case runs if any filter selects it).", valueName: "expr"))
    package var filter: [String] = []

    @Option(help: ArgumentHelp("Exclude cases, same syntax as --filter (repeatable).", valueName: "expr"))
    package var skip: [String] = []

    @Option(help: ArgumentHelp("List instead of running: suites, tests, categories or all.", valueName: "what"))
    package var list: String?

    @Flag(help: "Show the plan (cases and counts) without running anything.")
    package var dryRun = false

    @Flag(help: "Explain the filter language, with examples.")
    package var filterHelp = false

    @Option(help: ArgumentHelp("Timeout in seconds for tests that set none (default 60).", valueName: "seconds"))
    package var timeout: Double?

    @Option(help: ArgumentHelp("Multiply every timeout (e.g. 20 under valgrind).", valueName: "factor"))
    package var timeoutScale: Double?

    @Option(
        help: ArgumentHelp(
            "0 totals · 1 suites (default) · 2 categories, timing, memory · 3 plan and failing ids · 4 skip/expected-fail reasons · 5 every case · 6 failure details.",
            valueName: "0-6"))
    package var verbosity: Int?

    @Flag(name: .customShort("v"), help: "Raise verbosity by one per -v (-vvv is level 3), when --verbosity is not given.")
    package var verbose: Int

    @Option(help: ArgumentHelp("Write results JSON here (atomically).", valueName: "file"))
    package var json: String?

    @Option(help: ArgumentHelp("Write JUnit XML here (atomically).", valueName: "file"))
    package var junit: String?

    @Flag(help: "Run only the ensured combinations of matrix tests (smoke test).")
    package var ensuredOnly = false

    @Option(help: ArgumentHelp("Run at most N combinations per matrix test (ensured ones always), chosen with --seed.", valueName: "N"))
    package var matrixSample: Int?

    @Option(help: ArgumentHelp("Seed for --matrix-sample and --shuffle (default: random, printed).", valueName: "S"))
    package var seed: UInt64?

    @Flag(help: "Run the suites, and the cases within each suite, in a random order drawn from --seed (printed; the same seed gives the same order).")
    package var shuffle = false

    @Option(
        help: ArgumentHelp(
            "Run a failed or timed-out case again, up to N more times; a later pass is reported as flaky (counted on its own, never as passed).", valueName: "N"
        ))
    package var retries: Int?

    @Flag(
        name: [.customShort("x"), .customLong("fail-fast")],
        help: "Stop at the first failing case: kill the workers, write the finished cases' results (run marked interrupted), exit 1.")
    package var failFast = false

    @Option(
        name: .customLong("repeat"),
        help: ArgumentHelp(
            "Run every selected case N times, in interleaved rounds; each repetition is its own result (see docs/performance.md).", valueName: "N"))
    package var repetitions: Int?

    @Flag(help: "Report peak resident memory per suite.")
    package var memory = false

    @Option(
        name: [.customShort("j"), .long], help: ArgumentHelp("Workers at once; large suites are split over them (default: the number of CPUs).", valueName: "N")
    )
    package var jobs: Int?

    @Option(help: ArgumentHelp("Command put in front of each worker, e.g. 'valgrind --leak-check=full --error-exitcode=99'.", valueName: "cmd"))
    package var wrapper: String?

    @Option(help: ArgumentHelp("Where process-mode participants run (docs/distributed.md, remote participants); also ASSAY_HOSTS.", valueName: "hosts.json"))
    package var hosts: String?

    @Flag(help: "Run suites in this process (debugging; a crash ends the run).")
    package var noIsolation = false

    @Option(
        help: ArgumentHelp(
            "Run shard K of N (1-based): a deterministic, disjoint part of the plan; the N shards together are exactly the plan.", valueName: "K/N"))
    package var shard: String?

    @Option(help: ArgumentHelp("With --shard: balance the shards by the case durations in this results file (default: by case count).", valueName: "file"))
    package var durations: String?

    @Option(help: ArgumentHelp("Run only tests with this tag (repeatable: any of them; with -f, both must select).", valueName: "tag"))
    package var tag: [String] = []

    @Option(help: ArgumentHelp("Run only the cases that failed in this results file (with -f, both must select).", valueName: "file"))
    package var failedFrom: String?

    @Flag(help: "Run only the cases that failed in the previous run (its results are kept in .build/assay/last-results.json).")
    package var lastFailed = false

    package init() {}

    package mutating func validate() throws {
        if let v = verbosity, !(0...6).contains(v) { throw ValidationError("--verbosity must be 0…6") }
        if let l = list, !["suites", "tests", "categories", "all"].contains(l) {
            throw ValidationError("--list takes suites, tests, categories or all (got '\(l)')")
        }
        if let t = timeout, !(t > 0) { throw ValidationError("--timeout must be positive") }
        if let t = timeoutScale, !(t > 0) { throw ValidationError("--timeout-scale must be positive") }
        if let n = matrixSample, n < 1 { throw ValidationError("--matrix-sample must be at least 1") }
        if let n = repetitions, n < 1 { throw ValidationError("--repeat must be at least 1") }
        if let n = retries, !(0...100).contains(n) { throw ValidationError("--retries must be 0…100") }
        if let j = jobs, j < 1 { throw ValidationError("-j must be at least 1") }
        if ensuredOnly && matrixSample != nil { throw ValidationError("--ensured-only and --matrix-sample exclude each other") }
        if let s = shard { do { _ = try ShardSpec.parse(s) } catch { throw ValidationError("\(error)") } }
        if durations != nil && shard == nil { throw ValidationError("--durations balances shards: it needs --shard K/N") }
        if lastFailed && failedFrom != nil { throw ValidationError("--last-failed and --failed-from exclude each other") }
    }

    /// Fills options left unset from `ASSAY_*` environment variables.
    mutating func applyEnvironment(_ env: [String: String]) throws {
        func flag(_ k: String) -> Bool { ["1", "true", "yes", "on"].contains(env[k]?.lowercased() ?? "") }
        func number<T: LosslessStringConvertible>(_ k: String, _: T.Type) throws -> T? {
            guard let s = env[k], !s.isEmpty else { return nil }
            guard let v = T(s) else { throw ValidationError("environment \(k)='\(s)' is not a valid number") }
            return v
        }
        if filter.isEmpty, let f = env["ASSAY_FILTER"], !f.isEmpty { filter = f.split(separator: ";").map(String.init) }
        if skip.isEmpty, let s = env["ASSAY_SKIP"], !s.isEmpty { skip = s.split(separator: ";").map(String.init) }
        if verbosity == nil && verbose > 0 { verbosity = min(6, verbose) }
        if verbosity == nil { verbosity = try number("ASSAY_VERBOSITY", Int.self) }
        if timeout == nil { timeout = try number("ASSAY_TIMEOUT", Double.self) }
        if timeoutScale == nil { timeoutScale = try number("ASSAY_TIMEOUT_SCALE", Double.self) }
        if json == nil, let v = env["ASSAY_JSON"], !v.isEmpty { json = v }
        if junit == nil, let v = env["ASSAY_JUNIT"], !v.isEmpty { junit = v }
        if !ensuredOnly { ensuredOnly = flag("ASSAY_ENSURED_ONLY") }
        if matrixSample == nil { matrixSample = try number("ASSAY_MATRIX_SAMPLE", Int.self) }
        if seed == nil { seed = try number("ASSAY_SEED", UInt64.self) }
        if !memory { memory = flag("ASSAY_MEMORY") }
        if !shuffle { shuffle = flag("ASSAY_SHUFFLE") }
        if !failFast { failFast = flag("ASSAY_FAIL_FAST") }
        if retries == nil { retries = try number("ASSAY_RETRIES", Int.self) }
        if repetitions == nil { repetitions = try number("ASSAY_REPEAT", Int.self) }
        if jobs == nil { jobs = try number("ASSAY_JOBS", Int.self) }
        if wrapper == nil, let v = env["ASSAY_WRAPPER"], !v.isEmpty { wrapper = v }
        if !noIsolation { noIsolation = flag("ASSAY_NO_ISOLATION") }
        if shard == nil, let v = env["ASSAY_SHARD"], !v.isEmpty { shard = v }
        if durations == nil, let v = env["ASSAY_DURATIONS"], !v.isEmpty { durations = v }
        if hosts == nil, let v = env[HostsFile.environmentKey], !v.isEmpty { hosts = v }
        try validate()
    }
}
