import CJSecOpenSSL
import CJSecPeerSystem
import Foundation
import Synchronization

/// `--api direct` (server and echo, TCP and TLS): the echo server and client as Swift tasks over a data path
/// with no NIO in it — an event loop of this file's own (one thread, epoll, a `TaskExecutor` that runs the
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

/// One thread: runs the jobs of the tasks that prefer it, and between them waits in `epoll_wait` for the sockets
/// those tasks wait on. Sockets are registered once, edge-triggered for reading; a task always tries its system
/// call first and waits only after `EAGAIN`, so an edge that comes while nobody waits is not needed. Writability
/// is asked for only while a write waits (as the C peer's epoll mode does), so that a socket's send buffer
/// draining does not wake the loop for nothing.
final class DirectLoop: TaskExecutor, @unchecked Sendable {
    private let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
    private let wakefd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    private var runnable: [UnownedJob] = []  // the loop thread's alone, as are `spare` and `waiters`
    private var spare: [UnownedJob] = []
    private var waiters: [Int32: UnsafeContinuation<Void, Never>] = [:]
    private let fromOtherThreads = Mutex<[UnownedJob]>([])
    private let loopThread = Atomic<UInt>(0)

    init() {
        precondition(epfd >= 0 && wakefd >= 0, "epoll_create1/eventfd: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakefd
        epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &event)
        let thread = Thread { [self] in run() }
        thread.name = "direct-loop"
        thread.start()
        while loopThread.load(ordering: .acquiring) == 0 { sched_yield() }
    }

    private var onLoop: Bool { loopThread.load(ordering: .relaxed) == UInt(pthread_self()) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if onLoop {
            runnable.append(job)
            return
        }
        let wake = fromOtherThreads.withLock { queue in
            queue.append(job)
            return queue.count == 1
        }
        if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakefd, &one, 8)
        }
    }

    private func run() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        let executor = asUnownedTaskExecutor()
        while true {
            while !runnable.isEmpty {
                swap(&runnable, &spare)
                for job in spare { job.runSynchronously(on: executor) }
                spare.removeAll(keepingCapacity: true)
            }
            let n = epoll_wait(epfd, &events, Int32(events.count), -1)
            for i in 0..<max(0, Int(n)) {
                let fd = events[i].data.fd
                if fd == wakefd {
                    var count: UInt64 = 0
                    _ = Glibc.read(wakefd, &count, 8)
                    runnable += fromOtherThreads.withLock { queue in
                        let taken = queue
                        queue.removeAll()
                        return taken
                    }
                } else if let waiter = waiters.removeValue(forKey: fd) {
                    waiter.resume()
                }
            }
        }
    }

    func register(_ fd: Int32) {
        interest(fd, writable: false, operation: EPOLL_CTL_ADD)
    }

    private func interest(_ fd: Int32, writable: Bool, operation: Int32) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue | (writable ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        epoll_ctl(epfd, operation, fd, &event)
    }

    func unregister(_ fd: Int32) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
    }

    /// Waits for the next readiness edge of `fd` (with `writable`, writability too). Call it on the loop (a task
    /// that prefers this executor).
    func wait(_ fd: Int32, writable: Bool = false) async {
        precondition(onLoop, "DirectLoop.wait off its thread")
        if writable { interest(fd, writable: true, operation: EPOLL_CTL_MOD) }
        await withUnsafeContinuation { waiters[fd] = $0 }
        if writable { interest(fd, writable: false, operation: EPOLL_CTL_MOD) }
    }

    /// Bytes read into `buffer` (0: end of stream), nil on an error.
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) async -> Int? {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            guard errno == EAGAIN || errno == EINTR else { return nil }
            await wait(fd)
        }
    }

    /// Writes every byte of `bytes`; false on an error.
    func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) async -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                await wait(fd, writable: true)
            } else {
                return false
            }
        }
        return true
    }
}

/// One connection of `--api direct`: its socket, and on TLS an `SSL` reading and writing that socket itself
/// (OpenSSL's socket BIO: no copies between a framework's buffers and OpenSSL's). Used by one task at a time.
final class DirectConnection: @unchecked Sendable {
    let fd: Int32
    let loop: DirectLoop
    private let ssl: OpaquePointer?

    /// Takes `fd` (closed with the connection, or here when the TLS set-up fails).
    init(fd: Int32, tls: DirectTLS?, loop: DirectLoop) throws {
        self.fd = fd
        self.loop = loop
        guard let tls else {
            ssl = nil
            return
        }
        guard let ssl = SSL_new(tls.context) else {
            loop.unregister(fd)
            close(fd)
            throw DirectSocket.DirectError.openSSL("SSL_new")
        }
        self.ssl = ssl
        let named = tls.isServer || (jsec_SSL_set_tlsext_host_name(ssl, "localhost") == 1 && SSL_set1_host(ssl, "localhost") == 1)
        guard SSL_set_fd(ssl, fd) == 1, named else { throw DirectSocket.DirectError.openSSL("SSL_set_fd or the server name") }
    }

    deinit {
        if let ssl { SSL_free(ssl) }
        loop.unregister(fd)
        close(fd)
    }

    var cipher: String? { ssl.flatMap { SSL_get_current_cipher($0) }.flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } }

    /// Waits as OpenSSL asks after a call returned `result`; false when the call failed or the peer closed.
    private func waitForOpenSSL(_ result: Int32) async -> Bool {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: await loop.wait(fd)
        case SSL_ERROR_WANT_WRITE: await loop.wait(fd, writable: true)
        default:
            ERR_clear_error()
            return false
        }
        return true
    }

    /// The TLS handshake (nothing on TCP).
    func handshake(server: Bool) async throws {
        guard let ssl else { return }
        while true {
            let result = server ? SSL_accept(ssl) : SSL_connect(ssl)
            if result == 1 { return }
            let reason = ERR_peek_error()
            guard await waitForOpenSSL(result) else {
                var text = "the connection ended"
                if reason != 0 {
                    var chars = [CChar](repeating: 0, count: 256)
                    ERR_error_string_n(reason, &chars, chars.count)
                    text = String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
                throw DirectSocket.DirectError.openSSL("the handshake (\(text))")
            }
        }
    }

    /// Bytes read into `buffer` (0: end of stream), nil on an error.
    func read(into buffer: UnsafeMutableRawBufferPointer) async -> Int? {
        guard let ssl else { return await loop.read(fd, into: buffer) }
        while true {
            let n = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
            if n > 0 { return Int(n) }
            if SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN { return 0 }
            guard await waitForOpenSSL(n) else { return nil }
        }
    }

    /// Writes every byte of `bytes`; false on an error.
    func writeAll(_ bytes: UnsafeRawBufferPointer) async -> Bool {
        guard let ssl else { return await loop.writeAll(fd, bytes) }
        var offset = 0
        while offset < bytes.count {
            let n = SSL_write(ssl, bytes.baseAddress! + offset, Int32(bytes.count - offset))
            if n > 0 {
                offset += Int(n)
            } else {
                guard await waitForOpenSSL(n) else { return false }
            }
        }
        return true
    }
}

/// The C peer's `SSL_CTX` (tools/peers/c-openssl/peer.c, `context()`), in Swift: TLS 1.3 only,
/// TLS_AES_128_GCM_SHA256, X25519, partial writes; the server's certificate, or the client's trust root with
/// peer verification (the host name is set per connection).
final class DirectTLS: @unchecked Sendable {
    let context: OpaquePointer
    let isServer: Bool

    init(server: Bool, cert: String? = nil, key: String? = nil, ca: String? = nil) throws {
        guard let context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw DirectSocket.DirectError.openSSL("SSL_CTX_new")
        }
        self.context = context
        isServer = server
        let mode = Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        _ = jsec_SSL_CTX_set_mode(context, mode)  // returns the new mode bits, not a status
        guard jsec_SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) == 1,
            jsec_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1,
            SSL_CTX_set_ciphersuites(context, "TLS_AES_128_GCM_SHA256") == 1,
            jsec_SSL_CTX_set1_groups_list(context, "X25519") == 1
        else { throw DirectSocket.DirectError.openSSL("the pinned version, suite or group") }
        if server {
            guard SSL_CTX_use_certificate_chain_file(context, cert) == 1,
                SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1
            else { throw DirectSocket.DirectError.openSSL("the certificate or key") }
        } else {
            guard SSL_CTX_load_verify_locations(context, ca, nil) == 1 else { throw DirectSocket.DirectError.openSSL("the CA file") }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// The non-blocking IPv4 sockets of `--api direct`.
enum DirectSocket {
    struct Listener { let fd: Int32, port: Int }

    static func listen(host: String, port: Int) throws -> Listener {
        var address = try address(host, port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 4096) == 0 else { throw DirectError.system("bind/listen", errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Listener(fd: fd, port: Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A connected socket, or nil (the reason on standard error).
    static func connect(host: String, port: Int, loop: DirectLoop) async -> Int32? {
        do {
            var address = try address(host, port)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw DirectError.system("socket", errno) }
            prepare(fd)
            loop.register(fd)
            let started = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if started != 0 {
                guard errno == EINPROGRESS else { throw DirectError.system("connect", errno) }
                await loop.wait(fd, writable: true)
                var failure: Int32 = 0
                var length = socklen_t(4)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
                guard failure == 0 else { throw DirectError.system("connect", failure) }
            }
            return fd
        } catch {
            FileHandle.standardError.write(Data("connect: \(error)\n".utf8))
            return nil
        }
    }

    /// TCP_NODELAY, as every peer; non-blocking for an accepted socket.
    static func prepare(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    private static func address(_ host: String, _ port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw DirectError.notIPv4(host) }
        return address
    }

    enum DirectError: Error, CustomStringConvertible {
        case system(String, Int32), notIPv4(String), openSSL(String)
        var description: String {
            switch self {
            case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
            case .openSSL(let what): "OpenSSL: \(what) failed"
            case .notIPv4(let host): "--api direct takes an IPv4 address, not \(host)"
            }
        }
    }
}
