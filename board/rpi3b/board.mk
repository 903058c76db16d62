# Raspberry Pi 3 Model B under QEMU raspi3b (1 GiB, 4x Cortex-A53, entered at EL2).
# The DTB's stdout-path is serial1 = the mini UART, which QEMU connects to its SECOND -serial;
# the first (the PL011, wired to Bluetooth on a real Pi 3) goes to null.
QEMU_MACHINE := raspi3b
RPI_DTB := $(BUILD)/dtb/rpi3b.dtb
BOARD_DTB = $(RPI_DTB)
# Single-threaded TCG: the three secondary cores spin in the firmware spin table (WFE is a
# yield under TCG); as threads of their own they starve the boot CPU on a small host and its
# timer interrupts arrive tens of ms late. Round-robin in one thread, WFE hands over at once.
QEMU_BOARD_ARGS := -M raspi3b -accel tcg,thread=single -kernel $(BOARD_DIR)/kernel8.img -serial null -serial mon:stdio
board-files: $(RPI_DTB) $(BOARD_DIR)/kernel8.img
# QEMU raspi3b has fixed RAM and CPUs: MEM=, SMP=, CPU= (and VIRT_OPTS=) asking for anything
# else are errors rather than silently ignored.
$(call board-fixed,MEM,1G 1024M,QEMU raspi3b always has 1 GiB)
$(call board-fixed,SMP,4,QEMU raspi3b always has 4 CPUs)
$(call board-fixed,CPU,cortex-a53,QEMU raspi3b always has cortex-a53 cores)
$(call board-fixed,VIRT_OPTS,,VIRT_OPTS is for BOARD=qemu-virt)
