import JSecCrypto
import NIOCore

/// A DTLS server's cookie keys (RFC 6347 §4.2.1: the secret should change). Time is cut into periods of
/// ``DTLSOptions/cookieSecretLifetime`` from the server's start; each period has its own random secret, and a
/// cookie verifies under the current period's secret or the previous one's. So a cookie is accepted for at
/// least one period and at most two after it was made: a harvested cookie cannot be replayed for the
/// server's lifetime (with a spoofed source it made the server send its flight to a victim).
/// A cookie is HMAC-SHA256(secret, peer address and port). Used on the server channel's event loop only.
final class DTLSCookieSecrets {
    let lifetime: Duration
    private let start: NIODeadline
    private let now: () -> NIODeadline
    /// The period `current` belongs to, counted from `start`.
    private var period: Int64 = 0
    private var current: [UInt8]
    private var previous: [UInt8]?

    init(lifetime: Duration, now: @escaping () -> NIODeadline = NIODeadline.now) throws {
        self.lifetime = lifetime
        self.now = now
        start = now()
        current = try SecureRandom.bytes(32)
    }

    /// Moves to the present period: one period on, the current secret becomes the previous one; two or
    /// more, both are replaced (every cookie made before is stale).
    private func advance() {
        let elapsed = now() - start
        let nanos = max(1, lifetime.timeAmount.nanoseconds)  // validated: 100 ms…1 day
        let present = elapsed.nanoseconds / nanos
        guard present > period, let fresh = try? SecureRandom.bytes(32) else { return }
        previous = present == period + 1 ? current : nil
        current = fresh
        period = present
    }

    /// The cookie for `peer` (address bytes) under the current secret.
    func cookie(for peer: [UInt8]) -> [UInt8]? {
        advance()
        return try? HMAC.authenticationCode(.sha256, key: current, data: peer)
    }

    /// Whether `given` is `peer`'s cookie under the current or the previous period's secret (constant time).
    func verify(_ given: [UInt8], peer: [UInt8]) -> Bool {
        advance()
        var ok = false
        for secret in [current, previous].compactMap({ $0 }) {
            if let expected = try? HMAC.authenticationCode(.sha256, key: secret, data: peer), ConstantTime.equal(given, expected) {
                ok = true
            }
        }
        return ok
    }
}
