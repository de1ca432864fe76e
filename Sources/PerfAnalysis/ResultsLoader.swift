import AssayResults
import Foundation

/// Why a results file cannot be analysed. Each case prints as one line.
package enum LoadError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case notJSON(path: String)
    case wrongSchema(path: String, schema: String?)
    case unsupportedVersion(path: String, version: Int?)
    case malformed(path: String, reason: String)
    case noPerfData(path: String, perf9Cases: Int)
    case tooLarge(path: String, limit: Int)

    package var description: String {
        switch self {
        case .missing(let p):
            return "\(p): no such file"
        case .unreadable(let p, let r):
            return "\(p): cannot read: \(r)"
        case .notJSON(let p):
            return "\(p): not valid JSON (truncated or corrupt results file?)"
        case .wrongSchema(let p, let s):
            return "\(p): not an assay results file (schema \(s.map { "\"\($0)\"" } ?? "missing"), expected \"\(RunResults.schemaName)\")"
        case .unsupportedVersion(let p, let v):
            return
                "\(p): results schema version \(v.map(String.init) ?? "missing") is not supported (this analyzer reads version \(RunResults.currentSchemaVersion))"
        case .malformed(let p, let r):
            return "\(p): malformed assay results file: \(r)"
        case .tooLarge(let p, let limit):
            return "\(p): larger than the input limit of \(limit / 1_048_576) MiB (not a results file? raise it with \(ResultsLoader.limitVariable)=MiB)"
        case .noPerfData(let p, let n):
            return n == 0
                ? "\(p): no perf data (no \(PerfCaseReader.category)/\(PerfCaseReader.suite) case in the file)"
                : "\(p): no perf data (\(n) \(PerfCaseReader.suite) case(s), none with participant reports — skipped or failed early?)"
        }
    }
}

/// Reads results files and extracts their perf9 cases, with a precise
/// error for every kind of bad input.
package enum ResultsLoader {
    /// Just enough of the file to say which schema it claims to be.
    private struct Header: Decodable {
        var schema: String?
        var schemaVersion: Int?
    }

    package static func load(path: String) throws(LoadError) -> [PerfCase] {
        try loadFile(path: path).cases
    }

    /// The file's perf9 cases and where and when it was run.
    /// The most a results file may hold (64 MiB; a perf9 results file of a
    /// full run is a few MiB). Reading stops one byte past it, so a huge or
    /// endless input (`/dev/zero`) costs at most this much memory.
    package static let defaultMaxBytes = 64 << 20
    /// Environment variable overriding the limit, in MiB.
    package static let limitVariable = "ANALYZER_MAX_INPUT_MIB"

    /// The limit: `ANALYZER_MAX_INPUT_MIB` when set to a positive integer, else 64 MiB.
    package static func maxBytes(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let s = environment[limitVariable], let mib = Int(s), mib > 0, mib < 1 << 20 { return mib << 20 }
        return defaultMaxBytes
    }

    package static func loadFile(path: String, maxBytes: Int = maxBytes()) throws(LoadError) -> LoadedFile {
        try parseFile(try read(path: path, maxBytes: maxBytes), path: path)
    }

    /// The bytes of an input file, at most `maxBytes` (every analyzer input: reports, shards, peers).
    package static func read(path: String, maxBytes: Int = maxBytes()) throws(LoadError) -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { try? fh.close() }
        let data: Data
        do {
            data = try fh.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedFailureReason ?? "\(error)")
        }
        if data.count > maxBytes { throw .tooLarge(path: path, limit: maxBytes) }
        return data
    }

    package static func parse(_ data: Data, path: String) throws(LoadError) -> [PerfCase] {
        try parseFile(data, path: path).cases
    }

    package static func parseFile(_ data: Data, path: String) throws(LoadError) -> LoadedFile {
        guard (try? JSONSerialization.jsonObject(with: data)) != nil else { throw .notJSON(path: path) }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw .wrongSchema(path: path, schema: nil)
        }
        guard header.schema == RunResults.schemaName else {
            throw .wrongSchema(path: path, schema: header.schema)
        }
        guard let v = header.schemaVersion, v >= 1, v <= RunResults.currentSchemaVersion else {
            throw .unsupportedVersion(path: path, version: header.schemaVersion)
        }
        let results: RunResults
        do {
            results = try RunResults.decode(data)
        } catch let e as DecodingError {
            throw .malformed(path: path, reason: describe(e))
        } catch {
            throw .malformed(path: path, reason: String(describing: error))
        }
        let cases = try PerfCaseReader.cases(in: results, source: path)
        guard !cases.isEmpty else {
            throw .noPerfData(path: path, perf9Cases: results.cases.filter(PerfCaseReader.isPerf9).count)
        }
        return LoadedFile(path: path, run: results.run, cases: cases)
    }

    static func describe(_ e: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case .keyNotFound(let k, let ctx): return "missing key \"\(k.stringValue)\" at \(at(ctx.codingPath))"
        case .typeMismatch(_, let ctx): return "wrong type at \(at(ctx.codingPath))"
        case .valueNotFound(_, let ctx): return "null value at \(at(ctx.codingPath))"
        case .dataCorrupted(let ctx): return "\(ctx.debugDescription) at \(at(ctx.codingPath))"
        @unknown default: return String(describing: e)
        }
    }
}

/// One analysed results file.
package struct LoadedFile: Sendable {
    package var path: String
    package var run: RunMetadata
    package var cases: [PerfCase]

    /// Several files as one side of a comparison: their cases together; the first file's run
    /// metadata, with the 1-minute load averages at start and at end each the MEAN over the files.
    /// (Runs of OLD and NEW alternated back to back: every run but the very first starts on the load
    /// its predecessor left, so "the first file's start" would make the sides' conditions differ.)
    package init(joining parts: [LoadedFile]) {
        precondition(!parts.isEmpty)
        var first = parts[0]
        if parts.count > 1 {
            first.path = parts.map(\.path).joined(separator: ",")
            first.cases = parts.flatMap(\.cases)
            for key in ["loadAverageStart", "loadAverageEnd"] {
                let loads = parts.compactMap { $0.run.extra[key]?.split(separator: " ").first.flatMap { Double($0) } }
                first.run.extra[key] = loads.count == parts.count ? String(format: "%.2f", loads.reduce(0, +) / Double(loads.count)) : nil
            }
        }
        self = first
    }

    init(path: String, run: RunMetadata, cases: [PerfCase]) {
        self.path = path
        self.run = run
        self.cases = cases
    }

    /// "r.json — host vm, 2026-11-27T03:00:00Z, git be0abfb, OpenSSL 3.0.19".
    package var summary: String {
        var parts = ["host \(run.host)", ISO8601DateFormatter().string(from: run.startTime)]
        if let g = run.gitRevision { parts.append("git \(g.prefix(10))") }
        if let o = run.opensslVersion { parts.append(o) }
        return "\(path) — " + parts.joined(separator: ", ")
    }
}
