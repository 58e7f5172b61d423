// OwnerRecord.swift — 8 bytes right after a live buffer's guard (DMMS_F_TRACK_OWNER).
//
//   [ user data ... requested ][ guard ][ seq:32 | owner:16 | check:16 ][ slack ]
//                                        ^ requested + guard_bytes (unaligned)
//
// Next to the guard, not at the block's end: the guard and the record share
// the cache line the program touched last, so checking them at free is not
// another miss.
//
// Eight bytes, not sixteen: the per-buffer cost inside the block decides how
// well small sizes fill the pool (SPEC §10). The task and call site live once
// per distinct pair in the owner table (Owners.swift); the record keeps the
// table index. The sequence number keeps its low 32 bits; the full number is
// the latest one of the pool with those bits (exact for any buffer younger
// than 2^32 allocations). The requested size is in the trusted block map, so
// an overrun that runs through this record still reports its exact offset.

struct OwnerRecord {
    static let size = 8

    var sequenceLow: UInt32
    var owner: UInt16

    @inline(__always)
    static func address(ofBlock block: UInt, requested: UInt, guardBytes: UInt) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: block &+ requested &+ guardBytes).unsafelyUnwrapped
    }
}

extension PoolState {
    @inline(__always)
    mutating func writeOwnerRecord(_ record: OwnerRecord, block: UInt, order: Int, slack: UInt) {
        let fields = UInt64(record.sequenceLow) | UInt64(record.owner) << 32
        let check = fold16(fields ^ recordKey(block, order: order, state: .allocated, slack: slack))
        recordAddress(block, order: order, slack: slack)
            .storeBytes(of: (fields | UInt64(check) << 48).littleEndian, as: UInt64.self)
    }

    /// The owner record of an allocated block, or nil when it fails its check.
    @inline(__always)
    mutating func readOwnerRecord(block: UInt, order: Int, slack: UInt) -> OwnerRecord? {
        let word = UInt64(littleEndian: recordAddress(block, order: order, slack: slack).loadUnaligned(as: UInt64.self))
        let fields = word & 0xFFFF_FFFF_FFFF
        let check = UInt16(truncatingIfNeeded: word >> 48)
        guard check == fold16(fields ^ recordKey(block, order: order, state: .allocated, slack: slack)) else { return nil }
        return OwnerRecord(sequenceLow: UInt32(truncatingIfNeeded: fields), owner: UInt16(truncatingIfNeeded: fields >> 32))
    }

    @inline(__always)
    mutating func recordAddress(_ block: UInt, order: Int, slack: UInt) -> UnsafeMutableRawPointer {
        OwnerRecord.address(ofBlock: block, requested: blockSize(order) &- slack, guardBytes: guardSpan)
    }

    /// The full sequence number whose low 32 bits are `low`: the latest one issued.
    @inline(__always)
    mutating func fullSequence(_ low: UInt32) -> UInt64 {
        sequence &- UInt64(UInt32(truncatingIfNeeded: sequence) &- low)
    }
}
