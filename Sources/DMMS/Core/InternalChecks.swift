// InternalChecks.swift — the core's assertions about its own invariants.
//
// Compiled in only with -D DMMS_INTERNAL_CHECKS: the model test (a checked
// build of libdmms.so), the fuzzers, the ThreadSanitizer stress and `swift
// test` build with it; the shipped libraries compile every check away, so a
// check may cost what it likes. A failed check is a bug of DMMS, never of the
// program: it says which invariant broke and aborts.

#if DMMS_INTERNAL_CHECKS
let internalChecksEnabled = true
#else
let internalChecksEnabled = false
#endif

/// Aborts with `invariant` when `condition` is false, in checked builds only.
@inline(__always)
func internalCheck(_ condition: @autoclosure () -> Bool, _ invariant: StaticString) {
    if internalChecksEnabled && !condition() { internalCheckFailed(invariant) }
}

@inline(never)
func internalCheckFailed(_ invariant: StaticString) -> Never {
    let prefix: StaticString = "dmms: internal check failed: "
    Platform.writeError(UnsafeRawPointer(prefix.utf8Start).assumingMemoryBound(to: CChar.self), prefix.utf8CodeUnitCount)
    Platform.writeError(UnsafeRawPointer(invariant.utf8Start).assumingMemoryBound(to: CChar.self), invariant.utf8CodeUnitCount)
    let newline: StaticString = "\n"
    Platform.writeError(UnsafeRawPointer(newline.utf8Start).assumingMemoryBound(to: CChar.self), 1)
    Platform.abort()
}
