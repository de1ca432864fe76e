import Assay
import Foundation
import JSec
import JSecCrypto
import NIOCore
import NIOPosix
import Synchronization

/// perf9's handshake benchmark: `client-count` clients per client-host loop connect → handshake
/// (server verified against its pinned certificate) → 1-byte echo → close until `duration` ends,
/// fully or resuming the previous connection's session. Clients report every handshake's latency
/// (connect start → echoed byte) and their measuring window; the analyzer turns them into
/// handshakes/s and p50/p99 (HdrHistogram).
enum Perf9Handshake {
    struct Load: Sendable {
        let tlsVersion: TLSVersion
        let keyType: String
        let resumed: Bool
        let clientCount: Int
        let duration: Int

        init(_ p: ParticipantContext) throws {
            tlsVersion = try TLSVersion(parsing: p.string("tls-version"))
            keyType = try p.string("key-type")
            resumed = try p.string("resumption") == "resumed"
            clientCount = try p.int("client-count")
            duration = try p.int("duration")
        }

        var certificateKeyType: KeyType {
            get throws {
                switch keyType {
                case "rsa-2048": return .rsa2048
                case "p-256": return .ecP256
                case "ed25519": return .ed25519
                default: throw JSecError(.usage, "perf9/handshake: unknown key-type \(keyType)", code: .jsec(.unknownName))
                }
            }
        }

        /// The analyzer's label: "RSA-2048", "P-256", "Ed25519".
        var keyLabel: String { ["rsa-2048": "RSA-2048", "p-256": "P-256", "ed25519": "Ed25519"][keyType] ?? keyType }

        /// The pins tools/compare-peers uses too: one version, TLS_AES_128_GCM_SHA256 (TLS 1.3), X25519
        /// key exchange. TLS 1.2 also lists P-256: there supported_groups limits the ECDSA certificate's
        /// curve as well, and the server still picks X25519 first.
        func pin(_ c: inout TLSConfiguration) {
            c.minimumVersion = tlsVersion
            c.maximumVersion = tlsVersion
            c.cipherSuites = "TLS_AES_128_GCM_SHA256"
            c.groups = tlsVersion == .tls1_3 ? "X25519" : "X25519:P-256"
        }
    }

    static func server(_ p: ParticipantContext) async throws {
        Perf9.raiseFileLimit()
        let load = try Load(p)
        try await Perf9.withEventLoops(p) { group in
            let identity = try CertificateBuilder.selfSigned(
                commonName: "localhost", ipAddresses: ["127.0.0.1"],
                keyType: load.certificateKeyType)
            var config = TLSConfiguration.server(identity)
            load.pin(&config)
            let listener = try await TLS.listen(
                host: "127.0.0.1", port: 0, backlog: 4096, context: TLSContext(config),
                eventLoopGroup: group)
            try await p.emit(
                "ready",
                Perf9.ServerInfo(
                    host: "127.0.0.1", port: listener.port,
                    certificatePEM: identity.certificatePEM))
            try await Perf9.serveEcho(p, listener, chunk: 1, duration: load.duration)
        }
    }

    struct ClientResult: Sendable {
        var handshakes: [Int] = []
        var resumedCount = 0
        var windowNanos = 0
        var negotiatedVersion: String?
        var cipher: String?
        var errors: [String: Int] = [:]

        func json(_ load: Load) -> JSONValue {
            .object([
                "handshakes": .array(handshakes.map { .int($0) }), "resumed": .bool(load.resumed),
                "resumedCount": .int(resumedCount), "keyType": .string(load.keyLabel),
                "handshakeWindowNanos": .int(windowNanos), "connected": .bool(!handshakes.isEmpty),
                "negotiatedVersion": negotiatedVersion.map { .string($0) } ?? .null,
                "cipher": cipher.map { .string($0) } ?? .null,
                "errors": .object(errors.mapValues { .int($0) }),
            ])
        }
    }

    static func clientHost(_ p: ParticipantContext) async throws {
        Perf9.raiseFileLimit()
        let load = try Load(p)
        let server = try await p.awaitOne("server", "ready", as: Perf9.ServerInfo.self, index: 0, timeout: .seconds(60))
        try await Perf9.withEventLoops(p) { group in
            var config = TLSConfiguration.client(trustRoots: .pem(server.certificatePEM ?? ""))
            load.pin(&config)
            let context = try TLSContext(config)
            try await p.barrier("start", timeout: .seconds(60))
            let deadline = ContinuousClock.now + .seconds(load.duration)
            let results = await withTaskGroup(of: ClientResult.self) { tasks in
                for _ in 0..<load.clientCount {
                    tasks.addTask { await runClient(server: server, context: context, load: load, deadline: deadline, group: group) }
                }
                var all: [ClientResult] = []
                for await r in tasks { all.append(r) }
                return all
            }
            p.report(["clients": .array(results.map { $0.json(load) })])
            try await p.emit("done")
            try verify(results: results, load: load, name: p.name)
        }
    }

    static func runClient(
        server: Perf9.ServerInfo, context: TLSContext, load: Load, deadline: ContinuousClock.Instant,
        group: any EventLoopGroup
    ) async -> ClientResult {
        var r = ClientResult()
        var session: TLSSession?
        if load.resumed {  // one full handshake fetches the first ticket; not counted
            session = try? await once(server, context, nil, group).session
        }
        let start = DispatchTime.now().uptimeNanoseconds
        while ContinuousClock.now < deadline {
            let t0 = DispatchTime.now().uptimeNanoseconds
            do {
                let o = try await once(server, context, load.resumed ? session : nil, group)
                r.handshakes.append(Int(DispatchTime.now().uptimeNanoseconds - t0))
                if o.reused { r.resumedCount += 1 }
                if load.resumed, let s = o.session { session = s }
                r.negotiatedVersion = o.version
                r.cipher = o.cipher
            } catch {
                r.errors[(error as? JSecError)?.category.rawValue ?? "other", default: 0] += 1
                if r.errors.values.reduce(0, +) > 1000 { break }
            }
        }
        r.windowNanos = Int(DispatchTime.now().uptimeNanoseconds - start)
        return r
    }

    struct Once: Sendable { let reused: Bool, session: TLSSession?, version: String?, cipher: String? }

    /// One connection: handshake, 1-byte echo (the server finished its side, a TLS 1.3 ticket arrived), close.
    static func once(
        _ server: Perf9.ServerInfo, _ context: TLSContext, _ session: TLSSession?,
        _ group: any EventLoopGroup
    ) async throws -> Once {
        let stream = try await TLS.connect(
            host: server.host, port: server.port ?? 0, serverName: "localhost", context: context,
            session: session, timeout: .seconds(30), eventLoopGroup: group)
        do {
            try await stream.write([0x5A])
            let back = try await stream.chunk(1, timeout: .seconds(30))
            if back.count != 1 { throw JSecError(.closed, "server closed before echoing", code: .jsec(.closed)) }
        } catch {
            await stream.close()
            throw error
        }
        let tls = stream.tls
        let o = Once(reused: tls?.sessionReused ?? false, session: tls?.session, version: tls.map { "\($0.info.version)" }, cipher: tls?.info.cipher)
        await stream.close()
        return o
    }

    /// A broken setup fails the test: setup errors, no handshake at all, the wrong version or suite,
    /// or (resumed) connections that were not resumed.
    static func verify(results: [ClientResult], load: Load, name: String) throws {
        let setup = results.reduce(into: [String: Int]()) { acc, r in
            for (k, v) in r.errors where ["verification", "handshake", "configuration", "usage"].contains(k) { acc[k, default: 0] += v }
        }
        try check(setup.isEmpty, "\(name): handshakes failed: \(setup.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })")
        let total = results.reduce(0) { $0 + $1.handshakes.count }
        try check(total > 0, "\(name): no handshake completed in \(load.duration) s")
        for r in results {
            if let v = r.negotiatedVersion { try check(v == load.tlsVersion.protocolName, "\(name): negotiated \(v)") }
            if load.tlsVersion == .tls1_3, let c = r.cipher { try check(c == "TLS_AES_128_GCM_SHA256", "\(name): negotiated \(c)") }
        }
        let resumed = results.reduce(0) { $0 + $1.resumedCount }
        if load.resumed {
            try check(resumed == total, "\(name): \(total - resumed) of \(total) connections were not resumed")
        } else {
            try check(resumed == 0, "\(name): \(resumed) connections resumed in full-handshake mode")
        }
    }
}
