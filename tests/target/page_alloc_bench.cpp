// Page allocator benchmarks (issue 4 item 10) and the fragmentation report (item 9).
#include "kernel/bench.h"
#include "core/printk.h"
#include "mm/gfp.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

static constexpr u64 ITER = 20000;

// Order-0 alloc+free that stays on the per-CPU list: the fast path.
BENCH(page_order0_pcp_hit)
{
	__free_pages(alloc_pages(GFP_KERNEL, 0), 0); // warm the list
	u64 t0 = bench_now_ns();
	for (u64 i = 0; i < ITER; i++) {
		page *p = alloc_pages(GFP_KERNEL, 0);
		if (!p)
			return;
		__free_pages(p, 0);
	}
	bench_report_ratio("page_order0_pcp_hit_alloc_free", bench_now_ns() - t0, ITER, "insn");
}

// Allocating far more than the per-CPU list holds forces refills (rmqueue_bulk) and freeing
// them forces drains (free_pcppages_bulk): the per-page cost with the buddy in the loop.
BENCH(page_order0_refill)
{
	static page *pages[4096];
	u64 t0 = bench_now_ns();
	usize n = 0;
	for (; n < 4096; n++)
		if (!(pages[n] = alloc_pages(GFP_KERNEL, 0)))
			break;
	for (usize i = 0; i < n; i++)
		__free_pages(pages[i], 0);
	bench_report_ratio("page_order0_refill_alloc_free", bench_now_ns() - t0, n, "insn");
}

static void order_pair(unsigned order, const char *name)
{
	u64 t0 = bench_now_ns();
	u64 iter = order >= 9 ? ITER / 10 : ITER;
	for (u64 i = 0; i < iter; i++) {
		page *p = alloc_pages(GFP_KERNEL, order);
		if (!p)
			return;
		__free_pages(p, order);
	}
	bench_report_ratio(name, bench_now_ns() - t0, iter, "insn");
}

BENCH(page_order3) { order_pair(3, "page_order3_alloc_free"); }
BENCH(page_order9) { order_pair(9, "page_order9_alloc_free"); }

BENCH(memmap_init)
{
	u64 gib100 = mm_boot_stats.present_bytes * 100 / SZ_1G;
	bench_report("memmap_init_total", mm_boot_stats.memmap_init_ns, "insn");
	bench_report("memmap_present_MiB", mm_boot_stats.present_bytes >> 20, "MiB");
	if (gib100)
		bench_report("memmap_init_per_GiB", mm_boot_stats.memmap_init_ns * 100 / gib100, "insn");
}

BENCH(fragmentation)
{
	fragmentation_result grouped{}, ungrouped{};
	fragmentation_selftest_both(&grouped, &ungrouped);
	bench_report("order9_blocks_after_fragmenting_grouped", grouped.order9_blocks, "blocks");
	bench_report("order9_blocks_after_fragmenting_ungrouped", ungrouped.order9_blocks, "blocks");
}
