# board/dtb.mk: every board/<board>/<name>.dts compiles to build/dtb/<name>.dtb.
#   make dtbs            all of them
#   $(DTBS)              their paths, for tests (host DT parser tests, the SD card)
# Includes (/include/ "x.dtsi") are tracked through dtc's dependency output (plus empty
# rules, as gcc -MP writes, so that a removed .dtsi does not break the build). A DTS must
# compile without a single dtc warning: the rule fails on any, rather than silencing checks.
# Needs BUILD and Q from the top-level Makefile.

DTC ?= dtc
DTB_DIR := $(BUILD)/dtb
# Checks dtc leaves off by default that the project's DTS files also pass.
DTC_FLAGS := -I dts -O dtb -Wnode_name_chars_strict -Wproperty_name_chars_strict

DTS_SRCS := $(sort $(wildcard board/*/*.dts))
DTBS := $(patsubst %.dts,$(DTB_DIR)/%.dtb,$(notdir $(DTS_SRCS)))

dtb-dup := $(strip $(foreach n,$(sort $(notdir $(DTS_SRCS))),$(if $(filter-out 1,$(words $(filter %/$(n),$(DTS_SRCS)))),$(n))))
ifneq ($(dtb-dup),)
$(error board/*/: DTS file names must be unique, as build/dtb/ is flat: $(dtb-dup))
endif

define dtb_rule
$(DTB_DIR)/$(basename $(notdir $(1))).dtb: $(1)
	@mkdir -p $$(dir $$@)
	@echo "  DTC     $$@"
	$$(Q)$$(DTC) $$(DTC_FLAGS) -d $$@.d -o $$@ $$< 2> $$@.log || { cat $$@.log >&2; rm -f $$@ $$@.d $$@.log; exit 1; }
	$$(Q)if [ -s $$@.log ]; then cat $$@.log >&2; echo "$$<: dtc warnings are errors here" >&2; \
		rm -f $$@ $$@.d $$@.log; exit 1; fi; rm -f $$@.log
	$$(Q)sed -n 's/^[^:]*: *//p' $$@.d | tr ' ' '\n' | sed '/^$$$$/d; s/$$$$/:/' >> $$@.d
endef
$(foreach s,$(DTS_SRCS),$(eval $(call dtb_rule,$(s))))

-include $(DTBS:=.d)

.PHONY: dtbs
dtbs: $(DTBS)
