import Foundation
import Testing
@testable import Assay
@testable import AssayResults

/// `--wrapper 'valgrind …'` as typed on a default (DWARF 5) debug build:
/// the runner notices, gets a DWARF 4 build (tools/valgrind/build.sh; here a
/// stand-in build command) and re-executes it; or it stops at once with one line.
@Suite("valgrind wrapper on a DWARF 5 build")
struct ValgrindReexecTests {
    static let fastCase = "unit/crypto-primitives/base64 and hex"

    @Test("recognises valgrind in a wrapper")
    func detection() {
        #expect(ValgrindReexec.valgrindProgram(in: "valgrind --leak-check=full") == "valgrind")
        #expect(ValgrindReexec.valgrindProgram(in: "/usr/bin/valgrind -q") == "/usr/bin/valgrind")
        #expect(ValgrindReexec.valgrindProgram(in: "env VALGRIND_OPTS=-q valgrind") == "valgrind")
        #expect(ValgrindReexec.valgrindProgram(in: "strace -f") == nil)
        #expect(ValgrindReexec.valgrindProgram(in: "env ASSAY_WRAPPED=1") == nil)
    }

    /// The real runner of this build (it links C targets compiled with DWARF 5).
    static var runner: String { Binaries.runner }

    static func run(_ exe: String, _ args: [String], env: [String: String]) throws -> Fixture.Run {
        try Binaries.run(exe, args, env: env)
    }

    /// Known answers from `readelf --debug-dump=info`: the debug runner and the fixture runner have
    /// DWARF 5 units (their C targets: CJSecOpenSSL through Assay's JSec dependency, CAssaySystem);
    /// a binary without debug info has none.
    @Test("reads the highest DWARF version among an ELF file's units")
    func dwarf() {
        #expect(ValgrindReexec.dwarfVersion(ofELF: Self.runner) == 5)
        #expect(ValgrindReexec.dwarfVersion(ofELF: Fixture.executable) == 5)
        #expect(ValgrindReexec.dwarfVersion(ofELF: "/etc/passwd") == nil)
        #expect(ValgrindReexec.dwarfVersion(ofELF: "/nonexistent") == nil)
    }

    /// A stand-in valgrind of the given version that runs its command, and a build command that "builds" by naming the fixture runner.
    static func setUp(_ dir: String, version: String, buildStatus: Int = 0) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        if [ "$1" = "--version" ]; then echo valgrind-\(version); exit 0; fi
        while [ $# -gt 0 ]; do case "$1" in --*) shift;; *) break;; esac; done
        echo "$ASSAY_VALGRIND_REEXEC" >> \(dir)/wrapped
        exec "$@"
        """.write(toFile: dir + "/valgrind", atomically: true, encoding: .utf8)
        chmod(dir + "/valgrind", 0o755)
        let build = "echo \"$1\" > \(dir)/built; echo building >&2; echo \(Self.runner); exit \(buildStatus)"
        return ["ASSAY_VALGRIND_BUILD_COMMAND": build]
    }

    @Test("valgrind 3.19 + DWARF 5: builds the DWARF 4 product, re-executes it with the same arguments and a timeout scale of 30")
    func reexec() throws {
        let dir = Fixture.tempPath("vg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Self.setUp(dir, version: "3.19.0")
        let json = dir + "/r.json"
        let r = try Self.run(Self.runner, ["--wrapper", "\(dir)/valgrind --leak-check=full", "-f", Self.fastCase, "--json", json], env: env)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.lastLine == "1 passed, 0 failed, 0 skipped")
        #expect(r.stderr.contains("re-running with a DWARF 4 build of runner"), "\(r.stderr)")
        #expect((try? String(contentsOfFile: dir + "/built", encoding: .utf8)) == "runner\n")
        // The worker ran under the wrapper, in the re-executed runner.
        #expect((try? String(contentsOfFile: dir + "/wrapped", encoding: .utf8)) == "1\n")
        let results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(results.run.options["timeoutScale"] == .int(30))  // JSON 30.0 reads back as an integer
        #expect(results.run.commandLine.contains("--leak-check=full") || results.run.commandLine.contains("\(dir)/valgrind --leak-check=full"))
    }

    @Test("a given --timeout-scale is kept; valgrind 3.20 or later reads DWARF 5 and nothing is rebuilt")
    func keepsAndSkips() throws {
        let dir = Fixture.tempPath("vg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var env = try Self.setUp(dir, version: "3.19.0")
        let json = dir + "/r.json"
        _ = try Self.run(Self.runner, ["--wrapper", "\(dir)/valgrind", "--timeout-scale", "7", "-f", Self.fastCase, "--json", json], env: env)
        #expect(try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: json))).run.options["timeoutScale"] == .int(7))
        try? FileManager.default.removeItem(atPath: dir)
        env = try Self.setUp(dir, version: "3.22.0")
        let r = try Self.run(Self.runner, ["--wrapper", "\(dir)/valgrind", "-f", Self.fastCase], env: env)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/built"))
        #expect(!r.stderr.contains("re-running"))
        // A binary without a DWARF 5 unit (here one without debug info) runs under valgrind 3.19 as it is.
        try? FileManager.default.removeItem(atPath: dir)
        env = try Self.setUp(dir, version: "3.19.0")
        let plain = ["/usr/bin/true", "/bin/true"].first { FileManager.default.isExecutableFile(atPath: $0) }!
        try #require(ValgrindReexec.dwarfVersion(ofELF: plain) == nil)
        guard
            case .proceed = ValgrindReexec.decide(
                wrapper: "\(dir)/valgrind", isolation: true, executable: plain,
                timeoutScaleGiven: false, environment: env)
        else {
            Issue.record("a binary without DWARF 5 must run as it is"); return
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/built"))
    }

    @Test("when the DWARF 4 build fails: one line naming the supported way, exit 2, nothing run")
    func buildFails() throws {
        let dir = Fixture.tempPath("vg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try Self.setUp(dir, version: "3.19.0", buildStatus: 1)
        let r = try Self.run(Self.runner, ["--wrapper", "\(dir)/valgrind", "-f", Self.fastCase, "--verbosity", "5"], env: env)
        #expect(r.status == 2)
        #expect(
            r.stderr.split(separator: "\n").last?.hasPrefix("error: --wrapper valgrind: building a DWARF 4 runner failed (status 1); use tools/valgrind/run.sh")
                == true, "\(r.stderr)")
        #expect(!r.stdout.contains("PASS"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/wrapped"))
    }
}
