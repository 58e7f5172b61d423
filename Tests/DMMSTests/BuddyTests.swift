// BuddyTests.swift — splitting, joining, top blocks, regions.

import CDMMS
@testable import DMMS
import XCTest

final class BuddyTests: XCTestCase {
    func testOneTopBlockSplitsDownAndJoinsBack() {
        let pool = TestPool(bytes: 1 << 16, coalesce: DMMS_COALESCE_EAGER)
        let before = pool.stats
        XCTAssertEqual(before.blocks_free, 1)
        XCTAssertEqual(before.max_block_free, 1 << 16)
        XCTAssertEqual(before.pool_bytes, 1 << 16)

        // 10 bytes + 8 guard + 8 owner record = 26: a 32-byte block, 11 splits down from 64 KiB.
        let p = pool.alloc(10)
        XCTAssertNotNil(p)
        var s = pool.stats
        XCTAssertEqual(s.splits, 11)
        XCTAssertEqual(s.blocks_free, 11)          // one upper half at every order 0...10
        XCTAssertEqual(pool.order(0).in_use, 1)
        XCTAssertEqual(pool.order(0).free_blocks, 1)
        XCTAssertEqual(pool.free(p), DMMS_OK)
        s = pool.stats
        XCTAssertEqual(s.merges, 11)
        XCTAssertEqual(s.blocks_free, 1)
        XCTAssertEqual(s.max_block_free, 1 << 16)
        XCTAssertEqual(pool.check(), 0)
    }

    func testBuddiesAreAlignedToTheirSize() {
        let pool = TestPool(bytes: 1 << 20)
        for size in [0, 1, 15, 16, 17, 100, 1000, 5000, 40000] {
            let p = pool.alloc(size)!
            let block = UInt(pool.state.pointee.blockSize(pool.state.pointee.order(forBytes: UInt(size) + 16)!))
            XCTAssertEqual(UInt(bitPattern: p) % block, 0, "size \(size)")
            XCTAssertEqual(UInt(bitPattern: p) % 16, 0)
        }
    }

    func testEveryPolicyReturnsToItsTopBlocks() {
        for policy in [DMMS_COALESCE_LAZY, DMMS_COALESCE_EAGER, DMMS_COALESCE_ON_DEMAND] {
            let pool = TestPool(bytes: 1 << 20, coalesce: policy)
            let before = pool.stats
            var live: [UnsafeMutableRawPointer] = []
            var seed: UInt64 = 42
            for _ in 0..<5000 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                if live.count > 0 && seed >> 62 == 0 {
                    XCTAssertEqual(pool.free(live.remove(at: Int(seed >> 33) % live.count)), DMMS_OK)
                } else if let p = pool.alloc(Int(seed >> 40) % 3000) {
                    live.append(p)
                }
            }
            for p in live { XCTAssertEqual(pool.free(p), DMMS_OK) }
            if policy == DMMS_COALESCE_ON_DEMAND {
                // Nothing joins until a request needs it: the whole pool does.
                XCTAssertGreaterThan(pool.stats.orders.0.lazy_free, 0)
                let whole = pool.alloc(Int(before.max_block_free) - 16)
                XCTAssertNotNil(whole)
                XCTAssertEqual(pool.free(whole), DMMS_OK)
            }
            let after = pool.stats
            XCTAssertEqual(after.blocks_free, before.blocks_free, "policy \(policy)")
            XCTAssertEqual(after.max_block_free, before.max_block_free)
            XCTAssertEqual(after.bytes_free, before.pool_bytes)
            XCTAssertEqual(pool.check(), 0)
        }
    }

    func testOddSizedMemoryIsCarvedIntoAlignedTopBlocks() {
        let bytes = 300_000
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 1 << 18)
        defer { memory.deallocate() }
        let pool = TestPool(bytes: bytes, memory: memory)
        let s = pool.stats
        XCTAssertEqual(s.pool_bytes + s.overhead_bytes, UInt64(bytes))
        // Largest blocks first, each aligned to its own size: 256 KiB, then smaller ones.
        XCTAssertEqual(s.max_block_free, 256 << 10)
        XCTAssertEqual(s.bytes_free, s.pool_bytes)
        XCTAssertGreaterThan(s.blocks_free, 1)
        XCTAssertEqual(pool.check(), 0)
    }

    func testAddedRegionServesRequestsAndFreesByAddress() {
        let pool = TestPool(bytes: 1 << 16)
        let extra = UnsafeMutableRawPointer.allocate(byteCount: (1 << 17) + 4096, alignment: 1 << 17)
        defer { extra.deallocate() }
        let big = pool.alloc(100_000)
        XCTAssertNil(big)                                   // larger than the first region
        XCTAssertEqual(dmms_pool_add_memory(pool.handle, extra, (1 << 17) + 4096), DMMS_OK)
        let p = pool.alloc(100_000)
        XCTAssertNotNil(p)
        XCTAssertTrue(p! >= extra && p! < extra + (1 << 17))
        XCTAssertEqual(dmms_free(p), DMMS_OK)               // found from the address alone
        XCTAssertEqual(pool.stats.max_block_free, 1 << 17)
        XCTAssertEqual(dmms_pool_add_memory(pool.handle, extra, 4096), DMMS_E_INVALID_ARG)  // overlaps
        XCTAssertEqual(pool.check(), 0)
    }

    func testRequestsFailOnlyWhenNoJoinCouldMeetThem() {
        for policy in [DMMS_COALESCE_LAZY, DMMS_COALESCE_ON_DEMAND] {
            let pool = TestPool(bytes: 1 << 16, coalesce: policy)
            var small: [UnsafeMutableRawPointer] = []
            while let p = pool.alloc(10) { small.append(p) }
            XCTAssertEqual(small.count, (1 << 16) / 32)
            for p in small { XCTAssertEqual(pool.free(p), DMMS_OK) }
            // Lazily freed small blocks must be joined for this to succeed.
            let whole = pool.alloc((1 << 16) - 16)
            XCTAssertNotNil(whole, "policy \(policy)")
            XCTAssertEqual(pool.free(whole), DMMS_OK)
            XCTAssertEqual(pool.check(), 0)
        }
    }
}
