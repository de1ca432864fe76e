import NIOCore

/// Cuts the engine's output back into datagrams.
///
/// The engine writes DTLS records into a memory BIO, which keeps bytes, not datagram boundaries.
/// DTLS records carry their own length (RFC 6347 §4.1: 13-byte header, length in bytes 11–12) and
/// a record never spans datagrams, so the stream of records is split at record boundaries and
/// consecutive records are packed into datagrams of at most `mtu` bytes (RFC 6347 §4.1.1 allows
/// several records per datagram; it saves datagrams — and losses — in a handshake flight).
/// OpenSSL already sizes every record to the MTU set on the SSL, so no record is cut.
enum DTLSRecordFramer {
    static let headerLength = 13

    /// The datagrams for `output` (the bytes drained from the engine), in order.
    static func datagrams(from output: ByteBuffer, mtu: Int) -> [ByteBuffer] {
        var rest = output
        var result: [ByteBuffer] = []
        var current: ByteBuffer?
        while rest.readableBytes > 0 {
            var recordLength = rest.readableBytes
            if rest.readableBytes >= headerLength,
                let hi = rest.getInteger(at: rest.readerIndex + 11, as: UInt8.self),
                let lo = rest.getInteger(at: rest.readerIndex + 12, as: UInt8.self)
            {
                recordLength = min(rest.readableBytes, headerLength + Int(hi) << 8 + Int(lo))
            }
            let record = rest.readSlice(length: recordLength)!
            if var c = current, c.readableBytes + record.readableBytes <= mtu {
                var r = record
                c.writeBuffer(&r)
                current = c
            } else {
                if let c = current { result.append(c) }
                current = record
            }
        }
        if let c = current { result.append(c) }
        return result
    }

    /// Whether a datagram holds a record past epoch 0 (so protected) whose body is shorter than `minimumLength`,
    /// or a record whose length runs past the datagram's end.
    static func hasShortProtectedRecord(_ datagram: ByteBuffer, minimumLength: Int) -> Bool {
        var offset = datagram.readerIndex
        let end = datagram.writerIndex
        while end - offset >= headerLength {
            guard let epochHi = datagram.getInteger(at: offset + 3, as: UInt8.self),
                let epochLo = datagram.getInteger(at: offset + 4, as: UInt8.self),
                let length = datagram.getInteger(at: offset + 11, as: UInt16.self)
            else { return true }
            if (epochHi != 0 || epochLo != 0) && Int(length) < minimumLength { return true }
            offset += headerLength + Int(length)
        }
        return offset > end
    }

    /// Whether a datagram starts with a ClientHello record at epoch 0 (a new handshake).
    static func isInitialClientHello(_ datagram: ByteBuffer) -> Bool {
        guard datagram.readableBytes >= headerLength + 12,
            let bytes = datagram.getBytes(at: datagram.readerIndex, length: headerLength + 1)
        else { return false }
        // content type 22 (handshake), DTLS major version 0xFE, epoch 0, handshake type 1 (ClientHello)
        return bytes[0] == 22 && bytes[1] == 0xFE && bytes[3] == 0 && bytes[4] == 0 && bytes[13] == 1
    }
}
