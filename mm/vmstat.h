// Zone/node counters and VM events, and the /proc-style dumps (Linux 6.1 mm/vmstat.c,
// fs/proc/meminfo.c). Counters are exact atomics (Linux batches per-CPU deltas; here the
// ledger must be exact at any instant). Events are per CPU, bumped with IRQs off.
#pragma once

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "mm/mmzone.h"

enum vm_event_item {
	PGALLOC_DMA,
	PGALLOC_DMA32,
	PGALLOC_NORMAL,
	PGALLOC_MOVABLE,
	PGFREE,
	PGFAULT,
	PGMAJFAULT,
	NR_VM_EVENT_ITEMS,
};
static_assert(PGALLOC_MOVABLE - PGALLOC_DMA == ZONE_MOVABLE - ZONE_DMA);

extern unsigned long vm_event_states[NR_CPUS][NR_VM_EVENT_ITEMS];
extern long vm_zone_stat[NR_VM_ZONE_STAT_ITEMS];
extern long vm_node_stat[NR_VM_NODE_STAT_ITEMS];

inline void count_vm_events(vm_event_item item, unsigned long delta)
{
	irqflags_t f = arch_local_irq_save();
	vm_event_states[smp_processor_id()][item] += delta;
	arch_local_irq_restore(f);
}
inline void count_vm_event(vm_event_item item) { count_vm_events(item, 1); }
unsigned long global_vm_event(vm_event_item item);

inline void __mod_zone_page_state(zone *z, zone_stat_item item, long delta)
{
	__atomic_fetch_add(&z->vm_stat[item], delta, __ATOMIC_RELAXED);
	__atomic_fetch_add(&vm_zone_stat[item], delta, __ATOMIC_RELAXED);
}
inline unsigned long zone_page_state(const zone *z, zone_stat_item item)
{
	long v = __atomic_load_n(&z->vm_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
inline unsigned long global_zone_page_state(zone_stat_item item)
{
	long v = __atomic_load_n(&vm_zone_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
inline void mod_node_page_state(pglist_data *pgdat, node_stat_item item, long delta)
{
	__atomic_fetch_add(&pgdat->vm_stat[item], delta, __ATOMIC_RELAXED);
	__atomic_fetch_add(&vm_node_stat[item], delta, __ATOMIC_RELAXED);
}
inline unsigned long node_page_state(const pglist_data *pgdat, node_stat_item item)
{
	long v = __atomic_load_n(&pgdat->vm_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}
inline unsigned long global_node_page_state(node_stat_item item)
{
	long v = __atomic_load_n(&vm_node_stat[item], __ATOMIC_RELAXED);
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}

extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

// Linux's si_mem_available(): free minus reserves plus the reclaimable part of caches.
long si_mem_available();

// Text dumps in the formats of /proc/meminfo, /proc/buddyinfo, /proc/pagetypeinfo,
// /proc/zoneinfo and /proc/vmstat, printed line by line through printk.
void show_meminfo();
void show_buddyinfo();
void show_pagetypeinfo();
void show_zoneinfo();
void show_vmstat();

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
void show_unusable_index();
void show_extfrag_index();

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
