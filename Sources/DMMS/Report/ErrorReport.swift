// ErrorReport.swift — an error record as a message: formatted, handed to
// the program's handler (or written to stderr), after the pool's lock is
// released (see Core/Errors.swift).

import CDMMS

/// Whether the default handler reports failed requests. The preloaded malloc
/// turns it off: a program that gets NULL from malloc handles it, as with glibc.
nonisolated(unsafe) var defaultHandlerReportsNoMemory = true

/// What hands an error to the handler with its message (ErrorReport.send),
/// once something can read the message: from the start where the default
/// handler writes to stderr, else from the first dmms_set_error_handler. So
/// the only references to the message and its text are a branch that is dead
/// on bare metal and the handler's installation: a firmware that installs no
/// handler (its default handler is silent) links no text at all. A C function
/// pointer: a constant nil until set, with no Swift context to keep.
typealias Messenger = @convention(c) (UnsafeRawPointer, UnsafePointer<CChar>?, Bool) -> Void
nonisolated(unsafe) var installedMessenger: Messenger? = nil

enum ErrorReport {
    /// Hands an error to the handler (`poolName` may be nil). With `abort`
    /// (DMMS_F_ABORT_ON_ERROR, DMMS_ABORT=1) a misuse ends the process once
    /// its line is on stderr — even when a handler of the program's took it,
    /// the reason is never lost. Out of memory is an answer (NULL, ENOMEM),
    /// not a misuse: it never aborts.
    static func deliver(_ error: ErrorRecord, poolName: UnsafePointer<CChar>?, abort: Bool) {
        let aborting = abort && error.status != DMMSStatus.noMemory
        if let send = Platform.hosted ? ErrorReport.messenger : installedMessenger {
            withUnsafePointer(to: error) { send(UnsafeRawPointer($0), poolName, aborting) }
        }
        if aborting { Platform.abort() }
    }

    /// send, as a Messenger.
    static let messenger: Messenger = { error, poolName, aborting in
        send(error.load(as: ErrorRecord.self), poolName: poolName, aborting: aborting)
    }

    /// Formats the one-line message, calls the handler, and writes the line
    /// to stderr where the default handler would or the pool aborts.
    static func send(_ error: ErrorRecord, poolName: UnsafePointer<CChar>?, aborting: Bool) {
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
            let defaultPrints = installed.handler == nil && !error.repeated
                && (error.status != DMMSStatus.noMemory || defaultHandlerReportsNoMemory)
            if defaultPrints || aborting {
                Platform.writeError(text, Platform.length(of: text))
                Platform.writeError(newline, 1)
            }
        }
    }

    /// The message after "STATUS in pool 'name': ": the error's subject,
    /// what is wrong with it, its owner, and the task that found it.
    static func describe(_ error: ErrorRecord, into line: inout TextLine) {
        switch error.subject {
        case .call:
            line.append(error.detail ?? "invalid argument")
            if error.pointer != 0 {
                line.append(" (")
                line.appendHex(UInt64(error.pointer))
                line.append(")")
            }
        case .request:
            line.append("request for ")
            line.append(error.requested)
            line.append(" bytes")
            appendBlock(" (a block of ", error.blockSize, into: &line)
            line.append(" cannot be met")
            if let detail = error.detail {
                line.append(": ")
                line.append(detail)
            }
            if error.unjoined > 0 {
                line.append("; ")
                line.append(error.unjoined)
                line.append(" lazily free blocks below this size remain to be joined")
            }
        case .buffer:
            line.append("buffer ")
            line.appendHex(UInt64(error.pointer))
            if error.blockSize != 0 {
                line.append(" (requested ")
                line.append(error.requested)
                line.append(", block ")
                line.append(error.blockSize)
                line.append(")")
            }
            appendWhatIsWrong(error, into: &line)
        case .address:
            line.append("address ")
            line.appendHex(UInt64(error.pointer))
            appendBlock(" (in a block of ", error.blockSize, into: &line)
            appendWhatIsWrong(error, into: &line)
        case .freeBlock:
            line.append("free block ")
            line.appendHex(UInt64(error.pointer))
            appendBlock(" (", error.blockSize, into: &line, unit: " bytes)")
            appendWhatIsWrong(error, into: &line)
        case .pool:
            line.append("the pool")
            appendBlock(", blocks of ", error.blockSize, into: &line, unit: " bytes")
            appendWhatIsWrong(error, into: &line)
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

    /// `prefix`, the block size, `unit` — or nothing when the size is unknown (0).
    private static func appendBlock(_ prefix: StaticString, _ size: UInt64, into line: inout TextLine, unit: StaticString = ")") {
        if size == 0 { return }
        line.append(prefix)
        line.append(size)
        line.append(unit)
    }

    /// What the status says of the subject, with the record's detail.
    private static func appendWhatIsWrong(_ error: ErrorRecord, into line: inout TextLine) {
        switch error.status {
        case DMMSStatus.overrun where Int64(bitPattern: error.offset) < 0:
            line.append(" written before its start: first damaged byte at offset -")
            line.append(0 &- error.offset)
        case DMMSStatus.overrun:
            line.append(" written past its end: first damaged byte at offset ")
            line.append(error.offset)
        case DMMSStatus.writeAfterFree:
            line.append(" written after free: first damaged byte at offset ")
            line.append(error.offset)
        case DMMSStatus.doubleFree: line.append(" is already free")
        case DMMSStatus.notBlock: line.append(" is not the start of a buffer")
        case DMMSStatus.notOwned: line.append(" is not in the pool")
        default: break
        }
        if let detail = error.detail {
            line.append(error.status == DMMSStatus.overrun ? " (" : ": ")
            line.append(detail)
            if error.status == DMMSStatus.overrun { line.append(")") }
        }
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
