import Foundation
import Logging
import NIOCore
import Synchronization

/// JSec's diagnostics, through swift-log: handshakes started, completed and failed (with the alert or
/// the X509 verification result), DTLS cookie decisions, accept pauses when the process runs out of
/// descriptors, and key logging being on.
///
/// Silent by default. Turn it on in one of three ways:
/// - set ``logger`` (e.g. `JSecLog.logger = Logger(label: "jsec")` after `LoggingSystem.bootstrap`,
///   with `logLevel` `.debug` to see every handshake);
/// - give one context its own logger (``TLSConfiguration/logger``);
/// - or set `JSEC_LOG_LEVEL` (`trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`) in the
///   environment: lines go to standard error at that level, whatever the application does.
///
/// Levels: `debug` for each handshake and cookie exchange, `info` for a failed handshake, `notice`
/// for a peer whose certificate failed verification, `warning` for accept pauses and key logging.
/// A connection takes its logger when it is created: setting ``logger`` later affects new connections.
public enum JSecLog {
    private static let current = Mutex<Logger>(initialLogger(environment: ProcessInfo.processInfo.environment))

    /// The logger JSec uses where a configuration names none.
    public static var logger: Logger {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    /// A logger that discards everything.
    public static var silent: Logger { Logger(label: "jsec", factory: { _ in SwiftLogNoOpLogHandler() }) }

    /// `JSEC_LOG_LEVEL` set to a level: lines on standard error at that level; unset: ``silent``.
    /// A value that is not a level is said once on standard error and logging stays off.
    static func initialLogger(environment: [String: String]) -> Logger {
        guard let text = environment["JSEC_LOG_LEVEL"], !text.isEmpty else { return silent }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("jsec: JSEC_LOG_LEVEL='\(text)' is not a level (\(levels)); logging stays off\n".utf8))
            return silent
        }
        var logger = Logger(label: "jsec", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }
}

extension TLSContext {
    /// The configuration's logger, else ``JSecLog/logger``.
    var logger: Logger { configuration.logger ?? JSecLog.logger }
}

/// The handshake events TLS and DTLS connections log, with the same metadata keys. Nothing is formatted
/// unless the level is enabled: these run on every handshake.
extension Logger {
    func handshakeStarted(_ proto: String, role: TLSEngine.Role, peer: SocketAddress?) {
        debug("\(proto) handshake started", metadata: ["jsec.role": "\(role)", "jsec.peer": "\(peer.map { "\($0)" } ?? "?")"])
    }

    func handshakeCompleted(_ proto: String, role: TLSEngine.Role, peer: SocketAddress?, info: TLSConnectionInfo) {
        debug(
            "\(proto) handshake completed",
            metadata: [
                "jsec.role": "\(role)", "jsec.peer": "\(peer.map { "\($0)" } ?? "?")", "jsec.version": "\(info.version)",
                "jsec.cipher": "\(info.cipher)", "jsec.resumed": "\(info.sessionReused)", "jsec.alpn": "\(info.alpn ?? "-")",
                "jsec.ms": "\(info.handshakeDuration.timeAmount.nanoseconds / 1_000_000)",
            ])
    }

    /// A verification failure is `notice` (someone presented a certificate we refuse); any other failure `info`.
    func handshakeFailed(_ proto: String, role: TLSEngine.Role, peer: SocketAddress?, error: any Error) {
        let jsec = error as? JSecError
        let level: Logger.Level = jsec?.category == .verification ? .notice : .info
        guard logLevel <= level else { return }  // a scanner's flood of failures costs nothing when off
        var metadata: Metadata = ["jsec.role": "\(role)", "jsec.peer": "\(peer.map { "\($0)" } ?? "?")"]
        if let jsec {
            metadata["jsec.category"] = "\(jsec.category)"
            metadata["jsec.code"] = "\(jsec.code)"
        }
        log(level: level, "\(proto) handshake failed: \(jsec?.message ?? "\(error)")", metadata: metadata)
    }
}
