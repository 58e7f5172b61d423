// Guard.swift — the bytes right after a buffer's requested end (DMMS_F_GUARD),
// and the tail of its block. (The fill of free blocks is the free lists':
// Core/FreeList.swift.)
//
//   [ user data ... requested ][ guard ][ owner record ][ far guard ][ slack ... ][ tail ]
//                                                                                     ^ block end - 8
//
// The far guard: up to two more words of the pattern after the record, as
// many as the slack holds before the tail, so that with the defaults (8 guard
// bytes, the record) a write up to 32 bytes past the end is seen wherever the
// block leaves room for it — not only where it reaches the guard or the tail.
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
    /// Where the tail pattern goes in a block of `blockBytes` holding
    /// `requested` bytes, or nil when guard and record leave no 8 bytes for it.
    @inline(__always)
    mutating func tailAddress(block: UInt, requested: UInt, blockBytes: UInt) -> UnsafeMutableRawPointer? {
        guard requested &+ extraBytes &+ 8 <= blockBytes else { return nil }
        return UnsafeMutableRawPointer(bitPattern: block &+ blockBytes &- 8)
    }

    /// How many words of far guard a block of `blockBytes` holding
    /// `requested` bytes has room for before its tail: 0, 1 or 2.
    @inline(__always)
    mutating func farGuardWords(requested: UInt, blockBytes: UInt) -> Int {
        // The slack after the record, the tail's 8 bytes included (requested +
        // extraBytes <= blockBytes always): one word needs 16, two need 24.
        let room = blockBytes &- requested &- extraBytes
        return room >= 24 ? 2 : room >= 16 ? 1 : 0
    }

    /// True when guard, far guard and tail are all intact: what every free
    /// asks first. With the default guard of 8 bytes, each word is compared
    /// and the differences or'ed: one branch on the answer, whatever the
    /// slack holds (`slack`: the block's bytes after the requested ones; `M`:
    /// where the pool's modes are read).
    @inline(__always)
    mutating func guardsIntact<M: Modes>(block: UInt, key: Key, requested: UInt, slack: UInt, modes: M.Type) -> Bool {
        let blockBytes = requested &+ slack
        let extraBytes = M.extraBytes(&self)
        if M.guardSpan(&self) != 8 {
            return damagedGuard(block: block, key: key, requested: requested) == nil
                && damagedFarGuard(block: block, key: key, requested: requested, blockBytes: blockBytes) == nil
                && damagedTail(block: block, key: key, requested: requested, blockBytes: blockBytes) == nil
        }
        let pattern = guardPattern(key).littleEndian
        let end = UnsafeRawPointer(bitPattern: block &+ requested).unsafelyUnwrapped   // the guard's first byte
        var bad = end.loadUnaligned(as: UInt64.self) ^ pattern
        let room = slack &- extraBytes   // after the record: far guard, then the tail
        if room >= 8 {
            bad |= end.loadUnaligned(fromByteOffset: Int(bitPattern: slack) &- 8, as: UInt64.self) ^ pattern
            if room >= 16 { bad |= end.loadUnaligned(fromByteOffset: Int(bitPattern: extraBytes), as: UInt64.self) ^ pattern }
            if room >= 24 { bad |= end.loadUnaligned(fromByteOffset: Int(bitPattern: extraBytes) &+ 8, as: UInt64.self) ^ pattern }
        }
        return bad == 0
    }

    /// Writes guard, far guard and tail (the shape guardsIntact reads).
    @inline(__always)
    mutating func writeGuard<M: Modes>(block: UInt, key: Key, requested: UInt, blockBytes: UInt, modes: M.Type) {
        let extraBytes = M.extraBytes(&self)
        let pattern = guardPattern(key)
        let p = UnsafeMutableRawPointer(bitPattern: block &+ requested).unsafelyUnwrapped
        let slack = blockBytes &- requested
        let room = slack &- extraBytes   // after the record: far guard, then the tail
        if room >= 8 {
            p.storeBytes(of: pattern.littleEndian, toByteOffset: Int(bitPattern: slack) &- 8, as: UInt64.self)
            if room >= 16 { p.storeBytes(of: pattern.littleEndian, toByteOffset: Int(bitPattern: extraBytes), as: UInt64.self) }
            if room >= 24 { p.storeBytes(of: pattern.littleEndian, toByteOffset: Int(bitPattern: extraBytes) &+ 8, as: UInt64.self) }
        }
        if M.guardSpan(&self) == 8 {   // the default: one store
            p.storeBytes(of: pattern.littleEndian, as: UInt64.self)
            return
        }
        let count = Int(M.guardSpan(&self))
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
    mutating func damagedTail(block: UInt, key: Key, requested: UInt, blockBytes: UInt) -> UInt? {
        guard let tail = tailAddress(block: block, requested: requested, blockBytes: blockBytes) else { return nil }
        let pattern = guardPattern(key)
        let word = UInt64(littleEndian: tail.load(as: UInt64.self))
        if word == pattern { return nil }
        let first = UInt((word ^ pattern).trailingZeroBitCount / 8)    // little-endian: lowest address first
        return UInt(bitPattern: tail) &- block &+ first
    }

    /// Offset from the buffer start of the first damaged byte of its far
    /// guard, or nil (intact, or none).
    @inline(__always)
    mutating func damagedFarGuard(block: UInt, key: Key, requested: UInt, blockBytes: UInt) -> UInt? {
        let far = farGuardWords(requested: requested, blockBytes: blockBytes)
        if far == 0 { return nil }
        let pattern = guardPattern(key).littleEndian
        let q = UnsafeRawPointer(bitPattern: block &+ requested &+ extraBytes).unsafelyUnwrapped
        var word = q.loadUnaligned(as: UInt64.self) ^ pattern
        var offset = requested &+ extraBytes
        if word == 0 && far > 1 {
            word = q.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ pattern
            offset &+= 8
        }
        if word == 0 { return nil }
        return offset &+ UInt(UInt64(littleEndian: word).trailingZeroBitCount / 8)   // lowest address first
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
    mutating func damagedGuard(block: UInt, key: Key, requested: UInt) -> UInt? {
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
