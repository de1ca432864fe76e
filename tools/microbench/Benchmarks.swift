import Foundation
import JSec

/// One micro-benchmark: `setUp` once, then `op` N times. Everything is in one process
/// (loopback sockets), so a run measures the library's hot path and not the harness.
struct Benchmark: Sendable {
    let name: String
    let summary: String
    /// Iterations for the two callgrind runs (their difference cancels the set-up cost).
    let callgrindIterations: (Int, Int)
    let make: @Sendable () async throws -> Operation
}

/// A set-up benchmark: run `op` repeatedly, then `tearDown`.
struct Operation: Sendable {
    let op: @Sendable () async throws -> Void
    let tearDown: @Sendable () async -> Void
}

enum Benchmarks {
    static let all: [Benchmark] = [
        stream("stream.tcp.16k", "write 16 KiB and chunk(16 KiB) on a TCP stream pair", tls: nil, size: 16_384),
        stream("stream.tls13.16k", "write 16 KiB and chunk(16 KiB) on a TLS 1.3 stream pair (AES-128-GCM)", tls: .tls1_3, size: 16_384),
        stream("stream.tls13.64k", "write 64 KiB and chunk(64 KiB) on a TLS 1.3 stream pair (AES-128-GCM)", tls: .tls1_3, size: 65_536),
        stream("stream.tls13.64k.buffer", "the same with the zero-copy calls: write(ByteBuffer) and chunkBuffer", tls: .tls1_3, size: 65_536, zeroCopy: true),
        stream("stream.tcp.64k.buffer", "write(ByteBuffer) and chunkBuffer of 64 KiB on a TCP stream pair", tls: nil, size: 65_536, zeroCopy: true),
        stream("stream.tls13.64b", "write 64 B and read on a TLS 1.3 stream pair (per-record overhead)", tls: .tls1_3, size: 64),
        stream("stream.tcp.64b", "write 64 B and read on a TCP stream pair (per-call overhead)", tls: nil, size: 64),
        handshake("tls13.handshake.full", "full TLS 1.3 handshake over loopback (P-256 certificate, X25519)", resume: false),
        handshake("tls13.handshake.resumed", "resumed TLS 1.3 handshake (ticket) over loopback", resume: true),
    ]

    static func identity() throws -> CertificateAndKey {
        try CertificateBuilder.selfSigned(commonName: "localhost", ipAddresses: ["127.0.0.1"], keyType: .ecP256)
    }

    static func contexts(_ version: TLSVersion, clientCache: Bool = false) throws -> (server: TLSContext, client: TLSContext) {
        let id = try identity()
        var s = TLSConfiguration.server(id)
        s.minimumVersion = version; s.maximumVersion = version
        s.cipherSuites = "TLS_AES_128_GCM_SHA256"
        var c = TLSConfiguration.client(trustRoots: .pem(id.certificatePEM))
        c.minimumVersion = version; c.maximumVersion = version
        c.cipherSuites = "TLS_AES_128_GCM_SHA256"
        c.clientSessionCache = clientCache
        return (try TLSContext(s), try TLSContext(c))
    }

    /// A connected pair: (client, server).
    static func pair(_ tls: TLSVersion?) async throws -> (NetStream, NetStream) {
        if let tls {
            let (sc, cc) = try contexts(tls)
            let listener = try await TLS.listen(port: 0, context: sc)
            async let accepted = listener.accept(timeout: .seconds(30))
            let client = try await TLS.connect(host: "127.0.0.1", port: listener.port!, context: cc, timeout: .seconds(30))
            let server = try await accepted
            await listener.close()
            return (client, server)
        }
        let listener = try await NetListener.listen(port: 0)
        async let accepted = listener.accept(timeout: .seconds(30))
        let client = try await NetStream.connect(host: "127.0.0.1", port: listener.port!, timeout: .seconds(30))
        let server = try await accepted
        await listener.close()
        return (client, server)
    }

    /// One byte there and back, then close: the reply comes after the server's TLS 1.3 tickets,
    /// so the client has stored a ticket by the time it closes.
    static func exchange(_ s: NetStream) async throws {
        try await s.write([1])
        guard try await s.read(max: 1, timeout: .seconds(30)) == [1] else { throw BenchError("no reply from the server") }
        await s.close()
    }

    static func stream(_ name: String, _ summary: String, tls: TLSVersion?, size: Int, zeroCopy: Bool = false) -> Benchmark {
        Benchmark(name: name, summary: summary, callgrindIterations: size >= 65_536 ? (50, 150) : (200, 600)) {
            let (client, server) = try await pair(tls)
            let payload = [UInt8](repeating: 0x5A, count: size)
            if zeroCopy {
                let buffer = ByteBuffer(bytes: payload)
                return Operation(
                    op: {
                        try await client.write(buffer)
                        let got = try await server.chunkBuffer(size, timeout: .seconds(30))
                        guard got.readableBytes == size else { throw BenchError("short read: \(got.readableBytes) of \(size)") }
                    },
                    tearDown: {
                        await client.close()
                        await server.close()
                    })
            }
            return Operation(
                op: {
                    try await client.write(payload)
                    let got = try await server.chunk(size, timeout: .seconds(30))
                    guard got.count == size else { throw BenchError("short read: \(got.count) of \(size)") }
                },
                tearDown: {
                    await client.close()
                    await server.close()
                })
        }
    }

    static func handshake(_ name: String, _ summary: String, resume: Bool) -> Benchmark {
        Benchmark(name: name, summary: summary, callgrindIterations: (20, 60)) {
            let (sc, cc) = try contexts(.tls1_3, clientCache: resume)
            let listener = try await TLS.listen(port: 0, context: sc)
            let port = listener.port!
            let acceptor = Task {
                while let s = try? await listener.accept() {
                    Task {
                        if let b = try? await s.read(max: 1) { try? await s.write(b) }
                        await s.close()
                    }
                }
            }
            if resume {
                // Prime the client's session cache with a ticket.
                try await exchange(try await TLS.connect(host: "127.0.0.1", port: port, context: cc, timeout: .seconds(30)))
            }
            return Operation(
                op: {
                    let s = try await TLS.connect(host: "127.0.0.1", port: port, context: cc, timeout: .seconds(30))
                    if resume && s.tls?.sessionReused != true { throw BenchError("the session was not resumed") }
                    try await exchange(s)
                },
                tearDown: {
                    await listener.close()
                    acceptor.cancel()
                })
        }
    }
}
