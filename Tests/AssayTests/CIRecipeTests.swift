import Foundation
import Testing
@testable import AssayResults

/// The CI recipes (.github/workflows/sharded.yml, docs/k8s-indexed-job.yaml) cannot run here:
/// they are parsed as YAML (PyYAML), and the runner and analyzer commands inside them are run —
/// the shard commands with --dry-run against the real runner, the merge command on shard files.
@Suite("CI recipes: YAML parses, their commands are the tested ones")
struct CIRecipeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shell commands of a workflow's steps or a manifest's containers, via PyYAML (fails if the YAML does not parse).
    static func commands(_ file: String) throws -> [String] {
        let script = """
            import json, sys, yaml
            out = []
            for doc in yaml.safe_load_all(open(sys.argv[1])):
                if 'jobs' in doc:
                    for job in doc['jobs'].values():
                        out += [s['run'] for s in job.get('steps', []) if 'run' in s]
                else:
                    for c in (doc.get('spec', {}).get('template', {}).get('spec', {}).get('containers', [])):
                        out += c.get('args', [])
            print(json.dumps(out))
            """
        let r = try Binaries.run("/usr/bin/env", ["python3", "-c", script, root.appendingPathComponent(file).path])
        try #require(r.status == 0, "\(file) does not parse: \(r.stderr)")
        return try JSONDecoder().decode([String].self, from: Data(r.stdout.utf8))
    }

    static func sh(_ command: String, cwd: String? = nil, env: [String: String] = [:]) throws -> Fixture.Run {
        try Binaries.run("/bin/sh", ["-c", command], cwd: cwd, env: env)
    }

    /// The ids of a `--dry-run --verbosity 5` of the real runner with `-f '{unit,regression,coverage}'`.
    static func unshardedPlan() throws -> [String] {
        let r = try Binaries.run(Binaries.runner, ["-f", "{unit,regression,coverage}", "--dry-run", "--verbosity", "5"])
        try #require(r.status == 0, "\(r.stderr)")
        return Binaries.plannedIDs(r.stdout)
    }

    /// Runs the four shard commands (K substituted by `shard(k)`), with --dry-run, and checks they partition the plan.
    static func checkShardCommands(_ command: String, env: (Int) -> [String: String], substitute: (String, Int) -> String) throws {
        #expect(command.contains("-f '{unit,regression,coverage}'"), "the default categories: \(command)")
        var union: [String] = []
        for k in 1...4 {
            let cmd =
                substitute(command, k).replacingOccurrences(of: ".build/debug/runner", with: Binaries.runner)
                + " --dry-run --verbosity 5"
            let r = try sh(cmd, env: env(k))
            #expect(r.status == 0, "\(cmd): \(r.stderr)")
            #expect(r.stdout.hasPrefix("shard \(k)/4: "), "\(r.stdout.prefix(200))")
            union += Binaries.plannedIDs(r.stdout)
        }
        let all = try unshardedPlan()
        #expect(union.count == all.count && Set(union) == Set(all), "the four shards are the plan")
    }

    /// Writes four fixture-runner shard files where `path(k)` says, as inputs for the merge commands.
    static func fixtureShards(in dir: String, path: (Int) -> String) throws {
        for k in 1...4 {
            let p = dir + "/" + path(k)
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let r = try Fixture.run(["-f", "fixtures/{basics,spread}", "--shard", "\(k)/4", "--json", p, "--verbosity", "0"])
            #expect(r.status <= 1)
        }
    }

    @Test("GitHub Actions: 4 shards of the default run, then analyzer merge with --junit")
    func github() throws {
        let cmds = try Self.commands(".github/workflows/sharded.yml")
        let shard = try #require(cmds.first { $0.contains("runner") && $0.contains("--shard") })
        try Self.checkShardCommands(shard, env: { _ in [:] }) { $0.replacingOccurrences(of: "${{ matrix.shard }}", with: "\($1)") }
        #expect(shard.contains("--json results/shard-${{ matrix.shard }}.json"))
        // The merge step reads what the shard steps wrote (the artifacts land in results/ again).
        let merge = try #require(cmds.first { $0.contains("analyzer merge") })
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.fixtureShards(in: dir) { "results/shard-\($0).json" }
        let r = try Self.sh(merge.replacingOccurrences(of: ".build/debug/analyzer", with: Binaries.analyzer), cwd: dir)
        #expect(r.status == 1, "merged (the fixtures fail on purpose): \(r.stdout)\(r.stderr)")
        let merged = try Binaries.results(dir + "/results/all.json")
        #expect(merged.cases.count == 229)
        #expect(FileManager.default.fileExists(atPath: dir + "/results/all.xml"))
    }

    @Test("Kubernetes Indexed Job: JOB_COMPLETION_INDEX 0…3 are shards 1…4; the merge job's command")
    func kubernetes() throws {
        let cmds = try Self.commands("docs/k8s-indexed-job.yaml")
        #expect(cmds.count == 2)
        let shard = try #require(cmds.first { $0.contains("--shard") })
        try Self.checkShardCommands(shard, env: { ["JOB_COMPLETION_INDEX": "\($0 - 1)"] }) { cmd, _ in
            // The results volume is not here: write nowhere (--dry-run writes nothing anyway), keep the exit-status guard.
            cmd.replacingOccurrences(of: "; status=$?; [ $status -le 1 ]", with: "")
        }
        let merge = try #require(cmds.first { $0.contains("analyzer merge") })
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.fixtureShards(in: dir) { "results/shard-\($0).json" }
        let r = try Self.sh(
            merge.replacingOccurrences(of: "/results/", with: dir + "/results/")
                .replacingOccurrences(of: ".build/debug/analyzer", with: Binaries.analyzer))
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(try Binaries.results(dir + "/results/all.json").cases.count == 229)
    }
}
