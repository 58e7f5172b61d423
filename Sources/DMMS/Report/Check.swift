// Check.swift — dmms_check: the whole pool against its invariants.
//
// Every block is read from the map and compared with what the counters, the
// free lists and the records say. Problems are counted, and recorded as errors
// (so reported through the handler) a few per pass: one call hands at most
// errorsPerCall errors to the handler, so dmms_check runs passes, each
// recording the next few, until every problem it counted was reported.
// Nothing is repaired here.

import CDMMS

extension PoolState {
    /// Counts every problem; records those from the `reportingFrom`-th on (in
    /// the order found), at most errorsPerCall of them.
    mutating func check(reportingFrom first: UInt64) -> UInt64 {
        var problems: UInt64 = 0
        var inUse = PerOrder<UInt64>(repeating: 0)
        var global = PerOrder<UInt64>(repeating: 0)
        var lazy = PerOrder<UInt64>(repeating: 0)
        var damagedNodes = PerOrder<UInt64>(repeating: 0)
        var requested: UInt64 = 0
        var quarantined: UInt64 = 0
        var found = CallErrors(repeating: ErrorRecord())
        var foundCount = 0

        func problem(_ error: ErrorRecord) {
            if problems >= first && foundCount < PoolState.errorsPerCall { found[foundCount] = error; foundCount &+= 1 }
            problems &+= 1
        }

        var cursor = BlockCursor()
        while let block = nextBlock(&cursor, states: BlockStates.all) {
            let size = UInt64(blockSize(block.order))
            switch block.state {
            case .allocated:
                inUse[block.order] &+= 1
                let slack = self.slack(ofAllocated: block.address, order: block.order, in: block.region)
                let wanted = blockSize(block.order) &- slack
                requested &+= UInt64(wanted)
                var error = ErrorRecord(.buffer, status: DMMSStatus.ok, pointer: block.address, requested: UInt64(wanted), blockSize: size)
                var recordOK = true
                if tracksOwners {
                    if let record = readOwnerRecord(block: block.address, key: blockKey(block.address), order: block.order, slack: slack) {
                        error.setOwner(ownerEntry(record.owner), sequence: sequence(of: record))
                        // Its owner entry counts it: an entry counted empty
                        // could be given to another owner (and epoch).
                        if liveBuffers(ofOwner: record.owner) == 0 {
                            problem(ErrorRecord(.buffer, status: DMMSStatus.corrupt, pointer: block.address, blockSize: size,
                                                detail: "its owner-table entry counts no live buffer, though this one names it"))
                        }
                    } else {
                        recordOK = false
                    }
                }
                if let found = damage(of: block, key: blockKey(block.address), requested: wanted, recordOK: recordOK) {
                    error.status = found.status
                    error.offset = UInt64(found.offset)
                    error.detail = found.detail
                    problem(error)
                }
            case .globalFree, .lazyFree:
                if block.state == .globalFree { global[block.order] &+= 1 } else { lazy[block.order] &+= 1 }
                if readNode(block.address, order: block.order, state: block.state) == nil {
                    damagedNodes[block.order] &+= 1
                    problem(ErrorRecord(.freeBlock, status: DMMSStatus.corrupt, pointer: block.address, blockSize: size,
                                        detail: "its links are damaged (written after free?)"))
                } else if let offset = damagedFreeTail(block.address, key: blockKey(block.address), order: block.order) {
                    problem(ErrorRecord(.freeBlock, status: DMMSStatus.writeAfterFree, pointer: block.address, blockSize: size,
                                        offset: UInt64(offset), detail: PoolState.freeTailDamage))
                } else if fillsFree, let offset = damagedFill(block.address, from: UInt(FreeNode.size), to: blockSize(block.order)) {
                    problem(ErrorRecord(.freeBlock, status: DMMSStatus.writeAfterFree, pointer: block.address, blockSize: size,
                                        offset: UInt64(offset)))
                }
                // Two globally free buddies must have been joined.
                let buddy = block.address ^ blockSize(block.order)
                if block.state == .globalFree, buddy > block.address, block.order &+ 1 < orderLimit,
                   regions[at: block.region].contains(buddy), tag(at: buddy, in: block.region) == Tag.make(.globalFree, block.order) {
                    problem(ErrorRecord(.freeBlock, status: DMMSStatus.corrupt, pointer: buddy, blockSize: size,
                                        detail: "is globally free beside its globally free buddy: the two were never joined"))
                }
            case .quarantined:
                quarantined &+= size
            }
        }

        // The counters and the lists against the map.
        var bytesAlloc: UInt64 = 0
        var k = 0
        while k < orderLimit {
            let o = orders[at: k]
            // A damaged node breaks its list too; it is reported once, above.
            let listsOK = damagedNodes[k] > 0
                || (listLength(k, .globalFree) == global[k] && listLength(k, .lazyFree) == lazy[k])
            if o.inUse != inUse[k] || o.globalFree != global[k] || o.lazyFree != lazy[k] || !listsOK
                || (coalesce == UInt32(DMMS_COALESCE_LAZY) && slackD(k) < 0) {
                problem(ErrorRecord(.pool, status: DMMSStatus.corrupt, blockSize: UInt64(blockSize(k)),
                                    detail: "its counters or free lists disagree with the block map"))
            }
            bytesAlloc &+= inUse[k] &* UInt64(blockSize(k))
            k &+= 1
        }
        if bytesAlloc != counters.bytesAlloc || requested != counters.bytesRequested || quarantined != counters.bytesQuarantined {
            problem(ErrorRecord(.pool, status: DMMSStatus.corrupt,
                                detail: "its totals (bytes allocated, requested, quarantined) disagree with the block map"))
        }
        var i = 0
        while i < foundCount { recordError(found[i]); i &+= 1 }
        return problems
    }

    /// Nodes on a list whose links and tags check out, stopping at the first
    /// that does not (or after more nodes than the counter allows: a cycle).
    /// The count differs from the map's whenever the list is damaged.
    private mutating func listLength(_ order: Int, _ state: BlockState) -> UInt64 {
        var count: UInt64 = 0
        var block = head(order, state)
        var previous: UInt = 0
        let limit = (state == .lazyFree ? orders[at: order].lazyFree : orders[at: order].globalFree) &+ 1
        while block != 0 && count <= limit {
            let region = regionIndex(of: block)
            guard region >= 0, tag(at: block, in: region) == Tag.make(state, order),
                  let node = readNode(block, order: order, state: state),
                  state == .lazyFree || previous == 0 || node.prev == previous else { return UInt64.max }
            count &+= 1
            previous = block
            block = node.next
        }
        let masked = (state == .lazyFree ? lazyMask : globalMask) & orderBit(order) != 0
        return masked == (count > 0) ? count : UInt64.max
    }
}
