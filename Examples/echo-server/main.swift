// echo-server: echoes every byte back, over TLS or plain TCP/Unix sockets.
//
//   swift run echo-server --self-signed --port 8443
//   openssl s_client -connect 127.0.0.1:8443
import ArgumentParser
import Foundation
import JSec

@main
struct EchoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A TLS (or plain) echo server built on JSec.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one, printed at start).") var port = 8443
    @Option(help: "Listen on this Unix-domain socket path instead of TCP.") var unix: String?
    @Option(help: "Certificate chain (PEM file). Enables TLS.") var cert: String?
    @Option(help: "Private key (PEM file) for --cert.") var key: String?
    @Flag(help: "Generate a self-signed certificate for localhost/127.0.0.1 at start. Enables TLS.") var selfSigned = false
    @Option(help: "Key type for --self-signed: \(KeyType.signingNames).") var keyType = "p256"
    @Option(help: "Only this TLS version: 1.2 or 1.3 (default: 1.2 and 1.3).") var tlsVersion: String?
    @Option(help: "ALPN protocols to accept, comma-separated, most preferred first.") var alpn: String?
    @Flag(help: "Require a client certificate that chains to --ca (mTLS).") var requireClientCert = false
    @Option(help: "CA certificates (PEM file) that client certificates must chain to.") var ca: String?
    @Option(help: "Stop after serving this many connections (0: serve forever).") var maxConnections = 0
    @Option(help: "Close a connection after this many seconds without traffic (0: never).") var idleTimeout = 300.0
    @Option(
        help: "Bytes received and not yet echoed, all connections together, above which those holding some stop reading (default 4 MiB)."
    )
    var readBudget: Int?

    func run() async throws {
        let tlsContext = try makeTLSContext()
        guard idleTimeout >= 0, idleTimeout.isFinite else { throw ValidationError("--idle-timeout must be a number of seconds >= 0") }
        let idle: Duration? = idleTimeout > 0 ? .milliseconds(Int64(idleTimeout * 1000)) : nil
        if let readBudget {
            guard readBudget >= 0 else { throw ValidationError("--read-budget must be a number of bytes >= 0") }
            JSecRuntime.streamReadBudget = readBudget
        }
        let listener: NetListener
        switch (unix, tlsContext) {
        case (let path?, let ctx?): listener = try await TLS.listen(unixPath: path, context: ctx, idleTimeout: idle)
        case (let path?, nil): listener = try await NetListener.listen(unixPath: path, idleTimeout: idle)
        case (nil, let ctx?): listener = try await TLS.listen(host: host, port: port, context: ctx, idleTimeout: idle)
        case (nil, nil): listener = try await NetListener.listen(host: host, port: port, idleTimeout: idle)
        }
        say("echo-server: \(tlsContext == nil ? "plain" : "TLS") on \(listener.localAddress.map(String.init(describing:)) ?? "?")")
        var served = 0
        try await withThrowingDiscardingTaskGroup { group in
            for try await stream in listener {
                served += 1
                let last = maxConnections > 0 && served >= maxConnections
                group.addTask { await Self.echo(stream) }
                if last { await listener.close() }
            }
        }
    }

    static func echo(_ stream: NetStream) async {
        if let tls = stream.tls {
            say(
                "connection from \(stream.remoteAddress.map(String.init(describing:)) ?? "?"): \(tls.version) \(tls.cipher)"
                    + (tls.alpn.map { " alpn=\($0)" } ?? "")
                    + (tls.info.peerCertificates.first.map { " client=\($0.subject)" } ?? ""))
        }
        do {
            // readBuffer/write(ByteBuffer): the received bytes go back out without a copy (read(max:) gives
            // an [UInt8], and write copies it into a buffer again: two 64 KiB copies held while a peer stalls).
            while let data = try await stream.readBuffer(max: 65_536) {
                try await stream.write(data)
            }
            try await stream.shutdown()
        } catch {
            FileHandle.standardError.write(Data("echo-server: \(error)\n".utf8))
        }
        await stream.close()
    }

    func makeTLSContext() throws -> TLSContext? {
        var config: TLSConfiguration
        if selfSigned {
            let type = try KeyType(name: keyType)
            guard type.canSign else { throw ValidationError("--key-type \(keyType) cannot sign a certificate; use one of \(KeyType.signingNames)") }
            let identity = try CertificateBuilder.selfSigned(commonName: "localhost", ipAddresses: ["127.0.0.1", "::1"], keyType: type)
            config = .server(identity)
        } else if let cert {
            guard let key else { throw ValidationError("--cert needs --key") }
            config = .server(certificateChain: .file(cert), privateKey: .file(key))
        } else {
            if requireClientCert || alpn != nil || tlsVersion != nil {
                throw ValidationError("--require-client-cert, --alpn and --tls-version need TLS: give --cert/--key or --self-signed")
            }
            return nil
        }
        if let v = tlsVersion {
            let version = try TLSVersion(parsing: v)
            config.minimumVersion = version
            config.maximumVersion = version
        }
        if let alpn { config.applicationProtocols = alpn.split(separator: ",").map(String.init) }
        if requireClientCert {
            guard let ca else { throw ValidationError("--require-client-cert needs --ca FILE") }
            config.clientAuthentication = .required
            config.trustRoots = .file(ca)
        }
        return try TLSContext(config)
    }
}

/// Prints a line unbuffered, so a log or a test reading stdout sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
