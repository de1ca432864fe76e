import Logging
import NIOCore
internal import CJSecOpenSSL
import Synchronization

/// Counters a ``DTLSServer`` keeps on its event loop and reports anywhere.
final class DTLSServerStats: Sendable {
    private struct Counts {
        var sessions = 0
        var helloVerifyRequests = 0
        var handshakeFailures: [JSecError] = []
        var halfOpen = 0
        var halfOpenRefused = 0
        var halfOpenEvicted = 0
    }
    private let counts = Mutex(Counts())
    var sessions: Int { counts.withLock { $0.sessions } }
    var helloVerifyRequests: Int { counts.withLock { $0.helloVerifyRequests } }
    var handshakeFailures: [JSecError] { counts.withLock { $0.handshakeFailures } }
    var halfOpen: Int { counts.withLock { $0.halfOpen } }
    var halfOpenRefused: Int { counts.withLock { $0.halfOpenRefused } }
    var halfOpenEvicted: Int { counts.withLock { $0.halfOpenEvicted } }
    func setSessions(_ n: Int) { counts.withLock { $0.sessions = n } }
    func setHalfOpen(_ n: Int) { counts.withLock { $0.halfOpen = n } }
    func countHalfOpenRefused() { counts.withLock { $0.halfOpenRefused += 1 } }
    func countHalfOpenEvicted() { counts.withLock { $0.halfOpenEvicted += 1 } }
    func countHelloVerifyRequest() { counts.withLock { $0.helloVerifyRequests += 1 } }
    func recordFailure(_ e: JSecError) {
        counts.withLock { c in
            c.handshakeFailures.append(e)
            if c.handshakeFailures.count > 1000 { c.handshakeFailures.removeFirst(c.handshakeFailures.count - 1000) }
        }
    }
}

/// The DTLS server on one UDP socket: demultiplexes datagrams by peer address into per-peer
/// ``DTLSDriver``s. A datagram from an unknown address reaches a single shared listener engine
/// (`DTLSv1_listen`), which answers a ClientHello without a valid cookie with a HelloVerifyRequest and
/// keeps nothing about the sender; only a ClientHello echoing the cookie (HMAC of the source address
/// under a secret that changes every ``DTLSOptions/cookieSecretLifetime``, ``DTLSCookieSecrets``) — proof the
/// sender receives at that address, lately — gets a session.
final class DTLSServerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let tlsContext: TLSContext
    private let options: DTLSOptions
    private let cookies: DTLSCookieSecrets
    private let accepted: HandoffQueue<DTLSConnection>
    private let stats: DTLSServerStats
    private var sessions: [SocketAddress: DTLSDriver] = [:]
    /// New handshakes from the address of an established session (a restarted client, or a replayed
    /// ClientHello): the established session is replaced only when the new handshake completes.
    private var replacements: [SocketAddress: DTLSDriver] = [:]
    private var listener: (engine: TLSEngine, tag: DTLSEngineTag)?
    /// Handshakes in progress per source IP address (``DTLSOptions/maximumHandshakesPerAddress``), and the
    /// drivers counted there with when their cookie was verified — the half-open handshakes that
    /// ``DTLSOptions/halfOpenHandshakeBudget`` bounds (each leaves once: handshake done, failed or association ended).
    private var handshaking: [String: Int] = [:]
    private var halfOpen: [ObjectIdentifier: (driver: DTLSDriver, since: NIODeadline)] = [:]
    /// Whether the half-open budget is full since the last notice (one log line per episode, not per refusal).
    private var budgetFullNoticed = false
    private var context: ChannelHandlerContext?
    private var closed = false
    private let logger: Logger

    init(context: TLSContext, options: DTLSOptions, accepted: HandoffQueue<DTLSConnection>, stats: DTLSServerStats) throws {
        tlsContext = context
        logger = context.logger
        self.options = options
        self.accepted = accepted
        self.stats = stats
        cookies = try DTLSCookieSecrets(lifetime: options.cookieSecretLifetime)
        listener = try makeListener()
    }

    private func makeListener() throws -> (engine: TLSEngine, tag: DTLSEngineTag) {
        let tag = DTLSEngineTag(cookies: cookies, initialTimeout: options.initialRetransmissionTimeout)
        let engine = try DTLSDriver.makeEngine(context: tlsContext, role: .server, serverName: nil, session: nil, options: options, tag: tag)
        return (engine, tag)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeAll()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeAll()
        context.fireChannelInactive()
    }

    /// Ends every session (with close_notify to established peers) and the accept queue.
    func closeAll() {
        guard !closed else { return }
        closed = true
        for driver in Array(sessions.values) + Array(replacements.values) { driver.closeLocally() }
        sessions = [:]
        replacements = [:]
        stats.setSessions(0)
        accepted.finish(nil)
        for c in accepted.drain() { c.driver.value.closeLocally() }
        listener = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        let envelope = unwrapInboundIn(data)
        let peer = envelope.remoteAddress
        let datagram = envelope.data
        if let driver = sessions[peer] {
            let newHello = driver.isEstablished && DTLSRecordFramer.isInitialClientHello(datagram)
            if let pending = replacements[peer] {
                // Epochs do not say which association a record belongs to: both engines see it, and each
                // discards what it cannot authenticate (a replayed or foreign record fails its replay or MAC check).
                pending.receive(datagram)
                if !newHello { driver.receive(datagram) }
                return
            }
            // A new ClientHello from an established peer (it restarted on the same port, RFC 6347 §4.2.8):
            // it goes through the cookie exchange like any new peer (below).
            if !newHello {
                driver.receive(datagram)
                return
            }
        }
        guard DTLSRecordFramer.isInitialClientHello(datagram), datagram.readableBytes <= Self.maximumHelloDatagram else {
            // Not the start of a handshake from a peer we have no session with (or more than a hello can be): ignore.
            logger.trace("DTLS datagram ignored", metadata: ["jsec.peer": "\(peer)", "jsec.bytes": "\(datagram.readableBytes)"])
            return
        }
        listen(peer: peer, datagram: datagram, context: context)
    }

    /// The most of a datagram `DTLSv1_listen` reads (one record of at most 16 KiB plus its header); a longer
    /// datagram from an unverified peer is dropped unread.
    static let maximumHelloDatagram = 16_384 + DTLSRecordFramer.headerLength

    /// Runs the stateless cookie exchange for a ClientHello from `peer`.
    ///
    /// Every unverified datagram meets the shared listening engine with nothing left of the one before: the
    /// engine reads from a byte queue, not a datagram socket, so bytes `DTLSv1_listen` leaves unread would be
    /// glued in front of the next peer's ClientHello (spoiling it) and pile up in memory. They are dropped
    /// after each call. An unverified peer thus costs one HMAC and one HelloVerifyRequest (smaller than its
    /// ClientHello: no amplification) per datagram, and nothing is kept about it.
    private func listen(peer: SocketAddress, datagram: ByteBuffer, context: ChannelHandlerContext) {
        guard let (engine, tag) = listener else { return }
        tag.peerBytes = Self.addressBytes(peer)
        engine.feed(datagram)
        OpenSSLErrorQueue.clear()
        let verdict = jsec_DTLSv1_listen(engine.ssl)
        _ = OpenSSLErrorQueue.drain()
        engine.discardInput()
        if let out = engine.takeOutput() {
            stats.countHelloVerifyRequest()
            logger.debug("DTLS cookie: HelloVerifyRequest sent", metadata: ["jsec.peer": "\(peer)"])
            for d in DTLSRecordFramer.datagrams(from: out, mtu: options.mtu) {
                context.writeAndFlush(NIOAny(AddressedEnvelope(remoteAddress: peer, data: d)), promise: nil)
            }
        }
        guard verdict == 1 else { return }
        logger.debug("DTLS cookie verified: the peer receives at its address", metadata: ["jsec.peer": "\(peer)"])
        // The cookie came back: this engine now belongs to the peer, and a fresh one listens.
        do { listener = try makeListener() } catch { listener = nil }
        let replacing = sessions[peer] != nil
        guard sessionCount < options.maximumSessions else {
            stats.recordFailure(
                JSecError(.handshake, "DTLS accept from \(peer): the server already holds \(options.maximumSessions) sessions", code: .jsec(.limitReached)))
            logger.notice(
                "DTLS session refused: the server holds its maximum", metadata: ["jsec.peer": "\(peer)", "jsec.maximumSessions": "\(options.maximumSessions)"])
            updateCount()
            return
        }
        let host = Self.host(of: peer)
        guard handshaking[host, default: 0] < options.maximumHandshakesPerAddress else {
            stats.recordFailure(
                JSecError(
                    .handshake,
                    "DTLS accept from \(peer): \(options.maximumHandshakesPerAddress) handshakes from \(host) are already in progress",
                    code: .jsec(.limitReached)))
            logger.notice(
                "DTLS handshake refused: its address has the most handshakes in progress",
                metadata: ["jsec.peer": "\(peer)", "jsec.maximumHandshakesPerAddress": "\(options.maximumHandshakesPerAddress)"])
            return
        }
        guard makeRoomForHalfOpenHandshake(peer: peer) else { return }
        let driver = DTLSDriver(
            engine: engine, tag: tag, peer: peer, localAddress: context.channel.localAddress, options: options,
            eventLoop: context.eventLoop, allocator: context.channel.allocator, sessionCacheKey: nil)
        let loop = context.eventLoop
        driver.transmit = { [weak self] d in
            guard let self, let ctx = self.context else { return loop.makeFailedFuture(JSecError(.closed, "the DTLS server is closed", code: .jsec(.closed))) }
            return ctx.writeAndFlush(NIOAny(AddressedEnvelope(remoteAddress: peer, data: d)))
        }
        handshaking[host, default: 0] += 1
        halfOpen[ObjectIdentifier(driver)] = (driver, .now())
        stats.setHalfOpen(halfOpen.count)
        driver.onEnd = { [weak self] ended in
            guard let self else { return }
            self.handshakeOver(ended)
            if self.sessions[ended.peer] === ended {
                self.sessions.removeValue(forKey: ended.peer)
                // A handshake waiting to replace the ended session now has the address to itself.
                if let pending = self.replacements.removeValue(forKey: ended.peer) { self.sessions[ended.peer] = pending }
            }
            if self.replacements[ended.peer] === ended { self.replacements.removeValue(forKey: ended.peer) }
            self.updateCount()
        }
        if replacing { replacements[peer] = driver } else { sessions[peer] = driver }
        updateCount()
        let accepted = self.accepted
        let stats = self.stats
        driver.whenHandshakeCompletes { [weak self] result in
            self?.handshakeOver(driver)
            switch result {
            case .success(let connection):
                if replacing { self?.promote(driver) }
                if !accepted.push(connection) { driver.closeLocally() }
            case .failure(let error):
                stats.recordFailure(error)
            }
        }
        driver.start()  // the ClientHello DTLSv1_listen kept is processed now
    }

    /// A replacement handshake completed (the client proved itself with a Finished message): it takes over the
    /// address, and the old session ends without close_notify (that would reach the new association).
    private func promote(_ driver: DTLSDriver) {
        guard replacements[driver.peer] === driver else { return }
        replacements.removeValue(forKey: driver.peer)
        if let old = sessions[driver.peer] {
            old.onEnd = nil
            old.abandon(JSecError(.closed, "read: the DTLS peer started a new session from the same address", code: .jsec(.sessionReplaced)))
        }
        sessions[driver.peer] = driver
        updateCount()
    }

    /// `driver`'s handshake no longer counts against its address and the half-open budget (called on completion
    /// and on end; once).
    private func handshakeOver(_ driver: DTLSDriver) {
        guard halfOpen.removeValue(forKey: ObjectIdentifier(driver)) != nil else { return }
        stats.setHalfOpen(halfOpen.count)
        let host = Self.host(of: driver.peer)
        let left = (handshaking[host] ?? 1) - 1
        handshaking[host] = left > 0 ? left : nil
    }

    /// Whether a verified ClientHello from `peer` may start a half-open handshake under
    /// ``DTLSOptions/halfOpenHandshakeBudget``. With the budget full, the oldest half-open handshake gives way if it
    /// is older than ``DTLSOptions/halfOpenEvictionAge`` (a real peer completes well within it; a harvested cookie
    /// fired from an address nobody answers at never does); otherwise the ClientHello is dropped and counted, and the
    /// peer's retransmission tries again. Dropping alone would let a burst of harvested cookies hold every place
    /// until the handshake timeout (30 s), evicting the oldest at once would let the burst push out a real peer's
    /// handshake before it can finish: the age keeps a place for a real peer for that long, and frees it after.
    private func makeRoomForHalfOpenHandshake(peer: SocketAddress) -> Bool {
        let capacity = options.maximumHalfOpenHandshakes
        guard halfOpen.count >= capacity else {
            budgetFullNoticed = false
            return true
        }
        if !budgetFullNoticed {
            budgetFullNoticed = true
            logger.notice(
                "DTLS half-open handshake budget full: verified ClientHellos are dropped until one completes, ends or ages",
                metadata: [
                    "jsec.peer": "\(peer)", "jsec.halfOpenHandshakes": "\(halfOpen.count)",
                    "jsec.halfOpenHandshakeBudget": "\(options.halfOpenHandshakeBudget)",
                ])
        }
        let evictable = NIODeadline.now() - options.halfOpenEvictionAge.timeAmount
        guard let oldest = halfOpen.values.min(by: { $0.since < $1.since }), oldest.since <= evictable else {
            stats.countHalfOpenRefused()
            return false
        }
        stats.countHalfOpenEvicted()
        logger.debug("DTLS half-open handshake evicted for a newer one", metadata: ["jsec.peer": "\(oldest.driver.peer)"])
        oldest.driver.fail(
            JSecError(
                .handshake,
                "DTLS handshake with \(oldest.driver.peer) ended unfinished after \(options.halfOpenEvictionAge): the server's half-open handshake budget (\(options.halfOpenHandshakeBudget) bytes) was full",
                code: .jsec(.halfOpenEvicted)))
        handshakeOver(oldest.driver)  // its end did this already; a no-op then
        return halfOpen.count < capacity
    }

    private func updateCount() { stats.setSessions(sessionCount) }

    /// What ``DTLSOptions/maximumHandshakesPerAddress`` counts by: the source IP address, any port.
    static func host(of peer: SocketAddress) -> String { peer.ipAddress ?? "\(peer)" }

    /// What a cookie is bound to: the source address and port.
    static func addressBytes(_ address: SocketAddress) -> [UInt8] {
        Array("\(address.protocol)|\(address.ipAddress ?? "")|\(address.port ?? 0)".utf8)
    }

    var sessionCount: Int { sessions.count + replacements.count }
}
