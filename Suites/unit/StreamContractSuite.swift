import Assay
import JSec

/// The stream contract (docs/architecture.md), one body per rule, over every transport.
package let streamContractSuite = Suite(
    "stream-contract", category: "unit",
    description: "read/chunk/write/shutdown/close semantics over TCP, Unix, TLS and upgraded streams",
    timeout: 60
) {
    MatrixTest(
        "round trip",
        matrix: .inline(["transport": allTransports, "size": StreamContract.roundTripSizes.map { .int($0) }]),
        ensured: [["transport": "tls-tcp", "size": 16_385], ["transport": "tcp", "size": 1]]
    ) { ctx in
        try await StreamContract.roundTrip(ctx.transport(), size: ctx.int("size"))
    }
    MatrixGroup(
        "contract", matrix: .inline(["transport": allTransports]),
        ensured: [["transport": "tls-tcp"], ["transport": "upgraded"]]
    ) {
        Test("read never returns empty") { ctx in try await StreamContract.readNeverEmpty(ctx.transport()) }
        Test("chunk at end of stream") { ctx in try await StreamContract.chunkAtEndOfStream(ctx.transport()) }
        Test("half close") { ctx in try await StreamContract.halfClose(ctx.transport()) }
        Test("timeout leaves the stream usable") { ctx in try await StreamContract.timeoutLeavesStreamUsable(ctx.transport()) }
        Test("close ends a pending read") { ctx in try await StreamContract.closeEndsPendingRead(ctx.transport()) }
        Test("concurrent reads are a usage error") { ctx in try await StreamContract.concurrentReadIsUsageError(ctx.transport()) }
        Test("addresses") { ctx in try await StreamContract.addresses(ctx.transport()) }
        Test("zero-copy calls") { ctx in try await StreamContract.zeroCopyCalls(ctx.transport()) }
    }
}
