import Foundation
import JSec

/// Another TLS implementation driven as a separate program, in both roles: an echo server our
/// client talks to, and a client that talks to our echo server.
package protocol InteropPeer: Sendable {
    /// Short name used in reports (`gnutls`, `python`, `node`).
    var name: String { get }
    /// Why the peer cannot run here (program missing), or nil.
    var unavailableReason: String? { get }
    /// Program and version, e.g. `gnutls-cli 3.7.9`, for reports.
    var versionDescription: String { get }
    /// Starts the peer's echo server for `feature` at exactly `version`; returns once it listens.
    func startServer(version: TLSVersion, feature: InteropFeature) async throws -> (process: PeerProcess, port: Int)
    /// What the peer's server printed about each connection so far, in order.
    func serverFacts(_ output: String) -> [ConnectionFacts]
    /// Runs the peer's client against our server on `port` (it sends a line per connection and checks the echo)
    /// and returns what the client saw per connection.
    func runClient(port: Int, version: TLSVersion, feature: InteropFeature) async throws -> [ConnectionFacts]
    /// Runs the peer's client without a client certificate against our server (which requires one):
    /// returns its exit status and output once it has ended.
    func runClientWithoutCertificate(port: Int, version: TLSVersion) async throws -> (status: Int32, output: String)
}

/// What both sides saw, for checks and for the case's report.
package struct InteropOutcome: Sendable {
    package var ours: [ConnectionFacts]
    package var theirs: [ConnectionFacts]
}

package enum InteropScenario {
    /// Our client (at `version`, with `feature`) against the peer's echo server.
    package static func ourClient(against peer: some InteropPeer, version: TLSVersion, feature: InteropFeature) async throws -> InteropOutcome {
        let (server, port) = try await peer.startServer(version: version, feature: feature)
        defer { server.stop() }
        let pki = TestPKI.shared
        var config = pki.clientConfiguration()
        config.minimumVersion = version
        config.maximumVersion = version
        if feature == .mtls {
            config.certificateChain = .certificates([pki.client.certificate])
            config.privateKey = .key(pki.client.privateKey)
        }
        if feature == .alpn { config.applicationProtocols = InteropFeature.clientALPN }
        let context = try TLSContext(config)
        var session: TLSSession?
        var ours: [ConnectionFacts] = []
        for i in 0..<feature.connections {
            let stream = try await TLS.connect(
                host: "127.0.0.1", port: port, serverName: "localhost", context: context,
                session: session, timeout: .seconds(10))
            let line = "jsec line \(i) to \(peer.name)"
            try await stream.write(line + "\n")
            let echo = try await readLine(stream)
            try checkEqual(echo, line, "echo from \(peer.name)'s server on connection \(i)")
            ours.append(ConnectionFacts(stream.tls))
            session = stream.tls?.session  // TLS 1.3: the ticket came with the echo
            try? await stream.shutdown()
            await stream.close()
        }
        let theirs = try await waitForFacts(server, count: feature.connections, parse: peer.serverFacts)
        let outcome = InteropOutcome(ours: ours, theirs: theirs)
        try checkOutcome(outcome, version: version, feature: feature, oursIsClient: true, peer: peer.name)
        return outcome
    }

    /// The peer's client (at `version`, with `feature`) against our echo server.
    package static func peerClient(_ peer: some InteropPeer, version: TLSVersion, feature: InteropFeature) async throws -> InteropOutcome {
        var config = TestPKI.shared.serverConfiguration()
        config.minimumVersion = version
        config.maximumVersion = version
        if feature == .mtls { config.clientAuthentication = .required }
        if feature == .alpn { config.applicationProtocols = InteropFeature.serverALPN }
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        let server = Task { try await echoServer(listener, connections: feature.connections) }
        let theirs: [ConnectionFacts]
        do {
            theirs = try await peer.runClient(port: listener.port!, version: version, feature: feature)
        } catch {
            server.cancel()
            await listener.close()
            let failures = listener.handshakeFailures.map(String.init(describing:)).joined(separator: "; ")
            throw failures.isEmpty ? error : CheckFailure(message: "\(error)\nour server's handshake failures: \(failures)", file: #fileID, line: #line)
        }
        let ours: [ConnectionFacts]
        do { ours = try await server.value } catch { await listener.close(); throw error }
        await listener.close()
        let outcome = InteropOutcome(ours: ours, theirs: theirs)
        try checkOutcome(outcome, version: version, feature: feature, oursIsClient: false, peer: peer.name)
        return outcome
    }

    /// mTLS refusals, both roles: the peer's server refuses our client without a certificate (a typed JSecError on
    /// connect, or on the first read with TLS 1.3, where the server judges the certificate after the client finished),
    /// and our server refuses the peer's client without one (it fails, our listener records a `.verification` failure).
    package static func mtlsRefusals(_ peer: some InteropPeer, version: TLSVersion) async throws -> [String] {
        var notes: [String] = []
        let (server, port) = try await peer.startServer(version: version, feature: .mtls)
        defer { server.stop() }
        var config = TestPKI.shared.clientConfiguration()
        config.minimumVersion = version
        config.maximumVersion = version
        let context = try TLSContext(config)
        do {
            let stream = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context, timeout: .seconds(10))
            defer { Task { await stream.close() } }
            // TLS 1.3: the handshake completed on our side; the refusal arrives as an alert. A write racing it may
            // only see the stream closed; the read then reports the alert itself.
            var writeError = ""
            do { try await stream.write("no certificate\n") } catch let e as JSecError { writeError = " (the write before it: \(e.category))" }
            do {
                let got = try await stream.read(max: 100, timeout: .seconds(10))
                // Python's asyncio server drops the connection without sending its alert: end of stream, not clean.
                try check(
                    got == nil && stream.tls?.peerClosure == .withoutCloseNotify,
                    "\(peer.name)'s server accepted a client without a certificate (read \(got?.count ?? 0) bytes)")
                notes.append("jsec client refused by \(peer.name): the connection ended without close_notify (no alert sent)\(writeError)")
            } catch let e as JSecError where e.category == .io && e.code == .errno(ECONNRESET) {
                // The same drop without an alert, when our write was still unread on the peer's side:
                // closing a socket with unread data sends a TCP reset (seen with Python's server, CI run).
                notes.append("jsec client refused by \(peer.name): the connection was reset (no alert sent)\(writeError)")
            } catch let e as JSecError {
                try check([.verification, .handshake].contains(e.category), "our client's read after the refusal: \(e)")
                notes.append("jsec client refused by \(peer.name) (after the handshake): \(e.category): \(e.message)\(writeError)")
            }
        } catch let e as JSecError {
            try check([.verification, .handshake].contains(e.category), "our client's error category: \(e)")
            notes.append("jsec client refused by \(peer.name) in the handshake: \(e.category): \(e.message)")
        }
        server.stop()

        var serverConfig = TestPKI.shared.serverConfiguration()
        serverConfig.minimumVersion = version
        serverConfig.maximumVersion = version
        serverConfig.clientAuthentication = .required
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(serverConfig))
        defer { Task { await listener.close() } }
        let (status, output) = try await peer.runClientWithoutCertificate(port: listener.port!, version: version)
        try check(status != 0, "\(peer.name)'s client without a certificate should fail; it exited 0:\n\(output.suffix(1000))")
        let deadline = ContinuousClock.now + .seconds(5)
        while listener.handshakeFailures.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let failure = listener.handshakeFailures.first
        try checkEqual(failure?.category, .verification, "category our server recorded for the refused client")
        notes.append("\(peer.name) client refused by jsec: \(failure.map { "\($0.category): \($0.message)" } ?? "-")")
        await listener.close()
        return notes
    }

    /// Accepts `connections` connections, records what each negotiated, and echoes until each ends.
    static func echoServer(_ listener: NetListener, connections: Int) async throws -> [ConnectionFacts] {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var facts: [ConnectionFacts] = []
            for _ in 0..<connections {
                let stream = try await listener.accept(timeout: .seconds(15))
                facts.append(ConnectionFacts(stream.tls))
                group.addTask {
                    // A peer may reset instead of closing cleanly once it has its echo: not this test's concern.
                    while let data = try? await stream.read(max: 4096, timeout: .seconds(10)) { try? await stream.write(data) }
                    await stream.close()
                }
            }
            try await group.waitForAll()
            return facts
        }
    }

    static func readLine(_ stream: NetStream) async throws -> String {
        var got: [UInt8] = []
        while !got.contains(UInt8(ascii: "\n")), let part = try await stream.read(max: 256, timeout: .seconds(10)) { got += part }
        return String(decoding: got, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits (10 s at most) until the peer has printed facts for `count` connections.
    static func waitForFacts(_ process: PeerProcess, count: Int, parse: (String) -> [ConnectionFacts]) async throws -> [ConnectionFacts] {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let facts = parse(process.output)
            if facts.count >= count { return facts }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CheckFailure(
            message: "the peer reported \(parse(process.output).count) of \(count) connections; it printed:\n\(process.output.suffix(1500))",
            file: #fileID, line: #line)
    }

    /// Both sides agree on version, ALPN, resumption and (mTLS) each other's identity.
    static func checkOutcome(_ o: InteropOutcome, version: TLSVersion, feature: InteropFeature, oursIsClient: Bool, peer: String) throws {
        var o = o
        if !oursIsClient {
            // Our listener hands out connections in the order their handshakes completed, on different event loops:
            // a resumed handshake can overtake the full one. The client's order is the real one; ours is a set.
            o.ours.sort { ($0.reused == true ? 1 : 0) < ($1.reused == true ? 1 : 0) }
        }
        let n = feature.connections
        try checkEqual(o.ours.count, n, "connections seen by jsec")
        try checkEqual(o.theirs.count, n, "connections seen by \(peer)")
        let alpn = feature == .alpn ? "http/1.1" : nil
        for i in 0..<n {
            let ours = o.ours[i], theirs = o.theirs[i]
            try checkEqual(ours.version, version.protocolName, "version jsec negotiated (connection \(i))")
            try checkEqual(theirs.version, version.protocolName, "version \(peer) negotiated (connection \(i))")
            try checkEqual(ours.alpn, alpn, "ALPN seen by jsec (connection \(i))")
            try checkEqual(theirs.alpn, alpn, "ALPN seen by \(peer) (connection \(i))")
            let resumed = feature == .resumption && i > 0
            try checkEqual(ours.reused, resumed, "jsec's sessionReused (connection \(i))")
            if let r = theirs.reused { try checkEqual(r, resumed, "\(peer)'s session-reused flag (connection \(i))") }
            if oursIsClient {
                try checkEqual(ours.peerCommonName, InteropFiles.serverCommonName, "server certificate seen by jsec")
                if feature == .mtls {
                    try checkEqual(theirs.peerCommonName, InteropFiles.clientCommonName, "client certificate seen by \(peer)'s server")
                }
            } else {
                try checkEqual(ours.peerCommonName, feature == .mtls ? InteropFiles.clientCommonName : nil, "client certificate seen by our server")
            }
        }
    }

    /// The case's report entry: peer, role, version, feature and what both sides saw.
    package static func report(_ o: InteropOutcome, peer: String, role: String, version: TLSVersion, feature: InteropFeature) -> [String: String] {
        [
            "peer": peer, "role": role, "tls-version": version.protocolName, "feature": feature.rawValue,
            "jsec-saw": o.ours.map(\.description).joined(separator: " | "),
            "peer-saw": o.theirs.map(\.description).joined(separator: " | "),
        ]
    }
}
