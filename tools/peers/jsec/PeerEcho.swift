import ArgumentParser
import Foundation
import JSec
import NIOCore
import NIOPosix

/// `clients` streams each write `chunk` bytes and read them back until `duration` ends. All
/// connect (and handshake) first; the clock starts when all are ready.
struct PeerEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo", abstract: "Echo load client; prints one JSON line.")
    @OptionGroup var common: PeerCommonOptions
    @Option(help: "CA / pinned server certificate (PEM).") var ca: String?
    @Option(help: "Server name to verify.") var serverName = "localhost"
    @Option(help: "Concurrent clients.") var clients = 1
    @Option(help: "Bytes per write.") var chunk = 65_536
    @Option(help: "Seconds.") var duration = 5.0

    struct Result: Encodable {
        var stack = "jsec", workload = "echo"
        let transport: String, clients: Int, chunk: Int, duration: Double
        let seconds: Double, bytes: Int, iterations: Int, connected: Int, errors: Int
        let perClientBytes: [Int]
        let cipher: String?
    }

    func run() async throws {
        raiseFileLimit()
        if common.isDirect {
            let tls = try common.isTLS ? DirectTLS(server: false, ca: ca) : nil
            return try emitJSON(
                await PeerDirect.echo(host: common.host, port: common.port, tls: tls, clients: clients, chunk: chunk, duration: duration))
        }
        let group = common.eventLoopGroup()
        if common.isDTLS {
            try await PeerDTLS.echo(
                host: common.host, port: common.port, serverName: serverName, ca: ca ?? "", clients: clients, chunk: chunk,
                duration: duration, group: group)
            return
        }
        let context = try common.isTLS ? PeerTLS.client(ca: ca ?? "") : nil
        if common.isAsyncChannel || common.isHandlers {
            let run = common.isHandlers ? PeerHandlers.echo : PeerAsyncChannel.echo
            let result = try await run(common.host, common.port, context, serverName, clients, chunk, duration, group)
            try? await group.shutdownGracefully()
            try emitJSON(result)
            return
        }
        var streams: [NetStream] = []
        var errors = 0
        for _ in 0..<clients {
            do {
                if let context {
                    streams.append(
                        try await TLS.connect(
                            host: common.host, port: common.port, serverName: serverName,
                            context: context, timeout: .seconds(30), eventLoopGroup: group))
                } else {
                    streams.append(
                        try await NetStream.connect(
                            host: common.host, port: common.port, timeout: .seconds(30),
                            eventLoopGroup: group))
                }
            } catch {
                errors += 1
                FileHandle.standardError.write(Data("connect: \(error)\n".utf8))
            }
        }
        let chunk = self.chunk
        let (results, seconds) = await Self.measure(streams, duration: duration) { stream, deadline in
            // The zero-copy calls, as a performance-minded JSec user writes it (the NIO peers
            // hand ByteBuffers through the same way).
            let payload = ByteBuffer(repeating: 0x5A, count: chunk)
            var bytes = 0, iterations = 0
            do {
                while ContinuousClock.now < deadline {
                    try await stream.write(payload)
                    bytes += chunk
                    let back = try await stream.chunkBuffer(chunk, timeout: .seconds(30))
                    bytes += back.readableBytes
                    if back.readableBytes < chunk { throw JSecError(.closed, "server closed the stream", code: .jsec(.closed)) }
                    iterations += 1
                }
            } catch {
                await stream.close()
                return Tally(bytes: bytes, iterations: iterations, failed: true)
            }
            await stream.close()
            return Tally(bytes: bytes, iterations: iterations, failed: false)
        }
        try? await group.shutdownGracefully()
        try emitJSON(
            Result(
                transport: common.isTLS ? "tls1.3" : "tcp", clients: clients, chunk: chunk, duration: duration,
                seconds: seconds, bytes: results.reduce(0) { $0 + $1.bytes },
                iterations: results.reduce(0) { $0 + $1.iterations }, connected: streams.count,
                errors: errors + results.filter(\.failed).count, perClientBytes: results.map(\.bytes),
                cipher: streams.first?.tls?.info.cipher))
    }

    /// One client's count: bytes both ways, round trips, and whether it ended in an error.
    struct Tally: Sendable { let bytes: Int, iterations: Int, failed: Bool }

    /// Runs `client` on every connection at once until `duration` seconds from now; the tallies and the seconds it took.
    static func measure<Connection: Sendable>(
        _ connections: [Connection], duration: Double,
        _ client: @escaping @Sendable (Connection, ContinuousClock.Instant) async -> Tally
    ) async -> (tallies: [Tally], seconds: Double) {
        let start = ContinuousClock.now
        let deadline = start + .nanoseconds(Int64(duration * 1e9))
        let tallies = await withTaskGroup(of: Tally.self) { tasks in
            for connection in connections { tasks.addTask { await client(connection, deadline) } }
            var all: [Tally] = []
            for await t in tasks { all.append(t) }
            return all
        }
        return (tallies, (ContinuousClock.now - start).seconds)
    }
}
