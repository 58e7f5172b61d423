// Tools.swift — allocate, free and realloc as Valgrind's memcheck and
// AddressSanitizer must see them, for a pool made while one of them watched
// (PoolState.watched; the requests themselves are in platform.h).
//
// A watched pool's regions are no-access to the tools from the moment they
// are carved (Layout.swift), but for each live buffer's requested bytes: the
// buffer is announced when it is handed out and withdrawn when it ends, so
// the tools report a read past its end or after its free at the instruction,
// with the stacks, as they would for malloc — and memcheck reports a buffer
// never freed as a leak. The pool's own work on that memory happens inside
// `locked`, with memcheck's reports off.

import CDMMS

extension UnsafeMutablePointer where Pointee == PoolState {
    /// allocate, then the buffer's requested bytes opened to the program.
    @inline(never)
    func allocateWatched(_ size: UInt, alignment: UInt, site: CallSite) -> UInt {
        let address = locked { $0.allocate(size: size, alignment: alignment, site: site) }
        if address != 0 { Platform.toolsAllocated(address, size) }
        return address
    }

    /// free, then the buffer's block closed: when it was a live buffer, which
    /// the pool has back (or has quarantined) whatever the status says of it.
    /// The block is open while free fills it (DMMS_F_FILL_FREE's memset).
    @inline(never)
    func freeWatched(_ address: UInt) -> dmms_status_t {
        let (blockBytes, status) = locked { state in
            let blockBytes = state.liveExtent(at: address)?.blockBytes
            if let blockBytes = blockBytes { Platform.toolsOpen(address, blockBytes) }
            return (blockBytes, state.free(address))
        }
        if let blockBytes = blockBytes { Platform.toolsFreed(address, blockBytes: blockBytes) }
        return status
    }

    /// realloc always moves, as Valgrind's own does: a new buffer, the
    /// contents copied by a plain copy the tools follow (memcheck carries
    /// which bytes are defined), the old buffer freed — which reports its
    /// damage, as realloc would. An address that is no live buffer goes to
    /// realloc, which reports it.
    @inline(never)
    func reallocateWatched(_ address: UInt, size: UInt, site: CallSite) -> UInt {
        guard let old = locked({ $0.liveExtent(at: address) }) else {
            return locked { $0.reallocate(address, size: size, site: site) }
        }
        let moved = allocateWatched(size, alignment: 0, site: site)
        if moved == 0 { return 0 }
        UnsafeMutableRawPointer(bitPattern: moved).unsafelyUnwrapped
            .copyMemory(from: UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped, byteCount: Int(min(old.requested, size)))
        _ = freeWatched(address)
        return moved
    }
}
