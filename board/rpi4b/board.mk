# Raspberry Pi 4 Model B under QEMU raspi4b (2 GiB, 4x Cortex-A72, GIC-400, entered at EL2).
# The DTB's stdout-path is serial1 = the mini UART, which QEMU connects to its SECOND -serial;
# the first (the PL011) goes to null. QEMU models 2 GiB, hence rpi4b-2g (QEMU rewrites /memory
# anyway). RPI4_DTB=rpi4b-8g (etc.) picks another layout.
QEMU_MACHINE := raspi4b
RPI4_DTB ?= rpi4b-2g
RPI_DTB := $(BUILD)/dtb/$(RPI4_DTB).dtb
BOARD_DTB = $(RPI_DTB)
# Single-threaded TCG: see board/rpi3b/board.mk (the parked secondaries starve the boot CPU).
QEMU_BOARD_ARGS := -M raspi4b -accel tcg,thread=single -kernel $(BOARD_DIR)/kernel8.img -serial null -serial mon:stdio
board-files: $(RPI_DTB) $(BOARD_DIR)/kernel8.img
# QEMU raspi4b has fixed RAM and CPUs: MEM=, SMP=, CPU= (and VIRT_OPTS=) asking for anything
# else are errors rather than silently ignored.
$(call board-fixed,MEM,2G 2048M,QEMU raspi4b always has 2 GiB)
$(call board-fixed,SMP,4,QEMU raspi4b always has 4 CPUs)
$(call board-fixed,CPU,cortex-a72,QEMU raspi4b always has cortex-a72 cores)
$(call board-fixed,VIRT_OPTS,,VIRT_OPTS is for BOARD=qemu-virt)
