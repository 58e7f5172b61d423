// Owners.swift — the owner table: one entry per distinct (task, call site).
//
// Buffers refer to it by a 16-bit index from their owner record, so a
// program with ten call sites pays for ten entries, not for one per buffer.
// Open addressing with a bounded probe (8 slots): a full neighbourhood maps
// the buffer to entry 0, "unknown", instead of doing unbounded work.

/// Index of the "unknown" owner: a full table, or a damaged record.
let unknownOwner: UInt16 = 0

struct OwnerEntry {
    var task: UInt64 = 0
    /// The call site: a file name (`line` >= 0) or a code address (`line` < 0).
    var site: UInt = 0
    var line: Int32 = 0
    var used: UInt32 = 0
    /// Scratch space for the leak report's grouping.
    var groupCount: UInt64 = 0
    var groupBytes: UInt64 = 0
}

/// Where a buffer came from, as the caller gave it.
struct CallSite {
    var file: UInt = 0
    var line: Int32 = 0

    static let none = CallSite()
}

extension PoolState {
    static let ownerProbe = 8

    /// Entries a pool of `dataBytes` keeps: one per 8 KiB, 16 to 65,536.
    static func ownerCapacity(forData dataBytes: UInt, tracking: Bool) -> Int {
        if !tracking { return 0 }
        let wanted = floorPowerOfTwo(max(dataBytes / 8192, 1))
        return Int(min(max(wanted, 16), 65536))
    }

    /// The table index of (task, site), adding it when new; unknownOwner when
    /// its neighbourhood is full. Bounded: at most `ownerProbe` slots.
    @inline(__always)
    mutating func ownerIndex(task: UInt64, site: CallSite) -> UInt16 {
        if task == lastOwnerTask && site.file == lastOwnerSite.file && site.line == lastOwnerSite.line && lastOwnerIndex != unknownOwner {
            return lastOwnerIndex
        }
        let index = lookUpOwner(task: task, site: site)
        lastOwnerTask = task
        lastOwnerSite = site
        lastOwnerIndex = index
        return index
    }

    private mutating func lookUpOwner(task: UInt64, site: CallSite) -> UInt16 {
        guard let table = owners else { return unknownOwner }
        let mask = ownerCapacity &- 1
        let hash = (task &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(site.file) ^ UInt64(UInt32(bitPattern: site.line)) << 40) &* 0xBF58_476D_1CE4_E5B9
        var slot = Int(truncatingIfNeeded: hash >> 40) & mask
        var probe = 0
        while probe < PoolState.ownerProbe {
            if slot != Int(unknownOwner) {
                let entry = table + slot
                if entry.pointee.used == 0 {
                    entry.pointee = OwnerEntry(task: task, site: site.file, line: site.line, used: 1)
                    ownerCount &+= 1
                    return UInt16(truncatingIfNeeded: slot)
                }
                if entry.pointee.task == task && entry.pointee.site == site.file && entry.pointee.line == site.line {
                    return UInt16(truncatingIfNeeded: slot)
                }
            }
            slot = (slot &+ 1) & mask
            probe &+= 1
        }
        return unknownOwner
    }

    /// The entry behind an index (entry 0 is "unknown": task 0, no site).
    @inline(__always)
    mutating func ownerEntry(_ index: UInt16) -> OwnerEntry {
        guard let table = owners, Int(index) < ownerCapacity, index != unknownOwner else { return OwnerEntry() }
        return table[Int(index)]
    }
}
