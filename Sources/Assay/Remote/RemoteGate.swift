import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// What the gate asks of the process-mode coordinator it serves.
struct RemoteGateHooks: Sendable {
    /// Starts a local process standing for `p` (the ssh launcher's `ssh`), watched like a local participant.
    var spawn: @Sendable (ParticipantID, [String]) throws -> Void
    /// `p` (external launcher, no local process) is gone; `failure` is its failure unless it reported done.
    /// `crashed`: its link closed under it (it died); otherwise the harness ended it (refused, silent, never
    /// connected) and it failed.
    var ended: @Sendable (ParticipantID, String, _ crashed: Bool) -> Void
    /// `p` failed (refused, silent) while a local process may still stand for it; nil: nobody's failure.
    var failed: @Sendable (ParticipantID?, String) -> Void
    /// A connection was refused (each one, up to `RemoteGate.listedRefusals`): for the case's results.
    var refused: @Sendable (RemoteRefusal) -> Void = { _ in }
}

/// Process mode's door to other hosts (docs/distributed.md, "Remote participants"). Per case: has the
/// transport generate the run's credentials and listen at the hosts file's coordinator address, starts each
/// remote participant with its launcher, and admits a connection only if it authenticates as a participant
/// placed on a host (with AssayRemoteTLS: a TLS 1.3 handshake presenting a certificate this case's CA issued,
/// mutual authentication), and its first line carries the run's token. An admitted participant's link is relayed to the
/// coordinator's Unix socket, so barriers, events, reports and outcomes take the local path.
///
/// Bounds against an untrusted peer (RemotePending): at most `2 × remote participants + 8`
/// unauthenticated connections at once and `remote participants + 2` from one address; a new
/// connection is always taken in and the oldest one of its address, or of the address holding the
/// most, is closed to make room. A handshake gets 15 s, the join line 64 KiB and 15 s.
/// Every refused connection is recorded (`hooks.refused`, the case's results). One that never
/// authenticated — no TLS, no or a foreign certificate, a handshake timeout, closed to make room —
/// is noise: it fails nothing, and the participants keep waiting. One that authenticated as a
/// participant but whose join is invalid (no join line, wrong token, a participant that joined
/// already) fails the case, naming the address, the host and its participants.
/// Mutable state lives in a `Mutex`.
final class RemoteGate: Sendable {
    enum Link {
        case waiting
        case joined(from: String)
        case ended
    }

    let hosts: HostsFile
    let placement: [ParticipantID: HostsFile.Host]
    let requests: [ParticipantID: ParticipantRequest]
    let socketPath: String
    let dir: String
    let silence: Double
    let hooks: RemoteGateHooks
    let transport: any RemoteTransport
    private struct State {
        var links: [ParticipantID: Link] = [:]
        var listener: (any RemoteCoordinatorEndpoint)?
        var closed = false
        /// Connections accepted and not yet authenticated or dropped, and their streams (to close one to make room).
        var pending: RemotePending
        var pendingStreams: [Int: any RemoteIncoming] = [:]
        /// Refused connections, in order (at most `listedRefusals`), and how many more were not listed.
        var refusals: [RemoteRefusal] = []
        var unlisted = 0
        var streams: [ParticipantID: any RemoteStream] = [:]
        var onJoin: (@Sendable (ParticipantID, String) -> Void)?
    }
    private let state: Mutex<State>
    /// How long an unauthenticated connection may take to finish its TLS handshake (tests lengthen it).
    private let handshakeTimeout: Duration
    /// Connections accepted and not yet authenticated or dropped (for tests of the bound).
    var heldConnections: Int { state.withLock { $0.pending.count } }
    /// Pending connections from one source address (for tests of the bound).
    func heldConnections(from source: String) -> Int { state.withLock { $0.pending.count(from: source) } }
    var refusedConnections: [RemoteRefusal] { state.withLock { $0.refusals } }
    var refusalsNotListed: Int { state.withLock { $0.unlisted } }
    /// The most refused connections recorded one by one (a flood is counted beyond).
    static let listedRefusals = 100
    /// Told when a participant joins, with the address it connected from (set before `start`).
    var onJoin: (@Sendable (ParticipantID, String) -> Void)? {
        get { state.withLock { $0.onJoin } }
        set { state.withLock { $0.onJoin = newValue } }
    }

    init(
        hosts: HostsFile, placement: [ParticipantID: HostsFile.Host], requests: [ParticipantID: ParticipantRequest],
        socketPath: String, dir: String, waitScale: Double, hooks: RemoteGateHooks, transport: any RemoteTransport,
        handshakeTimeout: Duration = .seconds(15)
    ) {
        self.transport = transport
        self.handshakeTimeout = handshakeTimeout
        self.hosts = hosts
        self.placement = placement
        self.requests = requests
        self.socketPath = socketPath
        self.dir = dir
        self.silence = (hosts.silenceTimeout ?? 10) * waitScale
        self.hooks = hooks
        var initial = State(pending: RemotePending(limit: 2 * placement.count + 8, perSource: placement.count + 2))
        for p in placement.keys { initial.links[p] = .waiting }
        state = Mutex(initial)
    }

    /// Where each remote participant connected from (for the results file).
    func connectedFrom(_ p: ParticipantID) -> String? {
        state.withLock { if case .joined(let f)? = $0.links[p] { return f } else { return nil } }
    }

    func start() {
        Task { await serve() }
    }

    private var remote: [ParticipantID] { placement.keys.sorted { ($0.role, $0.index) < ($1.role, $1.index) } }

    private func serve() async {
        let address = hosts.coordinator.address
        let listener: any RemoteCoordinatorEndpoint
        do {
            listener = try await transport.coordinator(
                address: address, port: hosts.coordinator.port ?? 0, backlog: 64, participants: remote,
                handshakeTimeout: handshakeTimeout)
        } catch {
            for p in remote { end(p, "\(p) was not started: the coordinator cannot listen on \(address): \(error)") }
            return
        }
        let already: Bool = state.withLock { s in
            if !s.closed { s.listener = listener }
            return s.closed
        }
        if already { await listener.close(); return }
        for p in remote { launch(p, creds: listener, port: listener.port) }
        while let stream = try? await listener.accept() {
            let source = stream.peer?.host ?? "?"
            let (id, evicted): (Int, ((any RemoteIncoming), RemotePending.Eviction)?) = state.withLock { s in
                let (id, out) = s.pending.add(source)
                s.pendingStreams[id] = stream
                guard let (entry, why) = out, let victim = s.pendingStreams.removeValue(forKey: entry.id) else { return (id, nil) }
                return (id, (victim, why))
            }
            if let (victim, why) = evicted {
                // Closed before it is recorded: whoever sees the record finds the connection closed.
                await victim.close()
                record(victim.peer, .unauthenticated, why.reason)
            }
            Task { await self.admit(stream, pendingID: id, creds: listener) }
        }
    }

    // MARK: launching

    private func launch(_ p: ParticipantID, creds: any RemoteCoordinatorEndpoint, port: Int) {
        guard let host = placement[p] else { return }
        let bundle: String
        do {
            guard let b = try creds.bundle(for: p) else { return }
            bundle = b
        } catch {
            end(p, "\(p) was not started: cannot encode its credentials: \(error)")
            return
        }
        let path = dir + "/remote-\(p.role)-\(p.index).pem"
        guard FileManager.default.createFile(atPath: path, contents: Data(bundle.utf8), attributes: [.posixPermissions: 0o600]) else {
            end(p, "\(p) was not started: cannot write its credentials to \(path)")
            return
        }
        let address = hosts.coordinator.address
        let connect = (address.contains(":") ? "[\(address)]" : address) + ":\(port)"
        let binary = host.binary ?? ExecutablePath.current() ?? CommandLine.arguments[0]
        switch host.launcher {
        case .local:
            return  // not placed (HostsFile.placement skips local hosts)
        case .external:
            let argv = [binary, RemoteParticipantMain.command, "--connect", connect, "--bundle", path]
            let command = argv.map(Self.shellQuote).joined(separator: " ")
            FileHandle.standardError.write(Data("assay: start \(p) on host \(host.name) (\(host.address)): \(command)\n".utf8))
            if let file = hosts.commands {
                let line: JSONValue = .object([
                    "participant": .string(p.description), "host": .string(host.name),
                    "address": .string(host.address), "argv": .array(argv.map { .string($0) }),
                    "command": .string(command),
                ])
                Self.append(line, to: file)
            }
        case .ssh:
            let remoteCommand = [binary, RemoteParticipantMain.command, "--connect", connect, "--bundle", "-"]
                .map(Self.shellQuote).joined(separator: " ")
            let argv =
                [
                    "/bin/sh", "-c", "f=$1; shift; exec \"$@\" < \"$f\"", "assay-ssh", path,
                    "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                ] + (host.ssh ?? [host.address]) + [remoteCommand]
            do { try hooks.spawn(p, argv) } catch {
                end(p, "\(p) was not started on host \(host.name): \(error)")
            }
        }
    }

    static func shellQuote(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-:=[],@+".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func append(_ line: JSONValue, to file: String) {
        guard var data = try? JSONEncoder().encode(line) else { return }
        data.append(0x0A)
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { return }
        _ = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
    }

    // MARK: admission

    /// Who is placed at `address` (for messages about a connection nobody authenticated).
    private func describe(_ address: String?) -> (text: String, participants: [ParticipantID]) {
        guard let address else { return ("an unknown address", []) }
        let names = Set(hosts.hosts.filter { $0.address == address }.map(\.name))
        let ps = remote.filter { names.contains(placement[$0]!.name) }
        if names.isEmpty { return ("\(address) (no host of the hosts file)", []) }
        return ("\(address) (host \(names.sorted().joined(separator: "/")): \(ps.map(\.description).joined(separator: ", ")))", ps)
    }

    /// Records a refused connection: the case's results (hooks.refused) and a line on stderr.
    /// `peer`: where the connection came from, taken when it was accepted.
    private func record(_ peer: RemotePeer?, _ stage: RemoteRefusal.Stage, _ reason: String) {
        let r = RemoteRefusal(from: peer?.description ?? "?", host: describe(peer?.host).text, stage: stage, reason: reason)
        let listed: Bool = state.withLock { s in
            guard s.refusals.count < Self.listedRefusals else {
                s.unlisted += 1
                return false
            }
            s.refusals.append(r)
            return true
        }
        guard listed else { return }
        let effect = r.failsCase ? "the case fails" : "unauthenticated, it fails nothing"
        FileHandle.standardError.write(Data("assay: refused a connection from \(r.from) (\(r.host)): \(reason) (\(effect))\n".utf8))
        hooks.refused(r)
    }

    private func admit(_ stream: any RemoteIncoming, pendingID: Int, creds: any RemoteCoordinatorEndpoint) async {
        let address = stream.peer
        let from = describe(address?.host)
        /// Leaves the pool of pending connections: false if it was closed to make room (and recorded then).
        func leavePending() -> Bool {
            state.withLock { s in
                s.pendingStreams[pendingID] = nil
                return s.pending.remove(pendingID)
            }
        }
        /// Before authentication: recorded, nobody fails.
        func noise(_ why: String) async {
            let mine = leavePending()
            await stream.close()
            if mine { record(address, .unauthenticated, why) }
        }
        /// After authentication as a participant of this case: recorded, and the case fails.
        func refuse(_ why: String, participant: ParticipantID?) async {
            await stream.close()
            record(address, .authenticated, why)
            hooks.failed(participant, "refused a remote participant connection from \(from.text): \(why)")
        }
        let p: ParticipantID
        do { p = try await stream.authenticate() } catch {
            await noise("\(error)")  // the transport's words: which handshake or identity failed
            return
        }
        guard leavePending() else {
            await stream.close()
            return
        }
        let join: RemoteJoin
        do {
            join = try JSONDecoder().decode(RemoteJoin.self, from: Data(try await RemoteLine.read(stream, limit: 65_536, timeout: .seconds(15))))
        } catch {
            await refuse("\(p) sent no valid join line: \(error)", participant: p)
            return
        }
        guard creds.tokenMatches(join.token) else {
            try? await RemoteLine.write(RemoteAdmission(refused: "wrong token"), to: stream)
            await refuse("\(p) presented the wrong token", participant: p)
            return
        }
        let fromText = address?.description ?? "?"
        let (fresh, before, over): (Bool, Link?, Bool) = state.withLock { s in
            let before = s.links[p]
            guard case .waiting? = before, !s.closed else { return (false, before, s.closed) }
            s.links[p] = .joined(from: fromText)
            s.streams[p] = stream
            return (true, before, s.closed)
        }
        guard fresh, let request = requests[p] else {
            let why: String
            switch before {
            case .joined(let f)?: why = "\(p) has joined already (from \(f)): a second join with its certificate and token"
            case .ended?: why = "\(p) has ended already: a join with its certificate and token"
            default: why = over ? "\(p) tried to join after the case ended" : "\(p) has no request"
            }
            try? await RemoteLine.write(RemoteAdmission(refused: why), to: stream)
            if over {
                await stream.close()
                record(address, .authenticated, why)
            } else {
                await refuse(why, participant: nil)
            }
            return
        }
        let local: any RemoteStream
        do {
            try await RemoteLine.write(RemoteAdmission(request: request), to: stream)
            local = try await transport.connect(unixPath: socketPath, timeout: .seconds(10))
        } catch {
            await stream.close()
            linkEnded(p, "\(p) on host \(placement[p]!.name) lost its link while joining: \(error)")
            return
        }
        state.withLock { $0.onJoin }?(p, fromText)
        let relay = RemoteRelay(remote: stream, local: local, heartbeat: 1, silence: silence)
        switch await relay.run() {
        case .silent(let s):
            linkEnded(
                p, "\(p) on host \(placement[p]!.name) (\(fromText)) went silent: no byte, not even a heartbeat, for \(CoordinationHub.format(s)) s",
                how: .silent)
        case .closed(let why):
            linkEnded(p, "\(p) on host \(placement[p]!.name) (\(fromText)) crashed: its link closed before it reported done (\(why))", how: .crashed)
        case .localClosed:
            linkEnded(p, "\(p) on host \(placement[p]!.name) (\(fromText)): the coordinator closed its link")
        }
    }

    /// How a participant's link ended.
    private enum LinkEnd {
        /// The harness ended it (could not join, the coordinator closed it): the participant failed.
        case failed
        /// No byte for the silence limit: failed, and a local stand-in process is stopped.
        case silent
        /// Its link closed under it before `done`: it crashed.
        case crashed
    }

    private func linkEnded(_ p: ParticipantID, _ failure: String, how: LinkEnd = .failed) {
        if placement[p]?.launcher == .external {
            end(p, failure, crashed: how == .crashed)
        } else if how == .silent {
            hooks.failed(p, failure)
        }
    }

    /// Ends an external participant once.
    private func end(_ p: ParticipantID, _ failure: String, crashed: Bool = false) {
        guard placement[p]?.launcher == .external else { hooks.failed(p, failure); return }
        let first: Bool = state.withLock { s in
            if case .ended? = s.links[p] { return false }
            s.links[p] = .ended
            return true
        }
        if first { hooks.ended(p, failure, crashed) }
    }

    /// Cuts `p`'s link (forceStop); a waiting external participant ends now.
    func stop(_ p: ParticipantID) {
        let (stream, waiting): ((any RemoteStream)?, Bool) = state.withLock { s in
            if case .waiting? = s.links[p] { return (nil, true) }
            return (s.streams[p], false)
        }
        if waiting { end(p, "\(p) on host \(placement[p]?.name ?? "?") never connected") }
        if let stream { Task { await stream.close() } }
    }

    func close() {
        let (l, all): ((any RemoteCoordinatorEndpoint)?, [any RemoteStream]) = state.withLock { s in
            s.closed = true
            defer { s.listener = nil }
            return (s.listener, Array(s.streams.values))
        }
        Task {
            await l?.close()
            for s in all { await s.close() }
        }
    }
}
