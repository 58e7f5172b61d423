// BlockMap.swift — the trusted record of every block: one tag byte per granule.
//
// The tag of a block sits at the granule where the block starts; the other
// granules of the block hold 0 ("interior") — or, while the block is
// allocated, its slack. So the map answers "what is at this address, how big,
// and how much of it was asked for" without touching memory the user can write.
//
//   tag 0          interior: not the start of a block
//   tag 1...160    1 + order * 4 + state             (40 orders x 4 states)
//   tag 161...255  allocated, order 0, a block of one granule; slack = tag - 161
//
// Slack of a larger allocated block: in the 1, 2, 4 or 8 map bytes after its
// tag (a block of n >= 2 granules has n - 1 of them; see slackWidth), read and
// written with one load or store, 7 bits a byte (one byte alone: 0...128), each
// byte 17...145. Read as a tag, such a byte claims a block of order >= 4 —
// 16 min blocks or more — at an address aligned to at most 8 granules: so no
// slack byte ever passes for the start of a block (isStart), and an interior
// pointer that lands on one is still recognised as interior.

enum BlockState: UInt8 {
    case allocated = 0
    case globalFree = 1
    case lazyFree = 2
    case quarantined = 3
}

/// Added to each 7-bit digit of a slack stored in the map (see the note at the top).
let slackByteBase: UInt = 17

enum Tag {
    static let interior: UInt8 = 0
    static let singleGranuleBase: UInt8 = 161

    @inline(__always)
    static func make(_ state: BlockState, _ order: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: 1 &+ order &<< 2 &+ Int(state.rawValue))
    }
    /// State of a non-interior tag.
    @inline(__always)
    static func state(_ tag: UInt8) -> BlockState {
        tag >= singleGranuleBase ? .allocated : unsafeBitCast((tag &- 1) & 3, to: BlockState.self)
    }
    /// Order of a non-interior tag.
    @inline(__always)
    static func order(_ tag: UInt8) -> Int { tag >= singleGranuleBase ? 0 : Int((tag &- 1) >> 2) }
}

/// A block as the map describes it.
struct Block {
    var address: UInt
    var order: Int
    var state: BlockState
    var region: Int
}

extension PoolState {
    /// Index of the region holding `address`, or -1. O(1) for the first
    /// region, which every pool has and most pools have alone; O(regions)
    /// for the others.
    @inline(__always)
    mutating func regionIndex(of address: UInt) -> Int {
        if regions[at: 0].contains(address) { return 0 }
        return laterRegionIndex(of: address)
    }

    private mutating func laterRegionIndex(of address: UInt) -> Int {
        var i = 1
        while i < regionCount {
            if regions[at: i].contains(address) { return i }
            i &+= 1
        }
        return -1
    }

    @inline(__always)
    mutating func tagPointer(_ address: UInt, in region: Int) -> UnsafeMutablePointer<UInt8> {
        UnsafeMutablePointer<UInt8>(bitPattern: regions[at: region].mapBias &+ address &>> UInt(bitPattern: granuleShift)).unsafelyUnwrapped
    }

    @inline(__always)
    mutating func tag(at address: UInt, in region: Int) -> UInt8 { tagPointer(address, in: region).pointee }

    /// Marks the start of a block that was absorbed into a larger one.
    @inline(__always)
    mutating func clearTag(at address: UInt, in region: Int) { tagPointer(address, in: region).pointee = Tag.interior }

    /// True when `t`, read at `address`, is the tag of a block starting there:
    /// not interior, and the address aligned to the block size the tag claims
    /// (a slack byte never is: see the note at the top).
    @inline(__always)
    mutating func isStart(_ t: UInt8, at address: UInt) -> Bool {
        t != Tag.interior && address & (blockSize(Tag.order(t)) &- 1) == 0
    }

    /// The block starting exactly at `address` (a tag there), or nil.
    mutating func block(startingAt address: UInt, in region: Int) -> Block? {
        if address & (minBlockSize &- 1) != 0 { return nil }
        let t = tag(at: address, in: region)
        if !isStart(t, at: address) { return nil }
        return Block(address: address, order: Tag.order(t), state: Tag.state(t), region: region)
    }

    /// The block that contains `address` (which need not be its start), or nil
    /// when the map is inconsistent there. O(orders): tries each aligned start.
    mutating func block(containing address: UInt, in region: Int) -> Block? {
        var order = 0
        while order < orderLimit {
            let start = alignDown(address, blockSize(order))
            if start >= regions[at: region].start {
                let t = tag(at: start, in: region)
                if isStart(t, at: start) {
                    let found = Tag.order(t)
                    return found >= order ? Block(address: start, order: found, state: Tag.state(t), region: region) : nil
                }
            }
            order &+= 1
        }
        return nil
    }

    // MARK: allocated blocks: the map keeps the slack

    /// Bytes of slack storage after the tag of a block of 2^`blockShift`
    /// bytes and two granules or more: the fewest of 1, 2, 4, 8 that hold any
    /// slack up to the block size — one byte holds 0...128 (17...145), more
    /// bytes hold 7 bits each. Never more than the block's n - 1 map bytes
    /// after its tag (a granule is at most 64 bytes, so 2 bytes are needed
    /// from 4 granules on, 4 from 256, 8 from 2^22).
    @inline(__always)
    static func slackWidth(blockShift: Int) -> Int {
        blockShift <= 7 ? 1 : blockShift <= 13 ? 2 : blockShift <= 27 ? 4 : 8
    }

    /// Tags an allocated block and records its slack.
    @inline(__always)
    mutating func markAllocated(_ address: UInt, order: Int, slack: UInt, in region: Int) {
        markAllocated(tagPointer(address, in: region), order: order, slack: slack)
    }

    /// The slack's digits, 7 bits a byte, each byte 17...144, written with one
    /// store of the width's size (no loop: spread by shifts and masks).
    @inline(__always)
    mutating func markAllocated(_ p: UnsafeMutablePointer<UInt8>, order: Int, slack: UInt) {
        let shift = minBlockShift &+ order
        if shift == granuleShift {
            p.pointee = Tag.singleGranuleBase &+ UInt8(truncatingIfNeeded: slack)
            return
        }
        p.pointee = Tag.make(.allocated, order)
        let spare = UnsafeMutableRawPointer(p + 1)
        var x = UInt64(slack)
        switch PoolState.slackWidth(blockShift: shift) {
        case 1:
            spare.storeBytes(of: UInt8(truncatingIfNeeded: x &+ UInt64(slackByteBase)), as: UInt8.self)
        case 2:
            x = x & 0x7F | (x &<< 1) & 0x7F00
            spare.storeBytes(of: UInt16(truncatingIfNeeded: x &+ 0x1111).littleEndian, as: UInt16.self)
        case 4:
            x = x & 0x3FFF | (x &<< 2) & 0x3FFF_0000
            x = x & 0x007F_007F | (x &<< 1) & 0x7F00_7F00
            spare.storeBytes(of: UInt32(truncatingIfNeeded: x &+ 0x1111_1111).littleEndian, as: UInt32.self)
        default:
            x = x & 0x0FFF_FFFF | (x &<< 4) & 0x0FFF_FFFF_0000_0000
            x = x & 0x0000_3FFF_0000_3FFF | (x &<< 2) & 0x3FFF_0000_3FFF_0000
            x = x & 0x007F_007F_007F_007F | (x &<< 1) & 0x7F00_7F00_7F00_7F00
            spare.storeBytes(of: (x &+ 0x1111_1111_1111_1111).littleEndian, as: UInt64.self)
        }
    }

    /// The slack of an allocated block.
    @inline(__always)
    mutating func slack(ofAllocated address: UInt, order: Int, in region: Int) -> UInt {
        slack(at: tagPointer(address, in: region), order: order)
    }

    /// markAllocated's digits gathered back: one load, shifts and masks.
    @inline(__always)
    mutating func slack(at p: UnsafeMutablePointer<UInt8>, order: Int) -> UInt {
        let shift = minBlockShift &+ order
        if shift == granuleShift { return UInt(p.pointee &- Tag.singleGranuleBase) }
        return spareSlack(after: p, blockShift: shift)
    }

    /// The order and slack of the live buffer whose block starts at
    /// `address` (aligned to the min block; `p`: its tag's place), or nil
    /// when none does: free's question, answered in one pass over the tag.
    @inline(__always)
    mutating func liveBlock(at p: UnsafeMutablePointer<UInt8>, address: UInt) -> (order: Int, slack: UInt)? {
        let t = p.pointee
        // A block of one granule: its tag is its slack, and no other byte of
        // the map is ever that large (slack bytes stop at 145).
        if t >= Tag.singleGranuleBase { return (0, UInt(t &- Tag.singleGranuleBase)) }
        // Allocated (interior, 0, fails this too), and aligned to the size it
        // claims: a slack byte never is.
        guard (t &- 1) & 3 == 0 else { return nil }
        let order = Int((t &- 1) >> 2)
        let shift = minBlockShift &+ order
        guard address & ((UInt(1) &<< UInt(bitPattern: shift)) &- 1) == 0 else { return nil }
        return (order, spareSlack(after: p, blockShift: shift))
    }

    /// The slack of a block of 2^`blockShift` bytes and two granules or
    /// more, from the map bytes after its tag `p`.
    @inline(__always)
    func spareSlack(after p: UnsafeMutablePointer<UInt8>, blockShift shift: Int) -> UInt {
        let spare = UnsafeRawPointer(p + 1)
        var x: UInt64
        switch PoolState.slackWidth(blockShift: shift) {
        case 1:
            return UInt(spare.load(as: UInt8.self)) &- slackByteBase
        case 2:
            x = UInt64(UInt16(littleEndian: spare.loadUnaligned(as: UInt16.self))) &- 0x1111
            return UInt(truncatingIfNeeded: x & 0x7F | (x &>> 1) & 0x3F80)
        case 4:
            x = UInt64(UInt32(littleEndian: spare.loadUnaligned(as: UInt32.self))) &- 0x1111_1111
            x = x & 0x007F_007F | (x &>> 1) & 0x3F80_3F80
            return UInt(truncatingIfNeeded: x & 0x3FFF | (x &>> 2) & 0x0FFF_C000)
        default:
            x = UInt64(littleEndian: spare.loadUnaligned(as: UInt64.self)) &- 0x1111_1111_1111_1111
            x = x & 0x007F_007F_007F_007F | (x &>> 1) & 0x3F80_3F80_3F80_3F80
            x = x & 0x0000_3FFF_0000_3FFF | (x &>> 2) & 0x0FFF_C000_0FFF_C000
            return UInt(truncatingIfNeeded: x & 0x0FFF_FFFF | (x &>> 4) & 0x00FF_FFFF_F000_0000)
        }
    }

    /// Returns an allocated block's slack bytes to "interior" (zero).
    @inline(__always)
    mutating func clearSlack(_ address: UInt, order: Int, in region: Int) {
        clearSlack(at: tagPointer(address, in: region), order: order)
    }

    @inline(__always)
    mutating func clearSlack(at p: UnsafeMutablePointer<UInt8>, order: Int) {
        let shift = minBlockShift &+ order
        if shift == granuleShift { return }
        let spare = UnsafeMutableRawPointer(p + 1)
        switch PoolState.slackWidth(blockShift: shift) {
        case 1: spare.storeBytes(of: 0, as: UInt8.self)
        case 2: spare.storeBytes(of: 0, as: UInt16.self)
        case 4: spare.storeBytes(of: 0, as: UInt32.self)
        default: spare.storeBytes(of: 0, as: UInt64.self)
        }
    }
}

// MARK: walking the map

/// A position in the pool's blocks, in address order: the next address to
/// look at (0: the lowest region's start).
struct BlockCursor {
    var address: UInt = 0
}

/// Sets of block states, for walks: a bit per BlockState.
enum BlockStates {
    static let allocated: UInt8 = 1 << BlockState.allocated.rawValue
    static let free: UInt8 = 1 << BlockState.globalFree.rawValue | 1 << BlockState.lazyFree.rawValue
    static let all: UInt8 = 0x0F
}

extension PoolState {
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
