// On-target page allocator tests (issue 4 item 9). The runner's ledger check (free pages in
// the buddy plus per-CPU lists) must be exact after this suite like after every other.
#include <asm/memory.h>
#include <asm/mmu.h>

#include "kernel/extable.h"
#include "kernel/ktest.h"
#include "mm/gfp.h"
#include "mm/memblock.h"
#include "mm/mmzone.h"
#include "mm/page_alloc.h"
#include "mm/sparse.h"
#include "mm/vmstat.h"

KTEST(page_alloc, every_order_allocates_and_frees)
{
	for (unsigned order = 0; order <= 10; order++) {
		page *p = alloc_pages(GFP_KERNEL, order);
		KT_ASSERT_TRUE(t, p != nullptr);
		u64 pfn = page_to_pfn(p);
		KT_EXPECT_EQ(t, pfn & ((1ull << order) - 1), 0u); // naturally aligned
		// Touch the first and last byte through the linear map.
		u8 *va = static_cast<u8 *>(page_address(p));
		va[0] = 1;
		va[(PAGE_SIZE << order) - 1] = 2;
		__free_pages(p, order);
	}
	KT_EXPECT_EQ(t, check_page_alloc(), 0u);
}

KTEST(page_alloc, zone_restricted_allocations_land_in_their_zone)
{
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		zone *zn = &NODE_DATA(0)->node_zones[z];
		if (!zn->managed_pages)
			continue;
		gfp_t gfp = z == ZONE_DMA ? (GFP_KERNEL | __GFP_DMA) : z == ZONE_DMA32 ? (GFP_KERNEL | __GFP_DMA32) : GFP_KERNEL;
		if (z == ZONE_MOVABLE)
			continue;
		page *p = alloc_pages(gfp, 0);
		KT_ASSERT_TRUE(t, p != nullptr);
		KT_EXPECT_LE(t, (int)page_zonenum(p), z);
		if (z == ZONE_DMA32)
			KT_EXPECT_LT(t, page_to_phys(p).value(), SZ_4G);
		__free_pages(p, 0);
	}
}

// Linux 6.1 arm64: ZONE_DMA is min(32, the DT's DMA bits) wide, so without a dma-ranges limit
// (virt) it spans the RAM below 4 GiB and DMA32 is empty; GFP_DMA32 then falls back to ZONE_DMA
// through the zonelist.
KTEST(page_alloc, zones_follow_linux_arm64_layout)
{
	pglist_data *pgdat = NODE_DATA(0);
	zone *dma = &pgdat->node_zones[ZONE_DMA], *dma32 = &pgdat->node_zones[ZONE_DMA32];
	KT_EXPECT_LE(t, zone_dma_bits, 32u);
	KT_EXPECT_LE(t, arm64_dma_phys_limit, u64{1} << zone_dma_bits);
	if (populated_zone(dma))
		KT_EXPECT_LE(t, zone_end_pfn(dma), arm64_dma_phys_limit >> PAGE_SHIFT);
	if (zone_dma_bits == 32)
		KT_EXPECT_FALSE(t, populated_zone(dma32));
	if (populated_zone(dma32))
		KT_EXPECT_GE(t, dma32->zone_start_pfn, arm64_dma_phys_limit >> PAGE_SHIFT);
	if (!populated_zone(dma) && !populated_zone(dma32))
		return; // RAM starts above 4 GiB
	page *p = alloc_pages(GFP_KERNEL | __GFP_DMA32, 0);
	KT_ASSERT_TRUE(t, p != nullptr);
	KT_EXPECT_LT(t, page_to_phys(p).value(), SZ_4G);
	KT_EXPECT_LE(t, (int)page_zonenum(p), (int)ZONE_DMA32);
	if (!populated_zone(dma32))
		KT_EXPECT_EQ(t, (int)page_zonenum(p), (int)ZONE_DMA);
	__free_pages(p, 0);
}

KTEST(page_alloc, gfp_zero_returns_zeroes)
{
	// Dirty a block, free it, then ask for zeroed memory of the same order: the allocator may
	// hand the same pages back, and they must read as zero.
	page *p = alloc_pages(GFP_KERNEL, 2);
	KT_ASSERT_TRUE(t, p != nullptr);
	u64 *w = static_cast<u64 *>(page_address(p));
	for (u64 i = 0; i < (PAGE_SIZE << 2) / 8; i++)
		w[i] = 0xdeadbeefcafef00dull;
	__free_pages(p, 2);
	for (int round = 0; round < 4; round++) {
		page *z = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
		KT_ASSERT_TRUE(t, z != nullptr);
		const u64 *zw = static_cast<const u64 *>(page_address(z));
		u64 acc = 0;
		for (u64 i = 0; i < (PAGE_SIZE << 2) / 8; i++)
			acc |= zw[i];
		KT_EXPECT_EQ(t, acc, 0u);
		__free_pages(z, 2);
	}
}

KTEST(page_alloc, exhaustion_returns_null_and_recovers)
{
	// Take every order-0 page the allocator will give (GFP_KERNEL stops at the min
	// watermark), check the failure is clean, then give them all back.
	static constexpr usize MAX_CHUNKS = 16384;
	static page *chunks[MAX_CHUNKS];
	usize n = 0;
	unsigned order = 8; // 1 MiB chunks keep the bookkeeping small
	while (n < MAX_CHUNKS) {
		page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (!p)
			break;
		chunks[n++] = p;
	}
	KT_EXPECT_LT(t, n, MAX_CHUNKS);
	// Down to the small orders: the rest of memory, then a failure with the warning.
	static page *singles[8192];
	usize m = 0;
	page *q;
	while (m < 8192 && (q = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0)))
		singles[m++] = q;
	KT_EXPECT_LT(t, m, 8192u);
	page *last = alloc_pages(GFP_KERNEL, 0); // warns: page allocation failure
	KT_EXPECT_TRUE(t, last == nullptr);
	if (last)
		__free_pages(last, 0);
	for (usize i = 0; i < m; i++)
		__free_pages(singles[i], 0);
	for (usize i = 0; i < n; i++)
		__free_pages(chunks[i], order);
	t.log("took %lu chunks of order %u and %lu single pages before failing", (unsigned long)n, order,
	      (unsigned long)m);
	// Everything can be allocated again.
	page *again = alloc_pages(GFP_KERNEL, 10);
	KT_EXPECT_TRUE(t, again != nullptr);
	if (again)
		__free_pages(again, 10);
	KT_EXPECT_EQ(t, check_page_alloc(), 0u);
}

KTEST(page_alloc, memmap_covers_present_sections_only)
{
	// Every present section costs exactly one section's memmap, and nothing else does.
	unsigned long present = 0;
	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++)
		if (present_section_nr(nr))
			present++;
	KT_EXPECT_GT(t, present, 0u);
	KT_EXPECT_EQ(t, sparse_memmap_bytes, present * PAGES_PER_SECTION * sizeof(page));
}

KTEST(page_alloc, debug_pagealloc_catches_use_after_free)
{
	if (!debug_pagealloc_enabled) {
		t.skip("boot with debug_pagealloc=on");
		return;
	}
	page *p = alloc_pages(GFP_KERNEL, 0);
	KT_ASSERT_TRUE(t, p != nullptr);
	u64 *va = static_cast<u64 *>(page_address(p));
	u64 v = 0;
	KT_EXPECT_FALSE(t, probe_read(va, &v).is_error());
	__free_pages(p, 0);
	drain_all_pages(nullptr); // the page must really be back in the buddy, unmapped
	KT_EXPECT_TRUE(t, probe_read(va, &v).is_error());
	KT_EXPECT_TRUE(t, probe_write(va, 1).is_error());
}

KTEST(page_alloc, page_poison_catches_write_after_free)
{
	if (!page_poisoning_enabled || debug_pagealloc_enabled) {
		t.skip("boot with page_poison=1 (and without debug_pagealloc)");
		return;
	}
	page *p = alloc_pages(GFP_KERNEL, 0);
	KT_ASSERT_TRUE(t, p != nullptr);
	u8 *va = static_cast<u8 *>(page_address(p));
	unsigned long errors_before = page_poison_errors;
	__free_pages(p, 0);
	drain_all_pages(nullptr);
	va[100] = 0x55; // write after free: the poison (0xaa) is now broken
	// Allocate until the corrupted page comes back: the allocator reports the changed byte
	// when it hands the page out again (Linux's check_poison_mem).
	static page *held[8192];
	usize n = 0;
	bool found = false;
	while (n < 8192 && !found) {
		page *q = alloc_pages(GFP_KERNEL, 0);
		if (!q)
			break;
		found = q == p;
		held[n++] = q;
	}
	for (usize i = 0; i < n; i++)
		__free_pages(held[i], 0);
	KT_EXPECT_TRUE(t, found);
	KT_EXPECT_EQ(t, page_poison_errors, errors_before + 1);
}
