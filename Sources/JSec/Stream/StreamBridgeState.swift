import NIOCore

// The state a stream's tasks and its event loop share (behind StreamBridgeHandler's mutex), and the pure
// rules over it: what a read takes, when reading resumes, what a write meets. No I/O here.
extension StreamBridgeHandler {
    struct Reader {
        let kind: ReadKind
        /// Completes the waiting read exactly once (a continuation resume; no future per read).
        let complete: @Sendable (ReadResult) -> Void
        /// The stream's number for this read (for its cancellation).
        let token: UInt64
        let deadline: NIODeadline?
        let timeout: TimeAmount?
    }

    struct Writer {
        let complete: @Sendable (Result<Void, any Error>) -> Void
        let token: UInt64
        /// The size of the write that waits.
        let bytes: Int
        var timer: Scheduled<Void>?
    }

    struct State {
        // Inbound
        var buffer: ByteBuffer?
        /// A slice of `buffer`'s storage went to a reader: never append into it again.
        var bufferHandedOut = false
        var reader: Reader?
        /// A read whose cancellation arrived before the read itself.
        var cancelledToken: UInt64?
        /// The event loop stopped asking the socket for bytes (backpressure).
        var readingHeld = false
        var resumeScheduled = false
        /// When the read-timeout timer fires, if one is scheduled (one timer serves many reads).
        var timerDeadline: NIODeadline?
        /// The read timers scheduled and not yet fired (cancelled when the stream closes).
        var readTimers: [(deadline: NIODeadline, timer: Scheduled<Void>)] = []
        /// The peer will send no more bytes (FIN, close_notify or channel closed).
        var inputClosed = false
        var closedLocally = false
        /// Why the stream failed (a TLS alert, a protocol or transport error), if it did.
        var failure: JSecError?

        // Outbound
        var queued = CircularBuffer<ByteBuffer>(initialCapacity: 4)
        var queuedBytes = 0
        /// Bytes sent down the pipeline whose writes have not completed (not yet in the kernel).
        var inFlight = 0
        var drainScheduled = false
        /// The channel's writability as last seen on the event loop.
        var writable = true
        var writers = CircularBuffer<Writer>(initialCapacity: 1)
        var cancelledWriteToken: UInt64?
        var outputShut = false
        var channelClosed = false

        var available: Int { buffer?.readableBytes ?? 0 }

        /// How much may wait unread before reading stops: ``StreamBridgeHandler/idleReadAhead``, or
        /// more while a `chunk(n)` for a larger n waits (it can only complete once n bytes are here).
        var readLimit: Int {
            if let r = reader, case .exactly(let n) = r.kind { return max(StreamBridgeHandler.idleReadAhead, n) }
            return StreamBridgeHandler.idleReadAhead
        }

        /// Whether a write of `bytes` fits the outbound window: the channel is writable, and with it the
        /// bytes accepted and not yet written stay within ``StreamBridgeHandler/windowBytes`` — or none
        /// wait (a larger write goes alone). A peer that reads nothing so holds at most one window of a
        /// stream's bytes in user space, not a window plus NIO's write-buffer high-water mark.
        func admits(_ bytes: Int) -> Bool {
            guard writable else { return false }
            let pending = queuedBytes + inFlight
            return pending == 0 || pending + bytes <= StreamBridgeHandler.windowBytes
        }

        /// Whether the first waiting writer's write now fits.
        var writerFits: Bool { writers.first.map { admits($0.bytes) } ?? false }

        /// The read's result if it can complete now.
        mutating func take(_ kind: ReadKind) -> ReadResult? {
            let available = self.available
            let result: ReadResult?
            switch kind {
            case .upTo(let n):
                if available > 0 {
                    result = .success(buffer!.readSlice(length: min(n, available)))
                } else if let failure {
                    result = .failure(failure)
                } else if inputClosed {
                    result = .success(nil)
                } else {
                    result = nil
                }
            case .exactly(let n):
                if available >= n {
                    result = .success(buffer!.readSlice(length: n))
                } else if let failure, available == 0 {
                    result = .failure(failure)
                } else if inputClosed || failure != nil {
                    result = .success(available > 0 ? buffer!.readSlice(length: available) : ByteBuffer())
                } else {
                    result = nil
                }
            }
            if result != nil {
                bufferHandedOut = true
                // Drop a drained buffer rather than reuse it: the reader may still hold a slice of it,
                // and an idle stream then holds no buffer at all.
                if available > 0, buffer!.readableBytes == 0 { buffer = nil }
            }
            return result
        }

        /// Whether reading must resume now (held, and below the read limit); claims the resume.
        mutating func claimResume() -> Bool {
            guard readingHeld, !resumeScheduled, available < readLimit else {
                return false
            }
            resumeScheduled = true
            return true
        }

        /// The error a write meets on a stream that can take no more.
        var writeRefusal: JSecError? {
            if closedLocally { return JSecError(.closed, "write: the stream is closed", code: .jsec(.closed)) }
            if outputShut { return JSecError(.closed, "write: the write side of the stream is shut down", code: .jsec(.outputShutDown)) }
            if let failure { return JSecError(failure.category, "write: \(failure.message)", code: failure.code, openSSLErrors: failure.openSSLErrors) }
            if channelClosed { return JSecError(.closed, "write: the stream is closed", code: .jsec(.closed)) }
            return nil
        }
    }
}
