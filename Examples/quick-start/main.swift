// quick-start: the README's quick start as one program that runs on its own — a small CA issues a
// certificate for 127.0.0.1, a TLS server echoes, and a client that trusts only that CA talks to it.
// The TLS stream is used exactly like a TCP stream; only how it is opened differs.
//
//   swift run quick-start
//
// The DocC article "Getting Started" (Sources/JSec/JSec.docc/GettingStarted.md) shows this code;
// Tests/JSecTests/DocCArticleTests.swift checks that every Swift block there is taken from this file.
import JSec

// A small CA: a root, and a server certificate it issues for localhost and 127.0.0.1.
let ca = try CertificateAuthority.createRoot(commonName: "Quick Start CA")
let identity = try ca.issue(
    CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server))

// The server: a context built once (every option is validated here), then a listener.
// Port 0 lets the system pick a free port.
let serverContext = try TLSContext(.server(identity))
let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: serverContext)
let port = listener.port ?? 0

let server = Task {
    for try await client in listener {  // only connections whose handshake succeeded
        while let bytes = try await client.read(max: 4096) {
            try await client.write(bytes)  // echo
        }
        await client.close()
    }
}

// The client: verification is on by default (chain and hostname, TLS 1.2 minimum);
// it trusts only the CA above instead of the system trust store.
let clientContext = try TLSContext(.client(trustRoots: .certificates([ca.certificate])))
let stream = try await TLS.connect(host: "127.0.0.1", port: port, context: clientContext)

// From here on it is a plain stream: write, read, half-close, close.
try await stream.write("Hello, Secure World!\n")
let reply = try await stream.chunk(21)
print("echoed: \(String(decoding: reply, as: UTF8.self))", terminator: "")
if let tls = stream.tls {
    print("over \(tls.version) with \(tls.cipher)")
}
try await stream.shutdown()
await stream.close()

await listener.close()
try await server.value
