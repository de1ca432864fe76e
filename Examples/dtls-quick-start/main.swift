// dtls-quick-start: jsec's DTLS quick start in Swift, as one program that runs on its own. As in jsec, DTLS opens
// from the program's own UDP socket: a connected one for the client (`net/connect … :datagram` → `dtls/client`),
// a bound one for the server (`net/listen … :datagram` → `dtls/server`).
//
//   swift run dtls-quick-start
//
// jsec's server loads cert.pem and key.pem; here a small CA issues the certificate, so nothing is read from disk
// (`.server(certificateChain: .file("cert.pem"), privateKey: .file("key.pem"))` is the configuration that reads files).
import JSec

let ca = try CertificateAuthority.createRoot(commonName: "DTLS Quick Start CA")
let identity = try ca.issue(
    CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server))

// Server: (def listener (net/listen "0.0.0.0" "4433" :datagram))
//         (def dtls-server (dtls/server listener {:cert "cert.pem" :key "key.pem"}))
// Port 0 lets the system pick a free port.
let listener = try await NetDatagramSocket.bind(host: "127.0.0.1", port: 0)
let dtlsServer = try await DTLS.serve(listener, configuration: .server(identity))
let port = dtlsServer.port ?? 0

let server = Task {
    let peer = try await dtlsServer.accept()  // a peer whose handshake succeeded
    while let message = try await peer.read() {  // one message per read; nil after the peer's close_notify
        try await peer.write(message)  // echo
    }
    await peer.close()
}

// Client: (def udp-socket (net/connect "127.0.0.1" "4433" :datagram))
//         (def dtls-client (dtls/client udp-socket {:verify true}))
// Verification is on by default; this client trusts only the CA above.
let udpSocket = try await NetDatagramSocket.connect(host: "127.0.0.1", port: port)
let dtlsClient = try await DTLS.upgrade(udpSocket, configuration: .client(trustRoots: .certificates([ca.certificate])))

// (dtls/write dtls-client "Hello DTLS")
// (print (dtls/read dtls-client 1024))
// (dtls/close dtls-client)
try await dtlsClient.write("Hello DTLS")
if let reply = try await dtlsClient.read(timeout: .seconds(10)) {
    print(String(decoding: reply, as: UTF8.self))
}
print("over \(dtlsClient.version) with \(dtlsClient.cipher), messages up to \(dtlsClient.maximumMessageSize) bytes")
await dtlsClient.close()

try await server.value
await dtlsServer.close()
