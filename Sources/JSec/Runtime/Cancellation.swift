import NIOCore

// The cancellation contract of JSec's awaiting calls (docs/jsec.md, "Cancellation"):
// a call whose task is cancelled — before it starts or while it waits — throws Swift's
// `CancellationError` (never a JSecError), and leaves the object as a timeout would: a read or an
// accept gives up its turn without losing data or connections, a write waiting for room in the
// stream's outbound window sends nothing of its bytes, and an unfinished open (connect, listen, handshake) is abandoned
// and its connection closed. `close()` never checks cancellation: it always runs.

extension JSecError {
    /// `error` as JSec throws it: a `CancellationError` unchanged, anything else mapped by ``from(_:while:)``.
    static func mapped(_ error: any Error, while doing: String, target: String? = nil) -> any Error {
        if error is CancellationError { return error }
        return from(error, while: doing, target: target)
    }
}

extension EventLoopFuture where Value: Sendable {
    /// Waits for the future, giving up early with `timeoutError` after `timeout` or with `CancellationError`
    /// when the task is cancelled. Giving up does not stop the operation: a value that arrives after the wait
    /// gave up goes to `abandoned` (which closes what nobody will use).
    func value(
        timeout: Duration? = nil, timeoutError: @autoclosure () -> JSecError = JSecError(.timeout, "timed out", code: .jsec(.operationTimeout)),
        abandoned: (@Sendable (Value) -> Void)? = nil
    ) async throws -> Value {
        let result = eventLoop.makePromise(of: Value.self)
        cascade(to: result)
        if let abandoned {
            whenSuccess { value in result.futureResult.whenFailure { _ in abandoned(value) } }
        }
        if let timeout {
            let error = timeoutError()
            let task = eventLoop.scheduleTask(in: timeout.timeAmount) { result.fail(error) }
            result.futureResult.whenComplete { _ in task.cancel() }
        }
        return try await withTaskCancellationHandler {
            try await result.futureResult.get()
        } onCancel: {
            result.fail(CancellationError())
        }
    }
}
