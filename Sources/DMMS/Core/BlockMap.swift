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
// Slack of a larger allocated block: in the map bytes after its tag (a block
// of n >= 2 granules has n - 1 of them; see slackWidth), 7 bits a byte, each
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
    @inline(__always) static func isSingleGranule(_ tag: UInt8) -> Bool { tag >= singleGranuleBase }
    /// True for the tag of a live buffer's block.
    @inline(__always)
    static func isAllocated(_ tag: UInt8) -> Bool { tag >= singleGranuleBase || (tag != interior && (tag &- 1) & 3 == 0) }
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
    /// Index of the region holding `address`, or -1. O(regions).
    @inline(__always)
    mutating func regionIndex(of address: UInt) -> Int {
        var i = 0
        while i < regionCount {
            if regions[at: i].contains(address) { return i }
            i &+= 1
        }
        return -1
    }

    @inline(__always)
    mutating func tagPointer(_ address: UInt, in region: Int) -> UnsafeMutablePointer<UInt8> {
        UnsafeMutablePointer<UInt8>(bitPattern: regions[at: region].mapBias &+ address &>> UInt(granuleShift)).unsafelyUnwrapped
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

    @inline(__always)
    mutating func granules(ofOrder order: Int) -> Int { 1 &<< (minBlockShift &+ order &- granuleShift) }

    /// Bytes of slack storage after the tag of a block of `granules` (>= 2):
    /// 1, 2, 4 or 8, and always enough (a granule is <= 64 bytes: two
    /// granules' slack fits one byte, four granules' 14 bits, eight 28, ...).
    @inline(__always)
    static func slackWidth(granules: Int) -> Int { min(granules >> 1, 8) }

    /// Tags an allocated block and records its slack.
    @inline(__always)
    mutating func markAllocated(_ address: UInt, order: Int, slack: UInt, in region: Int) {
        markAllocated(tagPointer(address, in: region), order: order, slack: slack)
    }

    @inline(__always)
    mutating func markAllocated(_ p: UnsafeMutablePointer<UInt8>, order: Int, slack: UInt) {
        let n = granules(ofOrder: order)
        if n == 1 {
            p.pointee = Tag.singleGranuleBase &+ UInt8(truncatingIfNeeded: slack)
            return
        }
        p.pointee = Tag.make(.allocated, order)
        let width = PoolState.slackWidth(granules: n)
        if width == 1 {   // slack <= 2 granules <= 128: one byte, 17...145
            p[1] = UInt8(truncatingIfNeeded: slack &+ slackByteBase)
            return
        }
        var value = UInt64(slack)
        var i = 1
        while i <= width {
            p[i] = UInt8(truncatingIfNeeded: value & 0x7F) &+ UInt8(slackByteBase)
            value &>>= 7
            i &+= 1
        }
    }

    /// The slack of an allocated block.
    @inline(__always)
    mutating func slack(ofAllocated address: UInt, order: Int, in region: Int) -> UInt {
        slack(at: tagPointer(address, in: region), order: order)
    }

    @inline(__always)
    mutating func slack(at p: UnsafeMutablePointer<UInt8>, order: Int) -> UInt {
        let n = granules(ofOrder: order)
        if n == 1 { return UInt(p.pointee &- Tag.singleGranuleBase) }
        let width = PoolState.slackWidth(granules: n)
        if width == 1 { return UInt(p[1]) &- slackByteBase }
        var value: UInt64 = 0
        var i = width
        while i >= 1 {
            value = value &<< 7 | UInt64(p[i] &- UInt8(slackByteBase))
            i &-= 1
        }
        return UInt(truncatingIfNeeded: value)
    }

    /// Returns an allocated block's slack bytes to "interior" (zero).
    @inline(__always)
    mutating func clearSlack(_ address: UInt, order: Int, in region: Int) {
        clearSlack(at: tagPointer(address, in: region), order: order)
    }

    @inline(__always)
    mutating func clearSlack(at p: UnsafeMutablePointer<UInt8>, order: Int) {
        let n = granules(ofOrder: order)
        if n == 1 { return }
        let spare = UnsafeMutableRawPointer(p + 1)
        switch PoolState.slackWidth(granules: n) {
        case 1: spare.storeBytes(of: 0, as: UInt8.self)
        case 2: spare.storeBytes(of: 0, as: UInt16.self)
        case 4: spare.storeBytes(of: 0, as: UInt32.self)
        default: spare.storeBytes(of: 0, as: UInt64.self)
        }
    }

    /// The next block after the one at `address` of `order`, or the region end.
    @inline(__always)
    mutating func blockEnd(_ address: UInt, order: Int) -> UInt { address &+ blockSize(order) }
}
