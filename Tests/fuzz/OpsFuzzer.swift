// OpsFuzzer.swift — libFuzzer harness: correct use of a pool, checked
// against PoolModel after every operation.
//
// Input: a pool configuration (coalescing policy, guard, owner tracking,
// free fill, lock, min block, guard bytes, caller or mapped memory, size),
// then operations until the input runs out: alloc, alloc_at, calloc,
// aligned_alloc, realloc (of a live buffer and of NULL), free (through the
// pool and through dmms_free), add_memory, exhausting the pool, freeing
// everything (the pool must be its top blocks again), and the reports (the
// pool's sequence counter now and then moved on by about 2^32, as if that
// many allocations had been made: sequence numbers must stay exact).
// After each: dmms_stats equals the model, dmms_check finds nothing; every
// few operations the walk lists exactly the model's buffers and each
// buffer still holds its pattern.

import CDMMS

nonisolated(unsafe) var opsHandlerInstalled = false

/// A power of two up to 1 MiB, and now and then a bad one (0, 3, 24, 2^40).
func alignment(_ input: inout FuzzInput) -> UInt {
    let b = input.byte()
    if b >= 0xF0 { return [0, 3, 24, UInt(1) << 40][Int(b & 3)] }
    return UInt(1) << UInt(b % 21)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func opsFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    if !opsHandlerInstalled {
        dmms_set_error_handler(recordReport, nil)
        opsHandlerInstalled = true
    }
    var input = FuzzInput(data, count)
    guard let model = PoolModel(ModelConfig(&input, maxPool: 256 << 10)) else { return 0 }
    var mark: UInt64 = 0
    while !input.exhausted && model.operations < 3000 {
        let op = input.byte() % 14
        switch op {
        case 0, 1:
            model.allocate(size: input.requestSize(), line: Int32(input.byte() % 5))
        case 2:
            model.callocate(count: UInt(input.byte() % 9), each: input.requestSize())
        case 3:
            model.alignedAllocate(alignment: alignment(&input), size: input.requestSize())
        case 4, 5:
            if !model.live.isEmpty { model.free(at: input.below(model.live.count), anyPool: op == 5) }
        case 6, 7:
            if !model.live.isEmpty { model.reallocate(at: input.below(model.live.count), size: input.requestSize()) }
        case 8:
            model.reallocate(at: nil, size: input.requestSize())
        case 9:
            let offset = Int(input.byte()) * 8
            model.addMemory(offset: offset, size: 512 + Int(input.u16()) * 2, overlap: input.byte() & 7 == 0)
        case 10:
            model.freeAll(&input)
        case 11:
            // Exhaust the pool with one size: the failure paths and the joins.
            let size = UInt(input.byte()) * UInt(1 + input.byte() % 8)
            var before = model.failedAllocs
            while model.failedAllocs == before && model.live.count < 2048 {
                model.allocate(size: size)
                if model.failedAllocs != before { break }
                before = model.failedAllocs
            }
        case 12:
            let b = input.byte()
            if b & 0x80 != 0 {
                // Just short of the next epochs: the allocations that follow cross them.
                model.advanceSequence(by: (UInt64(1) << 32) * UInt64(1 + (b >> 4) & 3) - UInt64(b & 0x0E))
                model.verifyWalk()
            }
            mark = b & 1 == 0 ? dmms_mark(model.pool) : mark
            model.verifyReports(mark: mark)
        default:
            dmms_stats_reset_peaks(model.pool)
            model.forEachOrder(model.stats()) { k, o in
                expect(o.high_water == o.in_use, "reset_peaks: order \(k) high water \(o.high_water), in use \(o.in_use)")
            }
        }
        model.settle("op \(model.operations)")
    }
    model.verifyContents()
    model.verifyWalk()
    model.verifyReports(mark: 0)
    model.freeAll(&input)
    model.destroy()
    return 0
}
