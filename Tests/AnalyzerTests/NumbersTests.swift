import Foundation
import Testing
@testable import PerfAnalysis

/// Numbers in participant reports are counts: a value that cannot be one (negative, fractional,
/// 1e308, a string) is one clear error naming the case, participant, client and field — not a
/// client silently dropped from the throughput, not "Iterations: -20".
@Suite struct NumbersTests {
    /// The baseline fixture with one field of one client (first echo case, first client-host) replaced.
    static func parse(client field: String, _ json: String, allClients: Bool = false) throws -> Result<[PerfCase], LoadError> {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        var doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixture.baseline))) as? [String: Any])
        var cases = try #require(doc["cases"] as? [[String: Any]])
        var data = try #require(cases[0]["data"] as? [[String: Any]])
        var payload = try #require(data[0]["data"] as? [String: Any])
        var clients = try #require(payload["clients"] as? [[String: Any]])
        for i in clients.indices where allClients || i == 0 { clients[i][field] = value }
        payload["clients"] = clients
        data[0]["data"] = payload
        cases[0]["data"] = data
        doc["cases"] = cases
        let bytes = try JSONSerialization.data(withJSONObject: doc)
        do { return .success(try ResultsLoader.parse(bytes, path: "r.json")) } catch { return .failure(error) }
    }

    static let id = "performance/perf9/echo[protocol=tcp,chunk-size=4096,client-count=50,duration=10]<parallel=thread,server=2,client-host=2>"

    @Test(arguments: [
        ("bytesReceived", "1e308", "1e+308"), ("bytesReceived", "-1", "-1"), ("bytesSent", "2.5", "2.5"),
        ("iterations", "-5", "-5"), ("endNanos", "\"10\"", "\"10\""), ("handshakeNanos", "1e19", "1e+19"),
    ])
    func aNumberThatIsNotACountIsOneClearError(field: String, value: String, shown: String) throws {
        let r = try Self.parse(client: field, value)
        guard case .failure(let e) = r else {
            Issue.record("accepted \(field) = \(value)")
            return
        }
        #expect(
            e
                == .malformed(
                    path: "r.json", reason: "case \(Self.id): client-host[0] client 0: \(field) \(shown) is not a count (a non-negative integer ≤ 2^53)"),
            "\(e)")
    }

    @Test func countsAndAbsentNumbersAreRead() throws {
        let ok = try Self.parse(client: "bytesReceived", "1000").get()
        #expect(ok.first?.clients.first?.bytesReceived == 1_000)
        let absent = try Self.parse(client: "iterations", "null").get()
        #expect(absent.first?.clients.first?.iterations == 0)  // missing numbers count as zero (documented)
    }

    /// Before: every client's -5 was summed ("Iterations: -20").
    @Test func negativeIterationsAreNotSummed() throws {
        guard case .failure(let e) = try Self.parse(client: "iterations", "-5", allClients: true) else {
            Issue.record("negative iterations accepted")
            return
        }
        #expect(e.description.hasPrefix("r.json: malformed assay results file: case \(Self.id): client-host[0] client 0: iterations -5"))
    }
}
