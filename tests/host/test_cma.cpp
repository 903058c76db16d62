// CMA: areas from memblock, activation as MIGRATE_CMA pageblocks, cma_alloc/cma_release,
// what happens when a page of the area is in use, cma= and the reserved-memory handler.
#include <vector>

#include "core/compiler.h"
#include "core/params.h"
#include "mm/cma.h"
#include "mm/dt_memory.h"
#include "mm/memblock.h"
#include "tests/host/test_page_alloc.h"

using namespace patest;

namespace {

constexpr phys_addr_t AREA_BASE = RAM_BASE + 32 * SZ_1M;
constexpr unsigned long AREA_PAGES = (16 * SZ_1M) >> PAGE_SHIFT;

// 128 MiB at 1 GiB with a 16 MiB area at 1 GiB + 32 MiB (cma=16M@0x42000000: fixed).
HostMmConfig cma_config(const char *cmdline = "cma=16M@0x42000000")
{
	HostMmConfig cfg = small_config(128 * SZ_1M);
	std::string c = cmdline;
	cfg.before_init = [c] { CHECK(!early_cma(c.c_str() + 4).is_error()); };
	cfg.before_free_all = [] { dma_contiguous_reserve(SZ_4G); };
	return cfg;
}

bool in_area(const cma *c, const page *p)
{
	unsigned long pfn = page_to_pfn(p);
	return pfn >= c->base_pfn && pfn < c->base_pfn + c->count;
}

// Every page GFP_KERNEL can get; none may come from the area.
std::vector<page *> exhaust_unmovable(const cma *c)
{
	std::vector<page *> v;
	while (page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN)) {
		REQUIRE_FALSE(in_area(c, p));
		v.push_back(p);
	}
	return v;
}

void free_all(std::vector<page *> &v)
{
	for (page *p : v)
		__free_page(p);
	v.clear();
	drain_all_pages(nullptr);
}

// A booted HostMm with the area, per-CPU lists drained and the ledger taken.
struct CmaEnv {
	HostMm mm{cma_config()};
	cma *c = &cma_areas[0];
	zone *z = zone_of(0, ZONE_DMA);
	page_alloc_ledger start{};
	CmaEnv()
	{
		drain_all_pages(nullptr);
		start = page_alloc_ledger_snapshot();
	}
	// After everything is freed: the ledger is exact and the lists consistent.
	void check_ledger()
	{
		drain_all_pages(nullptr);
		CHECK(page_alloc_ledger_snapshot() == start);
		CHECK_PAGE_ALLOC_CLEAN();
	}
};

} // namespace

TEST_CASE("cma: an area becomes MIGRATE_CMA pageblocks with exact counters")
{
	unsigned long free_before_cma = 0;
	HostMmConfig cfg = cma_config();
	cfg.before_free_all = [&] {
		host_take_log();
		dma_contiguous_reserve(SZ_4G);
		CHECK(log_has(host_take_log(), "cma: Reserved 16 MiB at 0x0000000042000000\n"));
		CHECK(totalcma_pages == AREA_PAGES);
		CHECK(memblock_is_region_reserved(AREA_BASE, 16 * SZ_1M));
		phys_addr_t s, e;
		u64 i;
		for_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_NONE, &s, &e, nullptr)
			free_before_cma += (e >> PAGE_SHIFT) - ((s + PAGE_SIZE - 1) >> PAGE_SHIFT);
	};
	HostMm mm(cfg);
	REQUIRE(cma_area_count == 1);
	cma *c = &cma_areas[0];
	CHECK(dma_contiguous_default_area == c);
	CHECK(std::string(cma_get_name(c)) == "reserved");
	CHECK(cma_get_base(c) == AREA_BASE);
	CHECK(cma_get_size(c) == 16 * SZ_1M);
	// memblock_free_all gave the buddy everything but the area; activation added the area.
	CHECK(mm.freed_at_boot() == free_before_cma);
	zone *z = zone_of(0, ZONE_DMA);
	CHECK(zone_managed_pages(z) == free_before_cma + AREA_PAGES);
	CHECK(z->cma_pages == AREA_PAGES);
	CHECK(totalcma_pages == AREA_PAGES);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) == AREA_PAGES);
	// The area's bitmap is one page from the buddy.
	drain_all_pages(nullptr);
	CHECK(nr_free_pages() + 1 == free_before_cma + AREA_PAGES);
	for (unsigned long pfn = c->base_pfn; pfn < c->base_pfn + c->count; pfn += pageblock_nr_pages)
		REQUIRE(get_pageblock_migratetype(pfn_to_page(pfn)) == MIGRATE_CMA);
	CHECK(get_pageblock_migratetype(pfn_to_page(c->base_pfn - 1)) == MIGRATE_MOVABLE);
	CHECK(get_pageblock_migratetype(pfn_to_page(c->base_pfn + c->count)) == MIGRATE_MOVABLE);
	CHECK(!PageReserved(pfn_to_page(c->base_pfn)));
	CHECK(cma_used_pages(c) == 0);
	CHECK(cma_maxchunk_pages(c) == AREA_PAGES);
	CHECK_PAGE_ALLOC_CLEAN();
	host_take_log();
	show_meminfo(printk);
	std::string mi = host_take_log();
	CHECK(log_has(mi, "CmaTotal:          16384 kB\n"));
	CHECK(log_has(mi, "CmaFree:           16384 kB\n"));
}

TEST_CASE_FIXTURE(CmaEnv, "cma: movable allocations use CMA pageblocks, unmovable ones never")
{
	std::vector<page *> ks = exhaust_unmovable(c);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) == AREA_PAGES);
	// Now CMA holds more than half the free memory: movable requests take it first (Linux's
	// balance in __rmqueue), order 0 through the pcp lists and higher orders from the buddy.
	std::vector<page *> ms;
	for (int i = 0; i < 300; i++) {
		page *p = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
		REQUIRE(p);
		CHECK(in_area(c, p));
		CHECK(get_pageblock_migratetype(p) == MIGRATE_CMA);
		ms.push_back(p);
	}
	page *big = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 4);
	REQUIRE(big);
	CHECK(in_area(c, big));
	CHECK_PAGE_ALLOC_CLEAN();
	// NR_FREE_CMA_PAGES counts what the buddy holds: pages on pcp lists are not free there.
	unsigned long pcp = 0;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		pcp += static_cast<unsigned long>(z->pcp[cpu].count);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) + 300 + 16 + pcp == AREA_PAGES);
	__free_pages(big, 4);
	free_all(ms);
	free_all(ks);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) == AREA_PAGES);
	check_ledger();
}

TEST_CASE_FIXTURE(CmaEnv, "cma: cma_alloc gives aligned contiguous pages and cma_release takes them back")
{
	unsigned long free0 = nr_free_pages();

	page *a = cma_alloc(c, 1000, 8, false);
	REQUIRE(a);
	CHECK(in_area(c, a));
	CHECK((page_to_pfn(a) & 255) == 0);
	CHECK(cma_used_pages(c) == 1000);
	for (unsigned long i = 0; i < 1000; i++) {
		REQUIRE(page_ref_count(a + i) == 1);
		REQUIRE(!PageBuddy(a + i));
	}
	// Exactly the pages taken left the free counts; the rest of their pageblocks is back.
	CHECK(nr_free_pages() == free0 - 1000);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) == AREA_PAGES - 1000);
	CHECK(READ_ONCE(z->nr_isolate_pageblock) == 0);
	CHECK_PAGE_ALLOC_CLEAN();
	// The buffer is memory: write all of it.
	memset(page_address(a), 0x5a, 1000 * PAGE_SIZE);

	// 4 MiB aligned to 4 MiB (order 10): never overlaps the first buffer.
	page *b = cma_alloc(c, 1024, 10, false);
	REQUIRE(b);
	CHECK((page_to_pfn(b) & 1023) == 0);
	CHECK((page_to_pfn(b) >= page_to_pfn(a) + 1000 || page_to_pfn(b) + 1024 <= page_to_pfn(a)));
	CHECK(cma_used_pages(c) == 2024);
	// Bits are per page (order_per_bit 0): the next 1-page allocation sits right after a.
	page *one = cma_alloc(c, 1, 0, false);
	REQUIRE(one);
	CHECK(page_to_pfn(one) == page_to_pfn(a) + 1000);
	CHECK(cma_maxchunk_pages(c) <= AREA_PAGES - 2025);

	// Requests it cannot satisfy fail without changing anything.
	host_take_log();
	CHECK(cma_alloc(c, 0, 0, false) == nullptr);
	CHECK(cma_alloc(c, AREA_PAGES + 1, 0, true) == nullptr);
	CHECK(cma_alloc(c, AREA_PAGES, 0, false) == nullptr);
	std::string log = host_take_log();
	CHECK(log_has(log, "cma: cma_alloc: reserved: alloc failed, req-size: 4096 pages, ret: -12\n"));
	CHECK(log_has(log, "cma: number of available pages: "));
	CHECK(cma_alloc(nullptr, 1, 0, false) == nullptr);
	CHECK(cma_used_pages(c) == 2025);

	// cma_release refuses pages that are not the area's.
	page *other = alloc_page(GFP_KERNEL);
	REQUIRE(other);
	CHECK_FALSE(cma_release(c, other, 1));
	CHECK_FALSE(cma_release(c, a + 1, AREA_PAGES)); // runs past the area's end
	__free_page(other);

	CHECK(cma_release(c, a, 1000));
	CHECK(cma_release(c, b, 1024));
	CHECK(cma_release(c, one, 1));
	CHECK(cma_used_pages(c) == 0);
	drain_all_pages(nullptr);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) == AREA_PAGES);
	CHECK(page_alloc_ledger_snapshot() == start);
	// The whole area comes out as one piece once it is all free.
	page *all = cma_alloc(c, AREA_PAGES, 0, false);
	REQUIRE(all);
	CHECK(page_to_pfn(all) == c->base_pfn);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) == 0);
	CHECK(cma_release(c, all, AREA_PAGES));
	check_ledger();
	CHECK(c->nr_pages_succeeded == 1000 + 1024 + 1 + AREA_PAGES);
}

TEST_CASE_FIXTURE(CmaEnv, "cma: a page in use makes cma_alloc fail cleanly until it is freed")
{
	std::vector<page *> ks = exhaust_unmovable(c);
	page *m = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
	REQUIRE(m);
	REQUIRE(in_area(c, m));
	free_all(ks);
	unsigned long cma_free = zone_page_state_snapshot(z, NR_FREE_CMA_PAGES);
	unsigned long free0 = nr_free_pages();

	host_take_log();
	CHECK(cma_alloc(c, AREA_PAGES, 0, false) == nullptr);
	std::string log = host_take_log();
	CHECK(log_has(log, "cma: cma_alloc: reserved: alloc failed, req-size: 4096 pages, ret: -16\n"));
	CHECK(log_has(log, "pages in use cannot be migrated out yet"));
	// Nothing changed: the blocks are CMA again, their free pages counted, the bitmap clear.
	CHECK(READ_ONCE(z->nr_isolate_pageblock) == 0);
	for (unsigned long pfn = c->base_pfn; pfn < c->base_pfn + c->count; pfn += pageblock_nr_pages)
		REQUIRE(get_pageblock_migratetype(pfn_to_page(pfn)) == MIGRATE_CMA);
	CHECK(zone_page_state_snapshot(z, NR_FREE_CMA_PAGES) == cma_free);
	CHECK(nr_free_pages() == free0);
	CHECK(cma_used_pages(c) == 0);
	CHECK(page_ref_count(m) == 1);
	CHECK_PAGE_ALLOC_CLEAN();

	// A pageblock-aligned request retries past the busy block and succeeds elsewhere.
	page *b = cma_alloc(c, pageblock_nr_pages, pageblock_order, false);
	REQUIRE(b);
	unsigned long mpfn = page_to_pfn(m);
	CHECK((mpfn < page_to_pfn(b) || mpfn >= page_to_pfn(b) + pageblock_nr_pages));
	CHECK(cma_release(c, b, pageblock_nr_pages));

	__free_page(m);
	drain_all_pages(nullptr);
	page *all = cma_alloc(c, AREA_PAGES, 0, false);
	REQUIRE(all);
	CHECK(cma_release(c, all, AREA_PAGES));
	check_ledger();
}

TEST_CASE("cma: cma= syntax as Linux's, malformed values refused and the setting kept")
{
	cma_reset_for_test();
	host_take_log();
	CHECK(early_cma(nullptr).is_error());
	CHECK(log_has(host_take_log(), "cma: Config string not provided\n"));
	for (const char *bad : {"junk", "64Mfoo", "64M@", "64M@0x40000000-", "64M@1G-512M", "64M@1G,nomerge"}) {
		CAPTURE(bad);
		CHECK(early_cma(bad).is_error());
		CHECK(log_has(host_take_log(), "expected nn[KMG][@start[KMG][-end[KMG]]]"));
	}
	// Accepted forms, each checked by where the area lands.
	struct Case {
		const char *arg;
		phys_addr_t base;
	};
	for (Case k : {Case{"16M@0x42000000", 0x42000000}, Case{"16M@0x41000000-0x44000000", 0x43000000},
		       Case{"16M", 0x46000000}, Case{"16384K@1056M", 0x42000000}}) {
		CAPTURE(k.arg);
		HostMmConfig cfg = small_config(128 * SZ_1M);
		std::string a = k.arg;
		cfg.before_init = [a] {
			CHECK(early_cma("junk").is_error()); // refused: the previous setting stays
			CHECK(!early_cma(a.c_str()).is_error());
			CHECK(early_cma("1G@").is_error());
		};
		// Linux passes arm64_dma_phys_limit; 0x46000000 keeps the default placement checkable.
		cfg.before_free_all = [] { dma_contiguous_reserve(0x47000000); };
		HostMm mm(cfg);
		REQUIRE(cma_area_count == 1);
		CHECK(cma_get_base(&cma_areas[0]) == k.base);
		CHECK(cma_get_size(&cma_areas[0]) == 16 * SZ_1M);
		CHECK(totalcma_pages == AREA_PAGES);
	}
	// cma=0: no default area at all.
	{
		HostMmConfig cfg = small_config(128 * SZ_1M);
		cfg.before_init = [] { CHECK(!early_cma("0").is_error()); };
		cfg.before_free_all = [] { dma_contiguous_reserve(SZ_4G); };
		HostMm mm(cfg);
		CHECK(cma_area_count == 0);
		CHECK(totalcma_pages == 0);
	}
	// A fixed range that is taken (the kernel image) or beyond memory: reported, nothing lost.
	for (const char *arg : {"16M@0x40000000", "16M@0x50000000"}) {
		CAPTURE(arg);
		HostMmConfig cfg = small_config(128 * SZ_1M);
		std::string a = arg;
		cfg.before_init = [a] { CHECK(!early_cma(a.c_str()).is_error()); };
		cfg.before_free_all = [] {
			host_take_log();
			phys_addr_t reserved = memblock_reserved_size();
			dma_contiguous_reserve(SZ_4G);
			CHECK(log_has(host_take_log(), "cma: Failed to reserve 16 MiB\n"));
			CHECK(memblock_reserved_size() == reserved);
		};
		HostMm mm(cfg);
		CHECK(cma_area_count == 0);
		CHECK(totalcma_pages == 0);
		CHECK_PAGE_ALLOC_CLEAN();
	}
}

TEST_CASE("cma: an area across two zones is not activated and its pages become ordinary memory")
{
	// multizone: ZONE_DMA ends at 1 GiB + 128 MiB; the area straddles it.
	HostMmConfig cfg = multizone_config();
	unsigned long free_before_cma = 0;
	cfg.before_init = [] { CHECK(!early_cma("16M@0x47800000").is_error()); };
	cfg.before_free_all = [&] {
		dma_contiguous_reserve(SZ_4G);
		phys_addr_t s, e;
		u64 i;
		for_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_NONE, &s, &e, nullptr)
			free_before_cma += (e >> PAGE_SHIFT) - ((s + PAGE_SIZE - 1) >> PAGE_SHIFT);
		host_take_log();
	};
	HostMm mm(cfg);
	CHECK(log_has(host_take_log(), "cma: CMA area reserved could not be activated\n"));
	REQUIRE(cma_area_count == 1);
	CHECK(cma_areas[0].count == 0);
	CHECK(totalcma_pages == 0);
	CHECK(global_zone_page_state_snapshot(NR_FREE_CMA_PAGES) == 0);
	drain_all_pages(nullptr);
	CHECK(nr_free_pages() == free_before_cma + AREA_PAGES);
	CHECK(totalram_pages() == free_before_cma + AREA_PAGES);
	CHECK(get_pageblock_migratetype(pfn_to_page(0x47800000 >> PAGE_SHIFT)) == MIGRATE_MOVABLE);
	CHECK(cma_alloc(&cma_areas[0], 1, 0, false) == nullptr);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("cma: reserved-memory pools, and cma= replacing the default one")
{
	cma_reset_for_test();
	memblock_reset_for_test();
	page_alloc_reset_for_test();
	REQUIRE(memblock_add(RAM_BASE, SZ_128M) == 0);
	REQUIRE(memblock_reserve(AREA_BASE, 16 * SZ_1M) == 0);
	host_take_log();
	CHECK(rmem_cma_setup("linux,cma", AREA_BASE + SZ_1M, 8 * SZ_1M, true).is_error());
	CHECK(log_has(host_take_log(), "cma: Reserved memory: incorrect alignment of CMA region\n"));
	CHECK(rmem_cma_setup("unreserved", RAM_BASE + 64 * SZ_1M, 8 * SZ_1M, false).is_error());
	CHECK(log_has(host_take_log(), "cma: Reserved memory: unable to setup CMA region\n"));
	// A reusable region outside RAM (a DT reg beyond memory) is refused, not given to the buddy.
	REQUIRE(memblock_reserve(RAM_BASE + SZ_128M - 2 * SZ_1M, 4 * SZ_1M) == 0);
	CHECK(rmem_cma_setup("outside", RAM_BASE + SZ_128M - 2 * SZ_1M, 4 * SZ_1M, false).is_error());
	CHECK(log_has(host_take_log(), "cma: 0x0000000047e00000..0x00000000481fffff is not all mapped memory\n"));
	CHECK(cma_area_count == 0);
	REQUIRE(!rmem_cma_setup("linux,cma", AREA_BASE, 16 * SZ_1M, true).is_error());
	CHECK(log_has(host_take_log(), "cma: Reserved memory: created CMA memory pool at 0x0000000042000000, size 16 MiB\n"));
	CHECK(dma_contiguous_default_area == &cma_areas[0]);
	CHECK(totalcma_pages == AREA_PAGES);
	// A default area exists: dma_contiguous_reserve has nothing to do without cma=.
	dma_contiguous_reserve(SZ_4G);
	CHECK(cma_area_count == 1);

	cma_reset_for_test();
	totalcma_pages = 0;
	REQUIRE(!early_cma("32M").is_error());
	Result r = rmem_cma_setup("linux,cma", AREA_BASE, 16 * SZ_1M, true);
	REQUIRE(r.is_error());
	CHECK(r.error().code() == Errno::EBUSY);
	CHECK(log_has(host_take_log(), "cma: Reserved memory: bypass linux,cma node, using cmdline CMA params instead\n"));
	// A pool that is not the default one stays next to cma=.
	CHECK(!rmem_cma_setup("other", AREA_BASE, 16 * SZ_1M, false).is_error());
	CHECK(dma_contiguous_default_area == nullptr);
	host_take_log();
	cma_reset_for_test();
	memblock_reset_for_test();
	page_alloc_reset_for_test();
}
