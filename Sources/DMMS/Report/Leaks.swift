// Leaks.swift — dmms_report_leaks: live buffers allocated after a mark,
// grouped by owner and call site, largest group first.
//
// The groups are counted in the owner table's scratch fields (no heap), under
// the pool's report lock so that two reports do not mix their counts.

import CDMMS

enum Leaks {
    static func report(_ pool: Pool, since: UInt64, out: dmms_output_fn?, arg: UnsafeMutableRawPointer?) -> UInt64 {
        guard pool.pointee.tracksOwners, pool.pointee.owners != nil else { return 0 }
        let token = pool.pointee.threadSafe ? Platform.lock(pool.reportLock) : Platform.noLock
        defer { if token != Platform.noLock { Platform.unlock(pool.reportLock, token) } }

        var buffers: UInt64 = 0
        var bytes: UInt64 = 0
        var groups: UInt64 = 0
        pool.locked { state in
            state.reportOverrunsOfLiveBuffers()
            let table = state.owners.unsafelyUnwrapped
            var i = 0
            while i < state.ownerCapacity { table[i].groupCount = 0; table[i].groupBytes = 0; i &+= 1 }
            var cursor = BlockCursor()
            while let block = state.nextBlock(&cursor, states: BlockStates.allocated) {
                let info = state.bufferInfo(block)
                if info.recordValid && info.sequence <= since { continue }
                let entry = table + Int(info.ownerIndex)
                if entry.pointee.groupCount == 0 { groups &+= 1 }
                entry.pointee.groupCount &+= 1
                entry.pointee.groupBytes &+= UInt64(info.requested)
                buffers &+= 1
                bytes &+= UInt64(info.requested)
            }
            // One group per owner and call site: the entries of its epochs
            // (Owners.swift), all in one neighbourhood, join the first.
            i = 1
            while i < state.ownerCapacity {
                let entry = table[i]
                if entry.groupCount > 0 {
                    var slot = state.ownerHome(task: entry.task, site: entry.site, line: entry.line)
                    var probe = 0
                    while probe < PoolState.ownerProbe {
                        let other = table + slot
                        if slot != i && other.pointee.groupCount > 0 && other.pointee.task == entry.task
                            && other.pointee.site == entry.site && other.pointee.line == entry.line {
                            table[i].groupCount &+= other.pointee.groupCount
                            table[i].groupBytes &+= other.pointee.groupBytes
                            other.pointee.groupCount = 0
                            other.pointee.groupBytes = 0
                            groups &-= 1
                        }
                        slot = (slot &+ 1) & (state.ownerCapacity &- 1)
                        probe &+= 1
                    }
                }
                i &+= 1
            }
        }

        var line = TextLine("leaks in pool '")
        line.append(cString: pool.nameCString)
        line.append("' since mark ")
        line.append(since)
        line.append(": ")
        line.append(buffers)
        line.append(" buffers, ")
        line.append(bytes)
        line.append(" bytes, ")
        line.append(groups)
        line.append(" owner/site groups")
        line.emit(out, arg)

        while true {
            // The largest group left, formatted under the lock, emitted after.
            let found: Bool = pool.locked { state in
                let table = state.owners.unsafelyUnwrapped
                var best = -1
                var i = 0
                while i < state.ownerCapacity {
                    if table[i].groupCount > 0 && (best < 0 || table[i].groupBytes > table[best].groupBytes) { best = i }
                    i &+= 1
                }
                if best < 0 { return false }
                let entry = table[best]
                line.append("  ")
                line.append(entry.groupBytes, width: 10)
                line.append(" bytes in ")
                line.append(entry.groupCount, width: 6)
                line.append(" buffers: ")
                if best == Int(unknownOwner) {
                    line.append("owner unknown (owner table full or record damaged)")
                } else {
                    line.append("task ")
                    line.append(entry.task)
                    if entry.site == 0 { line.append(" (no call site)") }
                    ErrorReport.appendSite(entry.site, entry.line, into: &line)
                }
                table[best].groupCount = 0
                return true
            }
            if !found { break }
            line.emit(out, arg)
        }
        return buffers
    }
}
