// Inspect.swift — reading blocks for the reports, one block per lock hold.
//
// Reports call user functions (output, walk callbacks) that may allocate from
// the same pool, so they never hold the lock while calling out: each step
// takes the lock, finds the next block after a cursor, copies what it needs,
// and lets go. The cursor is an address, which stays meaningful whatever the
// callback did to the pool.

import CDMMS

/// What a report shows of one live buffer.
struct BufferInfo {
    var address: UInt = 0
    var requested: UInt = 0
    var blockSize: UInt = 0
    var ownerIndex: UInt16 = unknownOwner
    var owner = OwnerEntry()
    var sequence: UInt64 = 0
    var recordValid: Bool = false
}

/// A position in the pool's blocks, in address order: the next address to
/// look at (0: the lowest region's start).
struct BlockCursor {
    var address: UInt = 0
}

extension PoolState {
    mutating func bufferInfo(_ block: Block) -> BufferInfo {
        let slack = self.slack(ofAllocated: block.address, order: block.order, in: block.region)
        var info = BufferInfo(address: block.address, requested: blockSize(block.order) &- slack, blockSize: blockSize(block.order))
        if tracksOwners, let record = readOwnerRecord(block: block.address, key: blockKey(block.address), order: block.order, slack: slack) {
            info.ownerIndex = record.owner
            info.owner = ownerEntry(record.owner)
            info.sequence = sequence(of: record)
            info.recordValid = true
        }
        return info
    }

    /// The next block at or after the cursor whose state is in `states`
    /// (a bit per BlockState); moves the cursor past it. nil at the end.
    mutating func nextBlock(_ cursor: inout BlockCursor, states: UInt8) -> Block? {
        while true {
            // The region holding the cursor, or the lowest one above it: the
            // table is append-only (readers scan it without the lock), so
            // address order is found here, not kept there.
            var next = -1
            var r = 0
            while r < regionCount {
                let region = regions[at: r]
                if region.end > cursor.address && (next < 0 || region.start < regions[at: next].start) { next = r }
                r &+= 1
            }
            if next < 0 { return nil }
            let region = regions[at: next]
            var address = max(cursor.address, region.start)
            while address < region.end {
                let t = tag(at: address, in: next)
                if !isStart(t, at: address) { address &+= granule; continue }
                let block = Block(address: address, order: Tag.order(t), state: Tag.state(t), region: next)
                address &+= blockSize(block.order)
                if states & (1 &<< block.state.rawValue) != 0 {
                    cursor.address = address
                    return block
                }
            }
            cursor.address = region.end
        }
    }

}

enum BlockStates {
    static let allocated: UInt8 = 1 << BlockState.allocated.rawValue
    static let free: UInt8 = 1 << BlockState.globalFree.rawValue | 1 << BlockState.lazyFree.rawValue
    static let all: UInt8 = 0x0F
}

extension UnsafeMutablePointer where Pointee == PoolState {
    /// Calls `body` with each live buffer in address order, without the lock
    /// held, until it returns false. Returns how many it passed.
    @discardableResult
    func forEachLiveBuffer(_ body: (BufferInfo) -> Bool) -> UInt64 {
        var cursor = BlockCursor()
        var passed: UInt64 = 0
        while true {
            let info: BufferInfo? = locked { state in state.nextBlock(&cursor, states: BlockStates.allocated).map { state.bufferInfo($0) } }
            guard let info = info else { return passed }
            passed &+= 1
            if !body(info) { return passed }
        }
    }

    /// The lock that keeps two reports from sharing the owner table's scratch
    /// fields (Leaks.swift); it follows the pool lock in the header.
    var reportLock: UnsafeMutableRawPointer { UnsafeMutableRawPointer(self) + PoolState.reportLockOffset }

    /// The pool's name as a C string (it lives in the header).
    var nameCString: UnsafePointer<CChar> {
        UnsafeRawPointer(self).advanced(by: PoolState.nameOffset).assumingMemoryBound(to: CChar.self)
    }
}
