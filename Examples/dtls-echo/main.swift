// dtls-echo: a DTLS 1.2 echo server and client on JSec (one executable, two subcommands).
//
//   swift run dtls-echo server --self-signed --port 4433
//   swift run dtls-echo client --port 4433 --insecure hello world
//   openssl s_client -dtls1_2 -connect 127.0.0.1:4433      (against the server)
//   openssl s_server -dtls1_2 -accept 4433 -cert c.pem -key k.pem   (for the client, with --ca)
import ArgumentParser
import Foundation
import JSec

@main
struct DTLSEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "DTLS 1.2 echo over UDP: many peers on one server socket, one message per datagram.",
        subcommands: [Server.self, Client.self])
}

struct Shared: ParsableArguments {
    @Option(help: "Largest datagram to send, in bytes (256…65507).") var mtu = 1400
    @Option(help: "Cipher list for DTLS 1.2 (OpenSSL syntax).") var cipher: String?
    @Option(help: "ALPN protocols, comma-separated, most preferred first.") var alpn: String?

    func options() -> DTLSOptions {
        var o = DTLSOptions()
        o.mtu = mtu
        return o
    }

    func apply(to config: inout TLSConfiguration) {
        config.cipherList = cipher
        if let alpn { config.applicationProtocols = alpn.split(separator: ",").map(String.init) }
    }
}

struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Echo every message back to the peer that sent it.")

    @Option(help: "Address to listen on (::1 or :: for IPv6).") var host = "127.0.0.1"
    @Option(help: "UDP port (0 picks a free one, printed at start).") var port = 4433
    @Option(help: "Certificate chain (PEM file).") var cert: String?
    @Option(help: "Private key (PEM file) for --cert.") var key: String?
    @Flag(help: "Generate a self-signed certificate for localhost/127.0.0.1/::1 at start.") var selfSigned = false
    @Flag(help: "Require a client certificate that chains to --ca (mTLS).") var requireClientCert = false
    @Option(help: "CA certificates (PEM file) that client certificates must chain to.") var ca: String?
    @Option(help: "Drop a peer that sends nothing for this many seconds.") var idleTimeout = 120
    @Option(help: "Stop after serving this many peers (0: serve forever).") var maxPeers = 0
    @Option(help: "Seconds one DTLS cookie secret is used (a cookie is refused after two periods; 0.1…86400).") var cookieLifetime = 60.0
    @Option(help: "Memory half-open handshakes may hold together, in KiB (each half-open handshake is charged 60 KiB).") var halfOpenBudget = 16_384
    @OptionGroup var shared: Shared

    func run() async throws {
        var config: TLSConfiguration
        if selfSigned {
            config = .server(try CertificateBuilder.selfSigned(commonName: "localhost", ipAddresses: ["127.0.0.1", "::1"], keyType: .ecP256))
        } else if let cert, let key {
            config = .server(certificateChain: .file(cert), privateKey: .file(key))
        } else {
            throw ValidationError("give --cert and --key, or --self-signed")
        }
        if requireClientCert {
            guard let ca else { throw ValidationError("--require-client-cert needs --ca") }
            config.clientAuthentication = .required
            config.trustRoots = .file(ca)
        }
        shared.apply(to: &config)
        var options = shared.options()
        options.peerIdleTimeout = .seconds(idleTimeout)
        options.cookieSecretLifetime = .milliseconds(Int64(cookieLifetime * 1000))
        options.halfOpenHandshakeBudget = halfOpenBudget * 1024
        let server = try await DTLS.listen(host: host, port: port, context: DTLS.context(config), options: options)
        say("dtls-echo: DTLS 1.2 on \(server.localAddress.map(String.init(describing:)) ?? "?")")
        var served = 0
        await withDiscardingTaskGroup { group in
            for await connection in server.ignoringErrors() {
                served += 1
                let last = maxPeers > 0 && served >= maxPeers
                group.addTask { await Self.echo(connection, stopServer: last ? server : nil) }
                if last { break }
            }
        }
    }

    static func echo(_ c: DTLSConnection, stopServer: DTLSServer?) async {
        say(
            "peer \(c.remoteAddress.map(String.init(describing:)) ?? "?"): \(c.version) \(c.cipher)"
                + (c.alpn.map { " alpn=\($0)" } ?? "") + (c.sessionReused ? " resumed" : "")
                + (c.info.peerCertificates.first.map { " client=\($0.subject)" } ?? ""))
        do {
            while let message = try await c.read() { try await c.write(message) }
            say("peer \(c.remoteAddress.map(String.init(describing:)) ?? "?") closed")
        } catch {
            say("peer \(c.remoteAddress.map(String.init(describing:)) ?? "?"): \(error)")
        }
        await c.close()
        if let stopServer { await stopServer.close() }
    }
}

struct Client: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send each argument as one message and print the echo.")

    @Option(help: "Server host name or address.") var host = "127.0.0.1"
    @Option(help: "Server UDP port.") var port = 4433
    @Option(help: "Name to check the certificate against (default: --host).") var serverName: String?
    @Option(help: "CA certificates (PEM file) to trust (default: the system store).") var ca: String?
    @Flag(help: "Accept any server certificate (testing only).") var insecure = false
    @Option(help: "Client certificate (PEM file) for mTLS.") var cert: String?
    @Option(help: "Private key (PEM file) for --cert.") var key: String?
    @Option(help: "Seconds to wait for each echo before resending the message (DTLS does not resend data).") var wait = 1
    @Option(help: "How often to send a message before giving up on its echo.") var attempts = 5
    @OptionGroup var shared: Shared
    @Argument(help: "Messages to send (default: one 'hello').") var messages: [String] = []

    func run() async throws {
        var config = TLSConfiguration.client(trustRoots: ca.map { .file($0) } ?? .system, verification: insecure ? .none : .fullVerification)
        if let cert, let key {
            config.certificateChain = .file(cert)
            config.privateKey = .file(key)
        }
        shared.apply(to: &config)
        let c = try await DTLS.connect(host: host, port: port, serverName: serverName, context: DTLS.context(config), options: shared.options())
        say("connected to \(c.remoteAddress.map(String.init(describing:)) ?? "?"): \(c.version) \(c.cipher), messages up to \(c.maximumMessageSize) bytes")
        for text in messages.isEmpty ? ["hello"] : messages {
            let message = Array(text.utf8)
            var echoed = false
            for _ in 0..<attempts where !echoed {
                try await c.write(message)
                do {
                    while let reply = try await c.read(timeout: .seconds(wait)) {
                        if reply == message { echoed = true; break }
                    }
                } catch let e as JSecError where e.category == .timeout {
                    say("no echo for '\(text)' within \(wait) s, sending it again")
                }
            }
            guard echoed else { await c.close(); throw ValidationError("no echo for '\(text)' after \(attempts) attempts") }
            say("echo: \(text)")
        }
        await c.close()
    }
}

extension DTLSServer {
    /// The accepted connections until the server closes.
    func ignoringErrors() -> AsyncStream<DTLSConnection> {
        AsyncStream { continuation in
            let task = Task {
                while let c = try? await self.accept() { continuation.yield(c) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
