// Show.swift — dmms_show: memPartShow's table, then per-size rows, live
// buffers and free blocks as the level asks.

import CDMMS

enum Show {
    static func show(_ pool: Pool, level: Int32, out: dmms_output_fn?, arg: UnsafeMutableRawPointer?) {
        var stats = dmms_stats_t()
        var extra = PoolCounters()
        var cumulative: UInt64 = 0
        var suggested: UInt64 = 0
        var ownerCount = 0
        pool.locked { state in
            state.snapshot(into: &stats)
            extra = state.counters
            cumulative = state.cumulativeBytes
            suggested = state.suggestedPoolSize
            ownerCount = state.ownerCount
        }
        var line = TextLine("pool '")
        line.append(cString: pool.nameCString)
        line.append("': ")
        line.append(stats.pool_bytes)
        line.append(" bytes in blocks, ")
        line.append(stats.overhead_bytes)
        line.append(" of metadata, min block ")
        line.append(stats.min_block)
        line.append(", ")
        line.append(coalesceName(stats.coalesce))
        line.append(" coalescing")
        line.emit(out, arg)

        // memPartShow's layout.
        line.append(" status        bytes     blocks  avg block  max block")
        line.emit(out, arg)
        line.append(" ------ ------------ ---------- ---------- ----------")
        line.emit(out, arg)
        line.append("current")
        line.emit(out, arg)
        tableRow(&line, "   free", stats.bytes_free, stats.blocks_free, max: stats.max_block_free)
        line.emit(out, arg)
        tableRow(&line, "  alloc", stats.bytes_alloc, stats.blocks_alloc, max: nil)
        line.emit(out, arg)
        line.append("cumulative")
        line.emit(out, arg)
        tableRow(&line, "  alloc", cumulative, stats.total_allocs, max: nil)
        line.emit(out, arg)
        if level < 1 { return }

        line.emit(out, arg)
        line.append(" block size     in use high water       free       lazy       allocs   failures")
        line.emit(out, arg)
        stats.forEachOrder { _, o in
            line.append(o.block_size, width: 11)
            line.append(o.in_use, width: 11)
            line.append(o.high_water, width: 11)
            line.append(o.free_blocks, width: 11)
            line.append(o.lazy_free, width: 11)
            line.append(o.allocs, width: 13)
            line.append(o.failures, width: 11)
            line.emit(out, arg)
        }
        line.append("requested ")
        line.append(stats.bytes_requested)
        line.append(" bytes in ")
        line.append(stats.blocks_alloc)
        line.append(" buffers; peak ")
        line.append(stats.max_bytes_alloc)
        line.append(" block bytes; ")
        line.append(stats.splits)
        line.append(" splits, ")
        line.append(stats.merges)
        line.append(" merges, ")
        line.append(extra.demandJoins)
        line.append(" demand_joins; ")
        line.append(stats.failed_allocs)
        line.append(" failed")
        line.emit(out, arg)
        line.append("errors: ")
        line.append(stats.overruns)
        line.append(" overruns, ")
        line.append(stats.double_frees)
        line.append(" double frees, ")
        line.append(stats.bad_frees)
        line.append(" bad frees, ")
        line.append(stats.corruptions)
        line.append(" corruptions (")
        line.append(extra.bytesQuarantined)
        line.append(" bytes quarantined), ")
        line.append(extra.writeAfterFrees)
        line.append(" writes after free, ")
        line.append(extra.undeliveredErrors)
        line.append(" not delivered to the handler; ")
        line.append(UInt64(ownerCount))
        line.append(" owners")
        line.emit(out, arg)
        line.append("suggested pool size: ")
        line.append(suggested)
        line.append(" bytes (every block size at its high-water mark at once)")
        line.emit(out, arg)
        if level < 2 { return }

        line.emit(out, arg)
        line.append("live buffers:")
        line.emit(out, arg)
        line.append("            address  requested      block       owner  seq  site")
        line.emit(out, arg)
        pool.forEachLiveBuffer { info in
            line.pad(0, to: 2)
            let hexStart = line.count
            line.appendHex(UInt64(info.address))
            line.pad(line.count &- hexStart, to: 18)
            line.append(UInt64(info.requested), width: 11)
            line.append(UInt64(info.blockSize), width: 11)
            if info.recordValid {
                line.append(info.owner.task, width: 12)
                line.append("  ")
                line.append(info.sequence)
                ErrorReport.appendSite(info.owner.site, info.owner.line, into: &line)
            } else if pool.pointee.tracksOwners {
                line.append("  (owner record damaged)")
            }
            line.emit(out, arg)
            return true
        }
        if level < 3 { return }

        line.emit(out, arg)
        line.append("free blocks:")
        line.emit(out, arg)
        var cursor = BlockCursor()
        while true {
            let found: Block? = pool.locked { $0.nextBlock(&cursor, states: BlockStates.free) }
            guard let block = found else { break }
            line.append("  ")
            line.appendHex(UInt64(block.address))
            line.append("  ")
            line.append(UInt64(pool.pointee.blockSize(block.order)))
            line.append(block.state == .lazyFree ? "  lazy" : "  global")
            line.emit(out, arg)
        }
    }

    private static func tableRow(_ line: inout TextLine, _ label: StaticString, _ bytes: UInt64, _ blocks: UInt64, max: UInt64?) {
        line.append(label)
        line.append(bytes, width: 13)
        line.append(blocks, width: 11)
        line.append(blocks == 0 ? 0 : bytes / blocks, width: 11)
        if let max = max { line.append(max, width: 11) } else { line.append("          -") }
    }

    static func coalesceName(_ policy: UInt32) -> StaticString {
        switch policy {
        case UInt32(DMMS_COALESCE_EAGER): return "eager"
        case UInt32(DMMS_COALESCE_ON_DEMAND): return "on_demand"
        default: return "lazy"
        }
    }
}
