// Guard.swift — the bytes right after a buffer's requested end (DMMS_F_GUARD),
// and the tail of its block. (The fill of free blocks is the free lists':
// Core/FreeList.swift.)
//
//   [ user data ... requested ][ guard ][ owner record ][ slack ... ][ tail ]
//                                                                     ^ block end - 8
//
// The tail: when the slack leaves room, the block's last 8 bytes hold the
// guard's pattern too. They are what an underflow of the buffer in the block
// above overwrites (its first bytes follow them), so such an underflow is
// caught when this buffer is freed or checked — the one place DMMS can see
// it, as a buffer has no bytes of its own in front of it.
//
// The guard pattern is keyed by the buffer's address and the pool's secret,
// so a program that copies one buffer's tail over another is still caught.
// Every guard byte is odd: the classic off-by-one, a string's NUL written
// just past the end, always changes the first guard byte, and so does any
// even byte. A write of exactly the byte that was there changes nothing and
// cannot be seen: so the pattern is spread over all its bits (spread), and
// each guard byte takes every odd value alike from buffer to buffer. An odd
// byte written one past the end is missed in 1 buffer in 128, whatever its
// value — not always for a few values, as a pattern whose first byte varied
// only with the address's few low set bits would do.

extension PoolState {
    /// The guard (and tail) pattern of a buffer whose block has `key`
    /// (blockKey): 8 odd bytes.
    @inline(__always)
    func guardPattern(_ key: UInt64) -> UInt64 { key | 0x0101_0101_0101_0101 }

    /// Where the tail pattern goes in a block of `blockBytes` holding
    /// `requested` bytes, or nil when guard and record leave no 8 bytes for it.
    @inline(__always)
    mutating func tailAddress(block: UInt, requested: UInt, blockBytes: UInt) -> UnsafeMutableRawPointer? {
        guard requested &+ extraBytes &+ 8 <= blockBytes else { return nil }
        return UnsafeMutableRawPointer(bitPattern: block &+ blockBytes &- 8)
    }

    @inline(__always)
    mutating func writeGuard(block: UInt, key: UInt64, requested: UInt, blockBytes: UInt) {
        let pattern = guardPattern(key)
        if let tail = tailAddress(block: block, requested: requested, blockBytes: blockBytes) {
            tail.storeBytes(of: pattern.littleEndian, as: UInt64.self)
        }
        let p = UnsafeMutableRawPointer(bitPattern: block &+ requested).unsafelyUnwrapped
        if guardSpan == 8 {   // the default: one store
            p.storeBytes(of: pattern.littleEndian, as: UInt64.self)
            return
        }
        let count = Int(guardBytes)
        var i = 0
        while i &+ 8 <= count {
            p.storeBytes(of: pattern.littleEndian, toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        while i < count {
            p.storeBytes(of: UInt8(truncatingIfNeeded: pattern &>> UInt64((i & 7) &* 8)), toByteOffset: i, as: UInt8.self)
            i &+= 1
        }
    }

    /// Offset from the buffer start of the first damaged byte of its block's
    /// tail, or nil (intact, or no tail).
    @inline(__always)
    mutating func damagedTail(block: UInt, key: UInt64, requested: UInt, blockBytes: UInt) -> UInt? {
        guard let tail = tailAddress(block: block, requested: requested, blockBytes: blockBytes) else { return nil }
        let pattern = guardPattern(key)
        let word = UInt64(littleEndian: tail.load(as: UInt64.self))
        if word == pattern { return nil }
        let first = UInt((word ^ pattern).trailingZeroBitCount / 8)    // little-endian: lowest address first
        return UInt(bitPattern: tail) &- block &+ first
    }

    // MARK: the sentinel below a region

    /// Where the sentinel of the buffer at `block` is — the 8 bytes below a
    /// region's first block, which an underflow of the buffer there writes
    /// (below any other buffer is a block's tail) — or nil: not a region's
    /// first block, or memory from the program that leaves no 8 bytes below
    /// it (dmms.h). Mapped regions have a page below for it.
    @inline(__always)
    mutating func sentinelAddress(below block: UInt, in region: Int) -> UnsafeMutableRawPointer? {
        let r = regions[at: region]
        guard block == r.start, r.start &- r.memory >= 8 else { return nil }
        return UnsafeMutableRawPointer(bitPattern: block &- 8)
    }

    /// Writes the sentinel below a region's first block (the guard pattern of
    /// the block there), if there is room for one.
    mutating func writeSentinel(region: Int) {
        let start = regions[at: region].start
        sentinelAddress(below: start, in: region)?.storeBytes(of: guardPattern(blockKey(start)).littleEndian, as: UInt64.self)
    }

    /// The offset from `block` (negative, two's complement) of the lowest
    /// damaged byte of the sentinel below it, or nil (intact, or none).
    @inline(__always)
    mutating func damagedSentinel(below block: UInt, in region: Int) -> UInt? {
        guard let sentinel = sentinelAddress(below: block, in: region) else { return nil }
        let word = UInt64(littleEndian: sentinel.load(as: UInt64.self))
        let pattern = guardPattern(blockKey(block))
        if word == pattern { return nil }
        return UInt(bitPattern: sentinel) &+ UInt((word ^ pattern).trailingZeroBitCount / 8) &- block
    }

    /// What a damaged sentinel says, for the report.
    static var sentinelDamage: StaticString { "bytes before its start were written: an underflow" }

    /// What a damaged tail says, for the report.
    static var tailDamage: StaticString { "its block's last 8 bytes changed: an underflow of the buffer above, or a write past the guard" }

    /// Offset from the buffer start of the first damaged guard byte, or nil.
    @inline(__always)
    mutating func damagedGuard(block: UInt, key: UInt64, requested: UInt) -> UInt? {
        let pattern = guardPattern(key)
        let p = UnsafeRawPointer(bitPattern: block &+ requested).unsafelyUnwrapped
        if guardSpan == 8 && p.loadUnaligned(as: UInt64.self) == pattern.littleEndian { return nil }   // the default, intact
        let count = Int(guardBytes)
        var i = 0
        while i &+ 8 <= count {
            let word = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if word != pattern.littleEndian { break }
            i &+= 8
        }
        while i < count {
            if p.load(fromByteOffset: i, as: UInt8.self) != UInt8(truncatingIfNeeded: pattern &>> UInt64((i & 7) &* 8)) {
                return requested &+ UInt(i)
            }
            i &+= 1
        }
        return nil
    }
}
