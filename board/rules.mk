# board/: per-board DTS, QEMU command lines and boot files. board/<name>/board.mk defines
# the QEMU machine and the DTB to build for BOARD=<name>.
-include board/$(BOARD)/board.mk
.PHONY: board-files
board-files:
