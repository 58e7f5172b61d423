# mk/embedded.mk — DMMS on microcontrollers, included by the Makefile.
#
#   make embedded        build/embedded/<target>/libdmms.a, with nothing but the
#                        Swift toolchain: the same Swift sources, Embedded mode, -Osize
#   make test-embedded   the libraries, their symbol check, and the self-test
#                        images under QEMU (Cortex-M3, Cortex-M4, RV32); the cross
#                        compilers and QEMU come from `make deps`
#   make embedded-size   text/data/bss of each library, and what DMMS costs a firmware
#                        with a 16 KiB pool, by target and by what it calls (flash,
#                        RAM, blocks): PORTING.md's tables
#
# Targets: armv7em (Cortex-M4/M7, soft-float ABI), armv7m (Cortex-M3: the
# armv7em Swift module compiled for -mcpu=cortex-m3, no DSP instructions) and
# riscv32 (RV32IMAC, ilp32).

EMB_BUILD    := $(BUILD)/embedded
EMB_SRC      := examples/baremetal
EMB_TARGETS  := armv7em-none-none-eabi armv7m-none-none-eabi riscv32-none-none-eabi
EMB_LIBS     := $(foreach t,$(EMB_TARGETS),$(EMB_BUILD)/$(t)/libdmms.a)

emb_target_armv7em-none-none-eabi := -target armv7em-none-none-eabi
emb_target_armv7m-none-none-eabi  := -target armv7em-none-none-eabi -Xcc -mcpu=cortex-m3 -Xcc -mfloat-abi=soft
emb_target_riscv32-none-none-eabi := -target riscv32-none-none-eabi


# LLVM tools of the Swift toolchain (lld can garbage-collect a relocatable link).
EMB_TOOLS    := $(dir $(realpath $(shell command -v $(SWIFTC))))
EMB_LLD      := $(EMB_TOOLS)ld.lld
EMB_NM       := $(EMB_TOOLS)llvm-nm
EMB_AR       := $(EMB_TOOLS)llvm-ar
EMB_OBJCOPY  := $(EMB_TOOLS)llvm-objcopy

.PHONY: embedded test-embedded embedded-size embedded-images

embedded: $(EMB_LIBS)

# One object per library: every dmms_* function is a root, everything they do
# not reach is dropped (the Embedded runtime's swift_* functions, which call
# malloc and free), and every other symbol is made local, so the archive
# exports dmms_* only and asks the C library for memset/memcpy/memmove alone.
$(EMB_BUILD)/%/libdmms.a: $(SOURCES) $(HEADERS) $(EMB_SRC)/include/string.h mk/embedded.mk mk/swift.mk
	@mkdir -p $(@D)
	$(SWIFTC) $(emb_target_$*) $(EMB_SWIFTFLAGS) -c $(SOURCES) -o $(@D)/dmms-whole.o
	$(EMB_LLD) -r --gc-sections \
	    $$($(EMB_NM) --defined-only $(@D)/dmms-whole.o | awk '$$2 == "T" && $$3 ~ /^dmms_/ { printf " -u %s", $$3 }') \
	    $(@D)/dmms-whole.o -o $(@D)/dmms.o
	$(EMB_OBJCOPY) --wildcard --keep-global-symbol='dmms_*' $(@D)/dmms.o
	rm -f $(@D)/dmms-whole.o $@
	$(EMB_AR) rcs $@ $(@D)/dmms.o

# The firmware of the size table (Tests/embedded/sizes.c): USE 0 (no DMMS), 1
# (create, alloc, free, stats), 2 (and the reports), for each board.
EMB_SIZE_USES   := 0 1 2
EMB_SIZE_IMAGES := $(foreach b,cortex-m3 cortex-m4 riscv32,$(foreach u,$(EMB_SIZE_USES),$(EMB_BUILD)/$(b)/sizes-$(u).elf))

embedded-size: $(EMB_LIBS) $(EMB_SIZE_IMAGES)
	@size $(EMB_LIBS)
	bash Tests/embedded/sizes.sh $(EMB_BUILD)

# ---- self-test firmware ------------------------------------------------------
EMB_FW_SRC  := Tests/embedded/selftest.c $(EMB_SRC)/board.h $(EMB_SRC)/semihosting.h include/dmms.h
EMB_FW_C    := -Os -g -std=c11 -Wall -Wextra -Werror -ffunction-sections -fdata-sections -I include -I $(EMB_SRC)

ARM_CC      ?= arm-none-eabi-gcc
ARM_LINK    := -nostartfiles -T $(EMB_SRC)/cortex-m/link.ld --specs=nano.specs \
               -Wl,--gc-sections -Wl,--no-enum-size-warning -Wl,-z,noexecstack
ARM_FW      := Tests/embedded/selftest.c $(EMB_SRC)/cortex-m/startup.c $(EMB_SRC)/cortex-m/board.c

$(EMB_BUILD)/cortex-m3/selftest.elf: $(EMB_FW_SRC) $(EMB_SRC)/cortex-m/* $(EMB_BUILD)/armv7m-none-none-eabi/libdmms.a
	@mkdir -p $(@D)
	$(ARM_CC) -mcpu=cortex-m3 -mthumb -mfloat-abi=soft $(EMB_FW_C) $(ARM_LINK) $(ARM_FW) \
	    $(EMB_BUILD)/armv7m-none-none-eabi/libdmms.a -o $@

$(EMB_BUILD)/cortex-m4/selftest.elf: $(EMB_FW_SRC) $(EMB_SRC)/cortex-m/* $(EMB_BUILD)/armv7em-none-none-eabi/libdmms.a
	@mkdir -p $(@D)
	$(ARM_CC) -mcpu=cortex-m4 -mthumb -mfloat-abi=soft $(EMB_FW_C) $(ARM_LINK) $(ARM_FW) \
	    $(EMB_BUILD)/armv7em-none-none-eabi/libdmms.a -o $@

# RV32: Debian has no C library for riscv32 short of picolibc (1 GB); the image
# brings its own memset/memcpy/memmove (riscv/libc.c) and gcc's libgcc.
RV_CC       ?= riscv64-unknown-elf-gcc
RV_ARCH     := -march=rv32imac -mabi=ilp32 -mcmodel=medany -ffreestanding -I$(EMB_SRC)/include
RV_FW       := $(EMB_SRC)/riscv/startup.S $(EMB_SRC)/riscv/board.c Tests/embedded/selftest.c

$(EMB_BUILD)/riscv32/selftest.elf: $(EMB_FW_SRC) $(EMB_SRC)/riscv/* $(EMB_BUILD)/riscv32-none-none-eabi/libdmms.a
	@mkdir -p $(@D)
	$(RV_CC) $(RV_ARCH) $(EMB_FW_C) -fno-builtin -fno-tree-loop-distribute-patterns \
	    -c $(EMB_SRC)/riscv/libc.c -o $(@D)/libc.o
	$(RV_CC) $(RV_ARCH) $(EMB_FW_C) -nostdlib -nostartfiles -T $(EMB_SRC)/riscv/link.ld \
	    -Wl,--gc-sections -Wl,--no-warn-rwx-segments \
	    $(RV_FW) $(@D)/libc.o $(EMB_BUILD)/riscv32-none-none-eabi/libdmms.a -lgcc -o $@

$(EMB_BUILD)/cortex-m3/sizes-%.elf: Tests/embedded/sizes.c $(EMB_SRC)/cortex-m/* $(EMB_BUILD)/armv7m-none-none-eabi/libdmms.a
	@mkdir -p $(@D)
	$(ARM_CC) -mcpu=cortex-m3 -mthumb -mfloat-abi=soft $(EMB_FW_C) -DUSE=$* $(ARM_LINK) Tests/embedded/sizes.c \
	    $(EMB_SRC)/cortex-m/startup.c $(EMB_SRC)/cortex-m/board.c $(EMB_BUILD)/armv7m-none-none-eabi/libdmms.a -o $@

$(EMB_BUILD)/cortex-m4/sizes-%.elf: Tests/embedded/sizes.c $(EMB_SRC)/cortex-m/* $(EMB_BUILD)/armv7em-none-none-eabi/libdmms.a
	@mkdir -p $(@D)
	$(ARM_CC) -mcpu=cortex-m4 -mthumb -mfloat-abi=soft $(EMB_FW_C) -DUSE=$* $(ARM_LINK) Tests/embedded/sizes.c \
	    $(EMB_SRC)/cortex-m/startup.c $(EMB_SRC)/cortex-m/board.c $(EMB_BUILD)/armv7em-none-none-eabi/libdmms.a -o $@

$(EMB_BUILD)/riscv32/sizes-libc.o: $(EMB_SRC)/riscv/libc.c
	@mkdir -p $(@D)
	$(RV_CC) $(RV_ARCH) $(EMB_FW_C) -fno-builtin -fno-tree-loop-distribute-patterns -c $< -o $@

$(EMB_BUILD)/riscv32/sizes-%.elf: Tests/embedded/sizes.c $(EMB_SRC)/riscv/* $(EMB_BUILD)/riscv32/sizes-libc.o $(EMB_BUILD)/riscv32-none-none-eabi/libdmms.a
	$(RV_CC) $(RV_ARCH) $(EMB_FW_C) -DUSE=$* -nostdlib -nostartfiles -T $(EMB_SRC)/riscv/link.ld \
	    -Wl,--gc-sections -Wl,--no-warn-rwx-segments $(EMB_SRC)/riscv/startup.S $(EMB_SRC)/riscv/board.c Tests/embedded/sizes.c \
	    $(EMB_BUILD)/riscv32/sizes-libc.o $(EMB_BUILD)/riscv32-none-none-eabi/libdmms.a -lgcc -o $@

EMB_IMAGES  := $(EMB_BUILD)/cortex-m3/selftest.elf $(EMB_BUILD)/cortex-m4/selftest.elf $(EMB_BUILD)/riscv32/selftest.elf
embedded-images: $(EMB_IMAGES)

# ---- tests ---------------------------------------------------------------------
# The libraries need only Swift; the images need the cross toolchains and QEMU
# (`make deps`): without them the suite fails, it does not skip.
EMB_TOOLS_NEEDED := $(ARM_CC) $(RV_CC) qemu-system-arm qemu-system-riscv32

test-embedded: $(EMB_LIBS)
	bash Tests/embedded/check-symbols.sh $(EMB_NM) $(EMB_LIBS)
	@for tool in $(EMB_TOOLS_NEEDED); do \
	    command -v $$tool >/dev/null || { echo "test-embedded: $$tool missing: run make deps"; exit 1; }; \
	done
	@$(MAKE) --no-print-directory embedded-images
	bash Tests/embedded/run-qemu.sh $(EMB_BUILD)

TEST_SUITES += test-embedded
