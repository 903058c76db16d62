// The buddy allocator with mobility grouping and per-CPU lists (Linux 6.1 mm/page_alloc.c).
#include "mm/fault_inject.h"
#include "mm/page_alloc.h"

#include <asm/irqflags.h>
#include <asm/page.h>
#include <asm/smp.h>

#include "core/compiler.h"
#include "core/panic.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "mm/vmstat.h"

bool page_group_by_mobility_disabled;
const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};
const char *const zone_names[MAX_NR_ZONES] = {"DMA", "DMA32", "Normal", "Movable"};

pglist_data node_data_storage[MAX_NUMNODES];
pglist_data *local_pgdat = &node_data_storage[0];
unsigned long node_states_memory;

int min_free_kbytes = 1024;
int user_min_free_kbytes = -1;
int cmdline_min_free_kbytes = -1;
int watermark_scale_factor = 10;
int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES] = {256, 256, 32, 0};
unsigned long totalreserve_pages;
unsigned long totalcma_pages;
unsigned long nr_bad_pages;
page_debug_options page_debug;
static unsigned nr_online_cpus = 1;

// Free-page-internal flags (Linux's fpi_t).
enum : unsigned { FPI_NONE = 0, FPI_TO_TAIL = 1 };

// Marks the mapping word of tail pages (from the second tail on: the first holds compound_nr)
// so the free path can tell corrupted tails, as Linux.
static address_space *const TAIL_MAPPING = reinterpret_cast<address_space *>(0xdead000000000400ull);

struct alloc_context {
	zonelist *zl;
	zoneref *preferred_zoneref;
	int migratetype;
	int highest_zoneidx;
};

const char *page_alloc_current_comm()
{
	static char names[NR_CPUS][20];
	unsigned cpu = smp_processor_id();
	current_comm(names[cpu], sizeof(names[cpu]));
	return names[cpu];
}

void page_alloc_set_online_cpus(unsigned n)
{
	nr_online_cpus = kstd::clamp(n, 1u, NR_CPUS);
	for_each_populated_zone(z)
		zone_pcp_update(z);
}

// --- gfp decoding --------------------------------------------------------------------------

// Linux's GFP_ZONE_TABLE, indexed by the four zone modifier bits: DMA, DMA32 and HIGHMEM
// exclude each other; MOVABLE selects ZONE_MOVABLE only together with __GFP_HIGHMEM
// (GFP_HIGHUSER_MOVABLE). -1 marks Linux's GFP_ZONE_BAD combinations.
static constexpr signed char gfp_zone_table[16] = {
	ZONE_NORMAL, ZONE_DMA, ZONE_NORMAL /* HIGHMEM: none on arm64 */, -1,
	ZONE_DMA32, -1, -1, -1,
	ZONE_NORMAL /* MOVABLE alone */, ZONE_DMA, ZONE_MOVABLE, -1,
	ZONE_DMA32, -1, -1, -1,
};

zone_type gfp_zone(gfp_t gfp)
{
	int z = gfp_zone_table[gfp_raw(gfp & GFP_ZONEMASK)];
	if (unlikely(z < 0)) {
		WARN_ON_ONCE(true); // conflicting zone modifiers
		return ZONE_NORMAL;
	}
	return static_cast<zone_type>(z);
}

int gfp_migratetype(gfp_t gfp)
{
	if (unlikely(page_group_by_mobility_disabled))
		return MIGRATE_UNMOVABLE;
	u32 mt = gfp_raw(gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT;
	// Both bits set is invalid (Linux VM_WARN_ON); treat as movable.
	return mt == 3 ? MIGRATE_MOVABLE : static_cast<int>(mt);
}

void page_alloc_fast_path_update()
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		pglist_data *pgdat = NODE_DATA(nid);
		for (unsigned bits = 0; bits < 32; bits++) {
			gfp_t gfp = gfp_t(bits);
			pglist_data::pcp_fast_entry &e = pgdat->pcp_fast[bits];
			int highest = gfp_zone_table[gfp_raw(gfp & GFP_ZONEMASK)];
			e.z = nullptr;
			e.highest_zoneidx = static_cast<u8>(highest < 0 ? 0 : highest);
			e.migratetype = static_cast<u8>(gfp_migratetype(gfp));
			// Page debugging and armed fault injection need every allocation on the
			// general path.
			if (highest < 0 || page_debug.poisoning || page_debug.pagealloc || fault_inject_armed())
				continue;
			zoneref *zr = pgdat->node_zonelist._zonerefs;
			while (zr->zone_ && zr->zone_idx > highest)
				zr++;
			e.z = zr->zone_;
		}
	}
}

void set_page_group_by_mobility_disabled(bool disabled)
{
	page_group_by_mobility_disabled = disabled;
	page_alloc_fast_path_update();
}

// --- free list primitives ------------------------------------------------------------------

static inline unsigned buddy_order(const page *p) { return static_cast<unsigned>(page_private(p)); }
static inline void set_buddy_order(page *p, unsigned order)
{
	set_page_private(p, order);
	__SetPageBuddy(p);
}
static inline void set_pcppage_migratetype(page *p, int mt) { p->index = static_cast<unsigned long>(mt); }
static inline int get_pcppage_migratetype(const page *p) { return static_cast<int>(p->index); }

static inline void add_to_free_list(page *p, zone *z, unsigned order, int mt) TA_REQ(z->lock)
{
	free_area *area = &z->free_area[order];
	list_add(&p->buddy_list, &area->free_list[mt]);
	area->nr_free++;
}
static inline void add_to_free_list_tail(page *p, zone *z, unsigned order, int mt) TA_REQ(z->lock)
{
	free_area *area = &z->free_area[order];
	list_add_tail(&p->buddy_list, &area->free_list[mt]);
	area->nr_free++;
}
static inline void move_to_free_list(page *p, zone *z, unsigned order, int mt) TA_REQ(z->lock)
{
	list_move_tail(&p->buddy_list, &z->free_area[order].free_list[mt]);
}
static inline void del_page_from_free_list(page *p, zone *z, unsigned order) TA_REQ(z->lock)
{
	list_del(&p->buddy_list);
	__ClearPageBuddy(p);
	set_page_private(p, 0);
	z->free_area[order].nr_free--;
}

static inline void __mod_zone_freepage_state(zone *z, long nr, int mt)
{
	__mod_zone_page_state(z, NR_FREE_PAGES, nr);
	if (is_migrate_cma(mt))
		__mod_zone_page_state(z, NR_FREE_CMA_PAGES, nr);
}

// A page is its neighbour's buddy when (1) it is free in the buddy (2) as a block of the
// same order and (3) in the same zone; (4) a free page has no users, which is asserted.
// Holes inside a section have struct pages that are Reserved, never PageBuddy, so (1) also
// stops merging into holes; a MAX_ORDER block never crosses a section, so the buddy's struct
// page always exists.
static inline bool page_is_buddy(const page *p, const page *buddy, unsigned order)
{
	if (!PageBuddy(buddy))
		return false;
	if (buddy_order(buddy) != order)
		return false;
	if (page_zone_id(p) != page_zone_id(buddy))
		return false;
	WARN_ON_ONCE(page_ref_count(buddy) != 0);
	return true;
}

static inline page *find_buddy_page_pfn(page *p, unsigned long pfn, unsigned order, unsigned long *buddy_pfn)
{
	unsigned long bpfn = pfn ^ (1UL << order);
	page *buddy = p + (static_cast<long>(bpfn) - static_cast<long>(pfn));
	if (buddy_pfn)
		*buddy_pfn = bpfn;
	return page_is_buddy(p, buddy, order) ? buddy : nullptr;
}

// If the block we just formed would merge at the next order once its buddy frees, put it at
// the tail so that it is allocated last and has the best chance to merge.
static inline bool buddy_merge_likely(unsigned long pfn, unsigned long buddy_pfn, page *p, unsigned order)
{
	if (order >= MAX_ORDER - 2)
		return false;
	unsigned long higher_pfn = buddy_pfn & pfn;
	page *higher = p + (static_cast<long>(higher_pfn) - static_cast<long>(pfn));
	return find_buddy_page_pfn(higher, higher_pfn, order + 1, nullptr) != nullptr;
}

// Frees a block of 2^order pages at pfn into zone z, merging upward while the buddy is free. Invariants on entry: the block is aligned to its order, its pages have
// refcount 0 and no PG flags; mt is the migratetype of its pageblock (or pcp migratetype).
// Below pageblock_order blocks merge regardless of their free list's type (Linux 6.1); from
// pageblock_order on, isolated/CMA/highatomic blocks only merge with their own kind.
static void __free_one_page(page *p, unsigned long pfn, zone *z, unsigned order, int mt, unsigned fpi)
	TA_REQ(z->lock)
{
	lockdep_assert_held(&z->lock);
	unsigned long buddy_pfn = 0;
	if (likely(!is_migrate_isolate(mt)))
		__mod_zone_freepage_state(z, 1L << order, mt);
	while (order < MAX_ORDER - 1) {
		page *buddy = find_buddy_page_pfn(p, pfn, order, &buddy_pfn);
		if (!buddy)
			break;
		if (unlikely(order >= pageblock_order)) {
			int buddy_mt = get_pageblock_migratetype(buddy);
			if (mt != buddy_mt && (!migratetype_is_mergeable(mt) || !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		del_page_from_free_list(buddy, z, order);
		unsigned long combined_pfn = buddy_pfn & pfn;
		p = p + (static_cast<long>(combined_pfn) - static_cast<long>(pfn));
		pfn = combined_pfn;
		order++;
	}
	set_buddy_order(p, order);
	bool to_tail = (fpi & FPI_TO_TAIL) || buddy_merge_likely(pfn, buddy_pfn, p, order);
	if (to_tail)
		add_to_free_list_tail(p, z, order, mt);
	else
		add_to_free_list(p, z, order, mt);
}

// Splits a 2^high block down to 2^low, returning the upper halves to the free lists.
static inline void expand(zone *z, page *p, unsigned low, unsigned high, int mt) TA_REQ(z->lock)
{
	unsigned long size = 1UL << high;
	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(&p[size], z, high, mt);
		set_buddy_order(&p[size], high);
	}
}

static page *__rmqueue_smallest(zone *z, unsigned order, int mt) TA_REQ(z->lock)
{
	for (unsigned cur = order; cur < MAX_ORDER; ++cur) {
		page *p = get_page_from_free_area(&z->free_area[cur], mt);
		if (!p)
			continue;
		del_page_from_free_list(p, z, cur);
		expand(z, p, order, cur, mt);
		set_pcppage_migratetype(p, mt);
		return p;
	}
	return nullptr;
}

// Where to look when a migratetype's own lists are empty, in order (Linux's fallbacks[]).
static const int fallbacks[MIGRATE_TYPES][3] = {
	/* MIGRATE_UNMOVABLE */ {MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE, MIGRATE_TYPES},
	/* MIGRATE_MOVABLE */ {MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, MIGRATE_TYPES},
	/* MIGRATE_RECLAIMABLE */ {MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_TYPES},
	/* MIGRATE_HIGHATOMIC */ {MIGRATE_TYPES},
	/* MIGRATE_CMA */ {MIGRATE_TYPES},
	/* MIGRATE_ISOLATE */ {MIGRATE_TYPES},
};

static page *__rmqueue_cma_fallback(zone *z, unsigned order) TA_REQ(z->lock)
{ return __rmqueue_smallest(z, order, MIGRATE_CMA); }

// Moves the free blocks of [start_pfn, end_pfn] to mt's lists; counts in-use movable pages.
static unsigned long move_freepages(zone *z, unsigned long start_pfn, unsigned long end_pfn, int mt,
				    int *num_movable) TA_REQ(z->lock)
{
	unsigned long moved = 0;
	for (unsigned long pfn = start_pfn; pfn <= end_pfn;) {
		page *p = pfn_to_page(pfn);
		if (!PageBuddy(p)) {
			if (num_movable && PageLRU(p))
				(*num_movable)++;
			pfn++;
			continue;
		}
		unsigned order = buddy_order(p);
		move_to_free_list(p, z, order, mt);
		pfn += 1UL << order;
		moved += 1UL << order;
	}
	return moved;
}

static unsigned long move_freepages_block(zone *z, page *p, int mt, int *num_movable) TA_REQ(z->lock)
{
	if (num_movable)
		*num_movable = 0;
	unsigned long pfn = page_to_pfn(p);
	unsigned long start_pfn = pageblock_start_pfn(pfn);
	unsigned long end_pfn = pageblock_end_pfn(pfn) - 1;
	// A pageblock straddling the zone's start or end is not moved as a whole.
	if (!zone_spans_pfn(z, start_pfn))
		start_pfn = pfn;
	if (!zone_spans_pfn(z, end_pfn))
		return 0;
	return move_freepages(z, start_pfn, end_pfn, mt, num_movable);
}

static void change_pageblock_range(page *pageblock_page, unsigned start_order, int mt)
{
	unsigned long nr = 1UL << (start_order - pageblock_order);
	while (nr--) {
		set_pageblock_migratetype(pageblock_page, mt);
		pageblock_page += pageblock_nr_pages;
	}
}

// Stealing a whole pageblock pays off for big requests and for unmovable/reclaimable ones
// (which would otherwise pollute many blocks); movable requests take single pages when small.
static bool can_steal_fallback(unsigned order, int start_mt)
{
	if (order >= pageblock_order)
		return true;
	if (order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE || start_mt == MIGRATE_UNMOVABLE ||
	    page_group_by_mobility_disabled)
		return true;
	return false;
}

// Takes the free pages of page's pageblock for start_type; claims the pageblock itself when at
// least half of it is free or already used compatibly (Linux's steal_suitable_fallback).
static void steal_suitable_fallback(zone *z, page *p, unsigned alloc_flags, int start_type, bool whole_block)
	TA_REQ(z->lock)
{
	unsigned cur = buddy_order(p);
	int old_block_type = get_pageblock_migratetype(p);
	if (is_migrate_highatomic(old_block_type))
		goto single_page;
	if (cur >= pageblock_order) {
		change_pageblock_range(p, cur, start_type);
		goto single_page;
	}
	if (!whole_block)
		goto single_page;
	{
		int movable_pages;
		unsigned long free_pages = move_freepages_block(z, p, start_type, &movable_pages);
		if (!free_pages)
			goto single_page;
		unsigned long alike_pages;
		if (start_type == MIGRATE_MOVABLE)
			alike_pages = static_cast<unsigned long>(movable_pages);
		else if (old_block_type == MIGRATE_MOVABLE)
			alike_pages = pageblock_nr_pages - (free_pages + static_cast<unsigned long>(movable_pages));
		else
			alike_pages = 0;
		if (free_pages + alike_pages >= (1UL << (pageblock_order - 1)) || page_group_by_mobility_disabled)
			set_pageblock_migratetype(p, start_type);
		return;
	}
single_page:
	move_to_free_list(p, z, cur, start_type);
}

static int find_suitable_fallback(free_area *area, unsigned order, int mt, bool only_stealable, bool *can_steal)
{
	*can_steal = false;
	if (area->nr_free == 0)
		return -1;
	for (int i = 0;; i++) {
		int fallback_mt = fallbacks[mt][i];
		if (fallback_mt == MIGRATE_TYPES)
			break;
		if (free_area_empty(area, fallback_mt))
			continue;
		if (can_steal_fallback(order, mt))
			*can_steal = true;
		if (!only_stealable)
			return fallback_mt;
		if (*can_steal)
			return fallback_mt;
	}
	return -1;
}

// Searches the largest blocks of other types first, so a steal claims as much as possible
// and types stay apart; a small movable request without a claimable block takes the smallest.
static bool __rmqueue_fallback(zone *z, int order, int start_mt, unsigned alloc_flags) TA_REQ(z->lock)
{
	int min_order = order;
	bool can_steal;
	int fallback_mt = -1;
	int cur;
	free_area *area = nullptr;
	if (alloc_flags & ALLOC_NOFRAGMENT)
		min_order = pageblock_order;
	for (cur = MAX_ORDER - 1; cur >= min_order; --cur) {
		area = &z->free_area[cur];
		fallback_mt = find_suitable_fallback(area, cur, start_mt, false, &can_steal);
		if (fallback_mt == -1)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE && cur > order)
			goto find_smallest;
		goto do_steal;
	}
	return false;
find_smallest:
	for (cur = order; cur < static_cast<int>(MAX_ORDER); cur++) {
		area = &z->free_area[cur];
		fallback_mt = find_suitable_fallback(area, cur, start_mt, false, &can_steal);
		if (fallback_mt != -1)
			break;
	}
	if (WARN_ON_ONCE(cur == static_cast<int>(MAX_ORDER)))
		return false;
do_steal:
	page *p = get_page_from_free_area(area, fallback_mt);
	steal_suitable_fallback(z, p, alloc_flags, start_mt, can_steal);
	return true;
}

static page *__rmqueue(zone *z, unsigned order, int mt, unsigned alloc_flags) TA_REQ(z->lock)
{
	page *p;
	// Balance CMA: use it for movable requests once it holds over half the free memory.
	if ((alloc_flags & ALLOC_CMA) && zone_page_state(z, NR_FREE_CMA_PAGES) > zone_page_state(z, NR_FREE_PAGES) / 2) {
		p = __rmqueue_cma_fallback(z, order);
		if (p)
			return p;
	}
retry:
	p = __rmqueue_smallest(z, order, mt);
	if (unlikely(!p)) {
		if (alloc_flags & ALLOC_CMA)
			p = __rmqueue_cma_fallback(z, order);
		if (!p && __rmqueue_fallback(z, static_cast<int>(order), mt, alloc_flags))
			goto retry;
	}
	return p;
}

// --- page state checks -----------------------------------------------------------------------

[[gnu::always_inline]] static inline bool page_expected_state(const page *p, unsigned long check_flags)
{
	if (unlikely(page_mapcount_raw(p) != -1))
		return false;
	if (unlikely(reinterpret_cast<unsigned long>(p->mapping) | static_cast<unsigned long>(page_ref_count(p)) |
		     (p->flags & check_flags) | (p->compound_head & 1)))
		return false;
	return true;
}

static const char *page_bad_reason(const page *p, unsigned long flags)
{
	const char *reason = nullptr;
	if (unlikely(page_mapcount_raw(p) != -1))
		reason = "nonzero mapcount";
	if (unlikely(p->mapping != nullptr))
		reason = "non-NULL mapping";
	if (unlikely(page_ref_count(p) != 0))
		reason = "nonzero _refcount";
	if (unlikely(p->compound_head & 1))
		reason = "PageTail set";
	if (unlikely(p->flags & flags))
		reason = flags == PAGE_FLAGS_CHECK_AT_PREP ? "PAGE_FLAGS_CHECK_AT_PREP flag(s) set"
							   : "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	return reason;
}

[[gnu::always_inline]] static inline bool free_page_is_bad(page *p)
{
	if (likely(page_expected_state(p, PAGE_FLAGS_CHECK_AT_FREE)))
		return false;
	bad_page(p, page_bad_reason(p, PAGE_FLAGS_CHECK_AT_FREE));
	return true;
}

static int free_tail_pages_check(page *head, page *p)
{
	int ret = 1;
	switch (p - head) {
	case 1:
		// The first tail's mapping word holds compound_nr; check the compound mapcount.
		if (unlikely(p->compound_mapcount != -1)) {
			bad_page(p, "nonzero compound_mapcount");
			goto out;
		}
		break;
	default:
		if (p->mapping != TAIL_MAPPING) {
			bad_page(p, "corrupted mapping in tail page");
			goto out;
		}
		break;
	}
	if (unlikely(!PageTail(p))) {
		bad_page(p, "PageTail not set");
		goto out;
	}
	if (unlikely(compound_head(p) != head)) {
		bad_page(p, "compound_head not consistent");
		goto out;
	}
	ret = 0;
out:
	p->mapping = nullptr;
	clear_compound_head(p);
	return ret;
}

[[gnu::always_inline]] static inline bool check_new_page(page *p)
{
	if (likely(page_expected_state(p, PAGE_FLAGS_CHECK_AT_PREP)))
		return false;
	bad_page(p, page_bad_reason(p, PAGE_FLAGS_CHECK_AT_PREP));
	return true;
}

// True if any page of the block is bad: the block is then leaked, not handed out.
[[gnu::always_inline]] static inline bool check_new_pages(page *p, unsigned order)
{
	for (unsigned long i = 0; i < (1UL << order); i++) {
		if (unlikely(check_new_page(p + i))) {
			__atomic_fetch_add(&nr_bad_pages, 1UL << order, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

// --- free path --------------------------------------------------------------------------------

// Checks and resets the pages of a block being freed; false if any page is bad (the block
// is then leaked: bad_page() has reported it).
[[gnu::noinline]] static bool free_pages_prepare_slow(page *p, unsigned order)
{
	int bad = 0;
	if (unlikely(order)) {
		bool compound = PageCompound(p);
		if (compound && compound_order(p) != order) {
			bad_page(p, "compound order mismatch on free");
			bad++;
		}
		for (unsigned long i = 1; i < (1UL << order); i++) {
			if (compound)
				bad += free_tail_pages_check(p, p + i);
			if (unlikely(free_page_is_bad(p + i))) {
				bad++;
				continue;
			}
			(p + i)->flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
		}
	}
	if (free_page_is_bad(p))
		bad++;
	if (bad) {
		__atomic_fetch_add(&nr_bad_pages, 1UL << order, __ATOMIC_RELAXED);
		return false;
	}
	p->flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
	if (page_poisoning_enabled)
		kernel_poison_pages(p, 1UL << order);
	if (debug_pagealloc_enabled)
		__kernel_map_pages(p, 1 << order, 0);
	return true;
}

static inline bool page_debugging()
{
	u16 both;
	static_assert(sizeof(both) == sizeof(page_debug));
	__builtin_memcpy(&both, &page_debug, sizeof(both));
	return both != 0;
}

// The order-0 case without debugging options stays inline: it is the pcp fast path.
[[gnu::always_inline]] static inline bool free_pages_prepare(page *p, unsigned order)
{
	if (likely(!order && !page_debugging())) {
		if (unlikely(free_page_is_bad(p))) {
			__atomic_fetch_add(&nr_bad_pages, 1UL, __ATOMIC_RELAXED);
			return false;
		}
		p->flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
		return true;
	}
	return free_pages_prepare_slow(p, order);
}

// A checked block into its zone's free lists under the zone lock.
static void free_block_to_buddy(page *p, unsigned order, unsigned fpi)
{
	unsigned long pfn = page_to_pfn(p);
	zone *z = page_zone(p);
	int mt = static_cast<int>(get_pfnblock_flags_mask(p, pfn, MIGRATETYPE_MASK));
	{
		SpinLockGuard g(z->lock);
		__free_one_page(p, pfn, z, order, mt, fpi);
	}
	count_vm_events(PGFREE, 1UL << order);
}

[[gnu::noinline]] static void __free_pages_ok(page *p, unsigned order, unsigned fpi)
{
	if (!free_pages_prepare(p, order))
		return;
	free_block_to_buddy(p, order, fpi);
}

// memblock_free_all()'s hand-over of one block. memmap_init() wrote these struct pages in the
// free state (refcount 0, no flags) and nothing has used them since: the memory belonged to
// memblock, not to the page allocator. So only the head is checked, where Linux's
// __free_pages_core() clears and checks every page of the block again; at ~25 instructions
// per 4 KiB that was a quarter of the boot. The debugging options still see every page
// (page_poison poisons all of it, debug_pagealloc unmaps it).
void memblock_free_pages(page *p, unsigned order)
{
	unsigned long nr = 1UL << order;
	__atomic_fetch_add(&page_zone(p)->managed_pages, nr, __ATOMIC_RELAXED);
	if (unlikely(page_debugging())) {
		__free_pages_ok(p, order, FPI_TO_TAIL);
		return;
	}
	if (unlikely(free_page_is_bad(p))) {
		__atomic_fetch_add(&nr_bad_pages, nr, __ATOMIC_RELAXED);
		return;
	}
	free_block_to_buddy(p, order, FPI_TO_TAIL);
}

// Returns pages from a CPU's lists to the buddy, round-robin over the lists starting after
// pindex, from each list's cold end. Called with IRQs off for that CPU's pcp (per-CPU data,
// not a lock: checked in debug builds) and without the zone lock, which it takes.
[[gnu::noinline]] static void free_pcppages_bulk(zone *z, int count, per_cpu_pages *pcp, int pindex)
	TA_EXCL(z->lock)
{
	lockdep_assert_irqs_disabled();
	int min_pindex = 0;
	int max_pindex = NR_PCP_LISTS - 1;
	count = kstd::min(pcp->count, count);
	pindex = pindex - 1;
	z->lock.lock();
	bool isolated = z->nr_isolate_pageblock != 0;
	while (count > 0) {
		list_head *list;
		for (;;) {
			if (++pindex > max_pindex)
				pindex = min_pindex;
			list = &pcp->lists[pindex];
			if (!list_empty(list))
				break;
			if (pindex == max_pindex)
				max_pindex--;
			if (pindex == min_pindex)
				min_pindex++;
		}
		unsigned order = pindex_to_order(static_cast<unsigned>(pindex));
		int nr_pages = 1 << order;
		do {
			page *p = list_last_entry(list, page, pcp_list);
			int mt = get_pcppage_migratetype(p);
			list_del(&p->pcp_list);
			count -= nr_pages;
			pcp->count -= nr_pages;
			if (unlikely(isolated))
				mt = get_pageblock_migratetype(p);
			__free_one_page(p, page_to_pfn(p), z, order, mt, FPI_NONE);
		} while (count > 0 && !list_empty(list));
	}
	z->lock.unlock();
}

static int nr_pcp_free(per_cpu_pages *pcp, int high, int batch, bool free_high)
{
	if (unlikely(free_high))
		return pcp->count;
	if (unlikely(high < batch))
		return 1;
	int min_nr_free = batch;
	int max_nr_free = high - batch;
	// Double the batch for each consecutive free run (up to high - batch) so frees that
	// dominate allocations drain in fewer lock round trips.
	batch <<= pcp->free_factor;
	if (batch < max_nr_free)
		pcp->free_factor++;
	return kstd::clamp(batch, min_nr_free, max_nr_free);
}

static void free_unref_page_commit(zone *z, per_cpu_pages *pcp, page *p, int mt, unsigned order)
{
	vm_event_states[smp_processor_id()][PGFREE] += 1UL << order;
	unsigned pindex = order_to_pindex(mt, order);
	list_add(&p->pcp_list, &pcp->lists[pindex]);
	pcp->count += 1 << order;
	bool free_high = pcp->free_factor && order && order <= PAGE_ALLOC_COSTLY_ORDER;
	int high = free_high ? 0 : pcp->high;
	if (pcp->count >= high)
		free_pcppages_bulk(z, nr_pcp_free(pcp, high, pcp->batch, free_high), pcp, static_cast<int>(pindex));
}

[[gnu::noinline]] static void free_one_page(zone *z, page *p, unsigned long pfn, unsigned order, int mt)
{
	{
		SpinLockGuard g(z->lock);
		if (unlikely(z->nr_isolate_pageblock || is_migrate_isolate(mt)))
			mt = static_cast<int>(get_pfnblock_flags_mask(p, pfn, MIGRATETYPE_MASK));
		__free_one_page(p, pfn, z, order, mt, FPI_NONE);
	}
	count_vm_events(PGFREE, 1UL << order);
}

static void free_unref_page(page *p, unsigned order)
{
	if (!free_pages_prepare(p, order))
		return;
	unsigned long pfn = page_to_pfn(p);
	int mt = static_cast<int>(get_pfnblock_flags_mask(p, pfn, MIGRATETYPE_MASK));
	set_pcppage_migratetype(p, mt);
	// Highatomic and CMA pages ride on the movable list; they keep their own type in
	// p->index so they return to the right free list when drained. Isolated pages skip pcp.
	if (unlikely(mt >= MIGRATE_PCPTYPES)) {
		if (unlikely(is_migrate_isolate(mt))) {
			free_one_page(page_zone(p), p, pfn, order, mt);
			return;
		}
		mt = MIGRATE_MOVABLE;
	}
	zone *z = page_zone(p);
	irqflags_t f = arch_local_irq_save();
	free_unref_page_commit(z, &z->pcp[smp_processor_id()], p, mt, order);
	arch_local_irq_restore(f);
}

static inline bool pcp_allowed_order(unsigned order) { return order <= PAGE_ALLOC_COSTLY_ORDER; }

static void free_the_page(page *p, unsigned order)
{
	if (pcp_allowed_order(order))
		free_unref_page(p, order);
	else
		__free_pages_ok(p, order, FPI_NONE);
}

[[gnu::noinline]] static void free_page_reject(page *p)
{
	bad_page(p, page_bad_reason(p, PAGE_FLAGS_CHECK_AT_FREE));
	__atomic_fetch_add(&nr_bad_pages, 1UL, __ATOMIC_RELAXED);
}

// The list reached high: drain a batch (free_unref_page_commit's tail), entered with IRQs
// on again so that the fast path needs no frame; the count is re-read under IRQs off.
[[gnu::noinline]] static void free_pcp_over_high(zone *z, unsigned pindex)
{
	irqflags_t f = arch_local_irq_save();
	per_cpu_pages *pcp = &z->pcp[smp_processor_id()];
	if (pcp->count >= pcp->high)
		free_pcppages_bulk(z, nr_pcp_free(pcp, pcp->high, pcp->batch, false), pcp, static_cast<int>(pindex));
	arch_local_irq_restore(f);
}

// The last reference to an order-0 page went away: free_unref_page(p, 0) with every decision
// the same, laid out so that the common case (no debugging, a good page in a pcp pageblock,
// the list below high) runs straight through without a call or a stack frame. The
// refcount is known to be 0: the caller's put_page_testzero() took it there, and nothing
// can raise it from 0 (get_page_unless_zero).
[[gnu::always_inline]] static inline void free_unref_page0(page *p)
{
	if (unlikely(page_debugging())) {
		free_unref_page(p, 0);
		return;
	}
	unsigned long flags = p->flags;
	if (unlikely(page_mapcount_raw(p) != -1 ||
		     (reinterpret_cast<unsigned long>(p->mapping) | (flags & PAGE_FLAGS_CHECK_AT_FREE) | (p->compound_head & 1)))) {
		free_page_reject(p);
		return;
	}
	p->flags = flags & ~PAGE_FLAGS_CHECK_AT_PREP;
	unsigned long pfn = page_to_pfn(p);
	int mt = static_cast<int>(get_pfnblock_flags_mask(p, pfn, MIGRATETYPE_MASK));
	set_pcppage_migratetype(p, mt);
	if (unlikely(mt >= MIGRATE_PCPTYPES)) {
		if (unlikely(is_migrate_isolate(mt))) {
			free_one_page(page_zone(p), p, pfn, 0, mt);
			return;
		}
		mt = MIGRATE_MOVABLE;
	}
	zone *z = page_zone_by_table(p);
	irqflags_t f = arch_local_irq_save();
	per_cpu_pages *pcp = &z->pcp[smp_processor_id()];
	unsigned pindex = order_to_pindex(mt, 0);
	list_add(&p->pcp_list, &pcp->lists[pindex]);
	pcp->pgfree++;
	bool over_high = ++pcp->count >= pcp->high;
	arch_local_irq_restore(f);
	if (unlikely(over_high))
		free_pcp_over_high(z, pindex);
}

// __free_pages() without the order-0 fast path (free_unref_page0): also its reference in the
// differential test (tests/host/test_page_alloc_fastpath.cpp).
[[gnu::noinline]] void __free_pages_general(page *p, unsigned order)
{
	if (unlikely(!p))
		return;
	if (unlikely(order >= MAX_ORDER)) {
		bad_page(p, "free with order beyond MAX_PAGE_ORDER");
		return;
	}
	if (unlikely(page_ref_count(p) <= 0 || PageBuddy(p))) {
		// A second free of the same pages (Linux's VM_BUG_ON_PAGE under DEBUG_VM): report and
		// leave the free lists alone.
		bad_page(p, "freeing a page that is already free (refcount 0)");
		return;
	}
	bool head = PageHead(p);
	if (put_page_testzero(p))
		free_the_page(p, order);
	else if (!head)
		// Someone else holds a reference to the first page (speculative get_page): free the
		// rest, which only we own, as Linux does.
		while (order-- > 0)
			free_the_page(p + (1UL << order), order);
}

// An order-0 page whose reference count went below zero: it was already free. Undo the
// decrement and report, as the general path does before decrementing.
[[gnu::noinline]] static void free_page_underflow(page *p)
{
	page_ref_inc(p);
	bad_page(p, "freeing a page that is already free (refcount 0)");
}

void __free_pages(page *p, unsigned order)
{
	// Order 0: drop the reference; the last one sends the page straight to this CPU's list.
	// A page that was already free shows up as a negative count. (A page with refcount 1
	// that is really free, PageBuddy, fails free_unref_page0()'s state check instead.)
	if (likely(order == 0 && p)) {
		int r = __atomic_sub_fetch(&p->_refcount, 1, __ATOMIC_ACQ_REL);
		if (likely(r == 0))
			free_unref_page0(p);
		else if (unlikely(r < 0))
			free_page_underflow(p);
		return;
	}
	__free_pages_general(p, order);
}

void free_pages(unsigned long addr, unsigned order)
{
	if (addr != 0)
		__free_pages(virt_to_page(reinterpret_cast<void *>(addr)), order);
}

void put_page(page *p)
{
	p = compound_head(p);
	if (page_ref_count(p) <= 0) {
		bad_page(p, "put_page on a free page");
		return;
	}
	if (put_page_testzero(p)) {
		set_page_count(p, 1);
		__free_pages(p, compound_order(p));
	}
}

// --- allocation path ------------------------------------------------------------------------

static void prep_compound_page(page *p, unsigned order)
{
	unsigned long nr = 1UL << order;
	__SetPageHead(p);
	for (unsigned long i = 1; i < nr; i++) {
		page *t = p + i;
		t->mapping = TAIL_MAPPING;
		set_compound_head(t, p);
		set_page_private(t, 0);
	}
	p[1].compound_dtor = 1;
	p[1].compound_order = static_cast<unsigned char>(order);
	p[1].compound_mapcount = -1;
	p[1].compound_nr = static_cast<unsigned>(nr);
}

[[gnu::noinline]] static void prep_new_page_slow(page *p, unsigned order, gfp_t gfp)
{
	unsigned long n = 1UL << order;
	if (debug_pagealloc_enabled)
		__kernel_map_pages(p, static_cast<int>(n), 1);
	if (page_poisoning_enabled)
		kernel_unpoison_pages(p, n);
	if (gfp_has(gfp, __GFP_ZERO))
		for (unsigned long i = 0; i < n; i++)
			clear_page(page_address(p + i));
	if (order && gfp_has(gfp, __GFP_COMP))
		prep_compound_page(p, order);
}

[[gnu::always_inline]] static inline void prep_new_page(page *p, unsigned order, gfp_t gfp)
{
	set_page_private(p, 0);
	set_page_refcounted(p);
	if (unlikely(order || page_debugging() || gfp_has(gfp, __GFP_ZERO)))
		prep_new_page_slow(p, order, gfp);
}

// Fills a pcp list with up to count blocks under one lock hold.
[[gnu::noinline]] static int rmqueue_bulk(zone *z, unsigned order, int count, list_head *list, int mt, unsigned alloc_flags)
	TA_EXCL(z->lock)
{
	int allocated = 0;
	int i;
	z->lock.lock();
	for (i = 0; i < count; ++i) {
		page *p = __rmqueue(z, order, mt, alloc_flags);
		if (unlikely(!p))
			break;
		// Pages are checked once, here, as they enter the per-CPU list (Linux's
		// check_pcp_refill); a pcp hit then needs no check. A bad page is left out.
		if (unlikely(check_new_pages(p, order)))
			continue;
		if (is_migrate_cma(get_pcppage_migratetype(p)))
			__mod_zone_page_state(z, NR_FREE_CMA_PAGES, -(1L << order));
		list_add_tail(&p->pcp_list, list);
		allocated++;
	}
	__mod_zone_page_state(z, NR_FREE_PAGES, -(static_cast<long>(i) << order));
	z->lock.unlock();
	return allocated;
}

static page *rmqueue_pcplist(zone *z, unsigned order, int mt, unsigned alloc_flags)
{
	irqflags_t f = arch_local_irq_save();
	unsigned cpu = smp_processor_id();
	per_cpu_pages *pcp = &z->pcp[cpu];
	// An allocation ends a run of frees: shrink the drain batch again.
	pcp->free_factor >>= 1;
	list_head *list = &pcp->lists[order_to_pindex(mt, order)];
	page *p;
	for (;;) {
		if (list_empty(list)) {
			int batch = pcp->batch;
			if (batch > 1)
				batch = kstd::max(batch >> order, 2);
			int alloced = rmqueue_bulk(z, order, batch, list, mt, alloc_flags);
			pcp->count += alloced << order;
			if (unlikely(list_empty(list))) {
				arch_local_irq_restore(f);
				return nullptr;
			}
		}
		p = list_first_entry(list, page, pcp_list);
		list_del(&p->pcp_list);
		pcp->count -= 1 << order;
		// Checked on refill or when freed; re-checked only with debug_pagealloc (Linux's
		// check_new_pcp), which is what keeps a pcp hit cheap.
		if (likely(!debug_pagealloc_enabled) || likely(!check_new_pages(p, order)))
			break;
	}
	vm_event_states[cpu][PGALLOC_DMA + page_zonenum(p)] += 1UL << order;
	arch_local_irq_restore(f);
	return p;
}

[[gnu::noinline]] static page *rmqueue_buddy(zone *z, unsigned order, unsigned alloc_flags, int mt)
{
	page *p;
	do {
		p = nullptr;
		irqflags_t f = z->lock.lock_irqsave();
		if (order > 0 && (alloc_flags & ALLOC_HARDER))
			p = __rmqueue_smallest(z, order, MIGRATE_HIGHATOMIC);
		if (!p) {
			p = __rmqueue(z, order, mt, alloc_flags);
			if (!p) {
				z->lock.unlock_irqrestore(f);
				return nullptr;
			}
		}
		__mod_zone_freepage_state(z, -(1L << order), get_pcppage_migratetype(p));
		z->lock.unlock_irqrestore(f);
	} while (check_new_pages(p, order));
	count_vm_events(static_cast<vm_event_item>(PGALLOC_DMA + page_zonenum(p)), 1UL << order);
	return p;
}

static page *rmqueue(zone *z, unsigned order, unsigned alloc_flags, int mt)
{
	// CMA pages sit on the movable pcp list; a movable request that may not use CMA must
	// bypass the pcp so it cannot receive one.
	if (likely(pcp_allowed_order(order)) && ((alloc_flags & ALLOC_CMA) || mt != MIGRATE_MOVABLE || !totalcma_pages)) {
		page *p = rmqueue_pcplist(z, order, mt, alloc_flags);
		if (likely(p))
			return p;
	}
	return rmqueue_buddy(z, order, alloc_flags, mt);
}

// --- watermarks -------------------------------------------------------------------------------

static long __zone_watermark_unusable_free(zone *z, unsigned order, unsigned alloc_flags)
{
	bool alloc_harder = alloc_flags & (ALLOC_HARDER | ALLOC_OOM);
	long unusable = (1L << order) - 1;
	// Highatomic reserves are only for ALLOC_HARDER; CMA pages only for ALLOC_CMA.
	if (likely(!alloc_harder))
		unusable += static_cast<long>(READ_ONCE(z->nr_reserved_highatomic));
	if (!(alloc_flags & ALLOC_CMA))
		unusable += static_cast<long>(zone_page_state(z, NR_FREE_CMA_PAGES));
	return unusable;
}

[[gnu::noinline]] bool __zone_watermark_ok(zone *z, unsigned order, unsigned long mark, int highest_zoneidx,
					 unsigned alloc_flags, long free_pages)
{
	long min = static_cast<long>(mark);
	bool alloc_harder = alloc_flags & (ALLOC_HARDER | ALLOC_OOM);
	free_pages -= __zone_watermark_unusable_free(z, order, alloc_flags);
	if (alloc_flags & ALLOC_HIGH)
		min -= min / 2;
	if (unlikely(alloc_harder)) {
		// OOM victims may dip deeper than atomic allocations.
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
		else
			min -= min / 4;
	}
	if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	// For a high order, a block of at least that order must exist on a usable list.
	for (unsigned o = order; o < MAX_ORDER; o++) {
		free_area *area = &z->free_area[o];
		if (!area->nr_free)
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (!free_area_empty(area, mt))
				return true;
		if ((alloc_flags & ALLOC_CMA) && !free_area_empty(area, MIGRATE_CMA))
			return true;
		if (alloc_harder && !free_area_empty(area, MIGRATE_HIGHATOMIC))
			return true;
	}
	return false;
}

bool zone_watermark_ok(zone *z, unsigned order, unsigned long mark, int highest_zoneidx, unsigned alloc_flags)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
				   static_cast<long>(zone_page_state(z, NR_FREE_PAGES)));
}

static bool zone_watermark_fast(zone *z, unsigned order, unsigned long mark, int highest_zoneidx, unsigned alloc_flags)
{
	long free_pages = static_cast<long>(zone_page_state(z, NR_FREE_PAGES));
	if (!order) {
		long reserved = __zone_watermark_unusable_free(z, 0, alloc_flags);
		long usable = free_pages - kstd::min(free_pages, reserved);
		if (usable > static_cast<long>(mark) + z->lowmem_reserve[highest_zoneidx])
			return true;
	}
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages);
}

// --- highatomic reserves ----------------------------------------------------------------------

// After a successful high-order atomic allocation, keep its pageblock for atomic requests (up
// to 1% of the zone plus one block) so later atomic high-order allocations do not fail on
// fragmentation.
[[gnu::noinline]] static void reserve_highatomic_pageblock(page *p, zone *z)
{
	unsigned long max_managed = zone_managed_pages(z) / 100 + pageblock_nr_pages;
	if (READ_ONCE(z->nr_reserved_highatomic) >= max_managed) // re-checked under the lock
		return;
	SpinLockGuard g(z->lock);
	if (z->nr_reserved_highatomic >= max_managed)
		return;
	int mt = get_pageblock_migratetype(p);
	if (migratetype_is_mergeable(mt)) {
		z->nr_reserved_highatomic += pageblock_nr_pages;
		set_pageblock_migratetype(p, MIGRATE_HIGHATOMIC);
		move_freepages_block(z, p, MIGRATE_HIGHATOMIC, nullptr);
	}
}

// Under memory pressure, hand highatomic blocks back to ac's migratetype; unless forced, each
// zone keeps one reserved block.
static bool unreserve_highatomic_pageblock(const alloc_context *ac, bool force)
{
	for (zoneref *zr = ac->preferred_zoneref; zr->zone_; zr++) {
		zone *z = zr->zone_;
		if (zr->zone_idx > ac->highest_zoneidx)
			continue;
		if (!force && READ_ONCE(z->nr_reserved_highatomic) <= pageblock_nr_pages)
			continue;
		SpinLockGuard g(z->lock);
		for (unsigned order = 0; order < MAX_ORDER; order++) {
			page *p = get_page_from_free_area(&z->free_area[order], MIGRATE_HIGHATOMIC);
			if (!p)
				continue;
			if (is_migrate_highatomic(get_pageblock_migratetype(p)))
				z->nr_reserved_highatomic -= kstd::min(pageblock_nr_pages, z->nr_reserved_highatomic);
			set_pageblock_migratetype(p, ac->migratetype);
			if (move_freepages_block(z, p, ac->migratetype, nullptr))
				return true;
		}
	}
	return false;
}

// --- the allocator proper ---------------------------------------------------------------------

static zoneref *first_zones_zonelist(zonelist *zl, int highest_zoneidx)
{
	zoneref *z = zl->_zonerefs;
	while (z->zone_ && z->zone_idx > highest_zoneidx)
		z++;
	return z;
}

// More than one node with memory (a popcount would be a long bit-trick sequence without SIMD).
static inline bool multiple_nodes() { return (node_states_memory & (node_states_memory - 1)) != 0; }

static page *get_page_from_freelist(gfp_t gfp, unsigned order, unsigned alloc_flags, const alloc_context *ac)
{
retry:
	bool no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
	for (zoneref *zr = ac->preferred_zoneref; zr->zone_; zr++) {
		if (zr->zone_idx > ac->highest_zoneidx)
			continue;
		zone *z = zr->zone_;
		// Falling back to a remote node is worse than fragmenting the local one.
		if (no_fallback && multiple_nodes() && z != ac->preferred_zoneref->zone_ &&
		    zone_to_nid(z) != zone_to_nid(ac->preferred_zoneref->zone_)) {
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		unsigned long mark = wmark_pages(z, alloc_flags & ALLOC_WMARK_MASK);
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(z, order, mark, ac->highest_zoneidx, alloc_flags))
			continue; // no reclaim exists to bring the zone back over its watermark
		page *p = rmqueue(z, order, alloc_flags, ac->migratetype);
		if (p) {
			zone_statistics(ac->preferred_zoneref->zone_, z);
			prep_new_page(p, order, gfp);
			if (unlikely(order && (alloc_flags & ALLOC_HARDER)))
				reserve_highatomic_pageblock(p, z);
			return p;
		}
	}
	if (no_fallback) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return nullptr;
}

// Avoid splitting pageblocks of another type while lower zones still have suitable memory:
// only for allocations preferring ZONE_NORMAL with ZONE_DMA32 below it (Linux 6.1).
static unsigned alloc_flags_nofragment(const zoneref *zr, gfp_t gfp)
{
	unsigned alloc_flags = gfp_raw(gfp & __GFP_KSWAPD_RECLAIM) ? ALLOC_KSWAPD : 0;
	zone *z = zr->zone_;
	if (!z || zr->zone_idx != ZONE_NORMAL)
		return alloc_flags;
	if (multiple_nodes() && !populated_zone(z - 1))
		return alloc_flags;
	return alloc_flags | ALLOC_NOFRAGMENT;
}

static unsigned gfp_to_alloc_flags_cma(gfp_t gfp, unsigned alloc_flags)
{
	if (gfp_migratetype(gfp) == MIGRATE_MOVABLE)
		alloc_flags |= ALLOC_CMA;
	return alloc_flags;
}

static unsigned gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned alloc_flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;
	if (gfp_has(gfp, __GFP_HIGH))
		alloc_flags |= ALLOC_HIGH;
	if (gfp_has(gfp, __GFP_KSWAPD_RECLAIM))
		alloc_flags |= ALLOC_KSWAPD;
	if (gfp_has(gfp, __GFP_ATOMIC)) {
		// Atomic requests cannot wait for reclaim: let them go below min.
		if (!gfp_has(gfp, __GFP_NOMEMALLOC))
			alloc_flags |= ALLOC_HARDER;
		alloc_flags &= ~ALLOC_CPUSET;
	}
	return gfp_to_alloc_flags_cma(gfp, alloc_flags);
}

static bool has_managed_dma()
{
	for_each_online_pgdat(pgdat)
		if (managed_zone(&pgdat->node_zones[ZONE_DMA]))
			return true;
	return false;
}

[[gnu::noinline]] static void warn_alloc(gfp_t gfp, unsigned order)
{
	if (gfp_has(gfp, __GFP_NOWARN) || (gfp_has(gfp, __GFP_DMA) && !has_managed_dma()))
		return;
	char names[160];
	format_gfp_flags(names, sizeof(names), gfp);
	pr_warn("%s: page allocation failure: order:%u, mode:%#x(%s), nodemask=(null)\n", page_alloc_current_comm(),
		order, gfp_raw(gfp), names);
	show_free_areas();
}

// No reclaim or compaction exists: the slow path retries at the min watermark (with the
// atomic reserves for __GFP_ATOMIC/__GFP_HIGH), then, where Linux would reclaim, drains the
// per-CPU lists and releases highatomic reserves before giving up.
[[gnu::noinline]] static page *__alloc_pages_slowpath(gfp_t gfp, unsigned order, alloc_context *ac)
{
	unsigned alloc_flags = gfp_to_alloc_flags(gfp);
	bool can_direct_reclaim = gfp_has(gfp, __GFP_DIRECT_RECLAIM);
	int attempts = 0;
	page *p;
	ac->preferred_zoneref = first_zones_zonelist(ac->zl, ac->highest_zoneidx);
	if (!ac->preferred_zoneref->zone_)
		goto nopage;
retry:
	p = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (p)
		return p;
	if (!can_direct_reclaim)
		goto nopage;
	if (attempts == 0) {
		unreserve_highatomic_pageblock(ac, false);
		drain_all_pages(nullptr);
		attempts++;
		goto retry;
	}
	if (attempts == 1 && !gfp_has(gfp, __GFP_NORETRY)) {
		// Linux's should_reclaim_retry() gives up the last highatomic blocks before OOM.
		attempts++;
		if (unreserve_highatomic_pageblock(ac, true))
			goto retry;
	}
	if (gfp_has(gfp, __GFP_NOFAIL) && !(alloc_flags & ALLOC_HARDER)) {
		// Linux would loop here until reclaim or the OOM killer frees memory; neither exists,
		// so a __GFP_NOFAIL request gets the atomic reserves once, then fails loudly.
		alloc_flags |= ALLOC_HARDER | ALLOC_HIGH;
		goto retry;
	}
nopage:
	warn_alloc(gfp, order);
	return nullptr;
}

// The first node with memory (this CPU's node until CPUs get node ids).
static inline int default_node()
{
	return node_states_memory ? __builtin_ctzl(node_states_memory) : 0;
}

// The order-0 fast path: a page from this CPU's list in the preferred zone of the local
// node when that zone is above its low watermark. It makes exactly the decisions the general
// path makes for that case (zone, migratetype, watermark, pcp list) without building an
// alloc_context or walking the zonelist; anything else (empty list, low zone, __GFP_THISNODE,
// page debugging) returns nullptr and the general path runs. It and free_unref_page0 are
// second copies of that path: tests/host/test_page_alloc_fastpath.cpp runs one operation
// stream through both and compares every page, list, pageblock and counter after each step.
[[gnu::always_inline]] static inline page *alloc_order0_fast(gfp_t gfp)
{
	if (unlikely(gfp_has(gfp, __GFP_THISNODE)))
		return nullptr;
	const pglist_data::pcp_fast_entry &e = local_pgdat->pcp_fast[gfp_raw(gfp) & 31];
	static_assert(gfp_raw(GFP_ZONEMASK | __GFP_RECLAIMABLE) == 31, "pcp_fast is indexed by gfp bits 0-4");
	zone *z = e.z;
	if (unlikely(!z))
		return nullptr;
	int mt = e.migratetype;
	int highest = e.highest_zoneidx;
	// zone_watermark_fast(z, 0, low_wmark_pages(z), highest, ALLOC_WMARK_LOW | ALLOC_CMA-if-
	// movable) for order 0: highatomic reserves are not usable without ALLOC_HARDER, free CMA
	// pages not without ALLOC_CMA. A failure here only means the general path decides.
	long usable = __atomic_load_n(&z->vm_stat[NR_FREE_PAGES], __ATOMIC_RELAXED) -
		      static_cast<long>(READ_ONCE(z->nr_reserved_highatomic));
	if (mt != MIGRATE_MOVABLE)
		usable -= __atomic_load_n(&z->vm_stat[NR_FREE_CMA_PAGES], __ATOMIC_RELAXED);
	if (unlikely(usable <= static_cast<long>(low_wmark_pages(z)) + z->lowmem_reserve[highest]))
		return nullptr;
	irqflags_t f = arch_local_irq_save();
	per_cpu_pages *pcp = &z->pcp[smp_processor_id()];
	list_head *list = &pcp->lists[order_to_pindex(mt, 0)];
	if (unlikely(list_empty(list))) {
		arch_local_irq_restore(f);
		return nullptr;
	}
	page *p = list_first_entry(list, page, pcp_list);
	// Unlinked without LIST_POISON: the page's new owner overwrites lru (set_page_private
	// and set_page_refcounted below are the only other words this path writes).
	__list_del(p->pcp_list.prev, p->pcp_list.next);
	pcp->count--;
	if (pcp->free_factor) // an allocation ends a run of frees; the store is rarely needed
		pcp->free_factor >>= 1;
	pcp->pgalloc++;
	arch_local_irq_restore(f);
	// prep_new_page() for order 0 without debugging; __GFP_ZERO is the caller's business.
	set_page_private(p, 0);
	set_page_refcounted(p);
	return p;
}

#if defined(HOST_TEST)
// The mistakes these make on purpose are what the analysis exists to reject, so it is off
// for both: they prove that the run-time checks behind it fire too.
void free_one_page_without_lock_for_test(page *p) TA_NO_THREAD_SAFETY_ANALYSIS
{
	if (!free_pages_prepare(p, 0))
		return;
	unsigned long pfn = page_to_pfn(p);
	__free_one_page(p, pfn, page_zone(p), 0, static_cast<int>(get_pfnblock_flags_mask(p, pfn, MIGRATETYPE_MASK)),
			FPI_NONE);
}
void free_pcppages_bulk_irqs_on_for_test(zone *z) TA_NO_THREAD_SAFETY_ANALYSIS
{
	free_pcppages_bulk(z, 0, &z->pcp[smp_processor_id()], 0);
}
#endif

[[gnu::noinline]] static page *clear_new_page(page *p)
{
	clear_page(page_address(p));
	// Hides that the result is the argument: otherwise the compiler keeps p in a callee-saved
	// register across the call in alloc_pages() and the fast path pays for a bigger frame.
	OPTIMIZER_HIDE_VAR(p);
	return p;
}

page *__alloc_pages(gfp_t gfp, unsigned order, int preferred_nid)
{
	if (unlikely(order >= MAX_ORDER)) {
		if (!gfp_has(gfp, __GFP_NOWARN))
			WARN_ON_ONCE(order >= MAX_ORDER);
		return nullptr;
	}
	// Linux's prepare_alloc_pages: the failure point, before any work.
	if (unlikely(fault_inject_armed()) && should_fail_alloc_page(gfp, order))
		return nullptr;
	if (unlikely(static_cast<unsigned>(preferred_nid) >= MAX_NUMNODES || !node_online(preferred_nid)))
		preferred_nid = default_node();
	alloc_context ac;
	ac.highest_zoneidx = gfp_zone(gfp);
	ac.zl = likely(!gfp_has(gfp, __GFP_THISNODE)) ? &NODE_DATA(preferred_nid)->node_zonelist
							: &NODE_DATA(preferred_nid)->node_zonelist_nofallback;
	ac.migratetype = gfp_migratetype(gfp);
	ac.preferred_zoneref = first_zones_zonelist(ac.zl, ac.highest_zoneidx);
	unsigned alloc_flags = ALLOC_WMARK_LOW | (ac.migratetype == MIGRATE_MOVABLE ? ALLOC_CMA : 0);
	alloc_flags |= alloc_flags_nofragment(ac.preferred_zoneref, gfp);
	page *p = nullptr;
	if (ac.preferred_zoneref->zone_)
		p = get_page_from_freelist(gfp, order, alloc_flags, &ac);
	if (likely(p))
		return p;
	return __alloc_pages_slowpath(gfp, order, &ac);
}

// The fast path runs in alloc_pages' own small frame: __alloc_pages saves many registers and
// carries a stack canary for its alloc_context, which a pcp hit should not pay for.
// Every call below is a tail call, so a pcp hit runs without a stack frame.
page *alloc_pages(gfp_t gfp, unsigned order)
{
	if (likely(order == 0)) {
		if (page *p = alloc_order0_fast(gfp); likely(p)) {
			if (unlikely(gfp_has(gfp, __GFP_ZERO)))
				return clear_new_page(p);
			return p;
		}
	}
	return __alloc_pages(gfp, order, NUMA_NO_NODE);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned order)
{
	page *p = alloc_pages(gfp, order);
	return p ? reinterpret_cast<unsigned long>(page_address(p)) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp) { return __get_free_pages(gfp | __GFP_ZERO, 0); }

// --- per-CPU list management ------------------------------------------------------------------

static void drain_pages_zone(unsigned cpu, zone *z)
{
	irqflags_t f = arch_local_irq_save();
	per_cpu_pages *pcp = &z->pcp[cpu];
	if (pcp->count)
		free_pcppages_bulk(z, pcp->count, pcp, 0);
	arch_local_irq_restore(f);
}

void drain_local_pages(zone *z)
{
	unsigned cpu = smp_processor_id();
	if (z) {
		drain_pages_zone(cpu, z);
		return;
	}
	for_each_populated_zone(zz)
		drain_pages_zone(cpu, zz);
}

void drain_all_pages(zone *z)
{
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		if (z) {
			drain_pages_zone(cpu, z);
			continue;
		}
		for_each_populated_zone(zz)
			drain_pages_zone(cpu, zz);
	}
}

int zone_batchsize(const zone *z)
{
	// About 1/1000th of the zone (capped at 1 MiB worth), a quarter of that, then 2^n - 1 so
	// that batches of different zones do not alias in the cache (Linux's comment).
	int batch = static_cast<int>(kstd::min(zone_managed_pages(z) >> 10, (1024UL * 1024) / PAGE_SIZE));
	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch = static_cast<int>(1UL << kstd::ilog2(static_cast<u64>(batch + batch / 2))) - 1;
	return batch;
}

int zone_highsize(const zone *z, int batch)
{
	// The low watermark split between the CPUs, so pcp lists cannot hold pages that would keep
	// the zone below its low watermark; at least 4 batches.
	unsigned long total_pages = low_wmark_pages(z);
	int nr_split_cpus = static_cast<int>(nr_online_cpus);
	int high = static_cast<int>(total_pages / static_cast<unsigned long>(nr_split_cpus));
	return kstd::max(high, batch << 2);
}

void zone_pcp_update(zone *z)
{
	int batch = zone_batchsize(z);
	int high = zone_highsize(z, batch);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		per_cpu_pages *pcp = &z->pcp[cpu];
		__atomic_store_n(&pcp->batch, batch, __ATOMIC_RELAXED);
		__atomic_store_n(&pcp->high, high, __ATOMIC_RELAXED);
	}
}

void setup_zone_pageset(zone *z)
{
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		per_cpu_pages *pcp = &z->pcp[cpu];
		pcp->count = 0;
		pcp->free_factor = 0;
		for (unsigned i = 0; i < NR_PCP_LISTS; i++)
			INIT_LIST_HEAD(&pcp->lists[i]);
	}
	zone_pcp_update(z);
}

// No lock: the zone is being built at boot and no other CPU or path can see it yet, and
// free_area_init() measures this loop (memmap_init_total), so the analysis is off rather
// than paying for a lock round trip per zone.
void zone_init_free_lists(zone *z) TA_NO_THREAD_SAFETY_ANALYSIS
{
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		for (int t = 0; t < MIGRATE_TYPES; t++)
			INIT_LIST_HEAD(&z->free_area[order].free_list[t]);
		z->free_area[order].nr_free = 0;
	}
}

// --- watermarks and reserves ------------------------------------------------------------------

// Exact (every CPU's pending delta added): the free-page ledger the tests and `run` compare.
unsigned long nr_free_pages() { return global_zone_page_state_snapshot(NR_FREE_PAGES); }

unsigned long totalram_pages()
{
	unsigned long n = 0;
	for_each_zone(z)
		n += zone_managed_pages(z);
	return n;
}

unsigned long nr_free_buffer_pages()
{
	unsigned long sum = 0;
	int highest = gfp_zone(GFP_USER);
	for_each_zone(z) {
		if (zone_idx(z) > highest)
			continue;
		unsigned long size = zone_managed_pages(z);
		unsigned long high = high_wmark_pages(z);
		if (size > high)
			sum += size - high;
	}
	return sum;
}

static void calculate_totalreserve_pages()
{
	unsigned long reserve_pages = 0;
	for_each_online_pgdat(pgdat) {
		pgdat->totalreserve_pages = 0;
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			zone *z = &pgdat->node_zones[i];
			long max = 0;
			unsigned long managed = zone_managed_pages(z);
			for (int j = i; j < MAX_NR_ZONES; j++)
				max = kstd::max(max, z->lowmem_reserve[j]);
			max += static_cast<long>(high_wmark_pages(z));
			if (max > static_cast<long>(managed))
				max = static_cast<long>(managed);
			pgdat->totalreserve_pages += static_cast<unsigned long>(max);
			reserve_pages += static_cast<unsigned long>(max);
		}
	}
	totalreserve_pages = reserve_pages;
}

void setup_per_zone_lowmem_reserve()
{
	for_each_online_pgdat(pgdat) {
		for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
			zone *z = &pgdat->node_zones[i];
			int ratio = sysctl_lowmem_reserve_ratio[i];
			bool clear = !ratio || !zone_managed_pages(z);
			unsigned long managed = 0;
			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += zone_managed_pages(&pgdat->node_zones[j]);
				z->lowmem_reserve[j] = clear ? 0 : static_cast<long>(managed / static_cast<unsigned long>(ratio));
			}
		}
	}
	calculate_totalreserve_pages();
}

static void __setup_per_zone_wmarks()
{
	unsigned long pages_min = static_cast<unsigned long>(min_free_kbytes) >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	for_each_zone(z)
		if (zone_idx(z) != ZONE_MOVABLE)
			lowmem_pages += zone_managed_pages(z);
	for_each_zone(z) {
		SpinLockGuard g(z->lock);
		u64 tmp = lowmem_pages ? static_cast<u64>(pages_min) * zone_managed_pages(z) / lowmem_pages : 0;
		if (zone_idx(z) == ZONE_MOVABLE && managed_zone(z)) {
			// Movable allocations can wait for reclaim: a small fixed min, not a share.
			unsigned long min_pages = zone_managed_pages(z) / 1024;
			z->_watermark[WMARK_MIN] = kstd::clamp(min_pages, 32UL, 128UL);
		} else {
			// An empty zone gets 0, as Linux's arithmetic gives it.
			z->_watermark[WMARK_MIN] = tmp;
		}
		// Gaps min->low->high: a quarter of min, or watermark_scale_factor/10000 of the zone.
		tmp = kstd::max(tmp >> 2, zone_managed_pages(z) * static_cast<u64>(watermark_scale_factor) / 10000);
		z->watermark_boost = 0;
		z->_watermark[WMARK_LOW] = min_wmark_pages(z) + tmp;
		z->_watermark[WMARK_HIGH] = low_wmark_pages(z) + tmp;
		z->_watermark[WMARK_PROMO] = high_wmark_pages(z) + tmp;
	}
	calculate_totalreserve_pages();
}

void setup_per_zone_wmarks()
{
	__setup_per_zone_wmarks();
	for_each_zone(z)
		zone_pcp_update(z);
}

static unsigned long int_sqrt(unsigned long x)
{
	if (x <= 1)
		return x;
	unsigned long m = 1UL << (kstd::fls64(x) & ~1U);
	unsigned long y = 0;
	while (m != 0) {
		unsigned long b = y + m;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += m;
		}
		m >>= 2;
	}
	return y;
}

// min_free_kbytes = sqrt(lowmem_kbytes * 16), clamped to [128, 256 MiB]: grows with the square
// root of memory so small machines keep a useful reserve and big ones do not waste one.
void init_per_zone_wmark_min()
{
	unsigned long lowmem_kbytes = nr_free_buffer_pages() * (PAGE_SIZE >> 10);
	long new_min = static_cast<long>(int_sqrt(lowmem_kbytes * 16));
	if (cmdline_min_free_kbytes >= 0) {
		min_free_kbytes = cmdline_min_free_kbytes;
		pr_info("min_free_kbytes: %d from the command line (computed: %ld)\n", min_free_kbytes,
			kstd::clamp(new_min, 128L, 262144L));
	} else if (new_min > user_min_free_kbytes)
		min_free_kbytes = static_cast<int>(kstd::clamp(new_min, 128L, 262144L));
	else
		pr_warn("min_free_kbytes is not updated to %ld because user defined value %d is preferred\n", new_min,
			user_min_free_kbytes);
	setup_per_zone_wmarks();
	refresh_zone_stat_thresholds();
	setup_per_zone_lowmem_reserve();
}

// --- CMA and contiguous ranges --------------------------------------------------------------------

// Linux's init_cma_reserved_pageblock: a pageblock memblock kept reserved goes to the buddy
// as MIGRATE_CMA, and the zone's managed pages grow by it.
void init_cma_reserved_pageblock(page *p)
{
	for (unsigned long i = 0; i < pageblock_nr_pages; i++) {
		__ClearPageReserved(p + i);
		set_page_count(p + i, 0);
	}
	set_pageblock_migratetype(p, MIGRATE_CMA);
	set_page_refcounted(p);
	__free_pages(p, pageblock_order);
	__atomic_fetch_add(&page_zone(p)->managed_pages, pageblock_nr_pages, __ATOMIC_RELAXED);
	page_zone(p)->cma_pages += pageblock_nr_pages;
}

void free_reserved_page(page *p)
{
	__ClearPageReserved(p);
	init_page_count(p);
	__free_page(p);
	__atomic_fetch_add(&page_zone(p)->managed_pages, 1UL, __ATOMIC_RELAXED);
}

// Frees [pfn, end) into z (lock held) in naturally aligned blocks; __free_one_page merges and
// counts them.
static void free_range_locked(zone *z, unsigned long pfn, unsigned long end, int mt) TA_REQ(z->lock)
{
	while (pfn < end) {
		unsigned order = pfn ? kstd::min(MAX_ORDER - 1, kstd::ffs0_64(pfn)) : MAX_ORDER - 1;
		while (pfn + (1UL << order) > end)
			order--;
		__free_one_page(pfn_to_page(pfn), pfn, z, order, mt, FPI_NONE);
		pfn += 1UL << order;
	}
}

// Takes every free block of [start, end) off its free list (lock held) onto `taken`, order in
// page_private, no longer PageBuddy. Blocks must not straddle the range.
static void take_free_blocks_locked(zone *z, unsigned long start, unsigned long end, list_head *taken) TA_REQ(z->lock)
{
	for (unsigned long pfn = start; pfn < end;) {
		page *p = pfn_to_page(pfn);
		if (!PageBuddy(p)) {
			pfn++;
			continue;
		}
		unsigned order = buddy_order(p);
		del_page_from_free_list(p, z, order);
		set_page_private(p, order);
		list_add_tail(&p->buddy_list, taken);
		pfn += 1UL << order;
	}
}

// Linux's unset_migratetype_isolate for the pageblocks [start, end): they return to mt, and
// the free pages the isolated lists hold are freed again, so that they merge with their
// buddies and count as free once more.
static void unisolate_range_locked(zone *z, unsigned long start, unsigned long end, int mt) TA_REQ(z->lock)
{
	for (unsigned long pfn = start; pfn < end; pfn += pageblock_nr_pages) {
		set_pageblock_migratetype(pfn_to_page(pfn), mt);
		z->nr_isolate_pageblock--;
	}
	list_head blocks;
	INIT_LIST_HEAD(&blocks);
	take_free_blocks_locked(z, start, end, &blocks);
	while (!list_empty(&blocks)) {
		page *p = list_first_entry(&blocks, page, buddy_list);
		list_del(&p->buddy_list);
		unsigned order = static_cast<unsigned>(page_private(p));
		set_page_private(p, 0);
		__free_one_page(p, page_to_pfn(p), z, order, mt, FPI_NONE);
	}
}

// alloc_contig_range without migration (that comes with compaction, issue #17): the
// pageblocks around [start, end) are isolated (MIGRATE_ISOLATE, their free pages uncounted),
// the per-CPU lists drained into them, and if every page of [start, end) is then free, those
// pages are taken (refcount 1 each) and the rest of the isolated blocks is freed again.
// EBUSY: a page of the range is in use (nothing changed); EINVAL: not one zone, no memmap,
// or pageblocks of another type than migratetype.
Result alloc_contig_range(unsigned long start, unsigned long end, int migratetype, gfp_t gfp)
{
	if (start >= end || !pfn_valid(start) || !pfn_valid(end - 1))
		return Errno::EINVAL;
	zone *z = page_zone(pfn_to_page(start));
	if (page_zone(pfn_to_page(end - 1)) != z || !zone_spans_pfn(z, start) || !zone_spans_pfn(z, end - 1))
		return Errno::EINVAL;
	unsigned long ps = pageblock_start_pfn(start);
	unsigned long pe = pageblock_end_pfn(end - 1);
	for (unsigned long pfn = ps; pfn < pe; pfn += pageblock_nr_pages)
		if (!pfn_valid(pfn))
			return Errno::EINVAL;
	{
		SpinLockGuard g(z->lock);
		// A free block larger than a pageblock (of the same type, see __free_one_page) may
		// begin before ps or end after pe: isolate all of it, so no free block straddles.
		for (unsigned order = pageblock_order + 1; order < MAX_ORDER; order++) {
			unsigned long head = ps & ~((1UL << order) - 1);
			if (zone_spans_pfn(z, head) && pfn_valid(head) && PageBuddy(pfn_to_page(head)) &&
			    buddy_order(pfn_to_page(head)) >= order)
				ps = head;
			head = (pe - 1) & ~((1UL << order) - 1);
			if (zone_spans_pfn(z, head) && pfn_valid(head) && PageBuddy(pfn_to_page(head)) &&
			    head + (1UL << buddy_order(pfn_to_page(head))) > pe)
				pe = head + (1UL << buddy_order(pfn_to_page(head)));
		}
		if (!zone_spans_pfn(z, ps) || !zone_spans_pfn(z, pe - 1))
			return Errno::EINVAL;
		for (unsigned long pfn = ps; pfn < pe; pfn += pageblock_nr_pages) {
			int mt = get_pageblock_migratetype(pfn_to_page(pfn));
			if (mt != migratetype)
				return is_migrate_isolate(mt) ? Errno::EBUSY : Errno::EINVAL;
		}
		for (unsigned long pfn = ps; pfn < pe; pfn += pageblock_nr_pages) {
			unsigned long nr = move_freepages(z, pfn, pfn + pageblock_nr_pages - 1, MIGRATE_ISOLATE, nullptr);
			__mod_zone_freepage_state(z, -static_cast<long>(nr), migratetype);
			set_pageblock_migratetype(pfn_to_page(pfn), MIGRATE_ISOLATE);
			z->nr_isolate_pageblock++;
		}
	}
	// Pages of these blocks on per-CPU lists go to the isolated free lists now.
	drain_all_pages(z);
	list_head taken;
	INIT_LIST_HEAD(&taken);
	{
		SpinLockGuard g(z->lock);
		for (unsigned long pfn = ps; pfn < pe;) {
			page *p = pfn_to_page(pfn);
			if (PageBuddy(p)) {
				pfn += 1UL << buddy_order(p);
				continue;
			}
			if (pfn >= start && pfn < end) {
				// In use, and nothing can move it yet.
				unisolate_range_locked(z, ps, pe, migratetype);
				return Errno::EBUSY;
			}
			pfn++;
		}
		take_free_blocks_locked(z, ps, pe, &taken);
		for (unsigned long pfn = ps; pfn < pe; pfn += pageblock_nr_pages) {
			set_pageblock_migratetype(pfn_to_page(pfn), migratetype);
			z->nr_isolate_pageblock--;
		}
		// What the taken blocks hold outside [start, end) goes back (and is counted again).
		while (!list_empty(&taken)) {
			page *p = list_first_entry(&taken, page, buddy_list);
			list_del(&p->buddy_list);
			unsigned long pfn = page_to_pfn(p), last = pfn + (1UL << page_private(p));
			set_page_private(p, 0);
			if (pfn < start)
				free_range_locked(z, pfn, kstd::min(start, last), migratetype);
			if (last > end)
				free_range_locked(z, kstd::max(end, pfn), last, migratetype);
		}
	}
	for (unsigned long pfn = start; pfn < end; pfn++)
		prep_new_page(pfn_to_page(pfn), 0, gfp);
	return {};
}

void free_contig_range(unsigned long pfn, unsigned long nr_pages)
{
	unsigned long busy = 0;
	for (; nr_pages--; pfn++) {
		page *p = pfn_to_page(pfn);
		busy += page_count(p) != 1;
		__free_page(p);
	}
	if (busy)
		pr_warn("free_contig_range: %lu pages are still in use!\n", busy);
}

// --- ledger ---------------------------------------------------------------------------------------

bool page_alloc_ledger::operator==(const page_alloc_ledger &o) const
{
	return memcmp(this, &o, sizeof(*this)) == 0;
}

page_alloc_ledger page_alloc_ledger_snapshot()
{
	page_alloc_ledger l;
	memset(&l, 0, sizeof(l));
	for_each_zone(z) {
		unsigned long f = zone_page_state_snapshot(z, NR_FREE_PAGES);
		l.free_zone[z->node][zone_idx(z)] = f;
		l.free_total += f;
		l.managed_total += zone_managed_pages(z);
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
			unsigned long c = static_cast<unsigned long>(__atomic_load_n(&z->pcp[cpu].count, __ATOMIC_RELAXED));
			l.pcp_cpu[cpu] += c;
			l.pcp_total += c;
		}
	}
	l.bad_pages = __atomic_load_n(&nr_bad_pages, __ATOMIC_RELAXED);
	return l;
}
