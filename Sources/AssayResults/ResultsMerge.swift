import Foundation

/// Combines the results files of the shards of one run (`runner --shard K/N
/// --json …`) into one results file, as if the plan had run unsharded: cases
/// in plan order, one entry per suite, totals recounted. The output depends
/// only on the set of inputs, never on their order: the inputs are first put
/// in a canonical order (shard index, start time, host, then their bytes).
///
/// Refused (``MergeError``) unless `force`: inputs from different commits,
/// with different filter sets (filters, skips, ensured-only, matrix sample,
/// seed and repeat count), from different plans or shard counts, a mix of sharded and unsharded
/// files, or an incomplete set of shards. Always refused: two inputs for the
/// same shard, or a case id in two inputs.
public enum ResultsMerge {
    public struct Input: Sendable {
        /// How the input is named in messages (its path).
        public var name: String
        public var results: RunResults
        public init(name: String, results: RunResults) {
            self.name = name
            self.results = results
        }
    }

    /// The options that define which cases a run plans: they must agree.
    public static let planOptionKeys = ["filters", "skips", "ensuredOnly", "matrixSample", "seed", "repeat"]

    public static func merge(_ inputs: [Input], force: Bool = false, commandLine: [String]) throws -> RunResults {
        guard !inputs.isEmpty else { throw MergeError(message: "nothing to merge: give at least one results file") }
        let sorted = try canonicalOrder(inputs)
        try check(sorted, force: force)

        // Cases: by position in the whole plan; unsharded inputs (only with force) after, in canonical order.
        var seen: [String: String] = [:]
        var cases: [(key: (Int, Int, Int), c: CaseResult)] = []
        for (n, input) in sorted.enumerated() {
            for (i, c) in input.results.cases.enumerated() {
                // A repeated run (runner --repeat N) has N results per id, told apart by their repetition.
                let key = c.repetition.map { "\(c.id) (repetition \($0))" } ?? c.id
                if let other = seen[key] {
                    throw MergeError(message: "case \(key) is in both \(other) and \(input.name): the inputs overlap")
                }
                seen[key] = input.name
                cases.append((c.planIndex.map { (0, $0, c.repetition ?? 0) } ?? (1, n, i), c))
            }
        }
        cases.sort { $0.key < $1.key }
        let mergedCases = cases.map(\.c)

        // Suites: one per (category, name), in the order of their first case; parts in canonical order.
        var parts: [String: [SuiteResult]] = [:]
        for input in sorted { for s in input.results.suites { parts[key(s.category, s.name), default: []].append(s) } }
        var order: [String] = []
        for c in mergedCases where !order.contains(key(c.category, c.suite)) && parts[key(c.category, c.suite)] != nil {
            order.append(key(c.category, c.suite))
        }
        order += parts.keys.filter { !order.contains($0) }.sorted()
        let suites = order.map { mergeSuite(parts[$0]!) }

        let totals = Totals(counting: mergedCases, suiteFailures: suites.filter { $0.failure != nil }.count)
        return RunResults(run: mergeRun(sorted, commandLine: commandLine), totals: totals, suites: suites, cases: mergedCases)
    }

    // MARK: order and checks

    static func shard(_ r: RunResults) -> (index: Int, count: Int, planCases: Int?, digest: String?)? {
        guard case .object(let o)? = r.run.options["shard"], case .int(let k)? = o["index"], case .int(let n)? = o["count"] else { return nil }
        var planCases: Int?
        if case .int(let p)? = o["planCases"] { planCases = p }
        var digest: String?
        if case .string(let d)? = o["planDigest"] { digest = d }
        return (k, n, planCases, digest)
    }

    static func canonicalOrder(_ inputs: [Input]) throws -> [Input] {
        let keyed = try inputs.map { input -> (Int, Date, String, [UInt8], Input) in
            (
                shard(input.results)?.index ?? Int.max, input.results.run.startTime, input.results.run.host,
                Array(try input.results.encoded()), input
            )
        }
        return keyed.sorted { a, b in
            if a.0 != b.0 { return a.0 < b.0 }
            if a.1 != b.1 { return a.1 < b.1 }
            if a.2 != b.2 { return a.2 < b.2 }
            return a.3.lexicographicallyPrecedes(b.3)
        }.map(\.4)
    }

    /// Plan positions and repetitions the inputs claim: refused always (even with force) when impossible.
    static func checkIndices(_ inputs: [Input]) throws {
        for input in inputs {
            let planned = shard(input.results)?.planCases
            for c in input.results.cases {
                if let i = c.planIndex, i < 0 || planned.map({ i >= $0 }) ?? false {
                    let range = planned.map { $0 > 0 ? "0…\($0 - 1)" : "none (the plan is empty)" } ?? "0 or more"
                    throw MergeError(message: "\(input.name): case \(c.id) has planIndex \(i), outside the plan's positions (\(range))")
                }
                if let r = c.repetition, r < 1 {
                    throw MergeError(message: "\(input.name): case \(c.id) has repetition \(r); repetitions count from 1")
                }
            }
        }
    }

    static func check(_ inputs: [Input], force: Bool) throws {
        try checkIndices(inputs)
        var refusals: [String] = []
        // A shard stopped by -x or a signal wrote only the cases that finished: not a complete shard.
        for input in inputs where input.results.run.interrupted == true {
            let what = shard(input.results).map { "\(input.name) (shard \($0.index)/\($0.count))" } ?? input.name
            refusals.append(
                "\(what) is incomplete: its run was interrupted (-x or a signal) after \(input.results.cases.count) case(s); "
                    + "run the shard again")
        }
        func distinct<T: Hashable>(_ f: (RunResults) -> T, _ what: String, _ show: (T) -> String) {
            let values = inputs.map { f($0.results) }
            guard Set(values).count > 1 else { return }
            refusals.append("the inputs come from \(what): " + zip(inputs, values).map { "\($0.name): \(show($1))" }.joined(separator: ", "))
        }
        distinct({ $0.run.gitRevision }, "different commits") { $0 ?? "(no git revision)" }
        distinct({ r in planOptionKeys.map { r.run.options[$0] } }, "different filter sets (\(planOptionKeys.joined(separator: ", ")))") { v in
            zip(planOptionKeys, v).compactMap { k, x in x.map { "\(k)=\(render($0))" } }.joined(separator: " ")
        }
        let shards = inputs.map { shard($0.results) }
        if shards.contains(where: { $0 == nil }) {
            if shards.contains(where: { $0 != nil }) || inputs.count > 1 {
                refusals.append(
                    "not every input is a shard (runner --shard K/N): "
                        + inputs.enumerated().filter { shards[$0.offset] == nil }.map(\.element.name).joined(separator: ", "))
            }
        } else {
            let s = shards.map { $0! }
            distinct({ shard($0)!.count }, "runs cut into different numbers of shards") { "\($0) shards" }
            distinct({ shard($0)!.digest ?? "" }, "different plans (plan digests differ)") { $0 }
            var byIndex: [Int: String] = [:]
            for (input, sh) in zip(inputs, s) {
                if let other = byIndex[sh.index] {
                    throw MergeError(message: "\(other) and \(input.name) are both shard \(sh.index)/\(sh.count)")
                }
                byIndex[sh.index] = input.name
            }
            if Set(s.map(\.count)).count == 1 {
                let n = s[0].count
                let missing = (1...n).filter { byIndex[$0] == nil }
                if !missing.isEmpty {
                    refusals.append("shards missing: " + missing.map { "\($0)/\(n)" }.joined(separator: ", "))
                } else if let planned = s[0].planCases {
                    // Distinct ids: with --repeat N a shard holds N results per id (the ids stay the plan's).
                    let got = Set(inputs.flatMap { $0.results.cases.map(\.id) }).count
                    if got != planned {
                        let present = Set(inputs.flatMap { $0.results.cases.compactMap(\.planIndex) })
                        let absent = (0..<planned).lazy.filter { !present.contains($0) }.prefix(5).map(String.init)
                        refusals.append(
                            "the shards hold \(got) of the plan's \(planned) cases"
                                + (absent.isEmpty ? "" : " (missing plan positions: \(absent.joined(separator: ", "))\(planned - got > 5 ? ", …" : ""))")
                                + ": a shard stopped early (-x, SIGTERM, a crash) or its file lost cases")
                    }
                }
            }
        }
        if !refusals.isEmpty && !force {
            throw MergeError(message: refusals.joined(separator: "\n") + "\n(--force merges anyway)")
        }
    }

    // MARK: combining

    static func key(_ category: String, _ name: String) -> String { category + "/" + name }

    /// One suite from its shards' parts: duration and workers add up, peak RSS is the largest.
    static func mergeSuite(_ parts: [SuiteResult]) -> SuiteResult {
        var s = parts[0]
        guard parts.count > 1 else { return s }
        s.status = parts.contains { $0.status != "passed" } ? "failed" : "passed"
        s.duration = parts.reduce(0) { $0 + $1.duration }
        s.peakRSSBytes = parts.compactMap(\.peakRSSBytes).max()
        s.workers = parts.reduce(0) { $0 + $1.workers }
        let failures = parts.compactMap(\.failure)
        s.failure = failures.isEmpty ? nil : failures.joined(separator: "\n")
        s.workerOutput = parts.lazy.compactMap(\.workerOutput).first
        return s
    }

    static func mergeRun(_ inputs: [Input], commandLine: [String]) -> RunMetadata {
        let runs = inputs.map(\.results.run)
        func joined(_ values: [String?]) -> String? {
            let v = Set(values.compactMap { $0 }).sorted()
            return v.isEmpty ? nil : v.joined(separator: ",")
        }
        let start = runs.map(\.startTime).min()!
        let end = runs.compactMap(\.endTime).max()
        var options = runs[0].options
        options["shard"] = nil
        options["mergedFrom"] = .array(
            inputs.map { input in
                let r = input.results.run
                var o: [String: JSONValue] = [
                    "host": .string(r.host), "commandLine": .array(r.commandLine.map { .string($0) }),
                    "startTime": .string(ISO8601DateFormatter().string(from: r.startTime)),
                    "cases": .int(input.results.cases.count),
                ]
                if let d = r.duration { o["duration"] = .double(d) }
                if let s = r.options["shard"] { o["shard"] = s }
                return .object(o)
            })
        var extra: [String: String] = [:]
        for r in runs.reversed() { extra.merge(r.extra) { _, earlier in earlier } }  // the canonical first input wins
        return RunMetadata(
            startTime: start, endTime: end, duration: end.map { $0.timeIntervalSince(start) },
            host: joined(runs.map(\.host)) ?? "", os: joined(runs.map(\.os)) ?? "",
            swiftVersion: joined(runs.map(\.swiftVersion)), opensslVersion: joined(runs.map(\.opensslVersion)),
            gitRevision: joined(runs.map(\.gitRevision)), commandLine: commandLine, options: options, extra: extra)
    }

    static func render(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(render).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.sorted { $0.key < $1.key }.map { "\($0.key):\(render($0.value))" }.joined(separator: ",") + "}"
        }
    }
}

public struct MergeError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
