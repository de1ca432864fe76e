import Assay
import JSec
import JSecCrypto

/// A JSec stream as one of Assay's remote streams (a TLS link or a Unix-domain connection).
struct NetRemoteStream: RemoteStream {
    let stream: NetStream

    func read(max: Int, timeout: Duration) async throws -> [UInt8]? {
        try await RemoteLinkError.mapping { try await stream.read(max: max, timeout: timeout) }
    }

    func write(_ bytes: [UInt8]) async throws {
        try await RemoteLinkError.mapping { try await stream.write(bytes) }
    }

    func close() async { await stream.close() }
}

/// A JSec Unix-domain listener as Assay's local listener.
struct NetLocalListener: RemoteLocalListener {
    let listener: NetListener

    func accept(timeout: Duration) async throws -> any RemoteStream {
        NetRemoteStream(stream: try await RemoteLinkError.mapping { try await listener.accept(timeout: timeout) })
    }

    func close() async { await listener.close() }
}

extension RemoteLinkError {
    /// A `JSecError` as a link error: its category decides the kind, its text stays the same.
    init(_ error: JSecError) {
        let kind: Kind =
            switch error.category {
            case .timeout: .timeout
            case .closed: .closed
            case .verification: .verification
            case .handshake: .handshake
            case .protocol: .protocol
            default: .other
            }
        self.init(kind: kind, description: "\(error)")
    }

    /// Runs `body`, turning its `JSecError`s into link errors (any other error passes through).
    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as JSecError { throw RemoteLinkError(e) }
    }
}
