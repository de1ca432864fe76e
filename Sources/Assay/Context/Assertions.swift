import Foundation

/// Errors that carry a category (JSec's error type conforms from Suites),
/// so `expectThrows(category:)` can check *which* failure happened.
public protocol AssayCategorizedError: Error {
    var assayCategory: String { get }
}

/// Thrown by `require…` assertions: stops the test; the failure is already recorded.
public struct AssertionFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

@discardableResult
func recordIssue(_ message: String, _ file: String, _ line: Int) -> Issue {
    let issue = Issue(message: message, location: SourceLocation(file: file, line: line))
    if let r = CaseRecorder.current {
        r.record(issue)
    } else {
        FileHandle.standardError.write(Data("assay: expectation failed outside a test: \(issue.location!): \(message)\n".utf8))
    }
    return issue
}

private func describe<T>(_ v: T) -> String {
    if let s = v as? String { return String(reflecting: s) }
    return String(describing: v)
}

private func withNote(_ base: String, _ note: String) -> String { note.isEmpty ? base : "\(base) — \(note)" }

/// Records a failure unless `condition` holds. Returns `condition`.
@discardableResult
public func expect(
    _ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String = "",
    file: String = #filePath, line: Int = #line
) rethrows -> Bool {
    let ok = try condition()
    if !ok { recordIssue(withNote("expectation failed", message()), file, line) }
    return ok
}

/// Records a failure showing both values unless `actual == expected`.
@discardableResult
public func expectEqual<T: Equatable>(
    _ actual: @autoclosure () throws -> T, _ expected: @autoclosure () throws -> T,
    _ message: @autoclosure () -> String = "",
    file: String = #filePath, line: Int = #line
) rethrows -> Bool {
    let a = try actual(), e = try expected()
    if a != e { recordIssue(withNote("expectEqual failed: \(describe(a)) is not equal to \(describe(e))", message()), file, line) }
    return a == e
}

/// Records a failure showing both values if `actual == other`.
@discardableResult
public func expectNotEqual<T: Equatable>(
    _ actual: @autoclosure () throws -> T, _ other: @autoclosure () throws -> T,
    _ message: @autoclosure () -> String = "",
    file: String = #filePath, line: Int = #line
) rethrows -> Bool {
    let a = try actual(), o = try other()
    if a == o { recordIssue(withNote("expectNotEqual failed: both are \(describe(a))", message()), file, line) }
    return a != o
}

/// Records a failure unless `value` is nil.
@discardableResult
public func expectNil<T>(
    _ value: @autoclosure () throws -> T?, _ message: @autoclosure () -> String = "",
    file: String = #filePath, line: Int = #line
) rethrows -> Bool {
    let v = try value()
    if let v { recordIssue(withNote("expectNil failed: got \(describe(v))", message()), file, line) }
    return v == nil
}

/// Records a failure and stops the test unless `condition` holds.
public func require(
    _ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String = "",
    file: String = #filePath, line: Int = #line
) throws {
    if try !condition() {
        let i = recordIssue(withNote("requirement failed", message()), file, line)
        throw AssertionFailure(message: i.message)
    }
}

/// Unwraps `value`, or records a failure and stops the test.
public func requireNotNil<T>(
    _ value: @autoclosure () throws -> T?, _ message: @autoclosure () -> String = "",
    file: String = #filePath, line: Int = #line
) throws -> T {
    guard let v = try value() else {
        let i = recordIssue(withNote("requireNotNil failed: value is nil", message()), file, line)
        throw AssertionFailure(message: i.message)
    }
    return v
}

/// Records a failure (and keeps going).
public func fail(_ message: String, file: String = #filePath, line: Int = #line) {
    recordIssue(message, file, line)
}

/// Expects `body` to throw. With `category`, the error must conform to
/// `AssayCategorizedError` with that category; with `matching`, the
/// predicate must accept it. Returns the error thrown, if any.
@discardableResult
public func expectThrows(
    category: String? = nil, _ message: @autoclosure () -> String = "",
    matching: ((any Error) -> Bool)? = nil,
    file: String = #filePath, line: Int = #line,
    _ body: () async throws -> Void
) async -> (any Error)? {
    do {
        try await body()
    } catch {
        check(error, category: category, matching: matching, message(), file, line)
        return error
    }
    recordIssue(withNote("expectThrows failed: no error was thrown" + (category.map { " (expected category \($0))" } ?? ""), message()), file, line)
    return nil
}

/// Synchronous form of `expectThrows`.
@discardableResult
public func expectThrows(
    category: String? = nil, _ message: @autoclosure () -> String = "",
    matching: ((any Error) -> Bool)? = nil,
    file: String = #filePath, line: Int = #line,
    _ body: () throws -> Void
) -> (any Error)? {
    do {
        try body()
    } catch {
        check(error, category: category, matching: matching, message(), file, line)
        return error
    }
    recordIssue(withNote("expectThrows failed: no error was thrown" + (category.map { " (expected category \($0))" } ?? ""), message()), file, line)
    return nil
}

private func check(
    _ error: any Error, category: String?, matching: ((any Error) -> Bool)?,
    _ message: String, _ file: String, _ line: Int
) {
    if let category {
        if let c = error as? any AssayCategorizedError {
            if c.assayCategory != category {
                recordIssue(withNote("expectThrows: error category is \(c.assayCategory), expected \(category) (error: \(error))", message), file, line)
            }
        } else {
            recordIssue(withNote("expectThrows: error has no category, expected \(category) (error: \(type(of: error)): \(error))", message), file, line)
        }
    }
    if let matching, !matching(error) {
        recordIssue(withNote("expectThrows: error did not match (\(type(of: error)): \(error))", message), file, line)
    }
}

/// Expects `body` not to throw; records the error if it does.
public func expectNoThrow<T>(
    _ message: @autoclosure () -> String = "", file: String = #filePath, line: Int = #line,
    _ body: () async throws -> T
) async -> T? {
    do { return try await body() } catch {
        recordIssue(withNote("unexpected error: \(type(of: error)): \(error)", message()), file, line)
        return nil
    }
}
