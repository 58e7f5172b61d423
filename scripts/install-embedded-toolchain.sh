#!/usr/bin/env bash
# install-embedded-toolchain.sh — what `make test-embedded` needs beyond Swift:
# the Arm and RISC-V bare-metal compilers (with newlib for Arm) and QEMU.
# Installs the missing Debian packages with apt-get (as root); `apt-get update`
# runs once, first. Exit status: 0 all present, 1 an install failed, 2 missing
# and not installable here (not root, or no apt-get): the caller skips.
set -u

# command : package that provides it
needs=(
    "arm-none-eabi-gcc:gcc-arm-none-eabi"
    "/usr/lib/arm-none-eabi/lib/thumb/v7-m/nofp/libc_nano.a:libnewlib-arm-none-eabi"
    "qemu-system-arm:qemu-system-arm"
    "riscv64-unknown-elf-gcc:gcc-riscv64-unknown-elf"
    "qemu-system-riscv32:qemu-system-misc"
)

missing=()
for need in "${needs[@]}"; do
    thing=${need%%:*}
    package=${need#*:}
    if [[ $thing == /* ]]; then [[ -e $thing ]] && continue; else command -v "$thing" >/dev/null && continue; fi
    missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "install-embedded-toolchain: missing ${missing[*]}; run as root on Debian to install" >&2
    exit 2
fi

echo "install-embedded-toolchain: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run instead of failing on its lock.
apt=(apt-get -q -o DPkg::Lock::Timeout=600)
if ! "${apt[@]}" update >/dev/null; then
    echo "install-embedded-toolchain: apt-get update failed" >&2
    exit 1
fi
if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "install-embedded-toolchain: apt-get install ${missing[*]} failed" >&2
    exit 1
fi
exit 0
