// CheckMessageTests.swift — dmms_check says what it found: each problem's
// message names its subject (a free block, the pool's counters for a block
// size, the pool's totals) and what is wrong, never another kind's text.

import CDMMS
@testable import DMMS
import XCTest

final class CheckMessageTests: XCTestCase {
    func testCountersThatDisagreeWithTheMapAreNamedByBlockSize() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        let p = pool.alloc(100)
        pool.state.pointee.orders[at: 2].inUse &+= 1         // a counter the map does not bear out
        XCTAssertEqual(pool.check(), 1)
        XCTAssertEqual(log.entries.last?.status, DMMS_E_CORRUPT)
        let message = log.entries.last?.message ?? ""
        XCTAssertTrue(message.contains("the pool, blocks of 128 bytes: its counters or free lists disagree with the block map"), message)
        XCTAssertFalse(message.contains("invalid argument"), message)
        pool.state.pointee.orders[at: 2].inUse &-= 1
        XCTAssertEqual(pool.check(), 0)
        XCTAssertEqual(pool.free(p), DMMS_OK)
    }

    func testTotalsThatDisagreeWithTheMapAreNamedAsTheTotals() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        pool.state.pointee.counters.bytesRequested &+= 1
        XCTAssertEqual(pool.check(), 1)
        let message = log.entries.last?.message ?? ""
        XCTAssertTrue(message.contains("the pool: its totals (bytes allocated, requested, quarantined) disagree with the block map"), message)
        pool.state.pointee.counters.bytesRequested &-= 1
        XCTAssertEqual(pool.check(), 0)
    }

    func testADamagedOwnerRecordFoundByCheckIsNotSaidToBeQuarantined() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        let p = pool.alloc(40)!
        let record = p.advanced(by: 40 + 8)   // after the 8 guard bytes
        record.storeBytes(of: record.load(as: UInt8.self) ^ 1, as: UInt8.self)
        XCTAssertEqual(pool.check(), 1)
        let found = log.entries.last?.message ?? ""
        XCTAssertTrue(found.contains("its owner record is damaged"), found)
        XCTAssertFalse(found.contains("quarantined"), found)
        XCTAssertEqual(pool.free(p), DMMS_E_CORRUPT)   // the free quarantines it, and says so
        XCTAssertTrue((log.entries.last?.message ?? "").contains("its owner record is damaged: quarantined"))
    }
}
