import Foundation
import NIOCore
import Testing
@testable import JSec

/// Cookie secrets rotate (issue 23): a cookie is accepted in the period it was made and the next, and
/// refused from the period after; a clock the test moves decides, not the wall clock.
@Suite struct DTLSCookieSecretsTests {
    final class Clock: @unchecked Sendable {
        var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    }

    @Test("a cookie verifies in its period and the next, not later; another address's never; the next cookie differs")
    func rotation() throws {
        let clock = Clock()
        let secrets = try DTLSCookieSecrets(lifetime: .seconds(60), now: { clock.now })
        let a: [UInt8] = [2, 127, 0, 0, 1, 0x1F, 0x90]
        let b: [UInt8] = [2, 127, 0, 0, 2, 0x1F, 0x90]
        clock.now = clock.now + .seconds(59)  // late in period 0
        let cookie = try #require(secrets.cookie(for: a))
        #expect(cookie.count == 32)
        #expect(secrets.verify(cookie, peer: a))
        #expect(!secrets.verify(cookie, peer: b), "bound to the address")
        clock.now = clock.now + .seconds(2)  // period 1: the previous secret still counts
        #expect(secrets.verify(cookie, peer: a), "a cookie of the previous period is accepted")
        let next = try #require(secrets.cookie(for: a))
        #expect(next != cookie, "period 1 has its own secret")
        clock.now = clock.now + .seconds(60)  // period 2
        #expect(!secrets.verify(cookie, peer: a), "a cookie two periods old is refused")
        #expect(secrets.verify(next, peer: a), "period 1's cookie is still accepted in period 2")
        clock.now = clock.now + .seconds(600)  // many periods later: both secrets replaced
        #expect(!secrets.verify(next, peer: a))
        let fresh = try #require(secrets.cookie(for: a))
        #expect(secrets.verify(fresh, peer: a))
    }

    @Test("cookieSecretLifetime outside 100 ms…1 day and maximumHandshakesPerAddress 0 are configuration errors")
    func validation() throws {
        for bad in [Duration.zero, .milliseconds(99), .seconds(86_401)] {
            var o = DTLSOptions()
            o.cookieSecretLifetime = bad
            #expect(throws: JSecError.self) { try o.validate() }
        }
        var ok = DTLSOptions()
        ok.cookieSecretLifetime = .milliseconds(100)
        try ok.validate()
        var none = DTLSOptions()
        none.maximumHandshakesPerAddress = 0
        #expect(throws: JSecError.self) { try none.validate() }
    }

    @Test("a half-open budget below one charge and a negative eviction age are configuration errors; the default admits 273")
    func halfOpenBudgetValidation() throws {
        #expect(DTLSOptions().maximumHalfOpenHandshakes == 273)
        var small = DTLSOptions()
        small.halfOpenHandshakeBudget = DTLSOptions.halfOpenHandshakeCharge - 1
        #expect(throws: JSecError.self) { try small.validate() }
        small.halfOpenHandshakeBudget = DTLSOptions.halfOpenHandshakeCharge
        try small.validate()
        #expect(small.maximumHalfOpenHandshakes == 1)
        var age = DTLSOptions()
        age.halfOpenEvictionAge = .milliseconds(-1)
        #expect(throws: JSecError.self) { try age.validate() }
        age.halfOpenEvictionAge = .zero
        try age.validate()
    }
}
