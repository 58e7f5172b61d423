// Lock.swift — a pool's lock, and the errors a call hands over once it is
// released: every entry point that touches a pool goes through `locked`.
//
// The lock is the port's (lock hooks) or the platform's (Platform.lock); a
// pool made without DMMS_F_THREAD_SAFE has none. Taking it returns a token
// that releasing it needs (Platform.LockToken). The errors a call recorded
// under the lock (Core/Errors.swift) are copied out before it is released and
// handed to the handler after, on the calling thread (Report/ErrorReport.swift).

import CDMMS

extension UnsafeMutablePointer where Pointee == PoolState {
    /// Runs `body` under the pool lock (when the pool has one), then delivers
    /// any errors it recorded, lock released. In a pool the memory tools
    /// watch, `body` reads and writes what the pool keeps in memory that is
    /// no-access to them: memcheck's reports are off meanwhile.
    /// Buffers other threads left pending (PendingFrees.swift) are freed
    /// first, so that what `body` sees is what the program holds.
    @inline(__always)
    func locked<Result>(_ body: (inout PoolState) -> Result) -> Result {
        if pointee.watched {
            return withLockHeld(lock()) { state in
                Platform.toolsHideErrors()
                defer { Platform.toolsShowErrors() }
                return body(&state)
            }
        }
        let pending = pendingFrees
        return withLockHeld(lock()) { state in
            state.freePending(pending)
            return body(&state)
        }
    }

    /// `locked` for allocate, which sends a watched pool's calls their own
    /// way (Registry/Tools.swift) once, at its top, and frees no pending
    /// buffer first (free does: PendingFrees.swift).
    @inline(__always)
    func lockedUnwatched<Result>(_ body: (inout PoolState) -> Result) -> Result {
        withLockHeld(lock(), body)
    }

    /// Takes the pool lock, if the pool has one: the token `unlock` needs
    /// (Platform.noLock for a pool without a lock).
    @inline(__always)
    func lock() -> Platform.LockToken {
        pointee.threadSafe ? Platform.lock(poolLock) : Platform.noLock
    }

    /// Runs `body` with the pool lock (if any) already held by the caller
    /// (`token`: what taking it returned), releases it, then delivers the
    /// errors `body` recorded.
    @inline(__always)
    func withLockHeld<Result>(_ token: Platform.LockToken, _ body: (inout PoolState) -> Result) -> Result {
        // A word of the error count tells whether `body` recorded any (no
        // call records 2^32): the low half on a 32-bit target.
        let before = UInt(truncatingIfNeeded: pointee.errorCount)
        let result = body(&pointee)
        let now = pointee.errorCount
        if UInt(truncatingIfNeeded: now) == before {
            unlock(token)
        } else {
            unlockAndDeliverErrors(since: now &- UInt64(UInt(truncatingIfNeeded: now) &- before), token: token)
        }
        return result
    }

    @inline(__always)
    func unlock(_ token: Platform.LockToken) {
        if token != Platform.noLock { Platform.unlock(poolLock, token) }
    }

    /// Copies the errors this call recorded (from ring index `first` on) while
    /// the lock is still held, releases it, and hands them to the handler on
    /// this thread, oldest first. Another thread's errors cannot overwrite
    /// them in the ring meanwhile: they are on this call's stack, with the
    /// pool's name (the header is not read after the unlock).
    @inline(never)
    func unlockAndDeliverErrors(since first: UInt64, token: Platform.LockToken) {
        let ring = UInt64(PoolState.errorRingSize)
        let recorded = pointee.errorCount &- first
        let count = Int(min(recorded, UInt64(PoolState.errorsPerCall)))
        var mine = CallErrors(repeating: ErrorRecord())
        var i = 0
        while i < count {
            mine[i] = pointee.recentErrors[at: Int((first &+ UInt64(i)) % ring)]
            i &+= 1
        }
        pointee.counters.undeliveredErrors &+= recorded &- UInt64(count)
        let abort = pointee.abortsOnError
        var name = pointee.name
        unlock(token)
        withUnsafeBytes(of: &name) { bytes in
            let poolName = bytes.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: CChar.self)
            i = 0
            while i < count {
                ErrorReport.deliver(mine[i], poolName: poolName, abort: abort)
                i &+= 1
            }
        }
    }

    /// Runs `body` under the pool lock and delivers nothing: for callers that
    /// hold the registry lock, where no error handler may run.
    func lockedQuietly<Result>(_ body: (inout PoolState) -> Result) -> Result {
        let token = lock()
        defer { unlock(token) }
        if pointee.watched { Platform.toolsHideErrors() }
        defer { if pointee.watched { Platform.toolsShowErrors() } }
        return body(&pointee)
    }
}
