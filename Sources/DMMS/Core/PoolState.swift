// PoolState.swift — the pool header: everything a pool knows, in the pool's memory.
//
// Memory of a pool (and of every region added later):
//
//   [ top blocks ............................ ][ block map ][ owner table ][ header ]
//   ^ start (aligned to min block)                          (first region only)
//
// The blocks come first so that memory aligned to a power of two holds one
// top block of that size. The block map (BlockMap.swift) is the trusted
// record of every block: the user can overrun a buffer into the next buffer,
// never into the map. What the user *can* reach — free-list links in free
// blocks, the owner record at the end of a live buffer — is checksummed.
//
// Every method on PoolState is `mutating`, readers included. The header is
// always reached through a pointer into pool memory; a non-mutating method
// called from a mutating one makes Swift copy the whole header (kilobytes)
// to protect value semantics from the raw-pointer reads inside it.

import CDMMS

/// One block size (order): its two free lists' heads and its counters —
/// everything a pop or a push at that size touches, in one cache line.
///
/// N, the blocks that exist at this order, is not kept: it is inUse + L + G
/// (a quarantined block exists at no order). So splitting and joining move
/// blocks between lists and nothing else.
///
/// Counts of blocks are words: no more blocks than bytes can exist (a 32-bit
/// target adds them in one instruction, not two). Counts of events are 64-bit:
/// a long-running program can make more than 2^32 allocations.
struct OrderRow {
    /// Heads of the lazy and the global free list (addresses, 0 = empty).
    var lazyHead: UInt = 0
    var globalHead: UInt = 0
    var inUse: UInt = 0
    /// L: lazily (locally) free — kept at this size, not eligible for joining.
    var lazyFree: UInt = 0
    /// G: globally free — joined as far as possible, eligible for joining.
    var globalFree: UInt = 0
    var highWater: UInt = 0
    var allocs: UInt64 = 0
    var failures: UInt64 = 0

    /// N = inUse + L + G.
    @inline(__always) var blocks: UInt { inUse &+ lazyFree &+ globalFree }

    /// Barkley & Lee's D = N - 2L - G = inUse - L (the "slack" of their
    /// slack rule; here "credit", as "slack" names a buffer's unused bytes):
    /// how many more frees at this size may stay lazy before the size must
    /// start joining again.
    @inline(__always) var lazyCredit: Int { Int(bitPattern: inUse &- lazyFree) }
}

/// Pool-wide counters: the dmms_stats_t figures that are not per order.
/// Bytes of the pool are words, as in OrderRow; counts of events 64-bit.
struct PoolCounters {
    var poolBytes: UInt = 0
    var overheadBytes: UInt = 0
    /// Block bytes allocated now (kept, not derived: its peak is a figure).
    var bytesAlloc: UInt = 0
    var maxBytesAlloc: UInt = 0
    var bytesRequested: UInt = 0
    var bytesQuarantined: UInt = 0
    /// Buffers quarantined while live (total_frees is derived from it: every
    /// allocation ends live, freed or quarantined).
    var quarantinedBuffers: UInt64 = 0
    var failedAllocs: UInt64 = 0
    var splits: UInt64 = 0
    var merges: UInt64 = 0
    var demandJoins: UInt64 = 0
    /// The most on-demand joins one call did (never above max_joins when set).
    var mostJoinsInACall: UInt64 = 0
    /// Requests that failed because the join budget (max_joins) ran out.
    var joinBudgetFailures: UInt64 = 0
    var overruns: UInt64 = 0
    var badFrees: UInt64 = 0
    var doubleFrees: UInt64 = 0
    var corruptions: UInt64 = 0
    var writeAfterFrees: UInt64 = 0
    /// Errors a call found beyond errorsPerCall: counted and in the ring,
    /// but not handed to the handler.
    var undeliveredErrors: UInt64 = 0
    /// Frees another thread left pending while the lock was busy, freed
    /// since by a thread that took it (Registry/PendingFrees.swift).
    var deferredFrees: UInt64 = 0
}

/// One region of blocks: the pool's first memory or one added later.
struct Region {
    /// First byte of the blocks, aligned to the min block.
    var start: UInt = 0
    /// One past the last byte of the blocks.
    var end: UInt = 0
    /// The block map: one tag byte per granule from `start`.
    var map: UnsafeMutablePointer<UInt8>? = nil
    /// map - start / granule: a block's tag is at mapBias + address / granule.
    var mapBias: UInt = 0
    /// The memory the region was made from, for overlap checks and unmapping.
    var memory: UInt = 0
    var memorySize: UInt = 0
    /// True when DMMS mapped the memory and must unmap it.
    var mapped: Bool = false

    @inline(__always) func contains(_ address: UInt) -> Bool { address &- start < end &- start }
}

/// The storage of a pool's two locks (the platform's futex word, or a
/// port's lock: 64 bytes each) and of its pending frees, just below its
/// header. Not in the header: a call's access to the header (locked's inout)
/// must not cover the words other threads compare-and-swap.
struct PoolLocks {
    /// The pool lock: Pool.poolLock is its address.
    var pool = InlineArray<8, UInt64>(repeating: 0)
    /// Serialises report functions that use the owner table's scratch fields.
    var report = InlineArray<8, UInt64>(repeating: 0)
#if os(Linux)
    /// The first word: the stack of buffers other threads freed while the
    /// pool lock was busy (Registry/PendingFrees.swift); a line of its own.
    /// Bare metal has no malloc replacement, so no pending frees.
    var pending = InlineArray<8, UInt64>(repeating: 0)
#endif

    static let bytes = UInt(MemoryLayout<PoolLocks>.stride)
}

/// Where allocate and free read what the pool's config asks of each call —
/// guard, owner record, fill, coalescing, timeline: the header (PoolModes),
/// or constants (PlainModes, the default config's). A header field is read
/// again after every store the call makes (the compiler cannot tell the
/// header from the memory the call writes); a constant is folded into the
/// code. So a pool in the default config takes a copy of allocate and free
/// specialized for PlainModes (chosen by `plain` where allocate and free are
/// entered: API/Allocation.swift, Registry/Nesting.swift and PendingFrees.swift,
/// the preload's Interposer.swift),
/// and every other pool the copy that reads its header, as it always did.
protocol Modes {
    static func guardSpan(_ pool: inout PoolState) -> UInt
    static func recordSpan(_ pool: inout PoolState) -> UInt
    static func extraBytes(_ pool: inout PoolState) -> UInt
    static func fillsFree(_ pool: inout PoolState) -> Bool
    static func coalesce(_ pool: inout PoolState) -> UInt32
    static func keepsTimeline(_ pool: inout PoolState) -> Bool
}

extension Modes {
    @inline(__always) static func guarded(_ pool: inout PoolState) -> Bool { guardSpan(&pool) != 0 }
    @inline(__always) static func tracksOwners(_ pool: inout PoolState) -> Bool { recordSpan(&pool) != 0 }
    @inline(__always) static func diagnostics(_ pool: inout PoolState) -> Bool { extraBytes(&pool) != 0 }
}

/// The modes as the pool's header has them.
enum PoolModes: Modes {
    @inline(__always) static func guardSpan(_ pool: inout PoolState) -> UInt { pool.guardSpan }
    @inline(__always) static func recordSpan(_ pool: inout PoolState) -> UInt { pool.recordSpan }
    @inline(__always) static func extraBytes(_ pool: inout PoolState) -> UInt { pool.extraBytes }
    @inline(__always) static func fillsFree(_ pool: inout PoolState) -> Bool { pool.fillsFree }
    @inline(__always) static func coalesce(_ pool: inout PoolState) -> UInt32 { pool.coalesce }
    @inline(__always) static func keepsTimeline(_ pool: inout PoolState) -> Bool { pool.keepsTimeline }
}

/// The default config's modes (dmms_config_init: thread safe, an 8-byte
/// guard, owner records, lazy coalescing), with no fill and no timeline.
enum PlainModes: Modes {
    static let flags = UInt32(DMMS_F_THREAD_SAFE | DMMS_F_GUARD | DMMS_F_TRACK_OWNER)
    @inline(__always) static func guardSpan(_ pool: inout PoolState) -> UInt { 8 }
    @inline(__always) static func recordSpan(_ pool: inout PoolState) -> UInt { UInt(OwnerRecord.size) }
    @inline(__always) static func extraBytes(_ pool: inout PoolState) -> UInt { 8 &+ UInt(OwnerRecord.size) }
    @inline(__always) static func fillsFree(_ pool: inout PoolState) -> Bool { false }
    @inline(__always) static func coalesce(_ pool: inout PoolState) -> UInt32 { UInt32(DMMS_COALESCE_LAZY) }
    @inline(__always) static func keepsTimeline(_ pool: inout PoolState) -> Bool { false }
}

/// The pool header. A `dmms_pool_t *` points at one of these.
struct PoolState {
    static let liveMagic: UInt64 = 0x444d_4d53_504f_4f4c  // "DMMSPOOL"
    /// Blocks the reuse cache keeps per size at most, and the largest block it keeps.
    @inline(__always) static var cacheDepth: Int { 8 }
    @inline(__always) static var largestCachedBlock: UInt { 4096 }

    /// Shown in reports; NUL-terminated (Pool.nameCString).
    var name = InlineArray<32, UInt8>(repeating: 0)

    var magic: UInt64 = 0
    /// Key of every checksum and guard pattern: a record copied from another
    /// pool or another address does not verify.
    var secret: UInt64 = 0
    /// The header's own address: free-list links are stored relative to it.
    var base: UInt = 0
    var flags: UInt32 = 0
    var guardBytes: UInt32 = 0
    var coalesce: UInt32 = 0
    /// On-demand joins one call may do (dmms_config_t.max_joins; 0: no limit).
    var maxJoins: UInt32 = 0
    var minBlockShift: Int = 0
    var minBlockSize: UInt = 0
    var granuleShift: Int = 0
    /// Bytes a buffer needs in its block beyond what was requested: the guard
    /// (right after the requested end) and the owner record (right after it).
    /// Zero when that diagnostic is off; fixed when the pool is made.
    var guardSpan: UInt = 0
    var recordSpan: UInt = 0
    var extraBytes: UInt = 0
    /// The lowest order whose free blocks keep a free tail (FreeList.swift):
    /// 0, or 1 when min blocks are 16 bytes (their last 8 are their links);
    /// orderLimit when there are none (no DMMS_F_GUARD, or DMMS_F_FILL_FREE).
    var freeTailOrder: Int = 0
    /// Orders 0..<orderLimit are representable (block sizes fit a word).
    var orderLimit: Int = 0
    /// One past the largest order of any top block: dmms_stats_t.order_count.
    var orderCount: Int = 0

    /// Bit k set <=> the list of order k is not empty: one find-first-set
    /// finds the smallest block that can serve a request.
    var globalMask: OrderMask = 0
    var lazyMask: OrderMask = 0

    var orders = PerOrder<OrderRow>(repeating: OrderRow())
    /// The reuse cache (Coalescing.swift): orders below cacheOrders have one
    /// (0: none), and the blocks it took at each (an upper bound: see cached()).
    var cacheOrders: Int = 0
    var cachedCounts = InlineArray<16, UInt8>(repeating: 0)
    var counters = PoolCounters()
    /// Sequence number of the latest allocation.
    var sequence: UInt64 = 0

    var regionCount: Int = 0
    var regions = PerRegion<Region>(repeating: Region())

    /// The last owner looked up: a loop allocating from one task and site
    /// skips the table.
    var lastOwnerTask: UInt64 = 0
    var lastOwnerSite = CallSite()
    var lastOwnerEpoch: UInt32 = 0
    var lastOwnerIndex: UInt16 = 0
    /// The owner table (Owners.swift), in the first region's tail, and the
    /// count of live buffers of each entry right after it.
    var owners: UnsafeMutablePointer<OwnerEntry>? = nil
    var ownerLive: UnsafeMutablePointer<UInt>? = nil
    var ownerCapacity: Int = 0
    var ownerCount: Int = 0

    /// The most recent errors, for the JSON report.
    var recentErrors = ErrorRing(repeating: ErrorRecord())
    /// Errors ever recorded: the ring's next index.
    var errorCount: UInt64 = 0

    /// Next pool in the process-wide registry.
    var nextPool: UnsafeMutablePointer<PoolState>? = nil
    /// Next built-in pool (arena) of the malloc replacement; see Registry.
    var nextArena: UnsafeMutablePointer<PoolState>? = nil
    /// Built-in pools (the default pool, its arenas) grow by mapping regions
    /// when a request fails; only they do, so this also marks them as never
    /// destroyed.
    var growsFromOS: Bool = false
    /// A pool made inside a live buffer of another pool: that pool, and the
    /// buffer's start (Nesting.swift). The buffer stays live while this pool does.
    var host: UnsafeMutablePointer<PoolState>? = nil
    var hostBuffer: UInt = 0
    /// Live pools made inside this pool's buffers: while there are any, an
    /// address this pool holds may be theirs.
    var hostedPools: Int = 0
    /// Valgrind or AddressSanitizer watched when the pool was made: its
    /// regions are no-access to them but for the live buffers' requested
    /// bytes (Registry/Tools.swift). Asked once, when the pool is made, so
    /// that allocate and free pay one branch for the tools (none where there
    /// can be no tool: see `watched`).
    var watchedByTools: Bool = false
    /// This pool writes samples to the timeline's file (Report/Timeline.swift;
    /// next to watchedByTools: allocate and free read both). The bytes
    /// of the blocks allocated and freed, and when the next sample is due by
    /// those bytes and by time.
    var sampling: Bool = false {
        didSet { noteModes() }
    }
    /// The pool's modes are PlainModes' and no tool watches it (set by
    /// noteModes; see `plain`).
    var plainModes: Bool = false
    var timelineMoved: UInt64 = 0
    var nextSampleBytes: UInt64 = 0
    var nextSampleTime: UInt64 = 0

    @inline(__always) var threadSafe: Bool { flags & UInt32(DMMS_F_THREAD_SAFE) != 0 }
    @inline(__always) var guarded: Bool { guardSpan != 0 }
    @inline(__always) var tracksOwners: Bool { recordSpan != 0 }
    /// Any per-buffer check at free (guard or owner record).
    @inline(__always) var diagnostics: Bool { extraBytes != 0 }
    @inline(__always) var fillsFree: Bool { flags & UInt32(DMMS_F_FILL_FREE) != 0 }
    @inline(__always) var granule: UInt { UInt(1) &<< UInt(bitPattern: granuleShift) }
    /// watchedByTools, known false at compile time where no tool can be.
    @inline(__always) var watched: Bool { Platform.toolsPossible && watchedByTools }
    /// sampling, known false at compile time where there are no files.
    @inline(__always) var keepsTimeline: Bool { Platform.hosted && sampling }
    /// allocate and free take their PlainModes copy: the modes are PlainModes'
    /// and the build is hosted (bare metal keeps one copy, for its flash:
    /// there this is a constant false and the copy folds away).
    @inline(__always) var plain: Bool { Platform.hosted && plainModes }
    /// Sets `plainModes` from the modes, once they are set or change.
    mutating func noteModes() {
        plainModes = flags == PlainModes.flags && guardSpan == 8 && recordSpan == UInt(OwnerRecord.size)
            && coalesce == UInt32(DMMS_COALESCE_LAZY) && !keepsTimeline && !watched
    }

}

extension UnsafeMutablePointer where Pointee == PoolState {
    /// The address of the pool lock's storage, and of the report lock's:
    /// what the platform's (or the port's) lock functions take.
    @inline(__always) var poolLock: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(self) - Int(PoolLocks.bytes) + MemoryLayout<PoolLocks>.offset(of: \.pool)!
    }
    @inline(__always) var reportLock: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(self) - Int(PoolLocks.bytes) + MemoryLayout<PoolLocks>.offset(of: \.report)!
    }
    /// The head of the pending frees (on bare metal, which has none, a word
    /// never read: freePending folds away there).
    @inline(__always) var pendingFrees: UnsafeMutablePointer<UInt> {
#if os(Linux)
        let offset = MemoryLayout<PoolLocks>.offset(of: \.pending)!
#else
        let offset = MemoryLayout<PoolLocks>.offset(of: \.report)!
#endif
        return (UnsafeMutableRawPointer(self) - Int(PoolLocks.bytes) + offset).assumingMemoryBound(to: UInt.self)
    }

    /// The pool's name as a C string (it lives in the header).
    var nameCString: UnsafePointer<CChar> {
        UnsafePointer(field(MemoryLayout<PoolState>.offset(of: \.name)!).assumingMemoryBound(to: CChar.self))
    }

    @inline(__always)
    private func field(_ offset: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(self) + offset }
}
