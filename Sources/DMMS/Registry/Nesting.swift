// Nesting.swift — pools made inside a live buffer of another pool.
//
// Carving a pool for a subsystem out of a buffer is an ordinary RTOS pattern,
// and under the preloaded malloc a pool made in malloc'ed memory is one:
//
//   [ outer pool ... [ live buffer [ inner pool ] guard, record ] ... metadata ]
//
// Memory there belongs to both pools. Three rules keep that sound:
// - dmms_pool_create takes memory that overlaps live pools only when it lies
//   wholly inside the requested bytes of one live buffer of each: never their
//   free memory, metadata, guards or owner records (placement(of:size:)).
// - An address belongs to the innermost pool that holds it. A pool only nests
//   inside pools made before it, and the registry lists the newest first, so
//   the first pool of the registry that holds an address is the innermost
//   (Registry.pool(holding:), innermost(_:holding:)). One exception: the start
//   of a buffer that holds a pool is also where that pool's first block
//   starts; it names the buffer unless the pool inside has a live buffer
//   there (owner(of:innermost:)).
// - The buffer that holds a live pool is neither freed nor resized
//   (DMMS_E_BUSY): the pool inside would be left in memory handed out again.
//   Its own pool cannot be destroyed meanwhile either: the buffer is live.

import CDMMS

/// Where new pool memory lies among the live pools.
enum Placement {
    /// Overlaps no pool.
    case apart
    /// Inside the requested bytes of `buffer`, a live buffer of `host` (the
    /// innermost pool holding it), and of a live buffer of every pool it overlaps.
    case inside(host: Pool, buffer: UInt)
    /// Overlaps some pool's free memory, metadata, or more than one buffer.
    case overlapping
}

extension Registry {
    /// Where [memory, memory + size) lies among the live pools. O(pools *
    /// (regions + orders)), each pool's lock taken in turn.
    static func placement(of memory: UInt, size: UInt) -> Placement {
        Platform.globalLock()
        defer { Platform.globalUnlock() }
        var found: (host: Pool, buffer: UInt)? = nil
        // Every pool it overlaps must hold it inside one live buffer.
        let straddled = firstPool { pool in
            guard pool.pointee.overlaps(memory, size: size) else { return false }
            guard let buffer = pool.lockedQuietly({ $0.liveBufferStart(holding: memory, size: size) }) else { return true }
            if found == nil { found = (pool, buffer) }      // the newest: the innermost
            return false
        }
        if straddled != nil { return .overlapping }
        guard let (host, buffer) = found else { return .apart }
        return .inside(host: host, buffer: buffer)
    }

    /// The pool `address` belongs to, given a pool that holds it: that pool,
    /// unless pools were made inside its buffers or it was made inside one
    /// (then the registry decides). Two loads when neither.
    @inline(__always)
    static func innermost(_ pool: Pool, holding address: UInt) -> Pool {
        if pool.pointee.hostedPools == 0 && pool.pointee.host == nil { return pool }
        return newestPool(holding: address) ?? pool
    }

    /// The pool `address` belongs to, given the innermost pool that holds it:
    /// that pool, unless `address` is the start of the buffer it was made in
    /// and it has no live buffer there — then the address names the outer
    /// buffer (which is freed or resized only once the pool inside is gone).
    /// The registry lock must be held.
    static func owner(of address: UInt, innermost: Pool) -> Pool {
        var pool = innermost
        while let host = pool.pointee.host, pool.pointee.hostBuffer == address,
              !pool.lockedQuietly({ $0.isLiveBufferStart(address) }) {
            pool = host
        }
        return pool
    }

    /// True when a live pool was made inside the buffer of `host` at `buffer`.
    static func holdsPool(_ host: Pool, buffer: UInt) -> Bool {
        Platform.globalLock()
        defer { Platform.globalUnlock() }
        return firstPool { $0.pointee.host == host && $0.pointee.hostBuffer == buffer } != nil
    }
}

extension PoolState {
    /// True when a live buffer starts at `address`. O(regions).
    mutating func isLiveBufferStart(_ address: UInt) -> Bool { liveExtent(at: address) != nil }

    /// The requested bytes and the block of the live buffer that starts at
    /// `address`, or nil; reports nothing. O(regions).
    mutating func liveExtent(at address: UInt) -> (requested: UInt, blockBytes: UInt)? {
        let region = regionIndex(of: address)
        guard region >= 0, let block = block(startingAt: address, in: region), block.state == .allocated else { return nil }
        let bytes = blockSize(block.order)
        return (bytes &- slack(ofAllocated: address, order: block.order, in: region), bytes)
    }

    /// The start of the live buffer whose requested bytes hold all of
    /// [memory, memory + size), or nil. O(regions + orders).
    mutating func liveBufferStart(holding memory: UInt, size: UInt) -> UInt? {
        let region = regionIndex(of: memory)
        guard region >= 0, let block = block(containing: memory, in: region), block.state == .allocated else { return nil }
        let requested = blockSize(block.order) &- slack(ofAllocated: block.address, order: block.order, in: region)
        let offset = memory &- block.address
        return offset <= requested && size <= requested &- offset ? block.address : nil
    }
}

extension UnsafeMutablePointer where Pointee == PoolState {
    /// Frees the buffer at `address` (dmms_free, dmms_pool_free, free()):
    /// refused while it holds a live pool.
    @inline(__always)
    func freeBuffer(_ address: UInt) -> dmms_status_t {
        if holdsLivePool(address) { return DMMSStatus.busy }
        // As allocate (API/Allocation.swift): the default config's constant copy.
        if pointee.plain { return free(address, holding: Platform.lock(poolLock), modes: PlainModes.self) }
        if pointee.watched { return freeWatched(address) }
        return free(address, holding: lock(), modes: PoolModes.self)
    }

    /// Resizes the buffer at `address` (dmms_pool_realloc, realloc()); 0 when
    /// it cannot, the buffer untouched — also while it holds a live pool.
    @inline(__always)
    func reallocateBuffer(_ address: UInt, size: UInt, site: CallSite) -> UInt {
        if holdsLivePool(address) { return 0 }
        if pointee.watched { return reallocateWatched(address, size: size, site: site) }
        return locked { $0.reallocate(address, size: size, site: site) }
    }

    /// True, and reported as DMMS_E_BUSY, when the buffer at `address` holds
    /// a live pool. One load when no pool was made inside this one.
    @inline(__always)
    private func holdsLivePool(_ address: UInt) -> Bool {
        guard pointee.hostedPools != 0, Registry.holdsPool(self, buffer: address) else { return false }
        locked { $0.recordError(ErrorRecord(.buffer, status: DMMSStatus.busy, pointer: address,
                                            detail: "holds a live pool: destroy that pool first")) }
        return true
    }
}
