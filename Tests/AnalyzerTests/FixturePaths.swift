import Foundation

/// Paths of the committed fixtures (Tests/AnalyzerTests/Fixtures, made by make-fixtures.py).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static var baseline: String { path("perf9-baseline.json") }
    static var rerun: String { path("perf9-rerun.json") }
    static var regressed: String { path("perf9-regressed.json") }

    /// A fresh empty temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("analyzer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
