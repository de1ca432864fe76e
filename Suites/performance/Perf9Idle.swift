import Assay
import Foundation
import JSec
import NIOCore

/// perf9 idle-memory: how much resident memory an open but idle connection costs.
///
/// The client-host opens `connections` streams (each completes its handshake and one
/// 1 KiB echo, so every buffer on the path has been used once), then both sides go
/// idle. Each participant reports its resident set size before the connections were
/// opened and while they sit idle; the analyzer divides the difference by the count.
/// Run it in process mode so each side's RSS is its own.
/// glibc's `malloc_trim` (malloc.h is not in the Glibc module map): returns freed heap
/// memory to the system so that RSS counts what is in use.
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32

enum Perf9Idle {
    /// Resident set size of this process in bytes (VmRSS), after returning freed heap to the system.
    static func residentBytes() -> Int {
        _ = glibcMallocTrim(0)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) } ?? 0
            return kb * 1024
        }
        return 0
    }

    static func server(_ p: ParticipantContext) async throws {
        Perf9.raiseFileLimit()
        let isTLS = try p.string("protocol") == "tls"
        let count = try p.int("connections")
        var info = Perf9.ServerInfo(host: "127.0.0.1")
        var context: TLSContext?
        if isTLS {
            let identity = try CertificateBuilder.selfSigned(commonName: "localhost", ipAddresses: ["127.0.0.1"], keyType: .ecP256)
            var config = TLSConfiguration.server(identity)
            config.minimumVersion = .tls1_3
            context = try TLSContext(config)
            info.certificatePEM = identity.certificatePEM
        }
        let listener =
            if let context {
                try await TLS.listen(host: "127.0.0.1", port: 0, backlog: 4096, context: context)
            } else {
                try await NetListener.listen(host: "127.0.0.1", port: 0, backlog: 4096)
            }
        info.port = listener.port
        let counters = ServerCounters()
        let acceptor = Task {
            await withDiscardingTaskGroup { group in
                for await stream in listener.streamsUntilClosed() {
                    counters.connected()
                    group.addTask { counters.add(bytes: await Perf9.echo(stream, chunk: 1024)) }
                }
            }
        }
        // Warm up (OpenSSL's lazy tables, NIO's pools) with a few connections before the baseline.
        try await p.emit("ready", info)
        try await p.barrier("warm", timeout: .seconds(60))
        let before = residentBytes()
        try await p.barrier("start", timeout: .seconds(60))
        try await p.barrier("idle", timeout: .seconds(300))
        try await Task.sleep(for: .milliseconds(500))  // let the last echoes settle
        let after = residentBytes()
        try await p.barrier("measured", timeout: .seconds(60))
        try await p.awaitAll("client-host", "done", timeout: .seconds(120))
        await listener.close()
        await acceptor.value
        p.report([
            "connections": .int(counters.connections), "bytes": .int(counters.bytes),
            "handshakeFailures": .int(listener.handshakeFailures.count),
            "idleConnections": .int(count), "rssBeforeBytes": .int(before), "rssIdleBytes": .int(after),
        ])
    }

    static func clientHost(_ p: ParticipantContext) async throws {
        Perf9.raiseFileLimit()
        let count = try p.int("connections")
        let server = try await p.awaitOne("server", "ready", as: Perf9.ServerInfo.self, index: 0, timeout: .seconds(60))
        let context = try server.certificatePEM.map { pem -> TLSContext in
            var c = TLSConfiguration.client(trustRoots: .pem(pem))
            c.minimumVersion = .tls1_3
            return try TLSContext(c)
        }
        @Sendable func open() async throws -> NetStream {
            if let context {
                return try await TLS.connect(host: server.host, port: server.port!, context: context, timeout: .seconds(60))
            }
            return try await NetStream.connect(host: server.host, port: server.port!, timeout: .seconds(60))
        }
        @Sendable func ping(_ s: NetStream) async throws {
            let payload = [UInt8](repeating: 0x5A, count: 1024)
            try await s.write(payload)
            let back = try await s.chunk(payload.count, timeout: .seconds(60))
            try check(back == payload, "the echo came back different")
        }
        for _ in 0..<4 { let s = try await open(); try await ping(s); await s.close() }
        try await p.barrier("warm", timeout: .seconds(60))
        let before = Perf9Idle.residentBytes()
        try await p.barrier("start", timeout: .seconds(60))
        var results: [Perf9.ClientResult] = []
        var streams: [NetStream] = []
        // Open in batches of 50 so the accept queue never overflows.
        for batch in stride(from: 0, to: count, by: 50) {
            let opened = await withTaskGroup(of: (Perf9.ClientResult, NetStream?).self) { tasks in
                for _ in batch..<min(count, batch + 50) {
                    tasks.addTask {
                        var r = Perf9.ClientResult()
                        r.startNanos = DispatchTime.now().uptimeNanoseconds
                        do {
                            let s = try await open()
                            r.handshakeNanos = s.tls == nil ? nil : DispatchTime.now().uptimeNanoseconds - r.startNanos
                            r.negotiatedVersion = s.tls.map { "\($0.version)" }
                            r.connected = true
                            try await ping(s)
                            r.bytesSent = 1024; r.bytesReceived = 1024; r.iterations = 1
                            r.endNanos = DispatchTime.now().uptimeNanoseconds
                            return (r, s)
                        } catch {
                            r.endNanos = DispatchTime.now().uptimeNanoseconds
                            r.errors[(error as? JSecError)?.category.rawValue ?? "other", default: 0] += 1
                            return (r, nil)
                        }
                    }
                }
                var all: [(Perf9.ClientResult, NetStream?)] = []
                for await x in tasks { all.append(x) }
                return all
            }
            results += opened.map(\.0)
            streams += opened.compactMap(\.1)
        }
        try await p.barrier("idle", timeout: .seconds(300))
        try await Task.sleep(for: .milliseconds(500))
        let idle = Perf9Idle.residentBytes()
        try await p.barrier("measured", timeout: .seconds(60))
        for s in streams { await s.close() }
        p.report([
            "clients": .array(results.map(\.json)), "idleConnections": .int(streams.count),
            "rssBeforeBytes": .int(before), "rssIdleBytes": .int(idle),
        ])
        try await p.emit("done")
        try check(
            streams.count == count,
            "\(count - streams.count) of \(count) connections failed: \(results.flatMap(\.errors).map { "\($0.key)" }.joined(separator: ", "))")
    }
}
