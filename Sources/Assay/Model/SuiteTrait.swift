/// How a suite's cases may be spread over workers (`-j N`) and shards (`--shard K/N`).
///
/// By default a suite's cases are independent: a large suite is split across
/// several workers under `-j N`, and across shards under `--shard`. A suite
/// whose cases depend on each other, or that must not share the machine,
/// declares a trait:
///
///     Suite("perf9", category: "performance", traits: [.exclusive]) { … }
public enum SuiteTrait: String, Sendable, Hashable, CaseIterable {
    /// All of the suite's cases run in one worker, in plan order, and stay in
    /// one shard (cases that share state in the worker process, or whose order matters).
    case serialized
    /// `.serialized`, and no other suite runs while this one runs (benchmarks:
    /// their figures must not include other suites' load). Exclusive suites run
    /// after the others, one at a time.
    case exclusive
}

extension Suite {
    /// True when the suite's cases must stay together in one worker and one shard.
    public var keepsCasesTogether: Bool { traits.contains(.serialized) || traits.contains(.exclusive) }
    /// True when nothing else may run at the same time.
    public var isExclusive: Bool { traits.contains(.exclusive) }
}
