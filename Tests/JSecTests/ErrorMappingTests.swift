#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOPosix
import Testing
@testable import JSec

/// ErrorMapping: NIO's errors become one-line JSecErrors with a category and a code.
@Suite struct ErrorMappingTests {
    @Test func systemErrorNamesCauseObjectAndErrno() {
        let e = JSecError.from(IOError(errnoCode: EADDRINUSE, reason: "bind(descriptor:ptr:bytes:)"), while: "listen", target: "127.0.0.1:8443")
        #expect(e.message == "address already in use: 127.0.0.1:8443 (EADDRINUSE)")
        #expect(e == JSecError(.io, "", code: .errno(EADDRINUSE)))
        let w = JSecError.from(IOError(errnoCode: EPIPE, reason: "write"), while: "write")
        #expect(w.message == "write: broken pipe (EPIPE)", "without an object the operation is named")
    }

    @Test func channelErrors() {
        #expect(JSecError.from(ChannelError.ioOnClosedChannel, while: "read") == JSecError(.closed, "", code: .jsec(.closed)))
        #expect(JSecError.from(ChannelError.alreadyClosed, while: "read").message == "read: the stream is closed")
        #expect(JSecError.from(ChannelError.eof, while: "read").category == .closed)
        #expect(JSecError.from(ChannelError.outputClosed, while: "write") == JSecError(.closed, "", code: .jsec(.outputShutDown)))
        #expect(JSecError.from(ChannelError.inputClosed, while: "read").message == "read: the read side of the stream is shut down")
        let t = JSecError.from(ChannelError.connectTimeout(.milliseconds(1500)), while: "connect", target: "10.0.0.1:443")
        #expect(t.message == "connection timed out: 10.0.0.1:443 (after 1500 ms)")
        #expect(t == JSecError(.timeout, "", code: .errno(ETIMEDOUT)))
        let other = JSecError.from(ChannelError.operationUnsupported, while: "shutdown")
        #expect(other.category == .io && other.message.hasPrefix("shutdown: "))
    }

    @Test func jsecErrorsPassThroughAndOthersAreNamed() {
        let original = JSecError(.verification, "the peer rejected our certificate: bad certificate", code: .alertReceived(.badCertificate))
        let passed = JSecError.from(original, while: "read")
        #expect(passed == original && passed.message == original.message)
        #expect(JSecError.from(CancellationError(), while: "accept") == JSecError(.closed, "", code: .jsec(.cancelled)))
        struct Odd: Error {}
        let odd = JSecError.from(Odd(), while: "connect")
        #expect(odd.category == .io && odd.code == .jsec(.transportError) && odd.message.hasPrefix("connect: "))
    }

    @Test func connectionErrorsFromNIOHaveOneLine() async throws {
        // NIO's connect error types cannot be built outside NIO; a refused connect makes one.
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        let port = l.port!
        await l.close()
        do {
            _ = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
            Issue.record("connected to a closed port")
        } catch {
            let e = JSecError.from(error, while: "connect")
            #expect(e.message == "connection refused: 127.0.0.1:\(port) (ECONNREFUSED)")
            #expect(e.code == .errno(ECONNREFUSED))
        }
    }
}
