// Benchmarks run on target: BENCH(name) registers one; `bench=all` or `bench=<name>,...` on
// the command line runs them at boot and powers off (like ktest=). Under QEMU with
// `-icount shift=0` one guest nanosecond is one instruction, so figures are instruction
// counts that repeat exactly; on hardware they are nanoseconds.
//
// Each benchmark prints its figures with bench_report(): one machine-readable line
//   "bench: <name>: <value> <unit>"
// that `make bench` collects.
#pragma once

#include "kstd/types.h"

struct BenchCase {
	const char *name;
	void (*fn)();
};

#define BENCH(name)                                                                           \
	static void bench_##name();                                                                \
	[[gnu::used, gnu::section("bench_cases")]] static const BenchCase bench_rec_##name = {#name, \
											       bench_##name}; \
	static void bench_##name()

// A benchmark loop's sink: OPTIMIZER_HIDE_VAR(var) and barrier() in one volatile statement,
// so it stays in every iteration. The value is produced and consumed once per iteration as at
// a real call site, and the empty loop that is subtracted keeps the same shape as the
// measured one: a plain OPTIMIZER_HIDE_VAR of a loop-invariant value would be hoisted out of
// the loop (empty_loop_ns would lose an instruction per iteration and every figure would
// shift by one).
#define bench_keep(var) __asm__ __volatile__("" : "+r"(var) : : "memory")

// Guest nanoseconds (= instructions under -icount shift=0) from the generic counter.
u64 bench_now_ns();
void bench_report(const char *name, u64 value, const char *unit);
// value/scale with 2 decimals, e.g. 12345/100 iterations -> "123.45".
void bench_report_ratio(const char *name, u64 total, u64 iterations, const char *unit);

bool bench_run_selected();

// Boot measurements for `make bench`: time to build the memory map (bootmem_init: sparse_init
// + free_area_init) and the RAM it covers.
struct MmBootStats {
	u64 memmap_init_ns;
	u64 present_bytes;
};
extern MmBootStats mm_boot_stats;
