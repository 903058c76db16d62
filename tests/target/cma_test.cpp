// On-target CMA tests: the Pis' linux,cma pool (or cma= on virt) is in the buddy as
// MIGRATE_CMA pageblocks, movable allocations use it and unmovable ones never do, cma_alloc
// gives aligned contiguous buffers and cma_release returns them; the runner's ledger check
// (free pages, live slab objects) must be exact after the suite.
#include "kernel/ktest.h"
#include "mm/cma.h"
#include "mm/gfp.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

namespace {

bool in_area(const cma *c, const page *p)
{
	unsigned long pfn = page_to_pfn(p);
	return pfn >= c->base_pfn && pfn < c->base_pfn + c->count;
}

bool in_any_area(const page *p)
{
	for (const cma &c : cma_area_list())
		if (in_area(&c, p))
			return true;
	return false;
}

// Every unmovable page the allocator gives (1 MiB chunks, then single pages), chained through
// page->lru; `foreign` counts the ones that came from a CMA area (must stay 0).
struct Hoard {
	list_head big, small;
	unsigned long foreign = 0;
	Hoard()
	{
		INIT_LIST_HEAD(&big);
		INIT_LIST_HEAD(&small);
	}
	void fill()
	{
		while (page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 8)) {
			foreign += in_any_area(p);
			list_add(&p->lru, &big);
		}
		while (page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN)) {
			foreign += in_any_area(p);
			list_add(&p->lru, &small);
		}
	}
	void release()
	{
		while (!list_empty(&big)) {
			page *p = list_first_entry(&big, page, lru);
			list_del(&p->lru);
			__free_pages(p, 8);
		}
		while (!list_empty(&small)) {
			page *p = list_first_entry(&small, page, lru);
			list_del(&p->lru);
			__free_page(p);
		}
		drain_all_pages(nullptr);
	}
};

cma *test_area(KTest &t)
{
	cma *c = dma_contiguous_default_area;
	if (!c && cma_area_count)
		c = &cma_areas[0];
	if (!c || !c->count)
		t.skip("no CMA area (no reusable reserved-memory node, no cma=)");
	return c && c->count ? c : nullptr;
}

} // namespace

KTEST(cma, areas_are_migrate_cma_pageblocks_in_the_buddy)
{
	cma *c = test_area(t);
	if (!c)
		return;
	unsigned long pages = 0, zone_cma = 0;
	for (cma &a : cma_area_list()) {
		pages += a.count;
		for (unsigned long pfn = a.base_pfn; pfn < a.base_pfn + a.count; pfn += pageblock_nr_pages)
			KT_ASSERT_EQ(t, get_pageblock_migratetype(pfn_to_page(pfn)), int(MIGRATE_CMA));
	}
	for_each_zone(z)
		zone_cma += z->cma_pages;
	KT_EXPECT_EQ(t, totalcma_pages, pages);
	KT_EXPECT_EQ(t, zone_cma, pages);
	drain_all_pages(nullptr);
	KT_EXPECT_LE(t, global_zone_page_state_snapshot(NR_FREE_CMA_PAGES), totalcma_pages);
	KT_EXPECT_GT(t, global_zone_page_state_snapshot(NR_FREE_CMA_PAGES), 0u);
	KT_EXPECT_EQ(t, check_page_alloc(), 0u);
}

KTEST(cma, movable_allocations_use_cma_unmovable_never)
{
	cma *c = test_area(t);
	if (!c)
		return;
	drain_all_pages(nullptr);
	unsigned long cma_free = global_zone_page_state_snapshot(NR_FREE_CMA_PAGES);
	Hoard h;
	h.fill();
	KT_EXPECT_EQ(t, h.foreign, 0u);
	KT_EXPECT_EQ(t, global_zone_page_state_snapshot(NR_FREE_CMA_PAGES), cma_free);
	// What is left is mostly CMA: movable requests are served from it (Linux's balance).
	// With grouping by mobility off every request is unmovable (Linux), CMA stays untouched.
	bool grouping = !page_group_by_mobility_disabled;
	static constexpr int N = 256;
	page *m[N];
	int got = 0, in_cma = 0;
	for (int i = 0; i < N; i++) {
		m[i] = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
		if (m[i]) {
			got++;
			in_cma += in_any_area(m[i]) && get_pageblock_migratetype(m[i]) == MIGRATE_CMA;
		}
	}
	KT_EXPECT_EQ(t, check_page_alloc(), 0u);
	for (int i = 0; i < N; i++)
		if (m[i])
			__free_page(m[i]);
	h.release();
	if (grouping) {
		KT_EXPECT_EQ(t, got, N);
		KT_EXPECT_EQ(t, in_cma, N);
	} else {
		KT_EXPECT_EQ(t, in_cma, 0);
	}
	KT_EXPECT_EQ(t, global_zone_page_state_snapshot(NR_FREE_CMA_PAGES), cma_free);
}

KTEST(cma, cma_alloc_4m_and_release)
{
	cma *c = test_area(t);
	if (!c)
		return;
	constexpr unsigned long COUNT = (4 * SZ_1M) / PAGE_SIZE;
	if (c->count < COUNT) {
		t.skip("CMA area smaller than 4 MiB");
		return;
	}
	drain_all_pages(nullptr);
	unsigned long cma_free = global_zone_page_state_snapshot(NR_FREE_CMA_PAGES);
	unsigned long used = cma_used_pages(c);
	// dma_alloc_from_contiguous's alignment: min(get_order(size), CONFIG_CMA_ALIGNMENT = 8).
	page *p = cma_alloc(c, COUNT, 8, false);
	KT_ASSERT_TRUE(t, p != nullptr);
	KT_EXPECT_TRUE(t, in_area(c, p) && in_area(c, p + COUNT - 1));
	KT_EXPECT_EQ(t, page_to_pfn(p) & 255, 0u);
	KT_EXPECT_EQ(t, cma_used_pages(c), used + COUNT);
	KT_EXPECT_EQ(t, global_zone_page_state_snapshot(NR_FREE_CMA_PAGES), cma_free - COUNT);
	int bad = 0;
	for (unsigned long i = 0; i < COUNT; i++)
		bad += page_ref_count(p + i) != 1 || PageBuddy(p + i);
	KT_EXPECT_EQ(t, bad, 0);
	// Contiguous memory through the linear map: write it all, read it back.
	u64 *w = static_cast<u64 *>(page_address(p));
	for (unsigned long i = 0; i < COUNT * PAGE_SIZE / 8; i++)
		w[i] = i * 0x9e3779b97f4a7c15ull;
	unsigned long wrong = 0;
	for (unsigned long i = 0; i < COUNT * PAGE_SIZE / 8; i++)
		wrong += w[i] != i * 0x9e3779b97f4a7c15ull;
	KT_EXPECT_EQ(t, wrong, 0u);
	KT_EXPECT_FALSE(t, cma_release(c, p + 1, c->count));
	KT_EXPECT_TRUE(t, cma_release(c, p, COUNT));
	drain_all_pages(nullptr);
	KT_EXPECT_EQ(t, cma_used_pages(c), used);
	KT_EXPECT_EQ(t, global_zone_page_state_snapshot(NR_FREE_CMA_PAGES), cma_free);
	KT_EXPECT_EQ(t, check_page_alloc(), 0u);
}

KTEST(cma, cma_alloc_fails_cleanly_on_a_page_in_use)
{
	cma *c = test_area(t);
	if (!c)
		return;
	if (page_group_by_mobility_disabled) {
		t.skip("mobility grouping off: no allocation borrows CMA pages (Linux)");
		return;
	}
	drain_all_pages(nullptr);
	Hoard h;
	h.fill();
	page *m = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
	h.release();
	KT_ASSERT_TRUE(t, m != nullptr);
	if (!in_area(c, m)) {
		__free_page(m);
		KT_ASSERT_TRUE(t, false); // a movable page outside CMA although CMA held most free memory
	}
	unsigned long cma_free = global_zone_page_state_snapshot(NR_FREE_CMA_PAGES);
	// The whole area includes m: no free range exists, and nothing may change.
	KT_EXPECT_TRUE(t, cma_alloc(c, c->count, 0, true) == nullptr);
	KT_EXPECT_EQ(t, global_zone_page_state_snapshot(NR_FREE_CMA_PAGES), cma_free);
	KT_EXPECT_EQ(t, get_pageblock_migratetype(m), int(MIGRATE_CMA));
	KT_EXPECT_EQ(t, page_ref_count(m), 1);
	KT_EXPECT_EQ(t, check_page_alloc(), 0u);
	// A 2 MiB request retries past m's pageblock.
	page *b = cma_alloc(c, pageblock_nr_pages, pageblock_order, true);
	KT_ASSERT_TRUE(t, b != nullptr);
	KT_EXPECT_TRUE(t, page_to_pfn(m) < page_to_pfn(b) || page_to_pfn(m) >= page_to_pfn(b) + pageblock_nr_pages);
	KT_EXPECT_TRUE(t, cma_release(c, b, pageblock_nr_pages));
	__free_page(m);
	drain_all_pages(nullptr);
	KT_EXPECT_EQ(t, check_page_alloc(), 0u);
}
