import Assay
import JSec

/// DTLS 1.2 behaviour against our own peer.
package let dtlsSuite = Suite("dtls", category: "unit", description: "DTLS 1.2 client and server against our own peer", timeout: 60) {
    MatrixTest(
        "echo", matrix: .inline(["size": [1, 100, 1000, 1300, 8000], "mtu": [1400, 9000]]),
        ensured: [["size": 1000, "mtu": 1400]]
    ) { ctx in
        try await DTLSBehaviour.echo(size: ctx.int("size"), mtu: ctx.int("mtu"))
    }
    MatrixTest(
        "handshake fragments to the mtu", matrix: .inline(["mtu": [256, 576], "key-type": ["p256", "rsa2048"]]),
        ensured: [["mtu": 256, "key-type": "p256"]]
    ) { ctx in
        try await DTLSBehaviour.handshakeFragmentsToMTU(ctx.int("mtu"), keyType: KeyType(name: ctx.string("key-type")))
    }
    Test("one message per read") { _ in try await DTLSBehaviour.oneMessagePerRead() }
    MatrixTest("concurrent clients on one socket", matrix: .inline(["clients": [5, 50]]), ensured: [["clients": 5]]) { ctx in
        try await DTLSBehaviour.manyClients(ctx.int("clients"), rounds: 5)
    }
    // Seeds whose first drops fall on the opening datagrams (ClientHellos), so a flight is always lost.
    MatrixTest("lossy relay", matrix: .inline(["seed": [7, 10]]), ensured: [["seed": 10]]) { ctx in
        try await DTLSBehaviour.lossyRelay(clients: 20, messages: 10, dropRate: 0.05, seed: UInt64(ctx.int("seed")))
    }
    Test("cookie exchange against spoofed sources") { _ in try await DTLSBehaviour.cookieExchange() }
    Test("close sends close_notify") { _ in try await DTLSBehaviour.closeNotify() }
    Test("mutual TLS") { _ in try await DTLSSecurity.mutualTLS() }
    Test("verification failure") { _ in try await DTLSSecurity.verificationFailure() }
    Test("cipher and ALPN") { _ in try await DTLSSecurity.cipherAndALPN() }
    MatrixTest("session resumption", matrix: .inline(["tickets": [true, false]]), ensured: [["tickets": true]]) { ctx in
        try await DTLSSecurity.sessionResumption(tickets: ctx.bool("tickets"))
    }
    Test("IPv6") { _ in try await DTLSSecurity.ipv6() }
    MatrixTest("upgrade a UDP channel", matrix: .inline(["connected": [true, false]]), ensured: [["connected": true]]) { ctx in
        try await DTLSSecurity.upgrade(connected: ctx.bool("connected"))
    }
    Test("upgrade and serve a NetDatagramSocket") { _ in try await DTLSSocketCases.roundTrip() }
    Test("NetDatagramSocket misuse is refused and keeps the socket") { _ in try await DTLSSocketCases.misuse() }
    Test("peer restarts on the same port") { _ in try await DTLSSecurity.peerRestartsOnSamePort() }
    Test("replayed ClientHello does not end a session") { _ in try await DTLSSecurity.replayedClientHello() }
    Test("peer idle timeout") { _ in try await DTLSSecurity.peerIdleTimeout() }
    Test("handshake timeout and refused port") { _ in try await DTLSSecurity.handshakeTimeouts() }
    Test("invalid configuration is rejected") { _ in try await DTLSSecurity.invalidConfiguration() }
}
