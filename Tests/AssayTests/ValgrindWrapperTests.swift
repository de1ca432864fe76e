import Foundation
import Testing
@testable import Assay

/// `--wrapper 'valgrind …'` as typed gives an honest verdict (issue 21 item 1): the runner adds an error
/// exit code and the Swift-runtime suppressions unless the user set them, says so in one line, and a worker
/// valgrind found errors in fails its suite with valgrind's summary in the message.
@Suite("valgrind wrapper: an honest verdict")
struct ValgrindWrapperTests {
    @Test("completes the wrapper: --error-exitcode=99 and the suppressions, unless given; not valgrind: untouched")
    func completion() throws {
        let c = try #require(ValgrindWrapper.complete("valgrind --leak-check=full", suppressions: "/p/tools/valgrind/swift-runtime.supp"))
        #expect(c.wrapper == "valgrind --error-exitcode=99 --suppressions=/p/tools/valgrind/swift-runtime.supp --leak-check=full")
        #expect(c.errorExitCode == 99)
        #expect(c.notice.hasPrefix("assay: --wrapper valgrind: added --error-exitcode=99 --suppressions=/p/tools/valgrind/swift-runtime.supp;"))
        let given = try #require(ValgrindWrapper.complete("env X=1 /usr/bin/valgrind -q --error-exitcode=7 --suppressions=/mine.supp", suppressions: "/p.supp"))
        #expect(given.wrapper == "env X=1 /usr/bin/valgrind -q --error-exitcode=7 --suppressions=/mine.supp")
        #expect(given.errorExitCode == 7)
        #expect(given.notice.contains("as given") && given.notice.contains("(exit 7) fails its suite"))
        let off = try #require(ValgrindWrapper.complete("valgrind --error-exitcode=0", suppressions: nil))
        #expect(off.notice.contains("do NOT fail"))
        let nosupp = try #require(ValgrindWrapper.complete("valgrind", suppressions: nil))
        #expect(nosupp.wrapper == "valgrind --error-exitcode=99")
        #expect(nosupp.notice.contains("may be reported"))
        #expect(ValgrindWrapper.complete("strace -f", suppressions: "/p.supp") == nil)
        // The package's suppressions are found above this build's runner.
        #expect(ValgrindWrapper.suppressionsFile(above: Binaries.runner)?.hasSuffix("/tools/valgrind/swift-runtime.supp") == true)
    }

    /// A stand-in valgrind 3.22 (no DWARF 4 rebuild) that runs the worker and then, like valgrind, prints its
    /// summary and exits with --error-exitcode when `FAKE_VALGRIND_ERRORS` is set — and 0 without the option.
    static func fakeValgrind(_ dir: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/valgrind"
        try """
        #!/bin/sh
        if [ "$1" = "--version" ]; then echo valgrind-3.22.0; exit 0; fi
        code=0
        while [ $# -gt 0 ]; do case "$1" in --error-exitcode=*) code=${1#--error-exitcode=}; shift;; --*) shift;; *) break;; esac; done
        echo "$code" >> \(dir)/codes
        "$@"; status=$?
        if [ -n "$FAKE_VALGRIND_ERRORS" ]; then
          echo "==4242==    definitely lost: 64 bytes in 1 blocks" >&2
          echo "==4242== ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 11 from 11)" >&2
          exit $code
        fi
        exit $status
        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test("as typed: valgrind's findings fail the suite with its summary shown; a clean run passes")
    func verdict() throws {
        let dir = Fixture.tempPath("vgw")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vg = try Self.fakeValgrind(dir)
        let args = ["--wrapper", "\(vg) --leak-check=full", "-f", ValgrindReexecTests.fastCase]
        let clean = try Binaries.run(Binaries.runner, args, env: [:])
        #expect(clean.status == 0, "\(clean.stdout)\n\(clean.stderr)")
        #expect(clean.stderr.contains("assay: --wrapper valgrind: added --error-exitcode=99 --suppressions="), "\(clean.stderr)")
        let found = try Binaries.run(Binaries.runner, args, env: ["FAKE_VALGRIND_ERRORS": "1"])
        #expect(found.status == 1, "\(found.stdout)\n\(found.stderr)")
        let all = found.stdout + found.stderr
        #expect(all.contains("valgrind found errors in the worker (exit 99)"), "\(all)")
        #expect(all.contains("ERROR SUMMARY: 1 errors from 1 contexts"), "\(all)")
        #expect((try? String(contentsOfFile: dir + "/codes", encoding: .utf8)) == "99\n99\n")
    }
}
