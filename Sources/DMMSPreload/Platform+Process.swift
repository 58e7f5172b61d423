// Platform+Process.swift — what the malloc replacement needs from the OS
// beyond what the core uses (CPreload/preload.h, called from here only):
// errno, the page size, a thread's arena, and the names of code addresses.
// Linux only, like libdmms_preload.so itself.

import CDMMS
import CDMMSPreload

extension Platform {
    static func setErrno(noMemory: Bool) {
        dmms_preload_set_errno(noMemory ? dmms_preload_errno_nomem() : dmms_preload_errno_inval())
    }
    static var invalidArgumentCode: Int32 { dmms_preload_errno_inval() }
    static var noMemoryCode: Int32 { dmms_preload_errno_nomem() }
    static var pageSize: UInt { UInt(dmms_preload_page_size()) }

    /// The calling thread's slot for its arena (thread-local).
    static var threadArenaSlot: UnsafeMutableRawPointer? {
        get { dmms_preload_arena_slot().pointee }
        set { dmms_preload_arena_slot().pointee = newValue }
    }

    /// The symbol and object holding a code address (dladdr), if known.
    static func describeCode(_ address: UInt) -> (symbol: UnsafePointer<CChar>?, symbolAddress: UInt,
                                                   object: UnsafePointer<CChar>?, objectBase: UInt)? {
        var symbol: UnsafePointer<CChar>? = nil
        var symbolAddress: UnsafeRawPointer? = nil
        var object: UnsafePointer<CChar>? = nil
        var objectBase: UnsafeRawPointer? = nil
        guard let code = UnsafeRawPointer(bitPattern: address),
              dmms_preload_describe_code(code, &symbol, &symbolAddress, &object, &objectBase) != 0 else { return nil }
        return (symbol, UInt(bitPattern: symbolAddress), object, UInt(bitPattern: objectBase))
    }
}
