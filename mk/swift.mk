# mk/swift.mk — the one place that knows how the Swift sources are compiled.
# Every build of the core (Sources/DMMS) compiles all of it in one swiftc
# invocation as module DMMS, against the C side in Sources/CDMMS, with these
# flags; Package.swift (swift test) mirrors CORE_SWIFT and defines
# DMMS_INTERNAL_CHECKS as the checked library does.

# Common to every build.
CORE_SWIFT  := -parse-as-library -swift-version 5 -I Sources/CDMMS -module-name DMMS

# The shipped libraries (libdmms.so, libdmms_preload.so): Embedded Swift — no
# runtime, no metadata, nothing but libc (Tests/library/check-library.sh checks it).
# Exclusivity is unchecked: other threads read the header without its lock
# (docs/reliability.md, D2).
EMBEDDED    := -enable-experimental-feature Embedded -wmo $(CORE_SWIFT) -O -g -enforce-exclusivity=unchecked \
               -Xfrontend -function-sections -Xfrontend -disable-stack-protector
LDSHARED    := -emit-library -use-ld=lld -Xlinker --gc-sections

# The bare-metal archives (mk/embedded.mk): the same, for size instead of
# speed; the compile sees only the freestanding headers of examples/baremetal/include.
# Without LLVM's machine outliner: at -Osize it turns runs of the hot path into
# calls of shared snippets (Cortex-M3: 848 instructions per alloc + free pair
# with it, 758 without), and it saves nothing in a firmware that only
# allocates and frees (25,260 bytes with it, 25,276 without); only the reports
# grow (+5 KB), and a firmware links them only if it calls them.
EMB_SWIFTFLAGS = $(filter-out -O -g,$(EMBEDDED)) -Osize -Xllvm -enable-machine-outliner=never -Xcc -I$(EMB_SRC)/include

# Line coverage (make coverage): ordinary Swift, instrumented.
COVERED     := $(CORE_SWIFT) -O -enforce-exclusivity=unchecked -profile-generate -profile-coverage-mapping

# The fuzzers and the TSan stress (mk/reliability.mk): ordinary Swift with the
# core's internal checks, compiled with a harness so the sanitizers instrument
# the core itself — which therefore must not poison its own memory for ASan
# (DMMS_CORE_SANITIZED: platform.h leaves the memory tools out).
SANITIZED   := $(CORE_SWIFT) -O -g -use-ld=lld -D DMMS_INTERNAL_CHECKS -Xcc -DDMMS_CORE_SANITIZED
