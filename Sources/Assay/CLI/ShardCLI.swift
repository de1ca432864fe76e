import Foundation

/// The runner's `--shard K/N` and `--durations FILE`.
enum ShardCLI {
    /// The share of the plan this run executes (the plan unchanged without `--shard`).
    static func apply(_ plan: Plan, shard: String?, durationsFile: String?) throws -> (Plan, Sharding.Share?) {
        guard let shard else { return (plan, nil) }
        let spec = try ShardSpec.parse(shard)
        let durations = try durationsFile.map { try Sharding.durations(fromResultsFile: $0) }
        let (mine, share) = Sharding.select(plan, shard: spec, durations: durations)
        return (mine, share)
    }

    /// `shard 2/4: 812 of 3262 cases (balanced by case count: 812 of 3262)`.
    static func summary(_ share: Sharding.Share, plan: Plan) -> String {
        func f(_ x: Double) -> String { x == x.rounded() && x < 1e15 ? String(Int(x)) : String(format: "%.1f s", x) }
        return "shard \(share.spec): \(plan.caseCount) of \(share.planCases) cases in \(plan.suites.count) suites"
            + " (balanced by \(share.balancedBy): \(f(share.cost)) of \(f(share.totalCost)))"
    }

    /// Records each case's position in the whole plan.
    static func annotate(_ cases: inout [CaseResult], share: Sharding.Share?) {
        guard let share else { return }
        for i in cases.indices { cases[i].planIndex = share.planIndex[cases[i].id] }
    }
}
