import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The swift-nio-ssl peer of tools/compare-peers. Same contract as every other peer
/// (tools/peers/README.md): `server` prints `{"listening":PORT}` once bound and echoes
/// until killed; `echo` and `handshake` print ONE JSON line with raw measurements.
@main
struct NIOSSLPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-ssl-peer",
        abstract: "swift-nio-ssl echo server, echo load client and handshake client.",
        subcommands: [Server.self, Echo.self, Handshake.self]
    )
}

/// Options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Address to bind or connect to.") var host = "127.0.0.1"
    @Option(help: "Port (server: 0 picks one).") var port = 0
    @Option(help: "tcp or 1.3") var tls = "1.3"
    @Option(help: "Event loop threads.") var threads = 1

    var isTLS: Bool { tls != "tcp" }

    func validate() throws {
        guard ["tcp", "1.3"].contains(tls) else { throw ValidationError("--tls must be tcp or 1.3") }
    }
}

/// TLS 1.3 only, X25519 only. BoringSSL does not let TLS 1.3 suites be chosen; with AES-NI it
/// prefers TLS_AES_128_GCM_SHA256, the suite every other peer is pinned to (the runs cross-check it).
enum PeerTLS {
    static func pin(_ config: inout TLSConfiguration) {
        config.minimumTLSVersion = .tlsv13
        config.maximumTLSVersion = .tlsv13
        config.curves = [.x25519]
        // Ed25519 verification is off by default in BoringSSL clients; list every key type we run.
        config.verifySignatureAlgorithms = [.ecdsaSecp256R1Sha256, .rsaPssRsaeSha256, .ed25519]
        config.signingSignatureAlgorithms = [.ecdsaSecp256R1Sha256, .rsaPssRsaeSha256, .ed25519]
    }

    static func server(cert: String, key: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        pin(&config)
        return try NIOSSLContext(configuration: config)
    }

    static func client(ca: String) throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        config.trustRoots = .file(ca)
        config.certificateVerification = .fullVerification  // chain + hostname: verification stays on
        pin(&config)
        return try NIOSSLContext(configuration: config)
    }
}

/// One JSON line on stdout, flushed.
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
