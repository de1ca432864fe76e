import Foundation
import JSec
#if canImport(Glibc)
    import Glibc
#endif

/// Bodies of regression tests that need more than a few lines.
enum RegressionCases {
    /// The race is between the reset reaching NIO (which then closes the channel) and our
    /// shutdown(SHUT_WR) reaching the kernel first (ENOTCONN): repeated to hit both orders.
    static func shutdownAfterPeerReset() async throws {
        let listener = try await NetListener.listen(host: "127.0.0.1", port: 0)
        defer { Task { await listener.close() } }
        for _ in 0..<20 {
            // A raw client that closes with SO_LINGER 0: the kernel sends RST instead of FIN.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try check(fd >= 0, "socket() failed")
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(listener.port!).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try check(rc == 0, "connect() failed: errno \(errno)")
            let server = try await listener.accept(timeout: .seconds(10))
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(fd)
            try await server.shutdown()  // must not throw: there is no write side left to close
            try await server.shutdown()
            await server.close()
        }
    }

    static func writeAfterRefusalReportsIt() async throws {
        let pki = TestPKI.shared
        var serverConfig = pki.serverConfiguration()
        serverConfig.clientAuthentication = .required
        serverConfig.minimumVersion = .tls1_3
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(serverConfig))
        defer { Task { await listener.close() } }
        let client = try await TLS.connect(
            host: "127.0.0.1", port: listener.port!, serverName: "localhost",
            context: TLSContext(pki.clientConfiguration()), timeout: .seconds(10))
        // TLS 1.3: the handshake completes on the client; the refusal arrives as an alert after it.
        try await checkThrowsJSec(.verification, "read after the refusal") { _ = try await client.read(max: 1, timeout: .seconds(10)) }
        try await checkThrowsJSec(.verification, "write after the refusal") { try await client.write("too late") }
        await client.close()
    }

    static func zeroCopyReadsWhileBytesArrive(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            let data = pattern(2_000_000, seed: 21)
            let writer = Task {
                var offset = 0
                while offset < data.count {
                    let n = min(7_919, data.count - offset)
                    try await pair.client.write(ByteBuffer(bytes: data[offset..<offset + n]))
                    offset += n
                }
                try await pair.client.shutdown()
            }
            var got: [UInt8] = []
            got.reserveCapacity(data.count)
            // Small reads leave a remainder in the bridge's buffer while new records arrive.
            while let part = try await pair.server.readBuffer(max: 1_000, timeout: .seconds(30)) {
                got += part.readableBytesView
            }
            try await writer.value
            try check(got == data, "bytes differ (\(got.count) of \(data.count))")
        }
    }
}
