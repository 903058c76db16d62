// Counters and the /proc-style text dumps, in Linux 6.1's formats.
#include "mm/vmstat.h"

#include "core/compiler.h"
#include "core/printk.h"
#include "kstd/util.h"
#include "lib/format.h"
#include "mm/page_alloc.h"
#include "mm/vmalloc.h"

unsigned long vm_event_states[NR_CPUS][NR_VM_EVENT_ITEMS];
long vm_zone_stat[NR_VM_ZONE_STAT_ITEMS];
long vm_node_stat[NR_VM_NODE_STAT_ITEMS];
unsigned long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS];

// Linux 6.1's vmstat_text, in its order (zone items, NUMA events, node items, the two dirty
// thresholds, then the events).
const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
	"nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock", "nr_bounce",
	"nr_zspages", "nr_free_cma",
};
const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS] = {
	"numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
};
const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
	"nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
	"workingset_nodes", "workingset_refault_anon", "workingset_refault_file", "workingset_activate_anon",
	"workingset_activate_file", "workingset_restore_anon", "workingset_restore_file",
	"workingset_nodereclaim", "nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
	"nr_writeback_temp", "nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages",
	"nr_file_pmdmapped", "nr_anon_transparent_hugepages", "nr_vmscan_write", "nr_vmscan_immediate_reclaim",
	"nr_dirtied", "nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
	"nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages", "nr_sec_page_table_pages",
	"nr_swapcached", "pgpromote_success", "pgpromote_candidate",
};
const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	"pgpgin", "pgpgout", "pswpin", "pswpout",
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable",
	"allocstall_dma", "allocstall_dma32", "allocstall_normal", "allocstall_movable",
	"pgskip_dma", "pgskip_dma32", "pgskip_normal", "pgskip_movable",
	"pgfree", "pgactivate", "pgdeactivate", "pglazyfree", "pgfault", "pgmajfault", "pglazyfreed",
	"pgrefill", "pgreuse", "pgsteal_kswapd", "pgsteal_direct", "pgdemote_kswapd", "pgdemote_direct",
	"pgscan_kswapd", "pgscan_direct", "pgscan_direct_throttle", "pgscan_anon", "pgscan_file",
	"pgsteal_anon", "pgsteal_file", "zone_reclaim_failed", "pginodesteal", "slabs_scanned",
	"kswapd_inodesteal", "kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly", "pageoutrun",
	"pgrotated", "drop_pagecache", "drop_slab", "oom_kill",
	"numa_pte_updates", "numa_huge_pte_updates", "numa_hint_faults", "numa_hint_faults_local",
	"numa_pages_migrated", "pgmigrate_success", "pgmigrate_fail", "thp_migration_success",
	"thp_migration_fail", "thp_migration_split", "compact_migrate_scanned", "compact_free_scanned",
	"compact_isolated", "compact_stall", "compact_fail", "compact_success", "compact_daemon_wake",
	"compact_daemon_migrate_scanned", "compact_daemon_free_scanned", "htlb_buddy_alloc_success",
	"htlb_buddy_alloc_fail", "cma_alloc_success", "cma_alloc_fail", "unevictable_pgs_culled",
	"unevictable_pgs_scanned", "unevictable_pgs_rescued", "unevictable_pgs_mlocked",
	"unevictable_pgs_munlocked", "unevictable_pgs_cleared", "unevictable_pgs_stranded",
	"thp_fault_alloc", "thp_fault_fallback", "thp_fault_fallback_charge", "thp_collapse_alloc",
	"thp_collapse_alloc_failed", "thp_file_alloc", "thp_file_fallback", "thp_file_fallback_charge",
	"thp_file_mapped", "thp_split_page", "thp_split_page_failed", "thp_deferred_split_page",
	"thp_split_pmd", "thp_scan_exceed_none_pte", "thp_scan_exceed_swap_pte", "thp_scan_exceed_share_pte",
	"thp_zero_page_alloc", "thp_zero_page_alloc_failed", "thp_swpout", "thp_swpout_fallback",
	"balloon_inflate", "balloon_deflate", "balloon_migrate", "swap_ra", "swap_ra_hit", "ksm_swpin_copy",
	"cow_ksm", "zswpin", "zswpout",
};

static inline unsigned long K(unsigned long pages) { return pages << (PAGE_SHIFT - 10); }

unsigned long global_vm_event(vm_event_item item)
{
	unsigned long sum = 0;
	for_each_possible_cpu(cpu)
		sum += __atomic_load_n(&vm_event_states[cpu][item], __ATOMIC_RELAXED);
	// pcp hits count their events in the per-CPU lists (mm/mmzone.h).
	if (item == PGFREE || (item >= PGALLOC_DMA && item <= PGALLOC_MOVABLE)) {
		for (int nid = 0; nid < MAX_NUMNODES; nid++) {
			for (int j = 0; j < MAX_NR_ZONES; j++) {
				if (item != PGFREE && j != item - PGALLOC_DMA)
					continue;
				zone *z = &NODE_DATA(nid)->node_zones[j];
				for_each_possible_cpu(cpu)
					sum += __atomic_load_n(item == PGFREE ? &z->pcp[cpu].pgfree : &z->pcp[cpu].pgalloc,
							       __ATOMIC_RELAXED);
			}
		}
	}
	return sum;
}

unsigned long global_zone_page_state_snapshot(zone_stat_item item)
{
	long v = 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		for (const zone &z : NODE_DATA(nid)->node_zones) {
			v += __atomic_load_n(&z.vm_stat[item], __ATOMIC_RELAXED);
			for_each_possible_cpu(cpu)
				v += __atomic_load_n(&z.per_cpu_zonestats[cpu].vm_stat_diff[item], __ATOMIC_RELAXED);
		}
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}

unsigned long global_node_page_state_snapshot(node_stat_item item)
{
	long v = 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const pglist_data *pgdat = NODE_DATA(nid);
		v += __atomic_load_n(&pgdat->vm_stat[item], __ATOMIC_RELAXED);
		for_each_possible_cpu(cpu)
			v += __atomic_load_n(&pgdat->per_cpu_nodestats[cpu].vm_node_stat_diff[item], __ATOMIC_RELAXED);
	}
	return v < 0 ? 0 : static_cast<unsigned long>(v);
}

// The order-0 fast path counts its allocations only as pgalloc on the pcp line (mm/mmzone.h):
// each is one allocation from the zone it decided to try first, which is the preferred zone
// (a NUMA hit), and local when that zone is on the local node.
static unsigned long pcp_fast_allocs(const zone *z)
{
	unsigned long v = 0;
	for_each_possible_cpu(cpu)
		v += __atomic_load_n(&z->pcp[cpu].pgalloc, __ATOMIC_RELAXED);
	return v;
}

void zone_statistics(const zone *preferred, zone *z)
{
	int local_nid = local_pgdat ? local_pgdat->node_id : 0;
	irqflags_t f = arch_local_irq_save();
	if (z->node == preferred->node) {
		__count_numa_event(z, NUMA_HIT);
	} else {
		__count_numa_event(z, NUMA_MISS);
		__count_numa_event(const_cast<zone *>(preferred), NUMA_FOREIGN);
	}
	__count_numa_event(z, z->node == local_nid ? NUMA_LOCAL : NUMA_OTHER);
	arch_local_irq_restore(f);
}

unsigned long zone_numa_event_state(const zone *z, numa_stat_item item)
{
	unsigned long v = __atomic_load_n(&z->vm_numa_event[item], __ATOMIC_RELAXED);
	for_each_possible_cpu(cpu)
		v += __atomic_load_n(&z->per_cpu_zonestats[cpu].vm_numa_event[item], __ATOMIC_RELAXED);
	int local_nid = local_pgdat ? local_pgdat->node_id : 0;
	if (item == NUMA_HIT || (item == NUMA_LOCAL && z->node == local_nid) || (item == NUMA_OTHER && z->node != local_nid))
		v += pcp_fast_allocs(z);
	return v;
}

unsigned long global_numa_event_state(numa_stat_item item)
{
	unsigned long v = 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		for (const zone &z : NODE_DATA(nid)->node_zones)
			v += zone_numa_event_state(&z, item);
	return v;
}

int refresh_cpu_vm_stats()
{
	int changes = 0;
	irqflags_t f = arch_local_irq_save();
	unsigned cpu = smp_processor_id();
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		pglist_data *pgdat = NODE_DATA(nid);
		for (zone &z : pgdat->node_zones) {
			per_cpu_zonestat *pzs = &z.per_cpu_zonestats[cpu];
			for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++) {
				long v = pzs->vm_stat_diff[i];
				if (v) {
					pzs->vm_stat_diff[i] = 0;
					zone_page_state_add(v, &z, static_cast<zone_stat_item>(i));
					changes++;
				}
			}
			for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++) {
				unsigned long v = pzs->vm_numa_event[i];
				if (v) {
					pzs->vm_numa_event[i] = 0;
					__atomic_fetch_add(&z.vm_numa_event[i], v, __ATOMIC_RELAXED);
					__atomic_fetch_add(&vm_numa_event[i], v, __ATOMIC_RELAXED);
				}
			}
		}
		per_cpu_nodestat *pns = &pgdat->per_cpu_nodestats[cpu];
		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
			long v = pns->vm_node_stat_diff[i];
			if (v) {
				pns->vm_node_stat_diff[i] = 0;
				node_page_state_add(v, pgdat, static_cast<node_stat_item>(i));
				changes++;
			}
		}
	}
	arch_local_irq_restore(f);
	return changes;
}

int calculate_normal_threshold(const zone *z)
{
	// Linux's reasoning: the threshold grows with the number of CPUs (more contention on the
	// total) and logarithmically with the zone (a larger zone tolerates more drift).
	unsigned long mem = zone_managed_pages(z) >> (27 - PAGE_SHIFT);
	int threshold = 2 * kstd::fls64(num_online_cpus()) * (1 + kstd::fls64(mem));
	return kstd::min(125, threshold);
}

void refresh_zone_stat_thresholds()
{
	for_each_online_pgdat(pgdat)
		for_each_online_cpu(cpu)
			pgdat->per_cpu_nodestats[cpu].stat_threshold = 0;
	for_each_populated_zone(z) {
		int threshold = calculate_normal_threshold(z);
		per_cpu_nodestat *pns = z->zone_pgdat->per_cpu_nodestats;
		for_each_online_cpu(cpu) {
			z->per_cpu_zonestats[cpu].stat_threshold = static_cast<i8>(threshold);
			// The node's threshold follows its largest populated zone.
			pns[cpu].stat_threshold = static_cast<i8>(kstd::max<int>(threshold, pns[cpu].stat_threshold));
		}
	}
}

// Reports read exact values: the totals plus every CPU's pending delta.
static unsigned long zone_stat(const zone *z, int item) { return zone_page_state_snapshot(z, static_cast<zone_stat_item>(item)); }
static unsigned long global_zone_stat(int item) { return global_zone_page_state_snapshot(static_cast<zone_stat_item>(item)); }
static unsigned long node_stat(const pglist_data *pgdat, int item) { return node_page_state_snapshot(pgdat, static_cast<node_stat_item>(item)); }
static unsigned long global_node_stat(int item) { return global_node_page_state_snapshot(static_cast<node_stat_item>(item)); }

long si_mem_available()
{
	unsigned long wmark_low = 0;
	for_each_zone(z)
		wmark_low += low_wmark_pages(z);
	long available = static_cast<long>(global_zone_stat(NR_FREE_PAGES)) - static_cast<long>(totalreserve_pages);
	// Half of the page cache and of reclaimable slab, but not below the low watermarks.
	unsigned long pagecache = global_node_stat(NR_ACTIVE_FILE) + global_node_stat(NR_INACTIVE_FILE);
	pagecache -= kstd::min(pagecache / 2, wmark_low);
	available += static_cast<long>(pagecache);
	unsigned long reclaimable = global_node_stat(NR_SLAB_RECLAIMABLE_B) + global_node_stat(NR_KERNEL_MISC_RECLAIMABLE);
	available += static_cast<long>(reclaimable - kstd::min(reclaimable / 2, wmark_low));
	return available < 0 ? 0 : available;
}

// Linux's sysctl_overcommit_ratio default: CommitLimit = RAM * 50% + swap.
static constexpr unsigned long overcommit_ratio = 50;

unsigned long (*meminfo_committed_as)() = nullptr;

// Linux 6.1's meminfo_proc_show: each line is the name padded to 16 columns (the padding is
// part of the name, as Linux's strings), the value in KiB right-aligned in 8, " kB".
static void show_val_kb(seq_file *m, const char *name, unsigned long pages)
{
	seq_printf(m, "%-16s", name);
	seq_put_decimal_ull_width(m, nullptr, K(pages), 8);
	seq_write(m, " kB\n", 4);
}

void show_meminfo(seq_file *m)
{
	auto kb = [m](const char *name, unsigned long pages) { show_val_kb(m, name, pages); };
	auto kb_raw = [m](const char *name, unsigned long kbytes) {
		seq_printf(m, "%-16s", name);
		seq_put_decimal_ull_width(m, nullptr, kbytes, 8);
		seq_write(m, " kB\n", 4);
	};
	unsigned long lru[NR_UNEVICTABLE - NR_LRU_BASE + 1];
	for (int i = NR_LRU_BASE; i <= NR_UNEVICTABLE; i++)
		lru[i - NR_LRU_BASE] = global_node_stat(i);
	unsigned long sreclaimable = global_node_stat(NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = global_node_stat(NR_SLAB_UNRECLAIMABLE_B);
	unsigned long totalram = totalram_pages();
	// Cached: the page cache minus swap cache and buffers (none here yet).
	long cached = static_cast<long>(global_node_stat(NR_FILE_PAGES)) - static_cast<long>(global_node_stat(NR_SWAPCACHE));
	kb("MemTotal:", totalram);
	kb("MemFree:", global_zone_stat(NR_FREE_PAGES));
	kb("MemAvailable:", static_cast<unsigned long>(si_mem_available()));
	kb("Buffers:", 0);
	kb("Cached:", cached < 0 ? 0 : static_cast<unsigned long>(cached));
	kb("SwapCached:", global_node_stat(NR_SWAPCACHE));
	kb("Active:", lru[NR_ACTIVE_ANON] + lru[NR_ACTIVE_FILE]);
	kb("Inactive:", lru[NR_INACTIVE_ANON] + lru[NR_INACTIVE_FILE]);
	kb("Active(anon):", lru[NR_ACTIVE_ANON]);
	kb("Inactive(anon):", lru[NR_INACTIVE_ANON]);
	kb("Active(file):", lru[NR_ACTIVE_FILE]);
	kb("Inactive(file):", lru[NR_INACTIVE_FILE]);
	kb("Unevictable:", lru[NR_UNEVICTABLE]);
	kb("Mlocked:", global_zone_stat(NR_MLOCK));
	kb("SwapTotal:", 0);
	kb("SwapFree:", 0);
	kb("Zswap:", 0);
	kb("Zswapped:", 0);
	kb("Dirty:", global_node_stat(NR_FILE_DIRTY));
	kb("Writeback:", global_node_stat(NR_WRITEBACK));
	kb("AnonPages:", global_node_stat(NR_ANON_MAPPED));
	kb("Mapped:", global_node_stat(NR_FILE_MAPPED));
	kb("Shmem:", global_node_stat(NR_SHMEM));
	kb("KReclaimable:", sreclaimable + global_node_stat(NR_KERNEL_MISC_RECLAIMABLE));
	kb("Slab:", sreclaimable + sunreclaim);
	kb("SReclaimable:", sreclaimable);
	kb("SUnreclaim:", sunreclaim);
	kb_raw("KernelStack:", global_node_stat(NR_KERNEL_STACK_KB));
	kb("PageTables:", global_node_stat(NR_PAGETABLE));
	kb("SecPageTables:", global_node_stat(NR_SECONDARY_PAGETABLE));
	kb("NFS_Unstable:", 0);
	kb("Bounce:", global_zone_stat(NR_BOUNCE));
	kb("WritebackTmp:", global_node_stat(NR_WRITEBACK_TEMP));
	// No hugetlb pages are ever reserved, so the limit is RAM * ratio (Linux's vm_commit_limit).
	kb("CommitLimit:", totalram * overcommit_ratio / 100);
	kb("Committed_AS:", meminfo_committed_as ? meminfo_committed_as() : 0);
	vmalloc_meminfo vm = vmalloc_get_meminfo();
	kb_raw("VmallocTotal:", vm.total_kb);
	kb("VmallocUsed:", vm.used_pages);
	kb("VmallocChunk:", 0);
	kb("Percpu:", 0);
	seq_printf(m, "HardwareCorrupted: %5lu kB\n", 0UL);
	kb("AnonHugePages:", global_node_stat(NR_ANON_THPS));
	kb("ShmemHugePages:", global_node_stat(NR_SHMEM_THPS));
	kb("ShmemPmdMapped:", global_node_stat(NR_SHMEM_PMDMAPPED));
	kb("FileHugePages:", global_node_stat(NR_FILE_THPS));
	kb("FilePmdMapped:", global_node_stat(NR_FILE_PMDMAPPED));
	kb("CmaTotal:", totalcma_pages);
	kb("CmaFree:", global_zone_stat(NR_FREE_CMA_PAGES));
	seq_printf(m,
		   "HugePages_Total:   %5lu\n"
		   "HugePages_Free:    %5lu\n"
		   "HugePages_Rsvd:    %5lu\n"
		   "HugePages_Surp:    %5lu\n",
		   0UL, 0UL, 0UL, 0UL);
	// The size a default hugetlb page has with 4 KiB pages (a PMD), as Linux prints it.
	kb_raw("Hugepagesize:", (PAGE_SIZE << pageblock_order) >> 10);
	kb("Hugetlb:", 0);
}

// Linux's frag_show_print: one line per populated zone.
void show_buddyinfo(seq_file *m)
{
	for_each_populated_zone(z) {
		seq_printf(m, "Node %d, zone %8s ", z->node, z->name);
		for (unsigned order = 0; order < MAX_ORDER; order++)
			seq_printf(m, "%6lu ", __atomic_load_n(&z->free_area[order].nr_free, __ATOMIC_RELAXED));
		seq_putc(m, '\n');
	}
}

void show_pagetypeinfo(seq_file *m)
{
	seq_printf(m, "Page block order: %u\n", pageblock_order);
	seq_printf(m, "Pages per block:  %lu\n", pageblock_nr_pages);
	seq_putc(m, '\n');
	for_each_online_pgdat(pgdat) {
		seq_printf(m, "%-43s ", "Free pages count per migrate type at order");
		for (unsigned order = 0; order < MAX_ORDER; order++)
			seq_printf(m, "%6u ", order);
		seq_putc(m, '\n');
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			zone *z = &pgdat->node_zones[j];
			if (!populated_zone(z))
				continue;
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				// Counted under the zone lock, printed after it (a streaming seq_file may
				// write to the console).
				unsigned long count[MAX_ORDER];
				bool overflow[MAX_ORDER];
				{
					SpinLockGuard g(z->lock);
					for (unsigned order = 0; order < MAX_ORDER; order++) {
						// Linux caps the walk at 100000 entries and prints ">100000".
						count[order] = 0;
						overflow[order] = false;
						list_for_each(pos, &z->free_area[order].free_list[mt]) {
							if (++count[order] >= 100000) {
								overflow[order] = true;
								break;
							}
						}
					}
				}
				seq_printf(m, "Node %4d, zone %8s, type %12s ", pgdat->node_id, z->name, migratetype_names[mt]);
				for (unsigned order = 0; order < MAX_ORDER; order++)
					seq_printf(m, "%s%6lu ", overflow[order] ? ">" : "", count[order]);
				seq_putc(m, '\n');
			}
		}
		seq_putc(m, '\n');
		seq_printf(m, "%-23s", "Number of blocks type ");
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			seq_printf(m, "%12s ", migratetype_names[mt]);
		seq_putc(m, '\n');
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			zone *z = &pgdat->node_zones[j];
			if (!populated_zone(z))
				continue;
			unsigned long count[MIGRATE_TYPES] = {};
			for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn += pageblock_nr_pages) {
				if (!pfn_valid(pfn))
					continue;
				page *p = pfn_to_page(pfn);
				if (page_zone(p) != z)
					continue;
				int mt = get_pageblock_migratetype(p);
				if (mt < MIGRATE_TYPES)
					count[mt]++;
			}
			seq_printf(m, "Node %d, zone %8s ", pgdat->node_id, z->name);
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				seq_printf(m, "%12lu ", count[mt]);
			seq_putc(m, '\n');
		}
	}
}

// Linux 6.1's zoneinfo_show_print: the node's counters under its first populated zone; an
// empty zone ends after its protection line; pagesets of online CPUs only.
void show_zoneinfo(seq_file *m)
{
	for_each_online_pgdat(pgdat) {
		bool first_populated = true;
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			zone *z = &pgdat->node_zones[j];
			seq_printf(m, "Node %d, zone %8s\n", pgdat->node_id, z->name);
			if (populated_zone(z) && first_populated) {
				first_populated = false;
				seq_puts(m, "  per-node stats\n");
				for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
					seq_printf(m, "      %-12s %lu\n", node_stat_names[i], node_stat(pgdat, i));
			}
			seq_printf(m,
				   "  pages free     %lu\n"
				   "        boost    %lu\n"
				   "        min      %lu\n"
				   "        low      %lu\n"
				   "        high     %lu\n"
				   "        spanned  %lu\n"
				   "        present  %lu\n"
				   "        managed  %lu\n"
				   "        cma      %lu\n",
				   zone_stat(z, NR_FREE_PAGES), z->watermark_boost, min_wmark_pages(z), low_wmark_pages(z),
				   high_wmark_pages(z), z->spanned_pages, z->present_pages, zone_managed_pages(z), z->cma_pages);
			seq_printf(m, "        protection: (%ld", z->lowmem_reserve[0]);
			for (int i = 1; i < MAX_NR_ZONES; i++)
				seq_printf(m, ", %ld", z->lowmem_reserve[i]);
			seq_puts(m, ")\n");
			if (!populated_zone(z))
				continue;
			for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
				seq_printf(m, "      %-12s %lu\n", zone_stat_names[i], zone_stat(z, i));
			for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
				seq_printf(m, "      %-12s %lu\n", numa_stat_names[i],
					   zone_numa_event_state(z, static_cast<numa_stat_item>(i)));
			seq_puts(m, "  pagesets\n");
			for_each_online_cpu(cpu) {
				const per_cpu_pages *pcp = &z->pcp[cpu];
				seq_printf(m,
					   "    cpu: %u\n"
					   "              count: %d\n"
					   "              high:  %d\n"
					   "              batch: %d\n"
					   "  vm stats threshold: %d\n",
					   cpu, __atomic_load_n(&pcp->count, __ATOMIC_RELAXED), pcp->high, pcp->batch,
					   z->per_cpu_zonestats[cpu].stat_threshold);
			}
			// No reclaim yet, so no node is ever marked unreclaimable.
			seq_printf(m,
				   "  node_unreclaimable:  %u\n"
				   "  start_pfn:           %lu\n",
				   0u, z->zone_start_pfn);
		}
	}
}

void show_vmstat(seq_file *m)
{
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		seq_printf(m, "%s %lu\n", zone_stat_names[i], global_zone_stat(i));
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		seq_printf(m, "%s %lu\n", numa_stat_names[i], global_numa_event_state(static_cast<numa_stat_item>(i)));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		seq_printf(m, "%s %lu\n", node_stat_names[i], global_node_stat(i));
	// Dirty-page throttling (global_dirty_limits) comes with writeback; until then no limit.
	seq_printf(m, "nr_dirty_threshold %lu\n", 0UL);
	seq_printf(m, "nr_dirty_background_threshold %lu\n", 0UL);
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		seq_printf(m, "%s %lu\n", vm_event_names[i], global_vm_event(static_cast<vm_event_item>(i)));
	// Linux keeps printing this removed counter so that old tools still find it.
	seq_puts(m, "nr_unstable 0\n");
}

// show_mem()'s free-area part, as warn_alloc prints it.
void show_free_areas()
{
	unsigned long free_pcp = 0;
	for_each_populated_zone(z)
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			free_pcp += static_cast<unsigned long>(z->pcp[cpu].count);
	printk("Mem-Info:\n");
	printk(" slab_reclaimable:%lu slab_unreclaimable:%lu\n mapped:%lu pagetables:%lu\n free:%lu free_pcp:%lu free_cma:%lu\n",
	       global_node_stat(NR_SLAB_RECLAIMABLE_B), global_node_stat(NR_SLAB_UNRECLAIMABLE_B),
	       global_node_stat(NR_FILE_MAPPED), global_node_stat(NR_PAGETABLE), nr_free_pages(), free_pcp,
	       global_zone_stat(NR_FREE_CMA_PAGES));
	unsigned cur = smp_processor_id();
	for_each_populated_zone(z) {
		unsigned long zpcp = 0;
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			zpcp += static_cast<unsigned long>(z->pcp[cpu].count);
		printk("Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB reserved_highatomic:%luKB present:%lukB managed:%lukB free_pcp:%lukB local_pcp:%ukB free_cma:%lukB\n",
		       z->node, z->name, K(zone_stat(z, NR_FREE_PAGES)), K(z->watermark_boost), K(min_wmark_pages(z)),
		       K(low_wmark_pages(z)), K(high_wmark_pages(z)), K(READ_ONCE(z->nr_reserved_highatomic)) , K(z->present_pages),
		       K(zone_managed_pages(z)), K(zpcp), static_cast<unsigned>(K(static_cast<unsigned long>(z->pcp[cur].count))),
		       K(zone_stat(z, NR_FREE_CMA_PAGES)));
		printk("lowmem_reserve[]:");
		for (int i = 0; i < MAX_NR_ZONES; i++)
			printk(KERN_CONT " %ld", z->lowmem_reserve[i]);
		printk(KERN_CONT "\n");
	}
	for_each_populated_zone(z) {
		unsigned long nr[MAX_ORDER], total = 0;
		unsigned char types[MAX_ORDER];
		{
			SpinLockGuard g(z->lock);
			for (unsigned order = 0; order < MAX_ORDER; order++) {
				free_area *area = &z->free_area[order];
				nr[order] = area->nr_free;
				total += nr[order] << order;
				types[order] = 0;
				for (int t = 0; t < MIGRATE_TYPES; t++)
					if (!free_area_empty(area, t))
						types[order] |= static_cast<unsigned char>(1u << t);
			}
		}
		printk("Node %d %s: ", z->node, z->name);
		for (unsigned order = 0; order < MAX_ORDER; order++) {
			printk(KERN_CONT "%lu*%lukB ", nr[order], K(1UL) << order);
			if (nr[order]) {
				static const char letters[MIGRATE_TYPES] = {'U', 'M', 'E', 'H', 'C', 'I'};
				char tmp[MIGRATE_TYPES + 1];
				int k = 0;
				for (int t = 0; t < MIGRATE_TYPES; t++)
					if (types[order] & (1u << t))
						tmp[k++] = letters[t];
				tmp[k] = '\0';
				printk(KERN_CONT "(%s) ", tmp);
			}
		}
		printk(KERN_CONT "= %lukB\n", K(total));
	}
}
