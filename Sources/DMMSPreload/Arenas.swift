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
    /// has one) with this token: release it with `withLockHeld`. nil when the OS
    /// refuses memory.
    @inline(__always)
    static func lockForThread() -> (pool: Pool, token: Platform.LockToken)? {
        guard let home = Registry.defaultPool() else { return nil }
        guard home == builtinDefaultPool, home.pointee.threadSafe else {
            // A pool the program installed as default (or one without a
            // lock): it is the program's choice, so no arenas.
            return (home, home.lock())
        }
        let mine = threadArena ?? home
        let token = Platform.tryLock(mine.poolLock)
        if token != Platform.noLock { return (mine, token) }
        return move(from: mine, home: home)
    }

    /// The arena this thread moved to, if it ever moved (TLS).
    @inline(__always)
    private static var threadArena: Pool? {
        get { Platform.threadArenaSlot.map { $0.assumingMemoryBound(to: PoolState.self) } }
        set { Platform.threadArenaSlot = newValue.map { UnsafeMutableRawPointer($0) } }
    }

    /// The thread's arena is busy: the first free arena, else a new one,
    /// else (all taken, none to add) wait for its own.
    private static func move(from mine: Pool, home: Pool) -> (pool: Pool, token: Platform.LockToken) {
        var token = Platform.noLock
        if let idle = Registry.firstArena(from: home, where: { arena in
            if arena != mine { token = Platform.tryLock(arena.poolLock) }
            return token != Platform.noLock
        }) {
            threadArena = idle
            return (idle, token)
        }
        if let fresh = Registry.addArena() {
            threadArena = fresh
            return (fresh, Platform.lock(fresh.poolLock))
        }
        return (mine, Platform.lock(mine.poolLock))
    }

    /// True when `pool` is the one the calling thread allocates from.
    @inline(__always)
    static func isThreadArena(_ pool: Pool) -> Bool {
        pool == (threadArena ?? currentDefaultPool)
    }

    /// The pool holding `address`: the thread's own arena first — a thread
    /// mostly frees its own buffers, and this way it reads no other pool's
    /// header, which other threads keep writing — then every pool.
    @inline(__always)
    static func pool(holding address: UInt) -> Pool? {
        if let mine = threadArena, mine.pointee.holds(address) { return Registry.innermost(mine, holding: address) }
        return Registry.pool(holding: address)
    }

    /// Calls `body` with every pool the malloc replacement has used: the
    /// default pool and, when it is the built-in one, its arenas.
    static func forEach(_ body: (Pool) -> Void) {
        guard let home = Registry.defaultPool() else { return }
        if home != builtinDefaultPool {
            body(home)
            return
        }
        _ = Registry.firstArena(from: home) { pool in
            body(pool)
            return false
        }
    }
}
