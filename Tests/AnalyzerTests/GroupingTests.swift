import AssayResults
import Foundation
import Testing
@testable import PerfAnalysis

@Suite struct GroupingTests {
    static func client(bytes: Int, seconds: Double, connected: Bool = true, version: String? = nil, hs: Int? = nil) -> JSONValue {
        [
            "bytesSent": .int(bytes / 2), "bytesReceived": .int(bytes / 2), "iterations": 10,
            "startNanos": 1_000, "endNanos": .int(1_000 + Int(seconds * 1e9)), "handshakeNanos": hs.map(JSONValue.int) ?? .null,
            "connected": .bool(connected), "negotiatedVersion": version.map(JSONValue.string) ?? .null,
            "errors": ["io": 2, "timeout": 0],
        ]
    }

    static func echoCase(protocol proto: String, tls: String?, clients: [JSONValue], coordination: [String: String] = ["parallel": "thread"]) -> CaseResult {
        CaseResult(
            id: "performance/perf9/echo[protocol=\(proto)]", category: "performance", suite: "perf9", test: "echo",
            kind: "coordinated",
            combination: [
                "protocol": .string(proto), "tls-version": tls.map(AssayValue.string) ?? .none,
                "chunk-size": 4096, "client-count": .int(clients.count), "duration": 2,
            ],
            coordination: coordination, status: .passed,
            data: [
                ["role": "client-host", "index": 0, "data": ["clients": .array(clients)]],
                ["role": "server", "index": 0, "data": ["connections": 2, "bytes": 3000, "handshakeFailures": 1]],
            ])
    }

    @Test func throughputIsBytesOverClientTimeSummedPerTest() throws {
        let c = Self.echoCase(
            protocol: "tls", tls: "1.3",
            clients: [
                Self.client(bytes: 2000, seconds: 2, version: "TLSv1.3", hs: 3_000_000),
                Self.client(bytes: 4000, seconds: 2, version: "TLSv1.3", hs: 5_000_000),
                Self.client(bytes: 0, seconds: 0, connected: false),
            ])
        let perf = try #require(try PerfCaseReader.read(c, source: "x.json"))
        #expect(perf.configuration.serverCount == 1 && perf.configuration.clientHostCount == 1)  // absent → 1
        let t = TestSummary(perf)
        #expect(t.clientThroughputs == [1000, 2000])  // the unstarted client has no interval
        #expect(t.throughput == 3000)
        #expect(t.totalBytes == 6000)
        #expect(t.connected == 2 && t.attempted == 3)
        #expect(t.errors == ["io": 6])
        #expect(t.handshakes == [3_000_000, 5_000_000])
        #expect(t.handshakeFailures == 1)
        #expect(t.versionMismatch == nil)
    }

    @Test func negotiatedVersionMismatchIsFlagged() throws {
        let c = Self.echoCase(protocol: "tls", tls: "1.2", clients: [Self.client(bytes: 10, seconds: 1, version: "TLSv1.3")])
        let t = TestSummary(try #require(try PerfCaseReader.read(c, source: "x")))
        #expect(t.versionMismatch == "TLSv1.2")
        let a = Analysis(files: ["x"], cases: [t.perfCase])
        #expect(TextReport.render(a, detail: .groupsOnly).contains("MISMATCH"))
    }

    @Test func plaintextHasNoTLSVersionGroup() throws {
        let c = Self.echoCase(protocol: "tcp", tls: nil, clients: [Self.client(bytes: 10, seconds: 1)])
        let perf = try #require(try PerfCaseReader.read(c, source: "x"))
        #expect(GroupDimension.tlsVersion.key(TestSummary(perf)) == nil)
        #expect(perf.configuration.tlsVersion == nil)
    }

    @Test func baselineFixtureGroups() throws {
        let cases = try ResultsLoader.load(path: Fixture.baseline)
        // 6 echo cases with data + 1 handshake case; the skipped and the unit case are not perf data.
        #expect(cases.count == 7)
        let a = Analysis(files: [Fixture.baseline], cases: cases)
        let byName = Dictionary(uniqueKeysWithValues: a.sections.map { ($0.0, $0.1) })
        #expect(byName[.proto]?.map(\.name) == ["tcp", "tls", "unix"])
        #expect(byName[.tlsVersion]?.map(\.name) == ["TLS 1.2", "TLS 1.3"])
        #expect(byName[.clientCount]?.map(\.name) == ["10 clients", "50 clients"])
        #expect(byName[.parallel]?.map(\.name) == ["thread", "process"])
        #expect(byName[.participants]?.map(\.name) == ["1 server(s), 1 client-host(s)", "2 server(s), 2 client-host(s)"])
        #expect(byName[.handshakeBenchmark]?.map(\.name) == ["tls 1.3, RSA-2048, full"])
        let tls = try #require(byName[.proto]?.first { $0.name == "tls" })
        #expect(tls.tests.count == 3)
        #expect(tls.connected == 220 && tls.attempted == 220)
        #expect(tls.handshake?.count == 220)
        let overall = try #require(byName[.overall]?.first)
        #expect(overall.tests.count == 6)
        #expect(overall.perClient?.count == 350)
        // Mean of test throughputs equals the mean of the per-test sums.
        let sums = overall.tests.compactMap(\.throughput)
        #expect(abs(overall.throughput!.mean - sums.reduce(0, +) / Double(sums.count)) < 1e-6)
        #expect(overall.perClient!.min <= overall.perClient!.median && overall.perClient!.median <= overall.perClient!.max)
    }

    @Test func textReportModes() throws {
        let a = Analysis(files: [Fixture.baseline], cases: try ResultsLoader.load(path: Fixture.baseline))
        let groups = TextReport.render(a, detail: .groupsOnly)
        let normal = TextReport.render(a, detail: .normal)
        let detail = TextReport.render(a, detail: .everyTest)
        #expect(groups.contains("Results by Protocol") && groups.contains("Overall Statistics"))
        #expect(!groups.contains("  Tests\n"))
        #expect(normal.contains("[passed] echo tcp, 50 clients"))
        #expect(detail.contains("performance/perf9/echo[protocol=tls,tls-version=1.3,chunk-size=4096,client-count=50"))
        #expect(detail.contains("Status:"))
        for label in ["Throughput:", "Client range:", "Handshake:", "Total bytes:", "Iterations:", "Connected:", "Participants:", "Tests:"] {
            #expect(groups.contains(label), "missing \(label)")
        }
    }

    @Test func jsonAndMarkdownFormats() throws {
        let inv = AnalyzerInvocation(files: [Fixture.baseline], format: .json)
        let out = inv.execute()
        #expect(out.status == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(obj["schema"] as? String == "perf9-analysis")
        #expect((obj["sections"] as? [Any])?.isEmpty == false)
        let md = AnalyzerInvocation(files: [Fixture.baseline], detail: .groupsOnly, format: .markdown).execute()
        #expect(md.stdout.contains("## Results by Protocol"))
        #expect(md.stdout.contains("| tcp | 2 |"))
    }
}

@Suite struct ProtocolRatioTests {
    @Test func tlsOverTCPUnderTheSameLoad() throws {
        let a = Analysis(files: [Fixture.baseline], cases: try ResultsLoader.load(path: Fixture.baseline))
        let ratios = ProtocolRatio.all(a.tests)
        // 10 clients: tls 1.3/tcp; 50 clients: tls 1.2/tcp and tls 1.3/tcp. unix has no unix-tls partner.
        #expect(ratios.map(\.secure) == ["tls 1.3", "tls 1.2", "tls 1.3"])
        #expect(ratios.allSatisfy { $0.plain == "tcp" })
        for r in ratios {
            #expect(abs(r.ratio - r.secureThroughput / r.plainThroughput) < 1e-12)
            #expect(r.ratio > 0.4 && r.ratio < 0.8)
        }
        #expect(TextReport.render(a, detail: .groupsOnly).contains("Encrypted vs Plaintext (same load)"))
    }
}
