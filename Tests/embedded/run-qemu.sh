#!/usr/bin/env bash
# run-qemu.sh BUILD_DIR — runs each self-test image under QEMU with semihosting
# (output on stdout, the image's exit code as QEMU's) and -icount shift=0, so
# the instruction counts it prints are exact. A hang is a failure (timeout).
set -u
build=$1
semihosting=(-nographic -monitor none -serial none -semihosting-config enable=on,target=native -icount shift=0)
runs=(
    "cortex-m3|qemu-system-arm -M mps2-an385 -cpu cortex-m3|$build/cortex-m3/selftest.elf"
    "cortex-m4|qemu-system-arm -M mps2-an386 -cpu cortex-m4|$build/cortex-m4/selftest.elf"
    "riscv32|qemu-system-riscv32 -M virt -bios none|$build/riscv32/selftest.elf"
)
passed=0 failed=0
for run in "${runs[@]}"; do
    IFS='|' read -r name qemu image <<<"$run"
    log=$build/$name/selftest.log
    echo "== $name: $qemu -kernel $image"
    start=$SECONDS
    timeout 120 $qemu "${semihosting[@]}" -kernel "$image" </dev/null >"$log" 2>&1
    code=$?
    if [[ $name == cortex-m3 ]]; then cat "$log"; else grep -E '^selftest:|FAIL|\*\*\*|^  (warm|cold):' "$log"; fi
    if [[ $code -eq 0 ]] && grep -q '^selftest: [0-9]* passed, 0 failed$' "$log"; then
        echo "== $name: passed in $((SECONDS - start)) s"
        passed=$((passed + 1))
    else
        [[ $code -eq 124 ]] && echo "== $name: timed out" || echo "== $name: FAILED (exit $code), log in $log"
        failed=$((failed + 1))
    fi
done
echo "test-embedded: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
