import ArgumentParser
import Foundation
import JSec
import NIOCore
import NIOPosix

/// JSec's peer for tools/compare-peers: the same contract as the swift-nio-ssl, Node and Python
/// peers (tools/peers/README.md). `server` prints `{"listening":PORT}` and echoes until killed;
/// `echo` and `handshake` print ONE JSON line of raw measurements; the analyzer does the statistics.
@main
struct JSecPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jsec-peer",
        abstract: "JSec echo server, echo load client and handshake client (tools/compare-peers).",
        subcommands: [PeerServer.self, PeerEcho.self, PeerHandshake.self]
    )
}

struct PeerCommonOptions: ParsableArguments {
    @Option(help: "Address to bind or connect to.") var host = "127.0.0.1"
    @Option(help: "Port (server: 0 picks one).") var port = 0
    @Option(help: "tcp, 1.3, or dtls1.2 (DTLS 1.2 over UDP: messages of --chunk bytes)") var tls = "1.3"
    @Option(help: "Event loop threads.") var threads = 1
    @Flag(inversion: .prefixedNo, help: "Run Swift tasks on the event loop threads (JSecRuntime.runTasksOnEventLoops).")
    var tasksOnEventLoops = true
    @Option(
        help:
            "stream: NetStream (the library's API); async-channel: SwiftNIO's NIOAsyncChannel over JSec's TLS handlers; handlers: plain NIO channel handlers over JSec's TLS handlers, no tasks (async-channel and handlers: server and echo only, TCP and TLS); direct: Swift tasks on an epoll loop of the peer's own, no NIO, OpenSSL on the socket (server and echo, TCP and TLS)"
    )
    var api = "stream"

    var isTLS: Bool { tls == "1.3" }
    var isAsyncChannel: Bool { api == "async-channel" }
    var isHandlers: Bool { api == "handlers" }
    var isDirect: Bool { api == "direct" }
    var isDTLS: Bool { tls == "dtls1.2" }

    /// The event loops to use: with --tasks-on-event-loops, NIO's shared group (sized to --threads)
    /// also runs every Swift task, so a stream call and its completion stay on one thread.
    func eventLoopGroup() -> any EventLoopGroup {
        guard tasksOnEventLoops else { return MultiThreadedEventLoopGroup(numberOfThreads: threads) }
        NIOSingletons.groupLoopCountSuggestion = threads
        JSecRuntime.runTasksOnEventLoops()
        return MultiThreadedEventLoopGroup.singleton
    }

    func validate() throws {
        guard ["tcp", "1.3", "dtls1.2"].contains(tls) else { throw ValidationError("--tls must be tcp, 1.3 or dtls1.2") }
        guard ["stream", "async-channel", "handlers", "direct"].contains(api) else {
            throw ValidationError("--api must be stream, async-channel, handlers or direct")
        }
        if api != "stream" && isDTLS { throw ValidationError("--api \(api) runs TCP and TLS only (DTLS has no NIO handler pair)") }
    }
}

/// The pins every peer shares: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519.
enum PeerTLS {
    static func pin(_ c: inout TLSConfiguration) {
        c.minimumVersion = .tls1_3
        c.maximumVersion = .tls1_3
        c.cipherSuites = "TLS_AES_128_GCM_SHA256"
        c.groups = "X25519"
    }

    static func server(cert: String, key: String) throws -> TLSContext {
        var c = TLSConfiguration.server(certificateChain: .file(cert), privateKey: .file(key))
        pin(&c)
        return try TLSContext(c)
    }

    /// Verification stays on: the server's certificate is the only trust root, hostname checked.
    static func client(ca: String) throws -> TLSContext {
        var c = TLSConfiguration.client(trustRoots: .file(ca))
        pin(&c)
        return try TLSContext(c)
    }
}

func emitJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys]
    FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
}

func raiseFileLimit() {
    var lim = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0, lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
    }
}

extension Duration {
    var microseconds: Int { Int(components.seconds) * 1_000_000 + Int(components.attoseconds / 1_000_000_000_000) }
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
