// Counters and the /proc-style text dumps, in Linux 6.1's formats.
#include "mm/vmstat.h"

#include "core/compiler.h"
#include "core/printk.h"
#include "kstd/util.h"
#include "mm/page_alloc.h"

unsigned long vm_event_states[NR_CPUS][NR_VM_EVENT_ITEMS];
long vm_zone_stat[NR_VM_ZONE_STAT_ITEMS];
long vm_node_stat[NR_VM_NODE_STAT_ITEMS];

const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {"nr_free_pages", "nr_mlock", "nr_free_cma"};
const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	"nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_slab_reclaimable", "nr_slab_unreclaimable",
	"nr_kernel_misc_reclaimable", "nr_kernel_stack", "nr_page_table_pages",
};
const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable", "pgfree", "pgfault", "pgmajfault",
};

static inline unsigned long K(unsigned long pages) { return pages << (PAGE_SHIFT - 10); }

unsigned long global_vm_event(vm_event_item item)
{
	unsigned long sum = 0;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		sum += __atomic_load_n(&vm_event_states[cpu][item], __ATOMIC_RELAXED);
	// pcp hits count their events in the per-CPU lists (mm/mmzone.h).
	if (item == PGFREE || (item >= PGALLOC_DMA && item <= PGALLOC_MOVABLE)) {
		for (int nid = 0; nid < MAX_NUMNODES; nid++) {
			for (int j = 0; j < MAX_NR_ZONES; j++) {
				if (item != PGFREE && j != item - PGALLOC_DMA)
					continue;
				zone *z = &NODE_DATA(nid)->node_zones[j];
				for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
					sum += __atomic_load_n(item == PGFREE ? &z->pcp[cpu].pgfree : &z->pcp[cpu].pgalloc,
							       __ATOMIC_RELAXED);
			}
		}
	}
	return sum;
}

// Slab counters are kept in bytes (as Linux 6.1); reports want pages.
static unsigned long node_stat_pages(const pglist_data *pgdat, int item)
{
	unsigned long v = node_page_state(pgdat, static_cast<node_stat_item>(item));
	if (item == NR_SLAB_RECLAIMABLE_B || item == NR_SLAB_UNRECLAIMABLE_B)
		return v >> PAGE_SHIFT;
	return v;
}
static unsigned long global_node_stat_pages(int item)
{
	unsigned long v = global_node_page_state(static_cast<node_stat_item>(item));
	if (item == NR_SLAB_RECLAIMABLE_B || item == NR_SLAB_UNRECLAIMABLE_B)
		return v >> PAGE_SHIFT;
	return v;
}

long si_mem_available()
{
	unsigned long wmark_low = 0;
	for_each_zone(z)
		wmark_low += low_wmark_pages(z);
	long available = static_cast<long>(global_zone_page_state(NR_FREE_PAGES)) - static_cast<long>(totalreserve_pages);
	// Half of the page cache and of reclaimable slab, but not below the low watermarks.
	unsigned long pagecache = global_node_page_state(NR_FILE_PAGES);
	pagecache -= kstd::min(pagecache / 2, wmark_low);
	available += static_cast<long>(pagecache);
	unsigned long reclaimable = global_node_stat_pages(NR_SLAB_RECLAIMABLE_B) +
				    global_node_page_state(NR_KERNEL_MISC_RECLAIMABLE);
	available += static_cast<long>(reclaimable - kstd::min(reclaimable / 2, wmark_low));
	return available < 0 ? 0 : available;
}

static void show_val_kb(const char *name, unsigned long pages) { printk("%-16s%8lu kB\n", name, K(pages)); }

void show_meminfo()
{
	unsigned long sreclaimable = global_node_stat_pages(NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = global_node_stat_pages(NR_SLAB_UNRECLAIMABLE_B);
	show_val_kb("MemTotal:", totalram_pages());
	show_val_kb("MemFree:", nr_free_pages());
	show_val_kb("MemAvailable:", static_cast<unsigned long>(si_mem_available()));
	show_val_kb("Buffers:", 0);
	show_val_kb("Cached:", global_node_page_state(NR_FILE_PAGES));
	show_val_kb("SwapCached:", 0);
	show_val_kb("Unevictable:", 0);
	show_val_kb("Mlocked:", global_zone_page_state(NR_ZONE_MLOCK));
	show_val_kb("SwapTotal:", 0);
	show_val_kb("SwapFree:", 0);
	show_val_kb("AnonPages:", global_node_page_state(NR_ANON_MAPPED));
	show_val_kb("Mapped:", global_node_page_state(NR_FILE_MAPPED));
	show_val_kb("KReclaimable:", sreclaimable + global_node_page_state(NR_KERNEL_MISC_RECLAIMABLE));
	show_val_kb("Slab:", sreclaimable + sunreclaim);
	show_val_kb("SReclaimable:", sreclaimable);
	show_val_kb("SUnreclaim:", sunreclaim);
	printk("%-16s%8lu kB\n", "KernelStack:", global_node_page_state(NR_KERNEL_STACK_KB));
	show_val_kb("PageTables:", global_node_page_state(NR_PAGETABLE));
	show_val_kb("CmaTotal:", totalcma_pages);
	show_val_kb("CmaFree:", global_zone_page_state(NR_FREE_CMA_PAGES));
}

void show_buddyinfo()
{
	for_each_populated_zone(z) {
		char line[16 + 8 + MAX_ORDER * 12];
		int len = 0;
		for (unsigned order = 0; order < MAX_ORDER; order++) {
			unsigned long v = __atomic_load_n(&z->free_area[order].nr_free, __ATOMIC_RELAXED);
			// "%6lu " without a formatter dependency: right-align in 6 columns.
			char num[24];
			int n = 0;
			do {
				num[n++] = static_cast<char>('0' + v % 10);
				v /= 10;
			} while (v);
			for (int pad = n; pad < 6; pad++)
				line[len++] = ' ';
			while (n)
				line[len++] = num[--n];
			line[len++] = ' ';
		}
		line[len] = '\0';
		printk("Node %d, zone %8s %s\n", z->node, z->name, line);
	}
}

void show_pagetypeinfo()
{
	printk("Page block order: %u\n", pageblock_order);
	printk("Pages per block:  %lu\n", pageblock_nr_pages);
	printk("\n");
	for_each_online_pgdat(pgdat) {
		printk("%-43s ", "Free pages count per migrate type at order");
		for (unsigned order = 0; order < MAX_ORDER; order++)
			printk(KERN_CONT "%6u ", order);
		printk(KERN_CONT "\n");
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			zone *z = &pgdat->node_zones[j];
			if (!populated_zone(z))
				continue;
			SpinLockGuard g(z->lock);
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				printk("Node %4d, zone %8s, type %12s ", pgdat->node_id, z->name, migratetype_names[mt]);
				for (unsigned order = 0; order < MAX_ORDER; order++) {
					// Linux caps the walk at 100000 entries and prints ">100000".
					unsigned long count = 0;
					bool overflow = false;
					list_for_each(pos, &z->free_area[order].free_list[mt]) {
						if (++count >= 100000) {
							overflow = true;
							break;
						}
					}
					printk(KERN_CONT "%s%6lu ", overflow ? ">" : "", count);
				}
				printk(KERN_CONT "\n");
			}
		}
		printk("\n%-23s", "Number of blocks type ");
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			printk(KERN_CONT "%12s ", migratetype_names[mt]);
		printk(KERN_CONT "\n");
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
			printk("Node %d, zone %8s ", pgdat->node_id, z->name);
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				printk(KERN_CONT "%12lu ", count[mt]);
			printk(KERN_CONT "\n");
		}
	}
}

void show_zoneinfo()
{
	for_each_online_pgdat(pgdat) {
		bool first_populated = true;
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			zone *z = &pgdat->node_zones[j];
			printk("Node %d, zone %8s", pgdat->node_id, z->name);
			if (populated_zone(z) && first_populated) {
				first_populated = false;
				printk(KERN_CONT "\n  per-node stats");
				for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
					printk(KERN_CONT "\n      %-12s %lu", node_stat_names[i], node_stat_pages(pgdat, i));
			}
			printk(KERN_CONT "\n  pages free     %lu"
					 "\n        boost    %lu"
					 "\n        min      %lu"
					 "\n        low      %lu"
					 "\n        high     %lu"
					 "\n        spanned  %lu"
					 "\n        present  %lu"
					 "\n        managed  %lu"
					 "\n        cma      %lu",
			       zone_page_state(z, NR_FREE_PAGES), z->watermark_boost, min_wmark_pages(z), low_wmark_pages(z),
			       high_wmark_pages(z), z->spanned_pages, z->present_pages, zone_managed_pages(z), z->cma_pages);
			printk(KERN_CONT "\n        protection: (%ld", z->lowmem_reserve[0]);
			for (int i = 1; i < MAX_NR_ZONES; i++)
				printk(KERN_CONT ", %ld", z->lowmem_reserve[i]);
			printk(KERN_CONT ")");
			if (!populated_zone(z)) {
				printk(KERN_CONT "\n");
				continue;
			}
			for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
				printk(KERN_CONT "\n      %-12s %lu", zone_stat_names[i], zone_page_state(z, static_cast<zone_stat_item>(i)));
			printk(KERN_CONT "\n  pagesets");
			for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
				const per_cpu_pages *pcp = &z->pcp[cpu];
				printk(KERN_CONT "\n    cpu: %u"
						 "\n              count: %d"
						 "\n              high:  %d"
						 "\n              batch: %d",
				       cpu, pcp->count, pcp->high, pcp->batch);
				// Counters are exact atomics here, so no per-CPU deltas are pending.
				printk(KERN_CONT "\n  vm stats threshold: %d", 0);
			}
			printk(KERN_CONT "\n  node_unreclaimable:  %u"
					 "\n  start_pfn:           %lu\n",
			       0u, z->zone_start_pfn);
		}
	}
}

void show_vmstat()
{
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		printk("%s %lu\n", zone_stat_names[i], global_zone_page_state(static_cast<zone_stat_item>(i)));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		printk("%s %lu\n", node_stat_names[i], global_node_stat_pages(i));
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		printk("%s %lu\n", vm_event_names[i], global_vm_event(static_cast<vm_event_item>(i)));
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
	       global_node_stat_pages(NR_SLAB_RECLAIMABLE_B), global_node_stat_pages(NR_SLAB_UNRECLAIMABLE_B),
	       global_node_page_state(NR_FILE_MAPPED), global_node_page_state(NR_PAGETABLE), nr_free_pages(), free_pcp,
	       global_zone_page_state(NR_FREE_CMA_PAGES));
	unsigned cur = smp_processor_id();
	for_each_populated_zone(z) {
		unsigned long zpcp = 0;
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			zpcp += static_cast<unsigned long>(z->pcp[cpu].count);
		printk("Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB reserved_highatomic:%luKB present:%lukB managed:%lukB free_pcp:%lukB local_pcp:%ukB free_cma:%lukB\n",
		       z->node, z->name, K(zone_page_state(z, NR_FREE_PAGES)), K(z->watermark_boost), K(min_wmark_pages(z)),
		       K(low_wmark_pages(z)), K(high_wmark_pages(z)), K(READ_ONCE(z->nr_reserved_highatomic)) , K(z->present_pages),
		       K(zone_managed_pages(z)), K(zpcp), static_cast<unsigned>(K(static_cast<unsigned long>(z->pcp[cur].count))),
		       K(zone_page_state(z, NR_FREE_CMA_PAGES)));
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
