import AssayResults
import Foundation
import Testing
@testable import PerfAnalysis

/// perf9 `protocol=dtls` echo cases: the loss, retransmission and round-trip figures the DTLS clients report
/// are read, totalled and shown (text, markdown, JSON), DTLS 1.2 is its own group, and dtls has no
/// plaintext ratio.
@Suite struct DatagramTests {
    /// A dtls echo case as perf9 writes it: `clients` clients, each with the given figures over 1 s.
    static func dtlsCase(
        clients: Int = 2, iterations: Int = 1000, lost: Int = 1, retransmissions: Int = 3, late: Int = 2,
        rtt: [Int] = [100_000, 200_000, 300_000, 400_000], serverDropped: Int = 5, version: String = "DTLSv1.2"
    ) -> CaseResult {
        let client: JSONValue = .object([
            "bytesSent": .int(1024 * (iterations + retransmissions + lost)), "bytesReceived": .int(1024 * iterations),
            "iterations": .int(iterations), "startNanos": .int(0), "endNanos": .int(1_000_000_000),
            "handshakeNanos": .int(2_000_000), "connected": .bool(true), "negotiatedVersion": .string(version),
            "errors": .object([:]), "retransmissions": .int(retransmissions), "lost": .int(lost),
            "lateEchoes": .int(late), "droppedMessages": .int(0), "rttSampleNanos": .array(rtt.map { .int($0) }),
        ])
        return CaseResult(
            id: "performance/perf9/echo[protocol=dtls,tls-version=1.2,chunk-size=1024,client-count=\(clients),duration=1]<parallel=thread>",
            category: "performance", suite: "perf9", test: "echo", kind: "coordinated",
            combination: [
                "protocol": "dtls", "tls-version": "1.2", "chunk-size": .int(1024), "client-count": .int(clients), "duration": .int(1),
            ],
            coordination: ["parallel": "thread"], status: .passed,
            data: [
                .object([
                    "role": .string("client-host"), "index": .int(0),
                    "data": .object(["clients": .array(Array(repeating: client, count: clients))]),
                ]),
                .object([
                    "role": .string("server"), "index": .int(0),
                    "data": .object(["connections": .int(clients), "bytes": .int(1024 * iterations * clients), "droppedMessages": .int(serverDropped)]),
                ]),
            ])
    }

    static func analysis(_ cases: [CaseResult]) throws -> Analysis {
        let perf = try cases.compactMap { try PerfCaseReader.read($0, source: "x") }
        return Analysis(files: ["x"], cases: perf)
    }

    @Test func readsAndTotalsTheDatagramFigures() throws {
        let c = try #require(try PerfCaseReader.read(Self.dtlsCase(), source: "x"))
        #expect(c.clients.allSatisfy { $0.isDatagram })
        #expect(c.clients[0].rttSampleNanos == [100_000, 200_000, 300_000, 400_000])
        #expect(c.servers[0].droppedMessages == 5)
        let d = try #require(TestSummary(c).datagram)
        #expect(d.echoed == 2000)
        #expect(d.lost == 2)
        #expect(d.messages == 2002)
        #expect(d.retransmissions == 6)
        #expect(d.lateEchoes == 4)
        #expect(d.clientDropped == 0)
        #expect(d.serverDropped == 5)
        #expect(d.roundTrip?.count == 8)
        #expect(d.lossRate == 2.0 / 2002)
    }

    @Test func streamCasesHaveNoDatagramFigures() throws {
        let stream = SyntheticRun.echoCase(SyntheticRun.Echo(throughputs: [1e6]), repetition: 1, value: 1e6)
        let t = TestSummary(try #require(try PerfCaseReader.read(stream, source: "x")))
        #expect(t.datagram == nil)
        let g = try #require(Grouping.groups([t], by: .overall).first)
        #expect(!StatLines.lines(g).contains { $0.0 == "Loss" })
    }

    @Test func groupLinesShowLossRetriesAndRoundTrip() throws {
        let a = try Self.analysis([Self.dtlsCase()])
        let g = try #require(Grouping.groups(a.tests, by: .proto).first)
        #expect(g.name == "dtls")
        let lines = Dictionary(uniqueKeysWithValues: StatLines.lines(g).map { ($0.0, $0.1) })
        #expect(lines["Loss"] == "2 lost of 2002 messages (0.100%), 6 retransmissions (0.300% of messages), 4 late echoes")
        #expect(lines["Round trip"] == "0.20 ms (p50), 0.40 ms (p99), 0.40 ms (max), 8 sampled")
        #expect(lines["Dropped"] == "client 0, server 5 (full receive queues)")
        #expect(lines["Negotiated"] == "DTLSv1.2 ×2")  // no MISMATCH: dtls' "1.2" is DTLSv1.2
        let text = TextReport.render(a, detail: .normal)
        #expect(text.contains("Loss:          2 lost of 2002 messages"))
        #expect(!text.contains("WARNING asked for"))
    }

    @Test func dtlsIsItsOwnVersionGroupAndHasNoPlaintextRatio() throws {
        let tls = SyntheticRun.echoCase(SyntheticRun.Echo(tlsVersion: "1.2", chunk: 1024, clients: 2, throughputs: [1e6]), repetition: 1, value: 1e6)
        let tcp = SyntheticRun.echoCase(
            SyntheticRun.Echo(proto: "tcp", tlsVersion: nil, chunk: 1024, clients: 2, throughputs: [2e6]), repetition: 1, value: 2e6)
        var dtls = Self.dtlsCase()
        dtls.repetition = 1
        let a = try Self.analysis([tls, tcp, dtls])
        let versions = Grouping.groups(a.tests, by: .tlsVersion).map(\.name)
        #expect(versions == ["TLS 1.2", "DTLS 1.2"])
        let ratios = ProtocolRatio.all(a.tests)
        #expect(ratios.map(\.secure) == ["tls 1.2"])
        let mismatch = try Self.analysis([Self.dtlsCase(version: "TLSv1.2")])
        #expect(mismatch.tests[0].versionMismatch == "DTLSv1.2")
    }

    @Test func markdownAndJSONCarryTheFigures() throws {
        let a = try Self.analysis([Self.dtlsCase()])
        let md = MarkdownReport.render(a, detail: .normal)
        #expect(md.contains("## Datagram loss and round trip (DTLS)"))
        #expect(md.contains("| 2002 | 2 | 6 | 4 | 0/5 | 0.20 ms | 0.40 ms | 0.40 ms |"))
        let json = JSONReport.render(a, detail: .groupsOnly)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let sections = try #require(object["sections"] as? [[String: Any]])
        let group = try #require((sections.first?["groups"] as? [[String: Any]])?.first)
        let datagram = try #require(group["datagram"] as? [String: Any])
        #expect(datagram["lost"] as? Int == 2)
        #expect(datagram["retransmissions"] as? Int == 6)
    }

    @Test func aLossThatIsNotACountIsRefused() throws {
        var c = Self.dtlsCase(clients: 1)
        if case .object(var host) = c.data[0], case .object(var payload)? = host["data"],
            case .array(var clients)? = payload["clients"], case .object(var first) = clients[0]
        {
            first["lost"] = .double(-1)
            clients[0] = .object(first)
            payload["clients"] = .array(clients)
            host["data"] = .object(payload)
            c.data[0] = .object(host)
        }
        #expect(throws: PerfCaseReader.BadNumber.self) { try PerfCaseReader.read(c, source: "x") }
    }
}

/// `analyzer peers`: the echo-dtls rows (throughput and messages/s, JSec ÷ C) and the loss table beside them.
@Suite struct PeersDatagramTests {
    static func dtls(_ stack: String, messages: Int, lost: Int = 0, retransmissions: Int = 0, rep: Int = 1) -> PeerMeasurement {
        PeerMeasurement(
            stack: stack, workload: "echo", transport: "dtls1.2", key: "P-256", clients: 1, chunk: 1024, duration: 2, seconds: 2,
            bytes: 2 * 1024 * messages, errors: 0, cipher: "ECDHE-ECDSA-AES128-GCM-SHA256", rep: rep, iterations: messages,
            retransmissions: retransmissions, lost: lost, lateEchoes: 0)
    }

    @Test func rowsLossAndNoDTLSNotes() throws {
        let run = PeersRun(
            directory: "dtls", info: [:],
            measurements: [
                Self.dtls("jsec", messages: 18_000, lost: 1, retransmissions: 2), Self.dtls("c-openssl", messages: 20_000),
                PeerMeasurement(stack: "go", workload: "echo", transport: "dtls1.2", key: "P-256", clients: 1, chunk: 1024, rep: 1, skipped: "no DTLS"),
            ])
        let t = PeersTable(run)
        let rows = t.runs[0].rows
        #expect(rows.map(\.figure) == ["throughput", "messages/s"])
        #expect(rows[0].workload == "echo dtls1.2, P-256, 1.00 KB chunks, 1 client")
        #expect(abs(try #require(rows[1].ceilingShare) - 0.9) < 1e-12)
        #expect(rows[1].cells.first { $0.stack == "c-openssl" }?.value == 10_000)
        #expect(t.datagramLoss.map(\.stack) == ["jsec", "c-openssl"])
        #expect(t.datagramLoss[0].messages == 18_001)
        let text = PeersReport.render(run, format: .text)
        #expect(text.contains("DTLS loss and retries"))
        #expect(text.contains("9000/s"))
        #expect(text.contains("go: no DTLS"))
        let md = PeersReport.render(run, format: .markdown)
        #expect(md.contains("| echo dtls1.2, P-256, 1.00 KB chunks, 1 client | jsec | 1 | 18001 | 1 | 0.006% | 2 | 0 |"))
    }
}
