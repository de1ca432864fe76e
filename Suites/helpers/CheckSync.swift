import JSec

/// Synchronous twin of ``checkThrowsJSec`` for the non-async memory API.
@discardableResult
func checkThrowsJSecSync(_ category: JSecError.Category, _ what: String, file: String = #fileID, line: Int = #line,
                         _ body: () throws -> Void) throws -> JSecError {
    do {
        try body()
    } catch let e as JSecError {
        try check(e.category == category, "\(what): expected a \(category) error, got \(e)", file: file, line: line)
        return e
    } catch {
        throw CheckFailure(message: "\(what): expected a JSecError(\(category)), got \(error)", file: file, line: line)
    }
    throw CheckFailure(message: "\(what): expected a \(category) error, but it succeeded", file: file, line: line)
}
