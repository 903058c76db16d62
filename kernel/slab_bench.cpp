// The object allocator's benchmark (kernel only): instruction counts of kmalloc/kfree and
// kmem_cache_alloc/free pairs and the memory overhead of a mixed workload, run by `bench=slab`
// (the slab_bench KTEST suite's BENCH) and the `slabbench` console command.
#include "core/compiler.h"
#include "kernel/bench.h"
#include "kernel/console.h"
#include "core/printk.h"
#include "kernel/shell.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/slab_active.h"

// Figures go out as "bench: <name>: <value> <unit>" lines (kernel/bench.h), which `make bench`
// collects for SLUB and SLOB side by side. Under QEMU -icount shift=0 a guest nanosecond is one
// instruction. Each figure is the mean over BENCH_ITERS back-to-back pairs minus the cost of the
// same loop without the calls.

static constexpr unsigned BENCH_ITERS = 8192;

static u64 __attribute__((noinline)) empty_loop_ns()
{
	u64 t0 = bench_now_ns();
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		void *p = nullptr;
		bench_keep(p);
	}
	return bench_now_ns() - t0;
}

// One object of the size stays allocated around each loop, so the pair measures the steady
// state: without it SLOB would hand its then-empty page back to the buddy on every free.
// Alloc is a template over the size so that kmalloc sees a compile-time constant, as at a
// kmalloc(sizeof(T)) call site; bench_kmalloc_var passes the size through a noinline call, as
// a caller with a run-time size (kmalloc(len)) does.
template <class Alloc> static u64 bench_kmalloc_pairs(Alloc alloc)
{
	void *anchor = alloc();
	for (unsigned i = 0; i < 64; i++)
		kfree(alloc());
	u64 t0 = bench_now_ns();
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		void *p = alloc();
		bench_keep(p);
		kfree(p);
	}
	u64 t = bench_now_ns() - t0, e = empty_loop_ns();
	kfree(anchor);
	return t > e ? t - e : 0;
}

template <usize Size> static u64 __attribute__((noinline)) bench_kmalloc()
{
	return bench_kmalloc_pairs([] { return kmalloc(Size, GFP_KERNEL); });
}

static u64 __attribute__((noinline)) bench_kmalloc_var(usize size)
{
	return bench_kmalloc_pairs([size] {
		usize n = size;
		OPTIMIZER_HIDE_VAR(n); // never a compile-time constant
		return kmalloc(n, GFP_KERNEL);
	});
}

static u64 bench_cache(kmem_cache *s)
{
	void *anchor = kmem_cache_alloc(s, GFP_KERNEL);
	for (unsigned i = 0; i < 64; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	u64 t0 = bench_now_ns();
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);
		bench_keep(p);
		kmem_cache_free(s, p);
	}
	u64 t = bench_now_ns() - t0, e = empty_loop_ns();
	kmem_cache_free(s, anchor);
	return t > e ? t - e : 0;
}

static unsigned long settled_free_pages()
{
	slab_ledger_objects(); // shrinks every cache and drains the per-CPU page lists
	return nr_free_pages();
}

// The fixed mixed workload: 4000 objects, 60% 8..64 bytes, 25% 65..256, 10% 257..1024,
// 5% 1025..4000 (fixed-seed xorshift), all live at once. Overhead = pages the allocator took
// from the buddy (after draining) per live byte requested.
static void bench_overhead()
{
	constexpr unsigned N = 4000;
	// The pointer array comes from the buddy directly so it is not part of the measurement.
	page *arr = alloc_pages(GFP_KERNEL, 3);
	if (!arr) {
		pr_err("slabbench: no memory for the workload\n");
		return;
	}
	void **objs = static_cast<void **>(page_address(arr));
	unsigned long before = settled_free_pages();
	u64 x = 0x2545f4914f6cdd1dull;
	auto next = [&x] {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		return x;
	};
	unsigned long live = 0;
	unsigned n = 0;
	for (; n < N; n++) {
		unsigned r = next() % 100;
		usize size = r < 60 ? 8 + next() % 57 : r < 85 ? 65 + next() % 192 : r < 95 ? 257 + next() % 768 : 1025 + next() % 2976;
		objs[n] = kmalloc(size, GFP_KERNEL);
		if (!objs[n])
			break;
		live += size;
	}
	drain_all_pages(nullptr);
	unsigned long after = nr_free_pages();
	for (unsigned i = 0; i < n; i++)
		kfree(objs[(i * 7919u) % n]); // 7919 is prime, coprime to n=4000: each object once
	__free_pages(arr, 3);
	settled_free_pages();
	unsigned long pages = before - after;
	bench_report("slab_mixed_live_bytes", live, "B");
	bench_report("slab_mixed_pages", pages, "pages");
	bench_report_ratio("slab_mixed_bytes_per_live_byte", static_cast<u64>(pages) * PAGE_SIZE, live, "B/B");
}

void slab_bench_run()
{
	pr_info("slabbench: %s\n", slab_allocator_name());
	static constexpr usize sizes[] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096};
	static constexpr u64 (*const bench_const[])() = {
		bench_kmalloc<8>,   bench_kmalloc<16>,  bench_kmalloc<32>,  bench_kmalloc<64>,
		bench_kmalloc<96>,  bench_kmalloc<128>, bench_kmalloc<192>, bench_kmalloc<256>,
		bench_kmalloc<512>, bench_kmalloc<1024>, bench_kmalloc<2048>, bench_kmalloc<4096>,
	};
	static_assert(sizeof(sizes) / sizeof(sizes[0]) == sizeof(bench_const) / sizeof(bench_const[0]));
	for (usize i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[48];
		// kmalloc(constant): what kmalloc(sizeof(T)) call sites pay.
		kstd::snprintf(name, sizeof(name), "kmalloc%zu_fast_alloc_free", sizes[i]);
		bench_report_ratio(name, bench_const[i](), BENCH_ITERS, "insn");
	}
	for (usize size : sizes) {
		char name[48];
		// kmalloc(variable): the run-time size-class lookup included.
		kstd::snprintf(name, sizeof(name), "kmalloc%zu_varsize_alloc_free", size);
		bench_report_ratio(name, bench_kmalloc_var(size), BENCH_ITERS, "insn");
	}
	static const unsigned csizes[] = {32, 64, 256, 1024};
	for (unsigned size : csizes) {
		char name[48];
		kstd::snprintf(name, sizeof(name), "bench-obj-%u", size);
		// SLAB_RECLAIM_ACCOUNT keeps the cache from being merged into kmalloc-N.
		kmem_cache *s = kmem_cache_create(name, size, 0, SLAB_RECLAIM_ACCOUNT, nullptr);
		if (!s) {
			pr_err("slabbench: cannot create %s\n", name);
			continue;
		}
		kstd::snprintf(name, sizeof(name), "kmem_cache%u_alloc_free", size);
		bench_report_ratio(name, bench_cache(s), BENCH_ITERS, "insn");
		kmem_cache_destroy(s);
	}
	bench_overhead();
}

static int cmd_slabbench(int, char **)
{
	slab_bench_run();
	return 0;
}
CONSOLE_CMD(cmd_slabbench_rec, "slabbench", "object allocator benchmarks (instructions, overhead)", cmd_slabbench);
