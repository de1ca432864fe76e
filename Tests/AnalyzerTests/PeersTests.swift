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

    /// Lines as peers print them (tools/peers/README.md): a measurement whose clients saw errors, whose
    /// clients did not all connect, or whose handshakes are not of the mode measured is FAILED with why —
    /// never a figure in the row (a resumed rate made of full handshakes, a 50-client rate of 40).
    @Test func flawedMeasurementsAreFailedNotFigures() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        func e(_ stack: String, bytes: Int, connected: Int, errors: Int) -> String {
            #"{"stack":"\#(stack)","workload":"echo","transport":"tcp","clients":50,"chunk":65536,"seconds":3,"#
                + #""bytes":\#(bytes),"iterations":10,"connected":\#(connected),"errors":\#(errors),"rep":1}"#
        }
        func h(_ stack: String, mode: String, handshakes: Int, resumed: Int) -> String {
            #"{"stack":"\#(stack)","workload":"handshake","mode":"\#(mode)","clients":10,"seconds":3,"#
                + #""handshakes":\#(handshakes),"resumed":\#(resumed),"errors":0,"latencies_us":[1000,2000],"rep":1}"#
        }
        let lines = [
            e("jsec", bytes: 3_000_000_000, connected: 50, errors: 0),
            e("go", bytes: 2_400_000_000, connected: 40, errors: 0),
            e("node", bytes: 2_000_000_000, connected: 50, errors: 3),
            h("jsec", mode: "resumed", handshakes: 6000, resumed: 6000),
            h("go", mode: "resumed", handshakes: 3000, resumed: 0),
            h("jsec", mode: "full", handshakes: 3000, resumed: 0),
            h("go", mode: "full", handshakes: 5000, resumed: 10),
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent(PeersRun.measurementsFile), atomically: true, encoding: .utf8)
        let run = try PeersRun.load(directory: dir.path)
        let failed = Dictionary(uniqueKeysWithValues: run.measurements.map { ("\($0.stack) \($0.mode ?? $0.workload)", $0.failed) })
        #expect(failed["jsec echo"]! == nil && failed["jsec resumed"]! == nil && failed["jsec full"]! == nil)
        #expect(failed["go echo"]! == "only 40 of its 50 clients connected")
        #expect(failed["node echo"]! == "3 operations failed among its clients (a clean run has none)")
        #expect(failed["go resumed"]! == "only 0 of its 3000 handshakes resumed a session")
        #expect(failed["go full"]! == "10 of its 5000 handshakes resumed a session in a full-handshake run")
        let table = PeersTable(run)
        let echoRow = try Self.row(table.runs[0], "echo tcp, 64.00 KB chunks, 50 clients", "throughput")
        #expect(try Self.cell(echoRow, "go").failed && Self.cell(echoRow, "go").value == nil)
        #expect(try Self.cell(echoRow, "node").failed && Self.cell(echoRow, "jsec").value != nil)
        let text = PeersReport.render(run, format: .text)
        #expect(text.contains("only 0 of its 3000 handshakes resumed a session"), "\(text)")
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

/// The ceiling (issue 19): per row the better of the C peer's two modes, c-openssl (threads) and
/// c-openssl-epoll (epoll), and JSec's and jsec-pool's shares of it. Known answers.
@Suite struct PeersCeilingTests {
    static func echo(_ stack: String, bytesPerSecond: Double, clients: Int, rep: Int = 1) -> PeerMeasurement {
        PeerMeasurement(
            stack: stack, workload: "echo", transport: "tls1.3", key: "P-256", clients: clients, chunk: 65_536,
            duration: 2, seconds: 2, bytes: Int(bytesPerSecond * 2), errors: 0, cipher: "TLS_AES_128_GCM_SHA256", rep: rep)
    }

    /// One run: with 1 client threads is the better C (1.0e9 B/s against 0.8e9), with 50 clients epoll
    /// (2.0e9 against 1.25e9). Handshakes: epoll has the higher rate, threads the lower p50.
    static func oneRun() -> PeersRun {
        PeersRun(
            directory: "ceiling-modes", info: [:],
            measurements: [
                echo("jsec", bytesPerSecond: 0.9e9, clients: 1), echo("jsec-pool", bytesPerSecond: 0.6e9, clients: 1),
                echo("c-openssl", bytesPerSecond: 1.0e9, clients: 1), echo("c-openssl-epoll", bytesPerSecond: 0.8e9, clients: 1),
                echo("jsec", bytesPerSecond: 1.5e9, clients: 50), echo("jsec-pool", bytesPerSecond: 1.0e9, clients: 50),
                echo("c-openssl", bytesPerSecond: 1.25e9, clients: 50), echo("c-openssl-epoll", bytesPerSecond: 2.0e9, clients: 50),
                PeersTests.handshake("jsec", count: 1500, latenciesMs: Array(repeating: 40, count: 100)),
                PeersTests.handshake("jsec-pool", count: 1000, latenciesMs: Array(repeating: 80, count: 100)),
                PeersTests.handshake("c-openssl", count: 1600, latenciesMs: Array(repeating: 20, count: 100)),
                PeersTests.handshake("c-openssl-epoll", count: 2000, latenciesMs: Array(repeating: 25, count: 100)),
            ])
    }

    static let echo1 = "echo tls1.3, P-256, 64.00 KB chunks, 1 client"
    static let echo50 = "echo tls1.3, P-256, 64.00 KB chunks, 50 clients"
    static let full = "handshake full, P-256, 10 clients"

    @Test func ceilingIsTheBetterModePerRow() throws {
        let t = PeersTable(Self.oneRun())
        #expect(t.stacks == ["jsec", "jsec-pool", "c-openssl", "c-openssl-epoll"])
        let e1 = try PeersTests.row(t.runs[0], Self.echo1, "throughput")
        #expect(e1.ceiling == 1.0e9 && e1.ceilingMode == "threads")
        #expect(abs(try #require(e1.ceilingShare) - 0.9) < 1e-12)  // 0.9e9 ÷ 1.0e9
        #expect(abs(try #require(e1.poolCeilingShare) - 0.6) < 1e-12)
        let e50 = try PeersTests.row(t.runs[0], Self.echo50, "throughput")
        #expect(e50.ceiling == 2.0e9 && e50.ceilingMode == "epoll")
        #expect(abs(try #require(e50.ceilingShare) - 0.75) < 1e-12)  // 1.5e9 ÷ 2.0e9, not ÷ threads' 1.25e9
        #expect(abs(try #require(e50.poolCeilingShare) - 0.5) < 1e-12)
        // Rates: the higher is better (epoll 1000/s over threads 800/s) …
        let rate = try PeersTests.row(t.runs[0], Self.full, "handshakes/s")
        #expect(rate.ceiling == 1000 && rate.ceilingMode == "epoll")
        #expect(abs(try #require(rate.ceilingShare) - 0.75) < 1e-12)
        #expect(abs(try #require(rate.poolCeilingShare) - 0.5) < 1e-12)
        // … latencies: the lower is better (threads' 20 ms over epoll's 25 ms), share = C ÷ JSec.
        let p50 = try PeersTests.row(t.runs[0], Self.full, "latency p50")
        #expect(p50.ceilingMode == "threads")
        #expect(abs(try #require(p50.ceiling) - 20e6) / 20e6 < 0.001)
        #expect(abs(try #require(p50.ceilingShare) - 0.5) < 0.001)  // 20 ms ÷ 40 ms
        #expect(abs(try #require(p50.poolCeilingShare) - 0.25) < 0.001)  // 20 ms ÷ 80 ms
    }

    @Test func ceilingOfTheMediansNotTheMedianOfTheBest() throws {
        // threads 10, 6, 8 (median 8); epoll 8, 9, 8.5 (median 8.5): the ceiling is epoll at 8.5e8,
        // while the median of each run's better mode would be 9e8.
        var ms: [PeerMeasurement] = []
        for (rep, (threads, epoll)) in [(10.0, 8.0), (6.0, 9.0), (8.0, 8.5)].enumerated() {
            ms += [
                Self.echo("jsec", bytesPerSecond: 6.8e8, clients: 50, rep: rep + 1),
                Self.echo("c-openssl", bytesPerSecond: threads * 1e8, clients: 50, rep: rep + 1),
                Self.echo("c-openssl-epoll", bytesPerSecond: epoll * 1e8, clients: 50, rep: rep + 1),
            ]
        }
        let t = PeersTable(PeersRun(directory: "medians", info: [:], measurements: ms))
        #expect(t.runs.map { try? PeersTests.row($0, Self.echo50, "throughput").ceilingMode } == ["threads", "epoll", "epoll", "epoll"])
        let median = try PeersTests.row(try #require(t.runs.last), Self.echo50, "throughput")
        #expect(median.ceiling == 8.5e8)
        #expect(abs(try #require(median.ceilingShare) - 0.8) < 1e-12)  // 6.8e8 ÷ 8.5e8
        #expect(median.poolCeilingShare == nil)  // no jsec-pool measured
    }

    @Test func oneModeMissingOrFailedLeavesTheOther() throws {
        let t = PeersTable(
            PeersRun(
                directory: "one-mode", info: [:],
                measurements: [
                    Self.echo("jsec", bytesPerSecond: 1e9, clients: 1), Self.echo("c-openssl-epoll", bytesPerSecond: 2e9, clients: 1),
                    PeerMeasurement(
                        stack: "c-openssl", workload: "echo", transport: "tls1.3", key: "P-256", clients: 1, chunk: 65_536,
                        rep: 1, failed: "exit 1"),
                ]))
        let row = try PeersTests.row(t.runs[0], Self.echo1, "throughput")
        #expect(row.ceiling == 2e9 && row.ceilingMode == "epoll" && row.ceilingShare == 0.5)
    }

    @Test func textAndMarkdownShowTheCeilingColumns() {
        let text = PeersReport.render(Self.oneRun(), format: .text)
        #expect(text.contains("JSec ÷ C") && text.contains("jsec-pool ÷ C") && text.contains("C ceiling"))
        let e50 = text.split(separator: "\n").first { $0.contains("50 clients") }.map(String.init) ?? ""
        #expect(e50.contains("0.75") && e50.contains("0.50") && e50.hasSuffix("1.86 GB/s epoll"))  // 2e9 B/s in powers of 1024
        let e1 = text.split(separator: "\n").first { $0.contains("1 client") }.map(String.init) ?? ""
        #expect(e1.contains("0.90") && e1.contains("0.60") && e1.hasSuffix("953.67 MB/s threads"))
        let md = PeersReport.render(Self.oneRun(), format: .markdown)
        #expect(md.contains("| workload | figure | jsec | jsec-pool | c-openssl | c-openssl-epoll | JSec ÷ C | jsec-pool ÷ C | C ceiling |"))
        #expect(md.contains(" | 0.75 | 0.50 | 1000/s epoll |"))
        // Without jsec-pool: no jsec-pool ÷ C column; the existing columns stay.
        let noPool = PeersRun(directory: "no-pool", info: [:], measurements: Self.oneRun().measurements.filter { $0.stack != "jsec-pool" })
        let md2 = PeersReport.render(noPool, format: .markdown)
        #expect(md2.contains("| jsec | c-openssl | c-openssl-epoll | JSec ÷ C | C ceiling |"))
        #expect(!md2.contains("| jsec-pool ÷ C |"))
    }
}
