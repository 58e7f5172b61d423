// PendingFreesTests.swift — free() of the malloc replacement while another
// thread holds the pool lock (here: this thread, so that each step is
// deterministic): the buffer waits on the pool's pending frees and the next
// taker of the lock frees it, with its checks.

import CDMMS
@testable import DMMS
import XCTest

final class PendingFreesTests: XCTestCase {
    private func figures(_ pool: TestPool) -> PoolFigures {
        var figures = PoolFigures()
        pool.state.locked { $0.snapshot(into: &figures) }
        return figures
    }

    /// Frees `address` as another thread would while this one holds the lock.
    private func freeWhileLocked(_ pool: TestPool, _ addresses: [UnsafeMutableRawPointer]) {
        let token = Platform.lock(pool.state.poolLock)
        for address in addresses { pool.state.freeFromMalloc(UInt(bitPattern: address), tryLockFirst: true) }
        Platform.unlock(pool.state.poolLock, token)
    }

    func testAFreeWhileTheLockIsHeldWaitsForTheNextTaker() {
        let pool = TestPool()
        let a = pool.alloc(100)!, b = pool.alloc(40)!
        freeWhileLocked(pool, [a, b])
        XCTAssertEqual(pool.state.pendingFrees.pointee, UInt(bitPattern: b) | 2)      // b, then a: two
        XCTAssertEqual(a.load(as: UInt.self), pendingMark)
        XCTAssertEqual(pool.stats.blocks_alloc, 0)       // dmms_stats takes the lock: it frees them first
        XCTAssertEqual(pool.state.pendingFrees.pointee, 0)
        XCTAssertEqual(figures(pool).counters.deferredFrees, 2)
        XCTAssertEqual(pool.check(), 0)
    }

    func testAFreeIntoAnotherThreadsArenaLeavesItsLockAlone() {
        let pool = TestPool()
        let a = pool.alloc(100)!, b = pool.alloc(4)!
        pool.state.freeFromMalloc(UInt(bitPattern: a), tryLockFirst: false)   // the lock is free, and not taken
        XCTAssertEqual(pool.state.pendingFrees.pointee, UInt(bitPattern: a) | 1)
        pool.state.freeFromMalloc(UInt(bitPattern: b), tryLockFirst: false)   // 4 bytes cannot wait: freed now
        XCTAssertEqual(pool.state.pendingFrees.pointee, 0)                     // and what was pending with it
        XCTAssertEqual(pool.stats.blocks_alloc, 0)
        XCTAssertEqual(pool.check(), 0)
    }

    func testAtMostFifteenWait() {
        let pool = TestPool()
        let buffers = (0..<20).map { _ in pool.alloc(100)! }
        for buffer in buffers { pool.state.freeFromMalloc(UInt(bitPattern: buffer), tryLockFirst: false) }
        // 15 waited; the 16th took the lock and freed them with itself; 4 wait again.
        XCTAssertEqual(pool.state.pendingFrees.pointee & 15, 4)
        XCTAssertEqual(figures(pool).counters.deferredFrees, 19)   // the report frees the 4 first
        XCTAssertEqual(pool.stats.blocks_alloc, 0)
        XCTAssertEqual(pool.check(), 0)
    }

    func testASecondFreeOfAPendingBufferIsADoubleFree() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        let a = pool.alloc(64)!
        freeWhileLocked(pool, [a])
        pool.state.freeFromMalloc(UInt(bitPattern: a), tryLockFirst: true)   // the lock is free: the pending free first, then this one
        XCTAssertEqual(log.statuses, [DMMS_E_DOUBLE_FREE])
        XCTAssertEqual(pool.stats.double_frees, 1)
        XCTAssertEqual(pool.check(), 0)
    }

    func testOnlyLiveBuffersOfEightBytesOrMoreWait() {
        let pool = TestPool()
        let tiny = pool.alloc(7)!, small = pool.alloc(15)!, big = pool.alloc(16)!
        XCTAssertFalse(pool.state.deferFree(UInt(bitPattern: tiny)))         // no word of its own to claim
        XCTAssertFalse(pool.state.deferFree(UInt(bitPattern: big) + 16))     // not a buffer's start
        XCTAssertTrue(pool.state.deferFree(UInt(bitPattern: big)))           // linked by its second word
        XCTAssertTrue(pool.state.deferFree(UInt(bitPattern: small)))         // linked by its guard's word
        XCTAssertFalse(pool.state.deferFree(UInt(bitPattern: big)))          // claimed already
        XCTAssertEqual(pool.free(tiny), DMMS_OK)                             // dmms_pool_free: the pending ones first
        XCTAssertEqual(pool.stats.blocks_alloc, 0)
        XCTAssertEqual(pool.check(), 0)
    }

    func testASmallBufferWithADamagedGuardDoesNotWait() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        let small = pool.alloc(12)!
        small.storeBytes(of: 0x40, toByteOffset: 12, as: UInt8.self)         // one byte past the end: into the link's word
        XCTAssertFalse(pool.state.deferFree(UInt(bitPattern: small)))
        pool.state.freeFromMalloc(UInt(bitPattern: small), tryLockFirst: false)   // freed now: reported now
        XCTAssertEqual(log.statuses, [DMMS_E_OVERRUN])
        XCTAssertEqual(log.entries.first?.offset, 12)
        XCTAssertEqual(pool.stats.blocks_alloc, 0)
    }

    func testASmallPendingBufferIsFreedWithItsGuardAsItWas() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        let buffers = [8, 9, 15].map { pool.alloc($0)! }                      // 8: the guard is the second word
        freeWhileLocked(pool, buffers)                                       // each links in its guard's word
        XCTAssertEqual(pool.check(), 0)                                      // all freed, no overrun reported
        XCTAssertEqual(log.statuses, [])
        XCTAssertEqual(figures(pool).counters.deferredFrees, 3)
        XCTAssertEqual(pool.stats.blocks_alloc, 0)
    }

    func testAGuardWrittenBeforeTheFreeIsReportedWhenItIsFreed() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        let a = pool.alloc(100)!
        a.storeBytes(of: 0x40, toByteOffset: 100, as: UInt8.self)           // one byte past the end
        freeWhileLocked(pool, [a])
        XCTAssertEqual(log.statuses, [])
        XCTAssertEqual(pool.check(), 0)                                      // the taker: its check first
        XCTAssertEqual(log.statuses, [DMMS_E_OVERRUN])
        XCTAssertEqual(log.entries.first?.offset, 100)
        XCTAssertEqual(pool.stats.blocks_alloc, 0)
    }

    func testADamagedLinkEndsTheDrainWithAReport() {
        let pool = TestPool()
        let log = ErrorLog()
        defer { log.stop() }
        let a = pool.alloc(100)!, b = pool.alloc(100)!
        freeWhileLocked(pool, [a, b])                                        // b links to a
        b.storeBytes(of: UInt(0xDEAD_BEE0), toByteOffset: MemoryLayout<UInt>.size, as: UInt.self)   // a write after free
        XCTAssertEqual(pool.stats.blocks_alloc, 1)                           // b freed, a lost with the link
        XCTAssertEqual(log.statuses, [DMMS_E_CORRUPT])
        XCTAssertTrue(log.entries[0].message.contains("a pending free's link is damaged"))
    }
}
