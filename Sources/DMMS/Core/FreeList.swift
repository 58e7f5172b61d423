// FreeList.swift — the free lists: one global and one lazy list per order.
//
// A free block holds its links in its first 16 bytes, which a write after
// free can damage, so every node is checked before it is trusted. Both
// formats detect any flipped bit, and a node copied from another block,
// order or list fails too: the check is keyed by all of them (recordKey).
//
// Lazy lists are stacks — the hot path of lazy coalescing pops and pushes
// them — so their node is the cheapest check there is, in machine words:
//
//   word 0: next (address, 0 = none)
//   word 1: next ^ key                  a node verifies when w0 ^ w1 == key
//
// Global lists are doubly linked (a join unlinks a buddy from the middle):
//
//   word 0: next (signed offset from the pool header, in 16-byte units, 44 bits) | check bits 0-19
//   word 1: prev (same encoding)                                                | check bits 20-39
//
// A global node's check is 40 bits and linear, so some multi-bit damage
// passes it: its next link is also checked against the map, which does not
// lie. The head's prev link is never read: a pop leaves the next node
// untouched (one cache miss, not two), and that node's stale prev is ignored
// while it is the head. A damaged node is quarantined and its list rebuilt
// from the block map, which is the source of truth; the lists only index it.
//
// A free block of 32 bytes or more also holds a keyed pattern in its last 8
// bytes (its free tail), written as it becomes free and checked as it stops
// being free: what an underflow of the buffer above it writes first, or a
// write after free at its end. (With DMMS_F_FILL_FREE the fill covers them.)
// A global push writes it and a global pop checks it; a lazy block, the hot
// path's, gets it from the free that made it (releaseBuffer) and is checked
// by the allocation that takes it (allocate) or the join (joinOneLazy).

struct FreeNode {
    static let size = 16
    var next: UInt
    var prev: UInt
}

extension PoolState {
    @inline(__always)
    mutating func encodeLink(_ address: UInt) -> UInt64 {
        if address == 0 { return 0 }
        let units = Int64(Int(bitPattern: address &- base)) >> 4
        return UInt64(bitPattern: units) & 0xFFF_FFFF_FFFF
    }

    @inline(__always)
    mutating func decodeLink(_ bits: UInt64) -> UInt {
        if bits == 0 { return 0 }
        let units = Int64(bitPattern: bits << 20) >> 20
        return base &+ UInt(bitPattern: Int(truncatingIfNeeded: units << 4))
    }

    /// The 40 check bits of a global node: its links folded with its key.
    @inline(__always)
    func globalCheck(key: UInt64, next: UInt64, prev: UInt64) -> UInt64 {
        fold40(next ^ (prev << 23 | prev >> 41) ^ key)
    }

    @inline(__always)
    mutating func writeNode(_ block: UInt, order: Int, state: BlockState, next: UInt, prev: UInt) {
        writeNode(block, key: blockKey(block), order: order, state: state, next: next, prev: prev)
    }

    /// Writes the node of `block` (`key` is blockKey(block)).
    @inline(__always)
    mutating func writeNode(_ block: UInt, key: Key, order: Int, state: BlockState, next: UInt, prev: UInt) {
        let key = recordKey(key, order: order, state: state)
        if state == .lazyFree { return writeLazyNode(block, key: key, next: next) }
        let words = UnsafeMutablePointer<UInt64>(bitPattern: block).unsafelyUnwrapped
        let n = encodeLink(next), p = encodeLink(prev)
        let check = globalCheck(key: UInt64(key), next: n, prev: p)
        words[0] = n << 20 | check & 0xFFFFF
        words[1] = p << 20 | check >> 20
    }

    /// A lazy node (`key`: its recordKey): next, and next ^ key, in words.
    @inline(__always)
    func writeLazyNode(_ block: UInt, key: Key, next: UInt) {
        let words = UnsafeMutablePointer<UInt>(bitPattern: block).unsafelyUnwrapped
        words[0] = next
        words[1] = next ^ key
    }

    @inline(__always)
    mutating func readNode(_ block: UInt, order: Int, state: BlockState) -> FreeNode? {
        readNode(block, key: blockKey(block), order: order, state: state)
    }

    /// The node of a free block (`key` is blockKey(block)), or nil when it
    /// fails its check — or, in a global list, when its next link leads
    /// anywhere but to a block the map tags free in the same list (prev is
    /// checked where it is followed: a head's prev is stale by design).
    @inline(__always)
    mutating func readNode(_ block: UInt, key: Key, order: Int, state: BlockState) -> FreeNode? {
        let key = recordKey(key, order: order, state: state)
        if state == .lazyFree {
            let words = UnsafePointer<UInt>(bitPattern: block).unsafelyUnwrapped
            let next = words[0]
            guard next ^ words[1] == key else { return nil }
            internalCheck(isListed(next, order: order, state: state), "a lazy node that verifies leads to its list")
            return FreeNode(next: next, prev: 0)
        }
        let words = UnsafePointer<UInt64>(bitPattern: block).unsafelyUnwrapped
        let w0 = words[0], w1 = words[1]
        let n = w0 >> 20, p = w1 >> 20
        guard w0 & 0xFFFFF | (w1 & 0xFFFFF) << 20 == globalCheck(key: UInt64(key), next: n, prev: p) else { return nil }
        let node = FreeNode(next: decodeLink(n), prev: decodeLink(p))
        guard isListed(node.next, order: order, state: state) else { return nil }
        return node
    }

    /// True for 0 (no link) and for a block the map tags free at (order, state).
    @inline(__always)
    mutating func isListed(_ address: UInt, order: Int, state: BlockState) -> Bool {
        if address == 0 { return true }
        let region = regionIndex(of: address)
        return region >= 0 && address & (blockSize(order) &- 1) == 0 && tag(at: address, in: region) == Tag.make(state, order)
    }

    /// The row of `order` (its lists' heads and counters), by address: the
    /// hot path names it once and touches one cache line.
    @inline(__always)
    mutating func row(_ order: Int) -> UnsafeMutablePointer<OrderRow> {
        withUnsafeMutablePointer(to: &orders) { UnsafeMutableRawPointer($0).assumingMemoryBound(to: OrderRow.self) + order }
    }

    @inline(__always)
    mutating func head(_ order: Int, _ state: BlockState) -> UInt {
        state == .lazyFree ? orders[at: order].lazyHead : orders[at: order].globalHead
    }

    @inline(__always)
    mutating func setHead(_ order: Int, _ state: BlockState, _ address: UInt) {
        let bit = orderBit(order)
        if state == .lazyFree {
            orders[at: order].lazyHead = address
            if address == 0 { lazyMask &= ~bit } else { lazyMask |= bit }
        } else {
            orders[at: order].globalHead = address
            if address == 0 { globalMask &= ~bit } else { globalMask |= bit }
        }
    }

    /// Tags `block` free in `state` (global or lazy) and pushes it on its list.
    /// Counts it in G or L; N is the caller's.
    @inline(__always)
    mutating func pushFree(_ block: UInt, order: Int, state: BlockState, region: Int) {
        pushFree(block, order: order, state: state, tag: tagPointer(block, in: region))
    }

    @inline(__always)
    mutating func pushFree(_ block: UInt, order: Int, state: BlockState, tag: UnsafeMutablePointer<UInt8>) {
        pushFree(block, key: blockKey(block), order: order, state: state, tag: tag)
    }

    /// As above, `key` being blockKey(block) (free has it already).
    @inline(__always)
    mutating func pushFree(_ block: UInt, key: Key, order: Int, state: BlockState, tag: UnsafeMutablePointer<UInt8>) {
        internalCheck(order >= 0 && order < orderLimit && state != .allocated && state != .quarantined, "a push names a free list")
        internalCheck(block != head(order, state), "a block is pushed once")
        if state == .lazyFree { return pushLazy(block, key: key, order: order, tag: tag) }
        tag.pointee = Tag.make(state, order)
        let old = head(order, state)
        writeNode(block, key: key, order: order, state: state, next: old, prev: 0)
        writeFreeTail(block, key: key, order: order)
        if state == .globalFree {
            // A damaged `old` is quarantined and the list rebuilt from the map,
            // which already tags `block` free: the rebuilt list holds and counts it.
            if old != 0, !relink(old, order: order, prev: block) { return }
            orders[at: order].globalFree &+= 1
        } else {
            orders[at: order].lazyFree &+= 1
        }
        setHead(order, state, block)
    }

    // MARK: the free tail

    /// Where a free block's tail is, or nil (see freeTailOrder).
    @inline(__always)
    mutating func freeTail(_ block: UInt, order: Int) -> UnsafeMutableRawPointer? {
        guard order >= freeTailOrder else { return nil }
        return UnsafeMutableRawPointer(bitPattern: block &+ blockSize(order) &- 8).unsafelyUnwrapped
    }

    /// The free tail holds the guard pattern of the block's key: what a live
    /// buffer's tail holds at the same place, so a buffer that had a tail
    /// goes free with it intact.
    @inline(__always)
    mutating func writeFreeTail(_ block: UInt, key: Key, order: Int) {
        freeTail(block, order: order)?.storeBytes(of: guardPattern(key).littleEndian, as: UInt64.self)
    }

    /// The offset from `block` of the first damaged byte of its free tail,
    /// or nil (intact, or none).
    @inline(__always)
    mutating func damagedFreeTail(_ block: UInt, key: Key, order: Int) -> UInt? {
        guard let tail = freeTail(block, order: order) else { return nil }
        let word = UInt64(littleEndian: tail.load(as: UInt64.self)) ^ guardPattern(key)
        return word == 0 ? nil : blockSize(order) &- 8 &+ UInt(word.trailingZeroBitCount / 8)   // lowest address first
    }

    /// Checks the tail of a free block that stops being free: damage is
    /// reported (WRITE_AFTER_FREE at the block) and counted; the block goes
    /// on as it would (its tail is written anew wherever it is free again).
    @inline(__always)
    mutating func checkFreeTail(_ block: UInt, key: Key, order: Int) {
        if let offset = damagedFreeTail(block, key: key, order: order) { reportFreeTail(block, order: order, offset: offset) }
    }

    @inline(never)
    private mutating func reportFreeTail(_ block: UInt, order: Int, offset: UInt) {
        counters.writeAfterFrees &+= 1
        recordError(ErrorRecord(.freeBlock, status: DMMSStatus.writeAfterFree, pointer: block, blockSize: UInt64(blockSize(order)),
                                offset: UInt64(offset), detail: PoolState.freeTailDamage))
    }

    static var freeTailDamage: StaticString {
        "its last 8 bytes changed: an underflow of the buffer above, or a write after free"
    }

    /// The hot path of lazy coalescing, a push and a pop, straight-line:
    /// what a free that stays lazy and an allocation that reuses its block
    /// touch — the block's first 16 bytes, its tag, its order's row, and the
    /// mask word when the list turns empty or not.
    @inline(__always)
    mutating func pushLazy(_ block: UInt, key: Key, order: Int, tag: UnsafeMutablePointer<UInt8>) {
        let row = self.row(order)
        let next = row.pointee.lazyHead
        tag.pointee = Tag.make(.lazyFree, order)
        writeLazyNode(block, key: recordKey(key, order: order, state: .lazyFree), next: next)
        row.pointee.lazyHead = block
        row.pointee.lazyFree &+= 1
        if next == 0 { lazyMask |= orderBit(order) }
    }

    /// Pops the head of the lazy list of `order` when its node checks out:
    /// the block and its key. Block 0 when the list is empty or its head is
    /// damaged (popFree repairs it).
    @inline(__always)
    mutating func popLazy(order: Int) -> (block: UInt, key: Key) {
        let row = self.row(order)
        let block = row.pointee.lazyHead
        if block == 0 { return (0, 0) }
        let key = blockKey(block)
        guard let next = readNode(block, key: key, order: order, state: .lazyFree)?.next else { return (0, 0) }
        internalCheck(isListed(block, order: order, state: .lazyFree), "a lazy list's head is tagged free in that list")
        row.pointee.lazyHead = next
        row.pointee.lazyFree &-= 1
        if next == 0 { lazyMask &= ~orderBit(order) }
        internalCheck(row.pointee.lazyFree < UInt64.max / 2, "a free count never goes below zero")
        return (block, key)
    }

    /// Pops the head of a list: a block address, or 0 when the list is empty.
    /// Damaged nodes met on the way are quarantined (and reported).
    @inline(__always)
    mutating func popFree(order: Int, state: BlockState) -> UInt {
        while true {
            let block = head(order, state)
            if block == 0 { return 0 }
            if state == .lazyFree {
                if popLazy(order: order).block == block { return block }
                repairList(order: order, state: state, damaged: block)
                continue
            }
            guard let node = readNode(block, order: order, state: state) else {
                repairList(order: order, state: state, damaged: block)
                continue
            }
            internalCheck(isListed(block, order: order, state: state), "a list's head is tagged free in that list")
            checkFreeTail(block, key: blockKey(block), order: order)
            setHead(order, state, node.next)
            orders[at: order].globalFree &-= 1
            internalCheck(orders[at: order].globalFree < UInt64.max / 2, "a free count never goes below zero")
            internalCheck((head(order, state) == 0) == (globalMask & orderBit(order) == 0),
                          "a list's mask bit says whether it is empty")
            return block
        }
    }

    /// Removes a globally free block from the middle of its list. False when
    /// the block itself was damaged (and is now quarantined, not free).
    mutating func unlinkGlobal(_ block: UInt, order: Int) -> Bool {
        while true {
            guard let node = readNode(block, order: order, state: .globalFree) else {
                repairList(order: order, state: .globalFree, damaged: block)
                return false
            }
            let isHead = orders[at: order].globalHead == block
            if !isHead {
                if node.prev == 0 || !isListed(node.prev, order: order, state: .globalFree) {
                    repairList(order: order, state: .globalFree, damaged: block)
                    return false
                }
                guard let before = readNode(node.prev, order: order, state: .globalFree), before.next == block else {
                    repairList(order: order, state: .globalFree, damaged: node.prev)
                    continue
                }
                writeNode(node.prev, order: order, state: .globalFree, next: node.next, prev: before.prev)
            }
            if !isHead, node.next != 0, !relink(node.next, order: order, prev: node.prev) {
                continue
            }
            if isHead { setHead(order, .globalFree, node.next) }
            orders[at: order].globalFree &-= 1
            checkFreeTail(block, key: blockKey(block), order: order)
            return true
        }
    }

    /// Rewrites the prev link of a global node. False when that node was
    /// damaged: it is quarantined and the list rebuilt.
    @inline(__always)
    private mutating func relink(_ block: UInt, order: Int, prev: UInt) -> Bool {
        guard let node = readNode(block, order: order, state: .globalFree) else {
            repairList(order: order, state: .globalFree, damaged: block)
            return false
        }
        writeNode(block, order: order, state: .globalFree, next: node.next, prev: prev)
        return true
    }

    /// A node failed its check (a write after free, or a stray write):
    /// quarantine the min block that holds it, free the rest of the block,
    /// report it, and rebuild the list from the block map. O(blocks): runs
    /// only when damage is found.
    ///   [ ##### damaged free block ##### ] => [q][ ][ -- ][ ---- free ---- ]
    mutating func repairList(order: Int, state: BlockState, damaged: UInt) {
        let region = regionIndex(of: damaged)
        if region >= 0, tag(at: damaged, in: region) == Tag.make(state, order) {
            if state == .lazyFree { orders[at: order].lazyFree &-= 1 } else { orders[at: order].globalFree &-= 1 }
            // The upper halves are free memory (their buddies are not free); the
            // first min block is quarantined, counted at no size.
            splitOff(damaged, from: order, to: 0, region: region, tag: Tag.make(.quarantined, 0), fillHalves: false)
            counters.bytesQuarantined &+= minBlockSize
            counters.corruptions &+= 1
            recordError(ErrorRecord(.freeBlock, status: DMMSStatus.corrupt, pointer: damaged, blockSize: UInt64(blockSize(order)),
                                    detail: "its links are damaged (written after free?): its first min block is quarantined"))
        }
        rebuildList(order: order, state: state)
    }

    /// Relinks every block the map tags free at (order, state), in address order.
    mutating func rebuildList(order: Int, state: BlockState) {
        var previous: UInt = 0
        var first: UInt = 0
        var count: UInt = 0
        var cursor = BlockCursor()
        while let block = nextBlock(&cursor, states: 1 << state.rawValue) {
            if block.order != order { continue }
            if previous != 0 {
                writeNode(previous, order: order, state: state, next: block.address,
                          prev: state == .globalFree ? readNodeUnchecked(previous).prev : 0)
            } else {
                first = block.address
            }
            writeNode(block.address, order: order, state: state, next: 0, prev: state == .globalFree ? previous : 0)
            previous = block.address
            count &+= 1
        }
        setHead(order, state, first)
        if state == .lazyFree { orders[at: order].lazyFree = count } else { orders[at: order].globalFree = count }
    }

    /// The links of a node just written by rebuildList (known good).
    @inline(__always)
    private mutating func readNodeUnchecked(_ block: UInt) -> FreeNode {
        let words = UnsafePointer<UInt64>(bitPattern: block).unsafelyUnwrapped
        return FreeNode(next: decodeLink(words[0] >> 20), prev: decodeLink(words[1] >> 20))
    }
}

/// Fill byte of freed blocks (DMMS_F_FILL_FREE): not a valid pointer, not
/// zero, easy to spot.
let freeFillByte: UInt8 = 0xDD

extension PoolState {
    // MARK: free fill (DMMS_F_FILL_FREE): every byte of a free block after its links

    @inline(__always)
    mutating func fillFree(_ block: UInt, order: Int) {
        let start = UnsafeMutableRawPointer(bitPattern: block &+ UInt(FreeNode.size)).unsafelyUnwrapped
        start.initializeMemory(as: UInt8.self, repeating: freeFillByte, count: Int(blockSize(order)) &- FreeNode.size)
    }

    /// The offset from `block` of the first byte in [first, end) that is not
    /// the fill, or nil. The range is checked in 16-byte units (both bounds
    /// are multiples of 16), each of which must be all fill or all zero:
    /// memory fresh from the OS is zero and is not filled when it becomes a
    /// region (which would cost the whole region's pages at once), and the
    /// fill then reaches it a unit at a time (a buffer's block when it is
    /// freed, a node when its block is absorbed). So a write after free is
    /// seen unless it writes 16 aligned zero bytes over a whole unit.
    mutating func damagedFill(_ block: UInt, from first: UInt, to end: UInt) -> UInt? {
        let p = UnsafeRawPointer(bitPattern: block).unsafelyUnwrapped
        let fill = UInt64(freeFillByte) &* 0x0101_0101_0101_0101
        var i = Int(first)
        while i < Int(end) {
            let w0 = p.load(fromByteOffset: i, as: UInt64.self), w1 = p.load(fromByteOffset: i &+ 8, as: UInt64.self)
            if w0 != w1 || (w0 != fill && w0 != 0) {
                // The unit's expected byte: zero when either word still is.
                let expected: UInt8 = w0 == 0 || w1 == 0 ? 0 : freeFillByte
                while p.load(fromByteOffset: i, as: UInt8.self) == expected { i &+= 1 }
                return UInt(i)
            }
            i &+= 16
        }
        return nil
    }

    /// Fills a free block's links (a block absorbed into a larger one).
    @inline(__always)
    mutating func fillNode(_ block: UInt) {
        UnsafeMutableRawPointer(bitPattern: block).unsafelyUnwrapped
            .initializeMemory(as: UInt8.self, repeating: freeFillByte, count: FreeNode.size)
    }
}
