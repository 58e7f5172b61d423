// SlackRuleTests.swift — Barkley & Lee's rule, counted step by step.

import CDMMS
@testable import DMMS
import XCTest

final class SlackRuleTests: XCTestCase {
    /// N, L, G at order 0 after each step, and D = N - 2L - G.
    private func counts(_ pool: TestPool) -> (n: UInt, l: UInt, g: UInt, d: Int) {
        let o = pool.state.pointee.orders[at: 0]
        return (o.blocks, o.lazyFree, o.globalFree, o.lazyCredit)
    }

    func testFreesStayLazyWhileTheSlackAllows() {
        let pool = TestPool(bytes: 1 << 12, flags: UInt32(DMMS_F_THREAD_SAFE), guardBytes: 0)   // 128 blocks of 32
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<8 { blocks.append(pool.alloc(32)!) }
        var c = counts(pool)
        XCTAssertEqual(c.n, 8)       // 8 allocated at order 0 (the 4 KiB block split down)
        XCTAssertEqual(c.g, 0)
        XCTAssertEqual(c.d, 8)

        // D = 8 >= 2: lazy, no join. D drops by 2 per lazy free.
        XCTAssertEqual(pool.free(blocks[0]), DMMS_OK)
        c = counts(pool)
        XCTAssertEqual(c.l, 1); XCTAssertEqual(c.d, 6)
        XCTAssertEqual(pool.free(blocks[2]), DMMS_OK)
        XCTAssertEqual(pool.free(blocks[4]), DMMS_OK)
        c = counts(pool)
        XCTAssertEqual(c.l, 3); XCTAssertEqual(c.d, 2)
        XCTAssertEqual(pool.stats.merges, 0)

        // D = 2: still lazy, D becomes 0.
        XCTAssertEqual(pool.free(blocks[6]), DMMS_OK)
        c = counts(pool)
        XCTAssertEqual(c.l, 4); XCTAssertEqual(c.d, 0)

        // D = 0: this block goes globally free and joins with a lazy buddy? No:
        // lazy blocks are not eligible; it goes global (no free buddy), and one
        // lazy block is freed globally too — its buddy (blocks[1]'s) is allocated.
        XCTAssertEqual(pool.free(blocks[7]), DMMS_OK)
        c = counts(pool)
        XCTAssertEqual(c.l, 3)
        XCTAssertGreaterThanOrEqual(c.d, 0)
        XCTAssertEqual(pool.check(), 0)

        for i in [1, 3, 5] { XCTAssertEqual(pool.free(blocks[i]), DMMS_OK) }
        c = counts(pool)
        XCTAssertEqual(c.l, 0)       // every buffer back: nothing may stay lazy
        XCTAssertEqual(c.n, 0)
        XCTAssertEqual(pool.stats.blocks_free, 1)
        XCTAssertEqual(pool.check(), 0)
    }

    func testLazyBlocksAreReusedFirstAndCostNoJoins() {
        let pool = TestPool(bytes: 1 << 16)
        var live: [UnsafeMutableRawPointer] = []
        for _ in 0..<64 { live.append(pool.alloc(20)!) }
        let merges = pool.stats.merges
        for _ in 0..<1000 {
            let p = live.removeLast()
            XCTAssertEqual(pool.free(p), DMMS_OK)
            let q = pool.alloc(20)!
            XCTAssertEqual(q, p)     // the lazily freed block comes straight back
            live.append(q)
        }
        XCTAssertEqual(pool.stats.merges, merges)
        XCTAssertEqual(pool.check(), 0)
    }

    func testNoFreeDoesMoreThanTwoJoinChains() {
        // Each free joins at most twice per size (the freed block, one lazy one),
        // each join at most one step per order.
        let pool = TestPool(bytes: 1 << 20)
        var live: [UnsafeMutableRawPointer] = []
        var seed: UInt64 = 7
        var worst: UInt64 = 0
        for _ in 0..<20000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            if !live.isEmpty && seed >> 63 == 0 {
                let before = pool.stats.merges
                XCTAssertEqual(pool.free(live.remove(at: Int(seed >> 33) % live.count)), DMMS_OK)
                worst = max(worst, pool.stats.merges - before)
            } else if let p = pool.alloc(Int(seed >> 50)) {
                live.append(p)
            }
        }
        XCTAssertLessThanOrEqual(worst, 2 * UInt64(pool.stats.order_count))
        XCTAssertEqual(pool.check(), 0)
    }
}
