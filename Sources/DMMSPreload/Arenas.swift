// Arenas.swift — which pool a thread's malloc uses.
//
// One pool behind one lock makes threads that allocate at once wait for each
// other. So a thread keeps an arena (the built-in default pool at first) and
// tries its lock without waiting; when another thread holds it, the thread
// moves to the first arena that is free, or to a new one (Registry.addArena,
// up to Registry.maxArenas), and stays there. A single-threaded program only
// ever has the default pool. Frees go to the pool that holds the buffer,
// whichever thread frees it; the reports at exit cover every arena.

import CDMMS

enum Arenas {
    /// The pool for the calling thread's allocation, its lock held (when it
    /// has one): release it with `lockHeld`. nil when the OS refuses memory.
    @inline(__always)
    static func lockForThread() -> Pool? {
        guard let home = Registry.defaultPool() else { return nil }
        guard home == builtinDefaultPool, home.pointee.threadSafe else {
            // A pool the program installed as default (or one without a
            // lock): it is the program's choice, so no arenas.
            if home.pointee.threadSafe { Platform.lock(UnsafeMutableRawPointer(home)) }
            return home
        }
        let slot = dmms_platform_arena_slot()!
        let mine = slot.pointee.map { $0.assumingMemoryBound(to: PoolState.self) } ?? home
        if Platform.tryLock(UnsafeMutableRawPointer(mine)) { return mine }
        return move(from: mine, slot: slot, home: home)
    }

    /// The thread's arena is busy: the first free arena, else a new one,
    /// else (all taken, none to add) wait for its own.
    private static func move(from mine: Pool, slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>, home: Pool) -> Pool {
        var candidate: Pool? = home
        while let pool = candidate {
            if pool != mine, Platform.tryLock(UnsafeMutableRawPointer(pool)) {
                slot.pointee = UnsafeMutableRawPointer(pool)
                return pool
            }
            candidate = pool.pointee.nextArena
            Platform.acquireFence()
        }
        if let fresh = Registry.addArena() {
            Platform.lock(UnsafeMutableRawPointer(fresh))
            slot.pointee = UnsafeMutableRawPointer(fresh)
            return fresh
        }
        Platform.lock(UnsafeMutableRawPointer(mine))
        return mine
    }

    /// The pool holding `address`: the thread's own arena first — a thread
    /// mostly frees its own buffers, and this way it reads no other pool's
    /// header, which other threads keep writing — then every pool.
    @inline(__always)
    static func pool(holding address: UInt) -> Pool? {
        if let mine = dmms_platform_arena_slot()!.pointee {
            let pool = mine.assumingMemoryBound(to: PoolState.self)
            if pool.pointee.holds(address) { return pool }
        }
        return Registry.pool(holding: address)
    }

    /// Calls `body` with every pool the malloc replacement has used: the
    /// default pool and, when it is the built-in one, its arenas.
    static func forEach(_ body: (Pool) -> Void) {
        guard let home = Registry.defaultPool() else { return }
        body(home)
        if home != builtinDefaultPool { return }
        var arena = home.pointee.nextArena
        while let pool = arena {
            Platform.acquireFence()
            body(pool)
            arena = pool.pointee.nextArena
        }
    }
}
