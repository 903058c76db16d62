// Sparse memory model: section arithmetic, two-level roots, pfn_valid with holes, memmap
// populated for present sections only, pageblock bits per section.
#include <doctest/doctest.h>

#include "core/compiler.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/support/host_support.h"
#include "tests/host/test_page_alloc.h"

using namespace patest;

// Constants are checked when the suite compiles: a CHECK of a constant cannot fail at run time.
static_assert(PAGES_PER_SECTION == 32768);
static_assert(NR_MEM_SECTIONS == (1UL << 21));
static_assert(SECTIONS_PER_ROOT == 256);
static_assert(NR_SECTION_ROOTS == 8192);

static_assert(pfn_to_section_nr(0x40000) == 8);
static_assert(pfn_to_section_nr(0x47fff) == 8);
static_assert(pfn_to_section_nr(0x48000) == 9);
static_assert(section_nr_to_pfn(9) == 0x48000);
static_assert(pfn_to_section_nr(MAX_PHYS_PFN - 1) == NR_MEM_SECTIONS - 1);

TEST_CASE("sparse: no pfn beyond the physical address range is valid")
{
	CHECK(!pfn_valid(MAX_PHYS_PFN));
}

TEST_CASE("sparse: holes cost no memmap; roots only where sections are present")
{
	HostMmConfig cfg;
	// 128 MiB at 1 GiB, 64 MiB at 2 GiB (half a section), 128 MiB at 1 TiB (another root).
	cfg.ram = {{0x40000000, SZ_128M, 0}, {0x80000000ull, 64 * SZ_1M, 0}, {0x10000000000ull, SZ_128M, 0}};
	host_zone_limits(cfg, 0);
	HostMm mm(cfg);
	CHECK(sparse_present_sections == 3);
	CHECK(HostMm::populated_bytes() == 3 * PAGES_PER_SECTION * sizeof(page));
	unsigned long roots = 0;
	for (unsigned long r = 0; r < NR_SECTION_ROOTS; r++)
		roots += mem_section_roots[r] != nullptr;
	CHECK(roots == 2); // sections 8 and 16 share root 0; section 8192 is in root 32
	CHECK(valid_section_nr(8));
	CHECK(valid_section_nr(16));
	CHECK(valid_section_nr(0x10000000000ull >> SECTION_SIZE_BITS));
	CHECK(!present_section_nr(9));
	CHECK(!present_section_nr(17));
	CHECK(__nr_to_section(300) == nullptr); // root 1 was never allocated
	CHECK(pfn_valid(0x40000));
	CHECK(pfn_valid(0x47fff));
	CHECK(!pfn_valid(0x48000));
	// The second half of the 2 GiB section is a hole inside a present section: it has a
	// memmap (Reserved pages) but no memory.
	unsigned long hole = (0x80000000ull + 64 * SZ_1M) >> PAGE_SHIFT;
	CHECK(pfn_valid(hole));
	CHECK(PageReserved(pfn_to_page(hole)));
	CHECK(page_ref_count(pfn_to_page(hole)) == 1);
	CHECK(!PageBuddy(pfn_to_page(hole)));
	CHECK(page_to_section(pfn_to_page(hole)) == 16);
	CHECK(page_to_pfn(pfn_to_page(hole)) == hole);
	// Zones: DMA spans 1..2.0625 GiB (holes included; DMA32 empty), Normal the TiB range.
	zone *d32 = zone_of(0, ZONE_DMA), *n = zone_of(0, ZONE_NORMAL);
	CHECK(d32->present_pages == (SZ_128M + 64 * SZ_1M) >> PAGE_SHIFT);
	CHECK(n->present_pages == SZ_128M >> PAGE_SHIFT);
	CHECK(n->zone_start_pfn == SZ_4G >> PAGE_SHIFT); // zones start at their limit, holes spanned
	// Not free: the 2 MiB kernel reservation and memblock's own allocations: the 64 KiB root
	// array, two root pages and one page holding the three sections' pageblock bits.
	CHECK(nr_free_pages() + 512 + 16 + 2 + 1 == d32->present_pages + n->present_pages);
	CHECK_PAGE_ALLOC_CLEAN();
	// Pageblock bits are per section: setting one block leaves its neighbours alone.
	page *p = pfn_to_page(0x40000 + 3 * pageblock_nr_pages);
	int old = get_pageblock_migratetype(p);
	set_pageblock_migratetype(p, MIGRATE_RECLAIMABLE);
	CHECK(get_pageblock_migratetype(p) == MIGRATE_RECLAIMABLE);
	CHECK(get_pageblock_migratetype(p - pageblock_nr_pages) == old);
	CHECK(get_pageblock_migratetype(p + pageblock_nr_pages) == old);
	set_pageblock_migratetype(p, old);
}

// vmemmap_populate() does not zero the memmap (the host seam fills it with 0xa5), so every
// struct page of a present section must have been written at boot: free memory in the buddy's
// free state, holes, reservations and NOMAP memory Reserved with one reference.
TEST_CASE("memmap: boot writes every struct page of every present section")
{
	HostMmConfig cfg;
	cfg.ram = {{0x40000000, SZ_128M, 0}, {0x80000000ull, 64 * SZ_1M, 0}};
	cfg.reserve = {{0x40000000 + 8 * SZ_1M + 100, 5000}}; // not page aligned: two pages
	host_zone_limits(cfg, 0);
	cfg.before_init = [] { REQUIRE(memblock_mark_nomap(0x80000000ull + SZ_1M, SZ_1M) == 0); };
	HostMm mm(cfg);
	unsigned long reserved = 0, free_state = 0;
	for (unsigned long nr : {8UL, 16UL}) {
		REQUIRE(valid_section_nr(nr));
		for (unsigned long pfn = section_nr_to_pfn(nr); pfn < section_nr_to_pfn(nr + 1); pfn++) {
			page *p = pfn_to_page(pfn);
			const u64 *w = reinterpret_cast<const u64 *>(p);
			REQUIRE(w[7] == 0); // the padding word: 0xa5 would mean never written
			REQUIRE(page_to_pfn(p) == pfn);
			REQUIRE(page_to_section(p) == nr);
			// Buddy heads keep PG_buddy in page_type, which overlays _mapcount.
			REQUIRE((PageBuddy(p) || page_mapcount_raw(p) == -1));
			REQUIRE(p->mapping == nullptr);
			if (PageReserved(p)) {
				REQUIRE(page_ref_count(p) == 1);
				reserved++;
			} else {
				REQUIRE(page_ref_count(p) == 0);
				free_state++;
			}
		}
	}
	unsigned long half = PAGES_PER_SECTION / 2;
	unsigned long s8 = section_nr_to_pfn(8), s16 = section_nr_to_pfn(16);
	// Holes: the upper half of section 16. NOMAP: 256 pages. Reservations: the 2 MiB "kernel",
	// the two pages the unaligned reservation touches, and memblock's own allocations (the
	// section usage maps) which the walk below finds but cannot predict.
	CHECK(PageReserved(pfn_to_page(s16 + half)));
	CHECK(PageReserved(pfn_to_page(s16 + 2 * half - 1)));
	CHECK(PageReserved(pfn_to_page(s16 + 256)));
	CHECK(PageReserved(pfn_to_page(s16 + 511)));
	CHECK(!PageReserved(pfn_to_page(s16 + 255)));
	CHECK(!PageReserved(pfn_to_page(s16 + 512)));
	CHECK(PageReserved(pfn_to_page(s8)));
	CHECK(PageReserved(pfn_to_page(s8 + 2048)));
	CHECK(PageReserved(pfn_to_page(s8 + 2049)));
	CHECK(!PageReserved(pfn_to_page(s8 + 2050)));
	CHECK(reserved >= half + 256 + 512 + 2);
	// Every page not Reserved is free memory the buddy owns now.
	CHECK(free_state == nr_free_pages());
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("sparse: memory_present rejects ranges beyond MAX_PHYSMEM_BITS")
{
	HostMm mm(small_config());
	host_take_log();
	CHECK(memory_present(0, MAX_PHYS_PFN - 1, MAX_PHYS_PFN + 1).is_error());
	CHECK(log_has(host_take_log(), "beyond MAX_PHYSMEM_BITS"));
}

TEST_CASE("check_page_alloc detects injected inconsistencies; bad pages on allocation")
{
	HostMm mm(small_config());
	zone *z = zone_of(0, ZONE_DMA);
	REQUIRE_PAGE_ALLOC_CLEAN();
	host_take_log();
	// Each injection runs under the zone lock, as any change to the free areas must;
	// check_page_alloc() takes the lock itself.
	{
		SpinLockGuard g(z->lock);
		z->free_area[3].nr_free++;
	}
	CHECK(check_page_alloc() >= 1);
	CHECK(log_has(host_take_log(), "nr_free mismatch"));
	{
		SpinLockGuard g(z->lock);
		z->free_area[3].nr_free--;
	}

	// Split a free order-10 block into two unmerged order-9 halves behind the allocator's back.
	page *b;
	{
		SpinLockGuard g(z->lock);
		b = list_first_entry(&z->free_area[10].free_list[MIGRATE_MOVABLE], page, buddy_list);
		list_del(&b->buddy_list);
		z->free_area[10].nr_free--;
		set_page_private(b, 9);
		__SetPageBuddy(b + 512);
		set_page_private(b + 512, 9);
		list_add(&b->buddy_list, &z->free_area[9].free_list[MIGRATE_MOVABLE]);
		list_add(&b[512].buddy_list, &z->free_area[9].free_list[MIGRATE_MOVABLE]);
		z->free_area[9].nr_free += 2;
	}
	CHECK(check_page_alloc() >= 1);
	CHECK(log_has(host_take_log(), "free buddies left unmerged"));
	{
		SpinLockGuard g(z->lock);
		list_del(&b[512].buddy_list);
		list_del(&b->buddy_list);
		z->free_area[9].nr_free -= 2;
		__ClearPageBuddy(b + 512);
		set_page_private(b + 512, 0);
		set_page_private(b, 10);
		list_add(&b->buddy_list, &z->free_area[10].free_list[MIGRATE_MOVABLE]);
		z->free_area[10].nr_free++;
	}
	CHECK_PAGE_ALLOC_CLEAN();

	z->pcp[1].count += 1;
	CHECK(check_page_alloc() >= 1);
	CHECK(log_has(host_take_log(), "pcp count mismatch"));
	z->pcp[1].count -= 1;

	// A page corrupted while on a per-CPU list: as in Linux without DEBUG_VM, pcp hits are
	// checked only under debug_pagealloc (pages are checked when freed and on refill), so the
	// corruption is reported at allocation and the page skipped when debug_pagealloc is on.
	page *p = alloc_page(GFP_KERNEL);
	REQUIRE(p);
	__free_page(p);
	p->mapping = reinterpret_cast<address_space *>(0x1234);
	debug_pagealloc_enabled = true;
	page_alloc_fast_path_update();
	page *q = alloc_page(GFP_KERNEL);
	debug_pagealloc_enabled = false;
	page_alloc_fast_path_update();
	REQUIRE(q);
	CHECK(q != p);
	std::string log = host_take_log();
	CHECK(log_has(log, "BUG: Bad page state in process swapper/0"));
	CHECK(log_has(log, "page dumped because: non-NULL mapping"));
	CHECK(nr_bad_pages == 1);
	__free_page(q);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("nodes: memory without a node is node 0; two nodes get their own zones and zonelists")
{
	{
		HostMmConfig cfg = small_config(32 * SZ_1M);
		cfg.ram[0].nid = MAX_NUMNODES; // memblock_add() without a node
		HostMm mm(cfg);
		CHECK(node_online(0));
		CHECK(zone_managed_pages(zone_of(0, ZONE_DMA)) > 0);
		CHECK_PAGE_ALLOC_CLEAN();
	}
	HostMmConfig cfg;
	cfg.ram = {{RAM_BASE, SZ_128M, 0}, {0x100000000ull, SZ_128M, 1}};
	host_zone_limits(cfg, 0);
	host_take_log();
	HostMm mm(cfg);
	std::string log = host_take_log();
	CHECK(log_has(log, "Initmem setup node 0 [mem 0x0000000040000000-0x0000000047ffffff]\n"));
	CHECK(log_has(log, "Initmem setup node 1 [mem 0x0000000100000000-0x0000000107ffffff]\n"));
	CHECK(log_has(log, "Built 2 zonelists"));
	zone *n0 = zone_of(0, ZONE_DMA), *n1 = zone_of(1, ZONE_NORMAL);
	CHECK(NODE_DATA(0)->node_zonelist._zonerefs[0].zone_ == n0);
	CHECK(NODE_DATA(0)->node_zonelist._zonerefs[1].zone_ == n1);
	CHECK(NODE_DATA(1)->node_zonelist._zonerefs[0].zone_ == n1);
	CHECK(NODE_DATA(1)->node_zonelist._zonerefs[1].zone_ == n0);
	page *a = alloc_pages_node(0, GFP_KERNEL, 0);
	page *b = alloc_pages_node(1, GFP_KERNEL, 0);
	page *c = alloc_pages_node(1, GFP_KERNEL | __GFP_DMA32, 0);
	REQUIRE((a && b && c));
	CHECK(page_to_nid(a) == 0);
	CHECK(page_to_nid(b) == 1);
	CHECK(page_zone(b) == n1);
	CHECK(page_zone(c) == n0); // DMA32 is empty and node 1 has no DMA: node 0's DMA
	CHECK(alloc_pages_node(1, GFP_KERNEL | __GFP_DMA32 | __GFP_THISNODE | __GFP_NOWARN, 0) == nullptr);
	page *d = alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, 0);
	REQUIRE(d);
	CHECK(page_to_nid(d) == 1);
	__free_page(d);
	__free_page(a);
	__free_page(b);
	__free_page(c);
	CHECK_PAGE_ALLOC_CLEAN();
}
