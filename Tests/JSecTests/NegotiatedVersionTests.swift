import Testing

@testable import JSec

@Suite struct NegotiatedVersionTests {
    @Test func openSSLNamesMapToOneValue() {
        #expect(NegotiatedVersion(openSSLName: "TLSv1.2") == .tls(.tls1_2))
        #expect(NegotiatedVersion(openSSLName: "TLSv1.3") == .tls(.tls1_3))
        #expect(NegotiatedVersion(openSSLName: "DTLSv1.2") == .dtls1_2)
        #expect(NegotiatedVersion(openSSLName: "SSLv3") == .other("SSLv3"))
        for v in TLSVersion.allCases { #expect("\(NegotiatedVersion.tls(v))" == v.protocolName && NegotiatedVersion.tls(v).tlsVersion == v) }
        #expect("\(NegotiatedVersion.dtls1_2)" == "DTLSv1.2" && NegotiatedVersion.dtls1_2.tlsVersion == nil)
    }

    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func aHandshakeReportsTheVersionItNegotiated(_ version: TLSVersion) throws {
        let pair = try TLSPair.connected(version)
        defer { pair.finish() }
        let client = try #require(try? pair.client.handshake?.get())
        let server = try #require(try? pair.server.handshake?.get())
        #expect(client.info.version == .tls(version) && server.info.version == .tls(version))
        #expect(client.info.tlsVersion == version)
    }
}
