import Foundation

/// One dimension of a matrix: a name, its values in order, and what it means.
public struct Dimension: Sendable, Codable, Equatable {
    public var name: String
    public var values: [AssayValue]
    /// What this dimension means (the `about` field of a matrix file).
    public var about: String?

    public init(name: String, values: [AssayValue], about: String? = nil) {
        self.name = name
        self.values = values
        self.about = about
    }
}

/// Where a matrix test's dimensions come from.
public enum MatrixSource: Sendable {
    /// Dimensions written in the test; order is kept (it is the order of the
    /// canonical id's selector): `.inline(["transport": ["tcp", "unix"], "size": [0, 1]])`.
    case inlineDimensions([Dimension])
    /// A file `Matrices/<name>.json` (see Matrices/README.md).
    case named(String)
    /// A matrix built in code (dimensions, skip rules, ensured combinations).
    case matrix(Matrix)

    public static func inline(_ dims: KeyValuePairs<String, [AssayValue]>) -> MatrixSource {
        .inlineDimensions(dims.map { Dimension(name: $0.key, values: $0.value) })
    }
}

/// A resolved matrix: dimensions plus the rules that came with it.
public struct Matrix: Sendable {
    public var name: String?
    public var about: String?
    public var dimensions: [Dimension]
    public var skipCases: [SkipCase]
    public var ensured: [PartialCombination]

    public init(
        name: String? = nil, about: String? = nil, dimensions: [Dimension],
        skipCases: [SkipCase] = [], ensured: [PartialCombination] = []
    ) {
        self.name = name
        self.about = about
        self.dimensions = dimensions
        self.skipCases = skipCases
        self.ensured = ensured
    }

    /// Number of combinations in the full product (saturating).
    public var count: Int {
        dimensions.reduce(1) { acc, d in
            let (r, o) = acc.multipliedReportingOverflow(by: d.values.count)
            return o ? Int.max : r
        }
    }

    /// The combination at `index` of the full product (last dimension varies fastest).
    public func combination(at index: Int) -> Combination {
        var idx = [Int](repeating: 0, count: dimensions.count)
        var rest = index
        for i in stride(from: dimensions.count - 1, through: 0, by: -1) {
            let n = dimensions[i].values.count
            idx[i] = rest % n
            rest /= n
        }
        return Combination(dimensions: dimensions, indices: idx)
    }

    /// The product index of per-dimension value indices.
    public func index(of indices: [Int]) -> Int {
        var r = 0
        for (i, d) in dimensions.enumerated() { r = r * d.values.count + indices[i] }
        return r
    }
}

/// A matrix combination: the value of each dimension. Test bodies read it
/// through `TestContext` (`ctx.string("transport")`, `ctx.int("size")`…).
public struct Combination: Sendable, CustomStringConvertible {
    public let dimensions: [Dimension]
    public let indices: [Int]

    public static let empty = Combination(dimensions: [], indices: [])

    public init(dimensions: [Dimension], indices: [Int]) {
        self.dimensions = dimensions
        self.indices = indices
    }

    /// Dimension names in declaration order.
    public var names: [String] { dimensions.map(\.name) }

    /// The value of a dimension, or nil when the matrix has no such dimension.
    public subscript(_ name: String) -> AssayValue? {
        guard let i = dimensions.firstIndex(where: { $0.name == name }) else { return nil }
        return dimensions[i].values[indices[i]]
    }

    /// (name, value) pairs in declaration order.
    public var pairs: [(String, AssayValue)] {
        dimensions.indices.map { (dimensions[$0].name, dimensions[$0].values[indices[$0]]) }
    }

    public var dictionary: [String: AssayValue] {
        var d: [String: AssayValue] = [:]
        for (k, v) in pairs { d[k] = v }
        return d
    }

    /// True when every pair of `partial` has the same value here.
    public func matches(_ partial: PartialCombination) -> Bool {
        for (k, v) in partial where self[k] != v { return false }
        return true
    }

    public var description: String { pairs.map { "\($0.0)=\($0.1)" }.joined(separator: ",") }

    public func string(_ name: String) throws -> String {
        switch try value(name) {
        case .string(let s): return s
        case let v: throw MatrixAccessError.wrongType(name, "a string", v)
        }
    }

    public func int(_ name: String) throws -> Int {
        switch try value(name) {
        case .int(let i): return i
        case let v: throw MatrixAccessError.wrongType(name, "an integer", v)
        }
    }

    public func bool(_ name: String) throws -> Bool {
        switch try value(name) {
        case .bool(let b): return b
        case let v: throw MatrixAccessError.wrongType(name, "a boolean", v)
        }
    }

    /// True when the dimension's value is `none` (null in a matrix file).
    public func isNone(_ name: String) throws -> Bool { try value(name) == .none }

    public func value(_ name: String) throws -> AssayValue {
        guard let v = self[name] else { throw MatrixAccessError.noSuchDimension(name, names) }
        return v
    }
}

public enum MatrixAccessError: Error, CustomStringConvertible {
    case noSuchDimension(String, [String])
    case wrongType(String, String, AssayValue)
    public var description: String {
        switch self {
        case .noSuchDimension(let n, let all):
            return "the combination has no dimension \"\(n)\" (dimensions: \(all.isEmpty ? "none" : all.joined(separator: ", ")))"
        case .wrongType(let n, let want, let v):
            return "dimension \"\(n)\" is \(v) — not \(want)"
        }
    }
}
