import Foundation

/// Carries the coordination protocol's JSON lines between a remote participant and its
/// coordinator: the authenticated link on one side, the local Unix connection (the coordinator's socket, or
/// the participant's in-process worker) on the other. Only the transport changes: the lines go
/// through byte for byte.
///
/// Liveness: each side sends an empty line (a heartbeat, which line readers skip) after
/// `heartbeat` seconds without traffic, but only between lines, never inside one; a link that
/// brings no byte for `silence` seconds counts as gone. Memory: one read of at most 64 KiB at a time.
struct RemoteRelay: Sendable {
    enum End: Sendable, Equatable {
        /// The other side closed the link (or it broke): the reason.
        case closed(String)
        /// The local side closed its connection.
        case localClosed
        /// No byte from the other side for this many seconds.
        case silent(Double)
    }

    let remote: any RemoteStream
    let local: any RemoteStream
    var heartbeat: Double = 1
    var silence: Double = 10

    /// Pumps both ways until one direction ends; then closes both streams.
    func run() async -> End {
        let end = await withTaskGroup(of: End.self) { group in
            group.addTask { await inbound() }
            group.addTask { await outbound() }
            let first = await group.next()!
            await remote.close()
            await local.close()
            group.cancelAll()
            for await _ in group {}
            return first
        }
        return end
    }

    /// The other side → local, with the silence watchdog. Heartbeats (empty lines) stop here:
    /// bytes left unread in the local socket when the worker closes it would reset the
    /// connection and could take its last line (done/failed) with them.
    private func inbound() async -> End {
        var atLineStart = true
        while true {
            do {
                guard let bytes = try await remote.read(max: 65_536, timeout: .seconds(silence)) else {
                    return .closed("the connection was closed")
                }
                var lines: [UInt8] = []
                lines.reserveCapacity(bytes.count)
                for b in bytes {
                    if b == 0x0A && atLineStart { continue }
                    lines.append(b)
                    atLineStart = b == 0x0A
                }
                if !lines.isEmpty { try await local.write(lines) }
            } catch let e as RemoteLinkError where e.kind == .timeout {
                return .silent(silence)
            } catch {
                return .closed("\(error)")
            }
        }
    }

    /// Local → the other side, with heartbeats at line boundaries.
    private func outbound() async -> End {
        var atLineStart = true
        while true {
            do {
                guard let bytes = try await local.read(max: 65_536, timeout: .seconds(heartbeat)) else { return .localClosed }
                try await remote.write(bytes)
                atLineStart = bytes.last == 0x0A
            } catch let e as RemoteLinkError where e.kind == .timeout {
                if atLineStart {
                    do { try await remote.write([0x0A]) } catch { return .closed("\(error)") }
                }
            } catch {
                return .closed("\(error)")
            }
        }
    }
}

/// One JSON line on a stream, bounded: at most `limit` bytes before the newline, within `timeout`.
enum RemoteLine {
    static func read(_ stream: any RemoteStream, limit: Int, timeout: Duration) async throws -> [UInt8] {
        var line: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw RemoteLinkError(.timeout, "no complete line within \(timeout)") }
            // One byte at a time would be slow; a peer sends nothing after its line until answered.
            guard let bytes = try await stream.read(max: 4096, timeout: left) else {
                throw RemoteLinkError(.closed, "the connection closed before a complete line")
            }
            if let nl = bytes.firstIndex(of: 0x0A) {
                line += bytes[..<nl]
                guard line.count <= limit else { break }
                return line
            }
            line += bytes
            if line.count > limit { break }
        }
        throw RemoteLinkError(.protocol, "a line longer than \(limit) bytes")
    }

    static func write<T: Encodable>(_ value: T, to stream: any RemoteStream) async throws {
        var data = Array(try JSONEncoder().encode(value))
        data.append(0x0A)
        try await stream.write(data)
    }
}

/// The first line a remote participant sends after the handshake.
struct RemoteJoin: Codable, Sendable {
    var token: String
}

/// The coordinator's answer: the participant's request, or why it was refused.
struct RemoteAdmission: Codable, Sendable {
    var request: ParticipantRequest?
    var refused: String?
}
