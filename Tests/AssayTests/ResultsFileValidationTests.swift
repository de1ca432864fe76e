import Foundation
import Testing
@testable import AssayResults

/// Results files the runner really writes, validated against
/// docs/results-schema.json with Python's `jsonschema` (the reference
/// validator; Debian `python3-jsonschema`, `pip install jsonschema`).
@Suite("results files validate against docs/results-schema.json")
struct ResultsFileValidationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schemaPath = root.appendingPathComponent("docs/results-schema.json").path

    /// A small Python program: validate each file, print every error, exit 1 if any.
    static let validator = """
        import json, sys
        import jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        bad = 0
        for path in sys.argv[2:]:
            for e in v.iter_errors(json.load(open(path))):
                bad += 1
                print(f"{path}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}")
        sys.exit(1 if bad else 0)
        """

    static let validatorAvailable: Bool = {
        (try? python(["-c", "import jsonschema"]).status) == 0
    }()

    static func python(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self))
    }

    static func validate(_ files: [String]) throws -> (status: Int32, output: String) {
        try python(["-c", validator, schemaPath] + files)
    }

    /// Runs the fixture runner with --json and returns the file's path (caller removes it).
    static func produce(_ args: [String]) throws -> String {
        let json = Fixture.tempPath("schema.json")
        _ = try Fixture.run(args + ["--json", json])
        #expect(FileManager.default.fileExists(atPath: json), "no results file for \(args)")
        return json
    }

    @Test(
        "every kind of case, suite and run the runner writes is valid",
        .enabled(if: validatorAvailable, "needs python3 with the jsonschema package (apt python3-jsonschema / pip install jsonschema)"))
    func realFilesValidate() throws {
        let wrap = Fixture.tempPath("wrap99.sh")
        try "#!/bin/sh\n\"$@\"\nexit 99\n".write(toFile: wrap, atomically: true, encoding: .utf8)
        chmod(wrap, 0o755)
        var files: [String] = []
        defer { for f in files + [wrap] { try? FileManager.default.removeItem(atPath: f) } }
        // Every status, matrix values of every type (none → null), groups, reported data, tags.
        files.append(try Self.produce(["-f", "fixtures/oracle", "-f", "fixtures/basics", "-f", "fixtures/xpass"]))
        // Coordinated cases (participants, coordination, participant reports), in process mode.
        files.append(try Self.produce(["-f", "fixtures/oracle-coordinated/*<parallel=process>", "-f", "fixtures/coordinated/exchange"]))
        // A suite failure with worker output, and in-process mode.
        files.append(try Self.produce(["-f", "fixtures/oracle/pass", "--wrapper", wrap]))
        files.append(try Self.produce(["--no-isolation", "-f", "fixtures/basics/inline", "--matrix-sample", "2", "--seed", "7"]))
        let r = try Self.validate(files)
        #expect(r.status == 0, "\(r.output)")
        // The files really contain what the schema is meant to pin down.
        let all = try files.map { try RunResults.decode(Data(contentsOf: URL(fileURLWithPath: $0))) }
        let statuses = Set(all.flatMap { $0.cases.map(\.status) })
        #expect(statuses.isSuperset(of: [.passed, .failed, .skipped, .expectedFail, .unexpectedPass, .timedOut, .crashed]))
        #expect(all.contains { $0.suites.contains { $0.failure != nil } })
        #expect(all.contains { $0.cases.contains { $0.participants != nil } })
    }

    @Test(
        "the validator rejects a file that breaks the schema (a wrong status, a null optional key, an unknown key)",
        .enabled(if: validatorAvailable, "needs python3 with the jsonschema package (apt python3-jsonschema / pip install jsonschema)"))
    func brokenFilesFail() throws {
        let json = try Self.produce(["-f", "fixtures/oracle/pass"])
        defer { try? FileManager.default.removeItem(atPath: json) }
        let text = try String(contentsOfFile: json, encoding: .utf8)
        for (what, from, to) in [
            ("wrong status", "\"status\" : \"passed\"", "\"status\" : \"fine\""),
            ("null optional key", "\"kind\" : ", "\"message\" : null, \"kind\" : "),
            ("unknown key", "\"kind\" : ", "\"surprise\" : 1, \"kind\" : "),
        ] {
            #expect(text.contains(from))
            let bad = Fixture.tempPath("bad.json")
            defer { try? FileManager.default.removeItem(atPath: bad) }
            try text.replacingOccurrences(of: from, with: to).write(toFile: bad, atomically: true, encoding: .utf8)
            let r = try Self.validate([bad])
            #expect(r.status == 1, "\(what) was accepted: \(r.output)")
        }
    }
}
