// MisuseFuzzer.swift — libFuzzer harness: a program that misuses its pool.
//
// Between ordinary operations the input injects misuse, and each must be
// reported with the right status (recorded by the error handler), leave
// every figure but the error counters alone, and leave dmms_check clean but
// for the damage the model knows is still there:
//   bad frees      stale (double) frees, interior and misaligned pointers,
//                  the pool's metadata, another pool's buffer, stack, global,
//                  malloc and mmap addresses, wild addresses — through
//                  dmms_pool_free, dmms_free and dmms_pool_realloc (in
//                  quarantined memory: DMMS_E_CORRUPT, a bad free);
//   overruns       1..N bytes past the requested end (inside the block),
//                  then free or realloc: DMMS_E_OVERRUN at offset `requested`
//                  with a guard; without one, a damaged owner record is
//                  DMMS_E_CORRUPT (always when one byte of it changed);
//   record flips   one bit of the 8-byte owner record after the guard:
//                  DMMS_E_CORRUPT, the buffer quarantined;
//   link flips     one bit (or one byte) of a free block's first 16 bytes:
//                  DMMS_E_CORRUPT from dmms_check and from the operation
//                  that next trusts the links, which quarantines the min
//                  block holding them (the rest of the block stays free);
//   writes after   one byte of free memory (a stale pointer, an underrun
//   free           into the block below, anywhere free): in the links as
//                  above; in the body, DMMS_E_WRITE_AFTER_FREE with
//                  DMMS_F_FILL_FREE (from dmms_check, and when the block
//                  is handed out again), nothing without it.
// At most one piece of damage in free memory is pending at a time, so every
// report can be matched to its cause. At the end the pool is exhausted
// (every free block is taken, so pending damage is found), everything is
// freed and dmms_check must be clean.

import CDMMS
import Glibc

nonisolated(unsafe) var misuseHandlerInstalled = false
/// Another pool, for "a buffer of another pool".
nonisolated(unsafe) let foreignPool: OpaquePointer = dmms_pool_create(nil, 1 << 16, nil)!
/// Addresses no pool holds.
nonisolated(unsafe) var globalWords = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
let mappedPage: UInt = UInt(bitPattern: mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))

extension PoolModel {
    /// An address in the blocks of some region, from two input bytes.
    func poolAddress(_ input: inout FuzzInput) -> UInt {
        let regions = regionBounds()
        let r = regions[input.below(regions.count)]
        let granule = UInt(input.below(Int((r.end - r.start) / 16)))
        let misalign = input.byte()
        return r.start + granule * 16 + (misalign & 0x80 != 0 ? UInt(misalign & 15) : 0)
    }

    /// The status a free of `address` must give, or nil when it is a live
    /// buffer (not misuse). Decided from the model, not the map.
    func badFreeStatus(_ address: UInt) -> dmms_status_t? {
        if index(of: address) != nil { return nil }
        if liveBlock(holding: address) != nil { return DMMS_E_NOT_BLOCK }
        if quarantined.contains(where: { address >= $0.start && address < $0.end }) { return DMMS_E_CORRUPT }
        for r in regionBounds() {
            if address >= r.start && address < r.end { return DMMS_E_DOUBLE_FREE }
            if address >= r.memory && address < r.memoryEnd { return DMMS_E_NOT_BLOCK }
        }
        return DMMS_E_NOT_OWNED
    }

    /// Frees (or reallocates) an address that is not a live buffer of this
    /// pool: the status, one report naming it, the counter, nothing else.
    /// `how`: 0 dmms_pool_free, 1 dmms_free (any pool), 2 dmms_pool_realloc.
    func badFree(_ address: UInt, how: Int, notOurs: Bool = false, _ what: String) {
        guard address != 0, let status = badFreeStatus(address) else { return }
        let before = stats()
        let pointer = UnsafeMutableRawPointer(bitPattern: address)
        switch how {
        case 1 where !notOurs:
            let got = dmms_free(pointer)
            expect(got == status, "\(what): dmms_free(0x\(String(address, radix: 16))) gave \(String(cString: dmms_strerror(got)))")
        case 2:
            expect(dmms_pool_realloc(pool, pointer, 100) == nil, "\(what): realloc of a bad pointer succeeded")
        default:
            let got = dmms_pool_free(pool, pointer)
            expect(got == status, "\(what): free(0x\(String(address, radix: 16))) gave \(String(cString: dmms_strerror(got))), wanted \(String(cString: dmms_strerror(status)))")
        }
        let reports = seenReports
        expectReports([(status, address)], what)
        // dmms_free of an address no pool holds belongs to no pool: no counter.
        let attached = !(how == 1 && !notOurs && status == DMMS_E_NOT_OWNED)
        expect(reports[0].inPool == attached, "\(what): report's pool name")
        if attached {
            if status == DMMS_E_DOUBLE_FREE { doubleFrees += 1 } else { badFrees += 1 }
        }
        let after = stats()
        var orders = (before.orders, after.orders)
        let sameOrders = memcmp(&orders.0, &orders.1, MemoryLayout.size(ofValue: orders.0)) == 0
        expect(sameOrders && before.splits == after.splits && before.merges == after.merges
               && before.total_allocs == after.total_allocs && before.bytes_free == after.bytes_free,
               "\(what): a rejected call changed the pool")
    }

    /// XORs `count` bytes from `address` with non-zero values from the input.
    func damage(_ address: UInt, count: Int, _ input: inout FuzzInput) {
        let p = UnsafeMutablePointer<UInt8>(bitPattern: address)!
        for i in 0..<count {
            let x = input.byte()
            p[i] ^= x == 0 ? 0x5A : x
        }
    }

    /// dmms_check right after damage to live[i]: exactly `status` for it (or,
    /// when `certain` is false, that or nothing); other problems only as the
    /// model expects. Returns what it reported for the buffer.
    func checkInjected(_ i: Int, status: dmms_status_t, offset: UInt64?, certain: Bool, _ what: String) -> dmms_status_t {
        let b = live[i]
        let problems = dmms_check(pool)
        var got = takeReports()
        var seen = DMMS_OK
        if let j = got.firstIndex(where: { $0.ptr == b.address && $0.status == status }) {
            expect(offset == nil || got[j].offset == offset!, "\(what): reported at offset \(got[j].offset), wanted \(offset!)")
            seen = status
            got.remove(at: j)
        } else {
            expect(!certain, "\(what): dmms_check did not report \(String(cString: dmms_strerror(status))) at 0x\(String(b.address, radix: 16)) (\(got))")
        }
        // The rest: what verifyCheck expects (pending damage, damaged guards).
        var others = 0
        if let damage = pending, let j = got.firstIndex(where: damage.matches) { got.remove(at: j); others += 1 }
        for other in live where other.damage != DMMS_OK && other.address != b.address {
            if let j = got.firstIndex(where: { $0.ptr == other.address && $0.status == other.damage }) { got.remove(at: j); others += 1 }
        }
        expect(got.isEmpty && problems == UInt64(others + (seen == DMMS_OK ? 0 : 1)), "\(what): dmms_check \(problems) problems, unexplained \(got)")
        return seen
    }

    /// Writes 1..N bytes past the end of live[i] (inside its block), then
    /// frees or reallocates it.
    func overrun(_ i: Int, _ input: inout FuzzInput) {
        let b = live[i]
        guard b.damage == DMMS_OK else { return }
        let room = Int(blockSize(b.order) - b.size)
        guard room > 0 else { return }
        let length = 1 + input.below(min(room, 96))
        damage(b.address + b.size, count: length, &input)
        let what = "overrun of \(length) bytes past \(b.size) at 0x\(String(b.address, radix: 16))"
        var status: dmms_status_t = DMMS_OK
        if guardSpan > 0 {
            status = checkInjected(i, status: DMMS_E_OVERRUN, offset: UInt64(b.size), certain: true, what)
        } else if tracks {
            // The record is the first 8 bytes past the end: one damaged byte
            // always fails its check; more may pass it (2^-16).
            status = checkInjected(i, status: DMMS_E_CORRUPT, offset: nil, certain: min(length, 8) == 1, what)
        } else {
            let seen = checkInjected(i, status: DMMS_E_OVERRUN, offset: nil, certain: false, what)
            expect(seen == DMMS_OK, "\(what): reported without a guard or a record")
        }
        release(i, inspection: status, recordWritten: tracks && length > Int(guardSpan), &input)
    }

    /// Flips one bit of live[i]'s owner record: DMMS_E_CORRUPT, quarantined.
    func flipRecord(_ i: Int, _ input: inout FuzzInput) {
        guard tracks, live[i].damage == DMMS_OK else { return }
        let b = live[i]
        let bit = Int(input.byte() & 63)
        UnsafeMutablePointer<UInt8>(bitPattern: b.address + b.size + guardSpan)![bit / 8] ^= UInt8(1 << (bit % 8))
        let what = "bit \(bit) of the owner record of 0x\(String(b.address, radix: 16))"
        _ = checkInjected(i, status: DMMS_E_CORRUPT, offset: nil, certain: true, what)
        release(i, inspection: DMMS_E_CORRUPT, recordWritten: true, &input)
    }

    /// Frees or reallocates a buffer whose check gives `inspection`
    /// (`recordWritten`: the damage reached its owner record).
    func release(_ i: Int, inspection: dmms_status_t, recordWritten: Bool, _ input: inout FuzzInput) {
        switch input.byte() % 3 {
        case 0: free(at: i, anyPool: false, expected: inspection)
        case 1: free(at: i, anyPool: true, expected: inspection)
        default: reallocate(at: i, size: input.requestSize(), inspection: inspection, recordWritten: recordWritten)
        }
    }

    /// Damages a free block's links: one bit, or one whole byte.
    func damageLinks(near address: UInt, _ input: inout FuzzInput) {
        guard pending == nil, let block = mapBlock(holding: address),
              block.state == .globalFree || block.state == .lazyFree else { return }
        let links = UnsafeMutablePointer<UInt8>(bitPattern: block.start)!
        let b = input.byte()
        if b & 0x80 != 0 {
            let x = input.byte()
            links[Int(b & 15)] ^= x == 0 ? 0xA5 : x
        } else {
            links[Int(b & 127) / 8] ^= UInt8(1 << (b % 8))
        }
        pending = .links(block: block.start)
    }

    /// Writes one byte of memory that is not in a live buffer.
    func writeAfterFree(_ address: UInt, _ input: inout FuzzInput) {
        guard pending == nil, liveBlock(holding: address) == nil, let block = mapBlock(holding: address) else { return }
        let x = input.byte()
        let p = UnsafeMutablePointer<UInt8>(bitPattern: address)!
        trace("write after free at 0x\(String(address, radix: 16)): \(block.state) block 0x\(String(block.start, radix: 16)) of \(blockSize(block.order))")
        switch block.state {
        case .allocated:
            fuzzFail("the map says 0x\(String(address, radix: 16)) is in a live buffer; the model has none")
        case .quarantined:
            p.pointee ^= x == 0 ? 1 : x    // never read again
        case .globalFree, .lazyFree:
            p.pointee ^= x == 0 ? 1 : x
            if address - block.start < 16 {
                pending = .links(block: block.start)
            } else if fillsFree || address >= block.start + blockSize(block.order) - 8 && hasFreeTail(block.order) {
                pending = .fill(address: address)
            }
        }
    }

    /// Takes every free block the smallest buffer can get (pending damage is
    /// found on the way), then frees them again.
    func exhaust() {
        let order = self.order(forSize: 0)!
        var taken: [UnsafeMutableRawPointer] = []
        while let p = dmms_pool_alloc(pool, 0) {
            taken.append(p)
            totalAllocs += 1
            inUse[order] += 1
            allocs[order] += 1
            bytesAlloc += UInt64(blockSize(order))
        }
        failedAllocs += 1
        failures[order] += 1
        expectReports([(DMMS_E_NO_MEMORY, nil)], "exhaust")
        // What is left free is smaller than any buffer: no block the
        // smallest request could use was left untaken.
        let s = stats()
        expect(s.max_block_free < UInt64(blockSize(order)), "exhaust left a block of \(s.max_block_free)")
        for p in taken.reversed() {
            expect(dmms_pool_free(pool, p) == DMMS_OK, "exhaust: free")
            totalFrees += 1
            inUse[order] -= 1
            bytesAlloc -= UInt64(blockSize(order))
        }
        expectReports([], "exhaust: frees")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func misuseFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    if !misuseHandlerInstalled {
        dmms_set_error_handler(recordReport, nil)
        misuseHandlerInstalled = true
    }
    var input = FuzzInput(data, count)
    guard let model = PoolModel(ModelConfig(&input, maxPool: 96 << 10)) else { return 0 }
    while !input.exhausted && model.operations < 2000 {
        let op = input.byte() % 16
        let any = model.live.isEmpty ? nil : input.below(model.live.count)
        trace("op \(op) on \(any.map { "0x" + String(model.live[$0].address, radix: 16) + " of \(model.live[$0].size)" } ?? "-")")
        switch op {
        case 0, 1:
            model.allocate(size: input.requestSize() & 0x1FFF, line: Int32(input.byte() % 3))
        case 2:
            if let i = any { model.free(at: i, anyPool: false, expected: model.live[i].damage) }
        case 3:
            if let i = any { model.reallocate(at: i, size: input.requestSize() & 0x3FFF) }
        case 4:
            model.callocate(count: UInt(input.byte() % 4), each: input.requestSize() & 0xFFF)
        case 5:
            // A stale pointer (a double free), or one a few bytes into it.
            if !model.stale.isEmpty {
                let address = model.stale[input.below(model.stale.count)] + (input.byte() & 1 == 0 ? 0 : UInt(input.byte() & 63))
                model.badFree(address, how: input.below(3), "double free")
            }
        case 6:
            // Inside a live buffer: interior (aligned or not).
            if let i = any {
                let b = model.live[i]
                model.badFree(b.address + 1 + UInt(input.below(Int(model.blockSize(b.order)) - 1)), how: input.below(3), "interior pointer")
            }
        case 7:
            model.badFree(model.poolAddress(&input), how: input.below(3), "address in the pool")
        case 8:
            // The pool's metadata: past the blocks, or the handle itself.
            let r = model.regionBounds()[0]
            let address = input.byte() & 1 == 0 ? UInt(bitPattern: UnsafeRawPointer(model.pool))
                                                 : r.end + UInt(input.below(Int(r.memoryEnd - r.end)))
            model.badFree(address, how: input.below(3), "metadata")
        case 9:
            // Addresses of no pool, and another pool's buffer.
            var local: UInt64 = 0
            let heap = malloc(48)!
            let other = dmms_pool_alloc(foreignPool, 40)!
            let candidates: [UInt] = [
                withUnsafeMutablePointer(to: &local) { UInt(bitPattern: $0) },
                withUnsafeMutablePointer(to: &globalWords) { UInt(bitPattern: $0) },
                UInt(bitPattern: heap), mappedPage, 0x10, 0x1000, UInt.max & ~15, UInt(1) << 47,
                UInt(bitPattern: other),
            ]
            let pick = input.below(candidates.count)
            model.badFree(candidates[pick], how: input.below(3), notOurs: pick == candidates.count - 1, "address of no pool")
            Glibc.free(heap)
            expect(dmms_free(other) == DMMS_OK, "dmms_free of the other pool's buffer")
            model.expectReports([], "other pool")
        case 10, 11:
            if let i = any { model.overrun(i, &input) }
        case 12:
            if let i = any { model.flipRecord(i, &input) }
        case 13:
            model.damageLinks(near: model.stale.isEmpty || input.byte() & 1 == 0 ? model.poolAddress(&input)
                                                                                 : model.stale[input.below(model.stale.count)], &input)
        case 14:
            // A write after free: through a stale pointer, below a live buffer
            // (an underrun into the block below), or anywhere.
            let address: UInt
            switch input.byte() % 3 {
            case 0 where !model.stale.isEmpty: address = model.stale[input.below(model.stale.count)] + UInt(input.byte() & 63)
            case 1 where any != nil: address = model.live[any!].address - 1 - UInt(input.byte() & 31)
            default: address = model.poolAddress(&input)
            }
            model.writeAfterFree(address, &input)
        default:
            if input.byte() & 3 == 0 { model.freeAll(&input) } else { model.exhaust() }
        }
        model.settle("op \(model.operations)")
    }
    model.exhaust()
    model.settle("exhaust")
    model.freeAll(&input)
    model.destroy()
    return 0
}
