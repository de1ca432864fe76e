import Assay
import JSec

/// One test per bug fixed, named after what broke.
public let regressionSuite = Suite("regression", category: "regression", description: "bugs found and fixed, one test each", timeout: 60) {
    // chunk(n) for n above the 1 MiB backpressure mark deadlocked: the bridge stopped reading at
    // 1 MiB while chunk waited for all n bytes (found by the key-update test, 3 MB chunks).
    MatrixTest("chunk above the backpressure mark", matrix: .inline(["transport": allTransports]),
               ensured: [["transport": "tls-tcp"]]) { ctx in
        try await withPair(ctx.transport()) { pair in
            let data = pattern(3 * 1024 * 1024 + 7, seed: 11)
            async let sent: Void = pair.client.write(data)
            let got = try await pair.server.chunk(data.count, timeout: .seconds(60))
            try await sent
            try check(got == data, "3 MiB chunk differs (\(got.count) bytes)")
        }
    }
    // With TLS 1.2, a server that requires a client certificate answers a client without one with a
    // generic handshake_failure alert; it was reported as a handshake error instead of verification.
    Test("TLS 1.2 missing client certificate is a verification error") { _ in
        try await TLSBehaviour.missingClientCertificate(version: .tls1_2)
    }
}
