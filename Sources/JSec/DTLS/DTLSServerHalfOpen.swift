extension DTLSServer {
    /// Half-open handshakes now: the peer's cookie was verified and its handshake has not completed or ended. They
    /// are bounded by ``DTLSOptions/halfOpenHandshakeBudget`` (whatever their addresses) and
    /// ``DTLSOptions/maximumHandshakesPerAddress`` (per address).
    public var halfOpenHandshakes: Int { stats.halfOpen }
    /// Verified ClientHellos dropped unanswered since the server started because ``DTLSOptions/halfOpenHandshakeBudget``
    /// was full and no half-open handshake was older than ``DTLSOptions/halfOpenEvictionAge``.
    public var halfOpenHandshakesRefused: Int { stats.halfOpenRefused }
    /// Half-open handshakes ended since the server started to make room for a newer one (each is also in
    /// ``handshakeFailures``, code `.jsec(.halfOpenEvicted)`).
    public var halfOpenHandshakesEvicted: Int { stats.halfOpenEvicted }
}
