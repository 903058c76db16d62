# board/sdcard.mk: `make sdcard BOARD=rpi3b|rpi4b` writes build/<board>/sdcard.img (layout in
# tools/mksdcard.sh) and its block map sdcard.img.bmap, for `bmaptool copy`, which then writes
# only the few MiB that hold data. tools/check_sdcard.py then reads the image back and extracts
# kernel8.img, the DTB and cmdline.txt into build/<board>/sdcard-files/, so that a test boots
# exactly what the card holds.
#   SDCARD_DTB=<name>     DTB for the card (default: rpi3b; rpi4b-2g, the size QEMU models;
#                         the firmware rewrites /memory on any Pi 4, so any variant boots)
#   SDCARD_INITRD=<file>  optional initrd, loaded by the firmware ("initramfs ... followkernel")
#   SDCARD_CMDLINE="..."  appended to cmdline.txt
# Needs BOARD, BOARD_DIR, DEPS and Q from the top-level Makefile and DTB_DIR from
# board/dtb.mk; $(BOARD_DIR)/kernel8.img is made by the kernel rules.

SDCARD_DTB_rpi3b := rpi3b
SDCARD_DTB_rpi4b := rpi4b-2g
SDCARD_DTB ?= $(SDCARD_DTB_$(BOARD))
SDCARD_INITRD ?=
SDCARD_IMG := $(BOARD_DIR)/sdcard.img
SDCARD_FILES := $(BOARD_DIR)/sdcard-files
SDCARD_FW_DIR := $(DEPS)/raspi-firmware/usr/lib/raspi-firmware

.PHONY: sdcard sdcard-check

ifneq ($(filter rpi3b rpi4b,$(BOARD)),)

sdcard: sdcard-check

sdcard-check: $(SDCARD_IMG)
	$(Q)rm -rf $(SDCARD_FILES)
	$(Q)tools/check_sdcard.py $(SDCARD_IMG) $(BOARD) --extract $(SDCARD_FILES) \
		--firmware $(SDCARD_FW_DIR) > $(BOARD_DIR)/sdcard-check.ktap || \
		{ grep -E '^(#|not ok)' $(BOARD_DIR)/sdcard-check.ktap >&2; exit 1; }
	@tail -1 $(BOARD_DIR)/sdcard-check.ktap

# The firmware is extracted on demand: it is only needed for SD cards.
$(SDCARD_FW_DIR)/start4.elf:
	$(Q)SETUP_FIRMWARE=1 tools/setup.sh

# SDCARD_CMDLINE changes the image without changing any prerequisite: always rerun the
# script when it is set (the result is reproducible, so this costs only time).
$(SDCARD_IMG): $(BOARD_DIR)/kernel8.img $(DTB_DIR)/$(SDCARD_DTB).dtb $(SDCARD_INITRD) \
		tools/mksdcard.sh $(SDCARD_FW_DIR)/start4.elf $(if $(SDCARD_CMDLINE),FORCE)
	@echo "  SDCARD  $@"
	$(Q)FIRMWARE_DIR=$(SDCARD_FW_DIR) SDCARD_CMDLINE="$(SDCARD_CMDLINE)" \
		tools/mksdcard.sh $(BOARD) $(BOARD_DIR)/kernel8.img $(DTB_DIR)/$(SDCARD_DTB).dtb \
		$@ $(SDCARD_INITRD) > /dev/null
	$(Q)bmaptool create -o $@.bmap $@

else

sdcard sdcard-check:
	@echo "make sdcard: BOARD must be rpi3b or rpi4b (BOARD=$(BOARD))" >&2; exit 1

endif
