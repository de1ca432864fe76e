import JSec

/// A client and a server ``TLSMemoryConnection`` with the test moving the ciphertext between
/// them — no sockets, no event loop. Used by the coverage suite to reach every state of the
/// TLS engine deterministically.
package final class MemoryTLSPair {
    package let client: TLSMemoryConnection
    package let server: TLSMemoryConnection
    package let serverContext: TLSContext

    /// A pair on the shared test PKI; `version` pins both sides to one TLS version.
    package init(
        version: TLSVersion? = nil, serverContext: TLSContext? = nil, session: TLSSession? = nil,
        configureClient: (inout TLSConfiguration) -> Void = { _ in },
        configureServer: (inout TLSConfiguration) -> Void = { _ in }
    ) throws {
        var clientConfig = TestPKI.shared.clientConfiguration()
        var serverConfig = TestPKI.shared.serverConfiguration()
        if let version {
            for c in [\TLSConfiguration.minimumVersion, \TLSConfiguration.maximumVersion] {
                clientConfig[keyPath: c] = version
                serverConfig[keyPath: c] = version
            }
        }
        configureClient(&clientConfig)
        configureServer(&serverConfig)
        self.serverContext = try serverContext ?? TLSContext(serverConfig)
        client = try TLSMemoryConnection(client: TLSContext(clientConfig), serverName: "localhost", session: session)
        server = try TLSMemoryConnection(server: self.serverContext)
    }

    /// Moves ciphertext both ways, `chunk` bytes per feed, stepping the handshake after every feed,
    /// until both sides are done. Throws the first side's error.
    package func handshake(chunk: Int = Int.max) throws {
        var rounds = 0
        try client.handshake()
        while !(client.isHandshakeComplete && server.isHandshakeComplete) {
            rounds += 1
            try check(rounds < 100_000, "handshake made no progress")
            let c2s = client.takeOutput(), s2c = server.takeOutput()
            try check(
                !c2s.isEmpty || !s2c.isEmpty,
                "handshake stalled: nothing to send and not complete "
                    + "(client \(client.isHandshakeComplete), server \(server.isHandshakeComplete))")
            try Self.deliver(c2s, to: server, chunk: chunk)
            try Self.deliver(s2c, to: client, chunk: chunk)
        }
        // TLS 1.3: the client's Finished may still be on its way (and the server's tickets).
        try Self.deliver(client.takeOutput(), to: server, chunk: chunk)
    }

    /// Feeds `bytes` to `side` in pieces of `chunk`, stepping the handshake (or nothing) after each piece.
    package static func deliver(_ bytes: [UInt8], to side: TLSMemoryConnection, chunk: Int) throws {
        var offset = 0
        while offset < bytes.count {
            let end = bytes.count - offset > chunk ? offset + chunk : bytes.count
            try side.feed(bytes[offset..<end])
            if !side.isHandshakeComplete { try side.handshake() }
            offset = end
        }
    }

    /// Reads everything `side` can decrypt now (until want-read or close_notify).
    package static func readAvailable(_ side: TLSMemoryConnection, max: Int = 16_384) throws -> (data: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        while true {
            switch try side.read(max: max) {
            case .data(let d):
                try check(!d.isEmpty && d.count <= max, "read returned \(d.count) bytes for max \(max)")
                out += d
            case .wantRead: return (out, false)
            case .closed: return (out, true)
            }
        }
    }

    /// Sends `data` from `from` to `to` in one go and returns what `to` decrypted.
    package static func transfer(_ data: [UInt8], from: TLSMemoryConnection, to: TLSMemoryConnection) throws -> [UInt8] {
        try from.write(data)
        try to.feed(from.takeOutput())
        return try readAvailable(to).data
    }

    /// The TLS records in `bytes` as (content type, length) — fails on a partial record.
    package static func records(_ bytes: [UInt8]) throws -> [(type: UInt8, length: Int)] {
        var out: [(UInt8, Int)] = []
        var i = 0
        while i < bytes.count {
            try check(bytes.count - i >= 5, "partial record header at \(i)")
            let length = Int(bytes[i + 3]) << 8 | Int(bytes[i + 4])
            try check(bytes.count - i - 5 >= length, "partial record at \(i)")
            out.append((bytes[i], length))
            i += 5 + length
        }
        return out
    }
}
