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
// Slack of a larger allocated block: little-endian in its spare map bytes
// (a block of n granules has n - 1 >= 1 of them; one byte already holds the
// slack of a two-granule block, since a granule is at most 64 bytes).

enum BlockState: UInt8 {
    case allocated = 0
    case globalFree = 1
    case lazyFree = 2
    case quarantined = 3
}

enum Tag {
    static let interior: UInt8 = 0
    static let singleGranuleBase: UInt8 = 161

    @inline(__always)
    static func make(_ state: BlockState, _ order: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: 1 &+ order &<< 2 &+ Int(state.rawValue))
    }
    @inline(__always) static func isSingleGranule(_ tag: UInt8) -> Bool { tag >= singleGranuleBase }
    /// State of a non-interior tag.
    @inline(__always)
    static func state(_ tag: UInt8) -> BlockState {
        tag >= singleGranuleBase ? .allocated : BlockState(rawValue: (tag &- 1) & 3)!
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
        regions[at: region].map.unsafelyUnwrapped + Int(bitPattern: (address &- regions[at: region].start) >> UInt(granuleShift))
    }

    @inline(__always)
    mutating func tag(at address: UInt, in region: Int) -> UInt8 { tagPointer(address, in: region).pointee }

    @inline(__always)
    mutating func setTag(_ state: BlockState, order: Int, at address: UInt, in region: Int) {
        tagPointer(address, in: region).pointee = Tag.make(state, order)
    }

    /// Marks the start of a block that was absorbed into a larger one.
    @inline(__always)
    mutating func clearTag(at address: UInt, in region: Int) { tagPointer(address, in: region).pointee = Tag.interior }

    /// The block starting exactly at `address` (a tag there), or nil.
    mutating func block(startingAt address: UInt, in region: Int) -> Block? {
        if address & (minBlockSize &- 1) != 0 { return nil }
        let t = tag(at: address, in: region)
        if t == Tag.interior { return nil }
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
                if t != Tag.interior {
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

    /// Tags an allocated block and records its slack.
    @inline(__always)
    mutating func markAllocated(_ address: UInt, order: Int, slack: UInt, in region: Int) {
        let p = tagPointer(address, in: region)
        let n = granules(ofOrder: order)
        if n == 1 {
            p.pointee = Tag.singleGranuleBase &+ UInt8(truncatingIfNeeded: slack)
            return
        }
        p.pointee = Tag.make(.allocated, order)
        let spare = min(n &- 1, 8)
        if spare == 8 {
            UnsafeMutableRawPointer(p + 1).storeBytes(of: UInt64(slack).littleEndian, as: UInt64.self)
        } else {
            var value = UInt64(slack)
            var i = 1
            while i <= spare {
                p[i] = UInt8(truncatingIfNeeded: value)
                value >>= 8
                i &+= 1
            }
        }
    }

    /// The slack of an allocated block.
    @inline(__always)
    mutating func slack(ofAllocated address: UInt, order: Int, in region: Int) -> UInt {
        let p = tagPointer(address, in: region)
        let n = granules(ofOrder: order)
        if n == 1 { return UInt(p.pointee &- Tag.singleGranuleBase) }
        let spare = min(n &- 1, 8)
        if spare == 8 {
            return UInt(truncatingIfNeeded: UInt64(littleEndian: UnsafeRawPointer(p + 1).loadUnaligned(as: UInt64.self)))
        }
        var value: UInt64 = 0
        var i = spare
        while i >= 1 {
            value = value << 8 | UInt64(p[i])
            i &-= 1
        }
        return UInt(truncatingIfNeeded: value)
    }

    /// Returns an allocated block's spare map bytes to "interior".
    @inline(__always)
    mutating func clearSlack(_ address: UInt, order: Int, in region: Int) {
        let n = granules(ofOrder: order)
        if n == 1 { return }
        let p = tagPointer(address, in: region)
        let spare = min(n &- 1, 8)
        var i = 1
        while i <= spare {
            p[i] = 0
            i &+= 1
        }
    }

    /// The next block after the one at `address` of `order`, or the region end.
    @inline(__always)
    mutating func blockEnd(_ address: UInt, order: Int) -> UInt { address &+ blockSize(order) }
}
