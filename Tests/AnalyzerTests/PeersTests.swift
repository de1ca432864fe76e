import AssayResults
import Foundation
import Testing
@testable import PerfAnalysis

/// `analyzer peers DIR`: the side-by-side table of a tools/compare-peers run, known answers.
@Suite struct PeersTests {
    /// The C-on-OpenSSL ceiling: beside every row, JSec ÷ C (rates) or C ÷ JSec (latencies).
    @Test func ceilingShareBesideEveryRatio() throws {
        let run = PeersRun(
            directory: "ceiling", info: [:],
            measurements: [
                Self.echo("jsec", bytes: 1_800_000_000), Self.echo("c-openssl", bytes: 2_000_000_000), Self.echo("go", bytes: 1_600_000_000),
                Self.handshake("jsec", count: 1800, latenciesMs: Array(1...100).map { $0 * 2 }),
                Self.handshake("c-openssl", count: 2000, latenciesMs: Array(1...100)),
            ])
        let t = PeersTable(run)
        #expect(t.stacks == ["jsec", "c-openssl", "go"])
        let echo = try Self.row(t.runs[0], Self.echoRow, "throughput")
        #expect(abs(try #require(echo.ceilingShare) - 0.9) < 1e-12)
        #expect(try Self.cell(echo, "go").ratio == 1_600_000_000.0 / 1_800_000_000)
        let rate = try Self.row(t.runs[0], "handshake full, P-256, 10 clients", "handshakes/s")
        #expect(abs(try #require(rate.ceilingShare) - 0.9) < 1e-12)
        let p50 = try Self.row(t.runs[0], "handshake full, P-256, 10 clients", "latency p50")
        #expect(abs(try #require(p50.ceilingShare) - 0.5) < 0.01)  // JSec's latency twice C's
        let text = PeersReport.render(run, format: .text)
        #expect(text.contains("JSec ÷ C"))
        #expect(text.contains("0.90"))
        let md = PeersReport.render(run, format: .markdown)
        #expect(md.contains("| workload | figure | jsec | c-openssl | go | JSec ÷ C |"))
        // Without the C peer there is no such column.
        #expect(!PeersReport.render(Self.fixture(), format: .text).contains("JSec ÷ C |"))
    }

    static func echo(_ stack: String, bytes: Int, seconds: Double = 2, rep: Int = 1, server: String? = nil) -> PeerMeasurement {
        PeerMeasurement(
            stack: stack, server: server, workload: "echo", transport: "tls1.3", key: "P-256", clients: 1, chunk: 65_536,
            duration: 2, seconds: seconds, bytes: bytes, errors: 0, cipher: "TLS_AES_128_GCM_SHA256", rep: rep)
    }

    static func handshake(_ stack: String, count: Int, latenciesMs: [Int], mode: String = "full", rep: Int = 1) -> PeerMeasurement {
        PeerMeasurement(
            stack: stack, workload: "handshake", mode: mode, key: "P-256", clients: 10, duration: 2, seconds: 2,
            handshakes: count, resumed: mode == "resumed" ? count : 0, errors: 0,
            latenciesUs: latenciesMs.map { $0 * 1000 }, rep: rep)
    }

    /// Two runs: jsec, nio-ssl, node and python, with an n/a, a FAILED cell and a cross-check.
    static func fixture() -> PeersRun {
        var ms: [PeerMeasurement] = [
            echo("jsec", bytes: 2_000_000_000), echo("nio-ssl", bytes: 2_400_000_000), echo("node", bytes: 1_000_000_000),
            PeerMeasurement(
                stack: "python", workload: "echo", transport: "tls1.3", key: "P-256", clients: 1, chunk: 65_536,
                rep: 1, failed: "exit status 1: boom"),
            handshake("jsec", count: 2000, latenciesMs: Array(1...100)), handshake("node", count: 1900, latenciesMs: Array(1...100).map { $0 * 2 }),
            handshake("jsec", count: 6000, latenciesMs: Array(1...100), mode: "resumed"),
            PeerMeasurement(
                stack: "nio-ssl", workload: "handshake", mode: "resumed", key: "P-256", clients: 10, rep: 1,
                skipped: "swift-nio-ssl has no client session API"),
            echo("jsec", bytes: 1_000_000_000, server: "node"),
        ]
        ms += [echo("jsec", bytes: 6_000_000_000, rep: 2), echo("node", bytes: 1_500_000_000, rep: 2)]
        return PeersRun(
            directory: "peers-test", info: ["parameters": .object(["tls": .string("1.3"), "chunk": .int(65_536)])],
            measurements: ms)
    }

    static func row(_ run: PeersTable.Run, _ workload: String, _ figure: String) throws -> PeersTable.Row {
        try #require(run.rows.first { $0.workload == workload && $0.figure == figure })
    }

    static func cell(_ row: PeersTable.Row, _ stack: String) throws -> PeersTable.Cell {
        try #require(row.cells.first { $0.stack == stack })
    }

    static let echoRow = "echo tls1.3, P-256, 64.00 KB chunks, 1 client"

    @Test func columnsAndRatiosToJSec() throws {
        let t = PeersTable(Self.fixture())
        #expect(t.stacks == ["jsec", "nio-ssl", "node", "python"])
        #expect(t.runs.map(\.title) == ["Run 1 of 2", "Run 2 of 2", "Median of 2 runs"])
        let echo = try Self.row(t.runs[0], Self.echoRow, "throughput")
        #expect(try Self.cell(echo, "jsec").value == 1e9)
        #expect(try Self.cell(echo, "jsec").ratio == 1)
        #expect(try Self.cell(echo, "nio-ssl").ratio == 1.2)
        #expect(try Self.cell(echo, "node").ratio == 0.5)
        let py = try Self.cell(echo, "python")
        #expect(py.failed && py.value == nil && py.note != nil)
        let rate = try Self.row(t.runs[0], "handshake full, P-256, 10 clients", "handshakes/s")
        #expect(try Self.cell(rate, "jsec").value == 1000)
        #expect(try Self.cell(rate, "node").ratio == 0.95)
        #expect(try Self.cell(rate, "python").value == nil)  // not measured: blank, not a zero
    }

    @Test func latencyPercentilesFromHdrHistogram() throws {
        let t = PeersTable(Self.fixture())
        let p50 = try Self.row(t.runs[0], "handshake full, P-256, 10 clients", "latency p50")
        let p99 = try Self.row(t.runs[0], "handshake full, P-256, 10 clients", "latency p99")
        // 1…100 ms: p50 = 50 ms, p99 = 99 ms within HdrHistogram's 3 significant digits.
        let j50 = try #require(try Self.cell(p50, "jsec").value), j99 = try #require(try Self.cell(p99, "jsec").value)
        #expect(abs(j50 - 50e6) / 50e6 < 0.001)
        #expect(abs(j99 - 99e6) / 99e6 < 0.001)
        let n50 = try #require(try Self.cell(p50, "node").ratio)
        #expect(abs(n50 - 2) < 0.002)  // node's latencies are twice jsec's
    }

    @Test func skippedIsNotApplicableWithItsReason() throws {
        let t = PeersTable(Self.fixture())
        let row = try Self.row(t.runs[0], "handshake resumed, P-256, 10 clients", "handshakes/s")
        let nio = try Self.cell(row, "nio-ssl")
        let n = try #require(nio.note)
        #expect(!nio.failed && nio.value == nil)
        #expect(t.notes[n - 1] == "nio-ssl: swift-nio-ssl has no client session API")
        #expect(PeersReport.cell(nio, figure: "handshakes/s") == "n/a [\(n)]")
    }

    @Test func medianOverRunsAndCrossChecks() throws {
        let t = PeersTable(Self.fixture())
        let echo = try Self.row(try #require(t.runs.last), Self.echoRow, "throughput")
        #expect(try Self.cell(echo, "jsec").value == 2e9)  // median of 1e9 and 3e9
        #expect(try Self.cell(echo, "node").value == 0.625e9)  // median of 0.5e9 and 0.75e9
        #expect(try Self.cell(echo, "node").ratio == 0.3125)
        #expect(t.crossChecks.count == 1)
        #expect(t.crossChecks.first?.client == "jsec" && t.crossChecks.first?.server == "node")
        #expect(t.crossChecks.first?.value == 5e8)
    }

    @Test func textTableShowsFiguresAndRatios() {
        let out = PeersReport.render(Self.fixture(), format: .text)
        #expect(out.contains("Run 1 of 2"))
        #expect(out.contains("953.67 MB/s"))  // 1e9 B/s in powers of 1024
        #expect(out.contains("476.84 MB/s ×0.50"))  // node
        #expect(out.contains("950/s ×0.95"))
        #expect(out.contains("FAILED [1]") && out.contains("[1] python, \(Self.echoRow): exit status 1: boom"))
        #expect(out.contains("jsec client → node server"))
        #expect(out.contains("chunk") && out.contains("65536"))
        let md = PeersReport.render(Self.fixture(), format: .markdown)
        #expect(md.contains("| workload | figure | jsec | nio-ssl | node | python |"))
    }

    @Test func directoryRoundTripAndBadInput() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        #expect(PeersReport.execute(directory: dir.path).status == AnalyzerInvocation.badInput)  // no measurements.jsonl
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let lines = try Self.fixture().measurements.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let file = dir.appendingPathComponent(PeersRun.measurementsFile)
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let loaded = try PeersRun.load(directory: dir.path)
        #expect(loaded.measurements == Self.fixture().measurements)
        let ok = PeersReport.execute(directory: dir.path)
        #expect(ok.status == AnalyzerInvocation.ok && ok.stdout.contains("×0.50"))
        try (lines[0] + "\n{\"stack\": 3}\n").write(to: file, atomically: true, encoding: .utf8)
        let bad = PeersReport.execute(directory: dir.path)
        #expect(bad.status == AnalyzerInvocation.badInput)
        #expect(bad.stderr.first?.contains("line 2 is not a peer measurement") == true)
        #expect(PeersReport.execute(directory: "/nonexistent/peers").stderr == ["/nonexistent/peers: no such file"])
    }

    @Test func analyzerExecutableRunsThePeersCommand() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let lines = try Self.fixture().measurements.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try lines.joined(separator: "\n").write(to: dir.appendingPathComponent(PeersRun.measurementsFile), atomically: true, encoding: .utf8)
        for (args, status) in [(["peers", dir.path], Int32(0)), (["peers", "/nonexistent"], 2), (["peers"], 2)] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Fixture.analyzerExecutable)
            p.arguments = args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            try p.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == status, "analyzer \(args)")
            if status == 0 { #expect(out.contains("Median of 2 runs")) }
        }
    }
}

/// The issue-8 targets: quotients per run against their floors.
@Suite struct PeersTargetTests {
    @Test func quotientsPerRunWithFloors() throws {
        let t = PeersTable(PeersTests.fixture())
        let targets = PeersTarget.all(t)
        let node = try #require(targets.first { $0.name == "TLS 1.3 echo: JSec ÷ node" })
        #expect(node.floor == 1.5)
        #expect(node.values == [2.0, 4.0, 3.2])  // runs 1, 2 and the median: 1e9/5e8, 3e9/7.5e8, 2e9/6.25e8
        let resumed = try #require(targets.first { $0.name == "resumed ÷ JSec's full" })
        #expect(resumed.workload == "handshake resumed, P-256, 10 clients")
        #expect(resumed.values.first == 3.0)  // 3000/s resumed over 1000/s full
        // The fixture has no nio-ssl full handshakes: no quotient, so no such target line.
        #expect(!targets.contains { $0.name == "resumed ÷ nio-ssl's full (reconnects)" })
        #expect(PeersReport.targetCell(0.6, 1.5) == "0.60 missed")
        #expect(PeersReport.targetCell(3.0, 3) == "3.00 met")
        #expect(PeersReport.render(PeersTests.fixture(), format: .text).contains("2.00 met"))
    }
}
