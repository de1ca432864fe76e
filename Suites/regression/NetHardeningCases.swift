import Foundation
import JSec
import NIOCore
import NIOPosix
#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12: cancellation, the one async queue, self-closing objects, port validation.
package enum NetHardening {
    static let pki = TestPKI.shared

    // MARK: - The waiting calls built on the one queue (accept, DTLS accept, DTLS read)

    /// One of the calls that wait on the shared queue, with a way to make its next item arrive.
    struct WaitingCall: Sendable {
        let wait: @Sendable (Duration?) async throws -> Void
        let produce: @Sendable () async throws -> Void
        let close: @Sendable () async -> Void
    }

    static func waitingCall(_ kind: String) async throws -> WaitingCall {
        let held = SharedLock<[NetStream]>([])
        switch kind {
        case "accept", "tls-accept":
            let tls = kind == "tls-accept"
            let listener =
                tls
                ? try await TLS.listen(port: 0, context: TLSContext(pki.serverConfiguration()))
                : try await NetListener.listen(port: 0)
            let port = listener.port!
            return WaitingCall(
                wait: { t in _ = try await listener.accept(timeout: t) },
                produce: {
                    let c =
                        tls
                        ? try await TLS.connect(
                            host: "127.0.0.1", port: port, serverName: "localhost",
                            context: TLSContext(pki.clientConfiguration()))
                        : try await NetStream.connect(host: "127.0.0.1", port: port)
                    held.withLock { $0.append(c) }
                },
                close: {
                    for c in held.withLock({ $0 }) { await c.close() }
                    await listener.close()
                })
        case "dtls-accept":
            let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
            let clients = SharedLock<[DTLSConnection]>([])
            return WaitingCall(
                wait: { t in _ = try await server.accept(timeout: t) },
                produce: {
                    let c = try await DTLS.connect(host: "127.0.0.1", port: server.port!, context: DTLSBehaviour.clientContext())
                    clients.withLock { $0.append(c) }
                },
                close: {
                    for c in clients.withLock({ $0 }) { await c.close() }
                    await server.close()
                })
        case "dtls-read":
            let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
            let (c, s) = try await DTLSSecurity.pair(server: server, context: DTLSBehaviour.clientContext())
            return WaitingCall(
                wait: { t in _ = try await s.read(timeout: t) },
                produce: { try await c.write("next") },
                close: {
                    await c.close(); await s.close(); await server.close()
                })
        default:
            throw CheckFailure(message: "unknown waiting call \(kind)", file: #fileID, line: #line)
        }
    }

    /// The queue's contract, through each of its users: a timeout; a refused second call that leaves the first
    /// call's timeout in place; cancellation while waiting and before the call; nothing lost afterwards.
    package static func queueContract(_ kind: String) async throws {
        let call = try await waitingCall(kind)
        do {
            try await checkThrowsJSec(.timeout, "\(kind) with a 200 ms timeout") { try await call.wait(.milliseconds(200)) }

            let first = Launched { try await call.wait(.milliseconds(800)) }
            try await Task.sleep(for: .milliseconds(150))
            try await checkThrowsJSec(.usage, "a second \(kind) while one waits") { try await call.wait(nil) }
            switch try await first.outcome("the first \(kind) (800 ms timeout) after a second one was refused") {
            case .success: throw CheckFailure(message: "the first \(kind) returned without an item", file: #fileID, line: #line)
            case .failure(let e): try check((e as? JSecError)?.category == .timeout, "the first \(kind) ends with its timeout, got \(e)")
            }

            try await checkCancelledWhileWaiting("\(kind) without a timeout") { try await call.wait(nil) }
            try await checkCancelledWhileWaiting("\(kind) with a long timeout") { try await call.wait(.seconds(60)) }
            try await checkCancelledBeforeStart(kind) { try await call.wait(nil) }

            // Nothing was lost or consumed by the calls that gave up: the next item goes to the next call.
            try await call.produce()
            try await call.wait(.seconds(10))
        } catch {
            await call.close()
            throw error
        }
        await call.close()
    }

    // MARK: - Streams

    /// read, chunk, write and shutdown of a stream honour cancellation and leave the stream usable, bytes intact.
    package static func streamCancellation(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            let server = pair.server, client = pair.client
            try await checkCancelledWhileWaiting("read") { try await server.read(max: 100) }
            try await client.write("abc")
            try checkEqual(try await server.read(max: 100, timeout: .seconds(10)), Array("abc".utf8), "the read after a cancelled read")

            try await client.write("12345")
            try await checkCancelledWhileWaiting("chunk(10) with 5 bytes there") { try await server.chunk(10) }
            try await client.write("67890")
            try checkEqual(try await server.chunk(10, timeout: .seconds(10)), Array("1234567890".utf8), "bytes a cancelled chunk saw are kept")

            try await client.write("xyz")
            try await Task.sleep(for: .milliseconds(100))
            try await checkCancelledBeforeStart("read with bytes buffered") { try await server.read(max: 10) }
            try checkEqual(try await server.read(max: 10, timeout: .seconds(10)), Array("xyz".utf8), "buffered bytes after a cancelled read")

            try await checkCancelledBeforeStart("write") { try await client.write("never") }
            try await checkCancelledBeforeStart("shutdown") { try await client.shutdown() }
            try await client.write("still open")
            try checkEqual(try await server.chunk(10, timeout: .seconds(10)), Array("still open".utf8), "the stream after cancelled calls")

            // A write blocked by a peer that does not read (socket buffers full) gives up on cancellation.
            let block = [UInt8](repeating: 7, count: 1 << 20)
            try await checkCancelledWhileWaiting("write to a peer that does not read", settle: .milliseconds(400)) {
                while true { try await client.write(block) }
            }
        }
    }

    /// A TCP connect that cannot complete (the server's accept queue is full, so its SYNs are dropped) ends on cancellation.
    package static func connectCancellation() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try check(fd >= 0, "socket()")
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 0) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        try check(bound, "bind/listen a socket that never accepts")
        // Fill its accept queue with connections nobody accepts.
        var fillers: [Int32] = []
        defer { for f in fillers { close(f) } }
        for _ in 0..<4 {
            let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, len) } }
            fillers.append(c)
        }
        try await Task.sleep(for: .milliseconds(100))
        let port = Int(UInt16(bigEndian: addr.sin_port))
        try await checkCancelledWhileWaiting("connect to a full accept queue", settle: .milliseconds(300), within: .seconds(5)) {
            try await NetStream.connect(host: "127.0.0.1", port: port)
        }
    }

    /// A TLS handshake with a server that never answers ends on cancellation, and the connection is closed.
    package static func handshakeCancellation() async throws {
        let listener = try await NetListener.listen(port: 0)
        defer { Task { await listener.close() } }
        let port = listener.port!
        let accepted = Launched { try await listener.accept(timeout: .seconds(10)) }
        try await checkCancelledWhileWaiting("TLS.connect to a silent server", settle: .milliseconds(300)) {
            try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(pki.clientConfiguration()))
        }
        guard case .success(let server) = try await accepted.outcome("the server's accept") else {
            throw CheckFailure(message: "the server accepted nothing", file: #fileID, line: #line)
        }
        // It received the ClientHello, then the connection's end.
        let rest = try await server.readAll(timeout: .seconds(10))
        try check(!rest.isEmpty && rest[0] == 22, "the server saw a ClientHello, then end of stream (\(rest.count) bytes)")
        await server.close()
    }

    /// DTLS: a handshake with a silent server ends on cancellation; a write in a cancelled task sends nothing.
    package static func dtlsCancellation() async throws {
        let silent = try await RawUDPSocket()
        defer { Task { await silent.close() } }
        let port = silent.port
        try await checkCancelledWhileWaiting("DTLS.connect to a silent server", settle: .milliseconds(300)) {
            try await DTLS.connect(host: "127.0.0.1", port: port, context: DTLSBehaviour.clientContext())
        }
        let server = try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration()))
        defer { Task { await server.close() } }
        let (c, s) = try await DTLSSecurity.pair(server: server, context: DTLSBehaviour.clientContext())
        try await checkCancelledBeforeStart("DTLS write") { try await c.write("never sent") }
        try await c.write("sent")
        try checkEqual(try await s.read(timeout: .seconds(10)), Array("sent".utf8), "the message after a cancelled write (the cancelled one was not sent)")
        await c.close(); await s.close()
    }

    // MARK: - Dropped objects close themselves

    /// Connects and accepts one pair, exchanges a byte, and drops both streams without close(). With `queued`, the
    /// connection waits in the listener's queue before `accept` takes it (the other way of handing a stream over:
    /// the accept is waiting when it arrives).
    @inline(never)
    static func openAndDrop(_ listener: NetListener, tls: Bool, queued: Bool = false) async throws {
        let accepted: Launched<NetStream>? = queued ? nil : Launched { try await listener.accept(timeout: .seconds(10)) }
        let client =
            tls
            ? try await TLS.connect(
                host: "127.0.0.1", port: listener.port!, serverName: "localhost",
                context: TLSContext(pki.clientConfiguration()))
            : try await NetStream.connect(host: "127.0.0.1", port: listener.port!)
        let server: NetStream
        if let accepted {
            guard case .success(let s) = try await accepted.outcome("accept") else {
                throw CheckFailure(message: "accept failed", file: #fileID, line: #line)
            }
            server = s
        } else {
            try await Task.sleep(for: .milliseconds(20))  // settle: NIO accepts and queues it (a later arrival only takes the waiting path)
            server = try await listener.accept(timeout: .seconds(10))
        }
        try await client.write("x")
        try checkEqual(try await server.read(max: 1, timeout: .seconds(10)), [UInt8(ascii: "x")], "the pair works")
    }

    /// 50 streams (each side) dropped without close(): the descriptors come back — half of the server streams
    /// accepted from the listener's queue, half handed to a waiting accept.
    package static func droppedStreamsClose(tls: Bool) async throws {
        let listener =
            tls
            ? try await TLS.listen(port: 0, context: TLSContext(pki.serverConfiguration()))
            : try await NetListener.listen(port: 0)
        try await openAndDrop(listener, tls: tls)  // warm-up: whatever the first connection sets up for good
        try await Task.sleep(for: .milliseconds(200))
        let baseline = ProcessResources.openDescriptors
        let before = ProcessResources.descriptorTargets
        for i in 0..<50 { try await openAndDrop(listener, tls: tls, queued: i % 2 == 1) }
        do {
            try await ProcessResources.waitUntil("descriptors back to the baseline of \(baseline) after dropping 50 pairs") {
                ProcessResources.openDescriptors <= baseline
            }
        } catch {
            let left = ProcessResources.descriptorsOpenedSince(before)
            throw CheckFailure(message: "\(error); open and not before (listener port \(listener.port ?? 0)): \(left)", file: #fileID, line: #line)
        }
        await listener.close()
    }

    @inline(never)
    static func listenAndDrop(_ kind: Int) async throws -> Int {
        switch kind {
        case 0: return try await NetListener.listen(port: 0).port!
        case 1: return try await TLS.listen(port: 0, context: TLSContext(pki.serverConfiguration())).port!
        default: return try await DTLS.listen(port: 0, context: DTLS.context(pki.serverConfiguration())).port!
        }
    }

    /// Listeners and DTLS servers dropped without close() release their sockets: descriptors return and the
    /// port can be listened on again.
    package static func droppedListenersClose() async throws {
        _ = try await listenAndDrop(0)
        try await Task.sleep(for: .milliseconds(200))
        let baseline = ProcessResources.openDescriptors
        var ports: [Int] = []
        for i in 0..<30 { ports.append(try await listenAndDrop(i % 3)) }
        try await ProcessResources.waitUntil(
            "descriptors back to the baseline of \(baseline) after dropping 30 listeners (now \(ProcessResources.openDescriptors))"
        ) {
            ProcessResources.openDescriptors <= baseline
        }
        let again = try await NetListener.listen(port: ports[0])
        try checkEqual(again.port, ports[0], "the dropped listener's port is free")
        await again.close()
    }

    // MARK: - Ports

    /// Out-of-range ports are usage errors naming the port, at every entry point.
    package static func portValidation() async throws {
        let server = try TLSContext(pki.serverConfiguration())
        let dtlsServer = try DTLS.context(pki.serverConfiguration())
        for port in [70_000, 65_536, -1] {
            var errors: [JSecError] = []
            errors.append(try await checkThrowsJSec(.usage, "listen on \(port)") { _ = try await NetListener.listen(port: port) })
            errors.append(try await checkThrowsJSec(.usage, "TLS listen on \(port)") { _ = try await TLS.listen(port: port, context: server) })
            errors.append(try await checkThrowsJSec(.usage, "DTLS listen on \(port)") { _ = try await DTLS.listen(port: port, context: dtlsServer) })
            for e in errors {
                try checkEqual(e.code, .jsec(.invalidArgument), "code (\(e))")
                try check(e.message.contains("port \(port) is out of range"), "the message names the port: \(e.message)")
            }
        }
        for port in [74_979, 0, -5] {
            var errors: [JSecError] = []
            errors.append(try await checkThrowsJSec(.usage, "connect to \(port)") { _ = try await NetStream.connect(host: "127.0.0.1", port: port) })
            errors.append(
                try await checkThrowsJSec(.usage, "TLS connect to \(port)") {
                    _ = try await TLS.connect(host: "127.0.0.1", port: port, context: TLSContext(pki.clientConfiguration()))
                })
            errors.append(
                try await checkThrowsJSec(.usage, "DTLS connect to \(port)") {
                    _ = try await DTLS.connect(host: "127.0.0.1", port: port, context: DTLSBehaviour.clientContext())
                })
            for e in errors {
                try checkEqual(e.code, .jsec(.invalidArgument), "code (\(e))")
                try check(e.message.contains("port \(port) is out of range"), "the message names the port: \(e.message)")
            }
        }
    }

    /// `echo-server --port 70000` fails with one clear line instead of listening on 4464.
    package static func echoServerRejectsPort() async throws {
        let p = try PeerProcess(try ExamplePrograms.path("echo-server"), ["--port", "70000"])
        defer { p.stop() }
        let status = await p.wait(timeout: .seconds(10))
        await p.waitForOutputEnd()
        try check(!p.output.contains("echo-server: plain on"), "echo-server must not listen:\n\(p.output)")
        try check(status != 0, "echo-server --port 70000 exits non-zero (got \(status)):\n\(p.output)")
        try check(p.output.contains("port 70000 is out of range"), "the error names the port:\n\(p.output)")
    }
}
