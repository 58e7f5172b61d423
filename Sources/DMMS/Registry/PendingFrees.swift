// PendingFrees.swift — a free() of a buffer from another thread's arena, or
// from its own while another thread holds the lock, leaves the buffer on the
// pool's pending frees and returns; the next thread that takes the lock (the
// arena's own, as a rule) frees it.
//
// Threads of a server free each other's objects, so without this the freeing
// thread takes, at each such free, the pool lock of the thread that made the
// object, and the two wait for each other. Only the malloc replacement's
// free() defers (it returns nothing, so the buffer's checks can come later);
// every other way into a pool frees what is pending as it takes the lock
// (`locked`, dmms_free and dmms_pool_free, the malloc replacement's
// allocations), so a report always shows what the program holds, and a
// buffer is never freed twice unnoticed:
//
// - Claim, then push. The buffer's first word is swapped from what was read
//   there to `pendingMark` (compare-and-swap): of two threads freeing one
//   buffer at once only one claims it; the other, or a later free before the
//   drain, finds the mark and waits for the lock — which frees what is
//   pending first, so its own free is then reported as a double free. The
//   second word links the stack (push: compare-and-swap; take: exchange).
// - At most 15 wait: a free that finds that many takes the lock and frees
//   them, so an arena whose threads have gone does not keep what others free.
// - Only a live buffer of this pool with 8 requested bytes or more is
//   deferred, found in the map without the lock (the caller owns the
//   buffer, so no other thread writes its entries). The claim takes its
//   first word; the link, its second — or, for 8 to 15 bytes, the word of its
//   guard (the default 8-byte guard only), checked intact first and written
//   again by the thread that frees it, so the free checks the guard as it was.
// - The thread that takes the stack checks each buffer again before it
//   follows its link: a link damaged by a write after free ends the drain
//   with a report instead of a wild pointer.

import CDMMS

/// What a pending buffer's first word holds.
let pendingMark = UInt(truncatingIfNeeded: 0xD3F3_5EED_F3EE_D3F3 as UInt64)

extension UnsafeMutablePointer where Pointee == PoolState {
    /// free() of the malloc replacement. A buffer of the calling thread's
    /// own arena (`tryLockFirst`) is freed now, under the pool lock, unless
    /// another thread holds it; one of another thread's arena is pushed on
    /// its pending frees without touching its lock at all, for its owner to
    /// free at its next call: the lock stays with the thread that uses the
    /// pool. A buffer that cannot wait is freed under the lock.
    func freeFromMalloc(_ address: UInt, tryLockFirst: Bool) {
        guard pointee.threadSafe && !pointee.watched && pointee.hostedPools == 0 && lockHook == nil else {
            _ = freeBuffer(address)
            return
        }
        var token = tryLockFirst ? Platform.tryLock(poolLock) : Platform.noLock
        if token == Platform.noLock {
            if deferFree(address) { return }
            token = Platform.lock(poolLock)
        }
        _ = pointee.plain ? free(address, holding: token, modes: PlainModes.self) : free(address, holding: token, modes: PoolModes.self)
    }

    /// Frees the buffer at `address` with the pool lock taken (`token`), what
    /// is pending first: a buffer pending already is freed before it, so a
    /// second free of it is a double free. Then releases the lock. (`M`:
    /// where the pool's modes are read.)
    @inline(__always)
    func free<M: Modes>(_ address: UInt, holding token: Platform.LockToken, modes: M.Type) -> dmms_status_t {
        let pending = pendingFrees
        return withLockHeld(token) { state in
            state.freePending(pending)
            return state.free(address, modes: M.self)
        }
    }

    /// Claims the buffer at `address` and pushes it: false when it cannot
    /// wait (see linkOffset), its guard is damaged (its free reports it now),
    /// or it is claimed already.
    func deferFree(_ address: UInt) -> Bool {
        guard address & 15 == 0, let extent = pointee.liveExtent(at: address),
              let link = pointee.linkOffset(requested: extent.requested) else { return false }
        if extent.requested < 16
            && pointee.damagedGuard(block: address, key: pointee.blockKey(address), requested: extent.requested) != nil {
            return false
        }
        let words = UnsafeMutablePointer<UInt>(bitPattern: address).unsafelyUnwrapped
        let seen = dmms_platform_load_word(words)
        // A full stack (its owner is not taking it: busy elsewhere, or gone):
        // this thread takes the lock and frees it all, with its own buffer.
        return seen != pendingMark && dmms_platform_pending_full(pendingFrees) == 0
            && dmms_platform_pending_push(pendingFrees, words, UInt(bitPattern: link), seen, pendingMark) != 0
    }
}

extension PoolState {
    /// Where a pending buffer of `requested` bytes keeps its link, from its
    /// start: its second word (16 bytes or more); the word of its guard (8 to
    /// 15 bytes, the default 8-byte guard); nil when it cannot wait.
    @inline(__always)
    mutating func linkOffset(requested: UInt) -> Int? {
        if requested >= 16 { return MemoryLayout<UInt>.size }
        return requested >= 8 && guardSpan == 8 && MemoryLayout<UInt>.size == 8 ? Int(bitPattern: requested) : nil
    }

    /// Frees every buffer pending on `head` (this pool's: Pool.pendingFrees),
    /// the lock held. One load when there are none; nothing on bare metal,
    /// which has no malloc replacement to defer a free.
    @inline(__always)
    mutating func freePending(_ head: UnsafeMutablePointer<UInt>) {
        if Platform.hosted && dmms_platform_load_word(head) != 0 { freeAllPending(head) }
    }

    @inline(never)
    private mutating func freeAllPending(_ head: UnsafeMutablePointer<UInt>) {
        var node = dmms_platform_pending_take(head) & ~15   // the low bits count the buffers
        while node != 0 {
            let words = UnsafeMutablePointer<UInt>(bitPattern: node).unsafelyUnwrapped
            guard node & 15 == 0, let extent = liveExtent(at: node), let link = linkOffset(requested: extent.requested),
                  words[0] == pendingMark else {
                recordError(ErrorRecord(.freeBlock, status: DMMSStatus.corrupt, pointer: node,
                                        detail: "a pending free's link is damaged (written after free?): the frees after it are lost"))
                counters.corruptions &+= 1
                return
            }
            let linkWord = UnsafeMutableRawPointer(bitPattern: node &+ UInt(bitPattern: link)).unsafelyUnwrapped
            let next = UInt(bitPattern: linkWord.loadUnaligned(as: Int.self)) & ~15
            if extent.requested < 16 {   // the guard held the link: written again as the defer found it
                linkWord.storeBytes(of: guardPattern(blockKey(node)).littleEndian, as: UInt64.self)
            }
            _ = free(node)
            counters.deferredFrees &+= 1
            node = next
        }
    }
}
