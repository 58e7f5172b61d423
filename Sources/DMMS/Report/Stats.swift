// Stats.swift — dmms_stats_t from the counters, and pool sizing advice.

import CDMMS

extension PoolState {
    var liveBufferCount: UInt64 {
        mutating get {
        var total: UInt64 = 0
        var k = 0
        while k < orderCount { total &+= UInt64(orders[at: k].inUse); k &+= 1 }
        return total
        }
    }

    /// Fills a dmms_stats_t. O(orders).
    mutating func snapshot(into out: inout dmms_stats_t) {
        out = dmms_stats_t()
        out.pool_bytes = UInt64(counters.poolBytes)
        out.overhead_bytes = UInt64(counters.overheadBytes)
        out.bytes_alloc = UInt64(counters.bytesAlloc)
        out.max_bytes_alloc = UInt64(counters.maxBytesAlloc)
        out.bytes_requested = UInt64(counters.bytesRequested)
        out.failed_allocs = counters.failedAllocs
        out.splits = counters.splits
        out.merges = counters.merges
        out.overruns = counters.overruns
        out.bad_frees = counters.badFrees
        out.double_frees = counters.doubleFrees
        out.corruptions = counters.corruptions
        out.min_block = UInt64(minBlockSize)
        out.order_count = UInt32(orderCount)
        out.coalesce = coalesce
        defer { out.total_frees = out.total_allocs &- out.blocks_alloc &- counters.quarantinedBuffers }
        withUnsafeMutablePointer(to: &out.orders) { tuple in
            let rows = UnsafeMutableRawPointer(tuple).assumingMemoryBound(to: dmms_order_stats_t.self)
            var k = 0
            while k < orderCount {
                let o = orders[at: k]
                let size = UInt64(blockSize(k))
                let free = UInt64(o.globalFree &+ o.lazyFree)
                rows[k] = dmms_order_stats_t(block_size: size, in_use: UInt64(o.inUse), high_water: UInt64(o.highWater),
                                             free_blocks: free, lazy_free: UInt64(o.lazyFree), allocs: o.allocs, failures: o.failures)
                out.blocks_free &+= free
                out.bytes_free &+= free &* size
                if free > 0 { out.max_block_free = size }
                out.blocks_alloc &+= UInt64(o.inUse)
                out.total_allocs &+= o.allocs
                k &+= 1
            }
        }
    }

    /// Block bytes ever allocated (memPartShow's cumulative row).
    var cumulativeBytes: UInt64 {
        mutating get {
            var total: UInt64 = 0
            var k = 0
            while k < orderCount { total &+= orders[at: k].allocs &* UInt64(blockSize(k)); k &+= 1 }
            return total
        }
    }

    mutating func resetPeaks() {
        var k = 0
        while k < orderCount { orders[at: k].highWater = orders[at: k].inUse; k &+= 1 }
        counters.maxBytesAlloc = counters.bytesAlloc
    }

    /// The smallest power of two that holds every size at its high-water mark
    /// at once, plus the metadata a pool of that size needs.
    var suggestedPoolSize: UInt64 {
        mutating get {
        var needed: UInt64 = 0
        var k = 0
        while k < orderCount { needed &+= UInt64(orders[at: k].highWater &* blockSize(k)); k &+= 1 }
        let blocks = UInt(ceilPowerOfTwo(UInt(max(needed, UInt64(minBlockSize)))))
        return UInt64(blocks &+ config.metadataBytes(forData: blocks, firstRegion: true))
        }
    }
}

extension dmms_stats_t {
    /// Calls `body` with each valid row of orders[] (a C array, which Swift
    /// imports as a tuple) and its index.
    mutating func forEachOrder(_ body: (Int, dmms_order_stats_t) -> Void) {
        let count = Int(order_count)
        withUnsafePointer(to: &orders) { tuple in
            let rows = UnsafeRawPointer(tuple).assumingMemoryBound(to: dmms_order_stats_t.self)
            var k = 0
            while k < count {
                body(k, rows[k])
                k &+= 1
            }
        }
    }
}

/// What the reports show of a pool, taken under one hold of its lock:
/// dmms_stats_t and the figures beyond it.
struct PoolFigures {
    var stats = dmms_stats_t()
    var counters = PoolCounters()
    var cumulativeBytes: UInt64 = 0
    var sequence: UInt64 = 0
    var suggestedPoolSize: UInt64 = 0
    var owners: UInt64 = 0
    /// Per block size, the lazily free blocks the reuse cache holds (of
    /// lazy_free; Coalescing.swift): only the built-in pools have one.
    var cached = InlineArray<16, UInt64>(repeating: 0)

    /// The one list of a pool's figures, each by its name (dmms_stats_t's
    /// where it has one), in the order dmms_show and the JSON report print
    /// them.
    func forEach(_ body: (StaticString, UInt64) -> Void) {
        body("pool_bytes", stats.pool_bytes)
        body("overhead_bytes", stats.overhead_bytes)
        body("bytes_free", stats.bytes_free)
        body("blocks_free", stats.blocks_free)
        body("max_block_free", stats.max_block_free)
        body("bytes_alloc", stats.bytes_alloc)
        body("blocks_alloc", stats.blocks_alloc)
        body("max_bytes_alloc", stats.max_bytes_alloc)
        body("bytes_requested", stats.bytes_requested)
        body("total_allocs", stats.total_allocs)
        body("total_frees", stats.total_frees)
        body("failed_allocs", stats.failed_allocs)
        body("splits", stats.splits)
        body("merges", stats.merges)
        body("demand_joins", counters.demandJoins)
        body("most_joins_in_a_call", counters.mostJoinsInACall)
        body("join_budget_failures", counters.joinBudgetFailures)
        body("overruns", stats.overruns)
        body("bad_frees", stats.bad_frees)
        body("double_frees", stats.double_frees)
        body("corruptions", stats.corruptions)
        body("writes_after_free", counters.writeAfterFrees)
        body("undelivered_errors", counters.undeliveredErrors)
        body("deferred_frees", counters.deferredFrees)
        body("bytes_quarantined", UInt64(counters.bytesQuarantined))
        body("cumulative_bytes", cumulativeBytes)
        body("sequence", sequence)
        body("suggested_pool_size", suggestedPoolSize)
        body("owners", owners)
    }

    /// Likewise for one block size (dmms_order_stats_t, and of its lazily
    /// free blocks those the reuse cache holds).
    static func forEach(of order: dmms_order_stats_t, cached: UInt64, _ body: (StaticString, UInt64) -> Void) {
        body("block_size", order.block_size)
        body("in_use", order.in_use)
        body("high_water", order.high_water)
        body("free_blocks", order.free_blocks)
        body("lazy_free", order.lazy_free)
        body("cached", cached)
        body("allocs", order.allocs)
        body("failures", order.failures)
    }
}

extension PoolState {
    /// Fills `figures` in place (dmms_stats_t is kilobytes: a report on a
    /// small task's stack keeps one copy).
    mutating func snapshot(into figures: inout PoolFigures) {
        snapshot(into: &figures.stats)
        figures.counters = counters
        figures.cumulativeBytes = cumulativeBytes
        figures.sequence = sequence
        figures.suggestedPoolSize = suggestedPoolSize
        figures.owners = UInt64(ownerCount)
        var k = 0
        while k < cacheOrders {
            figures.cached[at: k] = UInt64(cached(k))
            k &+= 1
        }
    }
}
