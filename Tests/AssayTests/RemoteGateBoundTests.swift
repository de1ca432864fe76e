import Foundation
import Testing
@testable import Assay

#if canImport(Glibc)
    import Glibc
#endif

/// The remote coordinator holds at most `2 × remote participants + 8` connections that have not
/// authenticated yet; one more is closed on arrival (docs/distributed.md). Without the bound, anyone
/// who can reach the port could hold a handshake slot (15 s each) per connection without limit.
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

    @Test("with one remote participant, 10 connections are held and the 11th is closed on arrival")
    func eleventhConnectionIsClosed() async throws {
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
            hooks: RemoteGateHooks(spawn: { _, _ in }, ended: { _, _, _ in }, failed: { _, _ in }),
            // Longer than any stall of a loaded machine, so that the ten held connections are not closed by their
            // handshake timeout before the eleventh arrives (the bound, not a timeout, is under test).
            handshakeTimeout: .seconds(300))
        gate.start()
        defer { gate.close() }
        // The external launcher writes the participant's command, with the coordinator's port, to `commands`.
        var port: Int?
        for _ in 0..<200 where port == nil {
            if let text = try? String(contentsOfFile: dir + "/commands", encoding: .utf8),
                let r = text.range(of: #"--connect 127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            {
                port = Int(text[r].split(separator: ":").last!)
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let listening = try #require(port, "the gate wrote no command")
        let limit = 2 * 1 + 8
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<limit { held.append(try Self.connect(listening)) }
        // Wait until the gate has accepted and counted all of them (a loaded machine may take a while): the next
        // connection is then the one over the bound, not one of the first ten accepted late.
        for _ in 0..<2400 where gate.heldConnections < limit { try await Task.sleep(for: .milliseconds(25)) }
        try #require(gate.heldConnections == limit, "the gate holds \(gate.heldConnections) of \(limit) connections")
        // The gate runs on the cooperative pool, which other tests' blocking work can hold for seconds on a loaded
        // 2-core machine: wait for its verdict (counted) without a wall-clock race, then look at the socket. Without
        // the bound the count never moves and the connection is open until the handshake timeout.
        let extra = try Self.connect(listening, timeout: 1)
        held.append(extra)
        for _ in 0..<2400 where gate.turnedAwayConnections == 0 { try await Task.sleep(for: .milliseconds(25)) }
        #expect(gate.turnedAwayConnections == 1, "connection \(limit + 1) must be turned away")
        #expect(await Self.offPool { Self.state(extra) } == "closed", "connection \(limit + 1) must be closed on arrival")
        let first = held[0]
        #expect(await Self.offPool { Self.state(first) } == "open", "the first \(limit) stay (their handshakes have 300 s here)")
    }
}
