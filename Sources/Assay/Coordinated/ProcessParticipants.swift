import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Run options coordinated cases need (set by the worker or the in-process
/// executor around the cases it runs): the `--wrapper` for participant
/// processes and `--timeout-scale`, which also scales participants' wait
/// timeouts and the graceful timeout.
enum ParticipantLaunch {
    struct Settings: Sendable {
        var wrapper: String?
        var timeoutScale = 1.0
    }
    @TaskLocal static var settings = Settings()
}

/// Process mode, coordinator side: a Unix socket in a private directory,
/// one worker subprocess per participant (`<runner> --assay-participant
/// JSON`, wrapped like suite workers), a reader thread per connection and a
/// reaper thread per process. A participant has finished when its process
/// has exited: after `done` it passed, after `failed` it failed, otherwise it
/// crashed. Mutable state lives in a `Mutex`.
final class ProcessParticipants: ParticipantGroup, Sendable {
    let resolved: CoordinatedSpec.Resolved
    let hub: CoordinationHub
    let tracker: ParticipantTracker
    let reportSink: @Sendable (ParticipantID, JSONValue) -> Void
    let planned: PlannedCase
    let id: String
    let scratch: String
    let wrapper: String?
    let waitScale: Double
    let recorder: CaseRecorder?
    private let dir: String
    private var socketPath: String { dir + "/s" }
    private struct State {
        var listenFD: Int32 = -1
        var processes: [ParticipantID: Subprocess] = [:]
        var connections: [ParticipantID: WireConnection] = [:]
        var outcome: [ParticipantID: WireMessage] = [:]  // done / failed
        var readerEnded = Set<ParticipantID>()
        /// Participants a hosts file places on other hosts, and their door (Remote/RemoteGate.swift).
        var gate: RemoteGate?
    }
    private let state = Mutex(State())
    private let reaped = DispatchGroup()
    private let entrySink: (@Sendable (JSONValue) -> Void)?

    init(
        resolved: CoordinatedSpec.Resolved, hub: CoordinationHub, tracker: ParticipantTracker,
        reportSink: @escaping @Sendable (ParticipantID, JSONValue) -> Void, planned: PlannedCase,
        id: String, scratch: String, waitScale: Double, entrySink: (@Sendable (JSONValue) -> Void)? = nil
    ) {
        self.waitScale = waitScale
        self.entrySink = entrySink
        self.resolved = resolved
        self.hub = hub
        self.tracker = tracker
        self.reportSink = reportSink
        self.planned = planned
        self.id = id
        self.scratch = scratch
        self.wrapper = ParticipantLaunch.settings.wrapper
        self.recorder = CaseRecorder.current
        dir = "/tmp/assay-c\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    func start() throws {
        let hosts = try HostsFile.fromEnvironment()
        let placement = hosts?.placement(resolved.participants) ?? [:]
        let transport = InstalledRemoteTransport.current
        if !placement.isEmpty && transport == nil { throw RemoteParticipantError(description: RemoteParticipantError.noTransport) }
        try FileManager.default.createDirectory(
            atPath: dir, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let lfd = try UnixSocket.listen(socketPath, backlog: Int32(min(resolved.participants.count + 8, 1024)))
        state.withLock { $0.listenFD = lfd }
        let acceptor = Thread { [self] in acceptLoop(lfd) }
        acceptor.start()
        let exe = ExecutablePath.current() ?? CommandLine.arguments[0]
        var remoteRequests: [ParticipantID: ParticipantRequest] = [:]
        for p in resolved.participants {
            var req = ParticipantRequest(
                suiteIndex: planned.suiteIndex, suiteName: planned.suiteName, testIndex: planned.testIndex,
                comboIndex: planned.comboIndex, coordination: planned.coordination.map { [$0.key, $0.value] },
                matricesDirectory: MatrixLibrary.locateDirectory(environment: ProcessInfo.processInfo.environment),
                role: p.role, index: p.index, socketPath: socketPath, scratch: scratch, id: id)
            req.mode = resolved.mode.rawValue
            req.waitScale = waitScale
            if let host = placement[p] {
                req.host = host.name
                req.address = host.address
                remoteRequests[p] = req
                if host.launcher == .external { reaped.enter() }  // left when its link ends (hooks.ended)
                continue
            }
            if hosts != nil { entrySink?(Self.placementEntry(p, host: "local", address: nil, launcher: .local, from: nil)) }
            let json = String(decoding: try JSONEncoder().encode(req), as: UTF8.self)
            var argv = [exe, ParticipantWorker.flag, json]
            if let w = wrapper, !w.trimmingCharacters(in: .whitespaces).isEmpty {
                argv = ["/bin/sh", "-c", "exec \(w) \"$@\"", "assay-participant"] + argv
            }
            try spawn(p, argv)
        }
        if let hosts, let transport, !placement.isEmpty { startGate(hosts, placement, remoteRequests, transport) }
    }

    /// Starts the process standing for `p` (the participant, or ssh running it); its exit ends `p`.
    private func spawn(_ p: ParticipantID, _ argv: [String]) throws {
        let errPath = stderrPath(p)
        let proc = try Subprocess(arguments: argv, stderrPath: errPath, environment: SuiteSupervisor.workerEnvironment())
        state.withLock { $0.processes[p] = proc }
        reaped.enter()
        let reaper = Thread { [self] in
            let exit = proc.wait()
            finished(p, failure: "\(p) crashed: process \(exit.description)", stderr: errPath)
            reaped.leave()
        }
        reaper.start()
    }

    private func startGate(
        _ hosts: HostsFile, _ placement: [ParticipantID: HostsFile.Host], _ requests: [ParticipantID: ParticipantRequest],
        _ transport: any RemoteTransport
    ) {
        let hooks = RemoteGateHooks(
            spawn: { [self] p, argv in try spawn(p, argv) },
            ended: { [self] p, failure, crashed in
                finished(p, failure: failure, stderr: nil, crashed: crashed)
                reaped.leave()
            },
            failed: { [self] p, message in
                if let p { tracker.failed(p, message) } else { tracker.fail(message) }
            },
            refused: { [self] r in entrySink?(r.json) })
        let g = RemoteGate(
            hosts: hosts, placement: placement, requests: requests, socketPath: socketPath, dir: dir,
            waitScale: waitScale, hooks: hooks, transport: transport)
        g.onJoin = { [self] p, from in
            if let h = placement[p] { entrySink?(Self.placementEntry(p, host: h.name, address: h.address, launcher: h.launcher, from: from)) }
        }
        state.withLock { $0.gate = g }
        g.start()
    }

    /// The results file's record of where `p` ran: `{"role", "index", "placement": {…}}` (no `data`).
    static func placementEntry(_ p: ParticipantID, host: String, address: String?, launcher: LauncherKind, from: String?) -> JSONValue {
        var where_: [String: JSONValue] = ["host": .string(host), "launcher": .string(launcher.rawValue)]
        if let address { where_["address"] = .string(address) }
        if let from { where_["connectedFrom"] = .string(from) }
        return .object(["role": .string(p.role), "index": .int(p.index), "placement": .object(where_)])
    }

    private func stderrPath(_ p: ParticipantID) -> String { dir + "/\(p.role)-\(p.index).stderr" }

    private func acceptLoop(_ lfd: Int32) {
        var accepted = 0
        while accepted < resolved.participants.count {
            let fd = accept(lfd, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return  // listener closed
            }
            accepted += 1
            let conn = WireConnection(fd: fd)
            let t = Thread { [self] in serve(conn) }
            t.start()
        }
    }

    /// Reads one participant's messages until its connection ends.
    private func serve(_ conn: WireConnection) {
        var me: ParticipantID?
        conn.readLoop { m in
            switch m.op {
            case .hello:
                guard let r = m.role, let i = m.index else { return }
                let p = ParticipantID(role: r, index: i)
                me = p
                state.withLock { $0.connections[p] = conn }
                if let a = hub.failed {
                    var w = WireMessage(.abort)
                    w.message = a
                    conn.send(w)
                }
            case .emit:
                guard let p = me, let e = m.event else { return }
                hub.emit(from: p, event: e, value: Data((m.value ?? "true").utf8))
            case .await:
                guard let p = me, let reqID = m.id, let r = m.role, let e = m.event else { return }
                let from = ParticipantID(role: r, index: m.index ?? 0)
                let hub = hub
                Task {
                    do {
                        let v = try await hub.awaitEvent(by: p, from: from, event: e, timeout: m.timeout ?? 0)
                        var w = WireMessage(.reply)
                        w.id = reqID
                        w.value = String(decoding: v, as: UTF8.self)
                        conn.send(w)
                    } catch { conn.send(.error(id: reqID, error)) }
                }
            case .barrier:
                guard let p = me, let reqID = m.id, let name = m.name else { return }
                let hub = hub
                Task {
                    do {
                        try await hub.barrier(by: p, name: name, timeout: m.timeout ?? 0)
                        var w = WireMessage(.reply)
                        w.id = reqID
                        conn.send(w)
                    } catch { conn.send(.error(id: reqID, error)) }
                }
            case .report:
                guard let p = me else { return }
                reportSink(p, m.data ?? .null)
            case .done, .failed:
                guard let p = me else { return }
                state.withLock { $0.outcome[p] = m }
            case .reply, .error, .abort:
                break
            }
        }
        if let p = me { _ = state.withLock { $0.readerEnded.insert(p) } }
    }

    /// The participant's process has exited (or a remote participant's link ended):
    /// `failure` is the failure unless it reported done or failed.
    private func finished(_ p: ParticipantID, failure: @autoclosure () -> String, stderr errPath: String?, crashed: Bool = true) {
        // The exit can overtake the last lines still buffered in the socket:
        // wait for the reader to reach end of stream (briefly, if it never connected).
        let exitedAt = DispatchTime.now().uptimeNanoseconds
        while true {
            let (ended, connected) = state.withLock { ($0.readerEnded.contains(p), $0.connections[p] != nil) }
            let waited = DispatchTime.now().uptimeNanoseconds - exitedAt
            if ended || waited > 3_000_000_000 || (!connected && waited > 300_000_000) { break }
            usleep(2_000)
        }
        let (msg, conn): (WireMessage?, WireConnection?) = state.withLock { ($0.outcome[p], $0.connections[p]) }
        conn?.close()
        // Issues recorded in the participant (expect/require) join the case's.
        for issue in msg?.issues ?? [] {
            recorder?.record(Issue(message: "\(p): \(issue.message)", location: issue.location))
        }
        switch msg?.op {
        case .done?:
            tracker.finished(p)
        case .failed? where msg?.kind == "skip":
            tracker.skipped(p, msg?.message ?? "")
        case .failed?:
            tracker.failed(p, msg?.message ?? "\(p) failed")
        default:
            var text = failure()
            if let errPath, let reason = SuiteSupervisor.crashReason(inFile: errPath) { text += ": " + reason }
            if hub.failed == nil, let errPath, let tail = SuiteSupervisor.tail(of: errPath) {
                recorder?.record(Issue(message: "\(p) stderr (last lines):\n" + tail, location: nil))
            }
            if crashed { tracker.crashed(p, text) } else { tracker.failed(p, text) }
        }
    }

    func cancel(_ reason: String) {
        var w = WireMessage(.abort)
        w.message = reason
        for c in state.withLock({ Array($0.connections.values) }) { c.send(w) }
    }

    func forceStop() -> [ParticipantID] {
        let left = tracker.stillRunning
        let g = state.withLock { $0.gate }
        for p in left {
            state.withLock { $0.processes[p] }?.kill()
            g?.stop(p)
        }
        _ = reaped.wait(timeout: .now() + 10)
        return left
    }

    func cleanUp() {
        let g = state.withLock { $0.gate }
        g?.close()
        if let n = g?.refusalsNotListed, n > 0 {
            entrySink?(
                .object([
                    "refused": .object(["notListed": .int(n), "reason": .string("more refused connections than the \(RemoteGate.listedRefusals) listed")])
                ]))
        }
        let (lfd, conns): (Int32, [WireConnection]) = state.withLock { s in
            defer { s.listenFD = -1 }
            return (s.listenFD, Array(s.connections.values))
        }
        if lfd >= 0 {
            shutdown(lfd, Int32(SHUT_RDWR))
            close(lfd)
        }
        for c in conns { c.close() }
        unlink(socketPath)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
