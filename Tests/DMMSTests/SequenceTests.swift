// SequenceTests.swift — sequence numbers: exact at any age, through walks,
// leak reports and error reports.
//
// 2^32 real allocations take half an hour here (measured: 2^26 alloc+free
// pairs, 28.6 s), so these tests set the pool's counter directly, as if that
// many allocations had been made in between.

import CDMMS
@testable import DMMS
import XCTest

final class SequenceTests: XCTestCase {
    /// Sequence numbers of the live buffers, in address order.
    private func walkedSequences(_ pool: TestPool) -> [UnsafeRawPointer: UInt64] {
        var seen: [UnsafeRawPointer: UInt64] = [:]
        withUnsafeMutablePointer(to: &seen) { seenPointer in
            _ = dmms_walk(pool.handle, { info, arg in
                let seen = arg!.assumingMemoryBound(to: [UnsafeRawPointer: UInt64].self)
                seen.pointee[info!.pointee.ptr!] = info!.pointee.seq
                return 0
            }, seenPointer)
        }
        return seen
    }

    /// A call site that outlives the call (a Swift string argument would not).
    private let site: StaticString = "old.c"
    private var file: UnsafePointer<CChar> { UnsafeRawPointer(site.utf8Start).assumingMemoryBound(to: CChar.self) }

    private func advance(_ pool: TestPool, by allocations: UInt64) {
        pool.state.pointee.sequence &+= allocations
    }

    func testSequenceNumbersStayExactPastTwoToThe32() {
        let pool = TestPool(bytes: 1 << 20)
        let old = dmms_pool_alloc_at(pool.handle, 24, file, 1)!          // seq 1
        let mark = dmms_mark(pool.handle)
        XCTAssertEqual(mark, 1)
        advance(pool, by: 1 << 32)
        let young = dmms_pool_alloc_at(pool.handle, 24, file, 1)!        // seq 2^32 + 2, the same owner and site
        advance(pool, by: 5 << 32)
        let younger = dmms_pool_alloc(pool.handle, 48)!                     // seq 6 * 2^32 + 3: a block with no spare byte
        XCTAssertEqual(dmms_mark(pool.handle), 6 << 32 + 3)

        let seq = walkedSequences(pool)
        XCTAssertEqual(seq[UnsafeRawPointer(old)], 1)
        XCTAssertEqual(seq[UnsafeRawPointer(young)], 1 << 32 + 2)
        XCTAssertEqual(seq[UnsafeRawPointer(younger)], 6 << 32 + 3)

        // A mark taken before 2^32 allocations still leaves the old buffer out.
        XCTAssertEqual(dmms_report_leaks(pool.handle, mark, nil, nil), 2)
        XCTAssertEqual(dmms_report_leaks(pool.handle, 1 << 32 + 2, nil, nil), 1)
        XCTAssertEqual(dmms_report_leaks(pool.handle, 0, nil, nil), 3)

        // Error reports give the exact number too.
        let log = ErrorLog()
        defer { log.stop() }
        old.storeBytes(of: 0x40, toByteOffset: 24, as: UInt8.self)          // overrun
        XCTAssertEqual(pool.free(old), DMMS_E_OVERRUN)
        XCTAssertEqual(log.entries.count, 1)
        XCTAssertTrue(log.entries.first?.message.contains("at old.c:1 (seq 1)") ?? false, log.entries.first?.message ?? "")
        XCTAssertEqual(pool.free(young), DMMS_OK)
        XCTAssertEqual(pool.free(younger), DMMS_OK)
        XCTAssertEqual(pool.check(), 0)
    }
}

extension SequenceTests {
    /// Owner entries stand for (task, site, epoch) and are given away once no
    /// live buffer names them: a run crossing many epochs does not fill the
    /// table, buffers kept from old epochs keep their owner and number, and
    /// the leak report shows one group per owner and site, whatever epochs
    /// its buffers come from.
    func testOwnerEntriesAreReusedAcrossEpochs() {
        let pool = TestPool(bytes: 1 << 16)                      // an owner table of 16 entries
        XCTAssertEqual(pool.state.pointee.ownerCapacity, 16)
        var kept: [(UnsafeMutableRawPointer, UInt64)] = []
        for epoch in 0..<100 {
            let p = dmms_pool_alloc_at(pool.handle, 24, file, 1)!
            if epoch % 25 == 0 { kept.append((p, dmms_mark(pool.handle))) } else { XCTAssertEqual(pool.free(p), DMMS_OK) }
            advance(pool, by: 1 << 32)
        }
        XCTAssertLessThanOrEqual(pool.state.pointee.ownerCount, 5)  // the 4 kept epochs and the latest
        let seq = walkedSequences(pool)
        for (p, sequence) in kept { XCTAssertEqual(seq[UnsafeRawPointer(p)], sequence) }

        let line = StaticString("new.c")
        let newSite = UnsafeRawPointer(line.utf8Start).assumingMemoryBound(to: CChar.self)
        let fresh = dmms_pool_alloc_at(pool.handle, 24, newSite, 2)!
        var report = ""
        withUnsafeMutablePointer(to: &report) { out in
            XCTAssertEqual(dmms_report_leaks(pool.handle, 0, { text, arg in
                arg!.assumingMemoryBound(to: String.self).pointee += String(cString: text!)
            }, out), 5)
        }
        XCTAssertTrue(report.contains("2 owner/site groups"), report)
        XCTAssertTrue(report.contains("4 buffers: task"), report)   // the kept ones: one group
        XCTAssertTrue(report.contains("at old.c:1"), report)
        XCTAssertTrue(report.contains("at new.c:2"), report)       // a new site still gets an entry
        XCTAssertFalse(report.contains("owner unknown"), report)
        XCTAssertEqual(pool.check(), 0)
        XCTAssertEqual(pool.free(fresh), DMMS_OK)
        for (p, _) in kept { XCTAssertEqual(pool.free(p), DMMS_OK) }
        XCTAssertEqual(pool.check(), 0)
    }
}

extension SequenceTests {
    /// A buffer whose owner could not be recorded (its neighbourhood of the
    /// table full of live owners) keeps only the low 32 bits: its number is
    /// the latest one issued with them, exact while younger than 2^32.
    func testUnknownOwnerKeepsTheLatestNumberWithItsLowBits() {
        let pool = TestPool(bytes: 1 << 16)                      // 16 entries: 64 sites cannot all fit
        var unknown: [(UnsafeMutableRawPointer, UInt64)] = []
        var buffers: [UnsafeMutableRawPointer] = []
        for line in 1...64 {
            let p = dmms_pool_alloc_at(pool.handle, 8, file, Int32(line))!
            buffers.append(p)
            if pool.state.pointee.lastOwnerIndex == unknownOwner { unknown.append((p, dmms_mark(pool.handle))) }
        }
        XCTAssertFalse(unknown.isEmpty)
        advance(pool, by: 1000)
        var seq = walkedSequences(pool)
        for (p, sequence) in unknown { XCTAssertEqual(seq[UnsafeRawPointer(p)], sequence) }   // younger than 2^32: exact
        advance(pool, by: 1 << 32)
        seq = walkedSequences(pool)
        for (p, sequence) in unknown { XCTAssertEqual(seq[UnsafeRawPointer(p)], sequence + 1 << 32) }  // the latest with its low bits
        for p in buffers { XCTAssertEqual(pool.free(p), DMMS_OK) }
        XCTAssertEqual(pool.check(), 0)
    }
}
