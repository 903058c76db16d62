# tests/fuzz/fuzz.mk: the DTB fixtures the host suite needs, and the libFuzzer target over the
# DT memory parser (lib/of + mm/dt_memory + mm/memblock + kernel/params).
#   make host-fixtures            QEMU virt dumps and Pi DTBs in build/fixtures/ (when missing)
#   make fuzz FUZZ_SECONDS=N      fuzz for N seconds (default 600), corpus in build/fuzz/corpus
#   make fuzz-smoke               replay tests/fuzz/regressions/, then fuzz 20 s; fails on a crash
# Crash inputs are written to tests/fuzz/regressions/ (commit them); the host suite replays
# every file there through the same harness (tests/host/test_dt_memory.cpp).
# Included from tests/rules.mk; must not change the default goal.
fuzz-saved-default-goal := $(.DEFAULT_GOAL)

FIXTURES := $(BUILD)/fixtures
FUZZ_OBJ := $(BUILD)/fuzz
FUZZ_BIN := $(FUZZ_OBJ)/fuzz_dt_memory
FUZZ_CORPUS := $(FUZZ_OBJ)/corpus
FUZZ_REGRESSIONS := tests/fuzz/regressions
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20

FUZZ_CXXFLAGS := -std=c++20 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Itests/host/include -I. -Iinclude -Ilib -DHOST_TEST=1 -DFUZZ_TEST=1 -MMD -MP \
	$(if $(filter 1,$(WERROR)),-Werror)
# The library sources the harness reaches (lib/ as in the host suite), plus the fuzz seams.
fuzz-srcs := $(sort $(filter lib/%,$(host-srcs)) mm/dt_memory.cpp mm/memblock.cpp mm/cma_early.cpp \
	kernel/params.cpp tests/fuzz/fuzz_support.cpp tests/fuzz/fuzz_dt_memory.cpp)
fuzz-objs := $(patsubst %.cpp,$(FUZZ_OBJ)/%.o,$(fuzz-srcs))

.PHONY: host-fixtures fuzz fuzz-smoke fuzz-corpus

host-fixtures:
	$(Q)tools/gen_dtb_fixtures.sh $(FIXTURES)

host-test: host-fixtures

$(FUZZ_OBJ)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  FUZZCXX $<"
	$(Q)$(CLANGXX) $(FUZZ_CXXFLAGS) -c $< -o $@

$(FUZZ_BIN): $(fuzz-objs)
	@echo "  FUZZLD  $@"
	$(Q)$(CLANGXX) $(FUZZ_CXXFLAGS) -o $@ $(fuzz-objs) -lfdt

# Seeds: every fixture as dumped, plus a packed copy (QEMU's are 1 MiB, mostly padding,
# which slows every mutation down), plus tests/fuzz/seeds/*.dts: the reserved-memory,
# NUMA and cell forms the fixtures lack.
fuzz-corpus: host-fixtures
	$(Q)mkdir -p $(FUZZ_CORPUS)
	$(Q)for f in $(FIXTURES)/*.dtb; do \
		n=$$(basename $$f .dtb); \
		[ -e $(FUZZ_CORPUS)/seed-$$n.dtb ] || cp $$f $(FUZZ_CORPUS)/seed-$$n.dtb; \
		[ -e $(FUZZ_CORPUS)/seed-$$n-packed.dtb ] || \
			$(DTC) -q -I dtb -O dtb -o $(FUZZ_CORPUS)/seed-$$n-packed.dtb $$f; \
	done
	$(Q)for f in tests/fuzz/seeds/*.dts; do \
		o=$(FUZZ_CORPUS)/seed-$$(basename $$f .dts).dtb; \
		[ $$o -nt $$f ] || $(DTC) -q -I dts -O dtb -o $$o $$f; \
	done

DTC ?= dtc
FUZZ_FLAGS := -artifact_prefix=$(FUZZ_REGRESSIONS)/ -dict=tests/fuzz/dt.dict -print_final_stats=1 \
	-timeout=10 -rss_limit_mb=2048

fuzz: $(FUZZ_BIN) fuzz-corpus
	$(Q)$(FUZZ_BIN) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_CORPUS)

fuzz-smoke: $(FUZZ_BIN) fuzz-corpus
	$(Q)regs=$$(find $(FUZZ_REGRESSIONS) -type f ! -name '.*'); \
	if [ -n "$$regs" ]; then $(FUZZ_BIN) $$regs; fi
	$(Q)$(FUZZ_BIN) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SMOKE_SECONDS) $(FUZZ_CORPUS)

-include $(fuzz-objs:.o=.d)

.DEFAULT_GOAL := $(fuzz-saved-default-goal)
