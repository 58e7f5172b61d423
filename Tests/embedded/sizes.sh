#!/usr/bin/env bash
# sizes.sh BUILD_DIR — the table of `make embedded-size`: for each board, what
# DMMS adds to a firmware (Tests/embedded/sizes.c) that keeps a 16 KiB pool —
# flash (text: code and read-only data) and DMMS's own RAM (data + bss) over the
# image that calls nothing of DMMS — and the bytes of blocks the pool gives, by
# config (run under QEMU). Markdown, for PORTING.md and the README.
set -euo pipefail
build=$1
semihosting=(-nographic -monitor none -serial none -semihosting-config enable=on,target=native)
boards=(
    "cortex-m3|armv7m (Cortex-M3)|arm-none-eabi-size|qemu-system-arm -M mps2-an385 -cpu cortex-m3"
    "cortex-m4|armv7em (Cortex-M4)|arm-none-eabi-size|qemu-system-arm -M mps2-an386 -cpu cortex-m4"
    "riscv32|riscv32 (RV32IMAC)|riscv64-unknown-elf-size|qemu-system-riscv32 -M virt -bios none"
)
pool_arrays=$((2 * 16384))   # the two pools' memory, the program's own
sizes() { "$1" "$2" | awk 'NR == 2 { print $1, $2 + $3 }'; }   # text, data+bss
echo "| target | the firmware calls | flash | RAM (DMMS's own) | blocks of a 16 KiB pool: defaults / no lock, guard or owners |"
echo "|---|---|---:|---:|---:|"
for entry in "${boards[@]}"; do
    IFS='|' read -r board label size_tool qemu <<<"$entry"
    read -r text0 ram0 < <(sizes "$size_tool" "$build/$board/sizes-0.elf")
    for use in 1 2; do
        image=$build/$board/sizes-$use.elf
        read -r text ram < <(sizes "$size_tool" "$image")
        log=$build/$board/sizes-$use.log
        timeout 60 $qemu "${semihosting[@]}" -kernel "$image" </dev/null >"$log" 2>&1 \
            || { echo "sizes: $image failed under QEMU (log: $log)" >&2; exit 1; }
        defaults=$(sed -n 's/^blocks defaults //p' "$log")
        core=$(sed -n 's/^blocks core //p' "$log")
        [ -n "$defaults" ] && [ -n "$core" ] || { echo "sizes: $image printed no block counts (log: $log)" >&2; exit 1; }
        calls=$([ $use = 1 ] && echo "create, alloc, free, stats" || echo "the same and the reports (show, JSON, leaks, walk, check)")
        printf '| %s | %s | %d | %d | %d / %d |\n' "$label" "$calls" $((text - text0)) $((ram - ram0 - pool_arrays)) "$defaults" "$core"
    done
done
