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
// well small sizes fill the pool (W3 in benchmarks/RESULTS.md). The task and call site live once
// per distinct pair in the owner table (Owners.swift); the record keeps the
// table index. The sequence number keeps its low 32 bits here and its high 32
// (its epoch) in the owner entry, which stands for one (task, site, epoch):
// exact at any age. Only a buffer whose owner could not be recorded (entry 0:
// the table's neighbourhood was full) has no epoch: its number is taken as
// the latest one issued with its low bits, exact while it is younger than
// 2^32 allocations. (Why not 8 more bytes for the whole number: see Owners.)
// The requested size is in the trusted block map, so an overrun that runs
// through this record still reports its exact offset.

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
    /// Writes the record of a buffer of `requested` bytes (and `slack`) in
    /// the block at `block` whose guard is `guardSpan` bytes.
    @inline(__always)
    mutating func writeOwnerRecord(_ record: OwnerRecord, block: UInt, key: Key, order: Int, requested: UInt, slack: UInt,
                                   guardSpan: UInt) {
        let fields = UInt64(record.sequenceLow) | UInt64(record.owner) &<< 32
        let check = fold16(fields ^ UInt64(recordKey(key, order: order, state: .allocated, slack: slack)))
        OwnerRecord.address(ofBlock: block, requested: requested, guardBytes: guardSpan)
            .storeBytes(of: (fields | UInt64(check) &<< 48).littleEndian, as: UInt64.self)
    }

    /// The owner record of an allocated block whose slack is `slack`.
    mutating func readOwnerRecord(block: UInt, key: Key, order: Int, slack: UInt) -> OwnerRecord? {
        readOwnerRecord(block: block, key: key, order: order, requested: blockSize(order) &- slack, slack: slack, guardSpan: guardSpan)
    }

    /// The owner record of a live buffer.
    mutating func readOwnerRecord(of buffer: LiveBuffer) -> OwnerRecord? {
        readOwnerRecord(block: buffer.block.address, key: buffer.key, order: buffer.block.order, requested: buffer.requested,
                        slack: buffer.slack, guardSpan: guardSpan)
    }

    /// The owner record of a buffer (as writeOwnerRecord places it), or nil
    /// when it fails its check or names an entry beyond the owner table
    /// (damage that passed the check).
    @inline(__always)
    mutating func readOwnerRecord(block: UInt, key: Key, order: Int, requested: UInt, slack: UInt, guardSpan: UInt) -> OwnerRecord? {
        let word = UInt64(littleEndian: OwnerRecord.address(ofBlock: block, requested: requested, guardBytes: guardSpan)
            .loadUnaligned(as: UInt64.self))
        let fields = word & 0xFFFF_FFFF_FFFF
        let check = UInt16(truncatingIfNeeded: word &>> 48)
        let owner = UInt16(truncatingIfNeeded: fields &>> 32)
        guard check == fold16(fields ^ UInt64(recordKey(key, order: order, state: .allocated, slack: slack))),
              Int(owner) < ownerCapacity else { return nil }
        return OwnerRecord(sequenceLow: UInt32(truncatingIfNeeded: fields), owner: owner)
    }

    /// The sequence number of the buffer with `record`: its owner entry's
    /// epoch above the record's low 32 bits; for the unknown owner, the
    /// latest number issued with those low bits.
    mutating func sequence(of record: OwnerRecord) -> UInt64 {
        if record.owner != unknownOwner, let table = owners {
            return UInt64(table[Int(record.owner)].epoch) &<< 32 | UInt64(record.sequenceLow)
        }
        return sequence &- UInt64(UInt32(truncatingIfNeeded: sequence) &- record.sequenceLow)
    }
}
