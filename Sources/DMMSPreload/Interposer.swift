// Interposer.swift — the malloc family on the default pool (and its arenas:
// Arenas.swift), with glibc's
// answers for zero sizes, NULL pointers and bad alignments, and its errno
// (ENOMEM, EINVAL). Compiled only into libdmms_preload.so, together with the
// core; malloc.c forwards every call here with the caller's return address.
//
// Also: the call-site namer (dladdr), the fork handlers installed at start-up
// (before any pool), and the reports that DMMS_REPORT and DMMS_REPORT_JSON ask
// for at exit.

import CDMMS

@inline(__always)
private func site(_ caller: UnsafeRawPointer?) -> CallSite { CallSite(file: UInt(bitPattern: caller), line: -1) }

@inline(__always)
private func allocate(_ size: UInt, alignment: UInt, caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    guard let (pool, token) = Arenas.lockForThread() else {
        Platform.setErrno(noMemory: true)
        return nil
    }
    let pending = pool.pendingFrees
    let address = pool.withLockHeld(token) { state in
        state.freePending(pending)
        // The default config's copy (PlainModes), as dmms_pool_alloc takes it.
        return state.plain ? state.allocate(size: size, alignment: alignment, site: site(caller), modes: PlainModes.self)
            : state.allocate(size: size, alignment: alignment, site: site(caller))
    }
    if address == 0 { Platform.setErrno(noMemory: true) }
    return UnsafeMutableRawPointer(bitPattern: address)
}

@_cdecl("_dmms_interpose_malloc")
public func interposeMalloc(_ size: UInt, _ caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    allocate(size, alignment: 0, caller: caller)
}

@_cdecl("_dmms_interpose_calloc")
public func interposeCalloc(_ count: UInt, _ size: UInt, _ caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
    if overflow {
        Platform.setErrno(noMemory: true)
        return nil
    }
    let memory = allocate(bytes, alignment: 0, caller: caller)
    memory?.initializeMemory(as: UInt8.self, repeating: 0, count: Int(bytes))
    return memory
}

@_cdecl("_dmms_interpose_realloc")
public func interposeRealloc(_ memory: UnsafeMutableRawPointer?, _ size: UInt, _ caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    guard let memory = memory else { return allocate(size, alignment: 0, caller: caller) }
    if size == 0 {                      // glibc: realloc(p, 0) frees p and returns NULL
        interposeFree(memory)
        return nil
    }
    let address = UInt(bitPattern: memory)
    guard let pool = Arenas.pool(holding: address) else {
        reportUnattached(DMMSStatus.notOwned, pointer: address, detail: "realloc of a pointer in no pool")
        Platform.setErrno(noMemory: true)
        return nil
    }
    let moved = pool.reallocateBuffer(address, size: size, site: site(caller))
    if moved == 0 { Platform.setErrno(noMemory: true) }
    return UnsafeMutableRawPointer(bitPattern: moved)
}

@_cdecl("_dmms_interpose_reallocarray")
public func interposeReallocArray(_ memory: UnsafeMutableRawPointer?, _ count: UInt, _ size: UInt,
                                  _ caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
    if overflow {
        Platform.setErrno(noMemory: true)
        return nil
    }
    return interposeRealloc(memory, bytes, caller)
}

/// Which aligned entry point called (malloc.c passes the raw value).
enum AlignedKind: Int32 {
    case alignedAlloc = 0, memalign = 1, valloc = 2, pvalloc = 3
}

@_cdecl("_dmms_interpose_aligned")
public func interposeAligned(_ alignment: UInt, _ size: UInt, _ kind: Int32, _ caller: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    var alignment = alignment
    var size = size
    switch AlignedKind(rawValue: kind) {
    case .alignedAlloc, .memalign:      // glibc (2.36) rounds a bad alignment up for both
        if alignment > UInt.max / 2 {
            Platform.setErrno(noMemory: false)
            return nil
        }
        alignment = ceilPowerOfTwo(max(alignment, 1))   // glibc rounds a bad alignment up
    case .valloc:
        alignment = Platform.pageSize
    case .pvalloc:
        alignment = Platform.pageSize
        if size > UInt.max &- alignment {
            Platform.setErrno(noMemory: true)
            return nil
        }
        size = alignUp(max(size, 1), alignment)
    case nil:
        return nil
    }
    return allocate(size, alignment: alignment, caller: caller)
}

@_cdecl("_dmms_interpose_posix_memalign")
public func interposePosixMemalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ alignment: UInt, _ size: UInt,
                                   _ caller: UnsafeRawPointer?) -> Int32 {
    guard let out = out, isPowerOfTwo(alignment), alignment % UInt(MemoryLayout<UInt>.size) == 0 else {
        return Platform.invalidArgumentCode
    }
    guard let memory = allocate(size, alignment: alignment, caller: caller) else { return Platform.noMemoryCode }
    out.pointee = memory
    return 0
}

@_cdecl("_dmms_interpose_free")
public func interposeFree(_ memory: UnsafeMutableRawPointer?) {
    guard let memory = memory else { return }
    let address = UInt(bitPattern: memory)
    guard let pool = Arenas.pool(holding: address) else {
        reportUnattached(DMMSStatus.notOwned, pointer: address, detail: "free of a pointer in no pool")
        return
    }
    pool.freeFromMalloc(address, tryLockFirst: Arenas.isThreadArena(pool))
}

@_cdecl("_dmms_interpose_usable_size")
public func interposeUsableSize(_ memory: UnsafeMutableRawPointer?) -> UInt { cUsableSize(memory) }

// MARK: start-up: names of call sites, fork, reports at exit

@_cdecl("_dmms_interpose_start")
public func interposeStart() {
    siteNamer = nameCodeAddress
    defaultHandlerReportsNoMemory = false
    Registry.installForkHandlers()
    Platform.atExit(reportAtExit)
    _ = Registry.defaultPool()
}

/// "symbol+0x1c (libfoo.so.1)" or "libfoo.so.1+0x4f20" for a code address.
private func nameCodeAddress(_ address: UInt, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int {
    guard let buffer = buffer, let code = Platform.describeCode(address) else { return 0 }
    var line = TextLine()
    if let symbol = code.symbol {
        line.append(cString: symbol, limit: 120)
        line.append("+")
        line.appendHex(UInt64(address &- code.symbolAddress))
        line.append(" (")
        line.append(cString: baseName(code.object), limit: 60)
        line.append(")")
    } else {
        line.append(cString: baseName(code.object), limit: 60)
        line.append("+")
        line.appendHex(UInt64(address &- code.objectBase))
    }
    var written = 0
    line.withCString { text in
        while written < capacity &- 1 && text[written] != 0 {
            buffer[written] = text[written]
            written &+= 1
        }
        buffer[written] = 0
    }
    return written
}

private func baseName(_ path: UnsafePointer<CChar>?) -> UnsafePointer<CChar>? {
    guard var path = path else { return nil }
    var scan = path
    while scan.pointee != 0 {
        if scan.pointee == 47 { path = scan + 1 }   // '/'
        scan += 1
    }
    return path
}

/// DMMS_REPORT (stderr or a path): dmms_show level 1 and the leak report of
/// every arena. DMMS_REPORT_JSON (a path): the JSON snapshot of the default
/// pool; other arenas, if any, as documents of the same shape in "arenas".
private func reportAtExit() {
    guard Registry.defaultPool() != nil else { return }
    if let target = Platform.environment("DMMS_REPORT") {
        withReportFile(target, variable: "DMMS_REPORT") { out, arg in
            Arenas.forEach { pool in
                pool.locked { $0.reportOverrunsOfLiveBuffers() }   // so the figures shown count them
                Show.show(pool, level: 1, out: out, arg: arg)
                _ = Leaks.report(pool, since: 0, out: out, arg: arg)
            }
        }
    }
    if let target = Platform.environment("DMMS_REPORT_JSON") {
        withReportFile(target, variable: "DMMS_REPORT_JSON") { out, arg in
            var line = TextLine("{")
            var count = 0
            Arenas.forEach { pool in
                if count == 1 { line.append(", \"arenas\": [") }
                if count > 1 { line.append(",") }
                if count > 0 { line.append("{") }
                JSONReport.writeMembers(pool, &line, out, arg)
                if count > 0 { line.append("}") }
                count &+= 1
            }
            if count > 1 { line.append("]") }
            line.append("}")
            line.emit(out, arg)
        }
    }
}

private func withReportFile(_ target: UnsafePointer<CChar>, variable: StaticString,
                            _ body: (dmms_output_fn?, UnsafeMutableRawPointer?) -> Void) {
    if Settings.matches(target, "stderr") {
        body(nil, nil)
        return
    }
    let fd = Platform.openFile(target, append: false)
    if fd < 0 {
        Settings.complain(variable, target, "cannot be written; no report")
        return
    }
    body(writeToDescriptor, UnsafeMutableRawPointer(bitPattern: UInt(fd)))
    Platform.close(fd)
}

private func writeToDescriptor(_ text: UnsafePointer<CChar>?, _ arg: UnsafeMutableRawPointer?) {
    if let text = text { Platform.write(Int32(truncatingIfNeeded: Int(bitPattern: arg)), text) }
}
