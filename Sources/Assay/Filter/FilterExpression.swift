/// One parsed filter expression:
/// `category/suite/test[key=value,…]<key=value,…>` (also
/// `category/suite/group/test` for members of a matrix group).
package struct FilterExpression: Sendable, CustomStringConvertible {
    /// One to four segment patterns: category, suite, test (or group, test).
    package var path: [GlobPattern]
    /// Matrix selector: each key with its allowed values (printed forms).
    package var matrix: [SelectorEntry]
    /// Coordinated selector (carried; coordinated tests are a later issue).
    package var coordination: [SelectorEntry]?
    package let source: String

    package var description: String { source }

    package struct SelectorEntry: Sendable, Equatable {
        package var key: String
        /// One or more values (`key=v` or `key={v1,v2}`), as written.
        package var values: [String]
        /// Offset of the key in the expression (for error messages).
        package var offset: Int
    }

    /// Parses an expression; throws `FilterSyntaxError` pointing at the bad character.
    package static func parse(_ text: String) throws(FilterSyntaxError) -> FilterExpression {
        var p = FilterParser(text)
        return try p.parseExpression()
    }
}

/// A malformed filter: a message and the character offset it points at.
package struct FilterSyntaxError: Error, Equatable, CustomStringConvertible {
    package let expression: String
    /// Character offset of the offending character (== length for "unexpected end").
    package let offset: Int
    package let message: String

    /// The message, the expression (a window of it, for long input) and a caret.
    package var description: String {
        let chars = Array(expression)
        let lo = max(0, offset - 40), hi = min(chars.count, offset + 40)
        let prefix = lo > 0 ? "…" : "", suffix = hi < chars.count ? "…" : ""
        let shown = prefix + String(chars[lo..<hi]).map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined() + suffix
        let caret = String(repeating: " ", count: prefix.count + offset - lo) + "^"
        return "invalid filter: \(message) (at character \(offset + 1))\n  \(shown)\n  \(caret)"
    }
}

/// Recursive-descent parser over characters. Every loop consumes input and
/// brace nesting is capped, so any input terminates quickly without deep recursion.
struct FilterParser {
    let chars: [Character]
    let text: String
    var pos = 0
    static let maxNesting = 16
    static let maxSegments = 4
    static let special: Set<Character> = ["/", "[", "]", "<", ">", "{", "}", ",", "*", "\\", "="]

    init(_ text: String) {
        self.text = text
        self.chars = Array(text)
    }

    func error(_ msg: String, at: Int? = nil) -> FilterSyntaxError {
        FilterSyntaxError(expression: text, offset: at ?? pos, message: msg)
    }

    var peek: Character? { pos < chars.count ? chars[pos] : nil }

    mutating func parseExpression() throws(FilterSyntaxError) -> FilterExpression {
        if chars.isEmpty { throw error("empty filter expression") }
        var path: [GlobPattern] = []
        while true {
            if path.count == Self.maxSegments {
                throw error("too many '/' segments (at most category/suite/group/test)")
            }
            path.append(try parseSegment())
            if peek == "/" { pos += 1; continue }
            break
        }
        var matrix: [FilterExpression.SelectorEntry] = []
        var coordination: [FilterExpression.SelectorEntry]?
        if peek == "[" {
            pos += 1
            matrix = try parseSelector(close: "]")
        }
        if peek == "<" {
            pos += 1
            coordination = try parseSelector(close: ">")
        }
        if let c = peek {
            switch c {
            case "[": throw error(matrix.isEmpty ? "a matrix selector '[…]' must come before '<…>'" : "only one matrix selector '[…]' is allowed")
            case "<": throw error("only one coordinated selector '<…>' is allowed")
            case "]", ">", "}": throw error("unbalanced '\(c)': no matching opening bracket")
            default: throw error("unexpected '\(c)' after the selector; nothing may follow ']' or '>'")
            }
        }
        return FilterExpression(path: path, matrix: matrix, coordination: coordination, source: text)
    }

    /// segment := (literal | '*' | '{' alt (',' alt)* '}')+
    mutating func parseSegment() throws(FilterSyntaxError) -> GlobPattern {
        let start = pos
        let elements = try parseSequence(depth: 0)
        if elements.isEmpty {
            if let c = peek, c != "/" && c != "[" && c != "<" {
                throw error("unexpected '\(c)'")
            }
            throw error(peek == nil && start > 0 ? "empty segment at the end (trailing '/')" : "empty segment: a segment needs a name or a pattern such as '*'")
        }
        return GlobPattern(elements: elements, source: String(chars[start..<pos]))
    }

    /// Parses until a character that ends the sequence at this level.
    mutating func parseSequence(depth: Int) throws(FilterSyntaxError) -> [GlobPattern.Element] {
        var out: [GlobPattern.Element] = []
        var lit: [Character] = []
        func flush() { if !lit.isEmpty { out.append(.literal(lit)); lit = [] } }
        while let c = peek {
            switch c {
            case "\\":
                pos += 1
                guard let e = peek else { throw error("'\\' at the end escapes nothing") }
                lit.append(contentsOf: String(e).lowercased())
                pos += 1
            case "*":
                flush()
                if case .star? = out.last {} else { out.append(.star) }
                pos += 1
            case "{":
                flush()
                if depth >= Self.maxNesting { throw error("'{' nested too deeply (at most \(Self.maxNesting) levels)") }
                let open = pos
                pos += 1
                var alts: [[GlobPattern.Element]] = []
                while true {
                    let altStart = pos
                    let alt = try parseSequence(depth: depth + 1)
                    if alt.isEmpty { throw error("empty alternative in '{…}'", at: altStart) }
                    alts.append(alt)
                    if peek == "," { pos += 1; continue }
                    if peek == "}" { pos += 1; break }
                    if peek == nil { throw error("unbalanced '{': no closing '}'", at: open) }
                    throw error("unexpected '\(peek!)' inside '{…}'")
                }
                out.append(.alternation(alts))
            case ",", "}":
                if depth == 0 {
                    throw error(c == "," ? "',' outside '{…}' (use {a,b} for alternatives)" : "unbalanced '}': no matching '{'")
                }
                flush()
                return out
            case "/", "[", "<":
                if depth > 0 { throw error("unexpected '\(c)' inside '{…}' (missing '}'?)") }
                flush()
                return out
            case "]", ">":
                throw error("unbalanced '\(c)': no matching opening bracket")
            case "=":
                throw error("unexpected '=' in a path segment (selectors go in [key=value])")
            default:
                lit.append(contentsOf: String(c).lowercased())
                pos += 1
            }
        }
        flush()
        return out
    }

    /// selector := kv (',' kv)* close ; kv := key '=' (value | '{' value (',' value)* '}')
    mutating func parseSelector(close: Character) throws(FilterSyntaxError) -> [FilterExpression.SelectorEntry] {
        let open = pos - 1
        var entries: [FilterExpression.SelectorEntry] = []
        if peek == close { throw error("empty selector '\(chars[open])\(close)'") }
        while true {
            let keyStart = pos
            var key = ""
            while let c = peek, c.isLetter || c.isNumber || c == "-" || c == "_" || c == "." {
                key.append(c)
                pos += 1
            }
            if key.isEmpty {
                if peek == nil { throw error("unbalanced '\(chars[open])': no closing '\(close)'", at: open) }
                throw error("expected a key name, found '\(peek!)'")
            }
            guard peek == "=" else {
                if peek == nil { throw error("expected '=' after key '\(key)', found the end") }
                throw error("expected '=' after key '\(key)', found '\(peek!)'")
            }
            pos += 1
            var values: [String] = []
            if peek == "{" {
                let braceOpen = pos
                pos += 1
                while true {
                    values.append(try parseValue(terminators: [",", "}"]))
                    if peek == "," { pos += 1; continue }
                    if peek == "}" { pos += 1; break }
                    throw error("unbalanced '{': no closing '}'", at: braceOpen)
                }
            } else {
                values.append(try parseValue(terminators: [",", close]))
            }
            if entries.contains(where: { $0.key.lowercased() == key.lowercased() }) {
                throw error("key '\(key)' is given twice", at: keyStart)
            }
            entries.append(.init(key: key, values: values, offset: keyStart))
            if peek == "," { pos += 1; continue }
            if peek == close { pos += 1; return entries }
            if peek == nil { throw error("unbalanced '\(chars[open])': no closing '\(close)'", at: open) }
            throw error("unexpected '\(peek!)' in selector (expected ',' or '\(close)')")
        }
    }

    mutating func parseValue(terminators: Set<Character>) throws(FilterSyntaxError) -> String {
        var v = ""
        while let c = peek, !terminators.contains(c) {
            if c == "\\" {
                pos += 1
                guard let e = peek else { throw error("'\\' at the end escapes nothing") }
                v.append(e)
                pos += 1
                continue
            }
            if ["[", "]", "<", ">", "{", "}", "=", "/"].contains(c) { throw error("unexpected '\(c)' in a value (escape it with '\\')") }
            v.append(c)
            pos += 1
        }
        if v.isEmpty {
            if peek == nil { throw error("expected a value, found the end") }
            throw error("expected a value, found '\(peek!)'")
        }
        return v
    }
}

extension GlobPattern {
    /// Escapes a name so that it parses back as a literal segment.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if FilterParser.special.contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
