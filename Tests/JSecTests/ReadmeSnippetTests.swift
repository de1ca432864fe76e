import Foundation
import JSec
import Testing

/// The README's "Security configuration" block, run as written: every line of it must appear, in order,
/// in `securityConfiguration()` below (DocCArticleTests' rule), and that function must build its context.
/// It once set `.modern` (TLS 1.3 only) and a TLS 1.2 `cipherList`, and threw when run.
@Suite struct ReadmeSnippetTests {
    @Test("the README's security configuration block is this test's code, and it builds a context")
    func securityConfiguration() throws {
        var config = TLSConfiguration.client()  // the system trust store; a private CA: .client(trustRoots: .file("ca.pem"))
        config.securityProfile = .intermediate  // the default: TLS 1.2 (ECDHE+AEAD) and 1.3; .modern: 1.3 only (then no cipherList); .compatible for old peers
        config.minimumVersion = .tls1_2
        config.maximumVersion = .tls1_3
        config.cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"  // TLS ≤ 1.2
        config.cipherSuites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"  // TLS 1.3
        config.groups = "X25519:P-256"
        config.applicationProtocols = ["h2", "http/1.1"]  // ALPN
        let context = try TLSContext(config)  // build once, share across connections
        _ = context

        let readme = try String(contentsOf: DocCArticleTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(
            DocCArticleTests.swiftBlocks(readme, article: "README.md").first { $0.lines.contains { $0.contains("config.securityProfile") } })
        let me = try String(contentsOfFile: #filePath, encoding: .utf8)
        #expect(DocCArticleTests.firstMissingLine(of: block, in: me) == nil, "README.md line \(block.line): the block differs from this test")
    }

    /// The README's DTLS block is cut from `Examples/dtls-quick-start` (which the examples suite runs): every line of
    /// it must appear there, in order.
    @Test("the README's DTLS block is the dtls-quick-start example's code")
    func dtlsQuickStart() throws {
        let readme = try String(contentsOf: DocCArticleTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(
            DocCArticleTests.swiftBlocks(readme, article: "README.md").first { $0.lines.contains { $0.contains("NetDatagramSocket.connect") } })
        let example = try String(
            contentsOf: DocCArticleTests.root.appendingPathComponent("Examples/dtls-quick-start/main.swift"), encoding: .utf8)
        #expect(DocCArticleTests.firstMissingLine(of: block, in: example) == nil, "README.md line \(block.line): the block differs from the example")
    }

    /// The README's NIO pipeline block is cut from `Examples/https-nio` (which the examples suite runs against curl).
    @Test("the README's NIO pipeline block is the https-nio example's code")
    func nioPipeline() throws {
        let readme = try String(contentsOf: DocCArticleTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(
            DocCArticleTests.swiftBlocks(readme, article: "README.md").first { $0.lines.contains { $0.contains("TLSServerHandler(context:") } })
        let example = try String(contentsOf: DocCArticleTests.root.appendingPathComponent("Examples/https-nio/main.swift"), encoding: .utf8)
        #expect(DocCArticleTests.firstMissingLine(of: block, in: example) == nil, "README.md line \(block.line): the block differs from the example")
    }
}
