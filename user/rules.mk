# user/: EL0 programs (freestanding, raw Linux AArch64 syscalls) and the default initramfs.
# Included by the top-level Makefile after BUILD/OBJ/CLANG/LLD are set and before
# kernel-objs is computed (it adds kernel/initramfs_data.S to kernel-srcs).
#
#   build/user/<prog>.elf         ET_EXEC programs (user/*.c, user/hostile/*.c)
#   build/user/ktest_user_pie.elf the same suite as a static-PIE (ET_DYN) program
#   build/user/glibc/*.elf        static glibc programs, when aarch64-linux-gnu-gcc exists
#   build/initramfs.cpio          /init (= ktest_user), /bin/<prog>, /bench/mmbench
#   make user                     all of the above
#   make user-qemu-test           runs the programs under qemu-aarch64 (Linux's behaviour)

USER_DIR := user
USER_OUT := $(BUILD)/user
# clang's own headers (stddef.h, stdint.h): asked once, when a user program is first compiled,
# so that parsing the Makefile needs no compiler (tools/setup.sh may still have to install it).
USER_CLANG_INC = $(eval USER_CLANG_INC := $(shell $(CLANG) -print-resource-dir)/include)$(USER_CLANG_INC)
USER_CFLAGS = --target=aarch64-linux-gnu -mcpu=cortex-a53 -std=gnu11 -O2 -g \
	-ffreestanding -fno-builtin -nostdlib -nostdinc -isystem $(USER_CLANG_INC) \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-mgeneral-regs-only -mno-outline-atomics -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration \
	-MMD -MP -I$(USER_DIR)
USER_CFLAGS += $(if $(filter 1,$(WERROR)),-Werror)
USER_EXEC_CFLAGS = $(USER_CFLAGS) -fno-pic
USER_PIE_CFLAGS = $(USER_CFLAGS) -fPIE -DUSER_PIE=1
# max-page-size=4096: segments 4 KiB apart rather than lld's 64 KiB default for AArch64,
# so small programs take a few pages; -z separate-code keeps text off the pages of headers
# and data. The image base stays lld's 0x200000 (above the 64 KiB mmap_min_addr).
USER_LDFLAGS := -static -nostdlib --build-id=none -z max-page-size=4096 -z separate-code \
	-z noexecstack -e _start
USER_PIE_LDFLAGS := $(USER_LDFLAGS) -pie --no-dynamic-linker -z text

user-rt-srcs := $(wildcard $(USER_DIR)/lib/*.c) $(USER_DIR)/lib/crt0.S
user-progs := $(basename $(notdir $(wildcard $(USER_DIR)/*.c)))
user-hostile := $(basename $(notdir $(wildcard $(USER_DIR)/hostile/*.c)))
user-rt-objs := $(patsubst $(USER_DIR)/%,$(USER_OUT)/exec/%.o,$(user-rt-srcs))
user-rt-pie-objs := $(patsubst $(USER_DIR)/%,$(USER_OUT)/pie/%.o,$(user-rt-srcs))
user-elfs := $(addprefix $(USER_OUT)/,$(addsuffix .elf,$(user-progs) $(user-hostile))) \
	$(USER_OUT)/ktest_user_pie.elf

$(USER_OUT)/exec/%.c.o: $(USER_DIR)/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	$(Q)$(CLANG) $(USER_EXEC_CFLAGS) -c $< -o $@
$(USER_OUT)/exec/%.S.o: $(USER_DIR)/%.S | deps
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(USER_EXEC_CFLAGS) -c $< -o $@
$(USER_OUT)/pie/%.c.o: $(USER_DIR)/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (PIE)"
	$(Q)$(CLANG) $(USER_PIE_CFLAGS) -c $< -o $@
$(USER_OUT)/pie/%.S.o: $(USER_DIR)/%.S | deps
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(USER_PIE_CFLAGS) -c $< -o $@

$(USER_OUT)/%.elf: $(USER_OUT)/exec/%.c.o $(user-rt-objs)
	@echo "  ULD     $@"
	$(Q)$(LLD) $(USER_LDFLAGS) -o $@ $^
$(USER_OUT)/%.elf: $(USER_OUT)/exec/hostile/%.c.o $(user-rt-objs)
	@echo "  ULD     $@"
	$(Q)$(LLD) $(USER_LDFLAGS) -o $@ $^
$(USER_OUT)/ktest_user_pie.elf: $(USER_OUT)/pie/ktest_user.c.o $(user-rt-pie-objs)
	@echo "  ULD     $@ (static-PIE)"
	$(Q)$(LLD) $(USER_PIE_LDFLAGS) -o $@ $^

# Objects and programs are intermediate to the pattern rules (the archive holds stripped
# copies); keep them: the objects for incremental builds, the .elf files for gdb.
.SECONDARY: $(user-elfs) $(user-rt-objs) $(user-rt-pie-objs) $(USER_OUT)/pie/ktest_user.c.o \
	$(patsubst %,$(USER_OUT)/exec/%.c.o,$(user-progs)) $(patsubst %,$(USER_OUT)/exec/hostile/%.c.o,$(user-hostile))

# Static glibc programs from Debian's cross toolchain (SETUP_CROSS=1 tools/setup.sh); the
# initramfs carries them only when the compiler is installed.
USER_GLIBC_CC ?= aarch64-linux-gnu-gcc
user-glibc-progs := $(basename $(notdir $(wildcard $(USER_DIR)/glibc/*.c)))
ifneq ($(shell command -v $(USER_GLIBC_CC) 2>/dev/null),)
user-glibc-elfs := $(addprefix $(USER_OUT)/glibc/,$(addsuffix .elf,$(user-glibc-progs)))
endif
.SECONDARY: $(user-glibc-elfs)
$(USER_OUT)/glibc/%.elf: $(USER_DIR)/glibc/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  GLIBCC  $<"
	$(Q)$(USER_GLIBC_CC) -static -O2 -g -Wall -Wextra -o $@ $<

# Dynamically linked glibc programs (user/glibc/dynamic/*.c, no -static) with the interpreter
# and libc from the cross toolchain's sysroot (libc6-arm64-cross: Debian's libc6:arm64 files)
# at Debian's paths, /lib/ld-linux-aarch64.so.1 and /lib/aarch64-linux-gnu/libc.so.6.
USER_GLIBC_SYSROOT ?= /usr/aarch64-linux-gnu/lib
user-glibc-dyn-progs := $(basename $(notdir $(wildcard $(USER_DIR)/glibc/dynamic/*.c)))
ifneq ($(user-glibc-elfs),)
ifneq ($(wildcard $(USER_GLIBC_SYSROOT)/ld-linux-aarch64.so.1),)
user-glibc-dyn-elfs := $(addprefix $(USER_OUT)/glibc/dynamic/,$(addsuffix .elf,$(user-glibc-dyn-progs)))
endif
endif
.SECONDARY: $(user-glibc-dyn-elfs)
$(USER_OUT)/glibc/dynamic/%.elf: $(USER_DIR)/glibc/dynamic/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  GLIBCC  $< (dynamic)"
	$(Q)$(USER_GLIBC_CC) -O2 -g -Wall -Wextra -o $@ $<

# The archive holds copies without debug sections (symbols stay, for pc -> function when
# reading a kill report); the .elf files keep everything for gdb. The file list is a make
# variable, so adding or removing a program rebuilds the archive.
USER_STRIP := $(USER_OUT)/stripped
$(USER_STRIP)/%: $(USER_OUT)/%.elf
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) --strip-debug $< $@
# llvm-objcopy 14 refuses GNU ld's static .rela.plt (sh_link 0); binutils' strip does not.
USER_GLIBC_STRIP ?= aarch64-linux-gnu-strip
$(USER_STRIP)/glibc/%: $(USER_OUT)/glibc/%.elf
	@mkdir -p $(dir $@)
	$(Q)$(USER_GLIBC_STRIP) --strip-debug -o $@ $<
initramfs-files := /init=$(USER_STRIP)/ktest_user \
	$(foreach p,$(filter-out mmbench ktest_user,$(user-progs)) $(user-hostile),/bin/$(p)=$(USER_STRIP)/$(p)) \
	/bin/ktest_user_pie=$(USER_STRIP)/ktest_user_pie \
	/bench/mmbench=$(USER_STRIP)/mmbench \
	$(foreach p,$(user-glibc-progs),$(if $(user-glibc-elfs),/bin/glibc/$(p)=$(USER_STRIP)/glibc/$(p))) \
	$(foreach p,$(user-glibc-dyn-progs),$(if $(user-glibc-dyn-elfs),/bin/glibc/dynamic/$(p)=$(USER_STRIP)/glibc/dynamic/$(p))) \
	$(if $(user-glibc-dyn-elfs),/lib/ld-linux-aarch64.so.1=$(USER_GLIBC_SYSROOT)/ld-linux-aarch64.so.1 \
		/lib/aarch64-linux-gnu/libc.so.6=$(USER_GLIBC_SYSROOT)/libc.so.6)
initramfs-inputs := $(foreach f,$(initramfs-files),$(lastword $(subst =, ,$(f))))
$(BUILD)/initramfs.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(initramfs-files)' | cmp -s - $@ || echo '$(initramfs-files)' > $@
$(BUILD)/initramfs.cpio: $(initramfs-inputs) $(BUILD)/initramfs.list tools/mkcpio.py
	@echo "  CPIO    $@"
	$(Q)python3 tools/mkcpio.py $@ $(initramfs-files)

kernel-srcs += kernel/initramfs_data.S
$(OBJ)/kernel/initramfs_data.o: $(BUILD)/initramfs.cpio
$(OBJ)/kernel/initramfs_data.o: KASFLAGS += -DINITRAMFS_IMAGE='"$(BUILD)/initramfs.cpio"'

.PHONY: user user-qemu-test
user: $(BUILD)/initramfs.cpio $(user-elfs) $(user-glibc-elfs) $(user-glibc-dyn-elfs)

# Linux's behaviour, as a reference for every program: qemu-aarch64 runs them on this host
# (apt-get install qemu-user). Hostile programs must die with SIGSEGV (qemu reports signal 11
# as exit status 139) or pass their own KTAP; stack_guard needs a growable stack, which
# qemu-user does not emulate, and oom_touch would exhaust the host: neither runs here.
user-qemu-test: user
	$(Q)python3 tools/user_qemu_test.py $(USER_OUT)

-include $(wildcard $(USER_OUT)/exec/*.d $(USER_OUT)/exec/*/*.d $(USER_OUT)/pie/*.d $(USER_OUT)/pie/*/*.d)
