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
