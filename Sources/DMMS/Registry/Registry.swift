// Registry.swift — every live pool, and the default pool.
//
// The registry is a list threaded through the pool headers (no heap): it
// lets dmms_free find the pool of any address and lets every entry point
// reject a handle that is not a live pool before touching it.

import CDMMS

typealias Pool = UnsafeMutablePointer<PoolState>

nonisolated(unsafe) var registryHead: Pool? = nil
/// The pool dmms_set_default_pool installed, if any.
nonisolated(unsafe) var installedDefaultPool: Pool? = nil
/// The built-in default pool, mapped from the OS on first use.
nonisolated(unsafe) var builtinDefaultPool: Pool? = nil
/// installedDefaultPool ?? builtinDefaultPool, kept in one word for the hot path.
nonisolated(unsafe) var currentDefaultPool: Pool? = nil
/// How many built-in pools there are: the default pool and the malloc
/// replacement's arenas, more built-in pools linked after it through
/// `nextArena` (Registry.addArena). None is ever destroyed, so they are
/// searched without the registry lock (Registry.firstArena).
nonisolated(unsafe) var arenaCount = 1
/// Whether the fork handlers are installed (once per process).
nonisolated(unsafe) var forkHandlersInstalled = false

/// The handle resolved last (its address; 0: none): most programs use one
/// pool over and over. A word, not an optional pointer, so that the check is
/// one compare.
nonisolated(unsafe) var lastResolvedPool: UInt = 0

enum Registry {
    static func register(_ pool: Pool) {
        Platform.globalLock()
        push(pool)
        if let host = pool.pointee.host { host.pointee.hostedPools &+= 1 }
        Platform.globalUnlock()
    }

    /// Links a whole pool in as the newest (the registry lock held). One
    /// pointer store publishes it to the walks that take no lock.
    private static func push(_ pool: Pool) {
        pool.pointee.nextPool = registryHead
        Platform.releaseFence()                                 // the pool is whole before it is seen
        registryHead = pool
    }

    static func unregister(_ pool: Pool) {
        Platform.globalLock()
        var link = registryHead
        var previous: Pool? = nil
        while let current = link {
            if current == pool {
                if let previous = previous { previous.pointee.nextPool = current.pointee.nextPool } else { registryHead = current.pointee.nextPool }
                if let host = pool.pointee.host { host.pointee.hostedPools &-= 1 }
                break
            }
            previous = current
            link = current.pointee.nextPool
        }
        if installedDefaultPool == pool { installedDefaultPool = nil }
        currentDefaultPool = installedDefaultPool ?? builtinDefaultPool
        Platform.drainRegistryWalks()   // no lock-free walk still reads the pool's header
        // After the drain: resolve caches a handle only inside the walk that
        // found it live, so no thread can cache this one again.
        if lastResolvedPool == UInt(bitPattern: pool) { lastResolvedPool = 0 }
        Platform.globalUnlock()
    }

    /// True when `candidate` is a live pool. Without the registry lock: a pool
    /// created without DMMS_F_THREAD_SAFE may be used where no lock may be
    /// taken (interrupts masked); pools are linked in with one pointer store.
    /// A pool destroyed meanwhile is not unmapped before this walk ends
    /// (unregister drains the walks under way; see platform.h). A live
    /// candidate becomes resolve's cached handle inside the walk, so that a
    /// destroy, which clears the cache after draining the walks, never leaves
    /// a dead handle cached.
    static func isLive(_ candidate: UnsafeMutableRawPointer) -> Bool {
        let epoch = Platform.registryWalkBegin()
        defer { Platform.registryWalkEnd(epoch) }
        guard firstPool(where: { UnsafeMutableRawPointer($0) == candidate }) != nil else { return false }
        lastResolvedPool = UInt(bitPattern: candidate)
        return true
    }

    /// True when [memory, memory + size) overlaps any live pool's memory.
    static func overlapsAnyPool(_ memory: UInt, size: UInt) -> Bool {
        Platform.globalLock()
        defer { Platform.globalUnlock() }
        return firstPool { $0.pointee.overlaps(memory, size: size) } != nil
    }

    /// The default pool: the installed one, else the built-in one (created now
    /// if needed). nil only when the OS refuses the memory.
    @inline(__always)
    static func defaultPool() -> Pool? {
        if let pool = currentDefaultPool { return pool }
        return createBuiltinPool()
    }

    /// Makes `pool` (nil: the built-in one) the default.
    static func install(_ pool: Pool?) {
        Platform.globalLock()
        installedDefaultPool = pool
        currentDefaultPool = installedDefaultPool ?? builtinDefaultPool
        Platform.globalUnlock()
    }

    private static func createBuiltinPool() -> Pool? {
        installForkHandlers()   // before the first lock is ever taken
        Platform.globalLock()
        if builtinDefaultPool == nil {
            let settings = Settings.fromEnvironment()
            // DMMS_POOL_SIZE, or as much of it as a limit on address space allows.
            let smallest = min(settings.poolSize, Settings.smallestFirstRegion)
            if let pool = firstGranted(from: settings.poolSize, downTo: smallest, { makePool(memory: 0, size: $0, config: settings.config) }) {
                pool.pointee.growsFromOS = true
                pool.pointee.keepReuseCache()
                if let path = settings.timeline { pool.pointee.sampling = Timeline.open(path) }
                push(pool)
                builtinDefaultPool = pool
            }
        }
        currentDefaultPool = installedDefaultPool ?? builtinDefaultPool
        Platform.globalUnlock()
        return currentDefaultPool
    }

    /// At most this many built-in pools (the default pool and its arenas).
    static let maxArenas = 8

    /// One more arena, shaped like the built-in default pool and named
    /// "default.N"; nil at maxArenas or when the OS refuses the memory.
    static func addArena() -> Pool? {
        guard let first = builtinDefaultPool else { return nil }
        Platform.globalLock()
        defer { Platform.globalUnlock() }
        guard arenaCount < maxArenas else { return nil }
        var last = first
        while let next = last.pointee.nextArena { last = next }
        var config = first.pointee.config
        config.name = builtinPoolName
        let region = first.pointee.regions[at: 0]
        guard let pool = makePool(memory: 0, size: region.end &- region.start, config: config) else { return nil }
        pool.pointee.growsFromOS = true
        pool.pointee.keepReuseCache()
        pool.pointee.sampling = first.pointee.sampling
        pool.pointee.name[7] = UInt8(ascii: ".")                // "default" + ".N"
        pool.pointee.name[8] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: arenaCount)
        push(pool)
        last.pointee.nextArena = pool
        arenaCount &+= 1
        return pool
    }

    /// A pool over caller memory, or (memory 0) over memory mapped for it.
    static func makePool(memory: UInt, size: UInt, config: PoolConfig) -> Pool? {
        if memory != 0 { return PoolState.create(memory: memory, size: size, config: config, mapped: false) }
        let data = config.blockBytes(holding: size)
        let total = data &+ config.metadataBytes(forData: data, firstRegion: true)
        // Aligned to the largest power of two it holds, however large, so that
        // it is one top block (dmms.h promises it for a power-of-two size).
        guard total > data, let mapped = Platform.mapAligned(total, alignment: floorPowerOfTwo(data)) else {
            return nil
        }
        let size = Platform.pageBytes &+ alignUp(total, Platform.pageBytes)
        let pool = PoolState.create(memory: mapped, size: size, config: config, mapped: true, dataLimit: data)
        if pool == nil { Platform.unmap(mapped, size) }
        return pool
    }

    /// The pool behind a handle (NULL: the default pool), or nil.
    @inline(__always)
    static func resolve(_ handle: OpaquePointer?) -> Pool? {
        guard let handle = handle else { return defaultPool() }
        let raw = UnsafeMutableRawPointer(handle)
        if UInt(bitPattern: raw) == lastResolvedPool || isLive(raw) { return Pool(handle) }
        return nil
    }

    /// fork() while other threads use pools: take every lock before, so the
    /// child's copy of each pool is consistent and no lock in it is held by a
    /// thread the child does not have; release them after in the parent,
    /// reset them (and the cached thread id) in the child. Installed once,
    /// before the first pool (so before any DMMS lock is taken) and outside
    /// any lock: pthread_atfork may allocate, perhaps from DMMS.
    static func installForkHandlers() {
        if forkHandlersInstalled { return }
        Platform.atFork(prepare: forkPrepare, parent: forkParent, child: forkChild)   // pthread_once inside
        forkHandlersInstalled = true
    }

    /// The first built-in pool from `start` on (along `nextArena`) that
    /// passes `test`, or nil. No lock: built-in pools are never destroyed, and
    /// each is whole before it is linked (addArena's release fence).
    @inline(__always)
    static func firstArena(from start: Pool?, where test: (Pool) -> Bool) -> Pool? {
        var arena = start
        while let pool = arena {
            Platform.acquireFence()
            if test(pool) { return pool }
            arena = pool.pointee.nextArena
        }
        return nil
    }

    /// The newest live pool that passes `test`, or nil. The registry lock
    /// must be held, or the walk counted (isLive): a destroy unmaps a pool
    /// only once no walk can read it.
    @inline(__always)
    static func firstPool(where test: (Pool) -> Bool) -> Pool? {
        var link = registryHead
        while let pool = link {
            if test(pool) { return pool }
            link = pool.pointee.nextPool
        }
        return nil
    }

    /// Calls `body` with every live pool (the registry lock must be held).
    static func forEachPool(_ body: (Pool) -> Void) {
        _ = firstPool { pool in
            body(pool)
            return false
        }
    }

    /// The pool whose memory holds `address` — the innermost one, when pools
    /// were made inside buffers of others (Nesting.swift) — or nil.
    /// O(pools * regions).
    @inline(__always)
    static func pool(holding address: UInt) -> Pool? {
        if let pool = currentDefaultPool, pool.pointee.holds(address) { return innermost(pool, holding: address) }
        if let arena = firstArena(from: builtinDefaultPool?.pointee.nextArena, where: { $0.pointee.holds(address) }) {
            return innermost(arena, holding: address)
        }
        return newestPool(holding: address)
    }

    /// The pool `address` belongs to, from the newest live pool that holds
    /// it: the innermost (see owner(of:innermost:)).
    static func newestPool(holding address: UInt) -> Pool? {
        Platform.globalLock()   // other pools may be created and destroyed meanwhile
        defer { Platform.globalUnlock() }
        return firstPool { $0.pointee.holds(address) }.map { owner(of: address, innermost: $0) }
    }
}

extension PoolState {
    /// True when `address` is anywhere in this pool's memory.
    @inline(__always)
    mutating func holds(_ address: UInt) -> Bool {
        let count = regionCount                 // may be read without the pool lock:
        Platform.acquireFence()                 // entries below the count are whole
        var r = 0
        while r < count {
            if address &- regions[at: r].memory < regions[at: r].memorySize { return true }
            r &+= 1
        }
        return false
    }
}


/// The token of the pool locks forkPrepare takes (one thread takes them all).
nonisolated(unsafe) private var forkLockToken = Platform.noLock

private func forkPrepare() {
    Platform.globalLock()
    Registry.forEachPool { pool in
        if pool.pointee.threadSafe { forkLockToken = Platform.lock(pool.poolLock) }
    }
}

private func forkParent() {
    Registry.forEachPool { pool in pool.unlock(pool.pointee.threadSafe ? forkLockToken : Platform.noLock) }
    Platform.globalUnlock()
}

/// The child has one thread: every lock a parent's thread held is free in it.
/// That includes a report lock held across a report's output (Leaks.swift),
/// which prepare does not take: the report's scratch counts are reset by the
/// next report, so the child's copy needs no report to finish.
private func forkChild() {
    Platform.forgetThreadId()
    Timeline.forked()
    Registry.forEachPool { pool in
        if pool.pointee.threadSafe {
            Platform.lockInit(pool.poolLock)
            Platform.lockInit(pool.reportLock)
        }
    }
    Platform.globalUnlock()
}
