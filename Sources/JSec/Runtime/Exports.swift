// JSec re-exports JSecCrypto: its error type, keys and certificates are part of the TLS API.
@_exported import JSecCrypto
// The zero-copy stream calls (readBuffer, chunkBuffer, write(_: ByteBuffer)) use NIO's buffer type.
@_exported import struct NIOCore.ByteBuffer
