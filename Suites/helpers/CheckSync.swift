import JSec

/// Synchronous twin of ``checkThrowsJSec`` for the non-async memory API.
@discardableResult
func checkThrowsJSecSync(
    _ category: JSecError.Category, _ what: String, file: String = #fileID, line: Int = #line,
    _ body: () throws -> Void
) throws -> JSecError {
    do {
        try body()
    } catch {
        return try expectedJSecError(error, category, what, file: file, line: line)
    }
    return try expectedJSecError(nil, category, what, file: file, line: line)
}
