import Foundation
import Synchronization
import JSec
import Testing

@testable import Assay
@testable import AssayRemoteTLS

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 21, item 3: whoever can reach the remote coordinator's port must not be able to stop a run.
/// Connections that never authenticate (TCP connect-and-close, TLS without a certificate, half-open,
/// an idle flood, handshake timeouts) are recorded and fail nothing, and the real participant still
/// joins; a replayed join (valid certificate and token) is recorded and fails the case
/// (docs/distributed.md, "Trust model of the coordinator channel").
///
/// Nothing here races the wall clock: every step waits (up to minutes) for the gate's own records and
/// counts, blocking socket calls run on their own threads, and the handshake timeout is 300 s except in
/// the test of handshake timeouts.
@Suite("remote coordinator: unauthenticated connections cannot stop a run")
struct RemoteGateAttackTests {
    /// What the gate told the case.
    final class HookLog: Sendable {
        private let log = Mutex<(failures: [String], refused: [RemoteRefusal])>(([], []))
        var failures: [String] { log.withLock { $0.failures } }
        var refused: [RemoteRefusal] { log.withLock { $0.refused } }
        var hooks: RemoteGateHooks {
            RemoteGateHooks(
                spawn: { _, _ in },
                ended: { [self] p, f, _ in log.withLock { $0.failures.append("ended \(p): \(f)") } },
                failed: { [self] p, m in log.withLock { $0.failures.append("failed \(p.map(\.description) ?? "(the case)"): \(m)") } },
                refused: { [self] r in log.withLock { $0.refused.append(r) } })
        }
    }

    /// A gate for one remote participant, client-host[0] on host x at 127.0.0.1 (external launcher), the
    /// coordinator's Unix socket served here, the port it listens on and the participant's bundle.
    struct Gate {
        let p = ParticipantID(role: "client-host", index: 0)
        let dir: String
        let gate: RemoteGate
        let log = HookLog()
        let port: Int
        let bundle: ParticipantBundle
        let local: any RemoteLocalListener
        static let transport = TLSRemoteTransport()

        init(handshakeTimeout: Duration) async throws {
            dir = NSTemporaryDirectory() + "assay-attack-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            local = try await Self.transport.listen(unixPath: dir + "/c.sock", backlog: 8)
            let hosts = HostsFile(
                coordinator: .init(address: "127.0.0.1", port: 0),
                hosts: [.init(name: "x", address: "127.0.0.1", launcher: .external, binary: "/bin/true", ssh: nil)],
                roles: ["client-host": ["x"]], commands: dir + "/commands", silenceTimeout: 600)
            let request = ParticipantRequest(
                suiteIndex: 0, suiteName: "s", testIndex: 0, comboIndex: 0, coordination: [], matricesDirectory: nil,
                role: p.role, index: p.index, socketPath: dir + "/c.sock", scratch: dir, id: "attack")
            gate = RemoteGate(
                hosts: hosts, placement: hosts.placement([p]), requests: [p: request], socketPath: dir + "/c.sock", dir: dir,
                waitScale: 1, hooks: log.hooks, transport: Self.transport, handshakeTimeout: handshakeTimeout)
            gate.start()
            // The external launcher writes the participant's command (port and bundle) to `commands`.
            var command: String?
            for _ in 0..<2400 where command == nil {
                command = try? String(contentsOfFile: dir + "/commands", encoding: .utf8)
                if command == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let text = try #require(command, "the gate wrote no command")
            let c = try #require(text.range(of: #"--connect 127\.0\.0\.1:\d+"#, options: .regularExpression))
            port = try #require(Int(text[c].split(separator: ":").last!))
            let line = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let argv = try #require(line["argv"] as? [String])
            let path = argv[try #require(argv.firstIndex(of: "--bundle")) + 1]
            bundle = try ParticipantBundle(text: try String(contentsOfFile: path, encoding: .utf8))
        }

        func close() async {
            gate.close()
            await local.close()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// Joins as the participant with its bundle, as `runner participant` does; the link and the admission.
        func join() async throws -> (any RemoteStream, RemoteAdmission) {
            let stream = try await bundle.connect(host: "127.0.0.1", port: port, timeout: .seconds(60))
            try await RemoteLine.write(RemoteJoin(token: bundle.token ?? ""), to: stream)
            let line = try await RemoteLine.read(stream, limit: 1 << 20, timeout: .seconds(120))
            return (stream, try JSONDecoder().decode(RemoteAdmission.self, from: Data(line)))
        }

        /// Joins and takes the relayed link on the coordinator's socket.
        func joinAndRelay() async throws -> (remote: any RemoteStream, local: any RemoteStream) {
            let (link, admission) = try await join()
            try #require(admission.request != nil, "the participant is admitted: \(admission.refused ?? "")")
            let relayed = try await local.accept(timeout: .seconds(120))
            return (link, relayed)
        }

        /// Waits (up to 120 s) until `done` holds.
        func wait(_ what: String, _ done: () -> Bool) async throws {
            for _ in 0..<4800 where !done() { try await Task.sleep(for: .milliseconds(25)) }
            try #require(done(), "waited 120 s for \(what); refused: \(gate.refusedConnections.map(\.reason)); failures: \(log.failures)")
        }
    }

    /// A blocking TCP connection from `source` (any 127.0.0.0/8 address is this machine) to 127.0.0.1:port.
    static func connect(_ port: Int, from source: String = "127.0.0.1") throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        func address(_ a: String, _ port: Int) -> sockaddr_in {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr(a)
            return addr
        }
        var local = address(source, 0)
        let b = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(b == 0, "bind \(source): \(String(cString: strerror(errno)))")
        var remote = address("127.0.0.1", port)
        let rc = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(rc == 0, "connect: \(String(cString: strerror(errno)))")
        return fd
    }

    @Test("connect-and-close, no certificate, half-open and an idle flood are recorded; the participant joins and nothing fails")
    func unauthenticatedNoise() async throws {
        let g = try await Gate(handshakeTimeout: .seconds(300))
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        do {
            // 1. TCP connect and close.
            Glibc.close(try Self.connect(g.port))
            try await g.wait("the connect-and-close to be recorded") { g.gate.refusedConnections.count == 1 }

            // 2. TLS 1.3 without a client certificate (it trusts the run's CA, so only its missing certificate fails).
            var c = TLSConfiguration.client(trustRoots: .certificates([g.bundle.ca]))
            c.minimumVersion = .tls1_3
            c.maximumVersion = .tls1_3
            c.handshakeTimeout = .seconds(120)
            if let s = try? await TLS.connect(host: "127.0.0.1", port: g.port, context: try TLSContext(c), timeout: .seconds(120)) {
                _ = try? await s.read(max: 1, timeout: .seconds(120))  // TLS 1.3: the refusal arrives after the client's Finished
                await s.close()
            }
            try await g.wait("the connection without a certificate to be recorded") { g.gate.refusedConnections.count == 2 }

            // 3. Half-open: a record header promising a ClientHello, then FIN; the read side stays open.
            let half = try Self.connect(g.port)
            held.append(half)
            let header: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00]
            #expect(write(half, header, header.count) == header.count)
            shutdown(half, Int32(SHUT_WR))
            try await g.wait("the half-open connection to be recorded") { g.gate.refusedConnections.count == 3 }

            // 4. Idle flood: 4 connections from each of 127.0.0.1, .2, .3 (one more than the 3 = 1 + 2 allowed per
            // address: each address's oldest is closed), then .4 fills the 10 = 2 × 1 + 8 places and .5 arrives.
            var first: [String: Int32] = [:]
            for source in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
                for i in 0..<4 {
                    // Each counted before the next: "oldest" is the order in which the gate took them in.
                    let refused = g.gate.refusedConnections.count
                    let fd = try Self.connect(g.port, from: source)
                    held.append(fd)
                    if i == 0 { first[source] = fd }
                    try await g.wait("connection \(i + 1) from \(source) to be taken in") {
                        i < 3 ? g.gate.heldConnections(from: source) == i + 1 : g.gate.refusedConnections.count == refused + 1
                    }
                }
            }
            try await g.wait("one connection closed per address") { g.gate.refusedConnections.count == 6 }
            #expect(g.gate.heldConnections == 9)
            held.append(try Self.connect(g.port, from: "127.0.0.4"))
            try await g.wait("the tenth place to be taken") { g.gate.heldConnections == 10 }
            held.append(try Self.connect(g.port, from: "127.0.0.5"))
            try await g.wait("the oldest connection of a fullest address to make room") { g.gate.refusedConnections.count == 7 }
            #expect(g.gate.heldConnections == 10, "never more than 10 unauthenticated connections")
            #expect(g.gate.heldConnections(from: "127.0.0.5") == 1)
            let closedFirst = first["127.0.0.2"]!
            #expect(await RemoteGateBoundTests.offPool { RemoteGateBoundTests.state(closedFirst) } == "closed", "the oldest from 127.0.0.2 was closed")
            let last = held.last!
            #expect(await RemoteGateBoundTests.offPool { RemoteGateBoundTests.state(last) } == "open", "the newest stays")

            // 5. The real participant joins through all of it (all places are taken: the oldest connection of an
            // address holding the most makes room).
            let (link, relayed) = try await g.joinAndRelay()
            defer {
                Task {
                    await link.close(); await relayed.close()
                }
            }
            #expect(g.gate.connectedFrom(g.p)?.hasPrefix("127.0.0.1:") == true)
            #expect(g.gate.heldConnections == 9, "an authenticated participant holds no unauthenticated place")
            // Its link is relayed: the coordinator's heartbeat arrives.
            #expect(try await link.read(max: 1, timeout: .seconds(120)) != nil)

            // Every refused connection is recorded, as noise; nothing failed.
            let refused = g.gate.refusedConnections
            #expect(refused.count == 8, "\(refused.map(\.reason))")
            #expect(g.log.refused == refused, "each record went to the case's results")
            #expect(refused.allSatisfy { $0.stage == .unauthenticated && !$0.failsCase })
            #expect(refused.prefix(3).allSatisfy { $0.reason.hasPrefix("TLS handshake failed") && $0.from.hasPrefix("127.0.0.1:") })
            func sources(_ kind: String) -> [Substring] { refused.filter { $0.reason.contains(kind) }.map { $0.from.split(separator: ":")[0] } }
            #expect(sources("from its address were pending") == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
            // .5 pushed out the oldest of .1 (3 pending, as .2 and .3); the participant then found all places taken
            // and pushed out the oldest of .2 (3 pending, more than .1's 2).
            #expect(sources("all places taken") == ["127.0.0.1", "127.0.0.2"])
            #expect(refused.allSatisfy { $0.host.isEmpty == false })
            #expect(g.log.failures.isEmpty, "unauthenticated connections fail nothing: \(g.log.failures)")
        } catch {
            await g.close()
            throw error
        }
        await g.close()
    }

    @Test("handshake timeouts of half-open connections while the participant runs are recorded and do not cut it short")
    func handshakeTimeoutsDoNotCutTheRunShort() async throws {
        // The one test where the handshake timeout is what is tested: 3 s. The participant joins first (retrying if a
        // loaded machine made its own handshake miss the 3 s: that is noise too, and recorded).
        let g = try await Gate(handshakeTimeout: .seconds(3))
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        do {
            var joined: (remote: any RemoteStream, local: any RemoteStream)?
            for _ in 0..<10 where joined == nil { joined = try? await g.joinAndRelay() }
            let (link, relayed) = try #require(joined, "the participant joins")
            defer {
                Task {
                    await link.close(); await relayed.close()
                }
            }
            let before = g.gate.refusedConnections.count
            for i in 2...6 { held.append(try Self.connect(g.port, from: "127.0.0.\(i)")) }  // connect, then nothing
            try await g.wait("five handshake timeouts to be recorded") { g.gate.refusedConnections.count == before + 5 }
            let timedOut = g.gate.refusedConnections.dropFirst(before)
            #expect(timedOut.allSatisfy { $0.stage == .unauthenticated && $0.reason.hasPrefix("TLS handshake failed") }, "\(timedOut.map(\.reason))")
            #expect(g.log.failures.isEmpty, "nothing failed: \(g.log.failures)")
            // The participant's link still carries the coordinator's heartbeats.
            #expect(g.gate.connectedFrom(g.p) != nil)
            #expect(try await link.read(max: 1, timeout: .seconds(120)) != nil)
        } catch {
            await g.close()
            throw error
        }
        await g.close()
    }

    @Test("a replayed join (the participant's certificate and token, after it joined) is refused, recorded, and fails the case")
    func replayedJoinFailsTheCase() async throws {
        let g = try await Gate(handshakeTimeout: .seconds(300))
        do {
            let (link, relayed) = try await g.joinAndRelay()
            defer {
                Task {
                    await link.close(); await relayed.close()
                }
            }
            let (replay, admission) = try await g.join()
            await replay.close()
            #expect(admission.request == nil)
            #expect(admission.refused?.contains("has joined already") == true, "\(admission.refused ?? "admitted")")
            try await g.wait("the replay to fail the case") { !g.log.failures.isEmpty }
            #expect(g.log.failures.count == 1)
            #expect(
                g.log.failures.first?.hasPrefix(
                    "failed (the case): refused a remote participant connection from 127.0.0.1 (host x: client-host[0]): client-host[0] has joined already")
                    == true, "\(g.log.failures)")
            let refused = g.gate.refusedConnections
            #expect(refused.count == 1 && refused.first?.stage == .authenticated && refused.first?.failsCase == true, "\(refused)")
            #expect(g.log.refused == refused)
            #expect(g.gate.connectedFrom(g.p) != nil, "the first join stands")
        } catch {
            await g.close()
            throw error
        }
        await g.close()
    }
}
