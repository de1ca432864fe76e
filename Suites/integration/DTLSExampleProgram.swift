import Foundation
import JSec

/// `Examples/dtls-echo`, run as built: its server serves one peer, its client sends two messages and prints the echoes.
package enum DTLSExampleProgram {
    package static func echo() async throws {
        let path = try ExamplePrograms.path("dtls-echo")
        let server = try PeerProcess(path, ["server", "--self-signed", "--port", "0", "--max-peers", "1"])
        defer { server.stop() }
        let port = try await server.waitFor("DTLS 1\\.2 on 127\\.0\\.0\\.1:(\\d+)")
        let out = try await ExamplePrograms.run("dtls-echo", ["client", "--port", port, "--insecure", "hello", "second message"])
        try ExamplePrograms.expectLines(
            out,
            [
                "^connected to 127\\.0\\.0\\.1:\(port): DTLSv1\\.2 \\S+, messages up to \\d+ bytes$",
                "^echo: hello$", "^echo: second message$",
            ], "dtls-echo client")
        let status = await server.wait(timeout: .seconds(10))
        try check(status == 0, "dtls-echo server exited \(status) after its one peer:\n\(server.output.suffix(2000))")
        try ExamplePrograms.expectLines(
            server.output, ["^peer 127\\.0\\.0\\.1:\\d+: DTLSv1\\.2 ", "^peer 127\\.0\\.0\\.1:\\d+ closed$"],
            "dtls-echo server")
    }

    /// `Examples/dtls-quick-start`: jsec's DTLS quick start, opened from NetDatagramSockets; the echo comes back over DTLS 1.2.
    package static func quickStart() async throws {
        let out = try await ExamplePrograms.run("dtls-quick-start")
        try ExamplePrograms.expectLines(out, ["^Hello DTLS$", "^over DTLSv1\\.2 with \\S+, messages up to \\d+ bytes$"], "dtls-quick-start")
    }
}
