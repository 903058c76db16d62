// Page allocator: boot hand-over, zones, gfp mapping, watermarks, pcp, compound pages,
// exhaustion and recovery, debugging features.
#include "tests/host/test_page_alloc.h"

#include "core/compiler.h"

#include <cmath>
#include <cstring>
#include <vector>

#include <asm/page.h>

#include "core/params.h"
#include "mm/memblock.h"

using namespace patest;

TEST_CASE("page_alloc: boot hands every free memblock page to the buddy")
{
	unsigned long expected_free = 0;
	HostMmConfig cfg = small_config();
	cfg.before_free_all = [&] {
		phys_addr_t s, e;
		u64 i;
		for_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_NONE, &s, &e, nullptr) {
			unsigned long sp = (s + PAGE_SIZE - 1) >> PAGE_SHIFT, ep = e >> PAGE_SHIFT;
			if (sp < ep)
				expected_free += ep - sp;
		}
	};
	host_take_log();
	HostMm mm(cfg);
	std::string log = host_take_log();
	CHECK(log_has(log, "Zone ranges:\n  DMA      [mem 0x0000000040000000-0x0000000043ffffff]\n  DMA32    empty\n  Normal   empty\n"));
	CHECK(log_has(log, "Early memory node ranges\n  node   0: [mem 0x0000000040000000-0x0000000043ffffff]\n"));
	CHECK(log_has(log, "mobility grouping on"));
	REQUIRE(expected_free > 0);
	CHECK(mm.freed_at_boot() == expected_free);
	CHECK(nr_free_pages() == expected_free);
	CHECK(totalram_pages() == expected_free);
	zone *z = zone_of(0, ZONE_DMA);
	CHECK(z->spanned_pages == 16384);
	CHECK(z->present_pages == 16384);
	CHECK(zone_managed_pages(z) == expected_free);
	CHECK(!populated_zone(zone_of(0, ZONE_DMA32)));
	CHECK(!populated_zone(zone_of(0, ZONE_NORMAL)));
	CHECK_PAGE_ALLOC_CLEAN();
	// The kernel reservation stays Reserved; free pages are PageBuddy or inside a free block.
	CHECK(PageReserved(pfn_to_page(RAM_BASE >> PAGE_SHIFT)));
	CHECK(page_ref_count(pfn_to_page(RAM_BASE >> PAGE_SHIFT)) == 1);

	kernel_image_sizes sz{3 * SZ_1M, 512 * SZ_1K, SZ_1M, 256 * SZ_1K, 128 * SZ_1K};
	mem_init_print_info(sz);
	char want[256];
	snprintf(want, sizeof(want),
		 "Memory: %luK/%luK available (3072K kernel code, 512K rwdata, 1024K rodata, 256K init, 128K bss, %luK reserved, 0K cma-reserved)\n",
		 expected_free * 4, 16384UL * 4, (16384 - expected_free) * 4);
	CHECK(host_take_log() == want);
}

TEST_CASE("page_alloc: gfp_zone and gfp_migratetype follow Linux's tables")
{
	CHECK(gfp_zone(GFP_KERNEL) == ZONE_NORMAL);
	CHECK(gfp_zone(GFP_ATOMIC) == ZONE_NORMAL);
	CHECK(gfp_zone(GFP_KERNEL | __GFP_DMA) == ZONE_DMA);
	CHECK(gfp_zone(GFP_KERNEL | __GFP_DMA32) == ZONE_DMA32);
	CHECK(gfp_zone(GFP_USER | __GFP_MOVABLE) == ZONE_NORMAL);
	CHECK(gfp_zone(GFP_HIGHUSER_MOVABLE) == ZONE_MOVABLE);
	CHECK(gfp_zone(GFP_HIGHUSER) == ZONE_NORMAL);
	CHECK(gfp_migratetype(GFP_KERNEL) == MIGRATE_UNMOVABLE);
	CHECK(gfp_migratetype(GFP_HIGHUSER_MOVABLE) == MIGRATE_MOVABLE);
	CHECK(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE) == MIGRATE_RECLAIMABLE);
	// Linux's values, checked at compile time.
	static_assert(gfp_raw(GFP_KERNEL) == 0xcc0);
	static_assert(gfp_raw(GFP_ATOMIC) == 0xa20);
	static_assert(gfp_raw(GFP_NOWAIT) == 0x800);
	static_assert(gfp_raw(GFP_HIGHUSER_MOVABLE) == 0x100cca);
	char buf[128];
	format_gfp_flags(buf, sizeof(buf), GFP_KERNEL | __GFP_ZERO | __GFP_COMP);
	CHECK(std::string(buf) == "GFP_KERNEL|__GFP_COMP|__GFP_ZERO");
	format_gfp_flags(buf, sizeof(buf), GFP_ATOMIC | __GFP_NOWARN);
	CHECK(std::string(buf) == "GFP_ATOMIC|__GFP_NOWARN");
	format_gfp_flags(buf, sizeof(buf), gfp_t(0));
	CHECK(std::string(buf) == "0x0");
}

// The order-0 fast path decodes gfp through a per-node table instead of gfp_zone(),
// gfp_migratetype() and the zonelist walk: it must agree with them for every combination, and
// page debugging or invalid zone modifiers must keep it off (null zone).
TEST_CASE("page_alloc: the order-0 fast path's gfp table agrees with the general path")
{
	HostMm mm(multizone_config());
	auto check_table = [](bool debugging, Caller at = {}) {
		CALLED_FROM(at);
		const pglist_data *pgdat = NODE_DATA(0);
		for (unsigned bits = 0; bits < 32; bits++) {
			CAPTURE(bits);
			const auto &e = pgdat->pcp_fast[bits];
			gfp_t gfp = gfp_t(bits);
			bool bad = (bits & 15) == 3 || (bits & 15) == 5 || (bits & 15) == 6 || (bits & 15) == 7 ||
				   (bits & 15) == 11 || (bits & 15) >= 13;
			if (bad || debugging) {
				CHECK(e.z == nullptr);
				continue;
			}
			REQUIRE(e.z != nullptr);
			CHECK(e.highest_zoneidx == gfp_zone(gfp));
			CHECK(e.migratetype == gfp_migratetype(gfp));
			// The first populated zone at or below gfp_zone() (multizone: DMA, DMA32, NORMAL).
			int want = e.highest_zoneidx;
			while (want > 0 && !populated_zone(zone_of(0, zone_type(want))))
				want--;
			CHECK(e.z == zone_of(0, zone_type(want)));
		}
	};
	check_table(false);
	CHECK(NODE_DATA(0)->pcp_fast[gfp_raw(GFP_KERNEL) & 31].z == zone_of(0, ZONE_NORMAL));
	CHECK(NODE_DATA(0)->pcp_fast[gfp_raw(GFP_DMA) & 31].z == zone_of(0, ZONE_DMA));
	page_poisoning_enabled = true;
	page_alloc_fast_path_update();
	check_table(true);
	page_poisoning_enabled = false;
	debug_pagealloc_enabled = true;
	page_alloc_fast_path_update();
	check_table(true);
	debug_pagealloc_enabled = false;
	page_alloc_fast_path_update();
	check_table(false);
	// Without mobility grouping every request is unmovable, in the table too.
	set_page_group_by_mobility_disabled(true);
	CHECK(NODE_DATA(0)->pcp_fast[gfp_raw(GFP_HIGHUSER_MOVABLE) & 31].migratetype == MIGRATE_UNMOVABLE);
	set_page_group_by_mobility_disabled(false);
	CHECK(NODE_DATA(0)->pcp_fast[gfp_raw(GFP_HIGHUSER_MOVABLE) & 31].migratetype == MIGRATE_MOVABLE);

	// pcp hits count their pgalloc/pgfree events on the per-CPU list; the totals see them.
	page *warm = alloc_page(GFP_KERNEL);
	REQUIRE(warm);
	__free_page(warm);
	unsigned long a0 = global_vm_event(PGALLOC_NORMAL), f0 = global_vm_event(PGFREE);
	unsigned long d0 = global_vm_event(PGALLOC_DMA);
	for (int i = 0; i < 10; i++) {
		page *p = alloc_page(GFP_KERNEL);
		REQUIRE(p);
		CHECK(page_zonenum(p) == ZONE_NORMAL);
		__free_page(p);
	}
	page *d = alloc_page(GFP_DMA);
	REQUIRE(d);
	__free_page(d);
	CHECK(global_vm_event(PGALLOC_NORMAL) - a0 == 10);
	CHECK(global_vm_event(PGALLOC_DMA) - d0 == 1);
	CHECK(global_vm_event(PGFREE) - f0 == 11);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc: struct page layout and flags word")
{
	static_assert(sizeof(page) == 64);
	page p;
	memset(&p, 0, sizeof(p));
	set_page_links(&p, ZONE_NORMAL, 3, 0x1abcde);
	__SetPageReserved(&p);
	__SetPageHead(&p);
	CHECK(page_zonenum(&p) == ZONE_NORMAL);
	CHECK(page_to_nid(&p) == 3);
	CHECK(page_to_section(&p) == 0x1abcde);
	char buf[200];
	format_page_flags(buf, sizeof(buf), p.flags);
	char want[200];
	snprintf(want, sizeof(want), "%#lx(reserved|head|node=3|zone=2)", p.flags);
	CHECK(std::string(buf) == want);
	page_mapcount_reset(&p);
	CHECK(!PageBuddy(&p));
	__SetPageBuddy(&p);
	CHECK(PageBuddy(&p));
	CHECK(page_mapcount_raw(&p) != -1);
	__ClearPageBuddy(&p);
	CHECK(page_mapcount_raw(&p) == -1);
}

TEST_CASE("page_alloc: every order allocates, is aligned, and frees back exactly")
{
	HostMm mm(small_config());
	page_alloc_ledger start = page_alloc_ledger_snapshot();
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		page *p = alloc_pages(GFP_KERNEL, order);
		REQUIRE_MESSAGE(p, "order ", order);
		CHECK((page_to_pfn(p) & ((1UL << order) - 1)) == 0);
		CHECK(page_ref_count(p) == 1);
		CHECK(!PageBuddy(p));
		CHECK(page_zone(p) == zone_of(0, ZONE_DMA));
		__free_pages(p, order);
	}
	CHECK(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER) == nullptr);
	drain_all_pages(nullptr);
	CHECK(page_alloc_ledger_snapshot() == start);
	CHECK_PAGE_ALLOC_CLEAN();
	unsigned long addr = __get_free_pages(GFP_KERNEL, 2);
	REQUIRE(addr);
	CHECK(virt_to_page(reinterpret_cast<void *>(addr)) == pfn_to_page((virt_to_phys(reinterpret_cast<void *>(addr)).value()) >> PAGE_SHIFT));
	CHECK(page_address(virt_to_page(reinterpret_cast<void *>(addr))) == reinterpret_cast<void *>(addr));
	free_pages(addr, 2);
	free_pages(0, 3); // ignored
	drain_all_pages(nullptr);
	CHECK(page_alloc_ledger_snapshot() == start);
}

TEST_CASE("page_alloc: __GFP_ZERO and get_zeroed_page return zeroes via clear_page")
{
	HostMm mm(small_config());
	page *p = alloc_page(GFP_KERNEL);
	REQUIRE(p);
	memset(page_address(p), 0x5a, PAGE_SIZE);
	__free_page(p);
	unsigned long before = host_clear_page_calls;
	page *q = alloc_page(GFP_KERNEL | __GFP_ZERO);
	REQUIRE(q);
	CHECK(q == p); // pcp lists are LIFO: the same, dirty page comes back
	CHECK(host_clear_page_calls == before + 1);
	const u8 *b = static_cast<const u8 *>(page_address(q));
	bool zero = true;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		zero &= b[i] == 0;
	CHECK(zero);
	memset(page_address(q), 0x77, PAGE_SIZE);
	__free_page(q);
	unsigned long z = get_zeroed_page(GFP_KERNEL);
	REQUIRE(z);
	CHECK(reinterpret_cast<const u8 *>(z)[123] == 0);
	free_page(z);
	page *c = alloc_pages(GFP_KERNEL | __GFP_ZERO, 3);
	REQUIRE(c);
	CHECK(host_clear_page_calls == before + 1 + 1 + 8);
	__free_pages(c, 3);
}

TEST_CASE("page_alloc: compound pages")
{
	HostMm mm(small_config());
	page_alloc_ledger start = page_alloc_ledger_snapshot();
	for (unsigned order : {1u, 3u, 9u, 10u}) {
		page *p = alloc_pages(GFP_KERNEL | __GFP_COMP, order);
		REQUIRE(p);
		CHECK(PageHead(p));
		CHECK(!PageTail(p));
		CHECK(compound_order(p) == order);
		CHECK(compound_nr(p) == (1UL << order));
		for (unsigned long i = 1; i < (1UL << order); i++) {
			REQUIRE(PageTail(p + i));
			REQUIRE(compound_head(p + i) == p);
		}
		CHECK(page_count(p + 1) == 1);
		get_page(p + 1); // a reference through a tail counts on the head
		CHECK(page_ref_count(p) == 2);
		put_page(p + 1);
		CHECK(page_ref_count(p) == 1);
		put_page(p); // frees with the compound order
	}
	// Non-compound high order: tails are plain pages.
	page *q = alloc_pages(GFP_KERNEL, 2);
	REQUIRE(q);
	CHECK(!PageHead(q));
	CHECK(!PageTail(q + 1));
	__free_pages(q, 2);
	drain_all_pages(nullptr);
	CHECK(nr_bad_pages == 0);
	CHECK(page_alloc_ledger_snapshot() == start);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc: per-CPU lists: batch/high from zone size, refill, drain, per CPU")
{
	HostMm mm(small_config());
	zone *z = zone_of(0, ZONE_DMA);
	unsigned long managed = zone_managed_pages(z);
	// Linux 6.1 zone_batchsize: min(managed/1024, 256)/4, then rounddown_pow_of_two(b + b/2) - 1.
	int b = static_cast<int>(std::min(managed / 1024, 256UL)) / 4;
	if (b < 1)
		b = 1;
	int expect_batch = (1 << static_cast<int>(std::floor(std::log2(b + b / 2)))) - 1;
	CHECK(z->pcp[0].batch == expect_batch);
	CHECK(z->pcp[0].high == std::max(static_cast<int>(low_wmark_pages(z)), expect_batch * 4));

	page_alloc_ledger start = page_alloc_ledger_snapshot();
	CHECK(start.pcp_total == 0);
	page *p = alloc_page(GFP_KERNEL);
	REQUIRE(p);
	// One refill of `batch` pages; one handed out.
	CHECK(z->pcp[0].count == expect_batch - 1);
	CHECK(zone_page_state(z, NR_FREE_PAGES) == start.free_total - expect_batch);
	host_current_cpu = 2;
	page *q = alloc_page(GFP_KERNEL);
	REQUIRE(q);
	CHECK(z->pcp[2].count == expect_batch - 1);
	__free_page(p); // freed on CPU 2's list
	CHECK(z->pcp[2].count == expect_batch);
	host_current_cpu = 0;
	__free_page(q);
	CHECK(z->pcp[0].count == expect_batch);
	CHECK_PAGE_ALLOC_CLEAN();
	// Freeing many pages never lets a list grow past high.
	std::vector<page *> pages;
	for (int i = 0; i < 2000; i++) {
		page *r = alloc_page(GFP_KERNEL);
		REQUIRE(r);
		pages.push_back(r);
	}
	for (page *r : pages) {
		__free_page(r);
		REQUIRE(z->pcp[0].count < z->pcp[0].high);
	}
	drain_local_pages(z);
	CHECK(z->pcp[0].count == 0);
	CHECK(z->pcp[2].count == expect_batch);
	drain_all_pages(nullptr);
	CHECK(page_alloc_ledger_snapshot() == start);
	CHECK_PAGE_ALLOC_CLEAN();
	CHECK(host_irq_disabled_depth == 0);
}

TEST_CASE("page_alloc: zone-restricted allocations land in their zone; memmap only for present sections")
{
	HostMm mm(multizone_config());
	zone *dma = zone_of(0, ZONE_DMA), *dma32 = zone_of(0, ZONE_DMA32), *normal = zone_of(0, ZONE_NORMAL);
	CHECK(dma->zone_start_pfn == (RAM_BASE >> PAGE_SHIFT));
	CHECK(dma->spanned_pages == 32768);
	CHECK(dma32->zone_start_pfn == ((RAM_BASE + 128 * SZ_1M) >> PAGE_SHIFT));
	// DMA32 spans up to 4 GiB including the hole (Linux: spanned counts holes, present not).
	CHECK(dma32->spanned_pages == (SZ_4G >> PAGE_SHIFT) - dma32->zone_start_pfn);
	CHECK(dma32->present_pages == 32768);
	CHECK(normal->zone_start_pfn == (0x100000000ull >> PAGE_SHIFT));
	CHECK(normal->spanned_pages == 32768);
	// Three present sections: 3 x 32768 struct pages of 64 bytes; the 2.6 GiB gap costs none.
	CHECK(sparse_present_sections == 3);
	CHECK(sparse_memmap_bytes == 3 * PAGES_PER_SECTION * sizeof(page));
	CHECK(HostMm::populated_bytes() == 3 * 2 * SZ_1M);
	CHECK(!pfn_valid((RAM_BASE + 256 * SZ_1M) >> PAGE_SHIFT));
	CHECK(!pfn_valid(0xc0000000ull >> PAGE_SHIFT));
	CHECK(pfn_valid(0x100000000ull >> PAGE_SHIFT));
	CHECK(!pfn_valid(0x108000000ull >> PAGE_SHIFT));
	// Zonelist: Normal, DMA32, DMA.
	zonelist *zl = &NODE_DATA(0)->node_zonelist;
	CHECK(zl->_zonerefs[0].zone_ == normal);
	CHECK(zl->_zonerefs[1].zone_ == dma32);
	CHECK(zl->_zonerefs[2].zone_ == dma);
	CHECK(zl->_zonerefs[3].zone_ == nullptr);
	for (int i = 0; i < 200; i++) {
		page *a = alloc_pages(GFP_KERNEL | __GFP_DMA, i % 4);
		page *b = alloc_pages(GFP_KERNEL | __GFP_DMA32, i % 4);
		page *c = alloc_pages(GFP_KERNEL, i % 4);
		REQUIRE((a && b && c));
		CHECK(page_zone(a) == dma);
		CHECK(page_to_phys(a).value() < RAM_BASE + 128 * SZ_1M);
		CHECK(page_zonenum(b) <= ZONE_DMA32);
		CHECK(page_to_phys(b).value() < SZ_4G);
		CHECK(page_zone(c) == normal);
		__free_pages(a, i % 4);
		__free_pages(b, i % 4);
		__free_pages(c, i % 4);
	}
	// lowmem_reserve (ratios 256, 256, 32) protects lower zones from higher-zone requests.
	CHECK(dma->lowmem_reserve[ZONE_DMA] == 0);
	CHECK(dma->lowmem_reserve[ZONE_DMA32] == static_cast<long>(zone_managed_pages(dma32) / 256));
	CHECK(dma->lowmem_reserve[ZONE_NORMAL] ==
	      static_cast<long>((zone_managed_pages(dma32) + zone_managed_pages(normal)) / 256));
	CHECK(dma32->lowmem_reserve[ZONE_NORMAL] == static_cast<long>(zone_managed_pages(normal) / 256));
	CHECK(normal->lowmem_reserve[ZONE_MOVABLE] == 0);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc: watermarks follow Linux 6.1's formulas")
{
	HostMm mm(multizone_config());
	zone *zs[3] = {zone_of(0, ZONE_DMA), zone_of(0, ZONE_DMA32), zone_of(0, ZONE_NORMAL)};
	unsigned long managed_sum = 0;
	for (zone *z : zs)
		managed_sum += zone_managed_pages(z);
	// lowmem_kbytes counts zones <= ZONE_NORMAL (high watermarks were 0 when computed).
	unsigned long lowmem_kbytes = managed_sum * 4;
	long expect_min_kb = static_cast<long>(std::sqrt(static_cast<double>(lowmem_kbytes) * 16));
	expect_min_kb = std::clamp(expect_min_kb, 128L, 262144L);
	CHECK(min_free_kbytes == expect_min_kb);
	unsigned long pages_min = static_cast<unsigned long>(expect_min_kb) / 4;
	for (zone *z : zs) {
		unsigned long m = zone_managed_pages(z);
		unsigned long min = pages_min * m / managed_sum;
		unsigned long gap = std::max(min / 4, m * 10 / 10000);
		CHECK(min_wmark_pages(z) == min);
		CHECK(low_wmark_pages(z) == min + gap);
		CHECK(high_wmark_pages(z) == min + 2 * gap);
	}
	// A case worked by hand: 384 MiB of which ~98300 pages managed gives
	// int_sqrt(393200*16) = 2508 KiB -> 627 pages of min split by managed share.
	// Worked by hand for this layout: managed DMA 32768 - 512 (kernel), DMA32 32768, Normal
	// 32768 - 18 (memblock: 64 KiB root array, a root page, one page of section usage maps).
	// lowmem_kbytes = 97774 * 4 = 391096; int_sqrt(391096 * 16) = 2501 KiB -> 625 pages.
	// DMA:    625 * 32256 / 97774 = 206; gap max(206/4, 32256*10/10000) = 51 -> 206/257/308.
	// DMA32:  625 * 32768 / 97774 = 209; gap max(52, 32) = 52 -> 209/261/313.
	// Normal: 625 * 32750 / 97774 = 209; gap 52 -> 209/261/313.
	REQUIRE(zone_managed_pages(zs[0]) == 32256);
	REQUIRE(zone_managed_pages(zs[1]) == 32768);
	REQUIRE(zone_managed_pages(zs[2]) == 32750);
	CHECK(min_free_kbytes == 2501);
	CHECK(zs[0]->_watermark[WMARK_MIN] == 206);
	CHECK(zs[0]->_watermark[WMARK_LOW] == 257);
	CHECK(zs[0]->_watermark[WMARK_HIGH] == 308);
	CHECK(zs[1]->_watermark[WMARK_MIN] == 209);
	CHECK(zs[1]->_watermark[WMARK_LOW] == 261);
	CHECK(zs[1]->_watermark[WMARK_HIGH] == 313);
	CHECK(zs[2]->_watermark[WMARK_MIN] == 209);
	CHECK(zs[2]->_watermark[WMARK_HIGH] == 313);
	// lowmem_reserve: DMA vs Normal (32768 + 32750) / 256 = 255; DMA32 vs Normal 32750/256 = 127.
	CHECK(zs[0]->lowmem_reserve[ZONE_NORMAL] == 255);
	CHECK(zs[1]->lowmem_reserve[ZONE_NORMAL] == 127);
	// __zone_watermark_ok semantics on the Normal zone.
	zone *n = zs[2];
	long free = static_cast<long>(zone_page_state(n, NR_FREE_PAGES));
	unsigned long mark = static_cast<unsigned long>(free - 1);
	CHECK(__zone_watermark_ok(n, 0, mark, ZONE_NORMAL, ALLOC_WMARK_LOW, free));
	CHECK(!__zone_watermark_ok(n, 0, mark + 1, ZONE_NORMAL, ALLOC_WMARK_LOW, free));
	// ALLOC_HIGH halves the mark, ALLOC_HARDER takes a further quarter.
	unsigned long m2 = static_cast<unsigned long>(free) * 2 - 2;
	CHECK(__zone_watermark_ok(n, 0, m2, ZONE_NORMAL, ALLOC_HIGH, free));
	CHECK(!__zone_watermark_ok(n, 0, m2 + 4, ZONE_NORMAL, ALLOC_HIGH, free));
	// lowmem_reserve applies for requests whose highest zone is above: DMA32 from Normal.
	zone *d32 = zs[1];
	long f32 = static_cast<long>(zone_page_state(d32, NR_FREE_PAGES));
	unsigned long r = static_cast<unsigned long>(d32->lowmem_reserve[ZONE_NORMAL]);
	CHECK(__zone_watermark_ok(d32, 0, static_cast<unsigned long>(f32) - r - 1, ZONE_DMA32, 0, f32));
	CHECK(__zone_watermark_ok(d32, 0, static_cast<unsigned long>(f32) - r - 1, ZONE_NORMAL, 0, f32));
	CHECK(!__zone_watermark_ok(d32, 0, static_cast<unsigned long>(f32) - r, ZONE_NORMAL, 0, f32));
	// High orders need a free block of that order on a usable list.
	CHECK(__zone_watermark_ok(n, MAX_PAGE_ORDER, 0, ZONE_NORMAL, 0, free));
	// totalreserve: per zone max(lowmem_reserve) + high, capped at managed.
	unsigned long tr = 0;
	for (zone *z : zs) {
		long mx = 0;
		for (int j = zone_idx(z); j < MAX_NR_ZONES; j++)
			mx = std::max(mx, z->lowmem_reserve[j]);
		tr += std::min(static_cast<unsigned long>(mx) + high_wmark_pages(z), zone_managed_pages(z));
	}
	CHECK(totalreserve_pages == tr);
}

TEST_CASE("page_alloc: min_free_kbytes= overrides the computed value; bad values rejected")
{
	for (int kb : {4096, 256}) {
		HostMmConfig cfg = small_config();
		cfg.before_init = [kb] {
			CHECK(early_min_free_kbytes("abc").is_error());
			CHECK(early_min_free_kbytes("300000").is_error());
			CHECK(!early_min_free_kbytes(std::to_string(kb).c_str()).is_error());
		};
		host_take_log();
		HostMm mm(cfg);
		CHECK(min_free_kbytes == kb);
		CHECK(log_has(host_take_log(), "from the command line (computed: "));
		CHECK(min_wmark_pages(zone_of(0, ZONE_DMA)) == static_cast<unsigned long>(kb / 4));
	}
	// Linux's sysctl rule: a user value below the computed one is replaced, with a warning.
	HostMm mm(small_config());
	int computed = min_free_kbytes;
	user_min_free_kbytes = computed + 100;
	init_per_zone_wmark_min();
	CHECK(min_free_kbytes == computed);
	CHECK(log_has(host_take_log(), "because user defined value"));
	// Recomputed from nr_free_buffer_pages(), which now excludes the high watermarks.
	long expect = static_cast<long>(std::sqrt(static_cast<double>(nr_free_buffer_pages() * 4 * 16)));
	user_min_free_kbytes = computed - 100;
	init_per_zone_wmark_min();
	CHECK(min_free_kbytes == std::clamp(expect, 128L, 262144L));
}

TEST_CASE("page_alloc: exhaustion returns nullptr with Linux's warning and recovers fully")
{
	HostMm mm(small_config());
	drain_all_pages(nullptr);
	page_alloc_ledger start = page_alloc_ledger_snapshot();
	zone *z = zone_of(0, ZONE_DMA);
	std::vector<page *> pages;
	host_take_log();
	for (;;) {
		page *p = alloc_page(GFP_KERNEL);
		if (!p)
			break;
		pages.push_back(p);
		REQUIRE(pages.size() <= start.free_total);
	}
	std::string log = host_take_log();
	CHECK(log_has(log, "swapper/0: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null)\n"));
	CHECK(log_has(log, "Node 0 DMA free:"));
	CHECK(log_has(log, "lowmem_reserve[]: 0 0 0 0\n"));
	CHECK(log_has(log, "Node 0 DMA: "));
	// Non-atomic allocations stop at the min watermark; atomic ones may dip below.
	CHECK(zone_page_state(z, NR_FREE_PAGES) <= min_wmark_pages(z));
	CHECK(zone_page_state(z, NR_FREE_PAGES) + 1 >= min_wmark_pages(z) - 1);
	page *a = alloc_page(GFP_ATOMIC);
	CHECK(a != nullptr);
	page *nofail = alloc_page(GFP_KERNEL | __GFP_NOFAIL);
	CHECK(nofail != nullptr);
	if (nofail)
		__free_page(nofail);
	// __GFP_NOWARN: silent failure.
	CHECK(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 4) == nullptr);
	CHECK(host_take_log().empty());
	if (a)
		__free_page(a);
	for (page *p : pages)
		__free_page(p);
	drain_all_pages(nullptr);
	CHECK(page_alloc_ledger_snapshot() == start);
	CHECK_PAGE_ALLOC_CLEAN();
	// Everything merged back: the largest blocks are available again.
	page *big = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
	CHECK(big != nullptr);
	if (big)
		__free_pages(big, MAX_PAGE_ORDER);
}

TEST_CASE("page_alloc: bad_page on a bad free; the page stays out of circulation")
{
	HostMm mm(small_config());
	page *p = alloc_page(GFP_KERNEL);
	REQUIRE(p);
	drain_all_pages(nullptr);
	page_alloc_ledger start = page_alloc_ledger_snapshot();
	SetPageSlab(p);
	host_take_log();
	__free_page(p);
	std::string log = host_take_log();
	char want[64];
	snprintf(want, sizeof(want), "BUG: Bad page state in process swapper/0  pfn:%05lx\n", page_to_pfn(p));
	CHECK(log_has(log, want));
	CHECK(log_has(log, "refcount:0 mapcount:0"));
	CHECK(log_has(log, "flags: 0x"));
	CHECK(log_has(log, "(slab|node=0|zone=0)"));
	CHECK(log_has(log, "page dumped because: PAGE_FLAGS_CHECK_AT_FREE flag(s) set\n"));
	CHECK(nr_bad_pages == 1);
	drain_all_pages(nullptr);
	page_alloc_ledger now = page_alloc_ledger_snapshot();
	CHECK(now.free_total == start.free_total);
	CHECK_PAGE_ALLOC_CLEAN();

	// Double free: reported, free lists untouched.
	page *q = alloc_page(GFP_KERNEL);
	REQUIRE(q);
	__free_page(q);
	host_take_log();
	__free_page(q);
	CHECK(log_has(host_take_log(), "already free"));
	CHECK(page_ref_count(q) == 0); // the fast path's decrement is undone
	CHECK_PAGE_ALLOC_CLEAN();

	// A mapped page freed: "nonzero mapcount".
	page *m = alloc_page(GFP_KERNEL);
	REQUIRE(m);
	m->_mapcount = 0;
	__free_page(m);
	CHECK(log_has(host_take_log(), "page dumped because: nonzero mapcount"));
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc: page_poison catches a write after free")
{
	HostMmConfig cfg = small_config();
	cfg.before_init = [] { CHECK(!early_page_poison("1").is_error()); };
	HostMm mm(cfg);
	CHECK(page_poisoning_enabled);
	page *p = alloc_page(GFP_KERNEL);
	REQUIRE(p);
	host_take_log();
	u8 *va = static_cast<u8 *>(page_address(p));
	__free_page(p);
	CHECK(va[0] == PAGE_POISON);
	CHECK(va[PAGE_SIZE - 1] == PAGE_POISON);
	va[100] = 0x55; // use after free
	va[101] = 0x55;
	page *q = alloc_page(GFP_KERNEL);
	CHECK(q == p);
	std::string log = host_take_log();
	CHECK(log_has(log, "pagealloc: memory corruption\n"));
	CHECK(log_has(log, "55 55\n"));
	CHECK(log_has(log, "page dumped because: pagealloc: corrupted page details"));
	__free_page(q);
	// A single flipped bit is reported as such.
	va[7] = PAGE_POISON ^ 0x10;
	page *r = alloc_page(GFP_KERNEL);
	CHECK(r == p);
	CHECK(log_has(host_take_log(), "pagealloc: single bit error\n"));
	__free_page(r);
	// Clean pages pass silently.
	page *s = alloc_page(GFP_KERNEL);
	__free_page(s);
	CHECK(host_take_log().empty());
}

TEST_CASE("page_alloc: debug_pagealloc unmaps freed pages from the linear map")
{
	HostMmConfig cfg = small_config(16 * SZ_1M);
	cfg.before_init = [] { CHECK(!early_debug_pagealloc("on").is_error()); };
	HostMm mm(cfg);
	page *p = alloc_pages(GFP_KERNEL, 1);
	REQUIRE(p);
	void *va = page_address(p);
	CHECK(HostMm::readable(va));
	CHECK(HostMm::readable(page_address(p + 1)));
	__free_pages(p, 1);
	CHECK(!HostMm::readable(va)); // a use after free would fault here
	CHECK(!HostMm::readable(page_address(p + 1)));
	page *q = alloc_pages(GFP_KERNEL, 1);
	REQUIRE(q);
	CHECK(HostMm::readable(page_address(q)));
	__free_pages(q, 1);
	CHECK(early_debug_pagealloc("maybe").is_error());
}

TEST_CASE("page_alloc: page_poison and debug_pagealloc together")
{
	HostMmConfig cfg = small_config(16 * SZ_1M);
	cfg.before_init = [] {
		CHECK(!early_debug_pagealloc("on").is_error());
		CHECK(!early_page_poison("on").is_error());
	};
	HostMm mm(cfg);
	host_take_log();
	page *p = alloc_pages(GFP_KERNEL, 2);
	REQUIRE(p);
	memset(page_address(p), 0x11, 4 * PAGE_SIZE);
	__free_pages(p, 2);
	CHECK(!HostMm::readable(page_address(p)));
	page *q = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	REQUIRE(q);
	CHECK(static_cast<u8 *>(page_address(q))[5] == 0);
	__free_pages(q, 2);
	CHECK(host_take_log().empty()); // poison intact: no corruption report
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc: ZONE_MOVABLE from movablecore= and kernelcore=")
{
	HostMmConfig cfg = small_config(256 * SZ_1M);
	cfg.before_init = [] { CHECK(!early_movablecore("64M").is_error()); };
	host_take_log();
	HostMm mm(cfg);
	zone *mv = zone_of(0, ZONE_MOVABLE), *d32 = zone_of(0, ZONE_DMA);
	unsigned long top = (RAM_BASE + 256 * SZ_1M) >> PAGE_SHIFT;
	CHECK(mv->zone_start_pfn == top - 16384);
	CHECK(mv->spanned_pages == 16384);
	CHECK(zone_end_pfn(d32) == mv->zone_start_pfn);
	CHECK(log_has(host_take_log(), "Movable zone start for each node\n  Node 0: 0x000000004c000000\n"));
	for (int i = 0; i < 100; i++) {
		page *u = alloc_page(GFP_HIGHUSER_MOVABLE);
		page *k = alloc_page(GFP_KERNEL);
		REQUIRE((u && k));
		CHECK(page_zone(u) == mv);
		CHECK(page_zone(k) == d32);
		__free_page(u);
		__free_page(k);
	}
	CHECK(min_wmark_pages(mv) == std::clamp(zone_managed_pages(mv) / 1024, 32UL, 128UL));
	CHECK_PAGE_ALLOC_CLEAN();
	CHECK(early_kernelcore("lots").is_error());
	CHECK(early_kernelcore("101%").is_error());
	CHECK(early_kernelcore("mirror").is_error());
}

TEST_CASE("page_alloc: kernelcore= percentage leaves the rest movable")
{
	HostMmConfig cfg = small_config(256 * SZ_1M);
	cfg.before_init = [] { CHECK(!early_kernelcore("75%").is_error()); };
	HostMm mm(cfg);
	zone *mv = zone_of(0, ZONE_MOVABLE);
	// 75% of 65536 pages = 49152 kernelcore pages from the zone start, rounded up to 1024.
	CHECK(mv->zone_start_pfn == (RAM_BASE >> PAGE_SHIFT) + 49152);
	CHECK(mv->spanned_pages == 16384);
}

TEST_CASE("page_alloc: highatomic reserve from an atomic high-order allocation")
{
	HostMm mm(small_config());
	zone *z = zone_of(0, ZONE_DMA);
	CHECK(READ_ONCE(z->nr_reserved_highatomic) == 0);
	// While the zone is above its low watermark, atomic requests take the fast path and
	// reserve nothing (Linux: only ALLOC_HARDER allocations reserve).
	page *early = alloc_pages(GFP_ATOMIC, 2);
	REQUIRE(early);
	CHECK(READ_ONCE(z->nr_reserved_highatomic) == 0);
	__free_pages(early, 2);
	std::vector<page *> fill;
	while (zone_page_state(z, NR_FREE_PAGES) >= low_wmark_pages(z)) {
		page *f = alloc_page(GFP_KERNEL);
		REQUIRE(f);
		fill.push_back(f);
	}
	page *p = alloc_pages(GFP_ATOMIC, 2);
	REQUIRE(p);
	CHECK(READ_ONCE(z->nr_reserved_highatomic) == pageblock_nr_pages);
	CHECK(get_pageblock_migratetype(p) == MIGRATE_HIGHATOMIC);
	CHECK_PAGE_ALLOC_CLEAN();
	// A second atomic high-order request is served from the reserve.
	page *p2 = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 1);
	// Freed pages of the block return to the HIGHATOMIC lists; normal requests cannot take
	// them until the slow path, out of options, releases the reserve.
	__free_pages(p, 2);
	if (p2)
		__free_pages(p2, 1);
	std::vector<page *> v;
	for (;;) {
		page *q = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!q)
			break;
		v.push_back(q);
		REQUIRE((get_pageblock_migratetype(q) != MIGRATE_HIGHATOMIC));
	}
	CHECK(READ_ONCE(z->nr_reserved_highatomic) == 0); // given back by the slow path
	CHECK_PAGE_ALLOC_CLEAN();
	for (page *q : v)
		__free_page(q);
	for (page *f : fill)
		__free_page(f);
	drain_all_pages(nullptr);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc: introspection formats")
{
	HostMm mm(small_config());
	host_take_log();
	show_buddyinfo(printk);
	std::string b = host_take_log();
	zone *z = zone_of(0, ZONE_DMA);
	char want[256];
	int len = snprintf(want, sizeof(want), "Node 0, zone      DMA ");
	for (unsigned o = 0; o < MAX_ORDER; o++)
		len += snprintf(want + len, sizeof(want) - len, "%6lu ", READ_ONCE(z->free_area[o].nr_free));
	snprintf(want + len, sizeof(want) - len, "\n");
	CHECK(b == want);

	show_meminfo(printk);
	std::string m = host_take_log();
	snprintf(want, sizeof(want), "MemTotal:       %8lu kB\nMemFree:        %8lu kB\n", totalram_pages() * 4,
		 nr_free_pages() * 4);
	CHECK(m.rfind(want, 0) == 0);
	CHECK(log_has(m, "MemAvailable:   "));

	show_pagetypeinfo(printk);
	std::string t = host_take_log();
	CHECK(t.rfind("Page block order: 9\nPages per block:  512\n\nFree pages count per migrate type at order", 0) == 0);
	CHECK(log_has(t, "Node    0, zone      DMA, type    Unmovable "));
	CHECK(log_has(t, "Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic          CMA      Isolate \n"));
	CHECK(log_has(t, "Node 0, zone      DMA           "));

	show_zoneinfo(printk);
	std::string zi = host_take_log();
	snprintf(want, sizeof(want), "Node 0, zone      DMA\n  per-node stats");
	CHECK(log_has(zi, want));
	snprintf(want, sizeof(want), "\n  pages free     %lu\n        boost    0\n        min      %lu\n", zone_page_state(z, NR_FREE_PAGES),
		 min_wmark_pages(z));
	CHECK(log_has(zi, want));
	CHECK(log_has(zi, "        protection: (0, 0, 0, 0)\n      nr_free_pages"));
	snprintf(want, sizeof(want), "\n  pagesets\n    cpu: 0\n              count: 0\n              high:  %d\n", z->pcp[0].high);
	CHECK(log_has(zi, want));

	page *p = alloc_page(GFP_KERNEL);
	__free_page(p);
	show_vmstat(printk);
	std::string vs = host_take_log();
	snprintf(want, sizeof(want), "nr_free_pages %lu\n", nr_free_pages());
	CHECK(vs.rfind(want, 0) == 0);
	CHECK(log_has(vs, "pgalloc_dma 1\n"));
	CHECK(log_has(vs, "pgfree "));

	show_unusable_index(printk);
	std::string ui = host_take_log();
	CHECK(ui.rfind("Node 0, zone      DMA 0.000 ", 0) == 0);
	show_extfrag_index(printk);
	CHECK(log_has(host_take_log(), "-1.000 "));
}

TEST_CASE("page_alloc: memmap failure for a section drops only that section")
{
	HostMmConfig cfg = multizone_config();
	cfg.before_init = [] { HostMm::fail_populate_for(0x100000000ull); };
	host_take_log();
	HostMm mm(cfg);
	CHECK(log_has(host_take_log(), "memory map backing failed"));
	CHECK(!pfn_valid(0x100000000ull >> PAGE_SHIFT));
	CHECK(sparse_present_sections == 2);
	CHECK(zone_managed_pages(zone_of(0, ZONE_NORMAL)) == 0);
	page *p = alloc_page(GFP_KERNEL);
	REQUIRE(p);
	CHECK(page_zonenum(p) == ZONE_DMA32);
	__free_page(p);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("page_alloc: early parameters reach the allocator through the command line")
{
	params_reset_for_test();
	HostMmConfig cfg = small_config(128 * SZ_1M);
	cfg.before_init = [] {
		parse_early_params("page_alloc.grouping=off movablecore=32M page_poison=on min_free_kbytes=2048");
	};
	host_take_log();
	HostMm mm(cfg);
	std::string log = host_take_log();
	CHECK(log_has(log, "mobility grouping off"));
	CHECK(page_poisoning_enabled);
	CHECK(min_free_kbytes == 2048);
	CHECK(zone_of(0, ZONE_MOVABLE)->spanned_pages == 8192);
	params_reset_for_test();
	parse_early_params("kernelcore=bogus");
	CHECK(log_has(host_take_log(), "Malformed early option 'kernelcore'"));
	params_reset_for_test();
}
