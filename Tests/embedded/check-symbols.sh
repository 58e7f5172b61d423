#!/usr/bin/env bash
# check-symbols.sh NM LIB... — each bare-metal libdmms.a asks the outside
# world only for the C library (memset, memcpy, memmove, ...) and the
# compiler's runtime helpers (64-bit division and shifts on a 32-bit core:
# libgcc or compiler-rt, linked implicitly by every C compiler), and exports
# dmms_* only. No malloc, free or posix_memalign; no swift_* runtime.
set -u
nm=$1
shift

libc='^(memset|memcpy|memmove|memcmp|strlen|strncmp|__aeabi_mem(set|clr|cpy|move)[48]?)$'
helpers='^(__aeabi_(uldivmod|ldivmod|uidiv|uidivmod|idiv|idivmod|llsl|llsr|lasr|lmul)|__(u?div|u?mod|ashl|ashr|lshr|mul)[sd]i3|__(clz|ctz|popcount)[sd]i2)$'

status=0
for lib in "$@"; do
    undefined=$("$nm" -u "$lib" | awk '$1 == "U" { print $2 }' | sort -u)
    exported=$("$nm" -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
    bad=$(grep -Ev "$libc|$helpers" <<<"$undefined" | grep -v '^$')
    strays=$(grep -v '^dmms_' <<<"$exported" | grep -v '^$')
    if [[ -n $bad || -n $strays || -z $exported ]]; then
        echo "FAIL $lib"
        [[ -n $bad ]] && echo "  undefined outside the C library: $(echo $bad)"
        [[ -n $strays ]] && echo "  exported besides dmms_*: $(echo $strays)"
        [[ -z $exported ]] && echo "  exports nothing"
        status=1
    else
        echo "ok   $lib: $(wc -l <<<"$exported") dmms_* functions; needs $(echo $undefined)"
    fi
done
exit $status
