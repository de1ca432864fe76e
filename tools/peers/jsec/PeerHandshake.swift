import ArgumentParser
import Foundation
import JSec
import NIOCore
import NIOPosix

/// `clients` workers each loop connect → TLS 1.3 handshake (server verified) → 1-byte echo →
/// close until `duration` ends. Latency = connect start → echoed byte. `--mode resumed` offers
/// the latest session ticket of the worker's previous connection (one full handshake first).
struct PeerHandshake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "handshake", abstract: "Handshake client; prints one JSON line.")
    @OptionGroup var common: PeerCommonOptions
    @Option(help: "CA / pinned server certificate (PEM).") var ca: String
    @Option(help: "Server name to verify.") var serverName = "localhost"
    @Option(help: "Concurrent clients.") var clients = 1
    @Option(help: "Seconds.") var duration = 5.0
    @Option(help: "full or resumed") var mode = "full"

    struct Result: Encodable {
        var stack = "jsec", workload = "handshake"
        let mode: String, clients: Int, duration: Double, seconds: Double
        let handshakes: Int, resumed: Int, errors: Int
        let latenciesUs: [Int]
        let cipher: String?
    }

    struct Worker: Sendable {
        var latencies: [Int] = [], resumed = 0, errors = 0, cipher: String?
    }

    func validate() throws {
        guard ["full", "resumed"].contains(mode) else { throw ValidationError("--mode must be full or resumed") }
        if common.isDirect { throw ValidationError("--api direct: server and echo only") }
        if common.isAsyncChannel { throw ValidationError("--api async-channel: server and echo only (a handshake is the same TLS engine)") }
    }

    func run() async throws {
        raiseFileLimit()
        let group = common.eventLoopGroup()
        let context = try PeerTLS.client(ca: ca)
        let host = common.host, port = common.port, serverName = self.serverName, resume = mode == "resumed"
        let start = ContinuousClock.now
        let deadline = start + .nanoseconds(Int64(duration * 1e9))
        let workers = await withTaskGroup(of: Worker.self) { tasks in
            for _ in 0..<clients {
                tasks.addTask {
                    var w = Worker()
                    var session: TLSSession?
                    if resume {  // the first, full handshake only fetches a ticket: not counted
                        session = try? await Self.once(host, port, serverName, context, nil, group).session
                    }
                    while ContinuousClock.now < deadline {
                        let t0 = ContinuousClock.now
                        do {
                            let r = try await Self.once(host, port, serverName, context, resume ? session : nil, group)
                            w.latencies.append((ContinuousClock.now - t0).microseconds)
                            if r.reused { w.resumed += 1 }
                            if resume, let s = r.session { session = s }
                            w.cipher = r.cipher
                        } catch {
                            w.errors += 1
                            if w.errors > 1000 { break }
                        }
                    }
                    return w
                }
            }
            var all: [Worker] = []
            for await w in tasks { all.append(w) }
            return all
        }
        let seconds = (ContinuousClock.now - start).seconds
        try? await group.shutdownGracefully()
        let latencies = workers.flatMap(\.latencies)
        try emitJSON(
            Result(
                mode: mode, clients: clients, duration: duration, seconds: seconds, handshakes: latencies.count,
                resumed: workers.reduce(0) { $0 + $1.resumed }, errors: workers.reduce(0) { $0 + $1.errors },
                latenciesUs: latencies, cipher: workers.compactMap(\.cipher).first))
    }

    /// One connection: handshake, 1-byte echo (the server has finished its side; a TLS 1.3 ticket has arrived), close.
    static func once(
        _ host: String, _ port: Int, _ serverName: String, _ context: TLSContext, _ session: TLSSession?,
        _ group: any EventLoopGroup
    ) async throws -> (reused: Bool, session: TLSSession?, cipher: String?) {
        let stream = try await TLS.connect(
            host: host, port: port, serverName: serverName, context: context, session: session,
            timeout: .seconds(10), eventLoopGroup: group)
        do {
            try await stream.write([0x5A])
            _ = try await stream.chunk(1, timeout: .seconds(10))
        } catch {
            await stream.close()
            throw error
        }
        let tls = stream.tls
        let out = (tls?.sessionReused ?? false, tls?.session, tls?.info.cipher)
        await stream.close()
        return out
    }
}
