import Assay

/// `NetDatagramSocket`, JSec's plain UDP socket: the stream contract adapted to datagrams.
package let datagramSuite = Suite(
    "datagram", category: "unit", description: "NetDatagramSocket: bind, connect, send and receive datagrams, timeouts, cancellation, close, bounds",
    timeout: 60
) {
    Test("round trip") { _ in try await DatagramSocketCases.roundTrip() }
    Test("port 0 and a port in use") { _ in try await DatagramSocketCases.portZero() }
    Test("a failed bind keeps no descriptor") { _ in try await DatagramSocketCases.failedBindKeepsNoDescriptor() }
    Test("bad port and bad host") { _ in try await DatagramSocketCases.badPortAndHost() }
    Test("receive timeout") { _ in try await DatagramSocketCases.receiveTimeout() }
    Test("cancelled receive loses nothing") { _ in try await DatagramSocketCases.cancelledReceive() }
    Test("close while a receive waits") { _ in try await DatagramSocketCases.closeWhileReceiving() }
    Test("concurrent receive") { _ in try await DatagramSocketCases.concurrentReceive() }
    Test("connected socket receives only its peer") { _ in try await DatagramSocketCases.connectedFiltersSenders() }
    Test("refused port") { _ in try await DatagramSocketCases.refusedPort() }
    Test("receive queue bound") { _ in try await DatagramSocketCases.queueBound() }
    Test("deinit closes") { _ in try await DatagramSocketCases.deinitCloses() }
}
