import JSec

/// DTLS opened from `NetDatagramSocket`s, as jsec does: `DTLS.serve` on a bound socket, `DTLS.upgrade` on a connected one.
package enum DTLSSocketCases {
    static let pki = TestPKI.shared

    /// A server socket served, a client socket upgraded: messages both ways, close_notify, the sockets handed over.
    package static func roundTrip() async throws {
        let serverSocket = try await NetDatagramSocket.bind(port: 0)
        let server = try await DTLS.serve(serverSocket, configuration: pki.serverConfiguration())
        let port = try DatagramSocketCases.port(of: serverSocket)
        try checkEqual(server.port, port, "the server serves on the socket's port")
        let clientSocket = try await NetDatagramSocket.connect(host: "localhost", port: port)
        async let accepted = server.accept(timeout: .seconds(10))
        let client = try await DTLS.upgrade(clientSocket, configuration: pki.clientConfiguration())  // server name: "localhost"
        let peer = try await accepted
        try checkEqual(client.version, .dtls1_2, "upgraded client version")
        try checkEqual(client.localAddress, clientSocket.localAddress, "the connection uses the socket")
        for size in [1, 500, client.maximumMessageSize] {
            try await client.write(pattern(size))
            try checkEqual(try await peer.read(timeout: .seconds(10)), pattern(size), "client to server, \(size) bytes")
            try await peer.write(pattern(size, seed: 3))
            try checkEqual(try await client.read(timeout: .seconds(10)), pattern(size, seed: 3), "server to client, \(size) bytes")
        }
        // The sockets belong to DTLS now: their own calls say so, and closing them does not end the association.
        for socket in [clientSocket, serverSocket] {
            let e = try await checkThrowsJSec(.usage, "receive on a handed-over socket") { _ = try await socket.receive(timeout: .seconds(1)) }
            try checkEqual(e.code, .jsec(.socketHandedOver), "code (\(e))")
            try await checkThrowsJSec(.usage, "send on a handed-over socket") { try await socket.send("x", to: .ip(host: "127.0.0.1", port: port)) }
            await socket.close()
        }
        try await client.write("still here")
        try checkEqual(try await peer.read(timeout: .seconds(10)), Array("still here".utf8), "the association outlives socket.close()")
        await client.close()
        try checkEqual(try await peer.read(timeout: .seconds(10)), nil, "close_notify reaches the server")
        await server.close()
    }

    /// A bound socket cannot be upgraded as a client, a connected one cannot be served, a stream context is refused:
    /// each a typed error, and the socket stays usable.
    package static func misuse() async throws {
        let bound = try await NetDatagramSocket.bind(port: 0)
        let connected = try await NetDatagramSocket.connect(host: "127.0.0.1", port: try DatagramSocketCases.port(of: bound))
        try await checkThrowsJSec(.usage, "upgrading a bound socket") {
            _ = try await DTLS.upgrade(bound, configuration: pki.clientConfiguration())
        }
        try await checkThrowsJSec(.usage, "serving a connected socket") {
            _ = try await DTLS.serve(connected, configuration: pki.serverConfiguration())
        }
        try await checkThrowsJSec(.configuration, "a stream context") {
            _ = try await DTLS.upgrade(connected, context: TLSContext(pki.clientConfiguration()))
        }
        try await checkThrowsJSec(.configuration, "a server without a certificate") {
            _ = try await DTLS.serve(bound, configuration: pki.clientConfiguration())
        }
        try await connected.send("usable")
        try checkEqual(try await bound.receive(timeout: .seconds(10)).bytes, Array("usable".utf8), "both sockets still work")
        await connected.close()
        try await checkThrowsJSec(.closed, "upgrading a closed socket") {
            _ = try await DTLS.upgrade(connected, configuration: pki.clientConfiguration())
        }
        await bound.close()
    }
}
