// ResizeTests.swift — realloc in place and moving, aligned allocation, calloc.

import CDMMS
@testable import DMMS
import XCTest

final class ResizeTests: XCTestCase {
    func testShrinkInPlaceSplitsOffTheUpperHalves() {
        let pool = TestPool(bytes: 1 << 16)
        let p = pool.alloc(4000)!                       // 4 KiB block
        memset(p, 0x5A, 4000)
        let q = dmms_pool_realloc(pool.handle, p, 100)!  // 128-byte block, same address
        XCTAssertEqual(q, p)
        XCTAssertEqual(dmms_usable_size(q), 100)
        XCTAssertEqual(memcmp(q, [UInt8](repeating: 0x5A, count: 100), 100), 0)
        let s = pool.stats
        XCTAssertEqual(s.total_allocs, 2)               // one free and one allocation
        XCTAssertEqual(s.total_frees, 1)
        XCTAssertEqual(s.bytes_requested, 100)
        XCTAssertEqual(pool.order(2).in_use, 1)
        XCTAssertEqual(pool.order(7).in_use, 0)
        XCTAssertEqual(pool.check(), 0)
        XCTAssertEqual(pool.free(q), DMMS_OK)
        XCTAssertEqual(pool.stats.blocks_free, 1)       // the slack rule still returns everything
    }

    func testGrowInPlaceWhenTheBuddiesAreFree() {
        let pool = TestPool(bytes: 1 << 16, coalesce: DMMS_COALESCE_EAGER)
        let p = pool.alloc(10)!
        memset(p, 7, 10)
        let q = dmms_pool_realloc(pool.handle, p, 3000)!
        XCTAssertEqual(q, p)                            // 32 -> 4 KiB without moving
        XCTAssertEqual(memcmp(q, [UInt8](repeating: 7, count: 10), 10), 0)
        XCTAssertEqual(pool.check(), 0)
        XCTAssertEqual(pool.free(q), DMMS_OK)
        XCTAssertEqual(pool.stats.blocks_free, 1)
    }

    func testGrowMovesWhenTheBuddyIsTaken() {
        let pool = TestPool(bytes: 1 << 16)
        let p = pool.alloc(10)!
        let neighbour = pool.alloc(10)!                 // p's buddy
        XCTAssertEqual(UInt(bitPattern: neighbour), UInt(bitPattern: p) ^ 32)
        memset(p, 9, 10)
        let q = dmms_pool_realloc(pool.handle, p, 500)!
        XCTAssertNotEqual(q, p)
        XCTAssertEqual(memcmp(q, [UInt8](repeating: 9, count: 10), 10), 0)
        XCTAssertEqual(dmms_usable_size(p), 0)          // the old buffer is gone
        XCTAssertEqual(pool.stats.blocks_alloc, 2)
        XCTAssertEqual(pool.check(), 0)
    }

    func testFailedReallocLeavesTheBufferUntouched() {
        let pool = TestPool(bytes: 1 << 16)
        let log = ErrorLog()
        defer { log.stop() }
        let p = pool.alloc(100)!
        memset(p, 3, 100)
        let before = pool.stats
        XCTAssertNil(dmms_pool_realloc(pool.handle, p, 1 << 20))
        let after = pool.stats
        XCTAssertEqual(after.failed_allocs, before.failed_allocs + 1)
        XCTAssertEqual(after.total_allocs, before.total_allocs)
        XCTAssertEqual(after.bytes_requested, before.bytes_requested)
        XCTAssertEqual(dmms_usable_size(p), 100)
        XCTAssertEqual(memcmp(p, [UInt8](repeating: 3, count: 100), 100), 0)
        XCTAssertEqual(log.statuses, [DMMS_E_NO_MEMORY])
        XCTAssertEqual(pool.check(), 0)
    }

    func testAlignedAllocationHonoursEveryPowerOfTwo() {
        let pool = TestPool(bytes: 1 << 20)
        var alignment = 1
        while alignment <= 1 << 19 {
            let p = dmms_pool_aligned_alloc(pool.handle, alignment, 24)
            XCTAssertNotNil(p, "alignment \(alignment)")
            XCTAssertEqual(UInt(bitPattern: p) % UInt(alignment), 0)
            XCTAssertEqual(pool.free(p), DMMS_OK)
            alignment <<= 1
        }
        let log = ErrorLog()
        defer { log.stop() }
        for bad in [0, 3, 24, 1 << 21] {
            XCTAssertNil(dmms_pool_aligned_alloc(pool.handle, bad, 24), "alignment \(bad)")
        }
        XCTAssertEqual(log.statuses, [DMMS_E_INVALID_ARG, DMMS_E_INVALID_ARG, DMMS_E_INVALID_ARG, DMMS_E_INVALID_ARG])
        XCTAssertEqual(pool.check(), 0)
    }

    func testCallocZeroesAndRefusesOverflow() {
        let pool = TestPool(bytes: 1 << 16)
        let log = ErrorLog()
        defer { log.stop() }
        let p = pool.alloc(200)!
        memset(p, 0xFF, 200)
        XCTAssertEqual(pool.free(p), DMMS_OK)
        let z = dmms_pool_calloc(pool.handle, 10, 20)!.assumingMemoryBound(to: UInt8.self)
        XCTAssertTrue((0..<200).allSatisfy { z[$0] == 0 })
        XCTAssertNil(dmms_pool_calloc(pool.handle, Int.max, 4))
        XCTAssertNil(dmms_pool_calloc(pool.handle, 1 << 40, 1 << 40))
        XCTAssertEqual(pool.stats.failed_allocs, 2)
        XCTAssertEqual(pool.check(), 0)
    }

    func testZeroSizeGivesDistinctBuffers() {
        let pool = TestPool(bytes: 1 << 16)
        let a = pool.alloc(0), b = pool.alloc(0)
        XCTAssertNotNil(a); XCTAssertNotNil(b)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(dmms_usable_size(a), 0)
        XCTAssertEqual(pool.stats.bytes_requested, 0)
    }
}
