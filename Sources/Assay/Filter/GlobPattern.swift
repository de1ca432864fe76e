/// A case-insensitive pattern for one path segment: literal text, `*`
/// (any run of characters) and `{a,b,…}` alternation (alternatives may hold
/// `*` and nested braces). Matching simulates all positions at once, so it
/// is O(pattern × text) — no backtracking, no exponential blowup.
package struct GlobPattern: Sendable, Equatable, CustomStringConvertible {
    indirect enum Element: Sendable, Equatable {
        case literal([Character])
        case star
        case alternation([[Element]])
    }

    let elements: [Element]
    /// The text the pattern was parsed from.
    package let source: String

    /// True when the pattern has no `*` and no alternation.
    package var isLiteral: Bool { elements.allSatisfy { if case .literal = $0 { return true } else { return false } } }

    package var description: String { source }

    /// Matches the whole of `text`, ignoring case.
    package func matches(_ text: String) -> Bool {
        let chars = Array(text.lowercased())
        var start = [Bool](repeating: false, count: chars.count + 1)
        start[0] = true
        return Self.advance(elements, chars, start)[chars.count]
    }

    /// Positions reachable after matching `seq` from any position set in `from`.
    private static func advance(_ seq: [Element], _ text: [Character], _ from: [Bool]) -> [Bool] {
        var cur = from
        for el in seq {
            var next = [Bool](repeating: false, count: text.count + 1)
            switch el {
            case .literal(let lit):
                for p in 0...text.count where cur[p] && p + lit.count <= text.count {
                    var ok = true
                    for (i, c) in lit.enumerated() where text[p + i] != c { ok = false; break }
                    if ok { next[p + lit.count] = true }
                }
            case .star:
                if let first = cur.firstIndex(of: true) {
                    for p in first...text.count { next[p] = true }
                }
            case .alternation(let alts):
                for alt in alts {
                    let r = advance(alt, text, cur)
                    for p in 0...text.count where r[p] { next[p] = true }
                }
            }
            cur = next
            if !cur.contains(true) { return cur }
        }
        return cur
    }
}
