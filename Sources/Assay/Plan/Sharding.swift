import Foundation

/// `--shard K/N`: shard K (1-based) of N.
package struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    package let index: Int
    package let count: Int
    package static let maxCount = 10_000

    package init(index: Int, count: Int) throws {
        guard (1...Self.maxCount).contains(count) else {
            throw PlanError(description: "--shard K/N: N must be 1…\(Self.maxCount) (got \(count))")
        }
        guard (1...count).contains(index) else {
            throw PlanError(description: "--shard K/N: K must be 1…N (got \(index)/\(count))")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N`.
    package static func parse(_ text: String) throws -> ShardSpec {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw PlanError(description: "--shard takes K/N, e.g. 2/4 (got '\(text)')")
        }
        return try ShardSpec(index: k, count: n)
    }

    package var description: String { "\(index)/\(count)" }
}

/// Splits a plan into N disjoint shards whose union is the plan.
///
/// Every shard computes the same assignment from the same plan (and the same
/// durations file), so each can pick its own share without talking to the
/// others. The unit of assignment is a *chunk*: a whole suite when it is
/// `.serialized`/`.exclusive` or cheap, else a part of a suite costing at most
/// a quarter of a shard's ideal share. Chunks go, most costly first, to the
/// shard with the least cost so far (ties: lowest shard). A case costs its
/// duration in the durations file (a previous results file), or the median of
/// the known durations when it is not there, or 1 when no file is given (so the
/// balance is by case count); a case the plan skips costs 0.
package enum Sharding {
    package struct Chunk: Sendable {
        /// Position of the suite in `plan.suites`.
        package let suite: Int
        /// Indices into that suite's cases, in plan order.
        package let cases: [Int]
        package let cost: Double
    }

    /// Case id → seconds, from a results file (skipped cases left out: they ran nothing).
    package static func durations(fromResultsFile path: String) throws -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlanError(description: "--durations: cannot read \(path)")
        }
        let results: RunResults
        do { results = try RunResults.decode(data) } catch {
            throw PlanError(description: "--durations: \(path) is not a readable results file: \(error)")
        }
        var out: [String: Double] = [:]
        for c in results.cases where c.status != .skipped && c.duration.isFinite && c.duration >= 0 {
            out[c.id] = c.duration
        }
        return out
    }

    /// The chunks of every shard: `assignment[k]` for shard k+1.
    package static func assign(_ plan: Plan, count: Int, durations: [String: Double]?) -> [[Chunk]] {
        let known = (durations ?? [:]).values.sorted()
        let fallback = durations == nil || known.isEmpty ? 1.0 : max(known[known.count / 2], 1e-6)
        func cost(_ c: PlannedCase) -> Double {
            c.skipReason != nil ? 0 : (durations?[c.id].map { max($0, 1e-6) } ?? fallback)
        }
        let costs = plan.suites.map { $0.cases.map(cost) }
        let total = costs.reduce(0) { $0 + $1.reduce(0, +) }
        let maxChunk = total / Double(count) / 4
        var chunks: [Chunk] = []
        for (si, ps) in plan.suites.enumerated() {
            let suiteCost = costs[si].reduce(0, +)
            if ps.suite.keepsCasesTogether || count == 1 || suiteCost <= maxChunk {
                chunks.append(Chunk(suite: si, cases: Array(ps.cases.indices), cost: suiteCost))
                continue
            }
            let k = min(Int((suiteCost / maxChunk).rounded(.up)), ps.cases.count)
            let parts = balance(Array(ps.cases.indices), costs: costs[si], into: k)
            for p in parts where !p.cases.isEmpty {
                chunks.append(Chunk(suite: si, cases: p.cases.sorted(), cost: p.cost))
            }
        }
        // Most costly first; ties in plan order. Each to the least loaded shard (ties: lowest).
        let order = chunks.indices.sorted { a, b in
            chunks[a].cost != chunks[b].cost
                ? chunks[a].cost > chunks[b].cost
                : (chunks[a].suite, chunks[a].cases.first ?? 0) < (chunks[b].suite, chunks[b].cases.first ?? 0)
        }
        var load = [Double](repeating: 0, count: count)
        var out = [[Chunk]](repeating: [], count: count)
        for i in order {
            let s = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            load[s] += chunks[i].cost
            out[s].append(chunks[i])
        }
        return out
    }

    /// Greedy: each item (most costly first, ties by index) into the cheapest part (ties: lowest).
    static func balance(_ items: [Int], costs: [Double], into k: Int) -> [(cases: [Int], cost: Double)] {
        var parts = [(cases: [Int], cost: Double)](repeating: ([], 0), count: k)
        for i in items.sorted(by: { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }) {
            let p = parts.indices.min { (parts[$0].cost, $0) < (parts[$1].cost, $1) }!
            parts[p].cases.append(i)
            parts[p].cost += costs[i]
        }
        return parts
    }

    /// What a sharded run records about its share (results `run.options.shard`).
    package struct Share: Sendable {
        package let spec: ShardSpec
        /// Cases in the whole (unsharded) plan.
        package let planCases: Int
        /// FNV-1a of the whole plan's case ids, in order: equal for every shard of one plan.
        package let planDigest: String
        /// Case id → position in the whole plan (orders the merged results like an unsharded run).
        package let planIndex: [String: Int]
        /// Estimated cost of this shard and of the whole plan (seconds with a durations file, else cases).
        package let cost: Double
        package let totalCost: Double
        package let balancedBy: String

        package var json: JSONValue {
            .object([
                "index": .int(spec.index), "count": .int(spec.count), "planCases": .int(planCases),
                "planDigest": .string(planDigest), "balancedBy": .string(balancedBy),
            ])
        }
    }

    /// Shard `spec.index` of `plan`: the selected cases in plan order, and what the results record.
    package static func select(_ plan: Plan, shard spec: ShardSpec, durations: [String: Double]?) -> (Plan, Share) {
        let assignment = assign(plan, count: spec.count, durations: durations)
        let mine = assignment[spec.index - 1]
        var keep = plan.suites.map { [Bool](repeating: false, count: $0.cases.count) }
        for ch in mine { for i in ch.cases { keep[ch.suite][i] = true } }
        var suites: [PlannedSuite] = []
        for (si, ps) in plan.suites.enumerated() {
            let cases = ps.cases.indices.filter { keep[si][$0] }.map { ps.cases[$0] }
            if !cases.isEmpty { suites.append(PlannedSuite(suiteIndex: ps.suiteIndex, suite: ps.suite, cases: cases)) }
        }
        var ids: [String] = []
        ids.reserveCapacity(plan.caseCount)
        for ps in plan.suites { for c in ps.cases { ids.append(c.id) } }
        let digest = String(SeededGenerator.stableHash(ids.joined(separator: "\n")), radix: 16)
        let index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let share = Share(
            spec: spec, planCases: ids.count, planDigest: digest, planIndex: index,
            cost: mine.reduce(0) { $0 + $1.cost },
            totalCost: assignment.reduce(0) { $0 + $1.reduce(0) { $0 + $1.cost } },
            balancedBy: durations == nil ? "case count" : "durations")
        return (Plan(suites: suites, warnings: plan.warnings), share)
    }
}
