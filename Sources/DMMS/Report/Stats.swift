// Stats.swift — dmms_stats_t from the counters, and pool sizing advice.

import CDMMS

extension PoolState {
    var liveBufferCount: UInt64 {
        mutating get {
        var total: UInt64 = 0
        var k = 0
        while k < orderCount { total &+= orders[at: k].inUse; k &+= 1 }
        return total
        }
    }

    /// Fills a dmms_stats_t. O(orders).
    mutating func snapshot(into out: inout dmms_stats_t) {
        out = dmms_stats_t()
        out.pool_bytes = counters.poolBytes
        out.overhead_bytes = counters.overheadBytes
        out.bytes_alloc = counters.bytesAlloc
        out.max_bytes_alloc = counters.maxBytesAlloc
        out.bytes_requested = counters.bytesRequested
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
                let free = o.globalFree &+ o.lazyFree
                rows[k] = dmms_order_stats_t(block_size: size, in_use: o.inUse, high_water: o.highWater,
                                             free_blocks: free, lazy_free: o.lazyFree, allocs: o.allocs, failures: o.failures)
                out.blocks_free &+= free
                out.bytes_free &+= free &* size
                if free > 0 { out.max_block_free = size }
                out.blocks_alloc &+= o.inUse
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
        while k < orderCount { needed &+= orders[at: k].highWater &* UInt64(blockSize(k)); k &+= 1 }
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
