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
}
