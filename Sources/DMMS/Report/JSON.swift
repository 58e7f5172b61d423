// JSON.swift — dmms_report_json: one document with the config, the stats,
// the orders, the owners, the live buffers, the recent errors and the pool
// map, written one line at a time. Every string goes through appendJSON, so
// the document parses whatever bytes a name or a file holds.

import CDMMS

enum JSONReport {
    static func write(_ pool: Pool, out: dmms_output_fn?, arg: UnsafeMutableRawPointer?) {
        var line = TextLine("{")
        writeMembers(pool, &line, out, arg)
        line.append("}")
        line.emit(out, arg)
    }

    /// The document's members, without its braces: `line` holds the last of
    /// them when this returns (the malloc replacement adds its arenas there).
    static func writeMembers(_ pool: Pool, _ line: inout TextLine, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
        var figures = PoolFigures()
        var guardBytes: UInt32 = 0
        var maxJoins: UInt32 = 0
        var flags: UInt32 = 0
        pool.locked { state in
            state.reportOverrunsOfLiveBuffers()   // before the figures, which then count them
            state.snapshot(into: &figures)
            guardBytes = state.guarded ? state.guardBytes : 0
            maxJoins = state.maxJoins
            flags = state.flags
        }
        line.append("\"dmms_version\": ")
        line.append(UInt64(DMMS_VERSION))
        line.append(", \"config\": {\"name\": ")
        line.appendJSON(cString: pool.nameCString, limit: 32)
        line.append(", \"min_block\": ")
        line.append(figures.stats.min_block)
        line.append(", \"guard_bytes\": ")
        line.append(UInt64(guardBytes))
        line.append(", \"max_joins\": ")
        line.append(UInt64(maxJoins))
        line.append(", \"coalesce\": \"")
        line.append(Show.coalesceName(figures.stats.coalesce))
        line.append("\", \"flags\": ")
        line.append(UInt64(flags))
        line.append(", \"thread_safe\": ")
        flag(&line, flags, DMMS_F_THREAD_SAFE)
        line.append(", \"guard\": ")
        flag(&line, flags, DMMS_F_GUARD)
        line.append(", \"track_owner\": ")
        flag(&line, flags, DMMS_F_TRACK_OWNER)
        line.append(", \"fill_free\": ")
        flag(&line, flags, DMMS_F_FILL_FREE)
        line.append("},")
        line.emit(out, arg)

        line.append("\"stats\": {")
        var first = true
        figures.forEach { name, value in
            member(&line, name, value, first: first)
            first = false
            if line.count > TextLine.capacity / 2 { line.emit(out, arg) }   // a line holds TextLine.capacity bytes
        }
        line.append("},")
        line.emit(out, arg)

        line.append("\"orders\": [")
        line.emit(out, arg)
        let last = Int(figures.stats.order_count) &- 1
        let cached = figures.cached
        figures.stats.forEachOrder { k, o in
            line.append("{\"order\": "); line.append(k)
            PoolFigures.forEach(of: o, cached: k < 16 ? cached[k] : 0) { name, value in member(&line, name, value, first: false) }
            line.append(k < last ? "}," : "}")
            line.emit(out, arg)
        }
        line.append("],")
        line.emit(out, arg)

        writeOwners(pool, &line, out, arg)
        writeBuffers(pool, &line, out, arg)
        writeErrors(pool, &line, out, arg)
        writeMap(pool, &line, out, arg)
    }

    private static func flag(_ line: inout TextLine, _ flags: UInt32, _ bit: UInt32) {
        if flags & bit != 0 { line.append("true") } else { line.append("false") }
    }

    /// `"name": value`, after a comma unless it is the first member.
    static func member(_ line: inout TextLine, _ name: StaticString, _ value: UInt64, first: Bool) {
        line.append(first ? "\"" : ", \"")
        line.append(name)
        line.append("\": ")
        line.append(value)
    }

    /// `"file": "…", "line": n` for a file site, `"site": "…"` for a code address.
    private static func site(_ line: inout TextLine, _ site: UInt, _ lineNumber: Int32) {
        if site == 0 {
            line.append("\"file\": null, \"line\": 0")
        } else if lineNumber < 0 {
            var name = TextLine()
            SiteNames.append(codeAddress: site, into: &name)
            line.append("\"file\": null, \"line\": 0, \"site\": ")
            name.withCString { line.appendJSON(cString: $0) }
        } else {
            line.append("\"file\": ")
            line.appendJSON(cString: UnsafePointer<CChar>(bitPattern: site))
            line.append(", \"line\": ")
            line.append(Int(lineNumber))
        }
    }

    private static func writeOwners(_ pool: Pool, _ line: inout TextLine, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
        line.append("\"owners\": [")
        line.emit(out, arg)
        var index = 1
        var first = true
        while true {
            let entry: OwnerEntry? = pool.locked { state in
                while index < state.ownerCapacity {
                    let e = state.owners.unsafelyUnwrapped[index]
                    index &+= 1
                    if e.used != 0 { return e }
                }
                return nil
            }
            guard let e = entry else { break }
            if !first { line.append(",") }
            first = false
            line.append("{\"id\": "); line.append(index &- 1)
            line.append(", \"task\": "); line.append(e.task)
            line.append(", \"epoch\": "); line.append(UInt64(e.epoch))
            line.append(", ")
            site(&line, e.site, e.line)
            line.append("}")
            line.emit(out, arg)
        }
        line.append("],")
        line.emit(out, arg)
    }

    private static func writeBuffers(_ pool: Pool, _ line: inout TextLine, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
        line.append("\"buffers\": [")
        line.emit(out, arg)
        var first = true
        pool.forEachLiveBuffer { info in
            if !first { line.append(",") }
            first = false
            line.append("{\"ptr\": \""); line.appendHex(UInt64(info.address))
            line.append("\", \"requested\": "); line.append(UInt64(info.requested))
            line.append(", \"block_size\": "); line.append(UInt64(info.blockSize))
            line.append(", \"owner_id\": "); line.append(UInt64(info.ownerIndex))
            line.append(", \"owner\": "); line.append(info.owner.task)
            line.append(", \"seq\": "); line.append(info.sequence)
            line.append(", \"record_ok\": ")
            if info.recordValid { line.append("true") } else { line.append("false") }
            line.append(", ")
            site(&line, info.owner.site, info.owner.line)
            line.append("}")
            line.emit(out, arg)
            return true
        }
        line.append("],")
        line.emit(out, arg)
    }

    private static func writeErrors(_ pool: Pool, _ line: inout TextLine, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
        var errors = ErrorRing(repeating: ErrorRecord())
        var count = 0
        pool.locked { state in
            var index = state.errorCount > UInt64(PoolState.errorRingSize) ? state.errorCount &- UInt64(PoolState.errorRingSize) : 0
            while index < state.errorCount {
                errors[count] = state.recentErrors[at: Int(index % UInt64(PoolState.errorRingSize))]
                count &+= 1
                index &+= 1
            }
        }
        line.append("\"errors\": [")
        line.emit(out, arg)
        var i = 0
        while i < count {
            let e = errors[i]
            line.append("{\"status\": "); line.append(Int(e.status))
            line.append(", \"name\": \""); line.append(DMMSStatus.name(e.status))
            line.append("\", \"ptr\": \""); line.appendHex(UInt64(e.pointer))
            line.append("\", \"requested\": "); line.append(e.requested)
            line.append(", \"block_size\": "); line.append(e.blockSize)
            line.append(", \"offset\": "); line.append(e.offset)
            line.append(", \"owner\": "); line.append(e.owner)
            line.append(", \"seq\": "); line.append(e.sequence)
            line.append(", \"caller\": "); line.append(e.caller)
            line.append(", ")
            site(&line, e.file, e.line)
            line.append(", \"message\": ")
            var message = TextLine()
            ErrorReport.describe(e, into: &message)
            message.withCString { line.appendJSON(cString: $0, limit: TextLine.capacity) }
            line.append(i &+ 1 < count ? "}," : "}")
            line.emit(out, arg)
            i &+= 1
        }
        line.append("],")
        line.emit(out, arg)
    }

    /// Every region's blocks as runs: [offset, order, state, owner_id, count]
    /// with state "a" allocated, "f" globally free, "l" lazily free,
    /// "q" quarantined; a run is `count` adjacent blocks alike in all four.
    private static func writeMap(_ pool: Pool, _ line: inout TextLine, _ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
        line.append("\"map\": {\"regions\": [")
        line.emit(out, arg)
        var cursor = BlockCursor()
        var region = -1
        var run = (offset: UInt(0), order: -1, state: BlockState.allocated, owner: UInt16(0), count: 0, end: UInt(0))
        var firstRun = true
        func flush(_ line: inout TextLine) {
            if run.count == 0 { return }
            if !firstRun { line.append(",") }
            firstRun = false
            line.append("["); line.append(run.offset)
            line.append(", "); line.append(run.order)
            switch run.state {
            case .allocated: line.append(", \"a\", ")
            case .globalFree: line.append(", \"f\", ")
            case .lazyFree: line.append(", \"l\", ")
            case .quarantined: line.append(", \"q\", ")
            }
            line.append(UInt64(run.owner)); line.append(", "); line.append(run.count)
            line.append("]")
            line.emit(out, arg)
            run.count = 0
        }
        while true {
            var owner = unknownOwner
            var regionStart: UInt = 0
            var regionEnd: UInt = 0
            let found: Block? = pool.locked { state in
                guard let block = state.nextBlock(&cursor, states: BlockStates.all) else { return nil }
                regionStart = state.regions[at: block.region].start
                regionEnd = state.regions[at: block.region].end
                if block.state == .allocated { owner = state.bufferInfo(block).ownerIndex }
                return block
            }
            guard let block = found else { break }
            let size = pool.pointee.blockSize(block.order)
            if block.region != region {
                flush(&line)
                if region >= 0 { line.append("]},"); line.emit(out, arg) }
                region = block.region
                firstRun = true
                line.append("{\"start\": \""); line.appendHex(UInt64(regionStart))
                line.append("\", \"bytes\": "); line.append(UInt64(regionEnd &- regionStart))
                line.append(", \"blocks\": [")
                line.emit(out, arg)
            }
            if run.count > 0 && run.order == block.order && run.state == block.state && run.owner == owner
                && run.end == block.address {
                run.count &+= 1
                run.end &+= size
            } else {
                flush(&line)
                run = (block.address &- regionStart, block.order, block.state, owner, 1, block.address &+ size)
            }
        }
        flush(&line)
        if region >= 0 { line.append("]}"); line.emit(out, arg) }
        line.append("]}")
        line.emit(out, arg)
    }
}
