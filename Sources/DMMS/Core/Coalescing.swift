// Coalescing.swift — splitting and joining blocks, and the slack rule that
// decides when a freed block joins (Barkley & Lee, "A lazy buddy system
// bounded by two coalescing delays", 1989).
//
// Per order k, with N blocks in existence, L lazily free, G globally free,
// D = N - 2L - G (= in use - L: see OrderRow). Freeing a block of order k:
//   D >= 2  keep it lazily free: a push, no join;
//   D == 1  free it globally and join it as far as it goes;
//   D == 0  the same, and also join one lazily free block of order k.
// So a free costs at most two joins, each O(orders), and D >= 0 always: when
// every buffer is back, nothing is lazy and the pool is its top blocks again.
//
// The reuse cache (the built-in pools: the default pool and the malloc
// replacement's arenas). A size whose last buffer is freed and allocated
// again — a program's malloc loop — has D = 1 at each free: every free would
// join the block as far as it goes and every allocation split it back down,
// O(orders) each way. So for blocks of 4 KiB or less such a pool keeps up to
// cacheDepth blocks per size lazily free beyond the rule: the blocks the rule
// would join at a free (the freed one, and at D = 0 one lazy block) go to the
// cache instead while it has room. The rule sees them as not there (D = in
// use - the other lazy blocks), so it holds exactly for the rest; they are
// reused first, joined on demand like any lazy block when a request needs
// them, and counted in `cached` (dmms_show, the JSON).

import CDMMS

extension PoolState {
    // MARK: split

    /// A free block for a buffer of `order` (not yet tagged allocated) and
    /// its key, or block 0 when no free block is large enough (after the
    /// default pool's growth).
    /// The steady state of lazy coalescing is a block freed at this size,
    /// reused whole: a pop, here. Anything else is out of line (takeSplit).
    /// (`fillsFree`: DMMS_F_FILL_FREE, as the caller's modes have it.)
    @inline(__always)
    mutating func takeBlock(order: Int, fillsFree: Bool) -> (block: UInt, key: Key) {
        if !fillsFree {   // FILL_FREE checks the fill of every block it hands out: takeSplit does
            let popped = popLazy(order: order)
            if popped.block != 0 { return popped }
        }
        let block = takeSplit(order: order)
        return (block, block == 0 ? 0 : blockKey(block))
    }

    /// Repairs a damaged lazy head, splits a larger block, joins lazy blocks
    /// on demand, grows the default pool: whatever a pop could not do.
    @inline(never)
    private mutating func takeSplit(order: Int) -> UInt {
        if let block = takeAndSplit(order: order) { return block }
        if growsFromOS, grow(toHold: order), let block = takeAndSplit(order: order) { return block }
        return 0
    }

    /// Takes a free block of order >= `order` and splits it down to `order`;
    /// every upper half goes globally free. nil when no free block is large
    /// enough. Lazy blocks are taken first at each size: they are the
    /// cheapest to reuse and the global ones are the ones that can still join.
    private mutating func takeAndSplit(order: Int) -> UInt? {
        while true {
            var from = lowestSetBit(globalMask | lazyMask, from: order)
            if from < 0 {
                if coalesce == UInt32(DMMS_COALESCE_EAGER) || !joinLazy(below: order) { return nil }
                from = lowestSetBit(globalMask | lazyMask, from: order)
                if from < 0 { return nil }
            }
            let state: BlockState = lazyMask & orderBit(from) != 0 ? .lazyFree : .globalFree
            internalCheck(listsEmpty(from: order, below: from), "split takes the smallest block there is: every list between is empty")
            let block = popFree(order: from, state: state)
            if block == 0 { continue }  // every node of that list was damaged; look again
            if fillsFree { verifyFill(block, taking: order, from: from) }
            if from > order { split(block, from: from, to: order, region: regionIndex(of: block)) }
            writeFreeTail(block, key: blockKey(block), order: order)   // checked (popFree): allocate checks it again
            return block
        }
    }

    /// With DMMS_F_FILL_FREE, a free block leaving the free lists (absorbed
    /// by a buffer growing in place) must still hold the fill: damage is
    /// reported, then the fill restored, so it is reported once.
    @inline(__always)
    mutating func verifyFill(_ block: UInt, order: Int) {
        guard fillsFree, let offset = damagedFill(block, from: UInt(FreeNode.size), to: blockSize(order)) else { return }
        reportFillDamage(block, order: order, offset: offset)
        fillFree(block, order: order)
    }

    /// The same for a block of `from` split down to a buffer of `order`: only
    /// what the split hands out or writes over is checked — the buffer's
    /// block and the first bytes of each upper half, where its links go. The
    /// rest of each half is checked when it is handed out in turn, so the work
    /// is proportional to the buffer, never to the block it is split from
    /// (a buffer of 8 bytes from a pool of 64 MiB checks 32 bytes, not 64 MiB).
    mutating func verifyFill(_ block: UInt, taking order: Int, from: Int) {
        var offset = damagedFill(block, from: UInt(FreeNode.size), to: blockSize(order))
        var k = order
        while offset == nil && k < from {
            offset = damagedFill(block, from: blockSize(k), to: blockSize(k) &+ UInt(FreeNode.size))
            k &+= 1
        }
        if let offset = offset { reportFillDamage(block, order: from, offset: offset) }
    }

    private mutating func reportFillDamage(_ block: UInt, order: Int, offset: UInt) {
        counters.writeAfterFrees &+= 1
        recordError(ErrorRecord(.freeBlock, status: DMMSStatus.writeAfterFree, pointer: block,
                                blockSize: UInt64(blockSize(order)), offset: UInt64(offset)))
    }

    /// [ ------- from ------- ] => [ to ][ to ][ -- from-1 -- ]... upper halves freed globally.
    @inline(__always)
    mutating func split(_ block: UInt, from: Int, to: Int, region: Int) {
        splitOff(block, from: from, to: to, region: region, tag: Tag.make(.allocated, to), fillHalves: false)
        counters.splits &+= UInt64(from &- to)
    }

    /// True when every list of the orders in `first..<end` is empty (heads
    /// read, not masks: the check is of the masks).
    mutating func listsEmpty(from first: Int, below end: Int) -> Bool {
        var k = first
        while k < end {
            if orders[at: k].globalHead != 0 || orders[at: k].lazyHead != 0 { return false }
            k &+= 1
        }
        return true
    }

    /// The one split of the pool: the block at `block` keeps its lower part,
    /// now of order `to` and tagged `tag`, and each upper half goes globally
    /// free (filled first with `fillHalves`). The map says the new size before
    /// any half is pushed: a push that meets a damaged node rebuilds that list
    /// from the map, which steps by block sizes and must not step over (or
    /// re-list) the block being split. The caller counts splits.
    ///   [ -------- from -------- ] => [ to ][ to ][ --- from-1 --- ]
    @inline(__always)
    mutating func splitOff(_ block: UInt, from: Int, to: Int, region: Int, tag: UInt8, fillHalves: Bool) {
        internalCheck(to <= from && from < orderLimit && region >= 0 && region < regionCount, "split orders and region in range")
        internalCheck(block & (blockSize(from) &- 1) == 0, "a block is aligned to its size")
        tagPointer(block, in: region).pointee = tag
        var k = from
        while k > to {
            k &-= 1
            let upper = block &+ blockSize(k)
            if fillHalves { fillFree(upper, order: k) }
            pushFree(upper, order: k, state: .globalFree, region: region)
        }
    }

    /// The one join of the pool: takes the globally free `buddy` of order
    /// `order` off its list and clears the upper block's tag, counting the
    /// join. False, with nothing joined, when the buddy's links were damaged
    /// (it is quarantined now).
    ///   [ lower ][ upper ] => [ ---- lower ---- ]
    @inline(__always)
    mutating func absorb(_ buddy: UInt, into block: UInt, order: Int, region: Int) -> Bool {
        if !unlinkGlobal(buddy, order: order) { return false }
        clearTag(at: max(block, buddy), in: region)
        counters.merges &+= 1
        return true
    }

    // MARK: join

    /// Frees a block (in no list, no longer in use) globally and joins it
    /// with globally free buddies as far as possible:
    /// [ this ][ buddy ] => [ --- this --- ]
    mutating func freeGlobally(_ block: UInt, order: Int, region: Int) {
        var address = block
        var k = order
        while k &+ 1 < orderLimit {
            let size = blockSize(k)
            let buddy = address ^ size
            if !regions[at: region].contains(buddy) || tag(at: buddy, in: region) != Tag.make(.globalFree, k) { break }
            if !absorb(buddy, into: address, order: k, region: region) { break }
            if fillsFree { fillNode(max(address, buddy)) }   // the upper one's links are inside the joined block now
            address = min(address, buddy)
            k &+= 1
        }
        pushFree(address, order: k, state: .globalFree, region: region)
    }

    /// Frees a block by the pool's policy, `coalesce` (the caller's modes
    /// have it; the block is no longer counted in use).
    @inline(__always)
    mutating func release(_ block: UInt, key: Key, order: Int, region: Int, tag: UnsafeMutablePointer<UInt8>, coalesce: UInt32) {
        // D as the rule reads it: with the freed block still allocated. The
        // reuse cache's blocks only ever add to it, so D >= 2 here decides
        // without them (the common case).
        let d = orders[at: order].lazyCredit &+ 1
        internalCheck(coalesce != UInt32(DMMS_COALESCE_LAZY) || slackD(order) &+ 1 >= 0, "the slack rule: D >= 0 before every free")
        if coalesce == UInt32(DMMS_COALESCE_ON_DEMAND) || (coalesce == UInt32(DMMS_COALESCE_LAZY) && d >= 2) {
            pushLazy(block, key: key, order: order, tag: tag)
        } else {
            releaseGlobally(block, key: key, order: order, region: region, tag: tag, credit: d)
        }
    }

    /// A free that joins: eager coalescing always, lazy coalescing at D <= 1
    /// — unless the reuse cache takes the block.
    @inline(never)
    private mutating func releaseGlobally(_ block: UInt, key: Key, order: Int, region: Int,
                                          tag: UnsafeMutablePointer<UInt8>, credit: Int) {
        var d = credit
        var held: UInt = 0   // the cache's blocks at this order (freeGlobally does not change them)
        if Platform.hosted && order < cacheOrders && coalesce == UInt32(DMMS_COALESCE_LAZY) {
            held = cached(order)
            d &+= Int(held)                                 // the rule's D: the cache's blocks set aside
            if d >= 2 { return pushLazy(block, key: key, order: order, tag: tag) }
            // The rule would join this block, and at D = 0 one lazy block it
            // counts: the cache takes both instead, while it has room.
            let taken = d <= 0 && orders[at: order].lazyFree > held ? UInt(2) : 1
            if held &+ taken <= UInt(PoolState.cacheDepth) {
                checkBuddyAsAJoinWould(block, order: order, region: region)
                cachedCounts[at: order] = UInt8(truncatingIfNeeded: held &+ taken)
                return pushLazy(block, key: key, order: order, tag: tag)
            }
        }
        freeGlobally(block, order: order, region: region)
        // D = 0: join one lazily free block the rule counts (not one of the cache's).
        if coalesce == UInt32(DMMS_COALESCE_LAZY) && d <= 0 && orders[at: order].lazyFree > held {
            joinOneLazy(order: order)
        }
    }

    /// Re-applies the slack rule after a step that removed a block from order
    /// `order` without a free (an in-place realloc, a quarantine): D must not
    /// go negative, or the pool could never return to its top blocks.
    @inline(__always)
    mutating func restoreLazyCredit(order: Int) {
        if coalesce != UInt32(DMMS_COALESCE_LAZY) { return }
        while slackD(order) < 0 && orders[at: order].lazyFree > 0 {
            if !joinOneLazy(order: order) { return }
        }
    }

    // MARK: the reuse cache

    /// Lazily free blocks of `order` the reuse cache holds beyond what the
    /// slack rule allows: the count it took (cachedCounts), less any since
    /// taken from the lazy list — the list does not tell them apart, and an
    /// allocation that pops a lazy block takes the cache's first.
    @inline(__always)
    mutating func cached(_ order: Int) -> UInt {
        Platform.hosted && order < cacheOrders ? min(UInt(cachedCounts[at: order]), orders[at: order].lazyFree) : 0
    }

    /// What joining `block` would have checked of its free buddy (the free
    /// block next to it): its links and its free tail, damage reported (and
    /// its list repaired) as the join would, and its fill, as handing out the
    /// joined block would (the same size as the freed one). The cache keeps the block
    /// instead of joining it, and the checks go with it: a write after free
    /// into the buddy, or an underflow of `block` into it, is still found at
    /// this free. A lazy buddy (which a join leaves alone) is checked too.
    private mutating func checkBuddyAsAJoinWould(_ block: UInt, order: Int, region: Int) {
        let buddy = block ^ blockSize(order)
        guard regions[at: region].contains(buddy) else { return }
        let t = tag(at: buddy, in: region)
        let state: BlockState
        if t == Tag.make(.globalFree, order) { state = .globalFree }
        else if t == Tag.make(.lazyFree, order) { state = .lazyFree }
        else { return }
        let key = blockKey(buddy)
        if readNode(buddy, key: key, order: order, state: state) == nil {
            return repairList(order: order, state: state, damaged: buddy)
        }
        checkFreeTail(buddy, key: key, order: order)
        verifyFill(buddy, order: order)   // with DMMS_F_FILL_FREE: what handing the joined block out would check
    }

    /// Gives the pool a reuse cache (the built-in pools do, so never on bare
    /// metal: Platform.hosted folds the cache away there): for blocks up to
    /// largestCachedBlock, under lazy coalescing (eager keeps no lazy block).
    mutating func keepReuseCache() {
        if coalesce != UInt32(DMMS_COALESCE_LAZY) { return }
        var k = 0
        while k < min(orderLimit, 16) && blockSize(k) <= PoolState.largestCachedBlock { k &+= 1 }
        cacheOrders = k
    }

    /// Barkley & Lee's D at `order` (see the top of this file): in use less
    /// the lazily free blocks the rule counts, those beyond the cache's.
    @inline(__always)
    mutating func slackD(_ order: Int) -> Int { orders[at: order].lazyCredit &+ Int(cached(order)) }

    /// Frees one lazily free block of `order` globally (and joins it).
    @discardableResult
    @inline(__always)
    mutating func joinOneLazy(order: Int) -> Bool {
        let block = popFree(order: order, state: .lazyFree)
        if block == 0 { return false }
        checkFreeTail(block, key: blockKey(block), order: order)
        freeGlobally(block, order: order, region: regionIndex(of: block))
        return true
    }

    /// A request found no free block: join lazily free blocks below its
    /// order, smallest first, until a block of that order appears, none is
    /// left, or the call's budget (max_joins) is spent. Without a budget no
    /// request fails that eager coalescing would have met. A join frees one
    /// lazy block globally and joins it as far as it goes, O(orders); the
    /// joins, O(lazily free blocks) without a budget, are the one step whose
    /// work the slack rule does not bound. Counted in demandJoins (requests)
    /// and mostJoinsInACall. True when a block of `order` or larger is free.
    mutating func joinLazy(below order: Int) -> Bool {
        var joins: UInt64 = 0
        defer {
            if joins > 0 {
                counters.demandJoins &+= 1
                counters.mostJoinsInACall = max(counters.mostJoinsInACall, joins)
            }
        }
        var k = 0
        while k < order {
            while lazyMask & orderBit(k) != 0 {
                if maxJoins != 0 && joins == UInt64(maxJoins) { return false }   // the budget: fail now, later calls go on
                if !joinOneLazy(order: k) { break }
                joins &+= 1
                if lowestSetBit(globalMask | lazyMask, from: order) >= 0 { return true }
            }
            k &+= 1
        }
        return false
    }

    /// Lazily free blocks below `order`: what a request the join budget
    /// stopped leaves for later calls to join. O(orders).
    mutating func lazyBlocks(below order: Int) -> UInt {
        var total: UInt = 0
        var k = 0
        while k < order { total &+= orders[at: k].lazyFree; k &+= 1 }
        return total
    }

    // MARK: carving a region into top blocks

    /// Carves [start, end) into the largest blocks aligned to their own size,
    /// all globally free. No two of them are buddies (a larger block would
    /// have been taken), so joining stops at each top block by itself.
    mutating func carve(region: Int) {
        var address = regions[at: region].start
        let end = regions[at: region].end
        while address < end {
            var k = min(orderLimit &- 1, log2(ofPowerOfTwo: address & (0 &- address)) &- minBlockShift)
            while k > 0 && address &+ blockSize(k) > end { k &-= 1 }
            orderCount = max(orderCount, k &+ 1)
            // Mapped memory is zero, which the fill check accepts (damagedFill):
            // its pages stay untouched until used.
            if fillsFree && !regions[at: region].mapped { fillFree(address, order: k) }
            pushFree(address, order: k, state: .globalFree, region: region)
            address &+= blockSize(k)
        }
    }
}
