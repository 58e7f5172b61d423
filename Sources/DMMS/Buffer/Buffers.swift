// Buffers.swift — buffers as the user sees them: allocate, free, resize.
// Blocks become buffers here: the requested size goes into the map, the
// guard after the requested end, the owner record at the block's end.

import CDMMS

/// What is wrong with a live buffer (see `damage(of:)`).
struct BufferDamage {
    /// OVERRUN (a guard byte or the tail written) or CORRUPT (the owner record).
    var status: dmms_status_t
    /// OVERRUN: the first damaged byte, from the buffer's start.
    var offset: UInt
    /// OVERRUN found in the block's tail, not in the guard.
    var inTail: Bool = false
    /// OVERRUN found below the buffer, in its region's sentinel (offset < 0).
    var below: Bool = false

    /// What the report adds to the status.
    var detail: StaticString? {
        status == DMMSStatus.corrupt ? "its owner record is damaged"
            : inTail ? PoolState.tailDamage : below ? PoolState.sentinelDamage : nil
    }
}

/// A live buffer as `examine` found it: the owner entry its intact record
/// names (-1: no owner tracking, or the record is damaged) and what is wrong
/// with it. Only what every free needs, in a few words: the report reads the
/// record again, off the hot path (a StaticString or a whole record here
/// costs free a dozen instructions more).
struct Inspection {
    var owner: Int = -1
    var damage: BufferDamage? = nil
}

/// A live buffer as the map and its owner record describe it.
struct LiveBuffer {
    var block: Block
    var slack: UInt
    var requested: UInt
    /// The block's tag in the map.
    var tag: UnsafeMutablePointer<UInt8>
    /// blockKey(block.address): the key of its guard, tail and owner record,
    /// and of its free-list node once it is freed.
    var key: Key
}

extension PoolState {
    // MARK: allocation

    /// A buffer of `size` bytes aligned to `alignment` (a power of two), or 0.
    /// Bounded work, except the on-demand join and the default pool's growth.
    @inline(__always)
    mutating func allocate(size: UInt, alignment: UInt, site: CallSite) -> UInt {
        allocate(size: size, alignment: alignment, site: site, modes: PoolModes.self)
    }

    /// allocate, reading the pool's modes from `M` (see Modes).
    @inline(__always)
    mutating func allocate<M: Modes>(size: UInt, alignment: UInt, site: CallSite, modes: M.Type) -> UInt {
        guard var order = order(forRequest: size, extraBytes: M.extraBytes(&self)) else {
            return fail(size: size, order: nil)
        }
        if alignment > minBlockSize {
            guard let alignmentOrder = self.order(forBytes: alignment) else { return fail(size: size, order: nil) }
            order = max(order, alignmentOrder)
        }
        let (block, key) = takeBlock(order: order, fillsFree: M.fillsFree(&self))
        if block == 0 { return fail(size: size, order: order) }
        let bytes = blockSize(order)
        markAllocated(tagPointer(block, in: regionIndex(of: block)), order: order, slack: bytes &- size)
        countAllocation(order: order, bytes: bytes, requested: size)
        if M.diagnostics(&self) { dressNewBuffer(block, key: key, order: order, bytes: bytes, requested: size, site: site, modes: M.self) }
        if M.keepsTimeline(&self) { timelineTick(movedOrder: order) }
        return block
    }

    /// A request that cannot be met: counted and recorded. Only the first
    /// failure of each size (and the first too large for any block) is for
    /// the default handler to print: every one is in the counters and the
    /// ring, and a program's own handler gets them all, but a stream of
    /// failures does not become a stream of writes to stderr inside calls
    /// that real-time code expects to be bounded.
    @inline(never)
    private mutating func fail(size: UInt, order: Int?) -> UInt {
        counters.failedAllocs &+= 1
        var error = ErrorRecord(.request, status: DMMSStatus.noMemory, requested: UInt64(size))
        if let order = order {
            orders[at: order].failures &+= 1
            error.blockSize = UInt64(blockSize(order))
            error.repeated = orders[at: order].failures > 1
            // Lazy blocks left below the size: the budget stopped the joins
            // (without one they would all have been joined).
            if maxJoins != 0 && coalesce != UInt32(DMMS_COALESCE_EAGER) {
                error.unjoined = UInt64(lazyBlocks(below: order))
                if error.unjoined > 0 {
                    counters.joinBudgetFailures &+= 1
                    error.detail = "the join budget (max_joins) was reached; the joins done are kept"
                }
            }
        } else {
            // Too large for any block: the failures no order counts.
            var ofSomeSize: UInt64 = 0
            var k = 0
            while k < orderLimit { ofSomeSize &+= orders[at: k].failures; k &+= 1 }
            error.repeated = counters.failedAllocs &- ofSomeSize > 1
        }
        recordError(error)
        return 0
    }

    @inline(__always)
    private mutating func countAllocation(order: Int, bytes: UInt, requested: UInt) {
        let row = self.row(order)
        row.pointee.inUse &+= 1
        row.pointee.allocs &+= 1
        if row.pointee.inUse > row.pointee.highWater { row.pointee.highWater = row.pointee.inUse }
        counters.bytesAlloc &+= bytes
        if counters.bytesAlloc > counters.maxBytesAlloc { counters.maxBytesAlloc = counters.bytesAlloc }
        counters.bytesRequested &+= requested
        sequence &+= 1
    }

    @inline(__always)
    private mutating func countRelease(order: Int, requested: UInt) {
        row(order).pointee.inUse &-= 1
        counters.bytesAlloc &-= blockSize(order)
        counters.bytesRequested &-= requested
    }

    /// Diagnostics' one call at allocation: the block was free until now, so
    /// its free tail is checked; then the buffer gets its guard, tail and
    /// owner record (`bytes`: its block's).
    @inline(__always)
    private mutating func dressNewBuffer<M: Modes>(_ block: UInt, key: Key, order: Int, bytes: UInt, requested: UInt, site: CallSite,
                                                   modes: M.Type) {
        checkFreeTail(block, key: key, order: order)
        writeGuardAndRecord(block, key: key, order: order, bytes: bytes, requested: requested, site: site, modes: M.self)
    }

    /// Writes the guard (and the tail) and the owner record of a buffer that
    /// begins (`bytes`: its block's): a new one, or one resized in place.
    @inline(__always)
    private mutating func writeGuardAndRecord<M: Modes>(_ block: UInt, key: Key, order: Int, bytes: UInt, requested: UInt,
                                                        site: CallSite, modes: M.Type) {
        if M.guarded(&self) { writeGuard(block: block, key: key, requested: requested, blockBytes: bytes, modes: M.self) }
        if M.tracksOwners(&self) {
            let owner = addOwnedBuffer(task: Platform.taskId(), site: site)
            writeOwnerRecord(OwnerRecord(sequenceLow: UInt32(truncatingIfNeeded: sequence), owner: owner),
                             block: block, key: key, order: order, requested: requested, slack: bytes &- requested,
                             guardSpan: M.guardSpan(&self))
        }
    }

    // MARK: finding a buffer

    /// The live buffer starting at `address`, or the status that says why
    /// there is none (recorded and counted). Touches no user memory.
    @inline(__always)
    mutating func liveBuffer(at address: UInt) -> (LiveBuffer?, dmms_status_t) {
        let region = regionIndex(of: address)
        if region >= 0 && address & (minBlockSize &- 1) == 0 {
            let tag = tagPointer(address, in: region)
            if let (order, slack) = liveBlock(at: tag, address: address) {
                return (LiveBuffer(block: Block(address: address, order: order, state: .allocated, region: region),
                                   slack: slack, requested: blockSize(order) &- slack, tag: tag,
                                   key: blockKey(address)), DMMSStatus.ok)
            }
        }
        return (nil, reportNotLive(address, region: region))
    }

    /// Why `address` is not a live buffer: recorded, counted, returned.
    @inline(never)
    private mutating func reportNotLive(_ address: UInt, region: Int) -> dmms_status_t {
        var error = ErrorRecord(.address, status: DMMSStatus.notBlock, pointer: address)
        if region < 0 {
            if !isMetadata(address) { error.status = DMMSStatus.notOwned }
        } else if let container = block(containing: address, in: region) {
            // Inside a live buffer; in free memory, freed or joined; or in
            // quarantined memory, which is neither: its damage was reported
            // and counted when it was found, so this call is a bad free.
            error.blockSize = UInt64(blockSize(container.order))
            switch container.state {
            case .allocated: break
            case .globalFree, .lazyFree: error.status = DMMSStatus.doubleFree
            case .quarantined:
                error.status = DMMSStatus.corrupt
                error.detail = PoolState.quarantinedMemory
            }
        }
        if error.status == DMMSStatus.doubleFree { counters.doubleFrees &+= 1 } else { counters.badFrees &+= 1 }
        recordError(error)
        return error.status
    }

    static var quarantinedMemory: StaticString {
        "quarantined memory, not a live buffer (damaged metadata was found there; it is never reused)"
    }

    /// A live buffer's record and damage, found without changing anything.
    /// Free and realloc look first and act on it (`retire`) only once the
    /// call can no longer fail: a failed realloc leaves the buffer, and its
    /// damage, as they were, for the call that ends the buffer to report once.
    @inline(__always)
    mutating func examine(_ buffer: LiveBuffer) -> Inspection {
        guard diagnostics else { return Inspection() }
        let block = buffer.block
        let record = tracksOwners ? readOwnerRecord(of: buffer) : nil
        return Inspection(owner: record.map { Int($0.owner) } ?? -1,
                          damage: damage(of: block, key: buffer.key, requested: buffer.requested, recordOK: !tracksOwners || record != nil))
    }

    /// The buffer stops being the one its record describes (it ends, or a
    /// realloc in place writes it anew): it leaves its owner's count, and
    /// what `examine` found wrong is reported, once — an overrun recorded and
    /// counted, a damaged record recorded and the buffer quarantined (no
    /// longer live). Returns the damage's status, or OK.
    @inline(__always)
    private mutating func retire(_ buffer: LiveBuffer, _ inspection: Inspection) -> dmms_status_t {
        if inspection.owner >= 0 { removeOwnedBuffer(UInt16(truncatingIfNeeded: inspection.owner)) }
        guard let damage = inspection.damage else { return DMMSStatus.ok }
        report(damage, of: buffer)
        return damage.status
    }

    @inline(never)
    private mutating func report(_ damage: BufferDamage, of buffer: LiveBuffer) {
        if damage.status == DMMSStatus.corrupt {
            var error = errorRecord(DMMSStatus.corrupt, buffer, nil)
            error.detail = "its owner record is damaged: quarantined"
            recordError(error)
            quarantine(buffer)
            return
        }
        let block = buffer.block
        let record = tracksOwners ? readOwnerRecord(of: buffer) : nil
        var error = errorRecord(DMMSStatus.overrun, buffer, record)
        error.offset = UInt64(damage.offset)
        error.detail = damage.detail
        counters.overruns &+= 1
        recordError(error)
        if damage.below { writeSentinel(region: block.region) }   // reported once: the next buffer there starts clean
    }

    /// Ends a live buffer as dmms_pool_free does: retires it, then frees it —
    /// unless its damaged owner record left it quarantined. Returns OK,
    /// OVERRUN (freed) or CORRUPT (quarantined).
    @inline(__always)
    private mutating func end(_ buffer: LiveBuffer, _ inspection: Inspection) -> dmms_status_t {
        let status = retire(buffer, inspection)
        if status != DMMSStatus.corrupt { releaseBuffer(buffer, modes: PoolModes.self) }
        return status
    }

    /// What is wrong with a live buffer (examine and dmms_check ask), in the
    /// order that names the cause: its guard (an overrun long enough to reach
    /// the owner record damages that too), then its owner record, its far
    /// guard, its block's tail (damage from outside the buffer), then, for a region's
    /// first buffer, the sentinel below it. nil when all is intact.
    @inline(__always)
    mutating func damage(of block: Block, key: Key, requested: UInt, recordOK: Bool) -> BufferDamage? {
        if guarded, let offset = damagedGuard(block: block.address, key: key, requested: requested) {
            return BufferDamage(status: DMMSStatus.overrun, offset: offset)
        }
        if !recordOK { return BufferDamage(status: DMMSStatus.corrupt, offset: 0) }
        if guarded, let offset = damagedFarGuard(block: block.address, key: key, requested: requested,
                                                 blockBytes: blockSize(block.order)) {
            return BufferDamage(status: DMMSStatus.overrun, offset: offset)
        }
        if guarded, let offset = damagedTail(block: block.address, key: key, requested: requested, blockBytes: blockSize(block.order)) {
            return BufferDamage(status: DMMSStatus.overrun, offset: offset, inTail: true)
        }
        if guarded, let offset = damagedSentinel(below: block.address, in: block.region) {
            return BufferDamage(status: DMMSStatus.overrun, offset: offset, below: true)
        }
        return nil
    }

    private mutating func errorRecord(_ status: dmms_status_t, _ buffer: LiveBuffer, _ record: OwnerRecord?) -> ErrorRecord {
        var error = ErrorRecord(.buffer, status: status, pointer: buffer.block.address, requested: UInt64(buffer.requested),
                                blockSize: UInt64(blockSize(buffer.block.order)))
        if let record = record { error.setOwner(ownerEntry(record.owner), sequence: sequence(of: record)) }
        return error
    }

    /// A buffer whose record is damaged is never reused: it leaves the
    /// figures of live buffers and joins the quarantined bytes.
    private mutating func quarantine(_ buffer: LiveBuffer) {
        let block = buffer.block
        clearSlack(at: buffer.tag, order: block.order)
        buffer.tag.pointee = Tag.make(.quarantined, block.order)
        countRelease(order: block.order, requested: buffer.requested)
        counters.bytesQuarantined &+= blockSize(block.order)
        counters.quarantinedBuffers &+= 1
        counters.corruptions &+= 1
        restoreLazyCredit(order: block.order)
    }

    // MARK: live buffers in reports

    /// Reports each live buffer whose guard or tail was written — an overrun
    /// of a buffer that is never freed would otherwise never be seen — as
    /// free would (recorded with its owner, counted in overruns), once: the
    /// guard and tail are then written anew, so the next report does not
    /// count it again, and a later free reports only new damage. The reports
    /// that list live buffers run it before they count (the leak report, the
    /// JSON snapshot, the exit report). A damaged owner record is left for
    /// free and dmms_check (free quarantines the buffer). O(blocks).
    mutating func reportOverrunsOfLiveBuffers() {
        guard guarded else { return }
        var cursor = BlockCursor()
        while let block = nextBlock(&cursor, states: BlockStates.allocated) {
            let slack = self.slack(ofAllocated: block.address, order: block.order, in: block.region)
            let bytes = blockSize(block.order)
            let key = blockKey(block.address)
            guard let damage = damage(of: block, key: key, requested: bytes &- slack, recordOK: true) else { continue }
            let buffer = LiveBuffer(block: block, slack: slack, requested: bytes &- slack,
                                    tag: tagPointer(block.address, in: block.region), key: key)
            report(damage, of: buffer)
            writeGuard(block: block.address, key: key, requested: buffer.requested, blockBytes: bytes, modes: PoolModes.self)
        }
    }

    // MARK: free

    @inline(__always)
    mutating func free(_ address: UInt) -> dmms_status_t { free(address, modes: PoolModes.self) }

    /// free, reading the pool's modes from `M` (see Modes).
    @inline(__always)
    mutating func free<M: Modes>(_ address: UInt, modes: M.Type) -> dmms_status_t {
        let (found, status) = liveBuffer(at: address)
        guard let buffer = found else { return status }
        // The common case in a few compares; a buffer with anything wrong
        // goes the whole way (examine, report) out of line.
        if M.diagnostics(&self) && !undressIntactBuffer(buffer, modes: M.self) { return endDamaged(address) }
        releaseBuffer(buffer, modes: M.self)
        if M.keepsTimeline(&self) { timelineTick(movedOrder: buffer.block.order) }
        return DMMSStatus.ok
    }

    /// Diagnostics' one call at free: false when anything of the buffer's is
    /// damaged (nothing changed then); else the buffer leaves its owner's count.
    @inline(__always)
    private mutating func undressIntactBuffer<M: Modes>(_ buffer: LiveBuffer, modes: M.Type) -> Bool {
        guard let owner = intactOwner(buffer, modes: M.self) else { return false }
        if owner >= 0 { removeOwnedBuffer(UInt16(truncatingIfNeeded: owner)) }
        return true
    }

    /// The owner entry of a buffer whose guard, tail and owner record are
    /// all intact (-1 without owner tracking), or nil when anything is not.
    @inline(__always)
    private mutating func intactOwner<M: Modes>(_ buffer: LiveBuffer, modes: M.Type) -> Int? {
        let block = buffer.block
        var owner = -1
        if M.tracksOwners(&self) {
            guard let record = readOwnerRecord(block: block.address, key: buffer.key, order: block.order, requested: buffer.requested,
                                               slack: buffer.slack, guardSpan: M.guardSpan(&self)) else {
                return nil
            }
            owner = Int(record.owner)
        }
        if M.guarded(&self) {
            if !guardsIntact(block: block.address, key: buffer.key, requested: buffer.requested, slack: buffer.slack, modes: M.self)
                || damagedSentinel(below: block.address, in: block.region) != nil { return nil }
        }
        return owner
    }

    /// The buffer at `address` (live: free found it) has something wrong: the
    /// whole way, out of line. It takes the address, not the LiveBuffer, so
    /// that free does not build one in memory on every call to pass it.
    @inline(never)
    private mutating func endDamaged(_ address: UInt) -> dmms_status_t {
        guard let buffer = liveBuffer(at: address).0 else { return DMMSStatus.notBlock }
        return end(buffer, examine(buffer))
    }

    @inline(__always)
    private mutating func releaseBuffer<M: Modes>(_ buffer: LiveBuffer, modes: M.Type) {
        let block = buffer.block
        countRelease(order: block.order, requested: buffer.requested)
        clearSlack(at: buffer.tag, order: block.order)
        if M.fillsFree(&self) { fillFree(block.address, order: block.order) }
        writeFreeTail(block.address, key: buffer.key, order: block.order)
        release(block.address, key: buffer.key, order: block.order, region: block.region, tag: buffer.tag, coalesce: M.coalesce(&self))
    }

    // MARK: resize

    /// Resizes a live buffer (see dmms_pool_realloc). Returns the buffer's
    /// address, or 0 with the old buffer untouched — damage included: what is
    /// wrong with it is reported, as free reports it, only by a realloc that
    /// succeeds.
    mutating func reallocate(_ address: UInt, size: UInt, site: CallSite) -> UInt {
        guard let buffer = liveBuffer(at: address).0 else { return 0 }
        guard let newOrder = order(forRequest: size, extraBytes: extraBytes) else {
            return fail(size: size, order: nil)
        }
        let inspection = examine(buffer)
        // A buffer whose owner record is damaged is quarantined, never
        // reused: its contents always move.
        let quarantined = inspection.damage?.status == DMMSStatus.corrupt
        let block = buffer.block
        if quarantined || (newOrder > block.order && !growInPlace(buffer, to: newOrder)) {
            let moved = allocate(size: size, alignment: 0, site: site)
            if moved == 0 { return 0 }
            UnsafeMutableRawPointer(bitPattern: moved).unsafelyUnwrapped
                .copyMemory(from: UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped,
                            byteCount: Int(min(buffer.requested, size)))
            _ = end(buffer, inspection)
            return moved
        }
        _ = retire(buffer, inspection)   // OK or an overrun: guard and record are written anew below
        // In place: still one free and one allocation, the caller the new owner.
        countRelease(order: block.order, requested: buffer.requested)
        if newOrder < block.order { shrinkInPlace(block, to: newOrder) }
        if newOrder != block.order { restoreLazyCredit(order: block.order) }
        let bytes = blockSize(newOrder)
        markAllocated(address, order: newOrder, slack: bytes &- size, in: block.region)
        countAllocation(order: newOrder, bytes: bytes, requested: size)
        writeGuardAndRecord(address, key: buffer.key, order: newOrder, bytes: bytes, requested: size, site: site, modes: PoolModes.self)
        return address
    }

    /// [ ------- order ------- ] => [ new ][ new ][ --- order-1 --- ]:
    /// the block stops existing at its order; each upper half goes globally free.
    private mutating func shrinkInPlace(_ block: Block, to newOrder: Int) {
        clearSlack(block.address, order: block.order, in: block.region)
        splitOff(block.address, from: block.order, to: newOrder, region: block.region,
                 tag: Tag.make(.allocated, newOrder), fillHalves: fillsFree)
        counters.splits &+= UInt64(block.order &- newOrder)
    }

    /// Absorbs the globally free buddies above a buffer when every one up to
    /// `newOrder` is free: [ this ][ free buddy ] => [ ---- this ---- ].
    private mutating func growInPlace(_ buffer: LiveBuffer, to newOrder: Int) -> Bool {
        let block = buffer.block
        var k = block.order
        while k < newOrder {
            let buddy = block.address &+ blockSize(k)
            if block.address & blockSize(k) != 0 || !regions[at: block.region].contains(buddy)
                || tag(at: buddy, in: block.region) != Tag.make(.globalFree, k) { return false }
            k &+= 1
        }
        clearSlack(block.address, order: block.order, in: block.region)
        k = block.order
        while k < newOrder {
            let buddy = block.address &+ blockSize(k)
            if !absorb(buddy, into: block.address, order: k, region: block.region) {
                // That buddy's links were damaged (it is quarantined now): give
                // back what was absorbed, so the buffer is as it was.
                if k > block.order {
                    var absorbed = block
                    absorbed.order = k
                    shrinkInPlace(absorbed, to: block.order)
                }
                markAllocated(block.address, order: block.order, slack: buffer.slack, in: block.region)
                return false
            }
            verifyFill(buddy, order: k)
            k &+= 1
        }
        return true
    }
}
