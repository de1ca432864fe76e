#if canImport(Glibc)
    import Glibc
#endif
import JSec

/// `NetDatagramSocket`: the stream contract adapted to datagrams (bind, connect, send, receive, timeouts,
/// cancellation, close, deinit, the bounded receive queue).
package enum DatagramSocketCases {
    /// A bound server and a client connected to it.
    static func pair() async throws -> (server: NetDatagramSocket, client: NetDatagramSocket) {
        let server = try await NetDatagramSocket.bind(port: 0)
        let client = try await NetDatagramSocket.connect(host: "127.0.0.1", port: try port(of: server))
        return (server, client)
    }

    static func port(of socket: NetDatagramSocket) throws -> Int {
        guard let port = socket.localAddress?.port, port > 0 else {
            throw CheckFailure(message: "no bound port: \(String(describing: socket.localAddress))", file: #fileID, line: #line)
        }
        return port
    }

    /// Datagrams of 1 byte to 65,000 bytes go both ways whole; the server sees the client's address and replies to it.
    package static func roundTrip() async throws {
        let (server, client) = try await pair()
        for size in [1, 1_400, 65_000] {
            try await client.send(pattern(size))
            let got = try await server.receive(timeout: .seconds(10))
            try checkEqual(got.bytes, pattern(size), "client to server, \(size) bytes, whole")
            try checkEqual(got.sender, client.localAddress, "the sender is the client's address")
            try await server.send(pattern(size, seed: 5), to: got.sender)
            let back = try await client.receive(timeout: .seconds(10))
            try checkEqual(back.bytes, pattern(size, seed: 5), "server to client, \(size) bytes, whole")
            try checkEqual(back.sender, server.localAddress, "the reply comes from the server")
        }
        try checkEqual(client.remoteAddress, server.localAddress, "the connected client's peer")
        try checkEqual(server.remoteAddress, nil, "a bound socket has no peer")
        await client.close()
        await server.close()
    }

    /// Port 0 binds a port the system picks; binding that port again is EADDRINUSE.
    package static func portZero() async throws {
        let socket = try await NetDatagramSocket.bind(port: 0)
        let port = try port(of: socket)
        try checkEqual(socket.localAddress, .ip(host: "127.0.0.1", port: port), "bound address")
        let e = try await checkThrowsJSec(.io, "a second bind on \(port)") { _ = try await NetDatagramSocket.bind(port: port) }
        try checkEqual(e.code, .errno(EADDRINUSE), "code (\(e))")
        await socket.close()
    }

    /// A bind that fails (the port is in use) keeps no descriptor: NIO's DatagramBootstrap left the channel it made
    /// open and registered, one socket per failed bind, for the life of the process (`DatagramOpen`). The same for
    /// `DTLS.listen` on a port in use. 64 failed binds; the descriptors other tests open meanwhile are far fewer.
    package static func failedBindKeepsNoDescriptor() async throws {
        let socket = try await NetDatagramSocket.bind(port: 0)
        let port = try port(of: socket)
        let context = try DTLS.context(TestPKI.shared.serverConfiguration())
        let before = ProcessResources.openDescriptors
        for i in 0..<64 {
            if i.isMultiple(of: 2) {
                _ = try? await NetDatagramSocket.bind(port: port)
            } else {
                _ = try? await DTLS.listen(port: port, context: context)
            }
        }
        // Closing runs on the event loop: a generous deadline for it to finish, not a speed check.
        var after = ProcessResources.openDescriptors
        let deadline = ContinuousClock.now + .seconds(20)
        while after - before >= 16, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            after = ProcessResources.openDescriptors
        }
        await socket.close()
        try check(after - before < 16, "64 failed binds on port \(port) left \(after - before) more descriptors open (\(before) → \(after))")
    }

    /// Ports out of range and names that do not resolve are typed errors, not traps or wrapped ports.
    package static func badPortAndHost() async throws {
        for port in [-1, 65_536, 70_000] {
            try await checkThrowsJSec(.usage, "bind to port \(port)") { _ = try await NetDatagramSocket.bind(port: port) }
        }
        for port in [0, -1, 65_536] {
            try await checkThrowsJSec(.usage, "connect to port \(port)") { _ = try await NetDatagramSocket.connect(host: "127.0.0.1", port: port) }
        }
        try await checkThrowsJSec(.usage, "a receive queue of 0") { _ = try await NetDatagramSocket.bind(port: 0, receiveQueueCapacity: 0) }
        let e = try await checkThrowsJSec(.io, "connect to an unknown host") {
            _ = try await NetDatagramSocket.connect(host: "no-such-host.invalid", port: 4433)
        }
        guard e.code.addressResolutionError != nil else { throw CheckFailure(message: "code: \(e)", file: #fileID, line: #line) }
        try await checkThrowsJSec(.io, "bind to an unknown host") { _ = try await NetDatagramSocket.bind(host: "no-such-host.invalid", port: 0) }
        let socket = try await NetDatagramSocket.bind(port: 0)
        try await checkThrowsJSec(.usage, "send without a peer") { try await socket.send("x") }
        try await checkThrowsJSec(.usage, "send to a Unix address") { try await socket.send("x", to: .unix(path: "/tmp/x")) }
        try await checkThrowsJSec(.usage, "send to port 0") { try await socket.send("x", to: .ip(host: "127.0.0.1", port: 0)) }
        await socket.close()
    }

    /// A receive that times out throws `.timeout` and leaves the socket usable.
    package static func receiveTimeout() async throws {
        let (server, client) = try await pair()
        let e = try await checkThrowsJSec(.timeout, "receive with nothing sent") { _ = try await server.receive(timeout: .milliseconds(100)) }
        try checkEqual(e.code, .jsec(.operationTimeout), "code (\(e))")
        try check(e.message.contains("receive"), "the message names the call: \(e)")
        try await client.send("after the timeout")
        try checkEqual(try await server.receive(timeout: .seconds(10)).bytes, Array("after the timeout".utf8), "usable after a timeout")
        await client.close()
        await server.close()
    }

    /// Cancelling a waiting receive throws `CancellationError` and loses nothing: the next receive gets the datagram.
    package static func cancelledReceive() async throws {
        let (server, client) = try await pair()
        let waiting = Task { try await server.receive() }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        do {
            let got = try await waiting.value
            throw CheckFailure(message: "a cancelled receive returned \(got)", file: #fileID, line: #line)
        } catch is CancellationError {
        }
        try await client.send("kept")
        try checkEqual(try await server.receive(timeout: .seconds(10)).bytes, Array("kept".utf8), "the next receive gets it")
        await client.close()
        await server.close()
    }

    /// `close()` ends a waiting receive with `.closed`; then receive and send throw `.closed`; close again is harmless.
    package static func closeWhileReceiving() async throws {
        let (server, client) = try await pair()
        let waiting = Task { try await server.receive(timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        await server.close()
        try await checkThrowsJSec(.closed, "the waiting receive") { _ = try await waiting.value }
        try await checkThrowsJSec(.closed, "receive after close") { _ = try await server.receive() }
        await server.close()
        await client.close()
        try await checkThrowsJSec(.closed, "send after close") { try await client.send("late") }
        try await checkThrowsJSec(.closed, "send(to:) after close") { try await server.send("late", to: .ip(host: "127.0.0.1", port: 9)) }
    }

    /// Two receives at once: the second is a usage error, the first still gets its datagram.
    package static func concurrentReceive() async throws {
        let (server, client) = try await pair()
        let first = Task { try await server.receive(timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        let e = try await checkThrowsJSec(.usage, "a second receive") { _ = try await server.receive(timeout: .seconds(1)) }
        try checkEqual(e.code, .jsec(.concurrentOperation), "the second receive's code (\(e))")
        try await client.send("one")
        try checkEqual(try await first.value.bytes, Array("one".utf8), "the first receive")
        await client.close()
        await server.close()
    }

    /// A connected socket receives only its peer's datagrams.
    package static func connectedFiltersSenders() async throws {
        let (server, client) = try await pair()
        let stranger = try await NetDatagramSocket.bind(port: 0)
        guard let clientAddress = client.localAddress else { throw CheckFailure(message: "no address", file: #fileID, line: #line) }
        try await stranger.send("stranger", to: clientAddress)
        try await server.send("peer", to: clientAddress)
        let got = try await client.receive(timeout: .seconds(10))
        try checkEqual(got.bytes, Array("peer".utf8), "the first datagram received is the peer's")
        try await checkThrowsJSec(.timeout, "nothing else arrives") { _ = try await client.receive(timeout: .milliseconds(200)) }
        try await checkThrowsJSec(.usage, "a connected socket sends only to its peer") {
            try await client.send("x", to: stranger.localAddress ?? .ip(host: "127.0.0.1", port: 9))
        }
        await stranger.close()
        await client.close()
        await server.close()
    }

    /// A connected socket whose peer's port is closed reports ECONNREFUSED on the next receive, once.
    package static func refusedPort() async throws {
        let gone = try await NetDatagramSocket.bind(port: 0)
        let port = try port(of: gone)
        await gone.close()
        let client = try await NetDatagramSocket.connect(host: "127.0.0.1", port: port)
        try await client.send("anyone?")
        let e = try await checkThrowsJSec(.io, "receive after sending to a closed port") { _ = try await client.receive(timeout: .seconds(10)) }
        try checkEqual(e.code, .errno(ECONNREFUSED), "code (\(e))")
        try await checkThrowsJSec(.timeout, "reported once") { _ = try await client.receive(timeout: .milliseconds(100)) }
        await client.close()
    }

    /// A flood of `sent` datagrams into a queue of `capacity`: the queue never holds more than `capacity`, the first
    /// `capacity` are kept in order (the newest are dropped), and every drop is counted.
    package static func queueBound(capacity: Int = 8, sent: Int = 200) async throws {
        let server = try await NetDatagramSocket.bind(port: 0, receiveQueueCapacity: capacity)
        let client = try await NetDatagramSocket.connect(host: "127.0.0.1", port: try port(of: server))
        for i in 0..<sent {
            try await client.send(Array("\(i)".utf8))
            // In batches, so the kernel's socket buffer never overflows: every datagram reaches the queue.
            if i % 10 == 9 || i == sent - 1 {
                let deadline = ContinuousClock.now + .seconds(10)
                while server.queuedDatagrams + server.droppedDatagrams < i + 1 {
                    try check(server.queuedDatagrams <= capacity, "queue holds \(server.queuedDatagrams) > \(capacity)")
                    try check(
                        ContinuousClock.now < deadline, "datagram \(i) never arrived (\(server.queuedDatagrams) queued, \(server.droppedDatagrams) dropped)")
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
        }
        try checkEqual(server.queuedDatagrams, capacity, "queued at the end")
        try checkEqual(server.droppedDatagrams, sent - capacity, "dropped and counted")
        for i in 0..<capacity {
            try checkEqual(try await server.receive(timeout: .seconds(5)).bytes, Array("\(i)".utf8), "the oldest are kept, in order")
        }
        try await checkThrowsJSec(.timeout, "nothing beyond the bound") { _ = try await server.receive(timeout: .milliseconds(100)) }
        await client.close()
        await server.close()
    }

    /// A socket dropped without `close()` releases its port: binding the port again succeeds.
    package static func deinitCloses() async throws {
        var socket: NetDatagramSocket? = try await NetDatagramSocket.bind(port: 0)
        let port = try port(of: socket!)
        socket = nil
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                let again = try await NetDatagramSocket.bind(port: port)
                await again.close()
                return
            } catch let e as JSecError where e.code == .errno(EADDRINUSE) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}
