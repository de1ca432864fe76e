import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a participant process is told (one JSON argument).
struct ParticipantRequest: Codable {
    var suiteIndex: Int
    var suiteName: String
    var testIndex: Int
    var comboIndex: Int
    var coordination: [[String]]
    var matricesDirectory: String?
    var role: String
    var index: Int
    var socketPath: String
    var scratch: String
    var id: String
    var mode: String?
    var waitScale: Double?
    /// A remote participant's host (hosts file name and address; docs/distributed.md, "Remote participants").
    var host: String?
    var address: String?
}

/// Process mode, participant side: `<runner> --assay-participant JSON`
/// connects to the coordinator, runs its role's body with a socket channel,
/// and reports `done` or `failed` (with the expectations that failed).
enum ParticipantWorker {
    static let flag = "--assay-participant"

    static func run(suites: [Suite], json: String, watchParent: Bool = true) -> Int32 {
        if watchParent { ParentWatch.start() }
        dup2(2, 1)  // the body's prints go to the participant's stderr file
        func fail(_ s: String) -> Int32 {
            FileHandle.standardError.write(Data("assay participant: \(s)\n".utf8))
            return 3
        }
        guard let req = try? JSONDecoder().decode(ParticipantRequest.self, from: Data(json.utf8)) else {
            return fail("cannot decode the request")
        }
        guard req.suiteIndex < suites.count, suites[req.suiteIndex].name == req.suiteName,
            req.testIndex < suites[req.suiteIndex].tests.count,
            let spec = suites[req.suiteIndex].tests[req.testIndex].coordinated
        else {
            return fail("test not found: \(req.id)")
        }
        let resolved: CoordinatedSpec.Resolved
        do { resolved = try spec.resolve(req.coordination.map { (key: $0[0], value: $0[1]) }) } catch {
            return fail(error.description)
        }
        guard let role = resolved.roles.first(where: { $0.role.name == req.role })?.role else {
            return fail("no role \(req.role)")
        }
        if let cpus = resolved.cpus(for: req.role) {  // placement=split: the whole process, before any work
            do { try CPUAffinity.pinProcess(to: cpus) } catch { return fail(error.description) }
        }
        let combination: Combination
        do {
            let catalog = try Catalog(suites: suites, matricesDirectory: req.matricesDirectory)
            combination = catalog.matrices[req.suiteIndex][req.testIndex]?.combination(at: req.comboIndex) ?? .empty
        } catch { return fail("\(error)") }
        let fd: Int32
        do { fd = try UnixSocket.connect(req.socketPath) } catch { return fail("\(error)") }
        let conn = WireConnection(fd: fd)
        let channel = SocketChannel(conn: conn)
        let me = ParticipantID(role: req.role, index: req.index)
        var hello = WireMessage(.hello)
        hello.role = me.role
        hello.index = me.index
        conn.send(hello)
        let ctx = ParticipantContext(
            participant: me, mode: .process, id: req.id, combination: combination,
            scratchDirectory: URL(fileURLWithPath: req.scratch),
            counts: resolved.counts, channel: channel, waitScale: req.waitScale ?? 1,
            hostAddress: req.address)
        let recorder = CaseRecorder()
        let body = role.body
        let outcome: WireMessage = blockingAwait {
            let task = Task {
                await CaseRecorder.$current.withValue(recorder) { () -> (any Error)? in
                    do { try await body(ctx); return nil } catch { return error }
                }
            }
            channel.onAbort = { task.cancel() }
            let error = await task.value
            var m = WireMessage(error == nil ? .done : .failed)
            if let skip = error as? SkipTest {
                m.message = skip.reason
                m.kind = "skip"
            } else if let error {
                m.message = describeParticipantError(me, error)
            }
            m.issues = recorder.issues
            return m
        }
        conn.send(outcome)
        conn.close()
        return 0
    }
}
