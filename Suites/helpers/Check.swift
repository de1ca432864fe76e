import JSec

/// A failed check inside a suite body. Bodies here are harness-neutral: they throw
/// on failure, so Assay suites and `swift test` run the very same code.
package struct CheckFailure: Error, CustomStringConvertible {
    package let message: String
    package let file: String
    package let line: Int
    package var description: String { "\(file):\(line): \(message)" }
}

/// Throws a ``CheckFailure`` unless `condition` holds.
package func check(
    _ condition: Bool, _ message: @autoclosure () -> String,
    file: String = #fileID, line: Int = #line
) throws {
    if !condition { throw CheckFailure(message: message(), file: file, line: line) }
}

/// Throws unless `a == b`, reporting both values.
package func checkEqual<T: Equatable>(_ a: T, _ b: T, _ what: String = "", file: String = #fileID, line: Int = #line) throws {
    if a != b {
        let sa = String(describing: a), sb = String(describing: b)
        throw CheckFailure(message: "\(what.isEmpty ? "" : what + ": ")expected \(sb.prefix(300)), got \(sa.prefix(300))", file: file, line: line)
    }
}

/// Runs `body` and returns the ``JSecError`` it throws; fails if it succeeds or throws something else,
/// or if the error's category is not `category`.
@discardableResult
package func checkThrowsJSec(
    _ category: JSecError.Category, _ what: String, file: String = #fileID, line: Int = #line,
    _ body: () async throws -> Void
) async throws -> JSecError {
    do {
        try await body()
    } catch {
        return try expectedJSecError(error, category, what, file: file, line: line)
    }
    return try expectedJSecError(nil, category, what, file: file, line: line)
}

/// The verdict of ``checkThrowsJSec`` (and its synchronous twin) on what the body threw (nil: nothing).
func expectedJSecError(
    _ thrown: (any Error)?, _ category: JSecError.Category, _ what: String,
    file: String, line: Int
) throws -> JSecError {
    guard let thrown else {
        throw CheckFailure(message: "\(what): expected a \(category) error, but it succeeded", file: file, line: line)
    }
    guard let e = thrown as? JSecError else {
        throw CheckFailure(message: "\(what): expected a JSecError(\(category)), got \(thrown)", file: file, line: line)
    }
    try check(e.category == category, "\(what): expected a \(category) error, got \(e)", file: file, line: line)
    return e
}

/// Deterministic test bytes (a counter pattern) so corruption, loss or duplication shows.
package func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 8)) }
}
