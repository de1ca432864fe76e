import Foundation

/// The results file: one run of the runner. Versioned; see
/// docs/results-schema.md. Keys are camelCase as written here.
public struct RunResults: Sendable, Codable, Equatable {
    /// Always "assay-results".
    public var schema: String
    /// Bumped on any incompatible change. Readers reject a major they do not know.
    public var schemaVersion: Int
    public var run: RunMetadata
    public var totals: Totals
    public var suites: [SuiteResult]
    public var cases: [CaseResult]

    public static let currentSchemaVersion = 1
    public static let schemaName = "assay-results"

    public init(run: RunMetadata, totals: Totals, suites: [SuiteResult], cases: [CaseResult]) {
        self.schema = Self.schemaName
        self.schemaVersion = Self.currentSchemaVersion
        self.run = run
        self.totals = totals
        self.suites = suites
        self.cases = cases
    }

    /// Encodes with sorted keys and ISO-8601 dates (stable, diffable output).
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return try e.encode(self)
    }

    /// Decodes a results file, rejecting unknown schemas or versions.
    public static func decode(_ data: Data) throws -> RunResults {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        let r = try d.decode(RunResults.self, from: data)
        guard r.schema == schemaName else { throw ResultsError.wrongSchema(r.schema) }
        guard r.schemaVersion <= currentSchemaVersion else {
            throw ResultsError.unsupportedVersion(r.schemaVersion)
        }
        return r
    }

    /// Writes the file atomically (temporary file in the same directory, then rename).
    public func write(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }
}

public enum ResultsError: Error, CustomStringConvertible {
    case wrongSchema(String)
    case unsupportedVersion(Int)
    public var description: String {
        switch self {
        case .wrongSchema(let s): return "not an assay results file (schema \"\(s)\")"
        case .unsupportedVersion(let v): return "results schema version \(v) is newer than this reader"
        }
    }
}

/// Where and how the run happened.
public struct RunMetadata: Sendable, Codable, Equatable {
    public var startTime: Date
    public var endTime: Date?
    /// Wall-clock seconds of the whole run.
    public var duration: Double?
    public var host: String
    public var os: String
    public var swiftVersion: String?
    public var opensslVersion: String?
    public var gitRevision: String?
    /// argv of the runner, program name first.
    public var commandLine: [String]
    /// The effective options (filters, seed, jobs, isolation, wrapper…).
    public var options: [String: JSONValue]
    /// Free-form extra metadata supplied by the runner's metadata hook.
    public var extra: [String: String]
    /// True when the run was interrupted (SIGINT/SIGTERM): the file holds the
    /// cases that finished before. Optional key, absent otherwise.
    public var interrupted: Bool?

    public init(
        startTime: Date, endTime: Date? = nil, duration: Double? = nil, host: String, os: String,
        swiftVersion: String? = nil, opensslVersion: String? = nil, gitRevision: String? = nil,
        commandLine: [String], options: [String: JSONValue] = [:], extra: [String: String] = [:]
    ) {
        self.startTime = startTime
        self.endTime = endTime
        self.duration = duration
        self.host = host
        self.os = os
        self.swiftVersion = swiftVersion
        self.opensslVersion = opensslVersion
        self.gitRevision = gitRevision
        self.commandLine = commandLine
        self.options = options
        self.extra = extra
    }
}

/// Counts per status, plus suite-level failures (a worker or its wrapper
/// exiting with an error after all its cases reported).
public struct Totals: Sendable, Codable, Equatable {
    public var passed = 0
    public var failed = 0
    public var skipped = 0
    public var expectedFail = 0
    public var unexpectedPass = 0
    public var timedOut = 0
    public var crashed = 0
    /// Cases that passed only when retried (`--retries`). Written only when not zero.
    public var flaky = 0
    public var suiteFailures = 0
    public var cases = 0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case passed, failed, skipped, expectedFail, unexpectedPass, timedOut, crashed, flaky, suiteFailures, cases
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        passed = try c.decode(Int.self, forKey: .passed)
        failed = try c.decode(Int.self, forKey: .failed)
        skipped = try c.decode(Int.self, forKey: .skipped)
        expectedFail = try c.decode(Int.self, forKey: .expectedFail)
        unexpectedPass = try c.decode(Int.self, forKey: .unexpectedPass)
        timedOut = try c.decode(Int.self, forKey: .timedOut)
        crashed = try c.decode(Int.self, forKey: .crashed)
        flaky = try c.decodeIfPresent(Int.self, forKey: .flaky) ?? 0
        suiteFailures = try c.decode(Int.self, forKey: .suiteFailures)
        cases = try c.decode(Int.self, forKey: .cases)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(passed, forKey: .passed)
        try c.encode(failed, forKey: .failed)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(expectedFail, forKey: .expectedFail)
        try c.encode(unexpectedPass, forKey: .unexpectedPass)
        try c.encode(timedOut, forKey: .timedOut)
        try c.encode(crashed, forKey: .crashed)
        if flaky > 0 { try c.encode(flaky, forKey: .flaky) }
        try c.encode(suiteFailures, forKey: .suiteFailures)
        try c.encode(cases, forKey: .cases)
    }

    public mutating func add(_ s: CaseStatus) {
        cases += 1
        switch s {
        case .passed: passed += 1
        case .failed: failed += 1
        case .skipped: skipped += 1
        case .expectedFail: expectedFail += 1
        case .unexpectedPass: unexpectedPass += 1
        case .timedOut: timedOut += 1
        case .crashed: crashed += 1
        case .flaky: flaky += 1
        }
    }

    /// Everything that counts as a failure on the closing line:
    /// failed + timed-out + crashed + unexpected-pass + suite failures.
    public var failures: Int { failed + timedOut + crashed + unexpectedPass + suiteFailures }

    public init(counting cases: [CaseResult], suiteFailures: Int) {
        for c in cases { add(c.status) }
        self.suiteFailures = suiteFailures
    }
}

/// One suite as it ran.
public struct SuiteResult: Sendable, Codable, Equatable {
    public var category: String
    public var name: String
    public var slug: String
    public var description: String?
    /// "passed" or "failed" (any failing case or a worker failure); "interrupted"
    /// when the run was interrupted before all its cases finished.
    public var status: String
    public var duration: Double
    /// Peak resident set size of the suite's worker(s), bytes (with --memory, or always when known).
    public var peakRSSBytes: Int?
    /// How many worker processes ran this suite (more than 1 after a crash or a timeout kill).
    public var workers: Int
    /// Suite-level failure: the worker (or its wrapper) failed outside any case.
    public var failure: String?
    /// Tail of the worker's standard error when something went wrong.
    public var workerOutput: String?

    public init(
        category: String, name: String, slug: String, description: String?, status: String,
        duration: Double, peakRSSBytes: Int? = nil, workers: Int = 0, failure: String? = nil,
        workerOutput: String? = nil
    ) {
        self.category = category
        self.name = name
        self.slug = slug
        self.description = description
        self.status = status
        self.duration = duration
        self.peakRSSBytes = peakRSSBytes
        self.workers = workers
        self.failure = failure
        self.workerOutput = workerOutput
    }
}

/// A source location (file path and line).
public struct SourceLocation: Sendable, Codable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// One failed expectation inside a case.
public struct Issue: Sendable, Codable, Equatable {
    public var message: String
    public var location: SourceLocation?
    public init(message: String, location: SourceLocation?) {
        self.message = message
        self.location = location
    }
}

/// One planned case and its outcome.
public struct CaseResult: Sendable, Codable, Equatable {
    /// The canonical id; passed back to `-f` it selects exactly this case.
    public var id: String
    public var category: String
    public var suite: String
    /// The test's name (the leaf name for a member of a matrix group).
    public var test: String
    /// The matrix group the test belongs to, if any.
    public var group: String?
    /// "simple", "matrix" or "coordinated".
    public var kind: String
    /// The matrix combination, dimension name to value.
    public var combination: [String: AssayValue]
    /// Coordinated selector values (participants, parallel mode), as given.
    public var coordination: [String: String]
    public var status: CaseStatus
    /// Seconds.
    public var duration: Double
    /// One-line explanation: first failure, skip reason, expected-fail reason…
    public var message: String?
    /// Where the first failure happened.
    public var location: SourceLocation?
    /// Every failed expectation.
    public var issues: [Issue]
    /// Data reported by the test (`ctx.report`), in order.
    public var data: [JSONValue]
    public var tags: [String]
    /// Coordinated cases only: the effective parallel mode and instance
    /// count per role (selector over the test's defaults). Optional key.
    public var participants: CoordinatedParticipants?
    /// Sharded runs only (optional key): the case's position in the whole,
    /// unsharded plan; `analyzer merge` orders the merged cases by it.
    public var planIndex: Int?
    /// `runner --repeat N` (N > 1): which repetition of the case this is, 1…N. Optional key;
    /// absent when the run did not repeat cases. The id is the same for every repetition.
    public var repetition: Int?
    /// `runner --retries N`: how many times the case ran, when more than once (a flaky case, or one
    /// that failed every attempt). Optional key.
    public var attempts: Int?

    public init(
        id: String, category: String, suite: String, test: String, group: String? = nil,
        kind: String, combination: [String: AssayValue] = [:], coordination: [String: String] = [:],
        status: CaseStatus, duration: Double = 0, message: String? = nil,
        location: SourceLocation? = nil, issues: [Issue] = [], data: [JSONValue] = [],
        tags: [String] = [], participants: CoordinatedParticipants? = nil, planIndex: Int? = nil
    ) {
        self.id = id
        self.category = category
        self.suite = suite
        self.test = test
        self.group = group
        self.kind = kind
        self.combination = combination
        self.coordination = coordination
        self.status = status
        self.duration = duration
        self.message = message
        self.location = location
        self.issues = issues
        self.data = data
        self.tags = tags
        self.participants = participants
        self.planIndex = planIndex
    }
}

/// The effective mode and role instance counts of a coordinated case.
public struct CoordinatedParticipants: Sendable, Codable, Equatable {
    /// "task", "thread" or "process".
    public var mode: String
    /// Role name to instance count.
    public var counts: [String: Int]
    public init(mode: String, counts: [String: Int]) {
        self.mode = mode
        self.counts = counts
    }
}
