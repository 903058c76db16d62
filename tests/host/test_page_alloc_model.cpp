// Buddy + per-CPU lists against a reference model: a million random operations with the
// invariants checked after each one (free counts equal, no overlap with allocated pages) and
// the full walker (alignment, unmerged buddies, list counts against flags) periodically.
// Also Linux's fallback and pageblock stealing rules, and the fragmentation self-test.
#include "tests/host/test_page_alloc.h"

#include "core/compiler.h"

#include <cstdint>
#include <vector>

using namespace patest;

namespace {

struct Block {
	page *p;
	unsigned order;
};

} // namespace

TEST_CASE("page_alloc model: 10^6 random operations against a reference model")
{
	HostMm mm(multizone_config());
	drain_all_pages(nullptr);
	const page_alloc_ledger start = page_alloc_ledger_snapshot();
	const unsigned long managed = start.managed_total;
	unsigned long start_nr_free[3][MAX_ORDER];
	for (int zi = 0; zi < 3; zi++)
		for (unsigned o = 0; o < MAX_ORDER; o++)
			start_nr_free[zi][o] = READ_ONCE(zone_of(0, static_cast<zone_type>(zi))->free_area[o].nr_free);
	const unsigned long lo_pfn = RAM_BASE >> PAGE_SHIFT;
	const unsigned long hi_pfn = (0x100000000ull + 128 * SZ_1M) >> PAGE_SHIFT;
	// The model: which pfns the allocator has handed out, and the list of live blocks.
	std::vector<u8> owned(hi_pfn - lo_pfn, 0);
	std::vector<Block> live;
	unsigned long live_pages = 0;
	Rng rng{0x9e3779b97f4a7c15ull};
	const gfp_t gfps[] = {GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC,
			      GFP_KERNEL | __GFP_DMA32, GFP_KERNEL | __GFP_DMA, GFP_NOWAIT, GFP_USER | __GFP_MOVABLE};
	unsigned long allocs = 0, failures = 0, frees = 0, walks = 0;
	const unsigned long OPS = 1000000;
	// Phases push the allocator between plenty and exhaustion so fallbacks, stealing,
	// highatomic reserves and the failure path all run.
	for (unsigned long op = 0; op < OPS; op++) {
		unsigned long phase = (op / 50000) % 4;
		unsigned alloc_pct = phase == 0 ? 60 : phase == 1 ? 75 : phase == 2 ? 45 : 30;
		if (rng.below(64) == 0)
			host_current_cpu = rng.below(NR_CPUS);
		if (live.empty() || rng.below(100) < alloc_pct) {
			unsigned r = rng.below(1000);
			unsigned order = r < 700 ? 0 : r < 850 ? 1 : r < 930 ? 2 : r < 970 ? 3 : 4 + rng.below(7);
			gfp_t gfp = gfps[rng.below(8)] | __GFP_NOWARN;
			if (rng.below(8) == 0)
				gfp |= __GFP_COMP;
			page *p = alloc_pages(gfp, order);
			if (!p) {
				failures++;
			} else {
				allocs++;
				unsigned long pfn = page_to_pfn(p);
				REQUIRE((pfn & ((1UL << order) - 1)) == 0);
				REQUIRE(pfn >= lo_pfn);
				REQUIRE(pfn + (1UL << order) <= hi_pfn);
				zone_type hz = gfp_zone(gfp);
				REQUIRE(static_cast<int>(page_zonenum(p)) <= static_cast<int>(hz));
				for (unsigned long i = 0; i < (1UL << order); i++) {
					REQUIRE_MESSAGE(!owned[pfn - lo_pfn + i], "pfn ", pfn + i, " handed out twice");
					owned[pfn - lo_pfn + i] = 1;
					REQUIRE(!PageBuddy(p + i));
				}
				REQUIRE(page_ref_count(p) == 1);
				live.push_back({p, order});
				live_pages += 1UL << order;
			}
		} else {
			unsigned idx = rng.below(static_cast<unsigned>(live.size()));
			Block b = live[idx];
			live[idx] = live.back();
			live.pop_back();
			unsigned long pfn = page_to_pfn(b.p);
			for (unsigned long i = 0; i < (1UL << b.order); i++)
				owned[pfn - lo_pfn + i] = 0;
			live_pages -= 1UL << b.order;
			__free_pages(b.p, b.order);
			frees++;
		}
		// Cheap invariant after every operation: every managed page is free in the buddy, on
		// a per-CPU list, or held by the model.
		page_alloc_ledger l = page_alloc_ledger_snapshot();
		REQUIRE_MESSAGE(l.free_total + l.pcp_total + live_pages == managed, "op ", op);
		REQUIRE(l.bad_pages == 0);
		if (op % 25000 == 24999) {
			REQUIRE_PAGE_ALLOC_CLEAN();
			// No page the model owns may be on a free list.
			for (const Block &b : live)
				for (unsigned long i = 0; i < (1UL << b.order); i++)
					REQUIRE(!PageBuddy(b.p + i));
			walks++;
		}
	}
	MESSAGE("allocs ", allocs, " failures ", failures, " frees ", frees, " walks ", walks);
	CHECK(failures > 1000);
	CHECK(allocs > 300000);
	host_current_cpu = 0;
	for (const Block &b : live)
		__free_pages(b.p, b.order);
	drain_all_pages(nullptr);
	CHECK_PAGE_ALLOC_CLEAN();
	page_alloc_ledger end = page_alloc_ledger_snapshot();
	CHECK(end.free_total == start.free_total);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		CHECK(end.free_zone[0][z] == start.free_zone[0][z]);
	CHECK(end.pcp_total == 0);
	// Everything merged back: the per-order free counts equal those after boot, in every zone
	// that holds no highatomic reserve (those blocks do not merge with others at >= order 9).
	int compared = 0;
	for (int zi = 0; zi < 3; zi++) {
		zone *z = zone_of(0, static_cast<zone_type>(zi));
		if (READ_ONCE(z->nr_reserved_highatomic))
			continue;
		compared++;
		for (unsigned o = 0; o < MAX_ORDER; o++)
			CHECK_MESSAGE(READ_ONCE(z->free_area[o].nr_free) == start_nr_free[zi][o], "zone ", zi, " order ", o);
	}
	CHECK(compared >= 1);
}

namespace {

// Sets watermarks to zero so a test can fill a zone completely and place free pages exactly.
void zero_watermarks()
{
	min_free_kbytes = 0;
	watermark_scale_factor = 0;
	setup_per_zone_wmarks();
	for_each_zone(z)
		for (int j = 0; j < MAX_NR_ZONES; j++)
			z->lowmem_reserve[j] = 0;
}

struct Filled {
	std::vector<page *> pages;
	// Allocates every page of the zone as unmovable order-0 pages.
	void fill()
	{
		for (;;) {
			page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN);
			if (!p)
				break;
			pages.push_back(p);
		}
		drain_all_pages(nullptr);
		REQUIRE(nr_free_pages() == 0);
	}
	// Frees [pfn, pfn + n) (which it allocated) and drains the per-CPU lists.
	void free_range(unsigned long pfn, unsigned long n)
	{
		for (auto &p : pages) {
			if (p && page_to_pfn(p) >= pfn && page_to_pfn(p) < pfn + n) {
				__free_page(p);
				p = nullptr;
			}
		}
		drain_all_pages(nullptr);
	}
	~Filled()
	{
		for (page *p : pages)
			if (p)
				__free_page(p);
	}
};

} // namespace

TEST_CASE("page_alloc fallback: unmovable request claims whole MOVABLE blocks at boot")
{
	HostMm mm(small_config());
	page *p = alloc_page(GFP_KERNEL);
	REQUIRE(p);
	// The largest MOVABLE block (order 10 = two pageblocks) was stolen and both pageblocks
	// changed type (Linux: current_order >= pageblock_order -> change_pageblock_range).
	CHECK(get_pageblock_migratetype(p) == MIGRATE_UNMOVABLE);
	unsigned long pfn = page_to_pfn(p);
	unsigned long block10 = pfn & ~(MAX_ORDER_NR_PAGES - 1);
	CHECK(get_pageblock_migratetype(pfn_to_page(block10)) == MIGRATE_UNMOVABLE);
	CHECK(get_pageblock_migratetype(pfn_to_page(block10 + pageblock_nr_pages)) == MIGRATE_UNMOVABLE);
	// Movable requests stay in MOVABLE blocks.
	page *m = alloc_page(GFP_HIGHUSER_MOVABLE);
	REQUIRE(m);
	CHECK(get_pageblock_migratetype(m) == MIGRATE_MOVABLE);
	CHECK((page_to_pfn(m) & ~(MAX_ORDER_NR_PAGES - 1)) != block10);
	__free_page(p);
	__free_page(m);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc fallback: pageblock stealing thresholds (Linux steal_suitable_fallback)")
{
	HostMm mm(small_config());
	zero_watermarks();
	Filled f;
	f.fill();
	// Pick a pageblock well inside the zone; after filling with unmovable pages every block
	// is UNMOVABLE.
	unsigned long blk = ((RAM_BASE + 16 * SZ_1M) >> PAGE_SHIFT);
	REQUIRE(get_pageblock_migratetype(pfn_to_page(blk)) == MIGRATE_UNMOVABLE);

	SUBCASE("a quarter free: free pages move, the block keeps its type")
	{
		f.free_range(blk, 128);
		page *m = alloc_page(GFP_HIGHUSER_MOVABLE);
		REQUIRE(m);
		CHECK((page_to_pfn(m) >= blk && page_to_pfn(m) < blk + 128));
		CHECK(get_pageblock_migratetype(pfn_to_page(blk)) == MIGRATE_UNMOVABLE);
		// The rest of the stolen order-7 block now sits on MOVABLE lists (some on the pcp).
		f.pages.push_back(m);
	}
	SUBCASE("half free: the movable request claims the pageblock")
	{
		f.free_range(blk, 256);
		page *m = alloc_page(GFP_HIGHUSER_MOVABLE);
		REQUIRE(m);
		CHECK((page_to_pfn(m) >= blk && page_to_pfn(m) < blk + 256));
		CHECK(get_pageblock_migratetype(pfn_to_page(blk)) == MIGRATE_MOVABLE);
		f.pages.push_back(m);
	}
	SUBCASE("small movable request without a stealable block takes the smallest free page")
	{
		unsigned long other = blk + 4 * pageblock_nr_pages;
		f.free_range(blk, 8);         // an order-3 block: too small for movable to steal
		f.free_range(other + 17, 1);  // a single page in another block
		page *m = alloc_page(GFP_HIGHUSER_MOVABLE);
		REQUIRE(m);
		CHECK(page_to_pfn(m) == other + 17);
		CHECK(get_pageblock_migratetype(pfn_to_page(blk)) == MIGRATE_UNMOVABLE);
		CHECK(get_pageblock_migratetype(pfn_to_page(other)) == MIGRATE_UNMOVABLE);
		f.pages.push_back(m);
	}
	SUBCASE("reclaimable request steals from unmovable first (fallbacks[] order)")
	{
		// Free one full pageblock: reclaimable falls back to UNMOVABLE before MOVABLE and,
		// being order >= pageblock_order, changes the whole block.
		f.free_range(blk, pageblock_nr_pages);
		page *r = alloc_page(GFP_KERNEL | __GFP_RECLAIMABLE);
		REQUIRE(r);
		CHECK((page_to_pfn(r) >= blk && page_to_pfn(r) < blk + pageblock_nr_pages));
		CHECK(get_pageblock_migratetype(pfn_to_page(blk)) == MIGRATE_RECLAIMABLE);
		f.pages.push_back(r);
	}
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc fallback: buddies of different types merge below pageblock_order")
{
	HostMm mm(small_config());
	zero_watermarks();
	Filled f;
	f.fill();
	unsigned long blk = ((RAM_BASE + 16 * SZ_1M) >> PAGE_SHIFT);
	f.free_range(blk, 128);
	page *m = alloc_page(GFP_HIGHUSER_MOVABLE); // moves the free order-7 block to MOVABLE
	REQUIRE(m);
	drain_all_pages(nullptr);
	__free_page(m);
	drain_all_pages(nullptr);
	// Freeing the next 128 pages (on UNMOVABLE lists: the block's type) merges with the
	// order-7 block on the MOVABLE list into one order-8 block.
	f.free_range(blk + 128, 128);
	zone *z = zone_of(0, ZONE_DMA);
	CHECK(READ_ONCE(z->free_area[8].nr_free) == 1);
	CHECK(PageBuddy(pfn_to_page(blk)));
	CHECK(page_private(pfn_to_page(blk)) == 8);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc fragmentation: grouping by mobility keeps order-9 blocks")
{
	fragmentation_result grouped{}, ungrouped{};
	{
		HostMm mm(small_config(128 * SZ_1M));
		page_alloc_ledger start = page_alloc_ledger_snapshot();
		grouped = fragmentation_selftest();
		CHECK(page_alloc_ledger_snapshot() == start);
		CHECK_PAGE_ALLOC_CLEAN();
	}
	{
		HostMmConfig cfg = small_config(128 * SZ_1M);
		cfg.before_init = [] { CHECK(!early_page_alloc_grouping("off").is_error()); };
		host_take_log();
		HostMm mm(cfg);
		CHECK(log_has(host_take_log(), "mobility grouping off"));
		page_alloc_ledger start = page_alloc_ledger_snapshot();
		ungrouped = fragmentation_selftest();
		CHECK(page_alloc_ledger_snapshot() == start);
		CHECK_PAGE_ALLOC_CLEAN();
	}
	MESSAGE("order-9 blocks: grouped ", grouped.order9_blocks, " ungrouped ", ungrouped.order9_blocks,
		"; unusable index order 9: ", grouped.unusable_index[9], " vs ", ungrouped.unusable_index[9]);
	CHECK(grouped.unmovable_pages > 0);
	CHECK(grouped.movable_pages > 2 * grouped.unmovable_pages);
	CHECK(grouped.order9_blocks > 4 * (ungrouped.order9_blocks + 1));
	CHECK(grouped.unusable_index[9] < ungrouped.unusable_index[9]);
	CHECK(ungrouped.unusable_index[9] > 900);
	CHECK(grouped.fragmentation_index[9] == -1000);
}

TEST_CASE("page_alloc fragmentation: Linux's index arithmetic")
{
	contig_page_info info{0, 0, 0};
	CHECK(unusable_free_index(3, &info) == 1000);
	CHECK(fragmentation_index_of(3, &info) == 0);
	// 100 free order-0 pages, no order-3 block: index = 1000 - (1000 + 100*1000/8) / 100 = 865.
	info = {100, 100, 0};
	CHECK(unusable_free_index(3, &info) == 1000);
	CHECK(fragmentation_index_of(3, &info) == 865);
	// 64 free pages as 8 order-3 blocks: nothing unusable for order 3.
	info = {64, 8, 8};
	CHECK(unusable_free_index(3, &info) == 0);
	CHECK(fragmentation_index_of(3, &info) == -1000);
	// 96 free pages, 8 of them in one order-3 block: (96 - 8) / 96 = 916.
	info = {96, 89, 1};
	CHECK(unusable_free_index(3, &info) == 916);
}

TEST_CASE("page_alloc fragmentation: both modes in one run (the on-target self-test)")
{
	HostMm mm(small_config(128 * SZ_1M));
	page_alloc_ledger start = page_alloc_ledger_snapshot();
	fragmentation_result g{}, u{};
	host_take_log();
	fragmentation_selftest_both(&g, &u);
	std::string log = host_take_log();
	CHECK(log_has(log, "fragmentation: with grouping:"));
	CHECK(log_has(log, "fragmentation: without grouping:"));
	CHECK(log_has(log, "unusable_index:\nNode 0, zone      DMA "));
	CHECK(g.order9_blocks > 4 * (u.order9_blocks + 1));
	CHECK(!page_group_by_mobility_disabled);
	CHECK(page_alloc_ledger_snapshot() == start);
	CHECK_PAGE_ALLOC_CLEAN();
}
