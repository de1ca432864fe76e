import Foundation
import JSec

/// The stream contract of docs/architecture.md, one body per rule, run over every ``Transport``.
package enum StreamContract {
    /// Sizes around the TLS record limit (16384) plus empty and 1 MiB.
    package static let roundTripSizes = [0, 1, 16_383, 16_384, 16_385, 1 << 20]

    /// `size` bytes client→server and back server→client, unchanged.
    package static func roundTrip(_ transport: Transport, size: Int) async throws {
        try await withPair(transport) { pair in
            let toServer = pattern(size, seed: 1)
            async let sent: Void = pair.client.write(toServer)
            let received = try await pair.server.chunk(size, timeout: .seconds(30))
            try await sent
            try checkEqual(received.count, size, "bytes received by the server")
            try check(received == toServer, "server received different bytes than were sent")
            let toClient = pattern(size, seed: 2)
            async let back: Void = pair.server.write(toClient)
            let echoed = try await pair.client.chunk(size, timeout: .seconds(30))
            try await back
            try check(echoed == toClient, "client received different bytes than were sent (\(echoed.count) of \(size))")
            if pair.client.tls != nil { try checkEqual(pair.server.tls != nil, true, "both sides are TLS") }
        }
    }

    /// `read(max:)` returns 1…max bytes, never an empty buffer, and nil only at end of stream.
    package static func readNeverEmpty(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            let data = pattern(200_000, seed: 3)
            let writer = Task {
                try await pair.client.write(data); try await pair.client.shutdown()
            }
            var got: [UInt8] = []
            var maxes = [1, 7, 100, 4096, 65_536]
            while let part = try await pair.server.read(max: maxes[0], timeout: .seconds(30)) {
                try check(!part.isEmpty, "read(max: \(maxes[0])) returned an empty buffer")
                try check(part.count <= maxes[0], "read(max: \(maxes[0])) returned \(part.count) bytes")
                got += part
                maxes.append(maxes.removeFirst())
            }
            try await writer.value
            try check(got == data, "bytes differ after reading in pieces (\(got.count) of \(data.count))")
            try await checkThrowsJSec(.usage, "read(max: 0)") { _ = try await pair.server.read(max: 0) }
        }
    }

    /// The zero-copy calls keep the same contract: `write(ByteBuffer)`, `chunkBuffer(n)` and
    /// `readBuffer(max:)` (1…max bytes, never empty, nil at end of stream), interleaved with the
    /// array calls on one stream, lose and duplicate nothing.
    package static func zeroCopyCalls(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            let data = pattern(100_000, seed: 9)
            let writer = Task {
                try await pair.client.write(ByteBuffer(bytes: data[..<40_000]))
                try await pair.client.write(data[40_000...])
                try await pair.client.shutdown()
            }
            var got = Array(try await pair.server.chunkBuffer(30_000, timeout: .seconds(30)).readableBytesView)
            try checkEqual(got.count, 30_000, "chunkBuffer(30000)")
            got += try await pair.server.chunk(10_000, timeout: .seconds(30))
            while let part = try await pair.server.readBuffer(max: 7_000, timeout: .seconds(30)) {
                try check(part.readableBytes > 0 && part.readableBytes <= 7_000, "readBuffer(max: 7000) returned \(part.readableBytes) bytes")
                got += part.readableBytesView
            }
            try await writer.value
            try check(got == data, "bytes differ (\(got.count) of \(data.count))")
            try checkEqual(try await pair.server.chunkBuffer(5, timeout: .seconds(10)).readableBytes, 0, "chunkBuffer after end of stream")
            try await checkThrowsJSec(.usage, "readBuffer(max: 0)") { _ = try await pair.server.readBuffer(max: 0) }
        }
    }

    /// `chunk(n)` at end of stream returns what arrived (fewer bytes), then an empty array; read returns nil.
    package static func chunkAtEndOfStream(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            try await pair.client.write([1, 2, 3, 4, 5])
            try await pair.client.shutdown()
            let first = try await pair.server.chunk(10, timeout: .seconds(10))
            try checkEqual(first, [1, 2, 3, 4, 5], "chunk(10) after 5 bytes and end of stream")
            let second = try await pair.server.chunk(10, timeout: .seconds(10))
            try checkEqual(second, [], "chunk after end of stream")
            let r = try await pair.server.read(max: 10, timeout: .seconds(10))
            try check(r == nil, "read after end of stream returned \(String(describing: r))")
        }
    }

    /// After the client shuts down its write side, the server sees end of stream but can still
    /// write, and the client can still read.
    package static func halfClose(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            try await pair.client.write("request")
            try await pair.client.shutdown()
            try await pair.client.shutdown()  // harmless twice
            let request = try await pair.server.readAll(timeout: .seconds(10))
            try checkEqual(String(decoding: request, as: UTF8.self), "request", "request before end of stream")
            let reply = pattern(50_000, seed: 4)
            try await pair.server.write(reply)
            try await pair.server.shutdown()
            let got = try await pair.client.readAll(timeout: .seconds(10))
            try check(got == reply, "reply after half-close differs (\(got.count) of \(reply.count) bytes)")
            try await checkThrowsJSec(.closed, "write after shutdown") { try await pair.client.write("more") }
            if let tls = pair.client.tls {
                try checkEqual(tls.peerClosure, .closeNotify, "the server ended with close_notify")
            }
        }
    }

    /// A timed-out read throws `.timeout` and the stream keeps working, losing nothing.
    package static func timeoutLeavesStreamUsable(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            try await checkThrowsJSec(.timeout, "read with nothing to read") {
                _ = try await pair.server.read(max: 100, timeout: .milliseconds(100))
            }
            try await checkThrowsJSec(.timeout, "chunk with too little to read") {
                try await pair.client.write("abc")
                _ = try await pair.server.chunk(6, timeout: .milliseconds(100))
            }
            try await pair.client.write("defghi")
            let got = try await pair.server.chunk(9, timeout: .seconds(10))
            try checkEqual(String(decoding: got, as: UTF8.self), "abcdefghi", "bytes after timeouts")
        }
    }

    /// `close()` is idempotent, ends a pending read with `.closed`, and later calls fail with `.closed`.
    package static func closeEndsPendingRead(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            let reader = Task { try await pair.server.read(max: 10, timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(100))
            await pair.server.close()
            await pair.server.close()
            do {
                let r = try await reader.value
                throw CheckFailure(message: "pending read returned \(String(describing: r)) after close", file: #fileID, line: #line)
            } catch let e as JSecError {
                try checkEqual(e.category, .closed, "pending read after close")
            }
            try await checkThrowsJSec(.closed, "read after close") { _ = try await pair.server.read(max: 1) }
            try await checkThrowsJSec(.closed, "write after close") { try await pair.server.write("x") }
            // The peer sees end of stream.
            let r = try await pair.client.read(max: 10, timeout: .seconds(10))
            try check(r == nil, "peer read after close returned \(String(describing: r))")
        }
    }

    /// Two concurrent reads on one stream: the second is a usage error; a concurrent read and write both work.
    package static func concurrentReadIsUsageError(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            let first = Task { try await pair.server.read(max: 10, timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(100))
            try await checkThrowsJSec(.usage, "second concurrent read") { _ = try await pair.server.read(max: 10) }
            try await pair.server.write("pong")  // a write while a read is pending is fine
            try await pair.client.write("ping")
            try checkEqual(try await first.value.map { String(decoding: $0, as: UTF8.self) }, "ping", "first read")
            try checkEqual(String(decoding: try await pair.client.chunk(4), as: UTF8.self), "pong", "reply")
        }
    }

    /// Addresses are reported on both sides and match each other.
    package static func addresses(_ transport: Transport) async throws {
        try await withPair(transport) { pair in
            try check(pair.client.remoteAddress != nil && pair.server.localAddress != nil, "addresses are known")
            if case .ip = pair.client.localAddress! {
                try checkEqual(pair.client.localAddress, pair.server.remoteAddress, "client local = server remote")
                try checkEqual(pair.client.remoteAddress, pair.server.localAddress, "client remote = server local")
            }
        }
    }
}
