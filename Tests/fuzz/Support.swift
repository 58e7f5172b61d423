// Support.swift — what both fuzz harnesses share: the input reader, the
// recording error handler, and PoolModel, the oracle that mirrors one pool.
//
// Compiled (non-Embedded, -sanitize=fuzzer,address) in one swiftc invocation
// with the core sources and one harness, so libFuzzer sees the core's
// coverage. The harnesses drive the pool through the C API (dmms_*); the
// model reads the pool's internals only to learn its regions and, for the
// misuse harness, what the block map says lies at an address.

import CDMMS
import Glibc

// MARK: failing

/// Stops the run: libFuzzer saves the input that got here.
func fuzzFail(_ message: String) -> Never {
    fputs("fuzz oracle: \(message)\n", stderr)
    abort()
}

@inline(__always)
func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fuzzFail(message()) }
}

/// FUZZ_TRACE=1: one line per operation on stderr (for reading a crash).
let tracing = getenv("FUZZ_TRACE") != nil

@inline(__always)
func trace(_ message: @autoclosure () -> String) {
    if tracing { fputs("  \(message())\n", stderr) }
}

// MARK: the input, read as a stream of small decisions (zeros once exhausted)

struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ data: UnsafePointer<UInt8>?, _ count: Int) { bytes = UnsafeBufferPointer(start: data, count: count) }

    var exhausted: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        position += 1
        return bytes[position - 1]
    }

    mutating func u16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : (n <= 256 ? Int(byte()) % n : Int(u16()) % n) }

    /// A request size: mostly small, some near a block size, some larger than
    /// the pool, a few that must never overflow (SIZE_MAX and its neighbours).
    mutating func requestSize() -> UInt {
        let b = byte()
        switch b >> 6 {
        case 0: return UInt(b & 63)
        case 1: return 64 + UInt(byte()) * UInt(1 + b & 7)
        case 2: return UInt(u16()) & 0x3FFF
        default:
            if b == 0xFF { return [UInt.max, UInt.max - 8, UInt.max / 2, UInt(1) << 40][Int(byte()) & 3] }
            return UInt(u16()) << UInt(b & 3)
        }
    }
}

// MARK: memory the pools are made in (allocated once per process)

/// 1 MiB aligned to 1 MiB for pools over caller memory, and 1 MiB for regions.
nonisolated(unsafe) let poolArena: UnsafeMutableRawPointer = alignedArena(1 << 20)
nonisolated(unsafe) let regionArena: UnsafeMutableRawPointer = alignedArena(1 << 20)

func alignedArena(_ bytes: Int) -> UnsafeMutableRawPointer {
    var memory: UnsafeMutableRawPointer? = nil
    expect(posix_memalign(&memory, bytes, bytes) == 0, "posix_memalign")
    return memory!
}

/// Pseudo-random bytes that buffers are filled from (1 MiB: any buffer of
/// any pool fits from any offset in its first half).
let fuzzPatternBytes = 1 << 20
nonisolated(unsafe) let fuzzPattern: UnsafeMutablePointer<UInt8> = {
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: fuzzPatternBytes)
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    for i in 0..<fuzzPatternBytes {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        bytes[i] = UInt8(truncatingIfNeeded: x)
    }
    return bytes
}()

// MARK: the recording error handler

struct SeenReport: CustomStringConvertible {
    var status: dmms_status_t
    var ptr: UInt
    var offset: UInt64
    var requested: UInt64
    var inPool: Bool

    var description: String {
        "\(String(cString: dmms_strerror(status))) ptr 0x\(String(ptr, radix: 16)) offset \(offset) requested \(requested)"
    }
}

nonisolated(unsafe) var seenReports: [SeenReport] = []

func recordReport(_ error: UnsafePointer<dmms_error_t>?, _ arg: UnsafeMutableRawPointer?) {
    guard let e = error?.pointee else { return }
    seenReports.append(SeenReport(status: e.status, ptr: UInt(bitPattern: e.ptr), offset: e.offset,
                                  requested: e.requested, inPool: e.pool_name != nil))
}

func takeReports() -> [SeenReport] {
    defer { seenReports.removeAll(keepingCapacity: true) }
    return seenReports
}

/// An output sink for dmms_show and friends: every line must end in '\n'.
func checkLine(_ text: UnsafePointer<CChar>?, _ arg: UnsafeMutableRawPointer?) {
    guard let text = text else { fuzzFail("report line is NULL") }
    let length = strlen(text)
    expect(length > 0 && text[length - 1] == 10, "report line without a newline")
}

nonisolated(unsafe) var walked: [dmms_block_info_t] = []

func collectBlock(_ info: UnsafePointer<dmms_block_info_t>?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    walked.append(info!.pointee)
    return 0
}

let siteFile: StaticString = "fuzz.swift"

func staticCString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

// MARK: the model

/// A live buffer as the model knows it.
struct ModelBuffer {
    var address: UInt
    var size: UInt
    var order: Int
    /// Offset of the buffer's contents in fuzzPattern.
    var pattern: Int
    var line: Int32
    var sequence: UInt64
    /// An overrun left in a live buffer (a realloc of it failed): dmms_check
    /// reports it at this offset, and the call that ends the buffer reports
    /// and counts it once.
    var damagedGuard: UInt64? = nil
    /// A damaged owner record left in a live buffer (a realloc of it failed):
    /// dmms_check reports it; the call that ends the buffer quarantines it.
    var damagedRecord = false
    /// The owner record was written over (by a damage left in the buffer):
    /// the walk and the leak report cannot be checked against the model for it.
    var recordWritten = false
    /// When it was allocated, the owner table's neighbourhood could have
    /// been full (enough other (site, epoch) owners live): its owner may be
    /// the unknown one, and its sequence number then the latest one issued
    /// with its low 32 bits.
    var ownerMayBeUnknown = false

    /// Its owner entry's key in the model: (line, epoch); one task.
    var ownerKey: UInt64 { UInt64(UInt32(bitPattern: line)) << 32 | sequence >> 32 }

    /// What the call that ends this buffer must report.
    var damage: dmms_status_t {
        damagedGuard != nil ? DMMS_E_OVERRUN : (damagedRecord ? DMMS_E_CORRUPT : DMMS_OK)
    }

    var pointer: UnsafeMutablePointer<UInt8> { UnsafeMutablePointer(bitPattern: address)! }
}

/// Damage the misuse harness left in free memory: the report that must
/// come (from dmms_check while it lasts, from an operation once).
enum PendingDamage {
    /// A free block's links (its first 16 bytes): DMMS_E_CORRUPT at `block`.
    case links(block: UInt)
    /// A free block's fill (DMMS_F_FILL_FREE): DMMS_E_WRITE_AFTER_FREE whose
    /// ptr + offset is `address`.
    case fill(address: UInt)

    func matches(_ r: SeenReport) -> Bool {
        switch self {
        case .links(let block): return r.status == DMMS_E_CORRUPT && r.ptr == block
        case .fill(let address): return r.status == DMMS_E_WRITE_AFTER_FREE && r.ptr &+ UInt(r.offset) == address
        }
    }
}

/// Configuration bits decoded from the input's first bytes.
struct ModelConfig {
    var config = dmms_config_t()
    var mapped = false
    var memoryOffset = 0
    var size = 0

    init(_ input: inout FuzzInput, maxPool: Int) {
        dmms_config_init(&config)
        let b0 = input.byte(), b1 = input.byte(), b2 = input.byte()
        config.coalesce = UInt32(b0 & 3) % 3
        config.flags = 0
        if b0 & 0x04 != 0 { config.flags |= UInt32(DMMS_F_GUARD) }
        if b0 & 0x08 != 0 { config.flags |= UInt32(DMMS_F_TRACK_OWNER) }
        if b0 & 0x10 != 0 { config.flags |= UInt32(DMMS_F_FILL_FREE) }
        if b0 & 0x20 == 0 { config.flags |= UInt32(DMMS_F_THREAD_SAFE) }
        mapped = b0 & 0x40 != 0
        // min block 16..64 mostly, up to 4096 now and then
        config.min_block = UInt32(16) << UInt32(b1 >= 240 ? b1 % 9 : b1 % 3)
        config.guard_bytes = UInt32(b2 % 65)
        config.name = staticCString("fuzz")
        memoryOffset = Int(input.byte() & 0x3F) * 16
        size = 4096 + Int(input.u16()) * 4 % (maxPool - 4096)
    }
}

final class PoolModel {
    let pool: OpaquePointer
    let config: dmms_config_t
    let minBlock: UInt
    let guardSpan: UInt
    let recordSpan: UInt
    let orderLimit: Int
    var extra: UInt { guardSpan + recordSpan }
    var tracks: Bool { recordSpan != 0 }
    var fillsFree: Bool { config.flags & UInt32(DMMS_F_FILL_FREE) != 0 }
    /// Free blocks of this order keep a free tail (their last 8 bytes, checked
    /// when the block stops being free): with guards and without the fill,
    /// in blocks with room for it after their 16 bytes of links.
    func hasFreeTail(_ order: Int) -> Bool { guardSpan != 0 && !fillsFree && blockSize(order) >= 32 }

    /// Live buffers, sorted by address.
    var live: [ModelBuffer] = []
    /// Addresses of buffers freed or quarantined lately (for double frees).
    var stale: [UInt] = []
    var patternCursor = 0

    // The figures dmms_stats must show.
    var totalAllocs: UInt64 = 0
    /// Added to the pool's sequence counter by advanceSequence.
    var sequenceBase: UInt64 = 0
    /// Live buffers per owner key (ModelBuffer.ownerKey).
    var liveOwners: [UInt64: Int] = [:]
    var totalFrees: UInt64 = 0
    var failedAllocs: UInt64 = 0
    var bytesRequested: UInt64 = 0
    var bytesAlloc: UInt64 = 0
    var inUse = [UInt64](repeating: 0, count: 48)
    var allocs = [UInt64](repeating: 0, count: 48)
    var failures = [UInt64](repeating: 0, count: 48)
    var overruns: UInt64 = 0
    var badFrees: UInt64 = 0
    var doubleFrees: UInt64 = 0
    var corruptions: UInt64 = 0
    var quarantinedBytes: UInt64 = 0
    /// Quarantined memory, as [start, end): neither live nor free.
    var quarantined: [(start: UInt, end: UInt)] = []

    /// Free blocks per order when every buffer is back: the top blocks.
    var topShape = [UInt64](repeating: 0, count: 48)
    var poolBytes: UInt64 = 0
    var orderCount = 0
    var regionCount = 1
    /// Parts of the region arena given to the pool, as [start, end) offsets.
    var addedRegions: [(start: Int, end: Int)] = []
    var regionCursor = 0

    var pending: PendingDamage? = nil
    /// Operations done (for the periodic deep checks).
    var operations = 0

    init?(_ decoded: ModelConfig) {
        config = decoded.config
        var c = decoded.config
        let memory: UnsafeMutableRawPointer? = decoded.mapped ? nil : poolArena + decoded.memoryOffset
        let created = dmms_pool_create(memory, decoded.size, &c)
        let reports = takeReports()
        guard let created = created else {
            expect(reports.count == 1 && reports[0].status == DMMS_E_INVALID_ARG, "create failed with \(reports)")
            expect(decoded.size < 16384, "pool of \(decoded.size) bytes not created")
            return nil
        }
        expect(reports.isEmpty, "create reported \(reports)")
        pool = created
        minBlock = UInt(config.min_block)
        guardSpan = config.flags & UInt32(DMMS_F_GUARD) != 0 ? UInt(config.guard_bytes) : 0
        recordSpan = config.flags & UInt32(DMMS_F_TRACK_OWNER) != 0 ? 8 : 0
        orderLimit = min(40, 62 - minBlock.trailingZeroBitCount)
        let s = stats()
        poolBytes = s.pool_bytes
        orderCount = Int(s.order_count)
        forEachOrder(s) { k, o in topShape[k] = o.free_blocks }
        expect(s.bytes_free == s.pool_bytes && s.blocks_alloc == 0, "new pool not all free")
    }

    // MARK: sizes

    func blockSize(_ order: Int) -> UInt { minBlock << UInt(order) }

    /// The order a request lands in, or nil when no order of this pool can
    /// hold it (the library's rule: requested + guard + record, at least the
    /// alignment).
    func order(forSize size: UInt, alignment: UInt = 0) -> Int? {
        guard size <= UInt.max - extra else { return nil }
        var need = max(size + extra, 1)
        if alignment > minBlock { need = max(need, alignment) }
        if need > UInt(1) << 62 { return nil }
        var k = 0
        while blockSize(k) < need { k += 1 }
        return k < orderLimit ? k : nil
    }

    var largestBlock: UInt { orderCount > 0 ? blockSize(orderCount - 1) : 0 }

    // MARK: the pool's figures

    func stats() -> dmms_stats_t {
        var s = dmms_stats_t()
        expect(dmms_stats(pool, &s) == DMMS_OK, "dmms_stats failed")
        return s
    }

    func forEachOrder(_ s: dmms_stats_t, _ body: (Int, dmms_order_stats_t) -> Void) {
        var copy = s.orders
        withUnsafeBytes(of: &copy) { raw in
            let rows = raw.bindMemory(to: dmms_order_stats_t.self)
            for k in 0..<Int(s.order_count) { body(k, rows[k]) }
        }
    }

    /// dmms_stats against the model, figure by figure.
    func compareStats(_ when: String) {
        let s = stats()
        func same(_ got: UInt64, _ want: UInt64, _ name: String) {
            expect(got == want, "\(when): \(name) is \(got), model says \(want)")
        }
        same(s.blocks_alloc, UInt64(live.count), "blocks_alloc")
        same(s.bytes_requested, bytesRequested, "bytes_requested")
        same(s.bytes_alloc, bytesAlloc, "bytes_alloc")
        same(s.total_allocs, totalAllocs, "total_allocs")
        same(s.total_frees, totalFrees, "total_frees")
        same(s.failed_allocs, failedAllocs, "failed_allocs")
        same(s.overruns, overruns, "overruns")
        same(s.bad_frees, badFrees, "bad_frees")
        same(s.double_frees, doubleFrees, "double_frees")
        same(s.corruptions, corruptions, "corruptions")
        same(s.pool_bytes, poolBytes, "pool_bytes")
        same(UInt64(s.order_count), UInt64(orderCount), "order_count")
        same(s.bytes_free, poolBytes - bytesAlloc - quarantinedBytes, "bytes_free")
        same(s.max_bytes_alloc >= s.bytes_alloc ? 1 : 0, 1, "max_bytes_alloc >= bytes_alloc")
        var blocksFree: UInt64 = 0
        forEachOrder(s) { k, o in
            same(o.block_size, UInt64(blockSize(k)), "orders[\(k)].block_size")
            same(o.in_use, inUse[k], "orders[\(k)].in_use")
            same(o.allocs, allocs[k], "orders[\(k)].allocs")
            same(o.failures, failures[k], "orders[\(k)].failures")
            same(o.high_water >= o.in_use ? 1 : 0, 1, "orders[\(k)].high_water >= in_use")
            same(o.lazy_free <= o.free_blocks ? 1 : 0, 1, "orders[\(k)].lazy_free <= free_blocks")
            if config.coalesce == UInt32(DMMS_COALESCE_EAGER) { same(o.lazy_free, 0, "orders[\(k)].lazy_free (eager)") }
            blocksFree += o.free_blocks
        }
        same(s.blocks_free, blocksFree, "blocks_free")
        if tracks { same(dmms_mark(pool), sequenceBase + totalAllocs, "dmms_mark") }
    }

    // MARK: reports

    /// Takes the reports an operation made, accepting the pending damage's
    /// report once (which resolves it), and compares the rest with `wanted`.
    func expectReports(_ wanted: [(dmms_status_t, UInt?)], _ what: String) {
        var got = takeReports()
        if let damage = pending, let i = got.firstIndex(where: damage.matches) {
            got.remove(at: i)
            resolvePending()
        }
        var ok = got.count == wanted.count
        for (r, w) in zip(got, wanted) where r.status != w.0 || (w.1 != nil && r.ptr != w.1!) { ok = false }
        if !ok {
            let names = wanted.map { String(cString: dmms_strerror($0.0)) }
            fuzzFail("\(what): reports \(got), wanted \(names)")
        }
    }

    /// The pending damage was found by an operation. Links: the min block
    /// that holds them is quarantined, the rest of the block freed again.
    /// Fill: reported once, and the block handed out all the same.
    func resolvePending() {
        if case .links(let block)? = pending {
            corruptions += 1
            quarantinedBytes += UInt64(minBlock)
            quarantined.append((block, block + minBlock))
        }
        pending = nil
    }

    // MARK: what the pool's header and block map say (read only)

    var header: UnsafeMutablePointer<PoolState> { UnsafeMutablePointer<PoolState>(pool) }

    /// Each region: its blocks [start, end) and its memory [memory, memoryEnd).
    func regionBounds() -> [(start: UInt, end: UInt, memory: UInt, memoryEnd: UInt)] {
        (0..<header.pointee.regionCount).map { r in
            let region = header.pointee.regions[at: r]
            return (region.start, region.end, region.memory, region.memory + region.memorySize)
        }
    }

    /// What the block map says holds `address`: the block's start, order, state.
    func mapBlock(holding address: UInt) -> (start: UInt, order: Int, state: BlockState)? {
        let r = header.pointee.regionIndex(of: address)
        guard r >= 0, let block = header.pointee.block(containing: address, in: r) else { return nil }
        return (block.address, block.order, block.state)
    }

    /// dmms_check: clean, except for the damage the model knows is there.
    func verifyCheck(_ when: String) {
        let problems = dmms_check(pool)
        var got = takeReports()
        var wanted = 0
        if let damage = pending {
            wanted += 1
            let i = got.firstIndex(where: damage.matches)
            expect(i != nil, "\(when): dmms_check did not report \(damage) (reports: \(got))")
            got.remove(at: i!)
        }
        for b in live where b.damage != DMMS_OK {
            wanted += 1
            let i = got.firstIndex { $0.status == b.damage && $0.ptr == b.address
                                     && (b.damagedGuard == nil || $0.offset == b.damagedGuard!) }
            expect(i != nil, "\(when): dmms_check did not report the damage of 0x\(String(b.address, radix: 16))")
            got.remove(at: i!)
        }
        expect(got.isEmpty && problems == UInt64(wanted), "\(when): dmms_check found \(problems), unexpected \(got)")
    }

    // MARK: buffers

    /// A buffer holds bytes [pattern, pattern + size) of the pattern: memcpy
    /// to fill, memcmp to verify (the byte loops would spend the fuzzer's
    /// time instrumenting the harness instead of the core).
    func fill(_ b: ModelBuffer) {
        memcpy(b.pointer, fuzzPattern + b.pattern, Int(b.size))
    }

    /// The first `count` bytes still hold the buffer's pattern.
    func intact(_ b: ModelBuffer, count: UInt? = nil) -> Bool {
        memcmp(b.pointer, fuzzPattern + b.pattern, Int(min(count ?? b.size, b.size))) == 0
    }

    func index(of address: UInt) -> Int? {
        var low = 0, high = live.count
        while low < high {
            let mid = (low + high) / 2
            if live[mid].address < address { low = mid + 1 } else { high = mid }
        }
        return low < live.count && live[low].address == address ? low : nil
    }

    /// The live buffer whose block holds `address`, if any.
    func liveBlock(holding address: UInt) -> Int? {
        var low = 0, high = live.count
        while low < high {
            let mid = (low + high) / 2
            if live[mid].address <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let b = live[low - 1]
        return address < b.address + blockSize(b.order) ? low - 1 : nil
    }

    /// A new buffer: aligned, inside no other buffer's block, the size the
    /// pool says; then counted and filled.
    @discardableResult
    func admit(_ p: UnsafeMutableRawPointer, size: UInt, order: Int, alignment: UInt, line: Int32, zeroed: Bool,
               _ what: String) -> ModelBuffer {
        let address = UInt(bitPattern: p)
        expect(address & 15 == 0, "\(what): 0x\(String(address, radix: 16)) not 16-byte aligned")
        if alignment > 1 { expect(address & (alignment - 1) == 0, "\(what): not aligned to \(alignment)") }
        expect(dmms_usable_size(p) == size, "\(what): usable size \(dmms_usable_size(p)), requested \(size)")
        let end = address + blockSize(order)
        var at = 0
        while at < live.count && live[at].address < address { at += 1 }
        if at > 0 {
            let below = live[at - 1]
            expect(below.address + blockSize(below.order) <= address, "\(what): block overlaps the one at 0x\(String(below.address, radix: 16))")
        }
        if at < live.count { expect(end <= live[at].address, "\(what): block overlaps the one at 0x\(String(live[at].address, radix: 16))") }
        if zeroed {
            let bytes = p.assumingMemoryBound(to: UInt8.self)
            for i in 0..<Int(size) where bytes[i] != 0 { fuzzFail("\(what): calloc byte \(i) is not zero") }
        }
        totalAllocs += 1
        inUse[order] += 1
        allocs[order] += 1
        bytesRequested += UInt64(size)
        bytesAlloc += UInt64(blockSize(order))
        patternCursor = (patternCursor + 4099) % (fuzzPatternBytes / 2)
        var b = ModelBuffer(address: address, size: size, order: order, pattern: patternCursor, line: line, sequence: sequenceBase + totalAllocs)
        // An owner is unknown only when all 8 slots of its neighbourhood (7
        // when it holds entry 0) hold other owners with live buffers.
        b.ownerMayBeUnknown = liveOwners.keys.filter { $0 != b.ownerKey }.count >= PoolState.ownerProbe - 1
        liveOwners[b.ownerKey, default: 0] += 1
        live.insert(b, at: at)
        fill(b)
        stale.removeAll { $0 >= address && $0 < end }
        return b
    }

    /// The latest sequence number issued with the low 32 bits of `sequence`:
    /// what the pool says of a buffer with the unknown owner.
    func latestSequence(withLowBitsOf sequence: UInt64) -> UInt64 {
        let now = sequenceBase + totalAllocs
        return now - UInt64(UInt32(truncatingIfNeeded: now) &- UInt32(truncatingIfNeeded: sequence))
    }

    /// As if `allocations` more had been made (2^32 real ones take half an
    /// hour): sequence numbers past 2^32 must stay exact in the walk and the
    /// leak report, across epochs (Owners.swift).
    func advanceSequence(by allocations: UInt64) {
        header.pointee.sequence &+= allocations
        sequenceBase &+= allocations
    }

    /// Takes live[i] out of `live` and of its owner's count. A quarantined
    /// buffer stays counted in the pool (its record cannot name its entry):
    /// the model keeps its owner live too.
    @discardableResult
    func forget(at i: Int, quarantined: Bool = false) -> ModelBuffer {
        let b = live.remove(at: i)
        if !quarantined {
            liveOwners[b.ownerKey]! -= 1
            if liveOwners[b.ownerKey] == 0 { liveOwners[b.ownerKey] = nil }
        }
        return b
    }

    /// A buffer leaves the model (freed, or quarantined when `quarantined`).
    func release(at i: Int, quarantined: Bool = false) {
        let b = forget(at: i, quarantined: quarantined)
        inUse[b.order] -= 1
        bytesRequested -= UInt64(b.size)
        bytesAlloc -= UInt64(blockSize(b.order))
        if quarantined {
            corruptions += 1
            quarantinedBytes += UInt64(blockSize(b.order))
            self.quarantined.append((b.address, b.address + blockSize(b.order)))
        } else {
            totalFrees += 1
        }
        if stale.count >= 64 { stale.removeFirst() }
        stale.append(b.address)
    }

    /// A request that got NULL: one DMMS_E_NO_MEMORY, counted, and only when
    /// no free block of its order is left after the joins.
    func refused(size: UInt, order: Int?, _ what: String) {
        expectReports([(DMMS_E_NO_MEMORY, nil)], what)
        failedAllocs += 1
        if let k = order {
            failures[k] += 1
            if k < orderCount {
                let s = stats()
                expect(s.max_block_free < UInt64(blockSize(k)),
                       "\(what): \(size) bytes refused with a free block of \(s.max_block_free) (order \(k))")
            }
        }
    }

    // MARK: the operations (every one checks what it can see at once)

    func allocate(size: UInt, line: Int32 = 0, _ what: String = "alloc") {
        let p = line > 0 ? dmms_pool_alloc_at(pool, Int(bitPattern: size), staticCString(siteFile), line)
                         : dmms_pool_alloc(pool, Int(bitPattern: size))
        let order = self.order(forSize: size)
        guard let p = p else { return refused(size: size, order: order, "\(what)(\(size))") }
        expectReports([], what)
        expect(order != nil, "\(what)(\(size)) succeeded beyond every order")
        admit(p, size: size, order: order!, alignment: 0, line: line, zeroed: false, "\(what)(\(size))")
    }

    func callocate(count: UInt, each: UInt) {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: each)
        let p = dmms_pool_calloc(pool, Int(bitPattern: count), Int(bitPattern: each))
        let size = overflow ? UInt.max : bytes
        let order = self.order(forSize: size)
        guard let p = p else { return refused(size: size, order: order, "calloc(\(count), \(each))") }
        expectReports([], "calloc")
        expect(!overflow && order != nil, "calloc(\(count), \(each)) succeeded")
        admit(p, size: bytes, order: order!, alignment: 0, line: 0, zeroed: true, "calloc(\(count), \(each))")
    }

    func alignedAllocate(alignment: UInt, size: UInt) {
        let p = dmms_pool_aligned_alloc(pool, Int(bitPattern: alignment), Int(bitPattern: size))
        let valid = alignment != 0 && alignment & (alignment - 1) == 0 && alignment <= largestBlock
        if !valid {
            expect(p == nil, "aligned_alloc(\(alignment)) accepted a bad alignment")
            return expectReports([(DMMS_E_INVALID_ARG, nil)], "aligned_alloc(\(alignment), \(size))")
        }
        let order = self.order(forSize: size, alignment: alignment)
        guard let p = p else { return refused(size: size, order: order, "aligned_alloc(\(alignment), \(size))") }
        expectReports([], "aligned_alloc")
        expect(order != nil, "aligned_alloc(\(alignment), \(size)) succeeded beyond every order")
        admit(p, size: size, order: order!, alignment: alignment, line: 0, zeroed: false, "aligned_alloc(\(alignment), \(size))")
    }

    /// Frees live[i] through dmms_pool_free or dmms_free. `expected` is the
    /// status the free must give (DMMS_E_OVERRUN for a damaged guard).
    func free(at i: Int, anyPool: Bool, expected: dmms_status_t = DMMS_OK) {
        let b = live[i]
        expect(intact(b), "free: buffer 0x\(String(b.address, radix: 16)) lost its contents")
        let status = anyPool ? dmms_free(b.pointer) : dmms_pool_free(pool, b.pointer)
        expect(status == expected, "free(0x\(String(b.address, radix: 16))) gave \(String(cString: dmms_strerror(status)))")
        switch expected {
        case DMMS_OK: expectReports([], "free")
        case DMMS_E_OVERRUN: overruns += 1; expectReports([(DMMS_E_OVERRUN, b.address)], "free of an overrun buffer")
        case DMMS_E_CORRUPT: expectReports([(DMMS_E_CORRUPT, b.address)], "free of a damaged record")
        default: fuzzFail("free: no model for \(expected)")
        }
        release(at: i, quarantined: expected == DMMS_E_CORRUPT)
    }

    /// Reallocates live[i] (nil: realloc(NULL, size)). `inspection` is what
    /// the buffer's check must report first (OVERRUN or CORRUPT), if anything.
    /// `recordWritten`: the damage reached the owner record.
    func reallocate(at i: Int?, size: UInt, inspection: dmms_status_t = DMMS_OK, recordWritten: Bool = false) {
        guard let i = i else {
            let p = dmms_pool_realloc(pool, nil, Int(bitPattern: size))
            let order = self.order(forSize: size)
            guard let p = p else { return refused(size: size, order: order, "realloc(NULL, \(size))") }
            expectReports([], "realloc(NULL)")
            admit(p, size: size, order: order!, alignment: 0, line: 0, zeroed: false, "realloc(NULL, \(size))")
            return
        }
        let old = live[i]
        expect(intact(old), "realloc: buffer 0x\(String(old.address, radix: 16)) lost its contents")
        let p = dmms_pool_realloc(pool, old.pointer, Int(bitPattern: size))
        let what = "realloc(0x\(String(old.address, radix: 16)) of \(old.size), \(size))"
        // The damage just done (`inspection`) or left by an earlier failed realloc.
        let damage = inspection != DMMS_OK ? inspection : old.damage
        let order = self.order(forSize: size)
        guard let p = p else {
            // Failed: only NO_MEMORY; the old buffer, damage included, as it was.
            expect(intact(old), "\(what): failed and lost the old contents")
            expect(dmms_usable_size(old.pointer) == old.size, "\(what): failed and changed the old buffer")
            expectReports([(DMMS_E_NO_MEMORY, nil)], what)
            failedAllocs += 1
            if let k = order {
                failures[k] += 1
                if k < orderCount {
                    expect(stats().max_block_free < UInt64(blockSize(k)), "\(what): refused with a block free")
                }
            }
            if damage == DMMS_E_OVERRUN { live[i].damagedGuard = UInt64(old.size) }
            if damage == DMMS_E_CORRUPT { live[i].damagedRecord = true }
            if recordWritten { live[i].recordWritten = true }
            return
        }
        // Succeeded: the damage reported once, the old buffer gone as free
        // would make it go (quarantined, and so moved, for a damaged record).
        expectReports(damage == DMMS_OK ? [] : [(damage, old.address)], what)
        expect(memcmp(p, fuzzPattern + old.pattern, Int(min(old.size, size))) == 0, "\(what): contents not kept")
        if damage == DMMS_E_CORRUPT {
            expect(UInt(bitPattern: p) != old.address, "\(what): a quarantined buffer was reused")
            release(at: i, quarantined: true)
        } else {
            // One free and one allocation, moved or not.
            if damage == DMMS_E_OVERRUN { overruns += 1 }
            forget(at: i)
            inUse[old.order] -= 1
            bytesRequested -= UInt64(old.size)
            bytesAlloc -= UInt64(blockSize(old.order))
            totalFrees += 1
            if UInt(bitPattern: p) != old.address {
                if stale.count >= 64 { stale.removeFirst() }
                stale.append(old.address)
            }
        }
        expect(order != nil, "\(what) succeeded beyond every order")
        admit(p, size: size, order: order!, alignment: 0, line: 0, zeroed: false, what)
    }

    /// dmms_pool_add_memory with part of the region arena.
    func addMemory(offset: Int, size: Int, overlap: Bool) {
        let before = stats()
        var start = regionCursor + offset
        if overlap, regionCursor > 0 { start = regionCursor / 2 }   // inside a region added before
        guard start + size <= 1 << 20 else { return }
        let misaligned = start & 15 != 0
        let overlaps = addedRegions.contains { start < $0.end && $0.start < start + size }
        let status = dmms_pool_add_memory(pool, regionArena + start, size)
        if status != DMMS_OK {
            expect(status == DMMS_E_INVALID_ARG || status == DMMS_E_NO_MEMORY, "add_memory gave \(status)")
            expect(status != DMMS_E_NO_MEMORY || regionCount == 16, "add_memory: NO_MEMORY with \(regionCount) regions")
            expect(status != DMMS_E_INVALID_ARG || misaligned || overlaps || size < 2 * Int(minBlock) + 1024,
                   "add_memory(+\(start), \(size)) refused")
            expectReports([(status, nil)], "add_memory")
            let after = stats()
            expect(after.pool_bytes == before.pool_bytes && after.bytes_free == before.bytes_free, "refused add_memory changed the pool")
            return
        }
        expect(!misaligned && !overlaps && regionCount < 16, "add_memory(+\(start), \(size)) accepted")
        expectReports([], "add_memory")
        regionCount += 1
        addedRegions.append((start, start + size))
        regionCursor = max(regionCursor, (start + size + 15) & ~15)
        let after = stats()
        expect(after.pool_bytes > poolBytes, "add_memory added no blocks")
        poolBytes = after.pool_bytes
        let previousCount = orderCount
        orderCount = Int(after.order_count)
        var previous = [UInt64](repeating: 0, count: 48)
        forEachOrder(before) { k, o in previous[k] = o.free_blocks }
        forEachOrder(after) { k, o in
            expect(o.free_blocks >= previous[k], "add_memory removed free blocks")
            topShape[k] += o.free_blocks - previous[k]
        }
        expect(orderCount >= previousCount, "order_count shrank")
    }

    // MARK: deep checks

    /// dmms_walk lists exactly the model's buffers, in address order.
    func verifyWalk() {
        walked.removeAll(keepingCapacity: true)
        let passed = dmms_walk(pool, collectBlock, nil)
        expect(passed == UInt64(live.count) && walked.count == live.count, "walk passed \(passed) of \(live.count) buffers")
        let owner = dmms_platform_thread_id()
        for (info, b) in zip(walked, live) {
            expect(UInt(bitPattern: info.ptr) == b.address && info.requested == UInt64(b.size)
                   && info.block_size == UInt64(blockSize(b.order)),
                   "walk: 0x\(String(UInt(bitPattern: info.ptr), radix: 16)) \(info.requested)/\(info.block_size), model 0x\(String(b.address, radix: 16)) \(b.size)")
            if tracks && !b.recordWritten {
                if b.ownerMayBeUnknown && info.owner == 0 && info.file == nil && info.line == 0 {
                    expect(info.seq == latestSequence(withLowBitsOf: b.sequence),
                           "walk: sequence of 0x\(String(b.address, radix: 16)), whose owner is unknown")
                } else {
                    expect(info.owner == owner && info.line == b.line && info.seq == b.sequence
                           && (info.file != nil) == (b.line > 0),
                           "walk: owner record of 0x\(String(b.address, radix: 16)): seq \(info.seq), model \(b.sequence)")
                }
            }
        }
        expectReports([], "walk")
    }

    /// The reports run to the end (their lines checked) and the leak count
    /// matches the model.
    func verifyReports(mark: UInt64) {
        dmms_show(pool, 3, checkLine, nil)
        dmms_report_json(pool, checkLine, nil)
        let leaks = dmms_report_leaks(pool, mark, checkLine, nil)
        // A buffer whose record was written over is a leak when the record
        // fails its check (the usual case), else as its garbage says.
        // So is a buffer whose owner may be unknown: its number may be taken
        // for a later one.
        let wanted = tracks ? UInt64(live.filter { $0.sequence > mark && !$0.recordWritten }.count) : 0
        let unsure = tracks ? UInt64(live.filter { $0.recordWritten || ($0.ownerMayBeUnknown && $0.sequence <= mark) }.count) : 0
        expect(leaks >= wanted && leaks <= wanted + unsure, "report_leaks(since \(mark)) gave \(leaks), model \(wanted) + \(unsure) unsure")
        expectReports([], "reports")
    }

    func verifyContents() {
        for b in live { expect(intact(b), "buffer 0x\(String(b.address, radix: 16)) of \(b.size) lost its contents") }
    }

    /// After every operation: the figures, and dmms_check.
    func settle(_ what: String) {
        trace("\(what): \(live.count) live, pending \(String(describing: pending)), quarantined \(quarantinedBytes)")
        operations += 1
        compareStats(what)
        verifyCheck(what)
        if operations % 16 == 0 { verifyWalk() }
        if operations % 32 == 0 { verifyContents() }
    }

    /// Frees every live buffer (order from the input); with no damage ever
    /// done, the pool must be its top blocks again — at once for lazy and
    /// eager coalescing, and for all three after asking for every top block
    /// (which on-demand coalescing meets by joining).
    func freeAll(_ input: inout FuzzInput) {
        let pattern = input.byte() % 3
        while !live.isEmpty {
            let i = pattern == 0 ? 0 : (pattern == 1 ? live.count - 1 : input.below(live.count))
            free(at: i, anyPool: input.byte() & 1 != 0,
                 expected: live[i].damage)
        }
        settle("free all")
        guard quarantinedBytes == 0 && pending == nil else { return }
        if config.coalesce != UInt32(DMMS_COALESCE_ON_DEMAND) { expectTopShape("after freeing everything") }
        for k in stride(from: orderCount - 1, through: 0, by: -1) where blockSize(k) >= extra {
            for _ in 0..<topShape[k] {
                let size = blockSize(k) - extra
                let p = dmms_pool_alloc(pool, Int(size))
                expect(p != nil, "top block of \(blockSize(k)) refused after freeing everything")
                expectReports([], "top block")
                admit(p!, size: size, order: k, alignment: 0, line: 0, zeroed: false, "top block")
            }
        }
        while !live.isEmpty { free(at: live.count - 1, anyPool: false) }
        settle("top blocks")
        expectTopShape("after the top blocks")
    }

    func expectTopShape(_ when: String) {
        let s = stats()
        expect(s.bytes_free == poolBytes, "\(when): \(s.bytes_free) of \(poolBytes) bytes free")
        forEachOrder(s) { k, o in
            expect(o.free_blocks == topShape[k], "\(when): \(o.free_blocks) free blocks of \(blockSize(k)), top blocks \(topShape[k])")
        }
    }

    func destroy() {
        expect(dmms_pool_destroy(pool) == DMMS_OK, "destroy refused")
        expectReports([], "destroy")
    }
}
