import AssayRemoteTLS
import Foundation
import Testing

@testable import Assay

#if canImport(Glibc)
    import Glibc
#endif

/// The remote coordinator holds at most `2 × remote participants + 8` connections that have not
/// authenticated yet, and `remote participants + 2` from one address (docs/distributed.md). A new
/// connection is always taken in; the oldest of its address (at its bound), else the oldest of the
/// address holding the most (all places taken), is closed to make room. Without the bound, anyone who
/// can reach the port could hold a handshake slot (15 s each) per connection without limit; with a
/// bound that closes newcomers instead, they could keep the real participant out.
@Suite("remote coordinator: bound on unauthenticated connections")
struct RemoteGateBoundTests {
    /// A blocking TCP connection to 127.0.0.1:port with a receive timeout; the descriptor.
    static func connect(_ port: Int, timeout: Int = 2) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(rc == 0, "connect: \(String(cString: strerror(errno)))")
        return fd
    }

    /// Runs a blocking call on its own thread, so that it does not hold one of the cooperative pool's threads
    /// (two on this machine) that the gate under test needs.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in Thread { c.resume(returning: body()) }.start() }
    }

    /// What a read sees within the receive timeout: "closed" (EOF or reset), "open" (timed out), or "data".
    static func state(_ fd: Int32) -> String {
        var byte: UInt8 = 0
        let n = read(fd, &byte, 1)
        if n > 0 { return "data" }
        if n == 0 || errno == ECONNRESET { return "closed" }
        return errno == EAGAIN || errno == EWOULDBLOCK ? "open" : "error \(errno)"
    }

    @Test("RemotePending: a full address makes room with its own oldest, a full pool with the oldest of the fullest address")
    func pendingEviction() {
        var pool = RemotePending(limit: 5, perSource: 2)
        #expect(pool.add("a").evicted == nil)
        #expect(pool.add("a").evicted == nil)
        let third = pool.add("a")  // a is at 2: its oldest (1) goes
        #expect(third.evicted?.0 == RemotePending.Entry(id: 1, source: "a") && third.evicted?.1 == .perSource(2))
        #expect(pool.add("b").evicted == nil)
        #expect(pool.add("c").evicted == nil)
        #expect(pool.add("d").evicted == nil)
        #expect(pool.count == 5)
        let sixth = pool.add("e")  // full: a holds the most (2), its oldest (2) goes
        #expect(sixth.evicted?.0 == RemotePending.Entry(id: 2, source: "a") && sixth.evicted?.1 == .full(5))
        let seventh = pool.add("f")  // full, every address holds 1: the oldest (3, a) goes
        #expect(seventh.evicted?.0 == RemotePending.Entry(id: 3, source: "a"))
        #expect(pool.count == 5 && pool.count(from: "a") == 0)
        #expect(pool.remove(4) && !pool.remove(4) && !pool.remove(1))
        #expect(pool.count == 4)
    }

    @Test("with one remote participant: the 4th connection from one address closes its oldest; the 11th overall the oldest of the fullest address")
    func boundsMakeRoom() async throws {
        let dir = NSTemporaryDirectory() + "assay-gate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = ParticipantID(role: "client-host", index: 0)
        let hosts = HostsFile(
            coordinator: .init(address: "127.0.0.1", port: 0),
            hosts: [.init(name: "a", address: "127.0.0.1", launcher: .external, binary: "/bin/true", ssh: nil)],
            roles: ["client-host": ["a"]], commands: dir + "/commands", silenceTimeout: 60)
        let gate = RemoteGate(
            hosts: hosts, placement: hosts.placement([p]), requests: [:], socketPath: dir + "/c.sock", dir: dir, waitScale: 1,
            hooks: RemoteGateHooks(spawn: { _, _ in }, ended: { _, _, _ in }, failed: { _, _ in }), transport: TLSRemoteTransport(),
            // Longer than any stall of a loaded machine, so that the held connections are not closed by their
            // handshake timeout (the bound, not a timeout, is under test).
            handshakeTimeout: .seconds(300))
        gate.start()
        defer { gate.close() }
        // The external launcher writes the participant's command, with the coordinator's port, to `commands`.
        var port: Int?
        for _ in 0..<2400 where port == nil {
            if let text = try? String(contentsOfFile: dir + "/commands", encoding: .utf8),
                let r = text.range(of: #"--connect 127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            {
                port = Int(text[r].split(separator: ":").last!)
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let listening = try #require(port, "the gate wrote no command")
        // The gate runs on the cooperative pool, which other tests' blocking work can hold for seconds on a loaded
        // 2-core machine: wait for its counts (up to 60 s) without a wall-clock race, then look at the sockets.
        func wait(_ what: String, _ done: () -> Bool) async throws {
            for _ in 0..<2400 where !done() { try await Task.sleep(for: .milliseconds(25)) }
            try #require(done(), "waited for \(what): \(gate.heldConnections) held, \(gate.refusedConnections.count) refused")
        }
        var held: [String: [Int32]] = [:]
        defer { for fd in held.values.joined() { close(fd) } }
        // One at a time, each counted before the next: the listener may hand over connections that arrive
        // together in another order than they connected, and "oldest" is the gate's order.
        func open(_ source: String) async throws {
            let (total, before) = (gate.heldConnections + gate.refusedConnections.count, gate.heldConnections(from: source))
            held[source, default: []].append(try RemoteGateAttackTests.connect(listening, from: source))
            try await wait("a connection from \(source) to be taken in") {
                gate.heldConnections + gate.refusedConnections.count == total + 1 && gate.heldConnections(from: source) >= min(before + 1, 3)
            }
        }
        for _ in 0..<3 { try await open("127.0.0.1") }
        try await wait("3 connections from 127.0.0.1") { gate.heldConnections(from: "127.0.0.1") == 3 }
        try await open("127.0.0.1")
        try await wait("the 4th from 127.0.0.1 to close its oldest") { gate.refusedConnections.count == 1 }
        #expect(gate.heldConnections(from: "127.0.0.1") == 3)
        let (oldest, newest) = (held["127.0.0.1"]![0], held["127.0.0.1"]![3])
        let oldestState = await Self.offPool { Self.state(oldest) }
        #expect(oldestState == "closed", "the oldest from 127.0.0.1 is closed")
        #expect(await Self.offPool { Self.state(newest) } == "open", "the newest stays")
        for source in ["127.0.0.2", "127.0.0.3"] { for _ in 0..<3 { try await open(source) } }
        try await open("127.0.0.4")
        try await wait("all 10 places to be taken") { gate.heldConnections == 10 }
        try await open("127.0.0.5")
        try await wait("the 11th to make room") { gate.refusedConnections.count == 2 }
        #expect(gate.heldConnections == 10, "never more than 2 × 1 + 8")
        #expect(gate.refusedConnections.last?.reason.contains("all places taken") == true)
        // 127.0.0.1, .2 and .3 hold 3 each: the oldest of them (the second from 127.0.0.1) made room.
        let second = held["127.0.0.1"]![1]
        #expect(await Self.offPool { Self.state(second) } == "closed")
        #expect(gate.heldConnections(from: "127.0.0.1") == 2 && gate.heldConnections(from: "127.0.0.5") == 1)
    }
}
