import Foundation

/// What a test body receives: its combination as typed values, a way to
/// report data into the results, and its id.
public struct TestContext: Sendable {
    /// The canonical id of the running case.
    public let id: String
    /// The matrix combination (empty for simple tests).
    public let combination: Combination
    /// The coordinated selector values (empty unless coordinated).
    public let coordination: [String: String]
    let recorder: CaseRecorder

    init(id: String, combination: Combination, coordination: [String: String], recorder: CaseRecorder) {
        self.id = id
        self.combination = combination
        self.coordination = coordination
        self.recorder = recorder
    }

    /// The string value of a dimension; throws if missing or of another type.
    public func string(_ name: String) throws -> String { try combination.string(name) }
    /// The integer value of a dimension; throws if missing or of another type.
    public func int(_ name: String) throws -> Int { try combination.int(name) }
    /// The boolean value of a dimension; throws if missing or of another type.
    public func bool(_ name: String) throws -> Bool { try combination.bool(name) }
    /// True when the dimension's value is `none`.
    public func isNone(_ name: String) throws -> Bool { try combination.isNone(name) }
    /// The raw value of a dimension.
    public func value(_ name: String) throws -> AssayValue { try combination.value(name) }

    /// Attaches data to this case's result (JSON `data` array, in order).
    public func report(_ data: JSONValue) { recorder.report(data) }

    /// The run's `--timeout-scale` (1 unless given; e.g. 30 under tools/valgrind/run.sh). A test's own
    /// liveness bounds (how long it waits for something to happen) should be multiplied by it, as the
    /// runner multiplies case timeouts.
    public static var timeoutScale: Double { ParticipantLaunch.settings.timeoutScale }

    /// Creates a fresh temporary directory for this case; it is removed
    /// when the case ends (unless the case is abandoned after a timeout).
    public func scratchDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "assay-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        recorder.addScratch(dir)
        return dir
    }
}

/// Thrown from a test body to skip the case at run time, with a reason.
public struct SkipTest: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "skipped: \(reason)" }
}
