// Platform+Process.swift — what the malloc replacement needs from the OS
// beyond what the core uses: errno, fork and exit hooks, report files, and
// the names of code addresses. Linux only, like libdmms_preload.so itself.

import CDMMS

extension Platform {
    static func setErrno(noMemory: Bool) {
        dmms_platform_set_errno(noMemory ? dmms_platform_errno_nomem() : dmms_platform_errno_inval())
    }
    static var invalidArgumentCode: Int32 { dmms_platform_errno_inval() }
    static var noMemoryCode: Int32 { dmms_platform_errno_nomem() }
    static var pageSize: UInt { UInt(dmms_platform_page_size()) }

    static func atExit(_ body: @convention(c) () -> Void) { _ = dmms_platform_atexit(body) }

    static func createFile(_ path: UnsafePointer<CChar>) -> Int32 { dmms_platform_create_file(path) }
    static func write(_ fd: Int32, _ text: UnsafePointer<CChar>) {
        dmms_platform_write_fd(fd, text, dmms_platform_strlen(text))
    }
    static func close(_ fd: Int32) { dmms_platform_close(fd) }

    /// The symbol and object holding a code address (dladdr), if known.
    static func describeCode(_ address: UInt) -> (symbol: UnsafePointer<CChar>?, symbolAddress: UInt,
                                                   object: UnsafePointer<CChar>?, objectBase: UInt)? {
        var symbol: UnsafePointer<CChar>? = nil
        var symbolAddress: UnsafeRawPointer? = nil
        var object: UnsafePointer<CChar>? = nil
        var objectBase: UnsafeRawPointer? = nil
        guard let code = UnsafeRawPointer(bitPattern: address),
              dmms_platform_describe_code(code, &symbol, &symbolAddress, &object, &objectBase) != 0 else { return nil }
        return (symbol, UInt(bitPattern: symbolAddress), object, UInt(bitPattern: objectBase))
    }
}
