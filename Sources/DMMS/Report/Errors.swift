// Errors.swift — recording errors under the pool lock, reporting them after.
//
// A call that finds an error records it in the pool's ring of recent errors
// (the JSON report shows the last 16). Before the call releases the lock it
// copies the records it made itself, and after it hands them to the handler:
// so a handler runs on the thread whose call found the error, with that error,
// outside the lock (it may call back into DMMS), and no other thread's errors
// can push it out of the ring first.

import CDMMS

enum DMMSStatus {
    static let ok = dmms_status_t(DMMS_OK)
    static let invalidArgument = dmms_status_t(DMMS_E_INVALID_ARG)
    static let noMemory = dmms_status_t(DMMS_E_NO_MEMORY)
    static let notOwned = dmms_status_t(DMMS_E_NOT_OWNED)
    static let notBlock = dmms_status_t(DMMS_E_NOT_BLOCK)
    static let doubleFree = dmms_status_t(DMMS_E_DOUBLE_FREE)
    static let overrun = dmms_status_t(DMMS_E_OVERRUN)
    static let corrupt = dmms_status_t(DMMS_E_CORRUPT)
    static let writeAfterFree = dmms_status_t(DMMS_E_WRITE_AFTER_FREE)
    static let busy = dmms_status_t(DMMS_E_BUSY)

    static func name(_ status: dmms_status_t) -> StaticString {
        switch status {
        case ok: return "DMMS_OK"
        case invalidArgument: return "DMMS_E_INVALID_ARG"
        case noMemory: return "DMMS_E_NO_MEMORY"
        case notOwned: return "DMMS_E_NOT_OWNED"
        case notBlock: return "DMMS_E_NOT_BLOCK"
        case doubleFree: return "DMMS_E_DOUBLE_FREE"
        case overrun: return "DMMS_E_OVERRUN"
        case corrupt: return "DMMS_E_CORRUPT"
        case writeAfterFree: return "DMMS_E_WRITE_AFTER_FREE"
        case busy: return "DMMS_E_BUSY"
        default: return "DMMS_E_UNKNOWN"
        }
    }
}

/// One error, with the fields of dmms_error_t.
struct ErrorRecord {
    var status: dmms_status_t = 0
    var pointer: UInt = 0
    var requested: UInt64 = 0
    var blockSize: UInt64 = 0
    var offset: UInt64 = 0
    var hasOwner: Bool = false
    var owner: UInt64 = 0
    var file: UInt = 0
    var line: Int32 = 0
    var sequence: UInt64 = 0
    var caller: UInt64 = 0
    /// What exactly was wrong, when the status alone does not say.
    var detail: StaticString? = nil

    init() {}

    init(status: dmms_status_t, pointer: UInt, requested: UInt64 = 0, blockSize: UInt64 = 0, offset: UInt64 = 0,
         detail: StaticString? = nil) {
        self.detail = detail
        self.status = status
        self.pointer = pointer
        self.requested = requested
        self.blockSize = blockSize
        self.offset = offset
        self.caller = Platform.taskId()
    }

    mutating func setOwner(_ entry: OwnerEntry, sequence: UInt64) {
        hasOwner = true
        owner = entry.task
        file = entry.site
        line = entry.line
        self.sequence = sequence
    }
}

/// Whether the default handler reports failed requests. The preloaded malloc
/// turns it off: a program that gets NULL from malloc handles it, as with glibc.
nonisolated(unsafe) var defaultHandlerReportsNoMemory = true

extension PoolState {
    static let errorRingSize = 16
    /// The most errors one call hands to the handler; dmms_check reports its
    /// problems this many at a time. Another call that finds more (several
    /// damaged structures at once) counts the rest in `undeliveredErrors`.
    static let errorsPerCall = 4

    /// Keeps an error for the report and for delivery once the lock is released.
    mutating func recordError(_ error: ErrorRecord) {
        recentErrors[at: Int(errorCount % UInt64(PoolState.errorRingSize))] = error
        errorCount &+= 1
    }

    @inline(__always) var abortsOnError: Bool { flags & UInt32(DMMS_F_ABORT_ON_ERROR) != 0 }
}

enum ErrorReport {
    /// Formats the one-line message and calls the handler. `poolName` may be nil.
    /// With `abort` (DMMS_F_ABORT_ON_ERROR, DMMS_ABORT=1) a misuse ends the
    /// process once its line is on stderr — even when a handler of the
    /// program's took it, the reason is never lost. Out of memory is an
    /// answer (NULL, ENOMEM), not a misuse: it never aborts.
    static func deliver(_ error: ErrorRecord, poolName: UnsafePointer<CChar>?, abort: Bool) {
        let aborting = abort && error.status != DMMSStatus.noMemory
        // One buffer: "dmms: " for stderr, the message the handler sees after it.
        var line = TextLine("dmms: ")
        line.append(DMMSStatus.name(error.status))
        if let name = poolName {
            line.append(" in pool '")
            line.append(cString: name)
            line.append("'")
        }
        line.append(": ")
        describe(error, into: &line)
        line.withCString { text in
            let message = text + 6
            var report = dmms_error_t()
            report.status = error.status
            report.pool_name = poolName
            report.ptr = UnsafeRawPointer(bitPattern: error.pointer)
            report.requested = error.requested
            report.block_size = error.blockSize
            report.offset = error.offset
            report.owner = error.owner
            report.file = UnsafePointer<CChar>(bitPattern: error.line >= 0 ? error.file : 0)
            report.line = error.line
            report.caller = error.caller
            report.message = message
            let installed = Platform.errorHandler()
            if let handler = installed.handler { handler(&report, installed.argument) }
            let defaultPrints = installed.handler == nil && (error.status != DMMSStatus.noMemory || defaultHandlerReportsNoMemory)
            if defaultPrints || aborting {
                Platform.writeError(text, dmms_platform_strlen(text))
                Platform.writeError(newline, 1)
            }
        }
        if aborting { Platform.abort() }
    }

    static func describe(_ error: ErrorRecord, into line: inout TextLine) {
        // Errors about a call rather than a buffer or a request (bad
        // arguments, memory a pool could not take) say what was wrong.
        let aboutTheCall = error.status == DMMSStatus.invalidArgument
            || (error.status == DMMSStatus.noMemory ? error.detail != nil : error.pointer == 0)
        if aboutTheCall {
            if let detail = error.detail { line.append(detail) } else { line.append("invalid argument") }
            if error.pointer != 0 {
                line.append(" (")
                line.appendHex(UInt64(error.pointer))
                line.append(")")
            }
            line.append("; found by task ")
            line.append(error.caller)
            return
        }
        if error.status == DMMSStatus.noMemory {
            line.append("request for ")
            line.append(error.requested)
            line.append(" bytes")
            if error.blockSize != 0 {
                line.append(" (a block of ")
                line.append(error.blockSize)
                line.append(")")
            }
            line.append(" cannot be met; found by task ")
            line.append(error.caller)
            return
        }
        line.append(error.status == DMMSStatus.writeAfterFree ? "free block " : "buffer ")
        line.appendHex(UInt64(error.pointer))
        if error.status == DMMSStatus.writeAfterFree {
            line.append(" (")
            line.append(error.blockSize)
            line.append(" bytes)")
        } else if error.status == DMMSStatus.doubleFree || error.status == DMMSStatus.notBlock
                    || (error.status == DMMSStatus.corrupt && error.detail != nil) {
            // Not a live buffer's own record (a CORRUPT with a detail is about
            // damaged free memory, quarantined memory or an owner's count):
            // the block the address is in.
            if error.blockSize != 0 {
                line.append(" (in a block of ")
                line.append(error.blockSize)
                line.append(")")
            }
        } else if error.blockSize != 0 {
            line.append(" (requested ")
            line.append(error.requested)
            line.append(", block ")
            line.append(error.blockSize)
            line.append(")")
        } else if error.requested != 0 {
            line.append(" (requested ")
            line.append(error.requested)
            line.append(")")
        }
        switch error.status {
        case DMMSStatus.overrun:
            line.append(" written past its end: first damaged byte at offset ")
            line.append(error.offset)
            if let detail = error.detail {
                line.append(" (")
                line.append(detail)
                line.append(")")
            }
        case DMMSStatus.writeAfterFree:
            line.append(" written after free: first damaged byte at offset ")
            line.append(error.offset)
        case DMMSStatus.corrupt:
            if let detail = error.detail {
                line.append(": ")
                line.append(detail)
            } else {
                line.append(" has a damaged owner record: quarantined")
            }
        case DMMSStatus.doubleFree: line.append(" is already free")
        case DMMSStatus.notBlock: line.append(" is not the start of a buffer")
        case DMMSStatus.notOwned: line.append(" is not in the pool")
        case DMMSStatus.busy:
            if let detail = error.detail {
                line.append(" ")
                line.append(detail)
            } else {
                line.append(" is still live: pool not destroyed")
            }
        default: break
        }
        if error.hasOwner {
            line.append("; allocated by task ")
            line.append(error.owner)
            appendSite(error.file, error.line, into: &line)
            line.append(" (seq ")
            line.append(error.sequence)
            line.append(")")
        }
        line.append("; found by task ")
        line.append(error.caller)
    }

    /// " at file:line", " at 0xADDR" for a code address, or nothing.
    static func appendSite(_ site: UInt, _ lineNumber: Int32, into line: inout TextLine) {
        if site == 0 { return }
        line.append(" at ")
        if lineNumber < 0 {
            SiteNames.append(codeAddress: site, into: &line)
        } else {
            line.append(cString: UnsafePointer<CChar>(bitPattern: site))
            line.append(":")
            line.append(Int(lineNumber))
        }
    }
}

private var newline: UnsafePointer<CChar> {
    UnsafeRawPointer(("\n" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Names of code addresses (call sites recorded by the preloaded malloc).
/// The preload layer installs a symboliser; without one, the address.
nonisolated(unsafe) var siteNamer: (@convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Int)? = nil

enum SiteNames {
    static func append(codeAddress: UInt, into line: inout TextLine) {
        if let namer = siteNamer {
            var buffer = InlineArray<200, CChar>(repeating: 0)
            let written = withUnsafeMutablePointer(to: &buffer) { p in
                namer(codeAddress, UnsafeMutableRawPointer(p).assumingMemoryBound(to: CChar.self), 200)
            }
            if written > 0 {
                withUnsafePointer(to: &buffer) { p in
                    line.append(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
                }
                return
            }
        }
        line.appendHex(UInt64(codeAddress))
    }
}
