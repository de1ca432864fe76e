import Foundation
import NIOCore
import NIOEmbedded
@testable import JSec

/// One end of an in-memory DTLS association: an EmbeddedChannel "connected" to the peer's address, with a
/// DTLSPeerHandler over a DTLSDriver (the upgrade path: no cookie exchange). Datagrams are moved by hand.
final class DTLSSide {
    static let clientAddress = try! SocketAddress(ipAddress: "127.0.0.1", port: 50_000)
    static let serverAddress = try! SocketAddress(ipAddress: "127.0.0.1", port: 4_433)

    let channel: EmbeddedChannel
    let driver: DTLSDriver
    let address: SocketAddress
    let peer: SocketAddress
    private(set) var handshake: Result<DTLSConnection, JSecError>?

    init(
        _ role: TLSEngine.Role, loop: EmbeddedEventLoop, options: DTLSOptions = DTLSOptions(),
        edit: (inout TLSConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = role == .client ? PKI.clientConfiguration() : PKI.serverConfiguration()
        edit(&configuration)
        address = role == .client ? Self.clientAddress : Self.serverAddress
        peer = role == .client ? Self.serverAddress : Self.clientAddress
        let tag = DTLSEngineTag(cookies: nil, initialTimeout: options.initialRetransmissionTimeout)
        let engine = try DTLSDriver.makeEngine(
            context: DTLS.context(configuration), role: role, serverName: role == .client ? "localhost" : nil, session: nil,
            options: options, tag: tag)
        driver = DTLSDriver(
            engine: engine, tag: tag, peer: peer, localAddress: address, options: options, eventLoop: loop,
            allocator: ByteBufferAllocator(), sessionCacheKey: nil)
        channel = EmbeddedChannel(loop: loop)
        channel.remoteAddress = peer
        driver.whenHandshakeCompletes { [unowned self] in self.handshake = $0 }
    }

    /// Adds the handler (the driver starts when the channel is active).
    func attach() throws {
        try channel.pipeline.syncOperations.addHandler(DTLSPeerHandler(driver: driver))
    }

    /// Makes the channel active (with the handler attached: the driver starts).
    func activate() throws {
        try channel.connect(to: peer).wait()
    }

    /// The datagrams this side sent since the last call, in order.
    func sent() throws -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        while let datagram = try channel.readOutbound(as: ByteBuffer.self) { out.append(datagram) }
        return out
    }

    /// Hands datagrams to this side as if they came from `sender` (default: its peer).
    func deliver(_ datagrams: [ByteBuffer], from sender: SocketAddress? = nil) throws {
        for d in datagrams { try channel.writeInbound(AddressedEnvelope(remoteAddress: sender ?? peer, data: d)) }
    }

    /// The messages waiting in the connection's inbox, taken.
    func messages() -> [String] { driver.inbox.drain().map { String(decoding: $0, as: UTF8.self) } }

    var state: String {
        switch driver.state {
        case .idle: "idle"
        case .handshaking: "handshaking"
        case .active: "active"
        case .closed(let cause): cause.map { "closed(\($0.category))" } ?? "closed(close_notify)"
        }
    }

    var handshakeError: JSecError? {
        if case .failure(let e) = handshake { return e }
        return nil
    }

    /// Sends `text` as one message through the driver (as DTLSConnection.write does on the loop).
    @discardableResult
    func write(_ text: String) -> Result<Void, any Error>? {
        let maximum = (try? handshake?.get())?.maximumMessageSize ?? 1_000
        return driver.write(ByteBuffer(string: text), maximum: maximum).completedResult
    }
}

/// Moves datagrams between two sides until neither has anything to send.
func exchange(_ a: DTLSSide, _ b: DTLSSide) throws {
    for _ in 0..<32 {
        let fromA = try a.sent()
        let fromB = try b.sent()
        if fromA.isEmpty && fromB.isEmpty { return }
        try b.deliver(fromA)
        try a.deliver(fromB)
    }
}

/// A client and a server, both started, with their handshake run to the end.
func establishedPair(_ loop: EmbeddedEventLoop, options: DTLSOptions = DTLSOptions()) throws -> (client: DTLSSide, server: DTLSSide) {
    let client = try DTLSSide(.client, loop: loop, options: options)
    let server = try DTLSSide(.server, loop: loop, options: options)
    for side in [client, server] {
        try side.attach()
        try side.activate()
    }
    try exchange(client, server)
    return (client, server)
}
