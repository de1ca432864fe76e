import Foundation

/// `--api direct` (server and echo, TCP and TLS): the echo server and client as Swift tasks over a data path
/// with no NIO in it — an event loop of its own (`DirectLoop`: one thread, epoll, a `TaskExecutor` that runs the
/// tasks' jobs on that thread) and non-blocking sockets that the tasks read and write themselves, on TLS
/// through OpenSSL's socket BIO (`SSL_set_fd`) with the C peer's settings, as the C peer's epoll mode does. It is
/// not JSec: tools/compare-peers runs it as the stack `jsec-direct`, the measurement of what a stream data path
/// of JSec's own would reach with async tasks kept, against NIO's channel (`jsec-handlers`) and JSec's bridge on
/// it (`jsec`) — docs/performance.md, "A data path of our own".
enum PeerDirect {
    /// Echoes every connection until killed; prints `{"listening":PORT}` first.
    static func serve(host: String, port: Int, tls: DirectTLS?) async throws {
        let loop = DirectLoop()
        let listener = try DirectSocket.listen(host: host, port: port)
        struct Listening: Encodable { let listening: Int }
        try emitJSON(Listening(listening: listener.port))
        await withTaskExecutorPreference(loop) {
            await withDiscardingTaskGroup { tasks in
                loop.register(listener.fd)
                while true {
                    let fd = accept(listener.fd, nil, nil)
                    if fd < 0 {
                        guard errno == EAGAIN || errno == EINTR || errno == ECONNABORTED else {
                            // The measurement is void (descriptors exhausted…): say so and fail the run.
                            FileHandle.standardError.write(Data("accept: \(String(cString: strerror(errno)))\n".utf8))
                            exit(1)
                        }
                        await loop.wait(listener.fd)
                        continue
                    }
                    DirectSocket.prepare(fd)
                    loop.register(fd)
                    do {
                        let connection = try DirectConnection(fd: fd, tls: tls, loop: loop)
                        tasks.addTask { await echoBack(connection) }
                    } catch {
                        FileHandle.standardError.write(Data("\(error)\n".utf8))
                    }
                }
            }
        }
    }

    /// Writes back what it reads until the client closes.
    private static func echoBack(_ connection: DirectConnection) async {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        do { try await connection.handshake(server: true) } catch { return }
        while let n = await connection.read(into: buffer), n > 0 {
            guard await connection.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) else { return }
        }
    }

    /// Opens `clients` connections, then runs the lock-step echo on each until `duration` ends.
    static func echo(
        host: String, port: Int, tls: DirectTLS?, clients: Int, chunk: Int, duration: Double
    ) async throws -> PeerEcho.Result {
        let loop = DirectLoop()
        return await withTaskExecutorPreference(loop) {
            var connections: [DirectConnection] = []
            var errors = 0
            for _ in 0..<clients {
                do {
                    guard let fd = await DirectSocket.connect(host: host, port: port, loop: loop) else {
                        errors += 1
                        continue
                    }
                    let connection = try DirectConnection(fd: fd, tls: tls, loop: loop)
                    try await connection.handshake(server: false)
                    connections.append(connection)
                } catch {
                    FileHandle.standardError.write(Data("\(error)\n".utf8))
                    errors += 1
                }
            }
            let (results, seconds) = await PeerEcho.measure(connections, duration: duration) { connection, deadline in
                let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
                let back = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
                payload.initializeMemory(as: UInt8.self, repeating: 0x5A)
                defer {
                    payload.deallocate()
                    back.deallocate()
                }
                var bytes = 0, iterations = 0
                while ContinuousClock.now < deadline {
                    guard await connection.writeAll(UnsafeRawBufferPointer(payload)) else {
                        return PeerEcho.Tally(bytes: bytes, iterations: iterations, failed: true)
                    }
                    bytes += chunk
                    var got = 0
                    while got < chunk {
                        guard let n = await connection.read(into: UnsafeMutableRawBufferPointer(rebasing: back[got...])), n > 0 else {
                            return PeerEcho.Tally(bytes: bytes + got, iterations: iterations, failed: true)
                        }
                        got += n
                    }
                    bytes += got
                    iterations += 1
                }
                return PeerEcho.Tally(bytes: bytes, iterations: iterations, failed: false)
            }
            return PeerEcho.Result(
                transport: tls == nil ? "tcp" : "tls1.3", clients: clients, chunk: chunk, duration: duration, seconds: seconds,
                bytes: results.reduce(0) { $0 + $1.bytes }, iterations: results.reduce(0) { $0 + $1.iterations },
                connected: connections.count, errors: errors + results.filter(\.failed).count,
                perClientBytes: results.map(\.bytes), cipher: connections.first?.cipher)
        }
    }
}
