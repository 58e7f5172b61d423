// LayoutTests.swift — the facts about the pool header's layout that the code
// states in comments and relies on for speed or for the ports: checked here,
// as Swift has no static assertion.

import CDMMS
@testable import DMMS
import XCTest

final class LayoutTests: XCTestCase {
    func testAnOrdersRowIsOneCacheLine() {
        // A pop or a push touches its order's row alone (OrderRow).
        XCTAssertEqual(MemoryLayout<OrderRow>.stride, 64)
    }

    func testTheLocksHaveRoomForAPortsLock() {
        // dmms_set_lock_hooks: a port's lock lives in 64 bytes, 16-byte aligned,
        // just below the header (which is 64-byte aligned).
        XCTAssertEqual(MemoryLayout.size(ofValue: PoolLocks().pool), 64)
        XCTAssertEqual(MemoryLayout.size(ofValue: PoolLocks().report), 64)
        XCTAssertEqual(PoolLocks.bytes % 64, 0)
        XCTAssertEqual((MemoryLayout<PoolLocks>.offset(of: \PoolLocks.pool) ?? 1) % 16, 0)
        XCTAssertEqual((MemoryLayout<PoolLocks>.offset(of: \PoolLocks.report) ?? 1) % 16, 0)
    }

    func testEveryOrderFitsTheStatsOfTheCABI() {
        // dmms_stats_t.orders has DMMS_MAX_ORDERS entries; a pool uses at most maxOrders.
        XCTAssertLessThanOrEqual(maxOrders, Int(DMMS_MAX_ORDERS))
    }
}
