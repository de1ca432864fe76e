import CJSecOpenSSL

/// An OpenSSL memory BIO (`BIO_s_mem`) with one owner that frees it.
///
/// Bytes written are buffered until read. Used for PEM/DER conversion here and
/// by the TLS engine in JSec for its network-side buffers.
public final class MemoryBIO {
    /// The underlying `BIO *`. Owned by this object unless ``releaseOwnership()`` was called.
    public private(set) var bio: OpaquePointer
    private var owned = true

    /// A new, empty memory BIO. Reading from it when empty reports "retry" (not end of file).
    public init() {
        guard let b = BIO_new(BIO_s_mem()) else { fatalError("BIO_new(BIO_s_mem) failed: out of memory") }
        bio = b
        _ = jsec_BIO_set_mem_eof_return(b, -1)
    }

    /// A memory BIO holding a copy of `bytes`.
    public convenience init(_ bytes: some Collection<UInt8>) {
        self.init()
        write(bytes)
    }

    deinit { if owned { BIO_free(bio) } }

    /// Hands the `BIO *` to OpenSSL (e.g. `SSL_set_bio`), which will free it.
    public func releaseOwnership() -> OpaquePointer { owned = false; return bio }

    /// Appends bytes to the BIO.
    public func write(_ bytes: some Collection<UInt8>) {
        if bytes.isEmpty { return }
        if bytes.withContiguousStorageIfAvailable({ write(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { write($0) }
        }
    }

    /// Appends raw bytes to the BIO.
    public func write(_ raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        var offset = 0
        while offset < raw.count {
            let n = BIO_write(bio, base + offset, Int32(clamping: raw.count - offset))
            precondition(n > 0, "BIO_write to a memory BIO failed")
            offset += Int(n)
        }
    }

    /// Number of bytes buffered and not yet read.
    public var pending: Int { Int(jsec_BIO_pending(bio)) }

    /// Reads up to `max` bytes; an empty array when nothing is buffered.
    public func read(max: Int) -> [UInt8] {
        let n = Swift.min(max, pending)
        if n <= 0 { return [] }
        return [UInt8](unsafeUninitializedCapacity: n) { buf, count in
            let r = BIO_read(bio, buf.baseAddress, Int32(n))
            count = Int(Swift.max(0, r))
        }
    }

    /// Reads into raw memory; returns the number of bytes read (0 when empty).
    public func read(into raw: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = raw.baseAddress, raw.count > 0 else { return 0 }
        let r = BIO_read(bio, base, Int32(clamping: raw.count))
        return Int(Swift.max(0, r))
    }

    /// Reads everything buffered.
    public func readAll() -> [UInt8] { read(max: pending) }

    /// Discards everything buffered.
    public func reset() { _ = jsec_BIO_reset(bio) }

    /// Everything buffered, without consuming it (jsec's `bio/to-string`).
    public func peekAll() -> [UInt8] {
        var data: UnsafeMutablePointer<CChar>?
        let n = jsec_BIO_get_mem_data(bio, &data)
        guard n > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) }
    }

    /// Appends UTF-8 text; returns the number of bytes written.
    @discardableResult
    public func write(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        write(bytes)
        return bytes.count
    }

    /// Reads up to `max` bytes; nil when nothing is buffered (jsec's `bio/read`).
    public func readIfAvailable(max: Int) -> [UInt8]? {
        let r = read(max: max)
        return r.isEmpty ? nil : r
    }
}
