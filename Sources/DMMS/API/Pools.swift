// Pools.swift — the C ABI of pools, configuration and errors (dmms.h).
// Thin: it converts C types, finds the pool, takes the lock and calls the core.

import CDMMS

@_cdecl("dmms_version")
public func cVersion() -> UInt32 { UInt32(DMMS_VERSION) }

@_cdecl("dmms_strerror")
public func cStrerror(_ status: dmms_status_t) -> UnsafePointer<CChar> {
    UnsafeRawPointer(DMMSStatus.name(status).utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("dmms_config_init")
public func cConfigInit(_ config: UnsafeMutablePointer<dmms_config_t>?) {
    guard let config = config else { return }
    let d = PoolConfig.defaults
    config.pointee = dmms_config_t(flags: d.flags, min_block: UInt32(d.minBlock), guard_bytes: d.guardBytes,
                                   coalesce: d.coalesce, name: nil, max_joins: d.maxJoins)
}

/// The validated config behind a C pointer (NULL = defaults), or nil.
func poolConfig(_ config: UnsafePointer<dmms_config_t>?) -> PoolConfig? {
    guard let config = config else { return PoolConfig.defaults }
    return PoolConfig(config.pointee)
}

/// Reports an error that belongs to no pool (bad handle, bad config).
func reportUnattached(_ status: dmms_status_t, pointer: UInt = 0, requested: UInt64 = 0, detail: StaticString? = nil) {
    ErrorReport.deliver(ErrorRecord(.call, status: status, pointer: pointer, requested: requested, detail: detail),
                        poolName: nil, abort: false)
}

/// The pool behind a handle, or nil with DMMS_E_NOT_OWNED reported.
@inline(__always)
func livePool(_ handle: OpaquePointer?) -> Pool? {
    if let pool = Registry.resolve(handle) { return pool }
    return reportNoPool(handle)
}

@inline(never)
private func reportNoPool(_ handle: OpaquePointer?) -> Pool? {
    reportUnattached(DMMSStatus.notOwned, pointer: UInt(bitPattern: UnsafeMutableRawPointer(handle)),
                     detail: handle == nil ? "the OS refused the default pool's memory" : "handle is not a live pool")
    return nil
}

/// The most memory a pool (or a region added to one) may be: sizes stay far
/// from overflow in every sum over regions and metadata.
let maxPoolBytes = UInt.max / 4

@_cdecl("dmms_pool_overhead")
public func cPoolOverhead(_ size: UInt, _ config: UnsafePointer<dmms_config_t>?) -> UInt {
    guard let config = poolConfig(config), size <= maxPoolBytes else { return 0 }
    // What rounds `size` up to whole min blocks is part of the overhead: the
    // promise is about `size` + overhead bytes of memory.
    let data = config.blockBytes(holding: size)
    return data &- size &+ config.metadataBytes(forData: data, firstRegion: true)
}

@_cdecl("dmms_pool_create")
public func cPoolCreate(_ memory: UnsafeMutableRawPointer?, _ size: UInt,
                        _ config: UnsafePointer<dmms_config_t>?) -> OpaquePointer? {
    Registry.installForkHandlers()   // before this pool's lock is ever taken
    let address = UInt(bitPattern: memory)
    func refuse(_ detail: StaticString, _ status: dmms_status_t = dmms_status_t(DMMS_E_INVALID_ARG)) -> OpaquePointer? {
        reportUnattached(status, pointer: address, requested: UInt64(size), detail: detail)
        return nil
    }
    if let config = config, let problem = PoolConfig.problem(in: config.pointee) { return refuse(problem) }
    guard let config = poolConfig(config) else { return nil }
    if size == 0 || size > maxPoolBytes { return refuse("pool size is 0 or too large") }
    if address & 15 != 0 { return refuse("pool memory is not 16-byte aligned") }
    var host: (pool: Pool, buffer: UInt)? = nil     // a pool made inside a live buffer
    if address != 0 {
        switch Registry.placement(of: address, size: size) {
        case .apart: break
        case .inside(let pool, let buffer): host = (pool, buffer)
        case .overlapping: return refuse("pool memory overlaps a live pool outside any one of its live buffers")
        }
    }
    guard let pool = Registry.makePool(memory: address, size: size, config: config) else {
        return address == 0 ? refuse("the OS refused the memory", DMMSStatus.noMemory)
                            : refuse("pool memory too small for its metadata and one min block")
    }
    pool.pointee.host = host?.pool
    pool.pointee.hostBuffer = host?.buffer ?? 0
    Registry.register(pool)
    return OpaquePointer(pool)
}

@_cdecl("dmms_pool_destroy")
public func cPoolDestroy(_ handle: OpaquePointer?) -> dmms_status_t {
    // NULL is the default pool, as for every call: an installed one is
    // destroyed as by its handle; the built-in one never is (and is not
    // made just to be refused).
    if handle == nil && installedDefaultPool == nil { return refuseBuiltinDestroy() }
    guard let pool = livePool(handle) else { return DMMSStatus.notOwned }
    if pool.pointee.growsFromOS { return refuseBuiltinDestroy() }   // the built-in default pool or one of its arenas
    let live = pool.locked { $0.liveBufferCount }
    if live > 0 {
        pool.locked { state in
            state.recordError(ErrorRecord(.call, status: DMMSStatus.busy, pointer: UInt(bitPattern: UnsafeMutableRawPointer(pool)),
                                          detail: "the pool still has live buffers: not destroyed"))
        }
        return DMMSStatus.busy
    }
    Registry.unregister(pool)
    pool.pointee.unmapRegions()
    return DMMSStatus.ok
}

private func refuseBuiltinDestroy() -> dmms_status_t {
    reportUnattached(DMMSStatus.invalidArgument, detail: "built-in pools (the default pool, its arenas) are never destroyed")
    return DMMSStatus.invalidArgument
}

@_cdecl("dmms_pool_add_memory")
public func cPoolAddMemory(_ handle: OpaquePointer?, _ memory: UnsafeMutableRawPointer?, _ size: UInt) -> dmms_status_t {
    guard let pool = livePool(handle) else { return DMMSStatus.notOwned }
    let address = UInt(bitPattern: memory)
    if address == 0 || size == 0 || size > maxPoolBytes || Registry.overlapsAnyPool(address, size: size) {
        pool.locked { $0.recordError(ErrorRecord(.call, status: DMMSStatus.invalidArgument, pointer: address, requested: UInt64(size),
                                                 detail: "added memory is NULL, empty or overlaps a pool")) }
        return DMMSStatus.invalidArgument
    }
    return pool.locked { state in
        let status = state.addMemory(address, size: size, mapped: false)
        if status != DMMSStatus.ok {
            state.recordError(ErrorRecord(.call, status: status, pointer: address, requested: UInt64(size),
                                          detail: status == DMMSStatus.noMemory ? "the pool's region table is full (16 regions)"
                                                                                : "added memory misaligned or too small for one min block"))
        }
        return status
    }
}

@_cdecl("dmms_default_pool")
public func cDefaultPool() -> OpaquePointer? { Registry.defaultPool().map { OpaquePointer($0) } }

@_cdecl("dmms_set_default_pool")
public func cSetDefaultPool(_ handle: OpaquePointer?) -> dmms_status_t {
    guard let handle = handle else {
        Registry.install(nil)
        return DMMSStatus.ok
    }
    guard let pool = livePool(handle) else { return DMMSStatus.notOwned }
    Registry.install(pool)
    return DMMSStatus.ok
}

@_cdecl("dmms_set_error_handler")
public func cSetErrorHandler(_ handler: dmms_error_fn?, _ argument: UnsafeMutableRawPointer?) {
    installedMessenger = ErrorReport.messenger   // a handler reads messages from now on
    Platform.setErrorHandler(handler, argument)
}

@_cdecl("dmms_set_task_id_hook")
public func cSetTaskIdHook(_ hook: dmms_task_id_fn?) { taskIdHook = hook }

@_cdecl("dmms_set_lock_hooks")
public func cSetLockHooks(_ initialize: dmms_lock_fn?, _ lock: dmms_lock_fn?, _ unlock: dmms_lock_fn?,
                          _ destroy: dmms_lock_fn?) {
    lockInitHook = initialize
    lockHook = lock
    unlockHook = unlock
    lockDestroyHook = destroy
    Platform.globalLockInit()
}
