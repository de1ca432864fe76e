internal import CJSecOpenSSL
import NIOCore

/// The network side of the TLS engine: a custom OpenSSL `BIO` that reads ciphertext
/// straight out of the `ByteBuffer`s NIO received and writes ciphertext straight into
/// the `ByteBuffer` that goes to the socket (docs/architecture.md, "Data paths").
///
/// Compared with a `BIO_s_mem` pair this saves a copy per record in each direction,
/// and the `BUF_MEM` growth (`BUF_MEM_grow_clean` reallocates, copies and cleanses)
/// that a memory BIO does when a 64 KiB write's records pile up. Profiles of the
/// perf9 TLS echo showed that memory traffic at about a sixth of all CPU time.
///
/// Received buffers are queued, not copied: OpenSSL reads from the front one.
/// Written ciphertext accumulates in ``outbound`` until the engine's owner takes it. With a
/// ``segment`` size (TLS streams: 64 KiB), a buffer that is full moves to ``sealed`` and the rest goes
/// to a new one: `ByteBuffer` capacities are powers of two, so the 65,624 bytes of ciphertext of a 64 KiB
/// write would otherwise take a 128 KiB buffer, held for as long as the peer does not read
/// (docs/performance.md, "Clients that never read").
///
/// Ownership: the `SSL` owns the `BIO` (one reference for its rbio, one for its wbio)
/// and frees it in `SSL_free`; the engine owns this object and frees the `SSL` first
/// (in its deinit), so the BIO never outlives the buffers it points at.
final class ByteBufferBIO {
    /// Ciphertext received and not yet read by OpenSSL, oldest first.
    private var inbound = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    private var inboundBytes = 0
    /// Ciphertext OpenSSL has written, waiting to be sent: full buffers (oldest first), then the one being filled.
    private var sealed = CircularBuffer<ByteBuffer>(initialCapacity: 2)
    private var sealedBytes = 0
    private var outbound: ByteBuffer?
    /// Ciphertext the current write is still expected to produce (``reserveOutbound(_:)``).
    private var expected = 0
    /// The largest outbound buffer (a power of two), or nil for one buffer of any size (DTLS: a take
    /// must hold whole records, and its flights are small).
    private let segment: Int?
    private let allocator: ByteBufferAllocator

    /// The `BIO *` (owned by the `SSL` once ``attach(to:)`` ran).
    let bio: OpaquePointer

    init(allocator: ByteBufferAllocator = ByteBufferAllocator(), segment: Int? = nil) {
        precondition(segment.map { $0 > 0 && $0 & ($0 - 1) == 0 } ?? true, "a segment is a power of two")
        self.allocator = allocator
        self.segment = segment
        guard let bio = BIO_new(ByteBufferBIO.method) else { outOfMemory("BIO_new(jsec ByteBuffer)") }
        self.bio = bio
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
    }

    /// Makes the BIO both the read and write side of `ssl`, which owns it from here on.
    func attach(to ssl: OpaquePointer) {
        // With rbio == wbio, SSL_set_bio takes over exactly one reference (it adds the second
        // itself); an extra BIO_up_ref here leaked one BIO per connection (valgrind, found by the DTLS work).
        SSL_set_bio(ssl, bio, bio)
    }

    // MARK: - Engine side

    /// Queues received ciphertext (no copy).
    func receive(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        inboundBytes += buffer.readableBytes
        inbound.append(buffer)
    }

    var receivedPending: Int { inboundBytes }

    /// The largest TLS record on the wire: 2^14 bytes of plaintext plus 2,048 of expansion (TLS 1.2's limit;
    /// TLS 1.3's is 256) and the 5-byte header.
    static let largestRecord = 5 + 16_384 + 2_048

    /// Drops every received byte OpenSSL has not read.
    func discardInbound() {
        inbound.removeAll()
        inboundBytes = 0
    }
    var outboundPending: Int { sealedBytes + (outbound?.readableBytes ?? 0) }

    /// Takes the oldest ciphertext written so far (nil when there is none): all of it, or with a
    /// ``segment`` size one buffer of at most that size (take until nil).
    func takeOutbound() -> ByteBuffer? {
        if let first = sealed.popFirst() {
            sealedBytes -= first.readableBytes
            return first
        }
        guard let out = outbound, out.readableBytes > 0 else { return nil }
        outbound = nil
        return out
    }

    // MARK: - OpenSSL side

    fileprivate func read(into dest: UnsafeMutableRawPointer, count: Int) -> Int {
        var copied = 0
        while copied < count, var front = inbound.first {
            let n = min(count - copied, front.readableBytes)
            front.withUnsafeReadableBytes { src in
                (dest + copied).copyMemory(from: src.baseAddress!, byteCount: n)
            }
            front.moveReaderIndex(forwardBy: n)
            copied += n
            if front.readableBytes == 0 {
                inbound.removeFirst()  // releases NIO's receive buffer
            } else {
                inbound[inbound.startIndex] = front
            }
        }
        inboundBytes -= copied
        return copied
    }

    /// Makes room for `count` more bytes of ciphertext, so a large write's records land in
    /// one buffer (or, with a ``segment`` size, in full buffers) without reallocating and copying
    /// it as it grows.
    func reserveOutbound(_ count: Int) {
        expected = count
        let limit = segment ?? Int.max
        if outbound == nil {
            outbound = allocator.buffer(capacity: min(count, limit))
        } else if outbound!.writableBytes < count, outbound!.capacity < limit {
            outbound!.reserveCapacity(minimumWritableBytes: min(count, limit - outbound!.readableBytes))
        }
    }

    fileprivate func write(_ src: UnsafeRawPointer, count: Int) {
        // Handshake flights and alerts come without a reservation (``reserveOutbound(_:)``
        // sizes application writes): room for one full record.
        let wanted = max(count, expected, 16_384 + 256)
        expected = max(0, expected - count)
        let limit = segment ?? Int.max
        var offset = 0
        while offset < count {
            let rest = count - offset
            if outbound == nil {
                outbound = allocator.buffer(capacity: min(max(rest, wanted - offset), limit))
            } else if outbound!.writableBytes < rest, outbound!.capacity < limit {
                outbound!.reserveCapacity(minimumWritableBytes: min(rest, limit - outbound!.readableBytes))
            }
            let n = min(rest, outbound!.writableBytes)
            outbound!.writeBytes(UnsafeRawBufferPointer(start: src + offset, count: n))
            offset += n
            if outbound!.writableBytes == 0, outbound!.capacity >= limit {
                // Full at the segment size (never without one: a take then holds whole records).
                sealedBytes += outbound!.readableBytes
                sealed.append(outbound!)
                outbound = nil
            }
        }
    }

    // MARK: - The BIO_METHOD

    /// Created once per process; never freed (OpenSSL keeps a pointer to it in every BIO).
    /// nonisolated(unsafe): OpaquePointer is not Sendable, but this BIO_METHOD is fully set up
    /// inside the (thread-safe, run-once) static initializer and only read afterwards.
    nonisolated(unsafe) static let method: OpaquePointer = {
        let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
        guard let m = BIO_meth_new(type, "jsec ByteBuffer") else { outOfMemory("BIO_meth_new") }
        BIO_meth_set_write_ex(m, bioWrite)
        BIO_meth_set_read_ex(m, bioRead)
        BIO_meth_set_ctrl(m, bioCtrl)
        BIO_meth_set_destroy(m, bioDestroy)
        return m
    }()
}

private func owner(_ bio: OpaquePointer?) -> ByteBufferBIO? {
    guard let bio, let raw = BIO_get_data(bio) else { return nil }
    return Unmanaged<ByteBufferBIO>.fromOpaque(raw).takeUnretainedValue()
}

private let retryFlags = Int32(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)

private let bioRead: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) -> Int32 = { bio, data, len, readBytes in
    BIO_clear_flags(bio, retryFlags)
    guard let this = owner(bio), let data, let readBytes else { return 0 }
    let n = this.read(into: data, count: len)
    readBytes.pointee = n
    if n == 0 && len > 0 {
        // Nothing received yet: "try again", never end of file. The transport's end is
        // reported to the engine separately (TLSHandler sees the FIN).
        BIO_set_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY))
        return 0
    }
    return 1
}

private let bioWrite: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<Int>?) -> Int32 = { bio, data, len, written in
    BIO_clear_flags(bio, retryFlags)
    guard let this = owner(bio), let data, let written else { return 0 }
    this.write(data, count: len)
    written.pointee = len
    return 1
}

private let bioCtrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int = { bio, cmd, _, _ in
    switch cmd {
    case BIO_CTRL_FLUSH: return 1
    case BIO_CTRL_PENDING: return owner(bio)?.receivedPending ?? 0
    case BIO_CTRL_WPENDING: return owner(bio)?.outboundPending ?? 0
    default: return 0
    }
}

private let bioDestroy: @convention(c) (OpaquePointer?) -> Int32 = { bio in
    guard let bio else { return 0 }
    BIO_set_data(bio, nil)
    BIO_set_init(bio, 0)
    return 1
}
