/// `runner --repeat N`: every runnable case of the plan N times, in rounds.
///
/// Within each suite the cases run as round 1 (every case once), round 2, …, round N, so a slow
/// drift of the machine (thermal state, other load, page cache) touches every case about equally
/// instead of landing on whichever case happened to run last. Each copy carries its repetition
/// index (1…N), which the results file records; the case id stays the same, so every repetition
/// counts on its own: the run passes only if every repetition of every case passes.
/// Cases the plan already skips are kept once (repeating a skip measures nothing).
extension Plan {
    public func repeated(_ times: Int) -> Plan {
        guard times > 1 else { return self }
        var out = self
        for si in out.suites.indices {
            let cases = suites[si].cases
            let skipped = cases.filter { $0.skipReason != nil }
            let runnable = cases.filter { $0.skipReason == nil }
            var rounds: [PlannedCase] = []
            rounds.reserveCapacity(skipped.count + runnable.count * times)
            rounds += skipped
            for r in 1...times {
                for var c in runnable {
                    c.repetition = r
                    rounds.append(c)
                }
            }
            out.suites[si].cases = rounds
        }
        return out
    }
}
