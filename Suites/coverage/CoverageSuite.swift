import Assay
import JSec

/// The TLS engine's state machine through memory (issue 7 item 4): no sockets, every byte boundary,
/// interleavings, closes and hostile bytes at every stage. Driven through ``TLSMemoryConnection``.
package let tlsEngineCoverageSuite = Suite(
    "tls-engine", category: "coverage",
    description: "TLS engine state machine driven through memory BIOs, no sockets", timeout: 300
) {
    MatrixTest("handshake and data one byte at a time", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try TLSEngineCoverage.oneByteAtATime(ctx.tlsVersion())
    }
    MatrixTest(
        "record split at every byte", matrix: .inline(["tls-version": tlsVersions, "record-size": [1, 64, 1024, 16384]]),
        ensured: [["tls-version": "1.3", "record-size": 64]]
    ) { ctx in
        try TLSEngineCoverage.recordSplitAtEveryByte(ctx.tlsVersion(), size: ctx.int("record-size"))
    }
    MatrixTest(
        "interleaved reads and writes both ways", matrix: .inline(["tls-version": tlsVersions, "seed": [1, 2, 3, 4]]),
        ensured: [["tls-version": "1.3", "seed": 1]]
    ) { ctx in
        try TLSEngineCoverage.interleaved(ctx.tlsVersion(), seed: UInt64(ctx.int("seed")))
    }
    MatrixTest("close during the handshake", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try TLSEngineCoverage.closeDuringHandshake(ctx.tlsVersion())
    }
    MatrixTest("write after shutdown", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try TLSEngineCoverage.writeAfterShutdown(ctx.tlsVersion())
    }
    MatrixTest("truncated record then EOF", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try TLSEngineCoverage.truncatedThenEOF(ctx.tlsVersion())
    }
    MatrixTest(
        "garbage from the peer",
        matrix: .inline([
            "tls-version": tlsVersions, "when": TLSEngineCoverage.GarbageWhen.allCases.map { .string($0.rawValue) },
            "shape": ["record", "text"],
        ]),
        ensured: [["tls-version": "1.3", "when": "after-handshake", "shape": "record"]]
    ) { ctx in
        try TLSEngineCoverage.garbage(
            ctx.tlsVersion(), when: TLSEngineCoverage.GarbageWhen(rawValue: ctx.string("when"))!,
            record: ctx.string("shape") == "record")
    }
    Test("key update through memory") { _ in try TLSEngineCoverage.keyUpdate() }
    MatrixTest("session resumption through memory", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try TLSEngineCoverage.sessionResumption(ctx.tlsVersion())
    }
    MatrixTest("large write, many records", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try TLSEngineCoverage.largeWrite(ctx.tlsVersion())
    }
    Test("connection info and failures") { _ in try TLSEngineCoverage.infoAndFailures() }
}
