import ArgumentParser
import Foundation
import JSec
import NIOCore
import NIOPosix

struct PeerServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "server", abstract: "Echo server; prints {\"listening\":PORT}.")
    @OptionGroup var common: PeerCommonOptions
    @Option(help: "Server certificate (PEM).") var cert: String?
    @Option(help: "Server private key (PEM).") var key: String?

    func run() async throws {
        raiseFileLimit()
        if common.isDirect {
            let tls = try common.isTLS ? DirectTLS(server: true, cert: cert, key: key) : nil
            return try await PeerDirect.serve(host: common.host, port: common.port, tls: tls)
        }
        let group = common.eventLoopGroup()
        if common.isDTLS {
            guard let cert, let key else { throw ValidationError("--cert and --key are required with --tls dtls1.2") }
            try await PeerDTLS.serve(host: common.host, port: common.port, cert: cert, key: key, group: group)
            return
        }
        if common.isAsyncChannel || common.isHandlers {
            var tls: TLSContext?
            if common.isTLS {
                guard let cert, let key else { throw ValidationError("--cert and --key are required with --tls 1.3") }
                tls = try PeerTLS.server(cert: cert, key: key)
            }
            if common.isHandlers {
                try await PeerHandlers.serve(host: common.host, port: common.port, tls: tls, group: group)
            } else {
                try await PeerAsyncChannel.serve(host: common.host, port: common.port, tls: tls, group: group)
            }
            return
        }
        let listener: NetListener
        if common.isTLS {
            guard let cert, let key else { throw ValidationError("--cert and --key are required with --tls 1.3") }
            listener = try await TLS.listen(
                host: common.host, port: common.port, backlog: 4096,
                context: PeerTLS.server(cert: cert, key: key), eventLoopGroup: group)
        } else {
            listener = try await NetListener.listen(host: common.host, port: common.port, backlog: 4096, eventLoopGroup: group)
        }
        struct Listening: Encodable { let listening: Int }
        try emitJSON(Listening(listening: listener.port ?? 0))
        await withDiscardingTaskGroup { tasks in
            while let stream = try? await listener.accept() {
                tasks.addTask { await echo(stream) }
            }
        }
    }

    /// Writes back what it reads until the client closes.
    private func echo(_ stream: NetStream) async {
        while let data = try? await stream.readBuffer(max: 65_536) {  // zero-copy: the buffer goes straight back
            do { try await stream.write(data) } catch { break }
        }
        await stream.close()
    }
}
