// Boot-time set-up of nodes, zones and the memmap, and the hand-over from memblock to the
// buddy allocator (Linux 6.1 free_area_init, memmap_init, memblock_free_all, mem_init).
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "lib/parse.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

static unsigned long arch_zone_lowest_possible_pfn[MAX_NR_ZONES];
static unsigned long arch_zone_highest_possible_pfn[MAX_NR_ZONES];
static unsigned long zone_movable_pfn[MAX_NUMNODES];
static unsigned long required_kernelcore;
static unsigned long required_kernelcore_percent;
static unsigned long required_movablecore;
static unsigned long required_movablecore_percent;
static int movable_zone;
static bool grouping_forced_off;

// --- early parameters ---------------------------------------------------------------------------

static Result cmdline_parse_core(const char *p, const char *name, unsigned long *core, unsigned long *percent)
{
	if (!p || !*p) {
		pr_err("%s: missing value\n", name);
		return Errno::EINVAL;
	}
	if (!strcmp(p, "mirror")) {
		pr_warn("%s=mirror: mirrored memory is not supported; ignored\n", name);
		return Errno::EINVAL;
	}
	char *e;
	unsigned long long v = strtoull(p, &e, 0);
	if (e != p && *e == '%' && e[1] == '\0') {
		if (v > 100) {
			pr_err("%s=%s: percentage above 100\n", name, p);
			return Errno::EINVAL;
		}
		*percent = v;
		*core = 0;
		return {};
	}
	const char *end;
	u64 bytes;
	if (!kstd::parse_memsize(p, &end, &bytes) || *end != '\0') {
		pr_err("%s=%s: expected a size (K/M/G suffix) or a percentage\n", name, p);
		return Errno::EINVAL;
	}
	*core = bytes >> PAGE_SHIFT;
	*percent = 0;
	return {};
}

Result early_kernelcore(const char *p)
{
	return cmdline_parse_core(p, "kernelcore", &required_kernelcore, &required_kernelcore_percent);
}
Result early_movablecore(const char *p)
{
	return cmdline_parse_core(p, "movablecore", &required_movablecore, &required_movablecore_percent);
}

Result early_min_free_kbytes(const char *p)
{
	char *e;
	if (!p || !*p)
		return Errno::EINVAL;
	unsigned long v = strtoul(p, &e, 0);
	if (*e != '\0' || v > 262144) {
		pr_err("min_free_kbytes=%s: expected a number of KiB up to 262144\n", p);
		return Errno::EINVAL;
	}
	cmdline_min_free_kbytes = static_cast<int>(v);
	return {};
}

// On/off options through the one kstrtobool (lib/parse.h), so that every option takes the same
// spellings as Linux's (debug_pagealloc=y and =on alike).
static Result parse_bool(const char *p, const char *name, bool *out)
{
	if (!p || !*p) {
		pr_err("%s: missing value\n", name);
		return Errno::EINVAL;
	}
	ErrorOr<bool> v = kstd::kstrtobool(p);
	if (v.is_error()) {
		pr_err("%s=%s: expected on/off (y/n, 1/0)\n", name, p);
		return v.error();
	}
	*out = v.value();
	return {};
}

Result early_page_poison(const char *p) { return parse_bool(p, "page_poison", &page_poisoning_enabled); }
Result early_debug_pagealloc(const char *p) { return parse_bool(p, "debug_pagealloc", &debug_pagealloc_enabled); }
Result early_page_alloc_grouping(const char *p)
{
	bool on = true;
	TRY(parse_bool(p, "page_alloc.grouping", &on));
	grouping_forced_off = !on;
	set_page_group_by_mobility_disabled(!on);
	return {};
}

EARLY_PARAM("kernelcore", early_kernelcore);
EARLY_PARAM("movablecore", early_movablecore);
EARLY_PARAM("min_free_kbytes", early_min_free_kbytes);
EARLY_PARAM("page_poison", early_page_poison);
EARLY_PARAM("debug_pagealloc", early_debug_pagealloc);
EARLY_PARAM("page_alloc.grouping", early_page_alloc_grouping);

// --- zone sizing ----------------------------------------------------------------------------------

static void get_pfn_range_for_nid(int nid, unsigned long *start_pfn, unsigned long *end_pfn)
{
	unsigned long s, e;
	int i;
	*start_pfn = ~0UL;
	*end_pfn = 0;
	for_each_mem_pfn_range(i, nid, &s, &e, nullptr) {
		*start_pfn = kstd::min(*start_pfn, s);
		*end_pfn = kstd::max(*end_pfn, e);
	}
	if (*start_pfn == ~0UL)
		*start_pfn = 0;
}

static unsigned long early_calculate_totalpages()
{
	unsigned long total = 0, s, e;
	int i, nid;
	for_each_mem_pfn_range(i, MAX_NUMNODES, &s, &e, &nid) {
		total += e - s;
		if (e > s && nid >= 0 && nid < MAX_NUMNODES)
			node_states_memory |= 1UL << nid;
	}
	return total;
}

static void find_usable_zone_for_movable()
{
	int zone_index;
	for (zone_index = MAX_NR_ZONES - 1; zone_index >= 0; zone_index--) {
		if (zone_index == ZONE_MOVABLE)
			continue;
		if (arch_zone_highest_possible_pfn[zone_index] > arch_zone_lowest_possible_pfn[zone_index])
			break;
	}
	movable_zone = zone_index < 0 ? 0 : zone_index;
}

// Spreads kernelcore (non-movable memory) evenly over the nodes; the rest of each node above
// the result becomes ZONE_MOVABLE (Linux find_zone_movable_pfns_for_nodes, without mirror).
static void find_zone_movable_pfns_for_nodes()
{
	unsigned long totalpages = early_calculate_totalpages();
	int usable_nodes = __builtin_popcountl(node_states_memory);
	find_usable_zone_for_movable();

	if (required_kernelcore_percent)
		required_kernelcore = (totalpages * 100 * required_kernelcore_percent) / 10000UL;
	if (required_movablecore_percent)
		required_movablecore = (totalpages * 100 * required_movablecore_percent) / 10000UL;
	unsigned long kernelcore = required_kernelcore;
	if (required_movablecore) {
		unsigned long movablecore = kstd::align_up(required_movablecore, MAX_ORDER_NR_PAGES);
		movablecore = kstd::min(totalpages, movablecore);
		kernelcore = kstd::max(kernelcore, totalpages - movablecore);
	}
	if (!kernelcore || kernelcore >= totalpages || !usable_nodes)
		return;

	unsigned long usable_startpfn = arch_zone_lowest_possible_pfn[movable_zone];
restart:
	unsigned long kernelcore_node = kernelcore / static_cast<unsigned long>(usable_nodes);
	for_each_online_node(nid) {
		unsigned long start_pfn, end_pfn;
		int i;
		if (kernelcore < kernelcore_node)
			kernelcore_node = kernelcore / static_cast<unsigned long>(usable_nodes);
		unsigned long kernelcore_remaining = kernelcore_node;
		for_each_mem_pfn_range(i, nid, &start_pfn, &end_pfn, nullptr) {
			start_pfn = kstd::max(start_pfn, zone_movable_pfn[nid]);
			if (start_pfn >= end_pfn)
				continue;
			// Memory below the zone usable for movable counts as kernelcore.
			if (start_pfn < usable_startpfn) {
				unsigned long kernel_pages = kstd::min(end_pfn, usable_startpfn) - start_pfn;
				kernelcore_remaining -= kstd::min(kernel_pages, kernelcore_remaining);
				kernelcore -= kstd::min(kernel_pages, kernelcore);
				if (end_pfn <= usable_startpfn) {
					zone_movable_pfn[nid] = end_pfn;
					continue;
				}
				start_pfn = usable_startpfn;
			}
			unsigned long size_pages = kstd::min(end_pfn - start_pfn, kernelcore_remaining);
			zone_movable_pfn[nid] = start_pfn + size_pages;
			kernelcore -= kstd::min(kernelcore, size_pages);
			kernelcore_remaining -= size_pages;
			if (!kernelcore_remaining)
				break;
		}
	}
	usable_nodes--;
	if (usable_nodes && kernelcore > static_cast<unsigned long>(usable_nodes))
		goto restart;

	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		unsigned long start_pfn, end_pfn;
		zone_movable_pfn[nid] = kstd::align_up(zone_movable_pfn[nid], MAX_ORDER_NR_PAGES);
		get_pfn_range_for_nid(nid, &start_pfn, &end_pfn);
		if (zone_movable_pfn[nid] >= end_pfn)
			zone_movable_pfn[nid] = 0;
	}
}

static void adjust_zone_range_for_zone_movable(int nid, int zone_type, unsigned long node_end_pfn,
					       unsigned long *zone_start_pfn, unsigned long *zone_end_pfn)
{
	if (!zone_movable_pfn[nid])
		return;
	if (zone_type == ZONE_MOVABLE) {
		*zone_start_pfn = zone_movable_pfn[nid];
		*zone_end_pfn = kstd::min(node_end_pfn, arch_zone_highest_possible_pfn[movable_zone]);
	} else if (*zone_start_pfn < zone_movable_pfn[nid] && *zone_end_pfn > zone_movable_pfn[nid]) {
		*zone_end_pfn = zone_movable_pfn[nid];
	} else if (*zone_start_pfn >= zone_movable_pfn[nid]) {
		*zone_start_pfn = *zone_end_pfn;
	}
}

static unsigned long zone_spanned_pages_in_node(int nid, int zone_type, unsigned long node_start_pfn,
						unsigned long node_end_pfn, unsigned long *zone_start_pfn,
						unsigned long *zone_end_pfn)
{
	unsigned long zone_low = arch_zone_lowest_possible_pfn[zone_type];
	unsigned long zone_high = arch_zone_highest_possible_pfn[zone_type];
	*zone_start_pfn = *zone_end_pfn = 0;
	if (!node_start_pfn && !node_end_pfn)
		return 0;
	*zone_start_pfn = kstd::clamp(node_start_pfn, zone_low, zone_high);
	*zone_end_pfn = kstd::clamp(node_end_pfn, zone_low, zone_high);
	adjust_zone_range_for_zone_movable(nid, zone_type, node_end_pfn, zone_start_pfn, zone_end_pfn);
	if (*zone_end_pfn < node_start_pfn || *zone_start_pfn > node_end_pfn) {
		*zone_start_pfn = *zone_end_pfn = 0;
		return 0;
	}
	*zone_end_pfn = kstd::min(*zone_end_pfn, node_end_pfn);
	*zone_start_pfn = kstd::max(*zone_start_pfn, node_start_pfn);
	if (*zone_end_pfn <= *zone_start_pfn) {
		*zone_start_pfn = *zone_end_pfn = 0;
		return 0;
	}
	return *zone_end_pfn - *zone_start_pfn;
}

static unsigned long present_pages_in_range(int nid, unsigned long start, unsigned long end)
{
	unsigned long present = 0, s, e;
	int i;
	for_each_mem_pfn_range(i, nid, &s, &e, nullptr) {
		s = kstd::clamp(s, start, end);
		e = kstd::clamp(e, start, end);
		present += e - s;
	}
	return present;
}

// --- memmap ------------------------------------------------------------------------------------

void init_single_page(page *p, unsigned long pfn, unsigned zone, int nid)
{
	memset(static_cast<void *>(p), 0, sizeof(*p));
	set_page_links(p, zone, nid, pfn_to_section_nr(pfn));
	init_page_count(p);
	page_mapcount_reset(p);
	INIT_LIST_HEAD(&p->lru);
}

// Every struct page of a present section starts in the state the buddy wants for a free
// page: no flags but the zone/node/section links, refcount 0, no mapping, lru pointing at
// itself. Linux 6.1 starts them with refcount 1 and lets memblock_free_all() clear each one
// again (__free_pages_core); writing the final state once means the hand-over to the buddy
// touches only the head of each block. Pages that are not free memory get Reserved and one
// reference: holes inside a section here (init_unavailable_range), memblock's reserved and
// NOMAP ranges in memblock_free_all() (memmap_init_reserved_pages, as Linux).
//
// Boot time is dominated by this loop (one iteration per 4 KiB of RAM), so it writes the 64
// bytes as four pairs of 64-bit stores from a template held in registers: about six
// instructions per page instead of a memset and a dozen field stores (the layout asserts in
// struct_page.h pin the offsets used here).
static_assert(__builtin_offsetof(page, flags) == 0 && __builtin_offsetof(page, lru) == 8 &&
		      __builtin_offsetof(page, mapping) == 24 && __builtin_offsetof(page, index) == 32 &&
		      __builtin_offsetof(page, private_) == 40 && __builtin_offsetof(page, _mapcount) == 48 &&
		      __builtin_offsetof(page, _refcount) == 52 && sizeof(page) == 64,
	      "memmap_fill() writes struct page as eight 64-bit words");

[[gnu::always_inline]] static inline void memmap_fill(page *first, unsigned long nr, unsigned long flags,
						      unsigned long count_word)
{
	u64 *w = reinterpret_cast<u64 *>(first);
	u64 *end = w + nr * 8;
#pragma clang loop unroll_count(4)
	for (; w < end; w += 8) {
		u64 self = reinterpret_cast<u64>(w + 1); // &p->lru
		w[0] = flags;
		w[1] = self; // lru.next
		w[2] = self; // lru.prev
		w[3] = 0;    // mapping
		w[4] = 0;    // index
		w[5] = 0;    // private
		w[6] = count_word;
		w[7] = 0;
	}
}

// _mapcount -1 in the low half, _refcount in the high half (little-endian words).
static constexpr u64 mapcount_refcount_word(int refcount)
{
	return u64(u32(-1)) | (u64(u32(refcount)) << 32);
}

static void memmap_init_range(unsigned long start, unsigned long end, unsigned zid, int nid)
{
	unsigned long pfn = start;
	while (pfn < end) {
		unsigned long sec_end = kstd::min(end, (pfn_to_section_nr(pfn) + 1) * PAGES_PER_SECTION);
		page tmpl;
		init_single_page(&tmpl, pfn, zid, nid);
		// Pageblock by pageblock: the migratetype is per block, the fill per page.
		while (pfn < sec_end) {
			unsigned long next = kstd::min(sec_end, kstd::align_down(pfn, pageblock_nr_pages) + pageblock_nr_pages);
			memmap_fill(pfn_to_page(pfn), next - pfn, tmpl.flags, mapcount_refcount_word(0));
			if (pageblock_aligned(pfn))
				set_pageblock_migratetype(pfn_to_page(pfn), MIGRATE_MOVABLE);
			pfn = next;
		}
	}
}

// Pages in [start, end) that can never be free memory: Reserved with one reference, so that
// nothing frees or merges them.
static void reserve_page_range(unsigned long start, unsigned long end)
{
	for (unsigned long pfn = start; pfn < end; pfn++) {
		if (!pfn_valid(pfn)) {
			pfn = (pfn & PAGE_SECTION_MASK) + PAGES_PER_SECTION - 1;
			continue;
		}
		page *p = pfn_to_page(pfn);
		__SetPageReserved(p);
		set_page_count(p, 1);
	}
}

// Linux's init_unavailable_range() for one section: the pfns no memblock memory region covers.
static void init_unavailable_in_section(unsigned long sec_start, unsigned long sec_end)
{
	unsigned long covered = sec_start, s, e;
	int i;
	for_each_mem_pfn_range(i, MAX_NUMNODES, &s, &e, nullptr) {
		s = kstd::clamp(s, sec_start, sec_end);
		e = kstd::clamp(e, sec_start, sec_end);
		if (s >= e)
			continue;
		if (s > covered)
			reserve_page_range(covered, s);
		covered = kstd::max(covered, e);
	}
	if (covered < sec_end)
		reserve_page_range(covered, sec_end);
}

// Zone index for memmap of pfns outside any zone span (section tails beyond a node's memory):
// the zone that ends last at or below pfn, else the node's first populated zone.
static unsigned zone_for_hole(const pglist_data *pgdat, unsigned long pfn)
{
	int best = -1;
	for (int j = 0; j < MAX_NR_ZONES; j++) {
		const zone *z = &pgdat->node_zones[j];
		if (!z->spanned_pages)
			continue;
		if (best < 0 || z->zone_start_pfn <= pfn)
			best = j;
	}
	return best < 0 ? 0 : static_cast<unsigned>(best);
}

static void memmap_init()
{
	if (!mem_section_roots)
		return;
	for (unsigned long root = 0; root < NR_SECTION_ROOTS; root++) {
		if (!mem_section_roots[root])
			continue;
		for (unsigned long i = 0; i < SECTIONS_PER_ROOT; i++) {
			unsigned long nr = root * SECTIONS_PER_ROOT + i;
			mem_section *ms = __nr_to_section(nr);
			if (!valid_section(ms))
				continue;
			int nid = section_nid(ms);
			pglist_data *pgdat = NODE_DATA(nid);
			unsigned long sec_start = section_nr_to_pfn(nr);
			unsigned long sec_end = sec_start + PAGES_PER_SECTION;
			unsigned long pfn = sec_start;
			while (pfn < sec_end) {
				// The zone containing pfn, or the next zone starting after it.
				unsigned long next = sec_end;
				int zid = -1;
				for (int j = 0; j < MAX_NR_ZONES; j++) {
					zone *z = &pgdat->node_zones[j];
					if (!z->spanned_pages)
						continue;
					if (zone_spans_pfn(z, pfn)) {
						zid = j;
						next = kstd::min(sec_end, zone_end_pfn(z));
						break;
					}
					if (z->zone_start_pfn > pfn)
						next = kstd::min(next, z->zone_start_pfn);
				}
				unsigned z = zid >= 0 ? static_cast<unsigned>(zid) : zone_for_hole(pgdat, pfn);
				memmap_init_range(pfn, next, z, nid);
				pfn = next;
			}
			init_unavailable_in_section(sec_start, sec_end);
		}
	}
}

// --- nodes and zones ---------------------------------------------------------------------------------

static unsigned long calc_memmap_size(unsigned long spanned, unsigned long present)
{
	unsigned long pages = spanned;
	// Sparse memory: holes bigger than a section have no memmap.
	if (spanned > present + (present >> 4))
		pages = present;
	return kstd::align_up(pages * sizeof(page), PAGE_SIZE) >> PAGE_SHIFT;
}

static void free_area_init_node(int nid)
{
	pglist_data *pgdat = NODE_DATA(nid);
	unsigned long start_pfn, end_pfn;
	get_pfn_range_for_nid(nid, &start_pfn, &end_pfn);
	pgdat->node_id = nid;
	pgdat->node_start_pfn = start_pfn;
	if (start_pfn != end_pfn)
		pr_info("Initmem setup node %d [mem %#018llx-%#018llx]\n", nid,
			static_cast<unsigned long long>(start_pfn) << PAGE_SHIFT,
			end_pfn ? (static_cast<unsigned long long>(end_pfn) << PAGE_SHIFT) - 1 : 0);
	unsigned long totalpages = 0, realtotalpages = 0;
	for (int j = 0; j < MAX_NR_ZONES; j++) {
		zone *z = &pgdat->node_zones[j];
		unsigned long zs, ze;
		unsigned long spanned = zone_spanned_pages_in_node(nid, j, start_pfn, end_pfn, &zs, &ze);
		unsigned long present = spanned ? present_pages_in_range(nid, zs, ze) : 0;
		z->zone_start_pfn = spanned ? zs : 0;
		z->spanned_pages = spanned;
		z->present_pages = present;
		z->node = nid;
		z->zone_pgdat = pgdat;
		z->name = zone_names[j];
		totalpages += spanned;
		realtotalpages += present;
		// Estimate until memblock_free_all() counts the real figure (zonelist building and
		// mobility grouping look at it first, as in Linux).
		unsigned long freesize = present;
		unsigned long memmap_pages = calc_memmap_size(spanned, present);
		if (freesize >= memmap_pages) {
			freesize -= memmap_pages;
			if (memmap_pages)
				pr_debug("  %s zone: %lu pages used for memmap\n", zone_names[j], memmap_pages);
		} else if (spanned) {
			pr_warn("  %s zone: %lu memmap pages exceeds freesize %lu\n", zone_names[j], memmap_pages, freesize);
		}
		z->managed_pages = freesize;
		zone_init_free_lists(z);
		setup_zone_pageset(z);
		z->initialized = spanned != 0;
	}
	pgdat->node_spanned_pages = totalpages;
	pgdat->node_present_pages = realtotalpages;
	pr_debug("On node %d totalpages: %lu\n", nid, realtotalpages);
}

void free_area_init(const unsigned long max_zone_pfn[MAX_NR_ZONES])
{
	memblock_assign_default_node();
	unsigned long start_pfn = memblock_start_of_DRAM() >> PAGE_SHIFT;
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		if (i == ZONE_MOVABLE)
			continue;
		unsigned long end_pfn = kstd::max(max_zone_pfn[i], start_pfn);
		arch_zone_lowest_possible_pfn[i] = start_pfn;
		arch_zone_highest_possible_pfn[i] = end_pfn;
		start_pfn = end_pfn;
	}
	memset(zone_movable_pfn, 0, sizeof(zone_movable_pfn));
	node_states_memory = 0;
	find_zone_movable_pfns_for_nodes();

	pr_info("Zone ranges:\n");
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		if (i == ZONE_MOVABLE)
			continue;
		if (arch_zone_lowest_possible_pfn[i] == arch_zone_highest_possible_pfn[i])
			pr_info("  %-8s empty\n", zone_names[i]);
		else
			pr_info("  %-8s [mem %#018llx-%#018llx]\n", zone_names[i],
				static_cast<unsigned long long>(arch_zone_lowest_possible_pfn[i]) << PAGE_SHIFT,
				(static_cast<unsigned long long>(arch_zone_highest_possible_pfn[i]) << PAGE_SHIFT) - 1);
	}
	pr_info("Movable zone start for each node\n");
	for (int i = 0; i < MAX_NUMNODES; i++)
		if (zone_movable_pfn[i])
			pr_info("  Node %d: %#018llx\n", i, static_cast<unsigned long long>(zone_movable_pfn[i]) << PAGE_SHIFT);
	pr_info("Early memory node ranges\n");
	{
		unsigned long s, e;
		int i, nid;
		for_each_mem_pfn_range(i, MAX_NUMNODES, &s, &e, &nid)
			pr_info("  node %3d: [mem %#018llx-%#018llx]\n", nid, static_cast<unsigned long long>(s) << PAGE_SHIFT,
				(static_cast<unsigned long long>(e) << PAGE_SHIFT) - 1);
	}
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		pglist_data *pgdat = NODE_DATA(nid);
		pgdat->node_id = nid;
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			pgdat->node_zones[j].zone_pgdat = pgdat;
			pgdat->node_zones[j].node = nid;
			pgdat->node_zones[j].name = zone_names[j];
		}
		if (node_online(nid))
			free_area_init_node(nid);
	}
	memmap_init();
	build_all_zonelists();
}

// Zones of every node from highest to lowest, local node first, then the others by id
// (no distance table yet: equal distances order by id, as Linux's find_next_best_node).
void build_all_zonelists()
{
	int nr = 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		if (!node_online(nid))
			continue;
		pglist_data *pgdat = NODE_DATA(nid);
		zoneref *zr = pgdat->node_zonelist._zonerefs;
		for (int k = 0; k < MAX_NUMNODES; k++) {
			int other = (nid + k) % MAX_NUMNODES;
			if (!node_online(other))
				continue;
			for (int j = MAX_NR_ZONES - 1; j >= 0; j--) {
				zone *z = &NODE_DATA(other)->node_zones[j];
				if (!populated_zone(z))
					continue;
				zr->zone_ = z;
				zr->zone_idx = j;
				zr++;
			}
		}
		zr->zone_ = nullptr;
		zr->zone_idx = 0;
		zr = pgdat->node_zonelist_nofallback._zonerefs;
		for (int j = MAX_NR_ZONES - 1; j >= 0; j--) {
			zone *z = &pgdat->node_zones[j];
			if (!populated_zone(z))
				continue;
			zr->zone_ = z;
			zr->zone_idx = j;
			zr++;
		}
		zr->zone_ = nullptr;
		zr->zone_idx = 0;
		pgdat->nr_zones = 0;
		for (int j = 0; j < MAX_NR_ZONES; j++)
			if (populated_zone(&pgdat->node_zones[j]))
				pgdat->nr_zones = j + 1;
		nr++;
	}
	local_pgdat = NODE_DATA(node_states_memory ? __builtin_ctzl(node_states_memory) : 0);
	// Grouping by mobility needs enough pageblocks to be worth it (Linux's threshold).
	unsigned long vm_total_pages = 0;
	for_each_zone(z)
		if (zone_idx(z) <= gfp_zone(GFP_HIGHUSER_MOVABLE) && zone_managed_pages(z) > high_wmark_pages(z))
			vm_total_pages += zone_managed_pages(z) - high_wmark_pages(z);
	set_page_group_by_mobility_disabled(grouping_forced_off || vm_total_pages < pageblock_nr_pages * MIGRATE_TYPES);
	pr_info("Built %d zonelists, mobility grouping %s.  Total pages: %lu\n", nr,
		page_group_by_mobility_disabled ? "off" : "on", vm_total_pages);
}

// --- memblock hand-over ---------------------------------------------------------------------------

static unsigned long free_pages_memory(unsigned long start, unsigned long end)
{
	unsigned long freed = 0;
	while (start < end) {
		if (!pfn_valid(start)) {
			// A section whose memmap could not be populated: skip to the next section.
			start = kstd::min(end, (start & PAGE_SECTION_MASK) + PAGES_PER_SECTION);
			continue;
		}
		page *p = pfn_to_page(start);
		zone *z = page_zone(p);
		unsigned long limit = end;
		if (zone_spans_pfn(z, start))
			limit = kstd::min(limit, zone_end_pfn(z));
		unsigned order = start ? kstd::min(MAX_ORDER - 1, kstd::ffs0_64(start)) : MAX_ORDER - 1;
		while (start + (1UL << order) > limit)
			order--;
		memblock_free_pages(p, order);
		freed += 1UL << order;
		start += 1UL << order;
	}
	return freed;
}

// Linux's memmap_init_reserved_pages(): memmap_init() wrote every page as free; the ones
// memblock handed out (kernel, DTB, page tables, memmap, everything memblock_alloc'd) and the
// NOMAP ranges become Reserved now, after memblock_discard() has returned the region arrays.
static void memmap_init_reserved_pages()
{
	memblock_region *r;
	for_each_reserved_mem_region(r)
		reserve_page_range(r->base >> PAGE_SHIFT, (r->base + r->size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	for_each_mem_region(r)
		if (memblock_is_nomap(r))
			reserve_page_range(r->base >> PAGE_SHIFT, (r->base + r->size + PAGE_SIZE - 1) >> PAGE_SHIFT);
}

unsigned long memblock_free_all()
{
	for_each_zone(z)
		z->managed_pages = 0;
	// Grown region arrays go back to memblock's free ranges first so the walk below hands
	// them to the buddy too; the arrays stay readable until the walk ends.
	memblock_discard();
	memmap_init_reserved_pages();
	unsigned long count = 0;
	phys_addr_t start, end;
	u64 i;
	for_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_NONE, &start, &end, nullptr) {
		unsigned long spfn = (start + PAGE_SIZE - 1) >> PAGE_SHIFT;
		unsigned long epfn = end >> PAGE_SHIFT;
		if (spfn < epfn)
			count += free_pages_memory(spfn, epfn);
	}
	return count;
}

void mem_init_print_info(const kernel_image_sizes &s)
{
	unsigned long physpages = 0;
	for_each_online_pgdat(pgdat)
		physpages += pgdat->node_present_pages;
	auto K = [](unsigned long pages) { return pages << (PAGE_SHIFT - 10); };
	unsigned long ram = totalram_pages();
	// Linux prints this before the CMA areas are activated: their pages are in neither
	// totalram nor the free count yet, but in cma-reserved, and "reserved" excludes them.
	unsigned long not_ram = physpages > ram ? physpages - ram : 0;
	not_ram -= kstd::min(not_ram, totalcma_pages);
	pr_info("Memory: %luK/%luK available (%luK kernel code, %luK rwdata, %luK rodata, %luK init, %luK bss, %luK reserved, %luK cma-reserved)\n",
		K(nr_free_pages()), K(physpages), s.code / SZ_1K, s.rwdata / SZ_1K, s.rodata / SZ_1K, s.init / SZ_1K,
		s.bss / SZ_1K, K(not_ram), K(totalcma_pages));
}

void page_alloc_reset_for_test()
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		pglist_data *pgdat = NODE_DATA(nid);
		memset(static_cast<void *>(pgdat), 0, sizeof(*pgdat));
		for (int j = 0; j < MAX_NR_ZONES; j++)
			new (&pgdat->node_zones[j].lock) SpinLock();
	}
	node_states_memory = 0;
	local_pgdat = NODE_DATA(0);
	memset(arch_zone_lowest_possible_pfn, 0, sizeof(arch_zone_lowest_possible_pfn));
	memset(arch_zone_highest_possible_pfn, 0, sizeof(arch_zone_highest_possible_pfn));
	memset(zone_movable_pfn, 0, sizeof(zone_movable_pfn));
	required_kernelcore = required_kernelcore_percent = 0;
	required_movablecore = required_movablecore_percent = 0;
	movable_zone = 0;
	grouping_forced_off = false;
	page_group_by_mobility_disabled = false;
	min_free_kbytes = 1024;
	user_min_free_kbytes = -1;
	cmdline_min_free_kbytes = -1;
	watermark_scale_factor = 10;
	totalreserve_pages = 0;
	totalcma_pages = 0;
	nr_bad_pages = 0;
	page_poisoning_enabled = false;
	debug_pagealloc_enabled = false;
	memset(vm_event_states, 0, sizeof(vm_event_states));
	memset(vm_zone_stat, 0, sizeof(vm_zone_stat));
	memset(vm_node_stat, 0, sizeof(vm_node_stat));
	memset(vm_numa_event, 0, sizeof(vm_numa_event));
	page_alloc_set_online_cpus(1);
}
