// ModesTests.swift — which copy of allocate and free a pool takes (Modes):
// the default config's constant one (PlainModes) or the one that reads the
// header (PoolModes), and that both give the same pool.

import CDMMS
@testable import DMMS
import XCTest

final class ModesTests: XCTestCase {
    func testOnlyTheDefaultConfigIsPlain() {
        let plain = TestPool()
        withExtendedLifetime(plain) { XCTAssertTrue(plain.state.pointee.plain) }
        let others = [TestPool(flags: UInt32(DMMS_F_THREAD_SAFE | DMMS_F_GUARD | DMMS_F_TRACK_OWNER | DMMS_F_FILL_FREE)),
                      TestPool(flags: UInt32(DMMS_F_THREAD_SAFE | DMMS_F_GUARD | DMMS_F_TRACK_OWNER | DMMS_F_ABORT_ON_ERROR)),
                      TestPool(flags: UInt32(DMMS_F_THREAD_SAFE | DMMS_F_GUARD)),
                      TestPool(flags: UInt32(DMMS_F_GUARD | DMMS_F_TRACK_OWNER)),
                      TestPool(guardBytes: 16),
                      TestPool(coalesce: DMMS_COALESCE_EAGER),
                      TestPool(coalesce: DMMS_COALESCE_ON_DEMAND)]
        withExtendedLifetime(others) { for pool in others { XCTAssertFalse(pool.state.pointee.plain) } }
    }

    /// A pool that starts sampling for the timeline leaves the constant copy
    /// (which has no timeline), and comes back when it stops.
    func testSamplingLeavesThePlainCopy() {
        let pool = TestPool()
        withExtendedLifetime(pool) {
            pool.state.pointee.sampling = true
            XCTAssertFalse(pool.state.pointee.plain)
            pool.state.pointee.sampling = false
            XCTAssertTrue(pool.state.pointee.plain)
        }
    }

    /// The same calls in a pool of each copy leave the same figures and
    /// catch the same overrun, at the same offset.
    func testBothCopiesKeepTheSameBooks() {
        let plain = TestPool(), header = TestPool()
        defer { withExtendedLifetime([plain, header]) {} }
        header.state.pointee.plainModes = false   // the copy every other config takes, with the default modes
        let log = ErrorLog()
        defer { log.stop() }
        for pool in [plain, header] {
            var held: [UnsafeMutableRawPointer] = []
            for size in [1, 24, 100, 1000, 5000] { held.append(pool.alloc(size)!) }
            XCTAssertEqual(pool.free(held.removeFirst()), DMMS_OK)
            held[1].storeBytes(of: 0, toByteOffset: 100, as: UInt8.self)   // one past the end of the 100-byte buffer
            XCTAssertEqual(pool.free(held.remove(at: 1)), DMMS_E_OVERRUN)
            for p in held { XCTAssertEqual(pool.free(p), DMMS_OK) }
            XCTAssertEqual(pool.check(), 0)
        }
        XCTAssertEqual(log.entries.map(\.offset), [100, 100])
        let (a, b) = (plain.stats, header.stats)
        XCTAssertEqual(a.total_allocs, b.total_allocs)
        XCTAssertEqual(a.total_frees, b.total_frees)
        XCTAssertEqual(a.max_bytes_alloc, b.max_bytes_alloc)
        XCTAssertEqual(a.overruns, 1)
        XCTAssertEqual(b.overruns, 1)
        for k in 0..<Int(a.order_count) {
            XCTAssertEqual(plain.order(k).high_water, header.order(k).high_water)
            XCTAssertEqual(plain.order(k).lazy_free, header.order(k).lazy_free)
        }
    }
}
