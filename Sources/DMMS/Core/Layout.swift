// Layout.swift — turning memory into a pool or a region: where the blocks,
// the block map, the owner table, the locks and the header go, and carving
// the blocks.

import CDMMS

/// A validated dmms_config_t.
struct PoolConfig {
    var flags: UInt32
    var minBlockShift: Int
    var guardBytes: UInt32
    var coalesce: UInt32
    var name: UnsafePointer<CChar>?
    /// On-demand joins one call may do (0: no limit).
    var maxJoins: UInt32

    /// config.min_block: a power of two in this range.
    static let minBlockRange: ClosedRange<UInt> = 16...4096

    static let knownFlags = UInt32(DMMS_F_THREAD_SAFE | DMMS_F_GUARD | DMMS_F_TRACK_OWNER | DMMS_F_FILL_FREE | DMMS_F_ABORT_ON_ERROR)

    static let defaults = PoolConfig(
        flags: UInt32(DMMS_F_THREAD_SAFE | DMMS_F_GUARD | DMMS_F_TRACK_OWNER),
        minBlockShift: 5, guardBytes: 8, coalesce: UInt32(DMMS_COALESCE_LAZY), name: nil)

    /// nil when a field is out of range (`problem(in:)` says which).
    init?(_ config: dmms_config_t) {
        if PoolConfig.problem(in: config) != nil { return nil }
        self.init(flags: config.flags, minBlockShift: log2(ofPowerOfTwo: UInt(config.min_block)),
                  guardBytes: config.guard_bytes, coalesce: config.coalesce, name: config.name, maxJoins: config.max_joins)
    }

    /// What is wrong with a dmms_config_t, or nil.
    static func problem(in config: dmms_config_t) -> StaticString? {
        let minBlock = UInt(config.min_block)
        if config.flags & ~knownFlags != 0 { return "config.flags has unknown bits" }
        if !isPowerOfTwo(minBlock) || !minBlockRange.contains(minBlock) {
            return "config.min_block must be a power of two from 16 to 4096"
        }
        if config.guard_bytes > 64 { return "config.guard_bytes must be 0 to 64" }
        if config.coalesce > UInt32(DMMS_COALESCE_ON_DEMAND) { return "config.coalesce must be a DMMS_COALESCE_* value" }
        return nil
    }

    init(flags: UInt32, minBlockShift: Int, guardBytes: UInt32, coalesce: UInt32, name: UnsafePointer<CChar>?,
         maxJoins: UInt32 = 0) {
        self.maxJoins = maxJoins
        self.flags = flags
        self.minBlockShift = minBlockShift
        self.guardBytes = guardBytes
        self.coalesce = coalesce
        self.name = name
    }

    var minBlock: UInt { UInt(1) << UInt(minBlockShift) }
    var granuleShift: Int { min(minBlockShift, maxGranuleShift) }
    var tracksOwners: Bool { flags & UInt32(DMMS_F_TRACK_OWNER) != 0 }

    static let headerBytes = alignUp(UInt(MemoryLayout<PoolState>.stride), 64)

    /// Bytes of blocks that hold `size` bytes: a multiple of the min block,
    /// and at least one.
    /// Where a region's blocks start in its memory: memory mapped for it
    /// (Platform.mapAligned) after its first page, which holds the region's
    /// sentinel; memory from the program at the first min-block boundary
    /// (with a sentinel when that leaves 8 bytes below it: Guard.swift).
    func regionStart(_ memory: UInt, mapped: Bool) -> UInt {
        mapped ? memory &+ Platform.pageBytes : alignUp(memory, minBlock)
    }

    func blockBytes(holding size: UInt) -> UInt { alignUp(max(size, minBlock), minBlock) }

    /// Metadata for `dataBytes` of blocks: the block map, and for a pool's
    /// first region the owner table, the locks and the header (with room to align it).
    func metadataBytes(forData dataBytes: UInt, firstRegion: Bool) -> UInt {
        let map = alignUp(dataBytes >> UInt(granuleShift), 16)
        if !firstRegion { return map }
        let owners = PoolState.ownerTableBytes(capacity: PoolState.ownerCapacity(forData: dataBytes, tracking: tracksOwners))
        return map &+ owners &+ PoolLocks.bytes &+ PoolConfig.headerBytes &+ 64
    }

    /// The most bytes of blocks (a multiple of the min block) that fit in
    /// `available` bytes with their metadata. Binary search: metadata grows
    /// in steps with the data.
    func dataBytes(fitting available: UInt, firstRegion: Bool) -> UInt {
        var low: UInt = 0
        var high = available >> UInt(minBlockShift)
        while low < high {
            let mid = low &+ (high &- low &+ 1) / 2
            let data = mid << UInt(minBlockShift)
            if data &+ metadataBytes(forData: data, firstRegion: firstRegion) <= available { low = mid } else { high = mid &- 1 }
        }
        return low << UInt(minBlockShift)
    }
}

extension PoolState {
    /// Builds a pool in [memory, memory + size). nil when it cannot hold the
    /// metadata and one min block. `dataLimit` caps the bytes of blocks (a
    /// mapped pool gets what was asked for, not what page rounding left over).
    static func create(memory: UInt, size: UInt, config: PoolConfig, mapped: Bool,
                       dataLimit: UInt = .max) -> UnsafeMutablePointer<PoolState>? {
        let start = config.regionStart(memory, mapped: mapped)
        guard memory & 15 == 0, start >= memory, size > start &- memory else { return nil }
        let data = min(config.dataBytes(fitting: size &- (start &- memory), firstRegion: true), dataLimit)
        guard data >= config.minBlock else { return nil }

        let mapAddress = start &+ data
        let mapBytes = alignUp(data >> UInt(config.granuleShift), 16)
        let ownersAddress = mapAddress &+ mapBytes
        let ownerCapacity = PoolState.ownerCapacity(forData: data, tracking: config.tracksOwners)
        let ownersBytes = PoolState.ownerTableBytes(capacity: ownerCapacity)
        let headerAddress = alignUp(ownersAddress &+ ownersBytes &+ PoolLocks.bytes, 64)   // the locks just below
        guard headerAddress &+ PoolConfig.headerBytes <= memory &+ size else { return nil }

        if !mapped {   // mapped memory is zero already: leave its pages untouched
            UnsafeMutableRawPointer(bitPattern: mapAddress).unsafelyUnwrapped
                .initializeMemory(as: UInt8.self, repeating: 0, count: Int(mapBytes &+ ownersBytes))
        }
        UnsafeMutablePointer<PoolLocks>(bitPattern: headerAddress &- PoolLocks.bytes).unsafelyUnwrapped.initialize(to: PoolLocks())
        let pool = UnsafeMutablePointer<PoolState>(bitPattern: headerAddress).unsafelyUnwrapped
        pool.initialize(to: PoolState())
        pool.pointee.configure(config, base: headerAddress)
        pool.pointee.owners = ownerCapacity > 0 ? UnsafeMutablePointer<OwnerEntry>(bitPattern: ownersAddress) : nil
        pool.pointee.ownerLive = ownerCapacity > 0
            ? UnsafeMutablePointer<UInt>(bitPattern: ownersAddress &+ PoolState.ownerEntriesBytes(capacity: ownerCapacity)) : nil
        pool.pointee.ownerCapacity = ownerCapacity
        pool.pointee.addRegion(Region(start: start, end: start &+ data,
                                      map: UnsafeMutablePointer<UInt8>(bitPattern: mapAddress),
                                      memory: memory, memorySize: size, mapped: mapped))
        Platform.lockInit(pool.poolLock)
        Platform.lockInit(pool.reportLock)
        return pool
    }

    private mutating func configure(_ config: PoolConfig, base: UInt) {
        flags = config.flags
        minBlockShift = config.minBlockShift
        minBlockSize = config.minBlock
        granuleShift = config.granuleShift
        guardSpan = config.flags & UInt32(DMMS_F_GUARD) != 0 ? UInt(config.guardBytes) : 0
        recordSpan = config.tracksOwners ? UInt(OwnerRecord.size) : 0
        extraBytes = guardSpan &+ recordSpan
        guardBytes = config.guardBytes
        coalesce = config.coalesce
        maxJoins = config.maxJoins
        orderLimit = min(maxOrders, UInt.bitWidth &- 2 &- config.minBlockShift)
        freeTailOrder = guardSpan == 0 || config.flags & UInt32(DMMS_F_FILL_FREE) != 0 ? orderLimit
            : config.minBlock < 32 ? 1 : 0
        self.base = base
        secret = mix64(UInt64(base) ^ 0x5EC2_E7D3_A11C_0C02 ^ UInt64(Platform.taskId()) << 32)
        magic = PoolState.liveMagic
        watchedByTools = Platform.toolsWatching()
        noteModes()
        setName(config.name)
    }

    mutating func setName(_ text: UnsafePointer<CChar>?) {
        let fallback: StaticString = "pool"
        var i = 0
        if let text = text {
            while i < 31, text[i] != 0 { name[i] = UInt8(bitPattern: text[i]); i &+= 1 }
        } else {
            while i < fallback.utf8CodeUnitCount { name[i] = fallback.utf8Start[i]; i &+= 1 }
        }
        while i < 32 { name[i] = 0; i &+= 1 }
    }

    /// The config this pool was made with (name excluded).
    var config: PoolConfig {
        PoolConfig(flags: flags, minBlockShift: minBlockShift, guardBytes: guardBytes, coalesce: coalesce, name: nil,
                   maxJoins: maxJoins)
    }

    /// Adds memory as a region (its map at its end) and carves it.
    mutating func addMemory(_ memory: UInt, size: UInt, mapped: Bool) -> dmms_status_t {
        guard regionCount < maxRegions else { return DMMSStatus.noMemory }
        let config = self.config
        let start = config.regionStart(memory, mapped: mapped)
        guard memory & 15 == 0, memory != 0, start >= memory, size > start &- memory else { return DMMSStatus.invalidArgument }
        let data = config.dataBytes(fitting: size &- (start &- memory), firstRegion: false)
        guard data >= config.minBlock else { return DMMSStatus.invalidArgument }
        let mapBytes = alignUp(data >> UInt(granuleShift), 16)
        if !mapped {   // mapped memory is zero already: leave its pages untouched
            UnsafeMutableRawPointer(bitPattern: start &+ data).unsafelyUnwrapped
                .initializeMemory(as: UInt8.self, repeating: 0, count: Int(mapBytes))
        }
        addRegion(Region(start: start, end: start &+ data,
                         map: UnsafeMutablePointer<UInt8>(bitPattern: start &+ data),
                         memory: memory, memorySize: size, mapped: mapped))
        return DMMSStatus.ok
    }

    /// Appends a region and carves it. Entries never move: dmms_free finds a
    /// pointer's pool by scanning region tables without the pool's lock.
    /// (Walks find address order themselves: nextBlock.)
    private mutating func addRegion(_ region: Region) {
        var region = region
        region.mapBias = UInt(bitPattern: region.map) &- region.start &>> UInt(granuleShift)
        let index = regionCount
        regions[at: index] = region
        Platform.releaseFence()                 // holds() reads the table without the lock
        regionCount &+= 1
        writeSentinel(region: index)
        counters.poolBytes &+= region.end &- region.start
        counters.overheadBytes &+= region.memorySize &- (region.end &- region.start)
        carve(region: index)
        if watched { Platform.toolsNoAccess(region.memory, toolsHiddenBytes(of: region)) }
    }

    /// The bytes of a region's memory, from its start, that are the pool's
    /// alone for the memory tools: all of it (sentinel, blocks, map, owner
    /// table), but for the pool's first region the locks and the header at
    /// its end, which a call reads before it takes the lock.
    private func toolsHiddenBytes(of region: Region) -> UInt {
        let locks = base &- PoolLocks.bytes
        return locks &- region.memory < region.memorySize ? locks &- region.memory : region.memorySize
    }

    /// True when [memory, memory + size) overlaps any memory of this pool.
    mutating func overlaps(_ memory: UInt, size: UInt) -> Bool {
        var r = 0
        while r < regionCount {
            let other = regions[at: r]
            if memory < other.memory &+ other.memorySize && other.memory < memory &+ size { return true }
            r &+= 1
        }
        return false
    }

    /// True when `address` is inside this pool's memory but not in its blocks.
    mutating func isMetadata(_ address: UInt) -> Bool {
        var r = 0
        while r < regionCount {
            if address &- regions[at: r].memory < regions[at: r].memorySize { return !regions[at: r].contains(address) }
            r &+= 1
        }
        return false
    }

    /// Maps a region that holds a block of `order` (the default pool's growth):
    /// twice the largest region (up to 1 GiB), or the block itself if larger,
    /// aligned to its own size so that it is one top block — a block of 2 GiB
    /// needs a region aligned to 2 GiB. Mapped pages cost nothing until used.
    /// When the OS refuses that size (a limit on address space, `ulimit -v`),
    /// half of it, and so on down to the block itself: the pool gets what the
    /// limit leaves, not about half of it. A region that cannot join the pool
    /// goes back to the OS at once.
    mutating func grow(toHold order: Int) -> Bool {
        guard growsFromOS, regionCount < maxRegions, order < orderLimit else { return false }
        var largest: UInt = 0
        var r = 0
        while r < regionCount {
            largest = max(largest, regions[at: r].end &- regions[at: r].start)
            r &+= 1
        }
        let preferred = min(floorPowerOfTwo(largest) &<< 1, UInt(1) << 30)
        let config = self.config
        guard let (memory, size) = firstGranted(from: preferred, downTo: blockSize(order), { data in
            let size = alignUp(data &+ config.metadataBytes(forData: data, firstRegion: false), Platform.pageBytes)
            return Platform.mapAligned(size, alignment: data).map { ($0, Platform.pageBytes &+ size) }
        }) else { return false }
        if addMemory(memory, size: size, mapped: true) == DMMSStatus.ok { return true }
        Platform.unmap(memory, size)
        return false
    }

    /// Returns every region's memory to the memory tools and mapped regions
    /// to the OS. The pool is gone after this. The header lives in one of
    /// them: that one goes last.
    mutating func unmapRegions() {
        magic = 0
        let pool = Pool(bitPattern: base).unsafelyUnwrapped
        Platform.lockDestroy(pool.poolLock)
        Platform.lockDestroy(pool.reportLock)
        var home = Region()
        var r = 0
        while r < regionCount {
            let region = regions[at: r]
            if watched { Platform.toolsReturned(region.memory, region.memorySize) }
            if base &- region.memory < region.memorySize { home = region }
            else if region.mapped { Platform.unmap(region.memory, alignUp(region.memorySize, Platform.pageBytes)) }
            r &+= 1
        }
        if home.mapped { Platform.unmap(home.memory, alignUp(home.memorySize, Platform.pageBytes)) }
    }

}
