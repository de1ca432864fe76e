// assay-suite: a runner of its own with two small Assay suites — a simple test, a matrix test and a
// coordinated test. It is the code of the DocC article "Writing suites"
// (Sources/Assay/Assay.docc/WritingSuites.md); Tests/JSecTests/DocCArticleTests.swift checks that
// every Swift block there is taken from this file.
//
//   swift run assay-suite --list tests
//   swift run assay-suite -f 'examples/arithmetic/sum[a=1]' --verbosity 5
//   swift run assay-suite -f 'examples/ping-pong/ping<parallel=thread,client=3>'
import Assay

let arithmetic = Suite("arithmetic", category: "examples", description: "the harness on integers", timeout: 10) {
    Test("addition is commutative") { _ in
        expectEqual(2 + 3, 3 + 2)
    }

    // One case per combination: 3 × 2 = 6, minus the one skipped.
    MatrixTest(
        "sum", matrix: .inline(["a": [0, 1, 2], "b": [10, 20]]),
        skipCases: [.when(["a": 0, "b": 20], reason: "nothing new")],
        ensured: [["a": 1, "b": 10]]
    ) { ctx in
        let a = try ctx.int("a")
        let b = try ctx.int("b")
        try require(a >= 0, "a is never negative")
        expectEqual(a + b, b + a)
        ctx.report(["sum": .int(a + b)])
    }

    Test("overflow traps", expectedFail: "checked arithmetic is not tested here") { _ in
        fail("not written yet")
    }
}

let pingPong = Suite("ping-pong", category: "examples") {
    CoordinatedTest(
        "ping",
        roles: [
            Role("server") { p in
                try await p.emit("ready", 42)  // any Codable & Sendable value
                try await p.barrier("go", timeout: .seconds(10))  // every participant meets here
                try await p.awaitAll("client", "done", timeout: .seconds(10))
            },
            Role("client", count: 2) { p in
                let value = try await p.awaitOne("server", "ready", as: Int.self, timeout: .seconds(10))
                expectEqual(value, 42)
                try await p.barrier("go", timeout: .seconds(10))
                try await p.emit("done")
            },
        ],
        parallel: .task, timeout: 30)
}

AssayMain.main(suites: [arithmetic, pingPong])
