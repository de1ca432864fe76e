import Assay
import JSec

/// Issue 12 (hardening of the networking layer) and issue 15 item 2 (the DTLS cookie check): one test per defect.
package let netHardeningSuite = Suite(
    "net-hardening", category: "regression",
    description: "hostile and exhausted peers, cancellation, dropped objects, ports, idle peers, DTLS cookies",
    timeout: 90
) {
    // Item 1: oversize datagrams (16,398–17,677 bytes) left bytes in the shared DTLSv1_listen engine that were glued
    // to the next peer's ClientHello, so a forged flood kept real clients out (and grew memory).
    Test("dtls: oversize and malformed hellos interleaved with real clients") { _ in
        try await DTLSUnverified.junkInterleavedWithRealClients()
    }
    // Issue 15 item 2: a cookie check accepting any non-empty cookie passed every suite.
    Test("dtls: forged, stale and other-address cookies create no session") { _ in
        try await DTLSUnverified.cookieCheck()
    }
    // Issue 23: cookies never expired; a harvested one could be replayed (spoofed) for the server's life.
    Test("dtls: a cookie two secret periods old is refused") { _ in try await DTLSUnverified.cookieRotation() }
    Test("dtls: handshakes in progress are bounded per address") { _ in try await DTLSUnverified.handshakesPerAddress() }
    Test("dtls: a flood of verified hellos from many addresses stays within the half-open budget") { _ in
        try await DTLSHalfOpenBudget.floodOfVerifiedHellos()
    }
    // Item 2: out of descriptors, accept was retried in a busy loop (48,041 failed accept4 in 5 s).
    CoordinatedTest(
        "accept backs off when descriptors run out",
        roles: [
            Role("server") { p in try await ServerLimits.backoffServer(p) },
            Role("client") { p in try await ServerLimits.backoffClient(p) },
        ], parallel: .process, timeout: 90)
    // Items 4 and 6: one queue for accept / DTLS accept / DTLS read; the refused second accept dropped the
    // first one's timeout; cancellation was ignored.
    MatrixTest(
        "waiting calls: timeout, refused second call, cancellation",
        matrix: .inline(["call": ["accept", "tls-accept", "dtls-accept", "dtls-read"]])
    ) { ctx in
        try await NetHardening.queueContract(try ctx.string("call"))
    }
    // Item 4: a cancelled read (and write, chunk, shutdown) stayed pending until close().
    MatrixTest("stream calls honour cancellation", matrix: .inline(["transport": ["tcp", "tls-tcp"]])) { ctx in
        try await NetHardening.streamCancellation(ctx.transport())
    }
    Test("cancelled connect") { _ in try await NetHardening.connectCancellation() }
    Test("cancelled TLS handshake closes the connection") { _ in try await NetHardening.handshakeCancellation() }
    Test("cancelled DTLS handshake and write") { _ in try await NetHardening.dtlsCancellation() }
    // Item 5: a NetStream dropped without close() kept its descriptor.
    MatrixTest("dropped streams close themselves", matrix: .inline(["transport": ["tcp", "tls-tcp"]])) { ctx in
        try await NetHardening.droppedStreamsClose(tls: try ctx.string("transport") == "tls-tcp")
    }
    Test("dropped listeners and DTLS servers close themselves") { _ in try await NetHardening.droppedListenersClose() }
    // Item 9: listen(port: 70000) bound 4464.
    Test("ports out of range are usage errors") { _ in try await NetHardening.portValidation() }
    Test("echo-server --port 70000 fails") { _ in try await NetHardening.echoServerRejectsPort() }
    // Item 10: idle peers after the handshake were kept forever; https-server had no overall request deadline.
    MatrixTest("listener idle timeout", matrix: .inline(["transport": ["tcp", "tls-tcp"]])) { ctx in
        try await ServerLimits.idleTimeout(tls: try ctx.string("transport") == "tls-tcp")
    }
    Test("echo-server closes idle connections") { _ in try await ServerLimits.echoServerIdle() }
    Test("https-server request deadline and bare LF request end") { _ in try await ServerLimits.httpsServerDeadline() }
    // Issue 20 item 6: a body in the same write as the head got 408 at the deadline; a 10 MB header got 200 after 64 KiB.
    Test("https-server reads a body that came with the head") { _ in try await ServerLimits.httpsServerBodyWithHead() }
    Test("https-server answers an oversized head with 431") { _ in try await ServerLimits.httpsServerOversizedHead() }
    // Issue 20 item 5: bounds of docs/security.md that no test exercised (removing maximumSessions went unnoticed).
    Test("dtls: maximumSessions refuses and records the next peer") { _ in try await ResourceBounds.dtlsMaximumSessions() }
    Test("dtls: receiveQueueCapacity drops and counts") { _ in try await ResourceBounds.dtlsReceiveQueue() }
    Test("listener keeps the last 1,000 handshake failures") { _ in try await ResourceBounds.recordedFailuresBounded() }
}
