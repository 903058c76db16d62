# board/: per-board DTS, QEMU command lines and boot files. board/<name>/board.mk defines
# the QEMU machine and the DTB to build for BOARD=<name>.
boards := $(patsubst board/%/board.mk,%,$(wildcard board/*/board.mk))
ifeq ($(filter $(BOARD),$(boards)),)
$(error BOARD=$(BOARD) is not a board; the boards are: $(boards))
endif

# $(call board-fixed,VAR,accepted values,reason): a board whose QEMU machine cannot honour VAR
# (the Pis have fixed RAM, CPU count and CPU type) refuses a VAR= given on the command line or
# in the environment, instead of silently dropping it. Empty or an accepted value is fine.
board-fixed = $(if $(filter command line environment override,$(origin $(1))),$(if $(strip $($(1))),$(if \
	$(filter $($(1)),$(2)),,$(error BOARD=$(BOARD): $(1)=$($(1)) cannot be applied: $(3); omit $(1)=))))

include board/$(BOARD)/board.mk
.PHONY: board-files
board-files:
