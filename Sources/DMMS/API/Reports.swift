// Reports.swift — the C ABI of statistics and visibility (dmms.h). Thin.

import CDMMS

// Every call here takes a pool: a handle that is not a live pool is reported
// (DMMS_E_NOT_OWNED, by livePool) and answered as dmms.h says per call.

@_cdecl("dmms_stats")
public func cStats(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<dmms_stats_t>?) -> dmms_status_t {
    guard let pool = livePool(handle) else { return DMMSStatus.notOwned }
    guard let out = out else {
        pool.locked { $0.recordError(ErrorRecord(.call, status: DMMSStatus.invalidArgument, detail: "dmms_stats: out is NULL")) }
        return DMMSStatus.invalidArgument
    }
    pool.locked { $0.snapshot(into: &out.pointee) }
    return DMMSStatus.ok
}

@_cdecl("dmms_stats_reset_peaks")
public func cStatsResetPeaks(_ handle: OpaquePointer?) {
    livePool(handle)?.locked { $0.resetPeaks() }
}

@_cdecl("dmms_demand_joins")
public func cDemandJoins(_ handle: OpaquePointer?) -> UInt64 {
    livePool(handle)?.locked { $0.counters.demandJoins } ?? 0
}

@_cdecl("dmms_suggest_pool_size")
public func cSuggestPoolSize(_ handle: OpaquePointer?) -> UInt64 {
    livePool(handle)?.locked { $0.suggestedPoolSize } ?? 0
}

@_cdecl("dmms_show")
public func cShow(_ handle: OpaquePointer?, _ level: Int32, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
    guard let pool = livePool(handle) else {
        var line = TextLine()
        line.appendNotAPool(handle)
        return line.emit(out, arg)
    }
    Show.show(pool, level: level, out: out, arg: arg)
}

@_cdecl("dmms_report_json")
public func cReportJSON(_ handle: OpaquePointer?, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
    guard let pool = livePool(handle) else {   // still one JSON document
        var line = TextLine("{\"error\": \"")
        line.appendNotAPool(handle)
        line.append("\"}")
        return line.emit(out, arg)
    }
    JSONReport.write(pool, out: out, arg: arg)
}

@_cdecl("dmms_walk")
public func cWalk(_ handle: OpaquePointer?, _ fn: dmms_walk_fn?, _ arg: UnsafeMutableRawPointer?) -> UInt64 {
    guard let pool = livePool(handle) else { return 0 }
    return pool.forEachLiveBuffer { info in
        guard let fn = fn else { return true }
        var block = dmms_block_info_t()
        block.ptr = UnsafeRawPointer(bitPattern: info.address)
        block.requested = UInt64(info.requested)
        block.block_size = UInt64(info.blockSize)
        block.owner = info.owner.task
        block.file = info.owner.line >= 0 ? UnsafePointer<CChar>(bitPattern: info.owner.site) : nil
        block.line = max(info.owner.line, 0)
        block.seq = info.sequence
        return fn(&block, arg) == 0
    }
}

@_cdecl("dmms_mark")
public func cMark(_ handle: OpaquePointer?) -> UInt64 {
    livePool(handle)?.locked { $0.sequence } ?? 0
}

@_cdecl("dmms_report_leaks")
public func cReportLeaks(_ handle: OpaquePointer?, _ since: UInt64, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) -> UInt64 {
    guard let pool = livePool(handle) else { return 0 }
    return Leaks.report(pool, since: since, out: out, arg: arg)
}

@_cdecl("dmms_check")
public func cCheck(_ handle: OpaquePointer?) -> UInt64 {
    guard let pool = livePool(handle) else { return 1 }   // the bad handle is the problem found
    let problems = pool.locked { $0.check(reportingFrom: 0) }
    // Each pass reports errorsPerCall more; a pool changed meanwhile may count
    // fewer, and then there is nothing left to report.
    var reported = min(problems, UInt64(PoolState.errorsPerCall))
    while reported < problems {
        let counted = pool.locked { $0.check(reportingFrom: reported) }
        if counted <= reported { break }
        reported &+= min(counted &- reported, UInt64(PoolState.errorsPerCall))
    }
    return problems
}

@_cdecl("dmms_timeline_sample")
public func cTimelineSample(_ handle: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ size: UInt) -> UInt {
    guard let pool = livePool(handle) else {
        if let buffer = buffer, size > 0 { buffer[0] = 0 }
        return 0
    }
    if Platform.hosted { Timeline.startClock() }
    return pool.locked { state in
        var length = 0
        state.withSample(exit: false) { bytes, count in
            length = count
            guard let buffer = buffer, size > 0 else { return }
            if UInt(count) < size {
                buffer.withMemoryRebound(to: UInt8.self, capacity: count &+ 1) { target in
                    target.update(from: bytes.assumingMemoryBound(to: UInt8.self), count: count)
                }
                buffer[count] = 0
            } else {
                buffer[0] = 0
            }
        }
        return UInt(length)
    }
}
