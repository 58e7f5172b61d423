// Owners.swift — the owner table: one entry per distinct (task, call site,
// epoch) that has live buffers.
//
// Buffers refer to it by a 16-bit index from their owner record, so a
// program with ten call sites pays for ten entries, not for one per buffer.
// Open addressing with a bounded probe (8 slots): a full neighbourhood maps
// the buffer to entry 0, "unknown", instead of doing unbounded work.
//
// The epoch is a sequence number's high 32 bits (2^32 allocations each): the
// owner record keeps only the low 32 (OwnerRecord.swift), and the entry the
// rest. So a buffer's sequence number is exact at any age for 4 bytes per
// (task, site, epoch) instead of 4 more per buffer (the bytes a buffer
// carries in its block decide how well small sizes fill the pool).
// An entry counts the live buffers that refer to it; one that has none is
// given to the next new (task, site, epoch) that probes it, so a long run
// crossing many epochs — or starting many threads — does not fill the table.

/// Index of the "unknown" owner: a full table, or a damaged record.
let unknownOwner: UInt16 = 0

struct OwnerEntry {
    var task: UInt64 = 0
    /// The call site: a file name (`line` >= 0) or a code address (`line` < 0).
    var site: UInt = 0
    /// Scratch space for the leak report's grouping.
    var groupCount: UInt64 = 0
    var groupBytes: UInt64 = 0
    var line: Int32 = 0
    /// The high 32 bits of the sequence numbers of this entry's buffers.
    var epoch: UInt32 = 0
    var used: UInt32 = 0
}

/// Where a buffer came from, as the caller gave it.
struct CallSite {
    var file: UInt = 0
    var line: Int32 = 0

    static let none = CallSite()
}

/// The epoch of a sequence number: its high 32 bits.
@inline(__always)
func epoch(of sequence: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: sequence >> 32) }

extension PoolState {
    static let ownerProbe = 8

    /// Entries a pool of `dataBytes` keeps: one per 8 KiB, 16 to 65,536.
    static func ownerCapacity(forData dataBytes: UInt, tracking: Bool) -> Int {
        if !tracking { return 0 }
        let wanted = floorPowerOfTwo(max(dataBytes / 8192, 1))
        return Int(min(max(wanted, 16), 65536))
    }

    static func ownerEntriesBytes(capacity: Int) -> UInt { alignUp(UInt(capacity * MemoryLayout<OwnerEntry>.stride), 16) }

    /// The table's bytes: the entries, then each entry's count of live
    /// buffers (apart, so that free reaches a count by a scaled index).
    static func ownerTableBytes(capacity: Int) -> UInt {
        ownerEntriesBytes(capacity: capacity) &+ UInt(capacity * MemoryLayout<UInt>.stride)
    }

    /// The table index of (task, site) for a buffer of the current epoch,
    /// counting the buffer in it: unknownOwner when its neighbourhood is full.
    /// Bounded: at most `ownerProbe` slots.
    @inline(__always)
    mutating func addOwnedBuffer(task: UInt64, site: CallSite) -> UInt16 {
        let epoch = DMMS.epoch(of: sequence)
        let index: UInt16
        if task == lastOwnerTask && site.file == lastOwnerSite.file && site.line == lastOwnerSite.line
            && epoch == lastOwnerEpoch && lastOwnerIndex != unknownOwner {
            index = lastOwnerIndex
        } else {
            index = lookUpOwner(task: task, site: site, epoch: epoch)
            lastOwnerTask = task
            lastOwnerSite = site
            lastOwnerEpoch = epoch
            lastOwnerIndex = index
        }
        ownerLive.unsafelyUnwrapped[Int(index)] &+= 1   // entry 0 counts the unknown ones
        return index
    }

    /// A live buffer whose intact record names `index` ends (freed, or its
    /// record replaced by a realloc in place). A buffer quarantined for a
    /// damaged record cannot say which entry it named: it stays counted, and
    /// that entry is never given away. (readOwnerRecord refuses an index
    /// beyond the table.)
    @inline(__always)
    mutating func removeOwnedBuffer(_ index: UInt16) {
        ownerLive.unsafelyUnwrapped[Int(index)] &-= 1
    }

    /// Live buffers whose record names entry `index`.
    @inline(__always)
    mutating func liveBuffers(ofOwner index: UInt16) -> UInt { ownerLive.unsafelyUnwrapped[Int(index)] }

    /// The first slot of the neighbourhood of (task, site). The epoch is not
    /// hashed: every epoch of a (task, site) lies in one neighbourhood, where
    /// the leak report finds them to show them as one group.
    @inline(__always)
    mutating func ownerHome(task: UInt64, site: UInt, line: Int32) -> Int {
        let hash = (task &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(site) ^ UInt64(UInt32(bitPattern: line)) << 40) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: hash >> 40) & (ownerCapacity &- 1)
    }

    /// Finds (task, site, epoch), or gives it the first slot of its
    /// neighbourhood that no live buffer refers to. The probe ends at a slot
    /// never used: no key was ever placed beyond one.
    private mutating func lookUpOwner(task: UInt64, site: CallSite, epoch: UInt32) -> UInt16 {
        guard let table = owners else { return unknownOwner }
        let mask = ownerCapacity &- 1
        var slot = ownerHome(task: task, site: site.file, line: site.line)
        var free = -1
        var probe = 0
        while probe < PoolState.ownerProbe {
            if slot != Int(unknownOwner) {
                let entry = table[slot]
                if entry.used == 0 {
                    if free < 0 {
                        free = slot
                        ownerCount &+= 1
                    }
                    break
                }
                if entry.task == task && entry.site == site.file && entry.line == site.line && entry.epoch == epoch {
                    return UInt16(truncatingIfNeeded: slot)
                }
                if liveBuffers(ofOwner: UInt16(truncatingIfNeeded: slot)) == 0 && free < 0 { free = slot }
            }
            slot = (slot &+ 1) & mask
            probe &+= 1
        }
        guard free >= 0 else { return unknownOwner }
        table[free] = OwnerEntry(task: task, site: site.file, line: site.line, epoch: epoch, used: 1)
        return UInt16(truncatingIfNeeded: free)
    }

    /// The entry behind an index (entry 0 is "unknown": task 0, no site).
    @inline(__always)
    mutating func ownerEntry(_ index: UInt16) -> OwnerEntry {
        guard let table = owners, Int(index) < ownerCapacity, index != unknownOwner else { return OwnerEntry() }
        return table[Int(index)]
    }
}
