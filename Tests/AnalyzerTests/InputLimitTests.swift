import Foundation
import Testing
@testable import PerfAnalysis

/// The analyzer reads at most its input limit (64 MiB by default,
/// ANALYZER_MAX_INPUT_MIB overrides): a huge or endless input is one clear
/// error, not hundreds of MB of memory.
@Suite struct InputLimitTests {
    @Test("a file larger than the limit is refused with its path and the limit")
    func tooLarge() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let p = dir.appendingPathComponent("junk.json").path
        #expect(FileManager.default.createFile(atPath: p, contents: Data(repeating: 0x20, count: (1 << 20) + 1)))
        #expect(throws: LoadError.tooLarge(path: p, limit: 1 << 20)) { _ = try ResultsLoader.loadFile(path: p, maxBytes: 1 << 20) }
        // Exactly at the limit is read (and then judged on its content).
        let q = dir.appendingPathComponent("fits.json").path
        #expect(FileManager.default.createFile(atPath: q, contents: Data(repeating: 0x20, count: 1 << 20)))
        #expect(throws: LoadError.notJSON(path: q)) { _ = try ResultsLoader.loadFile(path: q, maxBytes: 1 << 20) }
    }

    @Test("an endless input (/dev/zero) stops at the limit")
    func endless() {
        #expect(throws: LoadError.tooLarge(path: "/dev/zero", limit: 1 << 20)) { _ = try ResultsLoader.loadFile(path: "/dev/zero", maxBytes: 1 << 20) }
    }

    /// `analyzer FILE` and `analyzer merge FILE -o OUT` enforce the same limit.
    @Test(
        "the default is 64 MiB; ANALYZER_MAX_INPUT_MIB overrides it; the executable prints one line and exits 2",
        arguments: [false, true])
    func limitAndExecutable(merge: Bool) throws {
        #expect(ResultsLoader.maxBytes(environment: [:]) == 64 << 20)
        #expect(ResultsLoader.maxBytes(environment: ["ANALYZER_MAX_INPUT_MIB": "2"]) == 2 << 20)
        #expect(ResultsLoader.maxBytes(environment: ["ANALYZER_MAX_INPUT_MIB": "x"]) == 64 << 20)
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let p = dir.appendingPathComponent("big.json").path
        #expect(FileManager.default.createFile(atPath: p, contents: Data(repeating: 0x7B, count: 3 << 20)))
        let exe = Fixture.analyzerExecutable
        try #require(FileManager.default.isExecutableFile(atPath: exe), "build the analyzer first")
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: exe)
        proc.arguments = merge ? ["merge", p, "-o", p + ".merged"] : [p]
        var env = ProcessInfo.processInfo.environment
        env["ANALYZER_MAX_INPUT_MIB"] = "1"
        proc.environment = env
        let err = Pipe()
        proc.standardError = err
        proc.standardOutput = FileHandle.nullDevice
        try proc.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        proc.waitUntilExit()
        #expect(proc.terminationStatus == 2)
        #expect(text == "analyzer: \(p): larger than the input limit of 1 MiB (not a results file? raise it with ANALYZER_MAX_INPUT_MIB=MiB)\n")
        #expect(!FileManager.default.fileExists(atPath: p + ".merged"))
    }
}
