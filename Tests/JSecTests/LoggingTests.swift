import Foundation
import JSecCrypto
import Logging
import NIOCore
import Synchronization
import Testing

@testable import JSec

/// Collects what a Logger logs (level, message, metadata), for tests.
final class CapturedLog: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }
    private let storage = Mutex<[Entry]>([])
    var entries: [Entry] { storage.withLock { $0 } }

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test", factory: { _ in Handler(log: self) })
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ e: Entry) { storage.withLock { $0.append(e) } }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.append(Entry(level: event.level, message: "\(event.message)", metadata: (event.metadata ?? [:]).mapValues { "\($0)" }))
        }
    }
}

@Suite struct LoggingTests {
    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func aHandshakeIsLoggedOnBothSides(_ version: TLSVersion) throws {
        let clientLog = CapturedLog(), serverLog = CapturedLog()
        var client = PKI.clientConfiguration(version)
        client.logger = clientLog.logger()
        var server = PKI.serverConfiguration(version)
        server.logger = serverLog.logger()
        let pair = try TLSPair(client: client, server: server)
        defer { pair.finish() }
        try pair.server.activate()
        try pair.client.activate()
        try pair.pump()
        for (log, role) in [(clientLog, "client"), (serverLog, "server")] {
            #expect(log.entries.map(\.message) == ["TLS handshake started", "TLS handshake completed"], "\(role)")
            let done = try #require(log.entries.last)
            #expect(done.level == .debug && done.metadata["jsec.role"] == role && done.metadata["jsec.version"] == version.protocolName)
            #expect(done.metadata["jsec.cipher"]?.isEmpty == false && done.metadata["jsec.resumed"] == "false")
        }
    }

    @Test func aVerificationFailureIsANoticeWithTheX509Code() throws {
        let clientLog = CapturedLog()
        var client = TLSConfiguration.client(trustRoots: .certificates([PKI.client.certificate]))  // not the server's CA
        client.logger = clientLog.logger()
        let pair = try TLSPair(client: client, server: PKI.serverConfiguration())
        defer { pair.finish() }
        try pair.server.activate()
        try pair.client.activate()
        try pair.pump()
        let failed = try #require(clientLog.entries.first { $0.message.hasPrefix("TLS handshake failed") })
        #expect(failed.level == .notice && failed.metadata["jsec.category"] == "verification")
        #expect(failed.metadata["jsec.code"] == "\(JSecError.Code.certificate(.unableToGetLocalIssuerCertificate))", "\(failed.metadata)")
    }

    @Test func silentUnlessTurnedOn() {
        #expect(JSecLog.initialLogger(environment: [:]).handler is SwiftLogNoOpLogHandler)
        #expect(JSecLog.initialLogger(environment: ["JSEC_LOG_LEVEL": ""]).handler is SwiftLogNoOpLogHandler)
        #expect(JSecLog.initialLogger(environment: ["JSEC_LOG_LEVEL": "debug"]).logLevel == .debug)
        #expect(JSecLog.initialLogger(environment: ["JSEC_LOG_LEVEL": "WARNING"]).logLevel == .warning)
        #expect(JSecLog.initialLogger(environment: ["JSEC_LOG_LEVEL": "loud"]).handler is SwiftLogNoOpLogHandler)
    }

    @Test func keyLogSettings() {
        func env(_ values: [String: String]) -> (String) -> String? { { values[$0] } }
        #expect(TLSKeyLog.environment.path(environment: env([:])) == nil)
        #expect(TLSKeyLog.environment.path(environment: env(["SSLKEYLOGFILE": ""])) == nil)
        #expect(TLSKeyLog.environment.path(environment: env(["SSLKEYLOGFILE": "/tmp/k"])) == "/tmp/k")
        #expect(TLSKeyLog.off.path(environment: env(["SSLKEYLOGFILE": "/tmp/k"])) == nil)
        #expect(TLSKeyLog.file("/tmp/x").path(environment: env(["SSLKEYLOGFILE": "/tmp/k"])) == "/tmp/x")
    }

    /// Both sides write the secrets of the same connection: the lines agree (same client random, same secrets).
    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func keyLogFileHasTheConnectionsSecrets(_ version: TLSVersion) throws {
        let dir = NSTemporaryDirectory() + "jsec-keylog-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var client = PKI.clientConfiguration(version)
        client.keyLog = .file(dir + "/client.log")
        var server = PKI.serverConfiguration(version)
        server.keyLog = .file(dir + "/server.log")
        let pair = try TLSPair.connected(client: client, server: server)
        pair.finish()
        let c = try String(contentsOfFile: dir + "/client.log", encoding: .utf8)
        let s = try String(contentsOfFile: dir + "/server.log", encoding: .utf8)
        #expect(!c.isEmpty && Set(c.split(separator: "\n")) == Set(s.split(separator: "\n")))
        let labels = Set(c.split(separator: "\n").map { String($0.split(separator: " ")[0]) })
        #expect(
            labels
                == (version == .tls1_2
                    ? ["CLIENT_RANDOM"]
                    : [
                        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET",
                    ]))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/client.log")[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)
    }

    @Test func anUnwritableKeyLogFileIsAConfigurationError() {
        var c = PKI.clientConfiguration()
        c.keyLog = .file("/nonexistent-dir/keys.log")
        #expect(throws: JSecError(.configuration, "", code: .errno(ENOENT))) { try TLSContext(c) }
    }

    @Test func offWritesNothing() throws {
        var client = PKI.clientConfiguration()
        client.keyLog = .off
        let context = try TLSContext(client)
        #expect(context.keyLogFile == nil)
    }
}
