import Foundation
import JSec

/// What an interop case exercises on top of a plain handshake and echo.
package enum InteropFeature: String, CaseIterable, Sendable {
    /// Handshake at the given version, verify the server, echo a line.
    case basic
    /// The server requires a client certificate (mTLS); each side sees the other's leaf.
    case mtls
    /// The client offers `x-unknown,http/1.1`, the server accepts `http/1.1` only.
    case alpn
    /// Two connections; the second offers the first's session and must be resumed on both sides.
    case resumption

    /// How many connections the case makes.
    package var connections: Int { self == .resumption ? 2 : 1 }
    static let clientALPN = ["x-unknown", "http/1.1"]
    static let serverALPN = ["http/1.1"]
}

/// What one side observed about one connection, from our API or parsed from a peer's output.
package struct ConnectionFacts: Sendable, Equatable, CustomStringConvertible {
    package var version: String?
    package var alpn: String?
    package var reused: Bool?
    /// Common name of the peer's leaf certificate, when it presented one.
    package var peerCommonName: String?

    package init(version: String? = nil, alpn: String? = nil, reused: Bool? = nil, peerCommonName: String? = nil) {
        self.version = version; self.alpn = alpn; self.reused = reused; self.peerCommonName = peerCommonName
    }

    init(_ tls: TLSConnection?) {
        self.init(
            version: tls.map { "\($0.version)" }, alpn: tls?.alpn, reused: tls?.sessionReused,
            peerCommonName: tls?.info.peerCertificates.first?.commonName)
    }

    package var description: String {
        "\(version ?? "?") alpn=\(alpn ?? "none") reused=\(reused.map(String.init) ?? "?") peer=\(peerCommonName ?? "none")"
    }
}

/// The test PKI written to files once per process, for peers that read PEM files.
package struct InteropFiles: Sendable {
    package let serverCert, serverKey, clientCert, clientKey, ca: String

    package static let shared: InteropFiles = {
        let pki = TestPKI.shared
        do {
            return InteropFiles(
                serverCert: try TestPKI.writeTemp(pki.server.certificatePEM, name: "interop-server.pem"),
                serverKey: try TestPKI.writeTemp(pki.server.privateKeyPEM, name: "interop-server-key.pem"),
                clientCert: try TestPKI.writeTemp(pki.client.certificatePEM, name: "interop-client.pem"),
                clientKey: try TestPKI.writeTemp(pki.client.privateKeyPEM, name: "interop-client-key.pem"),
                ca: try TestPKI.writeTemp(pki.root.certificate.pem, name: "interop-ca.pem"))
        } catch { fatalError("cannot write the interop PKI files: \(error)") }
    }()

    /// The CN of the test PKI's client leaf (what servers must see with mTLS).
    package static let clientCommonName = "test-client"
    package static let serverCommonName = "localhost"
}

package enum Interop {
    /// A TCP (or, with `udp`, UDP) port that was free a moment ago (for peers that cannot bind port 0 and report it).
    package static func freePort(udp: Bool = false) throws -> Int {
        let fd = socket(AF_INET, Int32((udp ? SOCK_DGRAM : SOCK_STREAM).rawValue), 0)
        guard fd >= 0 else { throw CheckFailure(message: "socket() failed", file: #fileID, line: #line) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw CheckFailure(message: "cannot bind an ephemeral port", file: #fileID, line: #line) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// The path of a peer script in `Suites/integration/peers/` (found from this source file's location).
    package static func peerScript(_ name: String) throws -> String {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let path = dir.appendingPathComponent("integration/peers/\(name)").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckFailure(message: "peer script \(path) is missing (the runner locates it from its source tree)", file: #fileID, line: #line)
        }
        return path
    }

    /// Lines `CONN key=value …` printed by the script peers, as facts (the last field may contain spaces).
    package static func parseConnLines(_ output: String) -> [ConnectionFacts] {
        output.split(separator: "\n").filter { $0.hasPrefix("CONN ") }.map { line in
            var fields: [String: String] = [:]
            for part in line.dropFirst(5).split(separator: " ") {
                guard let eq = part.firstIndex(of: "=") else { continue }
                fields[String(part[..<eq])] = String(part[part.index(after: eq)...])
            }
            let alpn = fields["alpn"].flatMap { $0 == "None" || $0 == "none" ? nil : $0 }
            var peer = fields["peer"].flatMap { $0 == "none" ? nil : $0 }
            if let p = peer, let r = p.range(of: "commonName=") { peer = String(p[r.upperBound...]) }  // Python's subject form
            return ConnectionFacts(
                version: fields["version"], alpn: alpn, reused: fields["reused"].map { $0.lowercased() == "true" },
                peerCommonName: peer)
        }
    }

    /// The first line a program prints for `args` (default `--version`), for reports; a note when it is missing.
    package static func versionLine(_ program: String, _ args: [String] = ["--version"]) -> String {
        guard let path = PeerProcess.which(program) else { return "\(program): not installed" }
        let p = Process()
        let pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = pipe
        p.standardError = pipe
        guard (try? p.run()) != nil else { return "\(program): cannot run" }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)  // until the program exits
        p.waitUntilExit()
        guard let first = out.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) else { return program }
        return first.lowercased().contains(program.lowercased().prefix(6)) ? first : "\(program) \(first)"
    }

    /// The first capture group of `pattern` in `text`, trimmed; nil when it does not match.
    package static func capture(_ pattern: String, _ text: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
            let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), m.numberOfRanges > 1,
            let r = Range(m.range(at: 1), in: text)
        else { return nil }
        return String(text[r]).trimmingCharacters(in: .whitespaces)
    }
}
