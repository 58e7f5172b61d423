// Platform.swift — the one file that talks to the operating system (through
// Sources/CDMMS/platform.h). A port replaces the lock and the task id with
// hooks (dmms_set_lock_hooks, dmms_set_task_id_hook); nothing else changes.

import CDMMS

/// Installed hooks. Plain globals with constant initialisers: no lazy set-up,
/// so nothing here can call malloc while the preloaded malloc starts.
nonisolated(unsafe) var taskIdHook: dmms_task_id_fn? = nil
nonisolated(unsafe) var lockInitHook: dmms_lock_fn? = nil
nonisolated(unsafe) var lockHook: dmms_lock_fn? = nil
nonisolated(unsafe) var unlockHook: dmms_lock_fn? = nil
nonisolated(unsafe) var lockDestroyHook: dmms_lock_fn? = nil

enum Platform {
    /// The calling task: the hook's answer, or the OS thread id (cached per thread).
    @inline(__always)
    static func taskId() -> UInt64 {
        if let hook = taskIdHook { return hook() }
        return dmms_platform_thread_id()
    }

    @inline(__always)
    static func lockInit(_ storage: UnsafeMutableRawPointer) {
        if let hook = lockInitHook { hook(storage) } else { dmms_platform_lock_init(storage) }
    }

    /// What unlocking needs from locking: the port's hooks took the lock
    /// (`hooksToken`), or the futex word holds this value (the thread id).
    /// Never 0: a caller that took no lock keeps 0 (`noLock`).
    typealias LockToken = UInt32
    static let hooksToken: LockToken = .max
    static let noLock: LockToken = 0

    @inline(__always)
    static func lock(_ storage: UnsafeMutableRawPointer) -> LockToken {
        if let hook = lockHook {
            hook(storage)
            return hooksToken
        }
        return dmms_platform_lock(storage)
    }

    @inline(__always)
    static func unlock(_ storage: UnsafeMutableRawPointer, _ token: LockToken) {
        if token == hooksToken {
            if let hook = unlockHook { hook(storage) }
        } else {
            dmms_platform_unlock(storage, token)
        }
    }

    /// One attempt to take a lock: its token, or noLock when it is busy. A
    /// port's hooks have no try: the lock is simply taken.
    @inline(__always)
    static func tryLock(_ storage: UnsafeMutableRawPointer) -> LockToken {
        lockHook != nil ? lock(storage) : dmms_platform_trylock(storage)
    }

    /// A walk of the registry without its lock, and the wait of a destroy for
    /// the walks under way (see platform.h).
    @inline(__always) static func registryWalkBegin() -> UInt32 { dmms_platform_walk_begin() }
    @inline(__always) static func registryWalkEnd(_ epoch: UInt32) { dmms_platform_walk_end(epoch) }
    static func drainRegistryWalks() { dmms_platform_walks_drain() }

    /// Ordering for tables read without a lock (see platform.h).
    @inline(__always) static func releaseFence() { dmms_platform_release_fence() }
    @inline(__always) static func acquireFence() { dmms_platform_acquire_fence() }

    static func lockDestroy(_ storage: UnsafeMutableRawPointer) {
        if let hook = lockDestroyHook { hook(storage) } else { dmms_platform_lock_destroy(storage) }
    }

    /// The registry of pools and the default pool's creation: the port's lock
    /// when it installed hooks (bare metal has no other), else the built-in one.
    static func globalLock() {
        if let hook = lockHook { hook(dmms_platform_global_storage()) } else { dmms_platform_global_lock() }
    }
    static func globalUnlock() {
        if let hook = unlockHook { hook(dmms_platform_global_storage()) } else { dmms_platform_global_unlock() }
    }
    /// Called when a port installs lock hooks: readies the registry's lock.
    static func globalLockInit() {
        if lockHook != nil, let hook = lockInitHook { hook(dmms_platform_global_storage()) }
    }

    /// `size` bytes of zeroed memory from the OS, or nil.
    static func map(_ size: UInt) -> UInt? {
        guard let p = dmms_platform_map(Int(bitPattern: size)) else { return nil }
        return UInt(bitPattern: p)
    }

    static func unmap(_ address: UInt, _ size: UInt) {
        if size > 0, let p = UnsafeMutableRawPointer(bitPattern: address) {
            dmms_platform_unmap(p, Int(bitPattern: size))
        }
    }

    /// The unit of memory from the OS: what map and unmap round sizes to.
    static let pageBytes: UInt = 4096

    /// One page, then `size` bytes (rounded up to pages) aligned to
    /// `alignment` (a power of two, any size): a region's memory, whose page
    /// below the blocks holds the region's sentinel. Mapped `alignment - page`
    /// bytes longer, which holds an aligned start wherever the OS puts it, and
    /// trimmed at both ends (only address space is reserved for the trimmed
    /// parts, and only for the length of this call). Returns the start of the
    /// page below, or nil when the OS refuses; unmap `pageBytes + size`.
    static func mapAligned(_ size: UInt, alignment: UInt) -> UInt? {
        let page = pageBytes
        let align = max(alignment, page)
        let length = page &+ alignUp(size, page)
        let reserved = length &+ (align &- page)
        guard length > page, reserved >= length, let raw = map(reserved) else { return nil }
        let start = alignUp(raw &+ page, align) &- page
        unmap(raw, start &- raw)
        unmap(start &+ length, raw &+ reserved &- (start &+ length))
        return start
    }

    // MARK: memory tools (memcheck, ASan: see platform.h)

    /// Whether this build can meet a tool at all (a constant: false on bare
    /// metal, so that the tools' paths compile out there).
    @inline(__always) static var toolsPossible: Bool { dmms_tools_possible() != 0 }
    /// Valgrind or AddressSanitizer is watching: asked once per pool (always
    /// false where toolsPossible is).
    static func toolsWatching() -> Bool { dmms_tools_watching() != 0 }
    /// A buffer began: its requested bytes are the program's.
    static func toolsAllocated(_ address: UInt, _ size: UInt) {
        dmms_tools_allocated(UnsafeMutableRawPointer(bitPattern: address), Int(bitPattern: size))
    }
    /// A buffer ended: its whole block is the pool's again.
    static func toolsFreed(_ address: UInt, blockBytes: UInt) {
        dmms_tools_freed(UnsafeMutableRawPointer(bitPattern: address), Int(bitPattern: blockBytes))
    }
    /// Memory only the pool may touch.
    static func toolsNoAccess(_ address: UInt, _ size: UInt) {
        dmms_tools_no_access(UnsafeMutableRawPointer(bitPattern: address), Int(bitPattern: size))
    }
    /// Memory the pool writes through libc within a call (see platform.h).
    static func toolsOpen(_ address: UInt, _ size: UInt) {
        dmms_tools_open(UnsafeMutableRawPointer(bitPattern: address), Int(bitPattern: size))
    }
    /// Memory back to the program (a pool destroyed).
    static func toolsReturned(_ address: UInt, _ size: UInt) {
        dmms_tools_returned(UnsafeMutableRawPointer(bitPattern: address), Int(bitPattern: size))
    }
    /// Memcheck's reports off for this thread while the library touches what
    /// it keeps, and on again (they nest).
    static func toolsHideErrors() { dmms_tools_hide_errors() }
    static func toolsShowErrors() { dmms_tools_show_errors() }

    /// The error handler and its argument, as one (nil: the default handler).
    static func errorHandler() -> (handler: dmms_error_fn?, argument: UnsafeMutableRawPointer?) {
        var argument: UnsafeMutableRawPointer? = nil
        let raw = dmms_platform_handler_get(&argument)
        return (unsafeBitCast(raw, to: dmms_error_fn?.self), argument)
    }

    /// Installs a handler and its argument together (under the registry lock:
    /// writers one at a time).
    static func setErrorHandler(_ handler: dmms_error_fn?, _ argument: UnsafeMutableRawPointer?) {
        globalLock()
        dmms_platform_handler_set(unsafeBitCast(handler, to: UnsafeMutableRawPointer?.self), argument)
        globalUnlock()
    }

    /// The length of a C string.
    static func length(of text: UnsafePointer<CChar>) -> Int { dmms_platform_strlen(text) }

    /// Whether there is an operating system (a constant: false on bare metal,
    /// where writeError writes nowhere and there are no files, no clock and
    /// no pending frees; see platform.h).
    @inline(__always) static var hosted: Bool { dmms_platform_hosted() != 0 }

    static func writeError(_ text: UnsafePointer<CChar>, _ length: Int) {
        dmms_platform_write_stderr(text, length)
    }

    /// A file to write: created or truncated, or appended to. -1 when refused.
    static func openFile(_ path: UnsafePointer<CChar>, append: Bool) -> Int32 {
        dmms_platform_open_file(path, append ? 1 : 0)
    }
    static func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ length: Int) {
        dmms_platform_write_fd(fd, bytes.assumingMemoryBound(to: CChar.self), length)
    }
    static func write(_ fd: Int32, _ text: UnsafePointer<CChar>) { dmms_platform_write_fd(fd, text, length(of: text)) }
    static func close(_ fd: Int32) { dmms_platform_close(fd) }
    static func atExit(_ body: @convention(c) () -> Void) { _ = dmms_platform_atexit(body) }

    /// The monotonic clock in nanoseconds; `coarse`: the cheap one, which
    /// moves in steps of `coarseClockStep`.
    @inline(__always) static func clock(coarse: Bool) -> UInt64 { dmms_platform_clock_ns(coarse ? 1 : 0) }
    static var coarseClockStep: UInt64 { dmms_platform_clock_step_ns() }
    static func processId() -> Int32 { dmms_platform_pid() }

    static func abort() -> Never {
        dmms_platform_abort()
        while true {}
    }

    static func atFork(prepare: @convention(c) () -> Void, parent: @convention(c) () -> Void,
                       child: @convention(c) () -> Void) {
        _ = dmms_platform_atfork(prepare, parent, child)
    }

    /// A forked child: its thread id is not its parent's.
    static func forgetThreadId() { dmms_platform_thread_id_reset() }

    static func environment(_ name: StaticString) -> UnsafePointer<CChar>? {
        name.withUTF8Buffer { buffer in
            dmms_platform_env(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self))
        }
    }
}
