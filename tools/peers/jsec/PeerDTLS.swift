import ArgumentParser
import Foundation
import JSec
import NIOCore
import NIOPosix

/// `--tls dtls1.2`: the DTLS 1.2 echo of tools/peers/README.md. The server echoes every message of every
/// association; each client sends one message of `chunk` bytes (sequence number in the first 8, big-endian),
/// waits up to ``retransmitTimeout`` for its echo, resends up to ``maximumRetransmissions`` times, then
/// counts it lost and sends the next. The same rules as perf9's dtls echo and the C peer's.
enum PeerDTLS {
    static let retransmitTimeout: Duration = .milliseconds(250)
    static let maximumRetransmissions = 4

    /// The DTLS pins every DTLS peer shares: DTLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256, X25519 for the key exchange
    /// (P-256 listed after it: in (D)TLS 1.2 the ECDSA certificate's curve must be one of the client's groups).
    static func pin(_ c: inout TLSConfiguration) {
        c.minimumVersion = .tls1_2
        c.maximumVersion = .tls1_2
        c.cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256"
        c.groups = "X25519:P-256"
    }

    static func options() -> DTLSOptions {
        var o = DTLSOptions()
        // Every client comes from 127.0.0.1: lift the per-address bound on handshakes in progress.
        o.maximumHandshakesPerAddress = 10_000
        return o
    }

    static func serve(host: String, port: Int, cert: String, key: String, group: any EventLoopGroup) async throws {
        var c = TLSConfiguration.server(certificateChain: .file(cert), privateKey: .file(key))
        pin(&c)
        let server = try await DTLS.listen(host: host, port: port, context: DTLS.context(c), options: options(), eventLoopGroup: group)
        struct Listening: Encodable { let listening: Int }
        try emitJSON(Listening(listening: server.port ?? 0))
        await withDiscardingTaskGroup { tasks in
            while let connection = try? await server.accept() {
                tasks.addTask {
                    while let message = try? await connection.read() {
                        do { try await connection.write(message) } catch { break }
                    }
                    await connection.close()
                }
            }
        }
    }

    struct Result: Encodable {
        var stack = "jsec", workload = "echo", transport = "dtls1.2"
        let clients: Int, chunk: Int, duration: Double
        let seconds: Double, bytes: Int, iterations: Int, connected: Int, errors: Int
        let retransmissions: Int, lost: Int, lateEchoes: Int
        let perClientBytes: [Int]
        let cipher: String?
    }

    struct Counts: Sendable {
        var bytes = 0, iterations = 0, retransmissions = 0, lost = 0, late = 0
        var failed = false
    }

    static func echo(
        host: String, port: Int, serverName: String, ca: String, clients: Int, chunk: Int, duration: Double,
        group: any EventLoopGroup
    ) async throws {
        var c = TLSConfiguration.client(trustRoots: .file(ca))
        pin(&c)
        let context = try DTLS.context(c)
        var connections: [DTLSConnection] = []
        var errors = 0
        for _ in 0..<clients {
            do {
                let connection = try await DTLS.connect(
                    host: host, port: port, serverName: serverName, context: context, options: options(), eventLoopGroup: group)
                guard chunk >= 8, chunk <= connection.maximumMessageSize else {
                    throw ValidationError("--chunk \(chunk) does not fit one DTLS message: 8…\(connection.maximumMessageSize) bytes")
                }
                connections.append(connection)
            } catch let e as ValidationError {
                throw e
            } catch {
                errors += 1
                FileHandle.standardError.write(Data("connect: \(error)\n".utf8))
            }
        }
        let start = ContinuousClock.now
        let deadline = start + .nanoseconds(Int64(duration * 1e9))
        let results = await withTaskGroup(of: Counts.self) { tasks in
            for connection in connections {
                tasks.addTask { await run(connection, chunk: chunk, deadline: deadline) }
            }
            var all: [Counts] = []
            for await r in tasks { all.append(r) }
            return all
        }
        let seconds = (ContinuousClock.now - start).seconds
        let cipher = connections.first?.cipher
        for connection in connections { await connection.close() }
        try? await group.shutdownGracefully()
        try emitJSON(
            Result(
                clients: clients, chunk: chunk, duration: duration, seconds: seconds, bytes: results.reduce(0) { $0 + $1.bytes },
                iterations: results.reduce(0) { $0 + $1.iterations }, connected: connections.count,
                errors: errors + results.filter(\.failed).count, retransmissions: results.reduce(0) { $0 + $1.retransmissions },
                lost: results.reduce(0) { $0 + $1.lost }, lateEchoes: results.reduce(0) { $0 + $1.late },
                perClientBytes: results.map(\.bytes), cipher: cipher))
    }

    static func run(_ connection: DTLSConnection, chunk: Int, deadline: ContinuousClock.Instant) async -> Counts {
        var r = Counts()
        var payload = [UInt8](repeating: 0x5A, count: chunk)
        var sequence: UInt64 = 0
        do {
            while ContinuousClock.now < deadline {
                sequence += 1
                withUnsafeBytes(of: sequence.bigEndian) { for i in 0..<8 { payload[i] = $0[i] } }
                var answered = false
                for attempt in 0...maximumRetransmissions {
                    if attempt > 0 { r.retransmissions += 1 }
                    try await connection.write(payload)
                    r.bytes += chunk
                    if try await awaitEcho(connection, sequence: sequence, size: chunk, late: &r.late) {
                        answered = true
                        break
                    }
                }
                if answered {
                    r.bytes += chunk
                    r.iterations += 1
                } else {
                    r.lost += 1
                }
            }
        } catch {
            FileHandle.standardError.write(Data("echo: \(error)\n".utf8))
            r.failed = true
        }
        return r
    }

    static func awaitEcho(_ c: DTLSConnection, sequence: UInt64, size: Int, late: inout Int) async throws -> Bool {
        let giveUp = ContinuousClock.now + retransmitTimeout
        while true {
            let remaining = giveUp - ContinuousClock.now
            guard remaining > .zero else { return false }
            let message: [UInt8]?
            do {
                message = try await c.read(timeout: remaining)
            } catch let e as JSecError where e.category == .timeout {
                return false
            }
            guard let message else { throw JSecError(.closed, "the DTLS server sent close_notify", code: .jsec(.closed)) }
            let got = message.count >= 8 ? message[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : 0
            if got == sequence && message.count == size { return true }
            late += 1
        }
    }
}
