// Errors.swift — what went wrong, as the core records it: statuses, error
// records, and the pool's ring of recent errors.
//
// A call that finds an error records it in the pool's ring of recent errors
// (the JSON report shows the last 16). Before the call releases the lock it
// copies the records it made itself, and after it hands them to the handler
// (Registry/Lock.swift, Report/ErrorReport.swift): so a handler runs on the
// thread whose call found the error, with that error, outside the lock (it
// may call back into DMMS), and no other thread's errors can push it out of
// the ring first.

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

/// What an error is about: the subject its message starts with, set where
/// the error is found (the report never infers it from the status).
enum ErrorSubject: UInt8 {
    /// The call itself (its arguments, a handle): the detail says what.
    case call
    /// An allocation that cannot be met: its size and block size.
    case request
    /// A live buffer: its address, requested size and block size.
    case buffer
    /// An address given as a buffer that is none: the block it is in.
    case address
    /// Free memory: the free block's address and size.
    case freeBlock
    /// The pool's own records (counters, lists) for one block size, or its
    /// totals (block size 0).
    case pool
}

/// One error, with the fields of dmms_error_t.
struct ErrorRecord {
    var subject: ErrorSubject = .call
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
    /// A request the join budget stopped: the lazily free blocks below its
    /// size still to be joined.
    var unjoined: UInt64 = 0
    /// Another failure like one already reported (the same size in the same
    /// pool): the default handler does not print it; it is counted, kept in
    /// the ring, and handed to a program's handler.
    var repeated = false
    /// What exactly was wrong, when the status alone does not say: every
    /// error about a call, the pool, or damage (CORRUPT, BUSY) has one.
    var detail: StaticString? = nil

    init() {}

    init(_ subject: ErrorSubject, status: dmms_status_t, pointer: UInt = 0, requested: UInt64 = 0, blockSize: UInt64 = 0,
         offset: UInt64 = 0, detail: StaticString? = nil) {
        self.subject = subject
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

/// The pool's most recent errors, for the JSON report.
typealias ErrorRing = InlineArray<16, ErrorRecord>
/// The errors one call hands to the handler; dmms_check reports its problems
/// this many at a time. Another call that finds more (several damaged
/// structures at once) counts the rest in `undeliveredErrors`.
typealias CallErrors = InlineArray<4, ErrorRecord>

extension PoolState {
    static let errorRingSize = ErrorRing.count
    static let errorsPerCall = CallErrors.count

    /// Keeps an error for the report and for delivery once the lock is released.
    mutating func recordError(_ error: ErrorRecord) {
        recentErrors[at: Int(errorCount % UInt64(PoolState.errorRingSize))] = error
        errorCount &+= 1
    }

    @inline(__always) var abortsOnError: Bool { flags & UInt32(DMMS_F_ABORT_ON_ERROR) != 0 }
}
