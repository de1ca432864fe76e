extension Plan {
    /// `runner --shuffle`: the suites, and the cases within each suite, in an order drawn from `seed`
    /// (the same seed gives the same order, so a failure that depends on order can be replayed with
    /// `--shuffle --seed S`). Skipped cases keep no special place. Ids are unchanged, so a shuffled
    /// run's results compare and merge like any other.
    public func shuffled(seed: UInt64) -> Plan {
        var rng = SeededGenerator(seed: seed)
        var out = self
        out.suites.shuffle(using: &rng)
        for i in out.suites.indices { out.suites[i].cases.shuffle(using: &rng) }
        return out
    }
}
