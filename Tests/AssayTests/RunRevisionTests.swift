import Foundation
import Testing
@testable import AssayResults

/// `run.gitRevision` names the code under test: the commit of the work tree the runner executable
/// was built in, not the repository of the directory the run starts in.
@Suite("results: the git revision is the runner's own")
struct RunRevisionTests {
    static func git(_ args: [String], in dir: String) throws -> String {
        let r = try Binaries.run("/usr/bin/env", ["git", "-C", dir] + args)
        try #require(r.status == 0, "git \(args): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The commit of the work tree the fixture runner was built in (nil for a build outside git, e.g. from a tarball).
    static let ownHead: String? = {
        guard let r = try? Binaries.run("/usr/bin/env", ["git", "-C", Binaries.directory.path, "rev-parse", "HEAD"]), r.status == 0 else {
            return nil
        }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    @Test(
        "a run started inside another repository records the runner's commit, not that repository's",
        .enabled(if: ownHead != nil, "the fixture runner was not built inside a git work tree"))
    func revisionOfTheRunnersWorkTree() throws {
        let other = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: other) }
        _ = try Self.git(["init", "-q"], in: other)
        _ = try Self.git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "other"], in: other)
        let otherHead = try Self.git(["rev-parse", "HEAD"], in: other)
        let ownHead = try #require(Self.ownHead)

        let json = other + "/r.json"
        let r = try Binaries.run(Fixture.executable, ["-f", "fixtures/basics/passes", "--json", json], cwd: other)
        #expect(r.status == 0, "\(r.stderr)")
        let revision = try Binaries.results(json).run.gitRevision
        #expect(revision == ownHead, "the runner was built at \(ownHead); the run started in a repository at \(otherHead)")
        #expect(revision != otherHead)
    }

    @Test("a runner copied out of any work tree records no revision rather than a wrong one")
    func noRevisionOutsideGit() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outside = try Binaries.run("/usr/bin/env", ["git", "-C", dir, "rev-parse", "HEAD"])
        try #require(outside.status != 0, "the temporary directory must not be inside a work tree")
        let repo = dir + "/repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        _ = try Self.git(["init", "-q"], in: repo)
        _ = try Self.git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "other"], in: repo)
        let copy = dir + "/fixture-runner"
        try FileManager.default.copyItem(atPath: Fixture.executable, toPath: copy)

        let json = dir + "/r.json"
        let r = try Binaries.run(copy, ["-f", "fixtures/basics/passes", "--json", json], cwd: repo)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Binaries.results(json).run.gitRevision == nil)
    }
}
