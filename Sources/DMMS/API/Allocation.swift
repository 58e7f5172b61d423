// Allocation.swift — the C ABI of allocation and free (dmms.h). Thin.

import CDMMS

@inline(__always)
func allocate(_ handle: OpaquePointer?, _ size: UInt, alignment: UInt, site: CallSite) -> UnsafeMutableRawPointer? {
    guard let pool = livePool(handle) else { return nil }
    // A pool in the default config's modes takes a copy of allocate in which
    // they are constants (Modes).
    if pool.pointee.plain {
        return UnsafeMutableRawPointer(bitPattern: pool.withLockHeld(Platform.lock(pool.poolLock)) {
            $0.allocate(size: size, alignment: alignment, site: site, modes: PlainModes.self)
        })
    }
    if pool.pointee.watched { return UnsafeMutableRawPointer(bitPattern: pool.allocateWatched(size, alignment: alignment, site: site)) }
    return UnsafeMutableRawPointer(bitPattern: pool.lockedUnwatched { $0.allocate(size: size, alignment: alignment, site: site) })
}

@_cdecl("dmms_pool_alloc")
public func cPoolAlloc(_ pool: OpaquePointer?, _ size: UInt) -> UnsafeMutableRawPointer? {
    allocate(pool, size, alignment: 0, site: .none)
}

@_cdecl("dmms_pool_alloc_at")
public func cPoolAllocAt(_ pool: OpaquePointer?, _ size: UInt, _ file: UnsafePointer<CChar>?, _ line: Int32) -> UnsafeMutableRawPointer? {
    allocate(pool, size, alignment: 0, site: CallSite(file: UInt(bitPattern: file), line: max(line, 0)))
}

@_cdecl("dmms_alloc")
public func cAlloc(_ size: UInt) -> UnsafeMutableRawPointer? { allocate(nil, size, alignment: 0, site: .none) }

@_cdecl("dmms_pool_calloc")
public func cPoolCalloc(_ pool: OpaquePointer?, _ count: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
    let memory = allocate(pool, overflow ? UInt.max : bytes, alignment: 0, site: .none)
    memory?.initializeMemory(as: UInt8.self, repeating: 0, count: Int(bytes))
    return memory
}

@_cdecl("dmms_pool_aligned_alloc")
public func cPoolAlignedAlloc(_ handle: OpaquePointer?, _ alignment: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    guard let pool = livePool(handle) else { return nil }
    let valid = isPowerOfTwo(alignment) && pool.locked { $0.order(forBytes: alignment) != nil && $0.orderCount > 0
        && alignment <= $0.blockSize($0.orderCount &- 1) }
    if !valid {
        pool.locked { $0.recordError(ErrorRecord(.call, status: DMMSStatus.invalidArgument, requested: UInt64(size),
                                                 detail: "alignment must be a power of two up to the largest block")) }
        return nil
    }
    return allocate(handle, size, alignment: alignment, site: .none)
}

@_cdecl("dmms_pool_realloc")
public func cPoolRealloc(_ handle: OpaquePointer?, _ memory: UnsafeMutableRawPointer?, _ size: UInt) -> UnsafeMutableRawPointer? {
    guard let memory = memory else { return allocate(handle, size, alignment: 0, site: .none) }
    guard let pool = livePool(handle) else { return nil }
    return UnsafeMutableRawPointer(bitPattern: pool.reallocateBuffer(UInt(bitPattern: memory), size: size, site: .none))
}

@_cdecl("dmms_pool_free")
public func cPoolFree(_ handle: OpaquePointer?, _ memory: UnsafeMutableRawPointer?) -> dmms_status_t {
    // Freeing NULL does nothing, but a bad pool handle is still a bad handle
    // (NULL, the default pool, is not made just for it).
    guard let memory = memory else { return handle == nil || livePool(handle) != nil ? DMMSStatus.ok : DMMSStatus.notOwned }
    guard let pool = livePool(handle) else { return DMMSStatus.notOwned }
    return pool.freeBuffer(UInt(bitPattern: memory))
}

@_cdecl("dmms_free")
public func cFree(_ memory: UnsafeMutableRawPointer?) -> dmms_status_t {
    guard let memory = memory else { return DMMSStatus.ok }
    let address = UInt(bitPattern: memory)
    guard let pool = Registry.pool(holding: address) else {
        reportUnattached(DMMSStatus.notOwned, pointer: address, detail: "pointer is in no pool")
        return DMMSStatus.notOwned
    }
    return pool.freeBuffer(address)
}

@_cdecl("dmms_usable_size")
public func cUsableSize(_ memory: UnsafeRawPointer?) -> UInt {
    let address = UInt(bitPattern: memory)
    guard address != 0, let pool = Registry.pool(holding: address) else { return 0 }
    return pool.locked { $0.liveExtent(at: address)?.requested ?? 0 }
}
