import NIOCore
import NIOPosix
import Synchronization

/// A plain UDP socket: the datagram counterpart of ``NetStream``, and what DTLS opens from
/// (``DTLS/upgrade(_:serverName:context:session:options:)`` on a connected socket,
/// ``DTLS/serve(_:context:options:)`` on a bound one).
///
/// The stream contract, adapted to messages:
/// - ``bind(host:port:receiveQueueCapacity:)`` listens on host:port (port 0: the system picks one);
///   ``connect(host:port:receiveQueueCapacity:)`` fixes the peer, and then only the peer's datagrams are received.
/// - ``receive(timeout:)`` returns one datagram, whole, with its sender; `send(_:timeout:)` sends one.
/// - received datagrams wait in a bounded queue (`receiveQueueCapacity`, default 1,024); when it is full the newest
///   datagram is dropped and counted in ``droppedDatagrams`` (as a full socket buffer drops it).
/// - every call takes an optional `timeout:`; a timeout throws `JSecError.Category.timeout` and leaves the socket usable;
///   a cancelled task's call throws `CancellationError` and loses no datagram (the next receive gets it).
/// - ``close()`` is idempotent and ends a pending receive with `JSecError.Category.closed`; a socket dropped without
///   ``close()`` closes itself. One receive at a time: a second concurrent receive is a `JSecError.Category.usage` error.
/// - a connected socket whose peer's port is closed reports it once, on the next receive (`ECONNREFUSED`), as `recv(2)` does.
public final class NetDatagramSocket: Sendable {
    /// Whether the socket is the caller's, DTLS's (handed over by an upgrade), or closed.
    enum Ownership: Equatable, Sendable { case open, handedOver(to: String), closed }

    /// The default of `receiveQueueCapacity`: datagrams buffered before new ones are dropped.
    public static let defaultReceiveQueueCapacity = 1_024
    /// Receive buffers hold the largest UDP payload (65,507 bytes over IPv4, 65,527 over IPv6): no datagram is cut.
    static let receiveAllocator = FixedSizeRecvByteBufferAllocator(capacity: 65_536)

    let channel: Channel
    let inbox: HandoffQueue<DatagramInboxHandler.Item>
    /// The host name given to ``connect(host:port:receiveQueueCapacity:)``: DTLS's default server name.
    let connectedHost: String?
    private let ownership = Mutex(Ownership.open)

    init(channel: Channel, inbox: HandoffQueue<DatagramInboxHandler.Item>, connectedHost: String?) {
        self.channel = channel
        self.inbox = inbox
        self.connectedHost = connectedHost
    }

    /// A socket nobody references any more closes, as ``close()`` would (unless DTLS owns it now).
    deinit {
        guard ownership.withLock({ $0 }) == .open else { return }
        inbox.finish(Self.closedError("receive"))
        channel.close(promise: nil)
    }

    public var localAddress: NetAddress? { NetAddress(channel.localAddress) }
    /// The peer of a connected socket; nil for a bound one.
    public var remoteAddress: NetAddress? { NetAddress(channel.remoteAddress) }
    /// Datagrams dropped because `receiveQueueCapacity` were already waiting to be received.
    public var droppedDatagrams: Int { inbox.dropped }
    /// Datagrams received and waiting for ``receive(timeout:)`` now (at most `receiveQueueCapacity`).
    package var queuedDatagrams: Int { inbox.count }

    // MARK: - Opening

    /// Binds a UDP socket on `host`:`port` (port 0 picks one; `::1`/`::` for IPv6). It receives from anyone and
    /// sends with `send(_:to:timeout:)`. A port outside 0…65535 is a `JSecError.Category.usage`
    /// error; a port in use is `JSecError.Category.io` (`EADDRINUSE`).
    public static func bind(
        host: String = "127.0.0.1", port: Int, receiveQueueCapacity: Int = defaultReceiveQueueCapacity
    ) async throws -> NetDatagramSocket {
        try NetAddress.checkListenPort(port, what: "bind UDP \(host):\(port)")
        try checkCapacity(receiveQueueCapacity)
        let target = NetAddress.ip(host: host, port: port).description
        let address = try await AddressLookup.resolve(host: host, port: port, while: "bind UDP", target: target)
        return try await open(capacity: receiveQueueCapacity, target: target, host: nil) { $0.bind(to: address) }
    }

    /// Opens a UDP socket connected to `host`:`port` (a name or an IP literal): it sends to that peer and receives
    /// only from it. A port outside 1…65535 is a `JSecError.Category.usage` error; a name that does not resolve is
    /// `JSecError.Category.io` (code `.addressResolution`). UDP sends nothing to connect: a peer that is not there
    /// shows on the first receive after a send (`ECONNREFUSED`), or as silence.
    public static func connect(
        host: String, port: Int, receiveQueueCapacity: Int = defaultReceiveQueueCapacity
    ) async throws -> NetDatagramSocket {
        let target = NetAddress.ip(host: host, port: port).description
        try NetAddress.checkConnectPort(port, what: "connect UDP \(target)")
        try checkCapacity(receiveQueueCapacity)
        let address = try await AddressLookup.resolve(host: host, port: port, while: "connect UDP", target: target)
        return try await open(capacity: receiveQueueCapacity, target: target, host: host) { $0.connect(to: address) }
    }

    private static func checkCapacity(_ capacity: Int) throws {
        guard capacity > 0 else { throw JSecError(.usage, "receiveQueueCapacity must be at least 1, got \(capacity)", code: .jsec(.invalidArgument)) }
    }

    private static func open(
        capacity: Int, target: String, host: String?, _ start: (DatagramBootstrap) -> EventLoopFuture<Channel>
    ) async throws -> NetDatagramSocket {
        try Task.checkCancellation()
        let inbox = HandoffQueue<DatagramInboxHandler.Item>(capacity: capacity, what: "receive")
        // No SO_REUSEADDR: Linux honours it for UDP, and two sockets on one port would split the datagrams.
        let bootstrap = DatagramBootstrap(group: JSecRuntime.eventLoopGroup)
            .channelOption(.recvAllocator, value: receiveAllocator)
        do {
            let channel = try await DatagramOpen.open(
                bootstrap,
                initializer: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DatagramInboxHandler(inbox: inbox))
                    }
                }, start)
            return NetDatagramSocket(channel: channel, inbox: inbox, connectedHost: host)
        } catch {
            throw JSecError.mapped(error, while: host == nil ? "bind UDP" : "connect UDP", target: target)
        }
    }

    // MARK: - Receiving

    /// The next datagram, whole, and its sender. Throws `JSecError.Category.timeout` after `timeout` (the socket stays
    /// usable), `JSecError.Category.closed` after ``close()``, `JSecError.Category.usage` when another receive is
    /// pending, `CancellationError` when the task is cancelled (a datagram arriving later goes to the next receive),
    /// and once the error the socket reported (a connected socket's `ECONNREFUSED`: nobody listens at the peer's port).
    public func receive(timeout: Duration? = nil) async throws -> NetDatagram {
        switch try await inbox.pop(timeout: timeout) {
        case .success(let datagram): return datagram
        case .failure(let error): throw error
        case nil: throw Self.closedError("receive")
        }
    }

    // MARK: - Sending

    /// Sends `bytes` as one datagram to the connected peer. Returns once the datagram is handed to the kernel (UDP
    /// does not say whether it arrived). A socket that is not connected is a `JSecError.Category.usage` error; after
    /// ``close()`` a `JSecError.Category.closed` one. A timeout or cancellation while the kernel's buffer is full
    /// throws, and the datagram may still be sent.
    public func send(_ bytes: some Sequence<UInt8>, timeout: Duration? = nil) async throws {
        try checkUsable("send")
        guard let peer = channel.remoteAddress else {
            throw JSecError(.usage, "send: the UDP socket is not connected; use send(_:to:) or NetDatagramSocket.connect", code: .jsec(.invalidState))
        }
        try await transmit(channel.allocator.buffer(bytes: bytes), to: peer, timeout: timeout)
    }

    /// Sends the UTF-8 bytes of `text` as one datagram to the connected peer.
    public func send(_ text: String, timeout: Duration? = nil) async throws {
        try await send(Array(text.utf8), timeout: timeout)
    }

    /// Sends `bytes` as one datagram to `address` (an IP address, or a host name that resolves) from a bound socket (a
    /// connected one sends only to its peer); replying to a ``NetDatagram/sender`` works this way. A Unix address or a port outside 1…65535 is a
    /// `JSecError.Category.usage` error.
    public func send(_ bytes: some Sequence<UInt8>, to address: NetAddress, timeout: Duration? = nil) async throws {
        try checkUsable("send")
        guard case .ip(let host, let port) = address else {
            throw JSecError(.usage, "send: \(address) is not an IP address; a UDP socket sends to host:port", code: .jsec(.invalidArgument))
        }
        try NetAddress.checkConnectPort(port, what: "send to \(address)")
        let target = try await AddressLookup.resolve(host: host, port: port, while: "send", target: address.description)
        if let connected = channel.remoteAddress, connected != target {
            throw JSecError(
                .usage, "send: the UDP socket is connected to \(NetAddress(connected)?.description ?? "?"), not \(address)", code: .jsec(.invalidState))
        }
        try await transmit(channel.allocator.buffer(bytes: bytes), to: target, timeout: timeout)
    }

    /// Sends the UTF-8 bytes of `text` as one datagram to `address`.
    public func send(_ text: String, to address: NetAddress, timeout: Duration? = nil) async throws {
        try await send(Array(text.utf8), to: address, timeout: timeout)
    }

    private func transmit(_ data: ByteBuffer, to peer: SocketAddress, timeout: Duration?) async throws {
        try Task.checkCancellation()
        let target = NetAddress(peer)?.description
        // A connected socket takes plain buffers (NIO sends them to the peer); a bound one needs the address.
        let sent = channel.eventLoop.makePromise(of: Void.self)
        if channel.remoteAddress == nil {
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: peer, data: data), promise: sent)
        } else {
            channel.writeAndFlush(data, promise: sent)
        }
        do {
            try await sent.futureResult.value(
                timeout: timeout,
                timeoutError: JSecError(.timeout, "send to \(target ?? "?") timed out after \(timeout ?? .zero)", code: .jsec(.operationTimeout)))
        } catch {
            if ownership.withLock({ $0 }) == .closed { throw Self.closedError("send") }
            throw JSecError.mapped(error, while: "send", target: target)
        }
    }

    // MARK: - Closing and handing over

    /// Closes the socket. Idempotent; never waits for a peer. A pending receive ends with a
    /// `JSecError.Category.closed` error. After a DTLS upgrade it does nothing: the DTLS connection or server owns the
    /// socket and closes it.
    public func close() async {
        let mine = ownership.withLock { state -> Bool in
            guard state == .open else { return false }
            state = .closed
            return true
        }
        guard mine else { return }
        inbox.finish(Self.closedError("receive"))
        try? await channel.close().get()
    }

    /// Hands the channel to `owner` (DTLS): the socket's own calls then fail with a usage error naming it, and its
    /// ``close()`` and deinit leave the channel alone. Datagrams received but not yet read are dropped.
    func handOver(to owner: String) throws -> Channel {
        try ownership.withLock { state in
            switch state {
            case .open: state = .handedOver(to: owner)
            case .closed: throw Self.closedError(owner)
            case .handedOver(let other): throw Self.handedOverError(owner, to: other)
            }
        }
        inbox.finish(Self.handedOverError("receive", to: owner))
        _ = inbox.drain()
        return channel
    }

    func checkUsable(_ operation: String) throws {
        switch ownership.withLock({ $0 }) {
        case .open: return
        case .closed: throw Self.closedError(operation)
        case .handedOver(let owner): throw Self.handedOverError(operation, to: owner)
        }
    }

    static func closedError(_ operation: String) -> JSecError {
        JSecError(.closed, "\(operation): the UDP socket is closed", code: .jsec(.closed))
    }

    static func handedOverError(_ operation: String, to owner: String) -> JSecError {
        JSecError(.usage, "\(operation): the UDP socket belongs to \(owner) now; use it instead", code: .jsec(.socketHandedOver))
    }
}
