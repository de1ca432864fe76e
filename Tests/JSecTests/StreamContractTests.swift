// The stream contract and TLS behaviour, run through `swift test`. The bodies live in
// Suites/ (harness-neutral: they throw on failure) so Assay suites run the same code.
import JSec
import Suites
import Testing

@Suite("Stream contract over every transport")
struct StreamContractTests {
    @Test(arguments: Transport.allCases, StreamContract.roundTripSizes)
    func roundTrip(transport: Transport, size: Int) async throws {
        try await StreamContract.roundTrip(transport, size: size)
    }

    @Test(arguments: Transport.allCases) func readNeverEmpty(_ t: Transport) async throws { try await StreamContract.readNeverEmpty(t) }
    @Test(arguments: Transport.allCases) func chunkAtEndOfStream(_ t: Transport) async throws { try await StreamContract.chunkAtEndOfStream(t) }
    @Test(arguments: Transport.allCases) func halfClose(_ t: Transport) async throws { try await StreamContract.halfClose(t) }
    @Test(arguments: Transport.allCases) func timeoutLeavesStreamUsable(_ t: Transport) async throws { try await StreamContract.timeoutLeavesStreamUsable(t) }
    @Test(arguments: Transport.allCases) func closeEndsPendingRead(_ t: Transport) async throws { try await StreamContract.closeEndsPendingRead(t) }
    @Test(arguments: Transport.allCases) func concurrentReadIsUsageError(_ t: Transport) async throws { try await StreamContract.concurrentReadIsUsageError(t) }
    @Test(arguments: Transport.allCases) func addresses(_ t: Transport) async throws { try await StreamContract.addresses(t) }
}

@Suite("TLS behaviour")
struct TLSBehaviourTests {
    @Test(arguments: [false, true]) func upgradeWithCoalescedBytes(clientIsAcceptor: Bool) async throws {
        try await TLSBehaviour.upgradeWithCoalescedBytes(clientIsAcceptor: clientIsAcceptor)
    }
    @Test(arguments: TLSBehaviour.BadServer.allCases) func clientRejects(_ bad: TLSBehaviour.BadServer) async throws {
        try await TLSBehaviour.clientRejects(bad)
    }
    @Test(arguments: TLSVersion.allCases) func missingClientCertificate(_ v: TLSVersion) async throws {
        try await TLSBehaviour.missingClientCertificate(version: v)
    }
    @Test(arguments: [Transport.tlsTCP, .tlsUnix, .upgraded]) func mutualTLS(_ t: Transport) async throws { try await TLSBehaviour.mutualTLS(t) }
    @Test(arguments: TLSVersion.allCases, [KeyType.rsa2048, .ecP256, .ed25519])
    func negotiatesRequestedVersion(_ v: TLSVersion, _ k: KeyType) async throws {
        try await TLSBehaviour.negotiatesRequestedVersion(v, keyType: k)
    }
    @Test func negotiatesRequestedCipher() async throws { try await TLSBehaviour.negotiatesRequestedCipher() }
    @Test func alpn() async throws { try await TLSBehaviour.alpn() }
    @Test func sniSelectsCertificate() async throws { try await TLSBehaviour.sniSelectsCertificate() }
    @Test func invalidConfigurationIsRejected() async throws { try await TLSBehaviour.invalidConfigurationIsRejected() }
}

@Suite("Interop with openssl", .enabled(if: OpenSSLPeers.unavailableReason == nil, "openssl CLI not installed"))
struct OpenSSLInteropTests {
    @Test(arguments: TLSVersion.allCases) func clientAgainstSServer(_ v: TLSVersion) async throws { try await OpenSSLPeers.clientAgainstSServer(version: v) }
    @Test(arguments: TLSVersion.allCases) func sClientAgainstServer(_ v: TLSVersion) async throws { try await OpenSSLPeers.sClientAgainstServer(version: v) }
    @Test(arguments: ["-tls1", "-tls1_1"]) func refusesOldTLSServer(_ flag: String) async throws { try await OpenSSLPeers.refusesOldTLSServer(flag) }
    @Test func refusesOldTLSClient() async throws { try await OpenSSLPeers.refusesOldTLSClient() }
}

@Suite("TLS sessions and key update")
struct TLSSessionTests {
    @Test(arguments: TLSVersion.allCases, [true, false]) func exportedSessionResumes(_ v: TLSVersion, tickets: Bool) async throws {
        try await TLSSessions.exportedSessionResumes(version: v, tickets: tickets)
    }
    @Test func clientCacheResumes() async throws { try await TLSSessions.clientCacheResumes() }
    @Test func ticketKeySurvivesRestart() async throws { try await TLSSessions.ticketKeySurvivesRestart() }
    @Test(arguments: [Transport.tlsTCP, .tlsUnix, .upgraded]) func keyUpdateWhileDataFlows(_ t: Transport) async throws {
        try await TLSSessions.keyUpdateWhileDataFlows(t)
    }
}

@Suite("Resumption with openssl", .enabled(if: OpenSSLPeers.unavailableReason == nil, "openssl CLI not installed"))
struct OpenSSLResumptionTests {
    @Test(arguments: TLSVersion.allCases) func sClientReconnectIsReused(_ v: TLSVersion) async throws { try await OpenSSLPeers.sClientReconnectIsReused(version: v) }
    @Test(arguments: TLSVersion.allCases) func clientResumesWithSServer(_ v: TLSVersion) async throws { try await OpenSSLPeers.clientResumesWithSServer(version: v) }
}
