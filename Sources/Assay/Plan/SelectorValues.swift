/// How selector values written in a filter meet the declared ones, and the
/// one spelling a case id uses for them.
///
/// The seed harness (Janet) wrote symbolic values as keywords —
/// `[protocol=:tcp]<parallel=:thread>` — so a leading `:` is accepted on any
/// value and never reaches a case id: `:tcp`, `tcp` and `TCP` select the same
/// combination, and `<parallel=:Thread,server=04>` and
/// `<server=4,parallel=thread>` name the same case,
/// `…<parallel=thread,server=4>` (mode first, then roles in declaration order,
/// counts as plain integers).
enum SelectorValues {
    /// A filter value matches a declared value's printed form (case-insensitive,
    /// with or without one leading ':' — unless the declared value itself starts with ':').
    static func matches(_ given: String, _ declared: String) -> Bool {
        if given.lowercased() == declared.lowercased() { return true }
        guard given.hasPrefix(":"), !declared.hasPrefix(":") else { return false }
        return given.dropFirst().lowercased() == declared.lowercased()
    }

    /// The canonical form of a validated coordinated selector.
    static func canonicalCoordination(
        _ pairs: [(key: String, value: String)], spec: CoordinatedSpec,
        resolved: CoordinatedSpec.Resolved
    ) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        if pairs.contains(where: { $0.key.lowercased() == "parallel" }) {
            out.append((key: "parallel", value: resolved.mode.rawValue))
        }
        if pairs.contains(where: { $0.key.lowercased() == "placement" }) {
            out.append((key: "placement", value: resolved.placement.rawValue))
        }
        for (role, count) in resolved.roles where pairs.contains(where: { $0.key.lowercased() == role.name.lowercased() }) {
            out.append((key: role.name, value: String(count)))
        }
        return out
    }
}
