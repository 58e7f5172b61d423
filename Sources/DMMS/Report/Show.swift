// Show.swift — dmms_show: memPartShow's table, then per-size rows, live
// buffers and free blocks as the level asks.

import CDMMS

enum Show {
    static func show(_ pool: Pool, level: Int32, out: dmms_output_fn?, arg: UnsafeMutableRawPointer?) {
        var figures = PoolFigures()
        pool.locked { $0.snapshot(into: &figures) }
        var line = TextLine("pool '")
        line.append(cString: pool.nameCString)
        line.append("': ")
        line.append(figures.stats.pool_bytes)
        line.append(" bytes in blocks, ")
        line.append(figures.stats.overhead_bytes)
        line.append(" of metadata, min block ")
        line.append(figures.stats.min_block)
        line.append(", ")
        line.append(coalesceName(figures.stats.coalesce))
        line.append(" coalescing")
        line.emit(out, arg)

        // memPartShow's layout.
        line.append(" status        bytes     blocks  avg block  max block")
        line.emit(out, arg)
        line.append(" ------ ------------ ---------- ---------- ----------")
        line.emit(out, arg)
        line.append("current")
        line.emit(out, arg)
        tableRow(&line, "   free", figures.stats.bytes_free, figures.stats.blocks_free, max: figures.stats.max_block_free)
        line.emit(out, arg)
        tableRow(&line, "  alloc", figures.stats.bytes_alloc, figures.stats.blocks_alloc, max: nil)
        line.emit(out, arg)
        line.append("cumulative")
        line.emit(out, arg)
        tableRow(&line, "  alloc", figures.cumulativeBytes, figures.stats.total_allocs, max: nil)
        line.emit(out, arg)
        if level < 1 { return }

        line.emit(out, arg)
        // Per block size, then every figure of the pool, each under its name
        // (PoolFigures: the JSON report prints the same list).
        PoolFigures.forEach(of: dmms_order_stats_t(), cached: 0) { name, _ in
            line.pad(0, to: 1)
            line.append(name, width: figureWidth)
        }
        line.emit(out, arg)
        let cached = figures.cached
        figures.stats.forEachOrder { k, o in
            PoolFigures.forEach(of: o, cached: k < 16 ? cached[k] : 0) { _, value in
                line.pad(0, to: 1)
                line.append(value, width: figureWidth)
            }
            line.emit(out, arg)
        }
        line.emit(out, arg)
        var column = 0
        figures.forEach { name, value in
            line.append("  ")
            line.append(name)
            line.pad(name.utf8CodeUnitCount, to: figureWidth &+ 8)
            line.append(value, width: figureWidth)
            column &+= 1
            if column % 3 == 0 { line.emit(out, arg) }
        }
        if column % 3 != 0 { line.emit(out, arg) }
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

    /// The width of a figure's column: a name of dmms_order_stats_t, or a count.
    private static let figureWidth = 12

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
