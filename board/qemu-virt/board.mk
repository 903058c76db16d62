# QEMU virt: the reference board. MEM, SMP, CPU and VIRT_OPTS may be overridden
# (e.g. VIRT_OPTS=,virtualization=on for EL2 entry, ,gic-version=3).
MEM ?= 1G
SMP ?= 1
CPU ?= cortex-a72
VIRT_OPTS ?=
QEMU_MACHINE := virt$(VIRT_OPTS)
# The console is the PL011 the DT's stdout-path names: the first -serial.
QEMU_BOARD_ARGS := -M $(QEMU_MACHINE) -cpu $(CPU) -m $(MEM) -smp $(SMP) -nic none \
	-kernel $(BOARD_DIR)/Image -serial mon:stdio
BOARD_DTB :=
