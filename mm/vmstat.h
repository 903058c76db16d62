// Zone/node counters and VM events, and the /proc-style dumps (Linux 6.1 mm/vmstat.c,
// include/linux/vmstat.h, fs/proc/meminfo.c).
//
// Counters as Linux keeps them: each zone and node has an atomic total, and each CPU a small
// signed delta per item (per_cpu_zonestat, per_cpu_nodestat in mm/mmzone.h). An update adds
// to the CPU's delta and folds it into the total only when it passes the zone's
// stat_threshold (calculate_normal_threshold(): a few pages, growing with the zone and the
// number of CPUs), so the total may lag by up to threshold pages per CPU. zone_page_state()
// reads the total (Linux's approximate reader: watermark checks); readers that must be exact
// -- nr_free_pages(), the reports, the checkers -- use the _snapshot forms, which add every
// CPU's delta. refresh_cpu_vm_stats() folds one CPU's deltas (Linux's vmstat_update; here
// the console calls it when idle, as Linux's quiet_vmstat). Events are plain per-CPU
// counters, summed on read. Updates need IRQs off (the __ forms) or take care of it.
#pragma once

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "core/cpumask.h"
#include "core/printk.h"
#include "kstd/util.h"
#include "lib/seq_file.h"
#include "mm/mmzone.h"

#define FOR_ALL_ZONES(x) x##_DMA, x##_DMA32, x##_NORMAL, x##_MOVABLE
// Linux 6.1's vm_event_item for Debian's arm64 configuration (NUMA, NUMA_BALANCING,
// MIGRATION, COMPACTION, HUGETLB_PAGE, CMA, TRANSPARENT_HUGEPAGE, MEMORY_BALLOON,
// BALLOON_COMPACTION, SWAP, KSM, ZSWAP): /proc/vmstat prints them in this order.
enum vm_event_item {
	PGPGIN, PGPGOUT, PSWPIN, PSWPOUT,
	FOR_ALL_ZONES(PGALLOC),
	FOR_ALL_ZONES(ALLOCSTALL),
	FOR_ALL_ZONES(PGSCAN_SKIP),
	PGFREE, PGACTIVATE, PGDEACTIVATE, PGLAZYFREE,
	PGFAULT, PGMAJFAULT,
	PGLAZYFREED,
	PGREFILL,
	PGREUSE,
	PGSTEAL_KSWAPD, PGSTEAL_DIRECT,
	PGDEMOTE_KSWAPD, PGDEMOTE_DIRECT,
	PGSCAN_KSWAPD, PGSCAN_DIRECT, PGSCAN_DIRECT_THROTTLE,
	PGSCAN_ANON, PGSCAN_FILE, PGSTEAL_ANON, PGSTEAL_FILE,
	PGSCAN_ZONE_RECLAIM_FAILED,
	PGINODESTEAL, SLABS_SCANNED, KSWAPD_INODESTEAL,
	KSWAPD_LOW_WMARK_HIT_QUICKLY, KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	PAGEOUTRUN, PGROTATED,
	DROP_PAGECACHE, DROP_SLAB,
	OOM_KILL,
	NUMA_PTE_UPDATES, NUMA_HUGE_PTE_UPDATES, NUMA_HINT_FAULTS, NUMA_HINT_FAULTS_LOCAL, NUMA_PAGE_MIGRATE,
	PGMIGRATE_SUCCESS, PGMIGRATE_FAIL, THP_MIGRATION_SUCCESS, THP_MIGRATION_FAIL, THP_MIGRATION_SPLIT,
	COMPACTMIGRATE_SCANNED, COMPACTFREE_SCANNED, COMPACTISOLATED,
	COMPACTSTALL, COMPACTFAIL, COMPACTSUCCESS,
	KCOMPACTD_WAKE, KCOMPACTD_MIGRATE_SCANNED, KCOMPACTD_FREE_SCANNED,
	HTLB_BUDDY_PGALLOC, HTLB_BUDDY_PGALLOC_FAIL,
	CMA_ALLOC_SUCCESS, CMA_ALLOC_FAIL,
	UNEVICTABLE_PGCULLED, UNEVICTABLE_PGSCANNED, UNEVICTABLE_PGRESCUED, UNEVICTABLE_PGMLOCKED,
	UNEVICTABLE_PGMUNLOCKED, UNEVICTABLE_PGCLEARED, UNEVICTABLE_PGSTRANDED,
	THP_FAULT_ALLOC, THP_FAULT_FALLBACK, THP_FAULT_FALLBACK_CHARGE,
	THP_COLLAPSE_ALLOC, THP_COLLAPSE_ALLOC_FAILED,
	THP_FILE_ALLOC, THP_FILE_FALLBACK, THP_FILE_FALLBACK_CHARGE, THP_FILE_MAPPED,
	THP_SPLIT_PAGE, THP_SPLIT_PAGE_FAILED, THP_DEFERRED_SPLIT_PAGE, THP_SPLIT_PMD,
	THP_SCAN_EXCEED_NONE_PTE, THP_SCAN_EXCEED_SWAP_PTE, THP_SCAN_EXCEED_SHARED_PTE,
	THP_ZERO_PAGE_ALLOC, THP_ZERO_PAGE_ALLOC_FAILED,
	THP_SWPOUT, THP_SWPOUT_FALLBACK,
	BALLOON_INFLATE, BALLOON_DEFLATE, BALLOON_MIGRATE,
	SWAP_RA, SWAP_RA_HIT,
	KSM_SWPIN_COPY,
	COW_KSM,
	ZSWPIN, ZSWPOUT,
	NR_VM_EVENT_ITEMS,
};
#undef FOR_ALL_ZONES
static_assert(PGALLOC_MOVABLE - PGALLOC_DMA == ZONE_MOVABLE - ZONE_DMA);

extern unsigned long vm_event_states[NR_CPUS][NR_VM_EVENT_ITEMS];
extern long vm_zone_stat[NR_VM_ZONE_STAT_ITEMS];
extern long vm_node_stat[NR_VM_NODE_STAT_ITEMS];
extern unsigned long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS];

inline void __count_vm_events(vm_event_item item, unsigned long delta) { vm_event_states[smp_processor_id()][item] += delta; }
// Runs fn with IRQs off: the non-__ forms of the updates below.
template <typename Fn> inline void vmstat_irqsave(Fn fn)
{
	irqflags_t f = arch_local_irq_save();
	fn();
	arch_local_irq_restore(f);
}
inline void count_vm_events(vm_event_item item, unsigned long delta)
{
	vmstat_irqsave([&] { __count_vm_events(item, delta); });
}
inline void count_vm_event(vm_event_item item) { count_vm_events(item, 1); }
unsigned long global_vm_event(vm_event_item item);

// --- zone counters -----------------------------------------------------------------------
inline void zone_page_state_add(long x, zone *z, zone_stat_item item)
{
	__atomic_fetch_add(&z->vm_stat[item], x, __ATOMIC_RELAXED);
	__atomic_fetch_add(&vm_zone_stat[item], x, __ATOMIC_RELAXED);
}
// Adds delta to one CPU's pending diff; returns what must go to the total now (all of it once
// it passes the threshold), 0 while it stays pending.
inline long vmstat_diff_add(i8 *diff, long threshold, long delta)
{
	long x = delta + *diff;
	if (unlikely(x > threshold || x < -threshold)) {
		*diff = 0;
		return x;
	}
	*diff = static_cast<i8>(x);
	return 0;
}
// IRQs off (or the counter never changes from IRQ context).
inline void __mod_zone_page_state(zone *z, zone_stat_item item, long delta)
{
	per_cpu_zonestat *pcs = &z->per_cpu_zonestats[smp_processor_id()];
	if (long x = vmstat_diff_add(&pcs->vm_stat_diff[item], pcs->stat_threshold, delta))
		zone_page_state_add(x, z, item);
}
inline void mod_zone_page_state(zone *z, zone_stat_item item, long delta)
{
	vmstat_irqsave([&] { __mod_zone_page_state(z, item, delta); });
}
// The folded total: behind by at most stat_threshold per CPU. Never negative (Linux clamps).
inline unsigned long zone_page_state(const zone *z, zone_stat_item item)
{
	long v = __atomic_load_n(&z->vm_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
// Exact: the total plus every CPU's pending delta.
inline unsigned long zone_page_state_snapshot(const zone *z, zone_stat_item item)
{
	long v = __atomic_load_n(&z->vm_stat[item], __ATOMIC_RELAXED);
	for_each_possible_cpu(cpu)
		v += __atomic_load_n(&z->per_cpu_zonestats[cpu].vm_stat_diff[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
inline unsigned long global_zone_page_state(zone_stat_item item)
{
	long v = __atomic_load_n(&vm_zone_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
// Exact sum over every zone (what nr_free_pages() and the reports read).
unsigned long global_zone_page_state_snapshot(zone_stat_item item);

// NUMA events of an allocation: counted per CPU, folded with the others (Linux's
// __count_numa_event; these are events, never negative, so no threshold applies).
inline void __count_numa_event(zone *z, numa_stat_item item)
{
	z->per_cpu_zonestats[smp_processor_id()].vm_numa_event[item]++;
}
// Linux's zone_statistics(preferred, z, nr_account): one allocation served by z.
void zone_statistics(const zone *preferred, zone *z);
unsigned long zone_numa_event_state(const zone *z, numa_stat_item item);
unsigned long global_numa_event_state(numa_stat_item item);

// --- node counters -----------------------------------------------------------------------
inline void node_page_state_add(long x, pglist_data *pgdat, node_stat_item item)
{
	__atomic_fetch_add(&pgdat->vm_stat[item], x, __ATOMIC_RELAXED);
	__atomic_fetch_add(&vm_node_stat[item], x, __ATOMIC_RELAXED);
}
// Byte items (vmstat_item_in_bytes) take deltas in whole pages' worth of bytes.
inline void __mod_node_page_state(pglist_data *pgdat, node_stat_item item, long delta)
{
	if (vmstat_item_in_bytes(item))
		delta >>= PAGE_SHIFT;
	per_cpu_nodestat *pcs = &pgdat->per_cpu_nodestats[smp_processor_id()];
	if (long x = vmstat_diff_add(&pcs->vm_node_stat_diff[item], pcs->stat_threshold, delta))
		node_page_state_add(x, pgdat, item);
}
inline void mod_node_page_state(pglist_data *pgdat, node_stat_item item, long delta)
{
	vmstat_irqsave([&] { __mod_node_page_state(pgdat, item, delta); });
}
// Pages (KiB for NR_KERNEL_STACK_KB), folded total.
inline unsigned long node_page_state(const pglist_data *pgdat, node_stat_item item)
{
	long v = __atomic_load_n(&pgdat->vm_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
inline unsigned long node_page_state_snapshot(const pglist_data *pgdat, node_stat_item item)
{
	long v = __atomic_load_n(&pgdat->vm_stat[item], __ATOMIC_RELAXED);
	for_each_possible_cpu(cpu)
		v += __atomic_load_n(&pgdat->per_cpu_nodestats[cpu].vm_node_stat_diff[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
inline unsigned long global_node_page_state(node_stat_item item)
{
	long v = __atomic_load_n(&vm_node_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
unsigned long global_node_page_state_snapshot(node_stat_item item);

// Slab pages (SLUB slabs, SLOB pages, large kmallocs) in and out of NR_SLAB_*_B, on the node
// of the page (Linux's account_slab / unaccount_slab; sign is +1 or -1).
inline void account_slab_pages(const page *pg, unsigned order, bool reclaimable, int sign)
{
	mod_node_page_state(page_pgdat(pg), reclaimable ? NR_SLAB_RECLAIMABLE_B : NR_SLAB_UNRECLAIMABLE_B,
			    sign * static_cast<long>(PAGE_SIZE << order));
}

// Folds this CPU's deltas and NUMA events into the totals (Linux's refresh_cpu_vm_stats).
// Returns the number of items that had a delta.
int refresh_cpu_vm_stats();
// Linux's calculate_normal_threshold(): 2 * fls(online CPUs) * (1 + fls(managed MiB / 128)),
// at most 125.
int calculate_normal_threshold(const zone *z);
// Sets every online CPU's threshold for every populated zone, and each node's to the largest
// of its zones' (Linux's refresh_zone_stat_thresholds). At boot after the watermarks, and
// whenever CPUs come or go.
void refresh_zone_stat_thresholds();

extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

// Linux's si_mem_available(): free minus reserves plus the reclaimable part of caches.
long si_mem_available();

// The generators of /proc/meminfo, /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo and
// /proc/vmstat (Linux 6.1's text): the /proc files and the console commands of the same names
// both run them. The printf_sink_t forms stream the same text to a sink (printk where the log
// wants it, a test's capture).
void show_meminfo(seq_file *m);
void show_buddyinfo(seq_file *m);
void show_pagetypeinfo(seq_file *m);
void show_zoneinfo(seq_file *m);
void show_vmstat(seq_file *m);
inline void show_meminfo(printf_sink_t out) { seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(show_meminfo)); }
inline void show_buddyinfo(printf_sink_t out) { seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(show_buddyinfo)); }
inline void show_pagetypeinfo(printf_sink_t out)
{
	seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(show_pagetypeinfo));
}
inline void show_zoneinfo(printf_sink_t out) { seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(show_zoneinfo)); }
inline void show_vmstat(printf_sink_t out) { seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(show_vmstat)); }
// Committed_AS in pages (Linux's vm_committed_as): the kernel layer, which sees every address
// space, installs the counter; nullptr (host tests, early boot) reads as 0.
extern unsigned long (*meminfo_committed_as)();

// Linux's unusable free space index and fragmentation index (x1000, as debugfs prints them:
// -1000 means "enough free blocks of this order exist") for one zone and order.
struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};
void fill_contig_page_info(const zone *z, unsigned suitable_order, contig_page_info *info);
int unusable_free_index(unsigned order, const contig_page_info *info);
int fragmentation_index_of(unsigned order, const contig_page_info *info);
// /sys/kernel/debug/extfrag/unusable_index and extfrag_index formats.
void show_unusable_index(printf_sink_t out);
void show_extfrag_index(printf_sink_t out);

// The fragmentation self-test (issue 4, item 9): in every populated zone of node 0 allowed for
// movable allocations, interleaves unmovable and movable order-0 allocations until memory is
// full, frees the movable ones, prints the indices for orders 0..10 and counts how many order-9
// blocks can then be allocated; frees everything again. Runs with the current grouping mode.
struct fragmentation_result {
	unsigned long unmovable_pages;
	unsigned long movable_pages;
	unsigned long order9_blocks;
	int unusable_index[MAX_ORDER];      // summed over zones, per mille of all free pages
	int fragmentation_index[MAX_ORDER]; // of the largest zone
};
fragmentation_result fragmentation_selftest();
// Runs the self-test with grouping by mobility on and then off; prints both results.
void fragmentation_selftest_both(fragmentation_result *grouped, fragmentation_result *ungrouped);
