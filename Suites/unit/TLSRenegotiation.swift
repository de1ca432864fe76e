import Foundation
import JSec

/// TLS 1.2 renegotiation: opt-in on both sides, exercised while data flows both ways.
package enum TLSRenegotiation {
    static func configs(server allowServer: Bool = true, client allowClient: Bool = true) -> (TLSConfiguration, TLSConfiguration) {
        var server = TestPKI.shared.serverConfiguration()
        var client = TestPKI.shared.clientConfiguration()
        server.maximumVersion = .tls1_2
        client.maximumVersion = .tls1_2
        server.allowRenegotiation = allowServer
        client.allowRenegotiation = allowClient
        return (server, client)
    }

    /// Three renegotiations (started by `initiator`) while both sides stream 1 MB to each other: no byte lost.
    package static func whileDataFlows(_ transport: Transport, initiator: String) async throws {
        let (server, client) = configs()
        try await withPair(transport, server: server, client: client) { pair in
            let total = 1 << 20, chunk = 16_384
            let up = pattern(total, seed: 3), down = pattern(total, seed: 7)
            let sendUp = Task { for o in stride(from: 0, to: total, by: chunk) { try await pair.client.write(Array(up[o..<min(o + chunk, total)])) } }
            let sendDown = Task { for o in stride(from: 0, to: total, by: chunk) { try await pair.server.write(Array(down[o..<min(o + chunk, total)])) } }
            let recvUp = Task { try await pair.server.chunk(total, timeout: .seconds(30)) }
            let recvDown = Task { try await pair.client.chunk(total, timeout: .seconds(30)) }
            let side = initiator == "server" ? pair.server : pair.client
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(5))
                try await side.tls!.renegotiate()
            }
            try await sendUp.value
            try await sendDown.value
            try check(try await recvUp.value == up, "client → server bytes differ after renegotiation")
            try check(try await recvDown.value == down, "server → client bytes differ after renegotiation")
            try checkEqual(try await side.tls!.renegotiationCount(), 3, "renegotiations counted by the initiator")
            // And the connection still works afterwards.
            try await pair.client.write("after")
            try checkEqual(try await pair.server.chunk(5, timeout: .seconds(5)), Array("after".utf8), "data after renegotiation")
        }
    }

    /// Our client renegotiates with `openssl s_server -client_renegotiation` mid-stream; without the flag, s_server refuses.
    package static func clientAgainstSServer(allowedByPeer: Bool) async throws {
        let files = try OpenSSLPeers.writeIdentity()
        let server = try PeerProcess(
            "openssl",
            [
                "s_server", "-accept", "127.0.0.1:0", "-cert", files.cert, "-key", files.key, "-tls1_2",
                "-rev", "-naccept", "1",
            ] + (allowedByPeer ? ["-client_renegotiation"] : []))
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        let (_, client) = configs()
        let s = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(client))
        func roundTrip(_ text: String) async throws {
            try await s.write(text + "\n")
            var got: [UInt8] = []
            while !got.contains(UInt8(ascii: "\n")), let part = try await s.read(max: 100, timeout: .seconds(10)) { got += part }
            try checkEqual(String(decoding: got, as: UTF8.self), String(text.reversed()) + "\n", "s_server -rev reply")
        }
        try await roundTrip("before")
        if allowedByPeer {
            try await s.tls!.renegotiate()
            try await roundTrip("after")
        } else {
            try await checkThrowsJSec(.protocol, "s_server refuses client renegotiation") { try await s.tls!.renegotiate() }
        }
        await s.close()
    }

    /// `openssl s_client` renegotiates (the `R` command) with our server mid-stream; the echo keeps working.
    /// With renegotiation off on our server, s_client's attempt is refused and nothing more is echoed.
    package static func sClientRenegotiates(serverAllows: Bool) async throws {
        let (config, _) = configs(server: serverAllows)
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        let echo = Task { () throws -> Void in
            let s = try await listener.accept(timeout: .seconds(10))
            do {
                while let d = try await s.read(max: 4096, timeout: .seconds(10)) { try await s.write(d) }
            } catch is JSecError {}
            await s.close()
        }
        let files = try OpenSSLPeers.writeIdentity()
        let client = try PeerProcess(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(listener.port!)", "-servername", "localhost",
                "-CAfile", files.ca, "-tls1_2", "-no_ign_eof",
            ])
        defer { client.stop() }
        client.send("first line\n")
        _ = try await client.waitFor("first line")  // stdout shows only what came back
        client.send("R\n")
        _ = try await client.waitFor("RENEGOTIATING")
        if serverAllows {
            client.send("second line\n")
            _ = try await client.waitFor("second line")
            client.closeInput()
        } else {
            // s_client reports the refusal and ends (writing to it now could hit a closed pipe).
            _ = try await client.waitFor("no renegotiation")
        }
        await client.wait()
        _ = try? await echo.value
        await listener.close()
    }

    /// Off by default: a peer's attempt is refused, a local attempt is a usage error, TLS 1.3 cannot renegotiate.
    package static func refused() async throws {
        let (serverOff, clientOn) = configs(server: false)
        try await withPair(.tlsTCP, server: serverOff, client: clientOn) { pair in
            let e = try await checkThrowsJSec(.protocol, "server without allowRenegotiation refuses") {
                try await pair.client.tls!.renegotiate()
            }
            try checkEqual(e.code, .renegotiationRefused, "code (\(e))")
        }
        let (serverOn, clientOff) = configs(client: false)
        try await withPair(.tlsTCP, server: serverOn, client: clientOff) { pair in
            let disabled = try await checkThrowsJSec(.usage, "local renegotiation while disabled") { try await pair.client.tls!.renegotiate() }
            try checkEqual(disabled.code, .jsec(.renegotiationDisabled), "code (\(disabled))")
            try await pair.client.write("still fine")
            try checkEqual(try await pair.server.chunk(10, timeout: .seconds(5)), Array("still fine".utf8), "data")
        }
        // The server asks (HelloRequest), the client has it off: refused, and the server learns it.
        try await withPair(.tlsTCP, server: serverOn, client: clientOff) { pair in
            let reader = Task { try? await pair.client.read(max: 10, timeout: .seconds(5)) }
            let e = try await checkThrowsJSec(.protocol, "client without allowRenegotiation refuses the server's request") {
                try await pair.server.tls!.renegotiate()
            }
            try checkEqual(e.code, .renegotiationRefused, "code (\(e))")
            _ = await reader.value
        }
        var server13 = TestPKI.shared.serverConfiguration(), client13 = TestPKI.shared.clientConfiguration()
        server13.allowRenegotiation = true
        client13.allowRenegotiation = true
        _ = try await withPair(.tlsTCP, server: server13, client: client13) { pair in
            try await checkThrowsJSec(.usage, "renegotiation over TLS 1.3") { try await pair.client.tls!.renegotiate() }
        }
        var bad = TestPKI.shared.clientConfiguration()
        bad.allowRenegotiation = true
        bad.minimumVersion = .tls1_3
        try await checkThrowsJSec(.configuration, "allowRenegotiation with TLS 1.3 only") { _ = try TLSContext(bad) }
    }
}
