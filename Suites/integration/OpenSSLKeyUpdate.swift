import Foundation
import JSec

/// TLS 1.3 KeyUpdate with the openssl CLI, both roles (`-msg` shows the KeyUpdate messages on the wire).
package enum OpenSSLKeyUpdate {
    static let sentKeyUpdate = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate"
    static let receivedKeyUpdate = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    static func waitForCount(_ needle: String, _ n: Int, in peer: PeerProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while count(needle, in: peer.output) < n {
            guard ContinuousClock.now < deadline else {
                throw CheckFailure(message: "'\(needle)' never appeared \(n) times; the peer printed:\n\(peer.output.suffix(1500))", file: #fileID, line: #line)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `openssl s_client` types `k` (update its keys) and `K` (update and ask us to update ours) while talking to
    /// our echo server; after each, data still flows both ways, and after `K` our server's KeyUpdate reaches it.
    package static func sClientKeyUpdate() async throws {
        let files = try OpenSSLPeers.writeIdentity()
        var config = TestPKI.shared.serverConfiguration()
        config.minimumVersion = .tls1_3
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        defer { Task { await listener.close() } }
        let echo = Task { () throws -> Int in
            let s = try await listener.accept(timeout: .seconds(10))
            var bytes = 0
            while let d = try? await s.read(max: 4096, timeout: .seconds(10)) { bytes += d.count; try await s.write(d) }
            await s.close()
            return bytes
        }
        // -no_ign_eof keeps s_client's single-letter commands (k, K) enabled; -msg prints the handshake messages.
        let client = try PeerProcess(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(listener.port!)", "-servername", "localhost",
                "-CAfile", files.ca, "-verify_return_error", "-tls1_3", "-no_ign_eof", "-msg",
            ])
        defer { client.stop() }
        client.send("line one\n")
        _ = try await client.waitFor("\\nline one\\n")
        client.send("k\n")
        _ = try await client.waitFor("KEYUPDATE")
        client.send("line two\n")
        _ = try await client.waitFor("\\nline two\\n")  // our server decrypts with s_client's new keys
        try checkEqual(count(sentKeyUpdate, in: client.output), 1, "KeyUpdates s_client sent after k")
        client.send("K\n")
        try await waitForCount("KEYUPDATE", 2, in: client)  // one stdin read is one command: wait before typing on
        client.send("line three\n")
        _ = try await client.waitFor("\\nline three\\n")
        _ = try await client.waitFor(NSRegularExpression.escapedPattern(for: receivedKeyUpdate))  // our answer to update_requested
        try checkEqual(count(sentKeyUpdate, in: client.output), 2, "KeyUpdates s_client sent after k and K")
        client.send("line four\n")  // s_client decrypts with our new keys
        _ = try await client.waitFor("\\nline four\\n")
        client.closeInput()
        await client.wait(timeout: .seconds(10))
        let echoed = try await echo.value
        try checkEqual(echoed, "line one\nline two\nline three\nline four\n".utf8.count, "bytes our server echoed")
    }

    /// Our client updates its keys, then asks `openssl s_server` to update too; `-rev` answers keep arriving.
    /// (About 2 s: s_server's -rev loop sleeps a second when a read returns a handshake message instead of data.)
    package static func clientKeyUpdateWithSServer() async throws {
        let files = try OpenSSLPeers.writeIdentity()
        let server = try PeerProcess(
            "openssl",
            [
                "s_server", "-accept", "127.0.0.1:0", "-cert", files.cert, "-key", files.key,
                "-tls1_3", "-rev", "-msg", "-naccept", "1",
            ])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        let stream = try await TLS.connect(
            host: "127.0.0.1", port: port, serverName: "localhost",
            context: TLSContext(TestPKI.shared.clientConfiguration()), timeout: .seconds(10))
        func roundTrip(_ text: String) async throws {
            try await stream.write(text + "\n")
            try checkEqual(try await InteropScenario.readLine(stream), String(text.reversed()), "s_server -rev answer to '\(text)'")
        }
        try await roundTrip("before update")
        try await stream.tls!.updateKeys(requestPeer: false)
        try await roundTrip("after own update")
        _ = try await server.waitFor(NSRegularExpression.escapedPattern(for: receivedKeyUpdate))
        try checkEqual(count(sentKeyUpdate, in: server.output), 0, "s_server answered a KeyUpdate that asked for nothing")
        try await stream.tls!.updateKeys(requestPeer: true)
        try await roundTrip("after requested update")  // s_server's reply comes under its new keys
        try checkEqual(count(receivedKeyUpdate, in: server.output), 2, "KeyUpdates s_server received")
        _ = try await server.waitFor(NSRegularExpression.escapedPattern(for: sentKeyUpdate))
        await stream.close()
    }
}
