# Top-level build. Each directory lists its own sources in a rules.mk fragment:
#   kernel-srcs += dir/file.cpp|.S   compiled into the kernel (aarch64, freestanding)
#   host-srcs   += dir/file.cpp      also compiled into the host doctest suite (ASan+UBSan)
#   host-tests  += tests/host/x.cpp  doctest test files
# `make help` lists the targets.

BOARD ?= qemu-virt
SLAB ?= slub
V ?= 0

ifeq ($(V),1)
Q :=
else
Q := @
endif

TOP := $(CURDIR)
BUILD := build
OBJ := $(BUILD)/obj-$(SLAB)$(if $(filter 1,$(UBSAN)),-ubsan)
# Variants other than the default (SLUB, no UBSan) live in a subdirectory, so that
# build/<board>/Image is always the default kernel.
VARIANT := $(if $(filter-out slub,$(SLAB))$(filter 1,$(UBSAN)),/$(SLAB)$(if $(filter 1,$(UBSAN)),-ubsan))
BOARD_DIR := $(BUILD)/$(BOARD)$(VARIANT)
DEPS := $(BUILD)/deps

CLANG ?= clang
CLANGXX ?= clang++
LLD ?= ld.lld
OBJCOPY ?= llvm-objcopy
NM ?= llvm-nm

kernel-srcs :=
host-srcs :=
host-tests :=

include lib/rules.mk
include kernel/rules.mk
include arch/arm64/rules.mk
include boot/rules.mk
include mm/rules.mk
include drivers/rules.mk
include tests/rules.mk
include board/rules.mk
include board/dtb.mk
include board/sdcard.mk
include user/rules.mk

# --- kernel ------------------------------------------------------------------------------
INCLUDES := -I. -Iinclude -Ilib -Iarch/arm64/include -isystem lib/std-shim -I$(DEPS)/arm64/usr/include -Ilib/fdt-shim
KERNEL_TARGET := --target=aarch64-none-elf -mcpu=cortex-a53
# Locks are capabilities the compiler checks (include/core/thread_annotations.h), in the
# kernel and in the host suite alike.
THREAD_SAFETY := -Wthread-safety -Wthread-safety-beta -Werror=thread-safety -Werror=thread-safety-beta
# -mgeneral-regs-only: kernel C++ never touches FP/SIMD registers (as Linux), so exception
# entry saves only general registers and user FP state survives kernel entry untouched.
KCXXFLAGS := $(KERNEL_TARGET) -std=c++20 -ffreestanding -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -fno-use-cxa-atexit -nostdlib -nostdinc++ \
	-mgeneral-regs-only -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fstack-protector-strong -fno-pic -mcmodel=small -O2 -g \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers $(THREAD_SAFETY) \
	-DSLAB_$(shell echo $(SLAB) | tr a-z A-Z)=1 -MMD -MP $(INCLUDES) -include lib/std-shim/initializer_list
ifeq ($(UBSAN),1)
KCXXFLAGS += -fsanitize=undefined -fno-sanitize-minimal-runtime -fno-sanitize=function,vptr -DCONFIG_UBSAN=1
endif
KASFLAGS := $(KERNEL_TARGET) -D__ASSEMBLY__ -g -MMD -MP $(INCLUDES)

# Every source a rules.mk names must exist: a renamed or deleted file is an error here, not a
# silently shorter link.
$(foreach f,$(kernel-srcs) $(host-srcs) $(host-tests),$(if $(wildcard $(f)),,$(error $(f) is listed in a rules.mk but does not exist)))

kernel-objs := $(patsubst %.cpp,$(OBJ)/%.o,$(patsubst %.S,$(OBJ)/%.o,$(kernel-srcs)))
LIBFDT := $(DEPS)/arm64/usr/lib/aarch64-linux-gnu/libfdt.a

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

.PHONY: all kernel run test host-test target-test bench fuzz sdcard help deps clean compile_commands.json check-layers

.DEFAULT_GOAL := all
all: kernel

deps:
	$(Q)tools/setup.sh

$(LIBFDT):
	$(Q)tools/setup.sh

$(OBJ)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	$(Q)$(CLANGXX) $(KCXXFLAGS) -c $< -o $@

$(OBJ)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CLANG) $(KASFLAGS) -c $< -o $@

$(OBJ)/kernel/version.o: FORCE
$(OBJ)/kernel/version.o: KCXXFLAGS += -DGIT_COMMIT='"$(GIT_COMMIT)"' -DCOMPILER='"$(shell $(CLANGXX) --version | head -1)"' -DSLAB_NAME='"$(SLAB)"'
FORCE:

# Two-pass link for the embedded symbol table (Linux's kallsyms): pass 1 links with an empty
# table; its text symbols become the table linked in pass 2. The table sits after all code, so
# code addresses do not move between passes; tools/kallsyms.py checks that they did not.
LDFLAGS := -nostdlib -static -T $(OBJ)/kernel.ld --no-undefined -z noexecstack --build-id=none
$(OBJ)/kernel.ld: linker/kernel.ld.S arch/arm64/include/asm/memory.h
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) -E -P -x c -D__ASSEMBLY__ -Iarch/arm64/include -I. -Iinclude -Ilib $< -o $@
$(OBJ)/kallsyms0.o: tools/kallsyms.py
	@mkdir -p $(dir $@)
	$(Q)python3 tools/kallsyms.py --empty > $(OBJ)/kallsyms0.S
	$(Q)$(CLANG) $(KASFLAGS) -c $(OBJ)/kallsyms0.S -o $@

$(OBJ)/vmlinux.pass1: $(kernel-objs) $(OBJ)/kallsyms0.o $(LIBFDT) $(OBJ)/kernel.ld
	@echo "  LD      $@"
	$(Q)$(LLD) $(LDFLAGS) -o $@ $(kernel-objs) $(OBJ)/kallsyms0.o $(LIBFDT)

$(OBJ)/kallsyms.o: $(OBJ)/vmlinux.pass1 tools/kallsyms.py
	$(Q)$(NM) -n -C $< | python3 tools/kallsyms.py > $(OBJ)/kallsyms.S
	$(Q)$(CLANG) $(KASFLAGS) -c $(OBJ)/kallsyms.S -o $@

$(OBJ)/kernel.elf: $(OBJ)/kallsyms.o
	@echo "  LD      $@"
	$(Q)$(LLD) $(LDFLAGS) -o $@ $(kernel-objs) $(OBJ)/kallsyms.o $(LIBFDT)
	$(Q)python3 tools/kallsyms.py --verify $(OBJ)/vmlinux.pass1 $@ --nm $(NM)

$(OBJ)/Image: $(OBJ)/kernel.elf
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O binary $< $@

kernel: $(BOARD_DIR)/Image $(BOARD_DIR)/kernel.elf board-files

$(BOARD_DIR)/Image: $(OBJ)/Image
	@mkdir -p $(dir $@)
	$(Q)cp $< $@
$(BOARD_DIR)/kernel.elf: $(OBJ)/kernel.elf
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

# --- host tests --------------------------------------------------------------------------
HOST_OBJ := $(BUILD)/host
HOSTCXXFLAGS := -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Wno-unused-parameter \
	-Wno-missing-field-initializers $(THREAD_SAFETY) -include tests/host/include/host_prelude.h \
	-Itests/host/include -I. -Iinclude -Ilib -DHOST_TEST=1 -MMD -MP
host-all := $(sort $(host-srcs) $(host-tests))
host-objs := $(patsubst %.cpp,$(HOST_OBJ)/%.o,$(host-all))

$(HOST_OBJ)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  HOSTCXX $<"
	$(Q)$(CLANGXX) $(HOSTCXXFLAGS) -c $< -o $@

$(HOST_OBJ)/host-tests: $(host-objs)
	@echo "  HOSTLD  $@"
	$(Q)$(CLANGXX) $(HOSTCXXFLAGS) -o $@ $(host-objs) -lfdt

host-test: deps $(HOST_OBJ)/host-tests
	$(Q)$(HOST_OBJ)/host-tests

-include $(kernel-objs:.o=.d) $(host-objs:.o=.d)

# The one-way layering of the tree (tools/check_layers.py says the rules); part of make test.
check-layers:
	$(Q)python3 tools/check_layers.py --self-test
	$(Q)python3 tools/check_layers.py

help:
	@echo "make [BOARD=qemu-virt|rpi3b|rpi4b] [SLAB=slub|slob] [UBSAN=1]   build build/<board>/Image"
	@echo "make run      boot QEMU (MEM=, SMP=, CPU=, CMDLINE= override; BOARD= picks the machine)"
	@echo "make test     every test: host doctest suite, fuzz smoke, on-target KTAP on all boards"
	@echo "make host-test    host doctest suite only (ASan+UBSan)"
	@echo "make target-test  on-target KTAP self-tests for BOARD"
	@echo "make bench    benchmarks (QEMU -icount shift=0: instruction counts)"
	@echo "make fuzz FUZZ_SECONDS=N   libFuzzer over the DT memory parser"
	@echo "make sdcard BOARD=rpi3b|rpi4b   build/<board>/sdcard.img"
	@echo "make compile_commands.json     for clangd"
	@echo "make check-layers  the one-way include layering (core/ lib/ arch/ mm/ drivers/ kernel/)"

clean:
	rm -rf $(BUILD)/obj-* $(BUILD)/host $(BUILD)/qemu-virt $(BUILD)/rpi3b $(BUILD)/rpi4b

# --- running under QEMU ------------------------------------------------------------------
# Semihosting is enabled so that `poweroff <status>` and ktest results become QEMU's exit
# status; the kernel only uses it because the command line says `semihosting`.
QEMU ?= qemu-system-aarch64
CMDLINE ?=
QEMU_COMMON := -display none -monitor none -no-reboot -semihosting-config enable=on,target=native
QEMU_CMD = $(QEMU) $(QEMU_BOARD_ARGS) $(QEMU_COMMON) $(if $(BOARD_DTB),-dtb $(BOARD_DTB))

run: deps kernel
	@echo "Booting $(BOARD) (QEMU $(QEMU_MACHINE)); 'poweroff' or Ctrl-A X to leave" >&2
	$(Q)$(QEMU_CMD) -append "semihosting $(CMDLINE)"; s=$$?; \
	  if [ $$s -ne 0 ]; then echo "QEMU exited with status $$s" >&2; fi; exit $$s

# Prints the QEMU command line for BOARD (used by tools/run_tests.py).
qemu-cmd:
	@echo '$(QEMU_CMD)'

target-test: deps kernel
	$(Q)python3 tools/run_tests.py --target-only --boards $(BOARD)

test:
	$(Q)SETUP_CROSS=1 tools/setup.sh
	$(Q)python3 tools/run_tests.py

.PHONY: qemu-cmd

# The Pi firmware loads kernel8.img: the same raw Image under the name it expects.
$(BOARD_DIR)/kernel8.img: $(BOARD_DIR)/Image
	$(Q)cp $< $@

compile_commands.json:
	$(Q)python3 tools/gen_compile_commands.py $@ --kernel "$(KCXXFLAGS)" "$(KASFLAGS)" \
		--host "$(HOSTCXXFLAGS)" -- $(kernel-srcs) $(host-all)

bench: deps
	$(Q)$(MAKE) --no-print-directory kernel
	$(Q)python3 tools/bench.py
