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
        /// The oldest received bytes not yet read: reads take slices of it.
        var buffer: ByteBuffer?
        /// A slice of `buffer`'s storage went to a reader: never append into it again.
        var bufferHandedOut = false
        /// Bytes received after `buffer` that did not fit into it, oldest first. A large buffer is kept as it
        /// came (NIO's, or the TLS handler's plaintext), not copied onto the end of the one before: a `ByteBuffer`
        /// grows to the next power of two, so a 16 KiB record after a full 64 KiB buffer took 128 KiB, held for
        /// as long as the application did not read (docs/performance.md, "Clients that never read").
        var later = CircularBuffer<ByteBuffer>(initialCapacity: 2)
        var laterBytes = 0
        /// Where a TLS stream's plaintext buffers go once read to the end (the loop's ``PlaintextBufferPool``).
        var plaintextPool: PlaintextBufferPool?
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

        var available: Int { (buffer?.readableBytes ?? 0) + laterBytes }

        /// A received buffer at least this large, and at least half full, is kept as it came when it does not fit
        /// into the one before; smaller ones are copied onto the end (a chain of small buffers would cost more
        /// than it saves).
        static let keptWhole = 4096

        /// Adds received bytes (event loop).
        mutating func receive(_ incoming: ByteBuffer) {
            var incoming = incoming
            let n = incoming.readableBytes
            guard n > 0 else { return }
            if available == 0 {
                buffer = incoming
                bufferHandedOut = false
                return
            }
            let keep = n >= Self.keptWhole && n * 2 >= incoming.capacity
            if var last = later.popLast() {
                // Never handed out (only `buffer` is read from): appending into it is safe.
                if last.writableBytes >= n || !keep {
                    last.writeBuffer(&incoming)
                } else {
                    later.append(last)
                    last = incoming
                }
                later.append(last)
                laterBytes += n
            } else if !bufferHandedOut && buffer!.writableBytes >= n {
                buffer!.writeBuffer(&incoming)
            } else if keep {
                later.append(incoming)
                laterBytes += n
            } else if bufferHandedOut {
                // A reader on another thread may still hold a slice of this storage: never append into
                // it (that would rest on the reference-count uniqueness check alone); move the remainder
                // and the new bytes to a fresh buffer instead.
                var fresh = ByteBufferAllocator().buffer(capacity: buffer!.readableBytes + n)
                fresh.writeBuffer(&buffer!)
                fresh.writeBuffer(&incoming)
                buffer = fresh
                bufferHandedOut = false
            } else {
                buffer!.writeBuffer(&incoming)
            }
        }

        /// Removes and returns every byte received and not yet read (nil if none).
        mutating func takeAll() -> ByteBuffer? {
            let n = available
            guard n > 0 else {
                buffer = nil
                return nil
            }
            return takeBytes(n)
        }

        /// Takes `n` ≤ ``available`` bytes: a slice of `buffer` when it holds them, else a copy gathered
        /// from it and the buffers after it.
        private mutating func takeBytes(_ n: Int) -> ByteBuffer {
            bufferHandedOut = true
            if buffer!.readableBytes >= n {
                let slice = buffer!.readSlice(length: n)!
                dropDrained()
                return slice
            }
            var out = ByteBufferAllocator().buffer(capacity: n)
            while out.readableBytes < n {
                var part = buffer!.readSlice(length: min(n - out.readableBytes, buffer!.readableBytes))!
                out.writeBuffer(&part)
                dropDrained()
            }
            return out
        }

        /// Drops a drained `buffer` rather than reuse it (the reader may still hold a slice of it, and an idle
        /// stream then holds no buffer at all) — a TLS stream hands it to its loop's pool, which reuses it once
        /// nothing refers to it; the next buffer received moves up.
        private mutating func dropDrained() {
            guard buffer!.readableBytes == 0 else { return }
            if let plaintextPool { plaintextPool.giveBack(buffer!) }
            buffer = later.popFirst()
            if let b = buffer {
                laterBytes -= b.readableBytes
                bufferHandedOut = false
            }
        }

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
                    result = .success(takeBytes(min(n, available)))
                } else if let failure {
                    result = .failure(failure)
                } else if inputClosed {
                    result = .success(nil)
                } else {
                    result = nil
                }
            case .exactly(let n):
                if available >= n {
                    result = .success(takeBytes(n))
                } else if let failure, available == 0 {
                    result = .failure(failure)
                } else if inputClosed || failure != nil {
                    result = .success(available > 0 ? takeBytes(available) : ByteBuffer())
                } else {
                    result = nil
                }
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
