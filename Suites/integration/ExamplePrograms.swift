import Assay
import Foundation
import JSec

/// The example programs (`Examples/…`), run as built: `swift build` puts them next to the runner.
package enum ExamplePrograms {
    /// The path of a built example, or a skip saying how to build it.
    package static func path(_ name: String) throws -> String {
        let dir =
            Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let path = dir.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SkipTest("example '\(name)' is not built next to the runner (\(dir.path)): run `swift build` (it builds every example)")
        }
        return path
    }

    /// Runs an example to completion (30 s at most) and returns its output; fails unless it exits 0.
    package static func run(_ name: String, _ args: [String] = []) async throws -> String {
        let p = try PeerProcess(try path(name), args)
        defer { p.stop() }
        p.closeInput()
        let status = await p.wait(timeout: .seconds(30))
        await p.waitForOutputEnd()
        try check(status == 0, "\(name) \(args.joined(separator: " ")) exited \(status):\n\(p.output.suffix(2000))")
        return p.output
    }

    /// Checks each regex matches some line of `output`.
    static func expectLines(_ output: String, _ patterns: [String], _ what: String) throws {
        for pattern in patterns {
            let re = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
            try check(
                re.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)) != nil,
                "\(what): no line matches /\(pattern)/ in:\n\(output.suffix(2000))")
        }
    }

    /// The README's quick start in one program (the DocC "Getting Started" article is cut from it).
    package static func quickStart() async throws {
        let out = try await run("quick-start")
        try expectLines(out, ["^echoed: Hello, Secure World!$", "^over TLSv1\\.3 with TLS_"], "quick-start")
    }

    package static func tlsResumption(version: TLSVersion) async throws {
        let out = try await run("tls-resumption", ["--tls-version", version == .tls1_2 ? "1.2" : "1.3"])
        try expectLines(
            out,
            [
                "^connection 1: \(version.protocolName) .*sessionReused=false$",
                "^exported the session: \\d+ bytes of DER",
                "^connection 2: \(version.protocolName) .*sessionReused=true$",
                "^server: accepted \(version.protocolName), sessionReused=true$",
            ], "tls-resumption")
    }

    package static func ocspStapling(version: TLSVersion) async throws {
        let out = try await run("ocsp-stapling", ["--tls-version", version == .tls1_2 ? "1.2" : "1.3"])
        try expectLines(
            out,
            [
                "^a good staple: handshake ok, \(version.protocolName), stapled \\d+ bytes, status good$",
                "^a revoked staple: refused — verification: OCSP stapling: .*revoked",
                "^no staple: refused — verification: OCSP stapling: the server stapled no OCSP response",
                "^as expected",
            ], "ocsp-stapling")
    }

    package static func mtls(version: TLSVersion) async throws {
        let out = try await run("mtls", ["--tls-version", version == .tls1_2 ? "1.2" : "1.3"])
        try expectLines(
            out,
            [
                "^server: \(version.protocolName) connection from client certificate CN=alice",
                "^client with certificate: \(version.protocolName), server said: hello, alice$",
                "^client without certificate: refused — verification:",
            ], "mtls")
    }

    package static func startTLS(version: TLSVersion) async throws {
        let out = try await run("starttls", ["--tls-version", version == .tls1_2 ? "1.2" : "1.3"])
        try expectLines(
            out,
            [
                "^S: 250-STARTTLS$", "^S: 220 Ready to start TLS$", "^-- upgraded: \(version.protocolName) ",
                "^S: 250-toy.example greets you over \(version.protocolName)$", "^S: 221 Bye$",
            ], "starttls")
        // After the upgrade the server no longer offers STARTTLS.
        let afterUpgrade = out.components(separatedBy: "-- upgraded:").last ?? ""
        try check(!afterUpgrade.contains("STARTTLS"), "STARTTLS is not offered again over TLS")
    }
}

/// The examples, run as programs: each must do what its header comment says.
package let examplesSuite = Suite(
    "examples", category: "integration",
    description:
        "the example programs (quick-start, tls-resumption, ocsp-stapling, mtls, starttls, https-nio with curl, dtls-echo, dtls-quick-start) run and print or serve what they promise",
    timeout: 90
) {
    MatrixTest("tls-resumption", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        ctx.report(["program": "Examples/tls-resumption", "tls-version": .string(try ctx.tlsVersion().protocolName)])
        try await ExamplePrograms.tlsResumption(version: ctx.tlsVersion())
    }
    MatrixTest("ocsp-stapling", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        ctx.report(["program": "Examples/ocsp-stapling", "tls-version": .string(try ctx.tlsVersion().protocolName)])
        try await ExamplePrograms.ocspStapling(version: ctx.tlsVersion())
    }
    MatrixTest("mtls", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        ctx.report(["program": "Examples/mtls", "tls-version": .string(try ctx.tlsVersion().protocolName)])
        try await ExamplePrograms.mtls(version: ctx.tlsVersion())
    }
    MatrixTest("starttls", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        ctx.report(["program": "Examples/starttls", "tls-version": .string(try ctx.tlsVersion().protocolName)])
        try await ExamplePrograms.startTLS(version: ctx.tlsVersion())
    }
    MatrixTest(
        "https-nio with curl", matrix: .inline(["tls-version": tlsVersions]), skip: CurlInterop.unavailableReason ?? OpenSSLPeers.unavailableReason,
        ensured: [["tls-version": "1.3"]]
    ) { ctx in
        ctx.reportPeer(CurlInterop.version, role: "curl ↔ jsec https-nio example (TLSServerHandler + NIOHTTP1)", version: try ctx.tlsVersion())
        try await HTTPSNIOExample.curlFetches(version: ctx.tlsVersion())
    }
    Test("dtls-echo") { _ in try await DTLSExampleProgram.echo() }
    Test("dtls-quick-start") { _ in try await DTLSExampleProgram.quickStart() }
    Test("quick-start") { _ in try await ExamplePrograms.quickStart() }
}
