# Top-level build. Each directory lists its own sources in a rules.mk fragment:
#   kernel-srcs += dir/file.cpp|.S   compiled into the kernel (aarch64, freestanding)
#   host-srcs   += dir/file.cpp      also compiled into the host doctest suite (ASan+UBSan)
#   host-tests  += tests/host/x.cpp  doctest test files
# `make help` lists the targets.

BOARD ?= qemu-virt
SLAB ?= slub
V ?= 0
# A clean build has no warnings (clang 14): keep it so. WERROR=0 lets them through while
# working on something.
WERROR ?= 1

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
include fs/rules.mk
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
ifeq ($(WERROR),1)
KCXXFLAGS += -Werror
endif
KASFLAGS := $(KERNEL_TARGET) -D__ASSEMBLY__ -g -MMD -MP $(INCLUDES)

# Every source a rules.mk names must exist: a renamed or deleted file is an error here, not a
# silently shorter link.
$(foreach f,$(kernel-srcs) $(host-srcs) $(host-tests),$(if $(wildcard $(f)),,$(error $(f) is listed in a rules.mk but does not exist)))

kernel-objs := $(patsubst %.cpp,$(OBJ)/%.o,$(patsubst %.S,$(OBJ)/%.o,$(kernel-srcs)))
LIBFDT := $(DEPS)/arm64/usr/lib/aarch64-linux-gnu/libfdt.a

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

.PHONY: all kernel run initramfs test host-test target-test bench fuzz sdcard help deps clean distclean compile_commands.json check-layers debug

.DEFAULT_GOAL := all
all: kernel

# tools/setup.sh installs what is missing (quiet when all is present; without root it says what
# to run). Everything that compiles waits for it (order-only: running it rebuilds nothing), so
# that a plain `make` on a fresh clone sets up first.
deps:
	$(Q)tools/setup.sh

$(LIBFDT): | deps

$(OBJ)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	$(Q)$(CLANGXX) $(KCXXFLAGS) -c $< -o $@

$(OBJ)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CLANG) $(KASFLAGS) -c $< -o $@

# The build identity (git HEAD and dirty state, compiler, SLAB, and the banner's builder,
# linker and date) lives in a file rewritten only when it changes (Linux's filechk): version.o,
# and so the link, is redone only then, and a second `make` does nothing. The banner's date is
# the commit's, as with KBUILD_BUILD_TIMESTAMP, so a rebuild prints the same line.
$(OBJ)/kernel/version.id: FORCE | deps
	@mkdir -p $(dir $@)
	$(Q)printf '%s\n' "$(GIT_COMMIT)" "$$($(CLANGXX) --version | head -1)" "$(SLAB)" \
	  "$$(whoami)@$$(hostname)" "$$($(LLD) --version | head -1 | sed 's/^Debian //; s/ .compatible.*//')" \
	  "$$(TZ=UTC git log -1 --format=%cd --date=format-local:'%a %b %e %H:%M:%S UTC %Y' 2>/dev/null || echo unknown)" > $@.tmp; \
	  if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(OBJ)/kernel/version.o: kernel/version.cpp $(OBJ)/kernel/version.id
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	$(Q)$(CLANGXX) $(KCXXFLAGS) -DGIT_COMMIT='"$(GIT_COMMIT)"' -DCOMPILER="\"$$(sed -n 2p $(OBJ)/kernel/version.id)\"" \
	  -DSLAB_NAME='"$(SLAB)"' -DBUILDER="\"$$(sed -n 4p $(OBJ)/kernel/version.id)\"" \
	  -DLINKER="\"$$(sed -n 5p $(OBJ)/kernel/version.id)\"" -DBUILD_DATE="\"$$(sed -n 6p $(OBJ)/kernel/version.id)\"" \
	  -c $< -o $@
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

# `user` too: the archive holds stripped copies, build/user/*.elf keep the symbols for gdb.
kernel: $(BOARD_DIR)/Image $(BOARD_DIR)/kernel.elf board-files user

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
ifeq ($(WERROR),1)
HOSTCXXFLAGS += -Werror
endif
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

$(kernel-objs) $(host-objs) $(fuzz-objs) $(OBJ)/kernel.ld $(OBJ)/kallsyms0.o $(DTBS): | deps
host-fixtures: deps

-include $(kernel-objs:.o=.d) $(host-objs:.o=.d)

# The one-way layering of the tree (tools/check_layers.py says the rules); part of make test.
check-layers:
	$(Q)python3 tools/check_layers.py --self-test
	$(Q)python3 tools/check_layers.py

# `make help`: every target and variable. Keep it true: tools/run_tests.py checks that every
# .PHONY target is named here.
define HELP_TEXT
Building (the default goal is `kernel`; every build first runs tools/setup.sh, see SETUP_*)
  make, make kernel    build/<board>/Image, kernel.elf (and kernel8.img on the Pis) for BOARD,
                       the default variant: SLUB, no UBSan. Objects: build/obj-slub/.
  make SLAB=slob       build/<board>/slob/Image         (objects build/obj-slob/)
  make UBSAN=1         build/<board>/slub-ubsan/Image   (objects build/obj-slub-ubsan/);
                       both: build/<board>/slob-ubsan/Image
  make user            the EL0 programs build/user/*.elf (kept, with symbols, for gdb) and the
                       initramfs build/initramfs.cpio built into the kernel
  make dtbs            every board/*/*.dts to build/dtb/<name>.dtb
  make sdcard BOARD=rpi3b|rpi4b   build/<board>/sdcard.img (+ .bmap), then read back and checked
  make sdcard-check    only the read-back check of build/<board>/sdcard.img
  make compile_commands.json      for clangd
  make initramfs       build/initramfs-busybox.cpio: Debian's arm64 INITRAMFS_PACKAGES, busybox
                       as /init (tools/mkinitramfs.py; the .debs are kept in build/initramfs-debs)
  make deps            tools/setup.sh alone: installs what is missing, quiet when all is present
Running
  make run             boot BOARD under QEMU on this terminal ('poweroff' or Ctrl-A X to leave);
                       INITRD=file passes an initramfs (-initrd), e.g. build/initramfs-busybox.cpio
  make qemu-cmd        print the QEMU command line for BOARD (used by tools/run_tests.py)
  make debug           QEMU stopped at its first instruction with its gdbstub on GDB_PORT (as -s -S),
                       gdb-multiarch on kernel.elf with tools/gdb/mmkernel.py (lx-dmesg, lx-ps,
                       lx-pgwalk, ...); the console is the unix socket build/<board>/console.sock.
                       KGDB=1: the kernel's own stub instead (kgdboc= on a second UART, kgdbwait).
                       docs/debugging.md
Testing
  make test            everything: layers, host suite, fuzz smoke, target boots on all boards,
                       SD cards; ends with `N passed, N failed` (logs in build/test-logs/)
  make host-test       the host doctest suite (ASan+UBSan) over the mm/lib sources
  make host-fixtures   the DTBs the host suite reads, in build/fixtures/
  make target-test     the on-target KTAP boots for BOARD only
  make check-layers    the one-way include layering (core/ lib/ arch/ mm/ drivers/ kernel/)
  make user-qemu-test  the user programs under qemu-aarch64, as on Linux
  make fuzz            libFuzzer over the DT memory parser for FUZZ_SECONDS (default 600)
  make fuzz-smoke      replay tests/fuzz/regressions/, then fuzz FUZZ_SMOKE_SECONDS (default 20)
  make fuzz-corpus     the seed corpus in build/fuzz/corpus
  make bench           benchmarks under QEMU -icount (instruction counts), SLUB and SLOB, and
                       user/mmbench on this kernel and on Debian's Linux (downloads it, ~57 MiB)
Cleaning
  make clean           removes everything make built: build/ except build/deps, and
                       compile_commands.json
  make distclean       clean, and build/deps too (the Debian packages setup downloaded and
                       extracted). Neither undoes what setup changed on the system (apt
                       packages, apt sources, the arm64 dpkg architecture).
  make help            this text

Variables (on the command line: make run BOARD=rpi3b CMDLINE="ktest=all")
  BOARD=qemu-virt|rpi3b|rpi4b   the machine (default qemu-virt)
  SLAB=slub|slob       object allocator (default slub)
  UBSAN=1              build with -fsanitize=undefined (reports and continues)
  WERROR=0             warnings stay warnings (default 1: the build is warning-free, keep it so)
  V=1                  print every command
  MEM=, SMP=, CPU=     RAM, CPU count and CPU type of qemu-virt (default 1G, 1, cortex-a72); the
                       Pis have them fixed (raspi3b: 1G, 4x cortex-a53; raspi4b: 2G, 4x
                       cortex-a72): any other value there is an error
  VIRT_OPTS=           appended to -M virt (e.g. ,virtualization=on for EL2 entry, ,gic-version=3)
  RPI4_DTB=rpi4b-1g|2g|4g|8g    the DTB for BOARD=rpi4b (default rpi4b-2g)
  CMDLINE=             appended to the kernel command line of make run (docs/kernel-parameters.md)
  INITRD=              the initramfs make run passes to QEMU (-initrd); the kernel runs its /init
  INITRAMFS_PACKAGES=  the Debian packages of make initramfs (default busybox-static; e.g.
                       "libc6 busybox" for a dynamically linked busybox)
  QEMU=                the QEMU binary (default qemu-system-aarch64)
  GDB=, GDB_PORT=, KGDB=1   make debug's gdb (gdb-multiarch), QEMU gdbstub port (1234), the
                       kernel's stub instead of QEMU's
  SDCARD_DTB=, SDCARD_INITRD=, SDCARD_CMDLINE=   the SD card's DTB, initrd, extra cmdline.txt
  FUZZ_SECONDS=, FUZZ_SMOKE_SECONDS=              fuzzing time
  CLANG=, CLANGXX=, LLD=, OBJCOPY=, NM=, DTC=, USER_GLIBC_CC=   the tools
Environment of tools/setup.sh (make test and make bench set theirs)
  SETUP_LINUX_DTBS=1   also Linux's Pi DTBs (from Debian's arm64 kernel package, ~57 MiB)
  SETUP_BENCH=1        also that package's Linux Image, for make bench
  SETUP_FIRMWARE=1     also Debian's raspi-firmware files, for make sdcard
  SETUP_CROSS=1        also the aarch64 glibc cross compiler and qemu-user
  SETUP_INITRAMFS=1    also the arm64 package lists make initramfs downloads from
  SETUP_VERBOSE=1      say so when everything is present
Environment of the test runner and the bench: QEMU_TIMEOUT=seconds per QEMU run (default 180),
BENCH_VARIANTS=slub (the bench's SLUB column only), BENCH_ONLY=procbench (only user/procbench,
on this kernel and Linux)
endef

help:
	$(info $(HELP_TEXT))
	@:

# Everything make builds lives in build/ (and compile_commands.json); build/deps holds what
# tools/setup.sh downloaded and extracted, kept by clean (Linux's clean/mrproper split).
clean:
	rm -rf $(filter-out $(DEPS),$(wildcard $(BUILD)/*)) compile_commands.json

distclean: clean
	rm -rf $(BUILD)

# --- running under QEMU ------------------------------------------------------------------
# Semihosting is enabled so that `poweroff <status>` and ktest results become QEMU's exit
# status; the kernel only uses it because the command line says `semihosting`.
QEMU ?= qemu-system-aarch64
CMDLINE ?=
QEMU_COMMON := -display none -monitor none -no-reboot -semihosting-config enable=on,target=native
INITRD ?=
QEMU_CMD = $(QEMU) $(QEMU_BOARD_ARGS) $(QEMU_COMMON) $(if $(BOARD_DTB),-dtb $(BOARD_DTB)) $(if $(INITRD),-initrd $(INITRD))

# An initramfs of Debian's arm64 packages with busybox as /init (tools/mkinitramfs.py). The
# packages are fetched once into build/initramfs-debs; the archive is rebuilt when the tools
# or the package list change.
INITRAMFS_PACKAGES ?= busybox-static
INITRAMFS_BUSYBOX := $(BUILD)/initramfs-busybox.cpio
$(BUILD)/initramfs-busybox.pkgs: FORCE
	@mkdir -p $(dir $@)
	$(Q)echo '$(INITRAMFS_PACKAGES)' > $@.tmp; if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(INITRAMFS_BUSYBOX): tools/mkinitramfs.py tools/mkcpio.py $(BUILD)/initramfs-busybox.pkgs | deps
	$(Q)SETUP_INITRAMFS=1 tools/setup.sh
	@echo "  CPIO    $@"
	$(Q)python3 tools/mkinitramfs.py -o $@ $(foreach p,$(INITRAMFS_PACKAGES),-p $(p))
initramfs: $(INITRAMFS_BUSYBOX)

# make run INITRD=build/initramfs-busybox.cpio builds that archive first.
run: deps kernel $(filter $(INITRAMFS_BUSYBOX),$(INITRD))
	@echo "Booting $(BOARD) (QEMU $(QEMU_MACHINE)); 'poweroff' or Ctrl-A X to leave" >&2
	$(Q)$(QEMU_CMD) -append "semihosting $(CMDLINE)"; s=$$?; \
	  if [ $$s -ne 0 ]; then echo "QEMU exited with status $$s" >&2; fi; exit $$s

# Prints the QEMU command line for BOARD (used by tools/run_tests.py).
qemu-cmd:
	@echo '$(QEMU_CMD)'

# make debug: QEMU's gdbstub (or, with KGDB=1, the kernel's stub on the UART beside the console:
# virt's second PL011, the Pis' PL011) and gdb with the project's helpers. The console moves to
# a unix socket, so that gdb has the terminal; QEMU ends with gdb.
GDB ?= gdb-multiarch
GDB_PORT ?= 1234
KGDB ?=
DEBUG_CONSOLE := $(BOARD_DIR)/console.sock
DEBUG_KGDB_SOCK := $(BOARD_DIR)/kgdb.sock
KGDB_TTY := $(if $(filter qemu-virt,$(BOARD)),ttyAMA1,ttyAMA0)
DEBUG_QEMU = $(subst mon:stdio,unix:$(DEBUG_CONSOLE)$(comma)server=on$(comma)wait=off,$(QEMU_CMD))
comma := ,
ifeq ($(KGDB),1)
DEBUG_QEMU_ARGS = -chardev socket,id=kgdb,path=$(DEBUG_KGDB_SOCK),server=on,wait=off \
	$(if $(filter qemu-virt,$(BOARD)),-serial chardev:kgdb) -append "semihosting kgdboc=$(KGDB_TTY) kgdbwait $(CMDLINE)"
DEBUG_TARGET = target remote | $(TOP)/tools/gdb/unix_pipe.py $(DEBUG_KGDB_SOCK)
DEBUG_QEMU_FINAL = $(if $(filter qemu-virt,$(BOARD)),$(DEBUG_QEMU),$(subst -serial null,-serial chardev:kgdb,$(DEBUG_QEMU)))
else
DEBUG_QEMU_ARGS = -gdb tcp::$(GDB_PORT) -S -append "semihosting $(CMDLINE)"
DEBUG_TARGET = target remote :$(GDB_PORT)
DEBUG_QEMU_FINAL = $(DEBUG_QEMU)
endif
debug: deps kernel
	@echo "Debugging $(BOARD) (QEMU $(QEMU_MACHINE)$(if $(filter 1,$(KGDB)), and the kernel's stub on $(KGDB_TTY))); console:" >&2
	@echo "  python3 tools/gdb/unix_pipe.py $(DEBUG_CONSOLE)   (or: socat -,raw,echo=0 UNIX-CONNECT:$(DEBUG_CONSOLE))" >&2
	$(Q)rm -f $(DEBUG_CONSOLE) $(DEBUG_KGDB_SOCK)
	$(Q)$(DEBUG_QEMU_FINAL) $(DEBUG_QEMU_ARGS) & qemu=$$!; \
	  for i in $$(seq 100); do [ -S $(DEBUG_CONSOLE) ] && break; sleep 0.1; done; \
	  $(GDB) -q -nx -ex 'set pagination off' -x tools/gdb/mmkernel.py -ex '$(DEBUG_TARGET)' $(BOARD_DIR)/kernel.elf; \
	  kill $$qemu 2>/dev/null; wait $$qemu 2>/dev/null; exit 0

target-test: kernel
	$(Q)SETUP_LINUX_DTBS=1 tools/setup.sh
	$(Q)python3 tools/run_tests.py --target-only --boards $(BOARD)

test:
	$(Q)SETUP_CROSS=1 SETUP_LINUX_DTBS=1 tools/setup.sh
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
