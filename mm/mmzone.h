// Nodes, zones, free areas and per-CPU page lists (Linux 6.1's include/linux/mmzone.h).
//
// The buddy scheme in four lines: every zone keeps, for each order 0..MAX_PAGE_ORDER and each
// migratetype, a list of free blocks of 2^order pages aligned to their size. Allocation takes
// the smallest block that fits and splits it (expand); freeing merges a block with its buddy
// (pfn ^ 2^order) as long as the buddy is free with the same order, in the same zone.
#pragma once

#include <asm/smp.h>

#include "core/spinlock.h"
#include "kstd/list.h"
#include "kstd/types.h"
#include "mm/memblock.h"
#include "mm/page-flags.h"
#include "mm/sparse.h"

// Linux 6.1's MAX_ORDER is the number of orders (11: orders 0..10, 4 MiB blocks); later
// kernels renamed the largest order MAX_PAGE_ORDER. Both names, so neither reads ambiguously.
inline constexpr unsigned MAX_ORDER = 11;
inline constexpr unsigned MAX_PAGE_ORDER = MAX_ORDER - 1;
inline constexpr unsigned NR_PAGE_ORDERS = MAX_ORDER;
inline constexpr unsigned long MAX_ORDER_NR_PAGES = 1UL << MAX_PAGE_ORDER;
// Orders above this are "costly": not kept on per-CPU lists, not retried hard.
inline constexpr unsigned PAGE_ALLOC_COSTLY_ORDER = 3;

// Pageblocks: the unit of mobility grouping (2 MiB, a PMD).
inline constexpr unsigned pageblock_order = 9;
inline constexpr unsigned long pageblock_nr_pages = 1UL << pageblock_order;
inline constexpr unsigned NR_PAGEBLOCK_BITS = 4; // 3 bits migratetype + PB_migrate_skip
inline constexpr unsigned long MIGRATETYPE_MASK = 0x7;
constexpr unsigned long pageblock_start_pfn(unsigned long pfn) { return pfn & ~(pageblock_nr_pages - 1); }
constexpr unsigned long pageblock_end_pfn(unsigned long pfn) { return pageblock_start_pfn(pfn) + pageblock_nr_pages; }
constexpr bool pageblock_aligned(unsigned long pfn) { return (pfn & (pageblock_nr_pages - 1)) == 0; }

enum migratetype : int {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES, // the types kept on per-CPU lists
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_CMA,
	MIGRATE_ISOLATE, // never allocated from
	MIGRATE_TYPES,
};
extern const char *const migratetype_names[MIGRATE_TYPES];
constexpr bool is_migrate_cma(int mt) { return mt == MIGRATE_CMA; }
constexpr bool is_migrate_isolate(int mt) { return mt == MIGRATE_ISOLATE; }
constexpr bool is_migrate_highatomic(int mt) { return mt == MIGRATE_HIGHATOMIC; }
constexpr bool is_migrate_movable(int mt) { return mt == MIGRATE_CMA || mt == MIGRATE_MOVABLE; }
// Below pageblock_order blocks merge across any types; at and above it only these may merge
// with each other (CMA, HIGHATOMIC and ISOLATE blocks keep their accounting exact).
constexpr bool migratetype_is_mergeable(int mt) { return mt < MIGRATE_PCPTYPES; }

// When set, every allocation is MIGRATE_UNMOVABLE and fallbacks always steal whole blocks:
// Linux's behaviour on systems too small for grouping, and `page_alloc.grouping=off`.
extern bool page_group_by_mobility_disabled;
// Rebuilds every node's pcp_fast table (pglist_data); needed after the zonelists, mobility
// grouping or the page debugging options change.
void page_alloc_fast_path_update();
// Sets page_group_by_mobility_disabled and updates the fast path with it.
void set_page_group_by_mobility_disabled(bool disabled);

enum zone_type : int {
	ZONE_DMA,    // below min(4 GiB, the DT dma-ranges limit): zone_dma_bits
	ZONE_DMA32,  // the rest below 4 GiB (empty without a DT DMA limit, as Linux 6.1 arm64)
	ZONE_NORMAL,
	ZONE_MOVABLE, // only movable allocations: from kernelcore=/movablecore=
	MAX_NR_ZONES,
};
static_assert(MAX_NR_ZONES <= (1 << ZONES_SHIFT));
static_assert(MAX_NUMNODES <= (1 << NODES_SHIFT));
extern const char *const zone_names[MAX_NR_ZONES];

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

// Linux 6.1's counters, in its order, for the configuration Debian's arm64 kernel has (ZSMALLOC,
// CMA, SWAP, NUMA_BALANCING on; SHADOW_CALL_STACK off): /proc/vmstat prints them in this order.
// Items whose mechanism does not exist here yet (LRU lists, page cache, swap, writeback...)
// stay 0 until it does.
enum zone_stat_item {
	NR_FREE_PAGES, // pages in the buddy free lists (not on per-CPU lists)
	NR_ZONE_LRU_BASE,
	NR_ZONE_INACTIVE_ANON = NR_ZONE_LRU_BASE,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,
	NR_MLOCK,
	NR_BOUNCE,
	NR_ZSPAGES,
	NR_FREE_CMA_PAGES,
	NR_VM_ZONE_STAT_ITEMS,
};
// Per-zone allocation events by node preference (zone_statistics()).
enum numa_stat_item {
	NUMA_HIT,
	NUMA_MISS,
	NUMA_FOREIGN,
	NUMA_INTERLEAVE_HIT,
	NUMA_LOCAL,
	NUMA_OTHER,
	NR_VM_NUMA_EVENT_ITEMS,
};
enum node_stat_item {
	NR_LRU_BASE,
	NR_INACTIVE_ANON = NR_LRU_BASE,
	NR_ACTIVE_ANON,
	NR_INACTIVE_FILE,
	NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
	NR_SLAB_RECLAIMABLE_B,   // updated in bytes (whole pages), kept in pages, as Linux
	NR_SLAB_UNRECLAIMABLE_B,
	NR_ISOLATED_ANON,
	NR_ISOLATED_FILE,
	WORKINGSET_NODES,
	WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_ANON = WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_FILE,
	WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_ANON = WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_FILE,
	WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_ANON = WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_FILE,
	WORKINGSET_NODERECLAIM,
	NR_ANON_MAPPED, // anonymous pages mapped into user page tables
	NR_FILE_MAPPED, // file pages mapped into user page tables (private copies not yet written)
	NR_FILE_PAGES,
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_WRITEBACK_TEMP,
	NR_SHMEM,
	NR_SHMEM_THPS,
	NR_SHMEM_PMDMAPPED,
	NR_FILE_THPS,
	NR_FILE_PMDMAPPED,
	NR_ANON_THPS,
	NR_VMSCAN_WRITE,
	NR_VMSCAN_IMMEDIATE,
	NR_DIRTIED,
	NR_WRITTEN,
	NR_THROTTLED_WRITTEN,
	NR_KERNEL_MISC_RECLAIMABLE,
	NR_FOLL_PIN_ACQUIRED,
	NR_FOLL_PIN_RELEASED,
	NR_KERNEL_STACK_KB, // KiB of kernel (task) stacks
	NR_PAGETABLE,       // user page-table pages
	NR_SECONDARY_PAGETABLE,
	NR_SWAPCACHE,
	PGPROMOTE_SUCCESS,
	PGPROMOTE_CANDIDATE,
	NR_VM_NODE_STAT_ITEMS,
};
// Items updated in bytes; the counters hold pages (mod_node_page_state shifts the delta).
constexpr bool vmstat_item_in_bytes(int idx) { return idx == NR_SLAB_RECLAIMABLE_B || idx == NR_SLAB_UNRECLAIMABLE_B; }

// One CPU's pending deltas (Linux's per_cpu_zonestat / per_cpu_nodestat): a counter update
// lands here and reaches the zone's or node's atomic total only when the delta would pass
// stat_threshold, so the hot paths do not share a cache line. Readers that must be exact
// (zone_page_state_snapshot) add the deltas in; refresh_cpu_vm_stats() folds them.
// Written only by the owning CPU with IRQs off.
struct per_cpu_zonestat {
	i8 vm_stat_diff[NR_VM_ZONE_STAT_ITEMS];
	i8 stat_threshold;
	unsigned long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS];
};
struct per_cpu_nodestat {
	i8 stat_threshold;
	i8 vm_node_stat_diff[NR_VM_NODE_STAT_ITEMS];
};

struct free_area {
	list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free; // blocks of this order, all migratetypes
};
inline bool free_area_empty(const free_area *area, int mt) { return list_empty(&area->free_list[mt]); }

// Per-CPU lists: one per (order, pcp migratetype) for orders 0..PAGE_ALLOC_COSTLY_ORDER.
inline constexpr unsigned NR_PCP_LISTS = MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1);
constexpr unsigned order_to_pindex(int mt, unsigned order) { return order * MIGRATE_PCPTYPES + mt; }
constexpr unsigned pindex_to_order(unsigned pindex) { return pindex / MIGRATE_PCPTYPES; }

// Touched only by its own CPU with IRQs off; other CPUs drain it through drain_all_pages(),
// which runs the drain on the owning CPU in Linux and, until IPIs exist here, with the zone
// lock held and the owner quiescent (see drain_all_pages()).
// One CPU's lists in one zone. Cache-line aligned: each CPU writes only its own (no false
// sharing once CPUs run concurrently), and a power-of-two stride makes &z->pcp[cpu] a shift.
struct alignas(64) per_cpu_pages {
	int count; // pages on all lists (in base pages)
	int high;  // free down to below this when count reaches it
	int batch; // refill/drain chunk
	short free_factor; // batch scaling while frees dominate allocations
	list_head lists[NR_PCP_LISTS];
	// pgalloc_<zone> and pgfree events of pcp hits: counted on the cache line the fast path
	// already owns instead of in vm_event_states; global_vm_event() adds them in, and
	// zone_numa_event_state() counts each fast-path allocation as a NUMA hit (mm/vmstat.h).
	unsigned long pgalloc;
	unsigned long pgfree;
};
static_assert(sizeof(per_cpu_pages) == 256, "pcp stride must stay a power of two");

struct pglist_data;

struct zone {
	// Read-mostly: watermark checks.
	unsigned long _watermark[NR_WMARK];
	unsigned long watermark_boost;
	// Changed under lock; the watermark check reads it without (READ_ONCE), as Linux's.
	unsigned long nr_reserved_highatomic TA_GUARDED(lock);
	// Pages of higher zones' allocations that must stay free here (lowmem_reserve_ratio).
	long lowmem_reserve[MAX_NR_ZONES];
	int node;
	pglist_data *zone_pgdat;
	per_cpu_pages pcp[NR_CPUS];
	unsigned long zone_start_pfn;
	// managed: pages given to the buddy (present minus reserved at boot).
	unsigned long managed_pages;
	unsigned long spanned_pages; // zone_end_pfn - zone_start_pfn
	unsigned long present_pages; // spanned minus holes
	unsigned long cma_pages;
	const char *name;
	int nr_isolate_pageblock TA_GUARDED(lock);
	bool initialized;

	// Write-intensive: the buddy, under lock. Lockless readers of nr_free (the watermark
	// check, statistics) use READ_ONCE, as Linux's.
	SpinLock lock;
	free_area free_area[NR_PAGE_ORDERS] TA_GUARDED(lock);
	long vm_stat[NR_VM_ZONE_STAT_ITEMS];
	unsigned long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS]; // folded NUMA events
	per_cpu_zonestat per_cpu_zonestats[NR_CPUS];
};

inline constexpr unsigned MAX_ZONES_PER_ZONELIST = MAX_NUMNODES * MAX_NR_ZONES;
struct zoneref {
	zone *zone_;
	int zone_idx;
};
// Zones to try in order, ending with a null zone_. Per node: the node's zones from
// ZONE_MOVABLE down to ZONE_DMA, then the other nodes' (Linux's node-ordered zonelist).
struct zonelist {
	zoneref _zonerefs[MAX_ZONES_PER_ZONELIST + 1];
};

struct pglist_data {
	// First, so that the fast path reaches it with immediate offsets. The order-0 fast path's decoding of the gfp bits it depends on, indexed by bits 0-4 (the
	// zone modifiers and __GFP_RECLAIMABLE): gfp_zone(), gfp_migratetype() and the zone to try
	// first (first_zones_zonelist of node_zonelist). z is null where the fast path must not
	// run: invalid zone modifiers, no zone, or page debugging (which needs the general path) —
	// the analogue of Linux's static keys, at no cost to the fast path. Built by
	// page_alloc_fast_path_update().
	struct pcp_fast_entry {
		zone *z;
		u8 migratetype;
		u8 highest_zoneidx;
	};
	pcp_fast_entry pcp_fast[32];
	zone node_zones[MAX_NR_ZONES];
	zonelist node_zonelist;
	// This node's zones only, for __GFP_THISNODE (Linux's ZONELIST_NOFALLBACK).
	zonelist node_zonelist_nofallback;
	int nr_zones; // highest populated zone index + 1
	unsigned long node_start_pfn;
	unsigned long node_present_pages;
	unsigned long node_spanned_pages;
	int node_id;
	unsigned long totalreserve_pages;
	long vm_stat[NR_VM_NODE_STAT_ITEMS];
	per_cpu_nodestat per_cpu_nodestats[NR_CPUS];
};
using pg_data_t = pglist_data;

extern pglist_data node_data_storage[MAX_NUMNODES];
inline pglist_data *NODE_DATA(int nid) { return &node_data_storage[nid]; }
// The node this CPU allocates from by default (the first node with memory: CPUs have no node
// ids yet; with them this becomes per-CPU, as Linux's numa_node_id()). Set by
// build_all_zonelists().
extern pglist_data *local_pgdat;
// Nodes that have memory (bit per node id).
extern unsigned long node_states_memory;
inline bool node_online(int nid) { return (node_states_memory >> nid) & 1; }
#define for_each_online_node(nid) \
	for (int nid = 0; nid < MAX_NUMNODES; nid++) if (node_online(nid))
#define for_each_online_pgdat(pgdat)                                                    \
	for (pglist_data *pgdat = &node_data_storage[0]; pgdat < &node_data_storage[MAX_NUMNODES]; pgdat++) \
		if (node_online(pgdat->node_id))
// Every zone of every node with memory, populated or not.
#define for_each_zone(z)                                                                \
	for_each_online_pgdat(_pgdat_fz)                                                    \
		for (zone *z = _pgdat_fz->node_zones; z < _pgdat_fz->node_zones + MAX_NR_ZONES; z++)
#define for_each_populated_zone(z) for_each_zone(z) if (populated_zone(z))

inline bool populated_zone(const zone *z) { return z->present_pages != 0; }
inline bool managed_zone(const zone *z) { return z->managed_pages != 0; }
inline unsigned long zone_managed_pages(const zone *z) { return __atomic_load_n(&z->managed_pages, __ATOMIC_RELAXED); }
inline int zone_idx(const zone *z) { return static_cast<int>(z - z->zone_pgdat->node_zones); }
inline int zone_to_nid(const zone *z) { return z->node; }
inline unsigned long zone_end_pfn(const zone *z) { return z->zone_start_pfn + z->spanned_pages; }
inline bool zone_spans_pfn(const zone *z, unsigned long pfn) { return z->zone_start_pfn <= pfn && pfn < zone_end_pfn(z); }
inline unsigned long min_wmark_pages(const zone *z) { return z->_watermark[WMARK_MIN] + z->watermark_boost; }
inline unsigned long low_wmark_pages(const zone *z) { return z->_watermark[WMARK_LOW] + z->watermark_boost; }
inline unsigned long high_wmark_pages(const zone *z) { return z->_watermark[WMARK_HIGH] + z->watermark_boost; }
inline unsigned long wmark_pages(const zone *z, int i) { return z->_watermark[i] + z->watermark_boost; }
inline page *get_page_from_free_area(free_area *area, int mt)
{
	return list_empty(&area->free_list[mt]) ? nullptr : list_first_entry(&area->free_list[mt], page, buddy_list);
}
inline zone *page_zone(const page *p) { return &NODE_DATA(page_to_nid(p))->node_zones[page_zonenum(p)]; }
// The node and zone ids sit next to each other in page->flags, so together they index a flat
// table of zones: one load instead of two multiplications (the free fast path).
static_assert(NODES_PGOFF == ZONES_PGOFF + ZONES_SHIFT, "node id must sit right above the zone id");
struct zone_table_t {
	zone *z[MAX_NUMNODES * MAX_NR_ZONES];
};
inline constexpr zone_table_t make_zone_table()
{
	zone_table_t t{};
	for (int i = 0; i < MAX_NUMNODES * MAX_NR_ZONES; i++)
		t.z[i] = &node_data_storage[i / MAX_NR_ZONES].node_zones[i % MAX_NR_ZONES];
	return t;
}
inline constexpr zone_table_t zone_table = make_zone_table();
inline zone *page_zone_by_table(const page *p)
{
	return zone_table.z[(p->flags >> ZONES_PGOFF) & ((1UL << (ZONES_SHIFT + NODES_SHIFT)) - 1)];
}
inline pglist_data *page_pgdat(const page *p) { return NODE_DATA(page_to_nid(p)); }

// --- pageblock flags (stored per section, mm/sparse.h) -----------------------------------
// pfn must have a struct page, so its section and root exist: the bitmap word is reached by
// direct indexing. Inline because the page allocator's free fast path reads it on every free.
inline unsigned long *pageblock_word(unsigned long pfn, unsigned *bitidx)
{
	unsigned long nr = pfn_to_section_nr(pfn);
	mem_section *ms = &mem_section_roots[nr / SECTIONS_PER_ROOT][nr % SECTIONS_PER_ROOT];
	unsigned long idx = ((pfn & ~PAGE_SECTION_MASK) >> pageblock_order) * NR_PAGEBLOCK_BITS;
	*bitidx = static_cast<unsigned>(idx & 63);
	return &ms->usage->pageblock_flags[idx / 64];
}
inline unsigned long get_pfnblock_flags_mask(const page *, unsigned long pfn, unsigned long mask)
{
	unsigned bitidx;
	unsigned long *w = pageblock_word(pfn, &bitidx);
	// Racy readers (the free path) see either the old or the new value, never a mix: the
	// bits of one block never straddle a word.
	unsigned long word = __atomic_load_n(w, __ATOMIC_RELAXED);
	return (word >> bitidx) & mask;
}
void set_pfnblock_flags_mask(page *p, unsigned long flags, unsigned long pfn, unsigned long mask);
int get_pageblock_migratetype(const page *p);
void set_pageblock_migratetype(page *p, int migratetype);
