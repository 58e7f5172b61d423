// Geometry.swift — the sizes of things, and the bit tricks that compute them.
//
// Glossary (used in every file of the core):
//   min block    the smallest block, config.min_block bytes (a power of two)
//   order k      a block of min_block << k bytes
//   granule      the unit of the block map: min(min_block, 64) bytes
//   top block    a block that was never split from a larger one: a region is
//                carved into top blocks when it joins the pool
//   buddy        the other half of the block a block was split from:
//                address ^ blockSize (blocks are aligned to their size)
//   slack        block size - requested size of an allocated buffer (not
//                Barkley & Lee's per-order D: that is OrderRow.lazyCredit)
//
// Bounds on orders, from the widest to the narrowest:
//   DMMS_MAX_ORDERS  entries of dmms_stats_t.orders (the C ABI: 48)
//   maxOrders        orders any pool can use (the map's tag byte: 40; 26 on 32-bit)
//   orderLimit       orders this pool can use (its block sizes fit a word)
//   orderCount       one past this pool's largest top block (stats order_count)

/// One value per order: the block map's tag byte holds 40 orders (see
/// BlockMap). A 32-bit word holds block sizes of 26 orders at most (min block
/// 16: 2^4 … 2^29, orderLimit), so 32-bit targets keep no rows they cannot use.
#if _pointerBitWidth(_32)
typealias PerOrder<Element> = InlineArray<26, Element>
#else
typealias PerOrder<Element> = InlineArray<40, Element>
#endif
/// The most orders a pool uses.
let maxOrders = PerOrder<UInt8>.count
/// One value per region: a pool's first memory and what dmms_pool_add_memory adds.
typealias PerRegion<Element> = InlineArray<16, Element>
/// Regions a pool can hold.
let maxRegions = PerRegion<UInt8>.count
/// The largest map granule: it keeps the block map at one byte per 64 pool bytes at most.
let maxGranuleShift = 6

@inline(__always)
func isPowerOfTwo(_ x: UInt) -> Bool { x != 0 && x & (x &- 1) == 0 }

/// log2 of a power of two. Undefined for zero.
@inline(__always)
func log2(ofPowerOfTwo x: UInt) -> Int { x.trailingZeroBitCount }

/// The smallest power of two >= x, for 1 <= x <= 2^(bitWidth-1).
@inline(__always)
func ceilPowerOfTwo(_ x: UInt) -> UInt {
    x <= 1 ? 1 : 1 &<< (UInt.bitWidth &- (x &- 1).leadingZeroBitCount)
}

/// The largest power of two <= x, for x >= 1.
@inline(__always)
func floorPowerOfTwo(_ x: UInt) -> UInt { 1 &<< (UInt.bitWidth &- 1 &- x.leadingZeroBitCount) }

/// The first result `attempt` gives for `preferred`, `preferred / 2`, …, down
/// to `least` (the last size tried), or nil. Memory from the OS is asked for
/// this way: under a limit on address space (`ulimit -v`) the preferred size
/// may be refused where a smaller one still fits.
func firstGranted<Result>(from preferred: UInt, downTo least: UInt, _ attempt: (UInt) -> Result?) -> Result? {
    var size = max(preferred, least)
    while true {
        if let result = attempt(size) { return result }
        if size <= least { return nil }
        size = max(size >> 1, least)
    }
}

@inline(__always)
func alignUp(_ x: UInt, _ alignment: UInt) -> UInt { (x &+ alignment &- 1) & ~(alignment &- 1) }

@inline(__always)
func alignDown(_ x: UInt, _ alignment: UInt) -> UInt { x & ~(alignment &- 1) }

/// One bit per order, in a word: orders fit one (maxOrders: 40 of 64 bits,
/// 26 of 32), and a 32-bit target then needs no 64-bit shift to find a list.
typealias OrderMask = UInt

/// The bit of `order` in an OrderMask.
@inline(__always)
func orderBit(_ order: Int) -> OrderMask { 1 &<< UInt(bitPattern: order) }

/// Lowest set bit of a mask at or above `from`, or -1.
@inline(__always)
func lowestSetBit(_ mask: OrderMask, from: Int) -> Int {
    let m = mask & (~0 &<< UInt(bitPattern: from))
    return m == 0 ? -1 : m.trailingZeroBitCount
}

extension PoolState {
    @inline(__always) mutating func blockSize(_ order: Int) -> UInt { UInt(1) &<< UInt(bitPattern: minBlockShift &+ order) }

    /// The order whose block holds `bytes`, or nil when none of this pool does.
    /// Never overflows: sizes near UInt.max give nil.
    @inline(__always)
    mutating func order(forBytes bytes: UInt) -> Int? {
        // log2 of the next power of two, without a branch: the bit width less
        // the leading zeros of bytes - 1, or'ed with min block - 1 so that
        // anything up to a min block (0 included) is order 0.
        let order = UInt.bitWidth &- ((max(bytes, 1) &- 1) | (minBlockSize &- 1)).leadingZeroBitCount &- minBlockShift
        return order < orderLimit ? order : nil
    }

    /// The order of the block a request of `size` bytes takes with the
    /// `extraBytes` the diagnostics add, or nil when none of this pool holds it.
    @inline(__always)
    mutating func order(forRequest size: UInt, extraBytes: UInt) -> Int? {
        let (bytes, overflow) = size.addingReportingOverflow(extraBytes)
        return overflow ? nil : order(forBytes: bytes)
    }

}

extension InlineArray {
    /// Element access through the array's address. The ordinary subscript
    /// copies the whole array before reading one element when the array is a
    /// field of a struct reached through a pointer (Swift 6.3, -O): for the
    /// pool header that is hundreds of bytes per access on the hot path.
    /// Indices are in range by construction (orders < maxOrders, regions <
    /// maxRegions, ring slots < 16).
    @inline(__always)
    subscript(at index: Int) -> Element {
        mutating get {
            withUnsafeMutablePointer(to: &self) { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Element.self)[index] }
        }
        set {
            withUnsafeMutablePointer(to: &self) { UnsafeMutableRawPointer($0).assumingMemoryBound(to: Element.self)[index] = newValue }
        }
    }
}
