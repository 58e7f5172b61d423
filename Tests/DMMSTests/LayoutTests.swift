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
        // dmms_set_lock_hooks: a port's lock lives in 64 bytes of the header.
        XCTAssertEqual(MemoryLayout.size(ofValue: PoolState().lock), 64)
        XCTAssertEqual(MemoryLayout.size(ofValue: PoolState().reportLock), 64)
        XCTAssertEqual((MemoryLayout<PoolState>.offset(of: \PoolState.lock) ?? 1) % 16, 0)
    }

    func testEveryOrderFitsTheStatsOfTheCABI() {
        // dmms_stats_t.orders has DMMS_MAX_ORDERS entries; a pool uses at most maxOrders.
        XCTAssertLessThanOrEqual(maxOrders, Int(DMMS_MAX_ORDERS))
    }
}
