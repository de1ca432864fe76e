import Assay
import JSec

/// The TLS engine's state machine driven through memory (``TLSMemoryConnection``), no sockets:
/// records split at every byte, interleaved reads and writes both ways, closes at odd moments,
/// hostile bytes. Every test checks the exact plaintext that arrives — no loss, no duplication.
enum TLSEngineCoverage {
    /// Handshake and data, every ciphertext byte fed on its own.
    static func oneByteAtATime(_ version: TLSVersion) throws {
        let pair = try MemoryTLSPair(version: version)
        try pair.handshake(chunk: 1)
        try checkEqual(pair.client.info?.tlsVersion, version, "negotiated version")
        for (from, to, seed) in [(pair.client, pair.server, UInt8(1)), (pair.server, pair.client, 2)] {
            let data = pattern(3_000, seed: seed)
            try from.write(data)
            var got: [UInt8] = []
            for byte in from.takeOutput() {
                try to.feed([byte])
                got += try MemoryTLSPair.readAvailable(to).data
            }
            try checkEqual(got, data, "data fed one byte at a time")
        }
    }

    /// One record of `size` plaintext bytes, fed in two pieces split at every byte position.
    static func recordSplitAtEveryByte(_ version: TLSVersion, size: Int) throws {
        let pair = try MemoryTLSPair(version: version)
        try pair.handshake()
        var payload = pattern(size, seed: 3)
        try pair.client.write(payload)
        let first = pair.client.takeOutput()
        let records = try MemoryTLSPair.records(first)
        try checkEqual(records.count, 1, "a \(size)-byte write is one record")
        try checkEqual(records[0].type, 23, "application data record")
        try checkEqual(try MemoryTLSPair.readAvailable(pair.server).data, [], "nothing before feeding")
        try pair.server.feed(first)
        try checkEqual(try MemoryTLSPair.readAvailable(pair.server).data, payload, "whole record")
        let length = first.count
        for split in 1..<length {
            payload[0] = UInt8(truncatingIfNeeded: split)  // every record differs
            payload[size - 1] = UInt8(truncatingIfNeeded: split >> 8)
            try pair.client.write(payload)
            let record = pair.client.takeOutput()
            try checkEqual(record.count, length, "record length for split \(split)")
            try pair.server.feed(record[..<split])
            guard try pair.server.read() == .wantRead else {
                throw CheckFailure(message: "data before the record was complete (split \(split))", file: #fileID, line: #line)
            }
            try pair.server.feed(record[split...])
            let got = try MemoryTLSPair.readAvailable(pair.server).data
            if got != payload { try checkEqual(got, payload, "record split at \(split) of \(length)") }
        }
    }

    /// Both sides write and read in a seeded random order, ciphertext delivered in random pieces, the
    /// handshake included: reads that want more input interleave with writes in both directions.
    static func interleaved(_ version: TLSVersion, seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)  // Assay's SplitMix64: reproducible from the seed
        let pair = try MemoryTLSPair(version: version)
        let sides = [pair.client, pair.server]
        let toSend = [pattern(150_000, seed: 5), pattern(120_000, seed: 6)]
        var sent = [0, 0], received: [[UInt8]] = [[], []], wire: [[UInt8]] = [[], []]  // wire[i]: from side i
        try pair.client.handshake()
        var steps = 0
        while received[1].count < toSend[0].count || received[0].count < toSend[1].count {
            steps += 1
            try check(steps < 200_000, "no progress after \(steps) steps (sent \(sent), received \(received.map(\.count)))")
            let i = Int(rng.next() % 2), side = sides[i], peer = sides[1 - i]
            wire[i] += side.takeOutput()
            let op = rng.next() % 4
            if op == 0 && side.isHandshakeComplete && sent[i] < toSend[i].count {
                let n = min(Int(rng.next() % 5_000) + 1, toSend[i].count - sent[i])
                try side.write(toSend[i][sent[i]..<sent[i] + n])
                sent[i] += n
                wire[i] += side.takeOutput()
            } else if (op == 1 || op == 2) && !wire[i].isEmpty {
                let n = min(Int(rng.next() % 700) + 1, wire[i].count)
                try peer.feed(wire[i][..<n])
                wire[i].removeFirst(n)
            } else if case .data(let d) = try peer.read(max: Int(rng.next() % 20_000) + 1) {
                received[1 - i] += d
            }
        }
        try checkEqual(received[1], toSend[0], "client to server")
        try checkEqual(received[0], toSend[1], "server to client")
    }

    /// close_notify (or the transport's end) before the handshake completed.
    static func closeDuringHandshake(_ version: TLSVersion) throws {
        let pair = try MemoryTLSPair(version: version)
        try checkEqual(try pair.client.handshake(), .wantRead, "client handshake start")
        try checkThrowsJSecSync(.usage, "shutdown during the handshake") { try pair.client.shutdown() }
        try checkThrowsJSecSync(.usage, "write during the handshake") { try pair.client.write([1]) }
        // A plaintext close_notify alert (level 1, description 0) where the server expects a ClientHello.
        let closeNotify: [UInt8] = [21, 3, 3, 0, 2, 1, 0]
        try pair.server.feed(closeNotify)
        try checkThrowsJSecSync(.handshake, "server given close_notify instead of a ClientHello") { try pair.server.handshake() }
        // …and where the client expects the ServerHello.
        try pair.client.feed(closeNotify)
        try checkThrowsJSecSync(.handshake, "client given close_notify instead of a ServerHello") { try pair.client.handshake() }
        try checkThrowsJSecSync(.handshake, "the failure sticks") { _ = try pair.client.read() }
        // The transport ends in the middle of the handshake.
        let late = try MemoryTLSPair(version: version)
        try late.client.handshake()
        try late.server.feed(late.client.takeOutput())
        try checkEqual(try late.server.handshake(), .wantRead, "server after the ClientHello")
        try checkThrowsJSecSync(.handshake, "end of input during the handshake") { try late.server.finishInput() }
        try check(late.server.info == nil, "no connection info without a handshake")
    }

    /// Write, key update and shutdown after shutdown; the peer still reads everything, then .closed.
    static func writeAfterShutdown(_ version: TLSVersion) throws {
        let pair = try MemoryTLSPair(version: version)
        try pair.handshake()
        let data = pattern(10_000, seed: 7)
        try pair.client.write(data)
        try pair.client.shutdown()
        try pair.client.shutdown()  // idempotent
        try check(pair.client.isShutDown, "isShutDown")
        let e = try checkThrowsJSecSync(.closed, "write after shutdown") { try pair.client.write([1, 2, 3]) }
        try checkEqual(e.code, .jsec(.outputShutDown), "code names the shutdown (\(e))")
        try checkThrowsJSecSync(.closed, "key update after shutdown") { try pair.client.updateKeys() }
        try pair.server.feed(pair.client.takeOutput())
        let (got, closed) = try MemoryTLSPair.readAvailable(pair.server)
        try checkEqual(got, data, "data written before the shutdown")
        try check(closed, "server sees close_notify")
        try checkEqual(try pair.server.read(), .closed, "read after close_notify")
        try checkEqual(pair.server.peerClosure, .closeNotify, "peerClosure")
        try pair.server.finishInput()
        // Half-close: the server can still answer, the client still reads.
        let reply = pattern(5_000, seed: 8)
        try checkEqual(try MemoryTLSPair.transfer(reply, from: pair.server, to: pair.client), reply, "reply after the client's shutdown")
    }

    /// End of input in the middle of a record is a protocol error; at a record boundary it is a bare EOF.
    static func truncatedThenEOF(_ version: TLSVersion) throws {
        let pair = try MemoryTLSPair(version: version)
        try pair.handshake()
        let data = pattern(1_000, seed: 9)
        try pair.client.write(data)
        let record = pair.client.takeOutput()
        try pair.server.feed(record.dropLast(10))
        try checkEqual(try pair.server.read(), .wantRead, "incomplete record")
        try checkThrowsJSecSync(.protocol, "EOF inside a record") { try pair.server.finishInput() }
        try checkThrowsJSecSync(.protocol, "later reads fail the same way") { _ = try pair.server.read() }
        try checkThrowsJSecSync(.protocol, "later writes fail the same way") { try pair.server.write([1]) }
        // At a record boundary: all data arrives, EOF without close_notify is not an error.
        let clean = try MemoryTLSPair(version: version)
        try clean.handshake()
        try checkEqual(try MemoryTLSPair.transfer(data, from: clean.client, to: clean.server), data, "data before the EOF")
        try checkEqual(clean.server.peerClosure, .open, "open stream: peerClosure is .open")
        try clean.server.finishInput()
        try checkEqual(clean.server.peerClosure, .withoutCloseNotify, "EOF without close_notify")
        try checkThrowsJSecSync(.usage, "feed after finishInput") { try clean.server.feed([1]) }
    }

    enum GarbageWhen: String, CaseIterable { case clientHello = "instead-of-client-hello", serverHello = "instead-of-server-hello", record = "after-handshake" }

    /// Garbage from the peer: a handshake error during the handshake, a protocol error after it.
    static func garbage(_ version: TLSVersion, when: GarbageWhen, record: Bool) throws {
        let pair = try MemoryTLSPair(version: version)
        // A record header with a valid type/version and random content, or bytes that are no record at all.
        let junk: [UInt8] = record ? [when == .record ? 23 : 22, 3, 3, 0, 64] + pattern(64, seed: 10) : Array("GET / HTTP/1.1\r\n\r\n".utf8)
        switch when {
        case .clientHello:
            try pair.server.feed(junk)
            try checkThrowsJSecSync(.handshake, "server given garbage") { try pair.server.handshake() }
        case .serverHello:
            try pair.client.handshake()
            try pair.client.feed(junk)
            try checkThrowsJSecSync(.handshake, "client given garbage") { try pair.client.handshake() }
        case .record:
            try pair.handshake()
            try pair.client.feed(pair.server.takeOutput())  // TLS 1.3 tickets: consumed cleanly first
            _ = try MemoryTLSPair.readAvailable(pair.client)
            try pair.client.feed(junk)
            let e = try checkThrowsJSecSync(.protocol, "client given garbage after the handshake") { _ = try pair.client.read() }
            try check(pair.client.error == e, "error property")
            try checkThrowsJSecSync(.protocol, "write after the failure") { try pair.client.write([1]) }
        }
    }

    /// TLS 1.3 key update through memory: the KeyUpdate goes out, the peer answers when asked, data flows.
    static func keyUpdate() throws {
        let pair = try MemoryTLSPair(version: .tls1_3)
        try pair.handshake()
        _ = try MemoryTLSPair.transfer([], from: pair.server, to: pair.client)  // the tickets
        for round in 0..<3 {
            try pair.client.updateKeys(requestPeer: round != 1)
            let update = pair.client.takeOutput()
            try checkEqual(try MemoryTLSPair.records(update).count, 1, "one KeyUpdate record")
            try pair.server.feed(update)
            try checkEqual(try pair.server.read(), .wantRead, "KeyUpdate carries no data")
            let up = pattern(20_000, seed: UInt8(round)), down = pattern(30_000, seed: UInt8(round + 50))
            try checkEqual(try MemoryTLSPair.transfer(up, from: pair.client, to: pair.server), up, "client to server after key update \(round)")
            // OpenSSL sends the answering KeyUpdate with the server's next write: 2 data records, plus 1 when asked.
            try pair.server.write(down)
            let wire = pair.server.takeOutput()
            try checkEqual(try MemoryTLSPair.records(wire).count, round != 1 ? 3 : 2, "server records (KeyUpdate only when asked)")
            try pair.client.feed(wire)
            try checkEqual(try MemoryTLSPair.readAvailable(pair.client).data, down, "server to client after key update \(round)")
        }
        let old = try MemoryTLSPair(version: .tls1_2)
        try old.handshake()
        try checkThrowsJSecSync(.usage, "key update on TLS 1.2") { try old.client.updateKeys() }
    }

    /// A session from one memory connection resumes in the next (same server context).
    static func sessionResumption(_ version: TLSVersion) throws {
        let first = try MemoryTLSPair(version: version)
        try first.handshake()
        let data = pattern(100, seed: 11)
        try checkEqual(try MemoryTLSPair.transfer(data, from: first.server, to: first.client), data, "first connection")
        try checkEqual(first.client.info?.sessionReused, false, "first handshake is full")
        guard let session = first.client.session else { throw CheckFailure(message: "no session after a read", file: #fileID, line: #line) }
        try check(first.server.session == nil, "servers have no session to export")
        let second = try MemoryTLSPair(version: version, serverContext: first.serverContext, session: session)
        try second.handshake()
        try checkEqual(second.client.info?.sessionReused, true, "client resumed")
        try checkEqual(second.server.info?.sessionReused, true, "server resumed")
        try checkEqual(try MemoryTLSPair.transfer(data, from: second.client, to: second.server), data, "resumed connection")
        try checkThrowsJSecSync(.configuration, "a corrupt session") {
            _ = try TLSMemoryConnection(
                client: TLSContext(TestPKI.shared.clientConfiguration()), serverName: "localhost",
                session: TLSSession(der: [0x30, 0x03, 1, 2, 3]))
        }
    }

    /// One large write becomes many full records; small reads take it out in order.
    static func largeWrite(_ version: TLSVersion) throws {
        let pair = try MemoryTLSPair(version: version)
        try pair.handshake()
        let data = pattern(1_048_576 + 3, seed: 12)
        try pair.client.write(data)
        let out = pair.client.takeOutput()
        let records = try MemoryTLSPair.records(out)
        try check(records.count >= 65, "1 MiB in \(records.count) records (at most 16 KiB each)")
        try check(records.allSatisfy { $0.type == 23 && $0.length <= 16_384 + 256 }, "all application-data records within the size limit")
        var got: [UInt8] = [], offset = 0, size = 1
        while offset < out.count {
            let end = min(out.count, offset + size)
            try pair.server.feed(out[offset..<end])
            got += try MemoryTLSPair.readAvailable(pair.server, max: 1_000).data
            offset = end
            size = size * 3 % 40_000 + 1
        }
        try checkEqual(got.count, data.count, "bytes received")
        try checkEqual(got, data, "1 MiB through memory")
    }

    /// Connection info, ALPN, verification failures and refused usage through memory.
    static func infoAndFailures() throws {
        let pair = try MemoryTLSPair(
            version: .tls1_3, configureClient: { $0.applicationProtocols = ["h2", "http/1.1"] },
            configureServer: { $0.applicationProtocols = ["http/1.1"] })
        try check(pair.server.info == nil && !pair.server.isHandshakeComplete, "no info before the handshake")
        try checkThrowsJSecSync(.usage, "write before the handshake") { try pair.server.write([1]) }
        try checkThrowsJSecSync(.configuration, "read(max: 0)") { _ = try pair.server.read(max: 0) }
        try pair.handshake()
        guard let c = pair.client.info, let s = pair.server.info else { throw CheckFailure(message: "no info", file: #fileID, line: #line) }
        try checkEqual(c.version, .tls(.tls1_3), "version")
        try checkEqual(c.cipher, s.cipher, "both sides agree on the cipher")
        try checkEqual(c.alpn, "http/1.1", "ALPN")
        try checkEqual(s.serverName, "localhost", "SNI seen by the server")
        try checkEqual(c.peerCertificates.first?.commonName, "localhost", "server leaf")
        try check(s.peerCertificates.isEmpty, "no client certificate")
        try checkEqual(pair.client.role, .client, "role")
        // A server certificate from another CA: the client rejects it, the server hears why.
        let bad = try MemoryTLSPair(version: .tls1_3, serverContext: TLSContext(TestPKI.shared.serverConfiguration(TestPKI.shared.serverFromOtherCA)))
        try checkThrowsJSecSync(.verification, "untrusted server") { try bad.handshake() }
        try bad.server.feed(bad.client.takeOutput())  // the client's alert
        try checkThrowsJSecSync(.verification, "server told its certificate was rejected") { try bad.server.handshake() }
        // mTLS required, no client certificate.
        let mtls = try MemoryTLSPair(version: .tls1_3, configureServer: { $0.clientAuthentication = .required })
        try checkThrowsJSecSync(.verification, "client without a certificate") {
            try mtls.handshake()
            _ = try MemoryTLSPair.transfer([], from: mtls.server, to: mtls.client)
        }
        // Contexts that cannot make a connection.
        try checkThrowsJSecSync(.configuration, "server context without a certificate") {
            _ = try TLSMemoryConnection(server: TLSContext(TestPKI.shared.clientConfiguration()))
        }
        try checkThrowsJSecSync(.configuration, "verifying client without a server name") {
            _ = try TLSMemoryConnection(client: TLSContext(TestPKI.shared.clientConfiguration()), serverName: nil)
        }
    }
}
