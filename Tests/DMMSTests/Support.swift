// Support.swift — helpers shared by the Swift tests of the core. The tests
// drive the core through the C ABI (dmms.h), exactly as C programs do.

import CDMMS
@testable import DMMS
import XCTest

/// A pool over mapped memory, destroyed by the test's end.
final class TestPool {
    let handle: OpaquePointer

    init(bytes: Int = 1 << 20, flags: UInt32? = nil, minBlock: UInt32 = 32, guardBytes: UInt32 = 8,
         coalesce: Int32 = DMMS_COALESCE_LAZY, memory: UnsafeMutableRawPointer? = nil) {
        var config = dmms_config_t()
        dmms_config_init(&config)
        if let flags = flags { config.flags = flags }
        config.min_block = minBlock
        config.guard_bytes = guardBytes
        config.coalesce = UInt32(coalesce)
        handle = dmms_pool_create(memory, bytes, &config)!
    }

    deinit { _ = dmms_pool_destroy(handle) }

    var stats: dmms_stats_t {
        var s = dmms_stats_t()
        XCTAssertEqual(dmms_stats(handle, &s), DMMS_OK)
        return s
    }

    func order(_ k: Int) -> dmms_order_stats_t {
        var s = stats
        return withUnsafePointer(to: &s.orders) { UnsafeRawPointer($0).assumingMemoryBound(to: dmms_order_stats_t.self)[k] }
    }

    func alloc(_ size: Int) -> UnsafeMutableRawPointer? { dmms_pool_alloc(handle, size) }
    func free(_ p: UnsafeMutableRawPointer?) -> dmms_status_t { dmms_pool_free(handle, p) }
    func check() -> UInt64 { dmms_check(handle) }

    /// The core's header, for white-box assertions.
    var state: UnsafeMutablePointer<PoolState> { UnsafeMutablePointer<PoolState>(handle) }
}

/// Records every error report, and restores the default handler when done.
final class ErrorLog {
    struct Entry {
        var status: dmms_status_t; var offset: UInt64; var requested: UInt64; var blockSize: UInt64; var owner: UInt64; var line: Int32
        var message: String
    }
    var entries: [Entry] = []

    init() {
        dmms_set_error_handler({ error, arg in
            let log = Unmanaged<ErrorLog>.fromOpaque(arg!).takeUnretainedValue()
            let e = error!.pointee
            log.entries.append(Entry(status: e.status, offset: e.offset, requested: e.requested,
                                     blockSize: e.block_size, owner: e.owner, line: e.line,
                                     message: e.message.map { String(cString: $0) } ?? ""))
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    func stop() { dmms_set_error_handler(nil, nil) }
    var statuses: [dmms_status_t] { entries.map(\.status) }
}
