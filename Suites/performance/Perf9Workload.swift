import Assay
import Foundation
import JSec
import NIOCore
import NIOPosix
import Synchronization

/// perf9's one code path: TCP, Unix, TLS and TLS-over-Unix differ only in how a stream is opened.
enum Perf9 {
    /// What a server tells client-hosts: where to connect and which certificate to pin.
    struct ServerInfo: Codable, Sendable {
        var host: String
        var port: Int?
        var unixPath: String?
        var certificatePEM: String?
        /// server[0]'s key, shared with the other servers: connections on a shared port
        /// (SO_REUSEPORT) land on any server, and clients pin one certificate.
        var privateKeyPEM: String?
    }

    struct Load: Sendable {
        let proto: String
        let tlsVersion: TLSVersion?
        let chunkSize: Int
        let clientCount: Int
        let duration: Int

        var isTLS: Bool { proto == "tls" || proto == "unix-tls" }
        var isUnix: Bool { proto == "unix" || proto == "unix-tls" }
        /// DTLS 1.2 over UDP (Perf9DTLS.swift): messages, not a stream.
        var isDTLS: Bool { proto == "dtls" }

        init(_ p: ParticipantContext) throws {
            proto = try p.string("protocol")
            tlsVersion = try p.isNone("tls-version") ? nil : TLSVersion(parsing: p.string("tls-version"))
            chunkSize = try p.int("chunk-size")
            clientCount = try p.int("client-count")
            duration = try p.int("duration")
        }
    }

    /// In thread mode a participant owns a one-thread event loop group; elsewhere it uses the shared one.
    static func withEventLoops<T: Sendable>(_ p: ParticipantContext, _ body: (any EventLoopGroup) async throws -> T) async throws -> T {
        guard p.mode == .thread else { return try await body(JSecRuntime.eventLoopGroup) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let r = try await body(group)
            try? await group.shutdownGracefully()
            return r
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// 1,000 clients and their server connections need more than the usual 1,024 descriptors.
    static func raiseFileLimit() {
        var lim = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0, lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        }
    }

    // MARK: - server

    static func server(_ p: ParticipantContext) async throws {
        raiseFileLimit()
        let load = try Load(p)
        try await withEventLoops(p) { group in
            // On a host of a hosts file (remote participants) the server listens on that host's address.
            let bindHost = p.hostAddress ?? "127.0.0.1"
            var info = ServerInfo(host: bindHost)
            var context: TLSContext?
            // server[0] decides the shared things (port, certificate); the others join it.
            let first = p.index == 0 ? nil : try await p.awaitOne("server", "ready", as: ServerInfo.self, index: 0, timeout: .seconds(30))
            if load.isTLS || load.isDTLS {
                let identity: CertificateAndKey
                if let first, let cert = first.certificatePEM, let key = first.privateKeyPEM {
                    identity = CertificateAndKey(certificate: try Certificate(pem: cert), privateKey: try PrivateKey(pem: key))
                } else {
                    identity = try CertificateBuilder.selfSigned(
                        commonName: "localhost", dnsNames: IPAddress.isLiteral(bindHost) ? [] : [bindHost],
                        ipAddresses: IPAddress.isLiteral(bindHost) ? [bindHost] : [], keyType: .ecP256)
                }
                info.certificatePEM = identity.certificatePEM
                info.privateKeyPEM = try identity.privateKeyPEM
                if load.isDTLS {
                    // Each DTLS server has its own UDP port; clients are spread over them round-robin.
                    let server = try await Perf9DTLS.listen(host: bindHost, identity: identity, load: load, group: group)
                    info.port = server.port
                    try await p.emit("ready", info)
                    try await Perf9DTLS.serveEcho(p, server, duration: load.duration)
                    return
                }
                var config = TLSConfiguration.server(identity)
                config.minimumVersion = load.tlsVersion ?? .tls1_2
                config.maximumVersion = load.tlsVersion ?? .tls1_3
                context = try TLSContext(config)
            }
            let listener: NetListener
            if load.isUnix {
                let path = p.scratchDirectory.appendingPathComponent("perf9-\(p.index).sock").path
                info.unixPath = path
                if let context {
                    listener = try await TLS.listen(unixPath: path, context: context, eventLoopGroup: group)
                } else {
                    listener = try await NetListener.listen(unixPath: path, eventLoopGroup: group)
                }
            } else {
                // Servers share one port with SO_REUSEPORT: server[0] picks it, the others join.
                let port = first?.port ?? 0
                if let context {
                    listener = try await TLS.listen(host: bindHost, port: port, backlog: 4096, reusePort: true, context: context, eventLoopGroup: group)
                } else {
                    listener = try await NetListener.listen(host: bindHost, port: port, backlog: 4096, reusePort: true, eventLoopGroup: group)
                }
                info.port = listener.port
            }
            try await p.emit("ready", info)
            try await serveEcho(p, listener, chunk: load.chunkSize, duration: load.duration)
        }
    }

    /// What every perf9 echo server does once it has announced itself: echo each accepted stream,
    /// start with the client-hosts, stop when they are all done, report the raw counts.
    static func serveEcho(_ p: ParticipantContext, _ listener: NetListener, chunk: Int, duration: Int) async throws {
        let counters = ServerCounters()
        let acceptor = Task {
            await withDiscardingTaskGroup { group in
                for await stream in listener.streamsUntilClosed() {
                    counters.connected()
                    group.addTask { counters.add(bytes: await echo(stream, chunk: chunk)) }
                }
            }
        }
        try await p.barrier("start", timeout: .seconds(60))
        try await p.awaitAll("client-host", "done", timeout: .seconds(Double(duration) + 120))
        await listener.close()
        await acceptor.value
        p.report([
            "connections": .int(counters.connections), "bytes": .int(counters.bytes),
            "handshakeFailures": .int(listener.handshakeFailures.count),
        ])
    }

    /// Echoes until the client closes; returns the bytes echoed. Uses the zero-copy calls:
    /// the received buffer goes straight back down.
    static func echo(_ stream: NetStream, chunk: Int) async -> Int {
        var total = 0
        while let data = try? await stream.readBuffer(max: max(chunk, 65_536)) {
            total += data.readableBytes
            do { try await stream.write(data) } catch { break }
        }
        await stream.close()
        return total
    }

    // MARK: - client host

    struct ClientResult: Sendable {
        var bytesSent = 0, bytesReceived = 0, iterations = 0
        var startNanos: UInt64 = 0, endNanos: UInt64 = 0
        var handshakeNanos: UInt64?
        var connected = false
        var negotiatedVersion: String?
        var errors: [String: Int] = [:]
        /// DTLS clients: retransmissions, lost messages, late echoes, round-trip sample.
        var datagram: DatagramCounts?

        var json: JSONValue {
            let fields: [String: JSONValue] = [
                "bytesSent": .int(bytesSent), "bytesReceived": .int(bytesReceived), "iterations": .int(iterations),
                "startNanos": .int(Int(startNanos)), "endNanos": .int(Int(endNanos)),
                "handshakeNanos": handshakeNanos.map { .int(Int($0)) } ?? .null, "connected": .bool(connected),
                "negotiatedVersion": negotiatedVersion.map { .string($0) } ?? .null,
                "errors": .object(errors.mapValues { .int($0) }),
            ]
            return .object(fields.merging(datagram?.json ?? [:]) { a, _ in a })
        }
    }

    /// Runs the client-host's clients, reports them, and returns them (the unit smoke test checks them).
    @discardableResult
    static func clientHost(_ p: ParticipantContext) async throws -> [ClientResult] {
        raiseFileLimit()
        let load = try Load(p)
        let servers = try await p.awaitAll("server", "ready", as: ServerInfo.self, timeout: .seconds(60))
        return try await withEventLoops(p) { group in
            var contexts: [TLSContext?] = []
            for s in servers {
                contexts.append(
                    try s.certificatePEM.map { pem in
                        if load.isDTLS { return try Perf9DTLS.clientContext(certificatePEM: pem) }
                        var c = TLSConfiguration.client(trustRoots: .pem(pem))
                        c.minimumVersion = load.tlsVersion ?? .tls1_2
                        c.maximumVersion = load.tlsVersion ?? .tls1_3
                        return try TLSContext(c)
                    })
            }
            let tlsContexts = contexts
            try await p.barrier("start", timeout: .seconds(60))
            let deadline = ContinuousClock.now + .seconds(load.duration)
            let results = await withTaskGroup(of: ClientResult.self) { tasks in
                for i in 0..<load.clientCount {
                    let which = (i + p.index) % servers.count
                    tasks.addTask {
                        if load.isDTLS, let context = tlsContexts[which] {
                            return await Perf9DTLS.runClient(
                                server: servers[which], context: context, load: load, deadline: deadline, group: group,
                                seed: UInt64(p.index * 1_000_003 + i))
                        }
                        return await runClient(server: servers[which], context: tlsContexts[which], load: load, deadline: deadline, group: group)
                    }
                }
                var all: [ClientResult] = []
                for await r in tasks { all.append(r) }
                return all
            }
            p.report(["clients": .array(results.map(\.json))])
            try await p.emit("done")
            try checkThresholds(results, load: load, name: p.name)
            return results
        }
    }

    static func runClient(
        server: ServerInfo, context: TLSContext?, load: Load, deadline: ContinuousClock.Instant,
        group: any EventLoopGroup
    ) async -> ClientResult {
        var r = ClientResult()
        let payload = ByteBuffer(repeating: 0x5A, count: load.chunkSize)
        r.startNanos = DispatchTime.now().uptimeNanoseconds
        do {
            let stream: NetStream
            let t0 = DispatchTime.now().uptimeNanoseconds
            switch (server.unixPath, context) {
            case (let path?, let ctx?):
                stream = try await TLS.connect(unixPath: path, serverName: "localhost", context: ctx, timeout: .seconds(30), eventLoopGroup: group)
            case (let path?, nil): stream = try await NetStream.connect(unixPath: path, timeout: .seconds(30), eventLoopGroup: group)
            case (nil, let ctx?):
                stream = try await TLS.connect(host: server.host, port: server.port!, context: ctx, timeout: .seconds(30), eventLoopGroup: group)
            case (nil, nil): stream = try await NetStream.connect(host: server.host, port: server.port!, timeout: .seconds(30), eventLoopGroup: group)
            }
            r.connected = true
            if let tls = stream.tls {
                r.handshakeNanos = DispatchTime.now().uptimeNanoseconds - t0
                r.negotiatedVersion = "\(tls.version)"
            }
            r.startNanos = DispatchTime.now().uptimeNanoseconds
            while ContinuousClock.now < deadline {
                try await stream.write(payload)
                r.bytesSent += payload.readableBytes
                let back = try await stream.chunkBuffer(payload.readableBytes, timeout: .seconds(30))
                r.bytesReceived += back.readableBytes
                if back.readableBytes < payload.readableBytes { throw JSecError(.closed, "server closed the stream", code: .jsec(.closed)) }
                r.iterations += 1
            }
            r.endNanos = DispatchTime.now().uptimeNanoseconds
            await stream.close()
        } catch {
            r.endNanos = DispatchTime.now().uptimeNanoseconds
            let category = (error as? JSecError)?.category.rawValue ?? "other"
            r.errors[category, default: 0] += 1
        }
        return r
    }

    /// PERF9_MIN_THROUGHPUT (bytes/s per client-host), PERF9_MAX_HANDSHAKE_P95_MS, PERF9_MIN_CONNECTED_PCT:
    /// fail the test when set and not met.
    static func checkThresholds(_ results: [ClientResult], load: Load, name: String) throws {
        // A verification, handshake or configuration failure is a broken setup, not load: always fatal.
        let setupErrors = results.reduce(into: [String: Int]()) { acc, r in
            for (k, v) in r.errors where ["verification", "handshake", "configuration", "usage"].contains(k) { acc[k, default: 0] += v }
        }
        try check(
            setupErrors.isEmpty,
            "\(name): clients failed to set up: \(setupErrors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        let env = ProcessInfo.processInfo.environment
        let connected = results.filter(\.connected).count
        if let v = env["PERF9_MIN_CONNECTED_PCT"].flatMap(Double.init) {
            let pct = 100 * Double(connected) / Double(max(1, results.count))
            try check(pct >= v, "\(name): \(connected)/\(results.count) clients connected (\(pct)%), below PERF9_MIN_CONNECTED_PCT=\(v)")
        }
        if let v = env["PERF9_MIN_THROUGHPUT"].flatMap(Double.init) {
            let bytes = results.reduce(0) { $0 + $1.bytesSent + $1.bytesReceived }
            let throughput = Double(bytes) / Double(load.duration)
            try check(throughput >= v, "\(name): throughput \(Int(throughput)) B/s is below PERF9_MIN_THROUGHPUT=\(Int(v))")
        }
        if let v = env["PERF9_MAX_HANDSHAKE_P95_MS"].flatMap(Double.init) {
            let hs = results.compactMap(\.handshakeNanos).sorted()
            if !hs.isEmpty {
                let p95 = Double(hs[min(hs.count - 1, Int(Double(hs.count) * 0.95))]) / 1e6
                try check(p95 <= v, "\(name): handshake p95 \(p95) ms is above PERF9_MAX_HANDSHAKE_P95_MS=\(v)")
            }
        }
        for r in results where load.isTLS || load.isDTLS {
            if let got = r.negotiatedVersion, let want = load.tlsVersion {
                let expected = load.isDTLS ? "D" + want.protocolName : want.protocolName
                try check(got == expected, "\(name): asked for \(expected), negotiated \(got)")
            }
        }
    }
}

/// Connection and byte counts of one server participant (updated from many tasks).
final class ServerCounters: Sendable {
    private let state = Mutex<(connections: Int, bytes: Int, dropped: Int)>((0, 0, 0))
    func connected() { state.withLock { $0.connections += 1 } }
    func add(bytes: Int) { state.withLock { $0.bytes += bytes } }
    /// DTLS: messages a connection dropped on a full receive queue.
    func add(dropped: Int) { state.withLock { $0.dropped += dropped } }
    var connections: Int { state.withLock { $0.connections } }
    var bytes: Int { state.withLock { $0.bytes } }
    var dropped: Int { state.withLock { $0.dropped } }
}

extension NetListener {
    /// Accepted streams until the listener is closed.
    func streamsUntilClosed() -> AsyncStream<NetStream> {
        AsyncStream { continuation in
            let task = Task {
                while let s = try? await self.accept() { continuation.yield(s) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
