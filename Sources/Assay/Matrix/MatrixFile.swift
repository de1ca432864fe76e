import Foundation

/// The on-disk form of a named matrix, `Matrices/<name>.json`:
///
///     {
///       "about": "what the matrix is for",
///       "dimensions": [
///         { "name": "transport", "about": "socket under the stream", "values": ["tcp", "unix"] },
///         { "name": "tls-version", "about": "null: library default", "values": ["1.2", "1.3", null] }
///       ],
///       "skip": [ { "when": { "transport": "unix", "tls-version": "1.2" }, "reason": "…" } ],
///       "ensured": [ { "transport": "tcp", "tls-version": "1.3" } ]
///     }
struct MatrixFile: Codable {
    struct Rule: Codable {
        var when: [String: AssayValue]
        var reason: String
    }
    var about: String?
    var dimensions: [Dimension]
    var skip: [Rule]?
    var ensured: [[String: AssayValue]]?
}

/// A problem with a matrix definition (missing file, bad JSON, unknown dimension).
public struct MatrixDefinitionError: Error, CustomStringConvertible {
    public let description: String
}

/// Finds and loads named matrices.
public enum MatrixLibrary {
    /// The `Matrices/` directory: `$ASSAY_MATRICES_DIR`, else the first
    /// `Matrices` directory found walking up from the current directory, from
    /// the executable, and from this source file's location at build time.
    public static func locateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let d = environment["ASSAY_MATRICES_DIR"], !d.isEmpty { return d }
        var starts = [FileManager.default.currentDirectoryPath]
        if let exe = ExecutablePath.current() { starts.append((exe as NSString).deletingLastPathComponent) }
        starts.append((#filePath as NSString).deletingLastPathComponent)
        for start in starts {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("Matrices")
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue {
                    return candidate.path
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    /// Loads `<directory>/<name>.json`.
    public static func load(_ name: String, directory: String?) throws -> Matrix {
        guard let directory else {
            throw MatrixDefinitionError(description: "named matrix \"\(name)\": no Matrices/ directory found (set ASSAY_MATRICES_DIR)")
        }
        let path = (directory as NSString).appendingPathComponent(name + ".json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MatrixDefinitionError(description: "named matrix \"\(name)\": cannot read \(path)")
        }
        return try parse(data, name: name, origin: path)
    }

    static func parse(_ data: Data, name: String, origin: String) throws -> Matrix {
        let file: MatrixFile
        do { file = try JSONDecoder().decode(MatrixFile.self, from: data) } catch {
            throw MatrixDefinitionError(description: "\(origin): not a valid matrix file: \(error)")
        }
        let m = Matrix(
            name: name, about: file.about, dimensions: file.dimensions,
            skipCases: (file.skip ?? []).map { SkipCase.when($0.when, reason: $0.reason) },
            ensured: file.ensured ?? [])
        var partials = (file.skip ?? []).map(\.when)
        partials += file.ensured ?? []
        try validate(m, partials: partials, origin: origin)
        return m
    }

    /// Checks dimension names are unique and non-empty, and partial
    /// combinations only name declared dimensions and values.
    static func validate(_ m: Matrix, partials: [PartialCombination], origin: String) throws {
        var seen = Set<String>()
        for d in m.dimensions {
            if d.values.isEmpty { throw MatrixDefinitionError(description: "\(origin): dimension \"\(d.name)\" has no values") }
            if !seen.insert(d.name).inserted { throw MatrixDefinitionError(description: "\(origin): dimension \"\(d.name)\" is declared twice") }
        }
        for p in partials {
            for (k, v) in p {
                guard let d = m.dimensions.first(where: { $0.name == k }) else {
                    throw MatrixDefinitionError(description: "\(origin): rule names unknown dimension \"\(k)\"")
                }
                if !d.values.contains(v) {
                    throw MatrixDefinitionError(
                        description: "\(origin): rule value \(k)=\(v) is not one of \(d.values.map(\.description).joined(separator: ", "))")
                }
            }
        }
    }
}

/// The running executable's path (`/proc/self/exe` on Linux).
package enum ExecutablePath {
    public static func current() -> String? {
        #if os(Linux)
            if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments.first
    }
}
