internal import CJSecOpenSSL

/// An OpenSSL memory BIO (`BIO_s_mem`) with one owner that frees it.
///
/// Bytes written are buffered until read. Used for PEM/DER conversion here and
/// by the TLS engine in JSec for its network-side buffers.
///
/// jsec's `jsec/bio` module is the throwing API: ``append(_:)-(Collection<UInt8>)`` (`bio/write`, returns the
/// byte count), ``take(max:)`` (`bio/read`, nil when empty), ``contents()`` (`bio/to-string`,
/// does not consume) and ``close()`` (idempotent). After ``close()`` those throw a
/// ``JSecError`` of category `closed`; the non-throwing methods see an empty BIO and
/// discard writes. Not thread-safe: one owner uses it at a time.
public final class MemoryBIO {
    /// The underlying `BIO *`, owned (and freed) by this object.
    package let bio: OpaquePointer
    /// Whether ``close()`` was called.
    public private(set) var isClosed = false

    /// A new, empty memory BIO. Reading from it when empty reports "retry" (not end of file).
    public init() {
        guard let b = BIO_new(BIO_s_mem()) else { outOfMemory("BIO_new(BIO_s_mem)") }
        bio = b
        _ = jsec_BIO_set_mem_eof_return(b, -1)
    }

    /// A memory BIO holding a copy of `bytes`.
    public convenience init(_ bytes: some Collection<UInt8>) {
        self.init()
        write(bytes)
    }

    deinit { BIO_free(bio) }

    /// Appends bytes to the BIO.
    public func write(_ bytes: some Collection<UInt8>) {
        if bytes.isEmpty { return }
        if bytes.withContiguousStorageIfAvailable({ write(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { write($0) }
        }
    }

    /// Appends raw bytes to the BIO.
    public func write(_ raw: UnsafeRawBufferPointer) {
        guard !isClosed, let base = raw.baseAddress, raw.count > 0 else { return }
        var offset = 0
        while offset < raw.count {
            let n = BIO_write(bio, base + offset, Int32(clamping: raw.count - offset))
            guard n > 0 else { outOfMemory("BIO_write to a memory BIO") }  // a memory BIO only fails to grow
            offset += Int(n)
        }
    }

    /// Number of bytes buffered and not yet read.
    public var pending: Int { isClosed ? 0 : Int(jsec_BIO_pending(bio)) }

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
        guard !isClosed, let base = raw.baseAddress, raw.count > 0 else { return 0 }
        let r = BIO_read(bio, base, Int32(clamping: raw.count))
        return Int(Swift.max(0, r))
    }

    /// Reads everything buffered.
    public func readAll() -> [UInt8] { read(max: pending) }

    /// Discards everything buffered.
    public func reset() { if !isClosed { _ = jsec_BIO_reset(bio) } }

    /// Everything buffered, without consuming it (jsec's `bio/to-string`).
    public func peekAll() -> [UInt8] {
        if isClosed { return [] }
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

    // MARK: - jsec's bio module (throwing)

    /// Appends `bytes`; returns how many were written (jsec's `bio/write`).
    @discardableResult
    public func append(_ bytes: some Collection<UInt8>) throws -> Int {
        try checkOpen("write")
        write(bytes)
        return bytes.count
    }

    /// Appends UTF-8 text; returns the number of bytes written.
    @discardableResult
    public func append(_ text: String) throws -> Int { try append(Array(text.utf8)) }

    /// Reads and removes up to `max` bytes (`max` ≥ 1); nil when nothing is buffered (jsec's `bio/read`).
    public func take(max: Int) throws -> [UInt8]? {
        try checkOpen("read")
        guard max > 0 else { throw JSecError(.configuration, "BIO read: the byte count must be positive, got \(max)", code: .jsec(.invalidArgument)) }
        return readIfAvailable(max: max)
    }

    /// Everything buffered, without consuming it (jsec's `bio/to-string`).
    public func contents() throws -> [UInt8] {
        try checkOpen("to-string")
        return peekAll()
    }

    /// Closes the BIO, discarding what is buffered. Idempotent.
    public func close() {
        guard !isClosed else { return }
        _ = jsec_BIO_reset(bio)
        isClosed = true
    }

    private func checkOpen(_ operation: String) throws {
        if isClosed { throw JSecError(.closed, "BIO \(operation): the BIO is closed", code: .jsec(.closed)) }
    }
}

/// Where OpenSSL reports an allocation failure in code that has no other way to fail: creating a memory BIO,
/// appending to one, DER-encoding a certificate, CRL, CSR, OCSP message or PKCS#12 that was parsed or signed
/// (OpenSSL keeps or re-creates its encoding; only `malloc` can fail). Swift itself traps when an allocation
/// fails, and so does this: every remaining trap in JSec and JSecCrypto goes through here, and none depends on
/// input, configuration or the providers OpenSSL loaded (those are `JSecError`s).
package func outOfMemory(_ what: String) -> Never {
    fatalError("out of memory: \(what)")
}
