import Assay
import Foundation
import Testing

@testable import AssayRemoteTLS

/// The remote coordinator admits a participant only with the run's exact token: not an empty one,
/// not a prefix of it, not the token with anything appended, not one character off.
@Suite("remote coordinator token")
struct RemoteTokenTests {
    @Test("only the exact token matches: empty, prefix, suffix-extended and altered tokens are refused")
    func exactTokenOnly() throws {
        let creds = try RemoteCredentials(coordinatorAddress: "127.0.0.1", participants: [ParticipantID(role: "client-host", index: 0)])
        let token = creds.token
        #expect(token.count == 64)
        #expect(creds.tokenMatches(token))
        #expect(!creds.tokenMatches(""))
        #expect(!creds.tokenMatches(String(token.prefix(1))))
        #expect(!creds.tokenMatches(String(token.dropLast())))
        #expect(!creds.tokenMatches(token + "0"))
        #expect(!creds.tokenMatches(token + token))
        let last = token.last == "0" ? "1" : "0"
        #expect(!creds.tokenMatches(String(token.dropLast()) + last))
        #expect(!creds.tokenMatches(" " + token))
    }
}
