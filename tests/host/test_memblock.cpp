// memblock basic API: add, reserve, remove, free, flags and nodes (Linux's
// tools/testing/memblock/tests/basic_api.c covers the same ground).
#include "tests/host/test_memblock.h"

using namespace mbtest;
using V = std::vector<Rgn>;

static constexpr phys_addr_t B = 0x40000000;
static constexpr phys_addr_t SZ_4M = 4 * SZ_1M;

TEST_CASE_FIXTURE(MemblockTest, "memblock: initial state is Linux's static configuration")
{
	CHECK(memblock.memory.cnt == 1);
	CHECK(memblock.memory.max == 128);
	CHECK(memblock.memory.total_size == 0);
	CHECK(std::string(memblock.memory.name) == "memory");
	CHECK(memblock.reserved.cnt == 1);
	CHECK(memblock.reserved.max == 128);
	CHECK(std::string(memblock.reserved.name) == "reserved");
	CHECK(memblock.memory.regions[0].size == 0);
	CHECK(memblock.reserved.regions[0].size == 0);
	CHECK(memblock.current_limit == MEMBLOCK_ALLOC_ANYWHERE);
	CHECK(memblock_get_current_limit() == MEMBLOCK_ALLOC_ANYWHERE);
	CHECK_FALSE(memblock.bottom_up);
	CHECK_FALSE(memblock_bottom_up());
	CHECK(memblock_phys_mem_size() == 0);
	CHECK(memblock_reserved_size() == 0);
	CHECK(memblock_start_of_DRAM() == 0);
	CHECK(memblock_end_of_DRAM() == 0);
	CHECK_FALSE(memblock_is_memory(0));
	CHECK_FALSE(memblock_debug);
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: add a single region")
{
	CHECK(memblock_add(B, SZ_1G) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_1G}});
	CHECK(memblock_phys_mem_size() == SZ_1G);
	CHECK(memblock_start_of_DRAM() == B);
	CHECK(memblock_end_of_DRAM() == B + SZ_1G);
	CHECK(regions(memblock.reserved) == V{{0, 0, 0, 0}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: add_node records node and flags")
{
	CHECK(memblock_add_node(B, SZ_128M, 1, MEMBLOCK_HOTPLUG) == 0);
	CHECK(memblock_add_node(B + SZ_1G, SZ_128M, 2, MEMBLOCK_NONE) == 0);
	CHECK(regions(memblock.memory) ==
	      V{{B, SZ_128M, MEMBLOCK_HOTPLUG, 1}, {B + SZ_1G, SZ_128M, MEMBLOCK_NONE, 2}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: add keeps regions sorted")
{
	CHECK(memblock_add(B + SZ_1G, SZ_1M) == 0);
	CHECK(memblock_add(B, SZ_1M) == 0);
	CHECK(memblock_add(B + SZ_128M, SZ_1M) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_1M}, {B + SZ_128M, SZ_1M}, {B + SZ_1G, SZ_1M}});
	CHECK(memblock_phys_mem_size() == 3 * SZ_1M);
	CHECK(memblock_end_of_DRAM() == B + SZ_1G + SZ_1M);
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: add overlapping, contained, duplicate and adjacent")
{
	SUBCASE("overlapping the top of an existing region")
	{
		CHECK(memblock_add(B, SZ_2M) == 0);
		CHECK(memblock_add(B + SZ_1M, SZ_2M) == 0);
		CHECK(regions(memblock.memory) == V{{B, 3 * SZ_1M}});
	}
	SUBCASE("overlapping the bottom of an existing region")
	{
		CHECK(memblock_add(B + SZ_1M, SZ_2M) == 0);
		CHECK(memblock_add(B, SZ_2M) == 0);
		CHECK(regions(memblock.memory) == V{{B, 3 * SZ_1M}});
	}
	SUBCASE("contained in an existing region")
	{
		CHECK(memblock_add(B, SZ_4K * 16) == 0);
		CHECK(memblock_add(B + SZ_4K, SZ_4K * 2) == 0);
		CHECK(regions(memblock.memory) == V{{B, SZ_4K * 16}});
	}
	SUBCASE("containing an existing region")
	{
		CHECK(memblock_add(B + SZ_4K, SZ_4K * 2) == 0);
		CHECK(memblock_add(B, SZ_4K * 16) == 0);
		CHECK(regions(memblock.memory) == V{{B, SZ_4K * 16}});
	}
	SUBCASE("duplicate")
	{
		CHECK(memblock_add(B, SZ_1M) == 0);
		CHECK(memblock_add(B, SZ_1M) == 0);
		CHECK(regions(memblock.memory) == V{{B, SZ_1M}});
	}
	SUBCASE("adjacent above and below")
	{
		CHECK(memblock_add(B + SZ_1M, SZ_1M) == 0);
		CHECK(memblock_add(B + SZ_2M, SZ_1M) == 0);
		CHECK(memblock_add(B, SZ_1M) == 0);
		CHECK(regions(memblock.memory) == V{{B, 3 * SZ_1M}});
	}
	SUBCASE("filling the gap between two regions")
	{
		CHECK(memblock_add(B, SZ_1M) == 0);
		CHECK(memblock_add(B + SZ_2M, SZ_1M) == 0);
		CHECK(memblock_add(B + SZ_1M, SZ_1M) == 0);
		CHECK(regions(memblock.memory) == V{{B, 3 * SZ_1M}});
	}
	SUBCASE("spanning several regions and gaps")
	{
		CHECK(memblock_add(B + SZ_1M, SZ_1M) == 0);
		CHECK(memblock_add(B + 3 * SZ_1M, SZ_1M) == 0);
		CHECK(memblock_add(B + 5 * SZ_1M, SZ_1M) == 0);
		CHECK(memblock_add(B + SZ_1M / 2, 5 * SZ_1M) == 0);
		CHECK(regions(memblock.memory) == V{{B + SZ_1M / 2, 5 * SZ_1M + SZ_1M / 2}});
	}
	SUBCASE("byte-granular overlap")
	{
		CHECK(memblock_add(0x1001, 0x0fff) == 0);
		CHECK(memblock_add(0x1800, 0x1000) == 0);
		CHECK(regions(memblock.memory) == V{{0x1001, 0x17ff}});
	}
	CHECK(memblock_phys_mem_size() == memblock.memory.regions[0].size);
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: neighbours with different node or flags do not merge")
{
	CHECK(memblock_add_node(B, SZ_1M, 0, MEMBLOCK_NONE) == 0);
	CHECK(memblock_add_node(B + SZ_1M, SZ_1M, 1, MEMBLOCK_NONE) == 0);
	CHECK(memblock_add_node(B + SZ_2M, SZ_1M, 1, MEMBLOCK_NOMAP) == 0);
	CHECK(memblock_add_node(B + 3 * SZ_1M, SZ_1M, 1, MEMBLOCK_NOMAP) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_1M, 0, 0},
					    {B + SZ_1M, SZ_1M, 0, 1},
					    {B + SZ_2M, SZ_2M, MEMBLOCK_NOMAP, 1}});
	// memblock_add() regions carry no node (MAX_NUMNODES) and so do not merge with node 0.
	CHECK(memblock_add(B - SZ_1M, SZ_1M) == 0);
	CHECK(memblock.memory.cnt == 4);
	CHECK(memblock.memory.regions[0].nid == MAX_NUMNODES);
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: overlapping add keeps the existing attributes, warns as Linux")
{
	CHECK(memblock_add_node(B + SZ_1M, SZ_1M, 1, MEMBLOCK_HOTPLUG) == 0);
	host_take_log();
	// The part below the existing region is new; Linux warns that its node/flags differ.
	CHECK(memblock_add_node(B, 3 * SZ_1M, 0, MEMBLOCK_NONE) == 0);
	CHECK(regions(memblock.memory) ==
	      V{{B, SZ_1M, 0, 0}, {B + SZ_1M, SZ_1M, MEMBLOCK_HOTPLUG, 1}, {B + SZ_2M, SZ_1M, 0, 0}});
	std::string log = host_take_log();
	// Linux warns in both passes of memblock_add_range (counting and inserting).
	CHECK(count_of(log, "WARNING") == 4);
	CHECK(contains(log, "nid != memblock_get_region_node(rgn)"));
	CHECK(contains(log, "flags != rgn->flags"));
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: sizes past the top of the address space are clipped")
{
	CHECK(memblock_add(PHYS_ADDR_MAX - SZ_1M + 1, SZ_2M) == 0);
	CHECK(regions(memblock.memory) == V{{PHYS_ADDR_MAX - SZ_1M + 1, SZ_1M - 1}});
	CHECK(memblock_reserve(PHYS_ADDR_MAX - SZ_4K, PHYS_ADDR_MAX) == 0);
	CHECK(regions(memblock.reserved) == V{{PHYS_ADDR_MAX - SZ_4K, SZ_4K}});
	CHECK(memblock_remove(PHYS_ADDR_MAX - SZ_1M / 2, PHYS_ADDR_MAX) == 0);
	CHECK(regions(memblock.memory) == V{{PHYS_ADDR_MAX - SZ_1M + 1, SZ_1M / 2 - 1}});
	CHECK(memblock_is_region_memory(PHYS_ADDR_MAX - SZ_1M + 1, SZ_1M / 2 - 1));
	CHECK_FALSE(memblock_is_region_memory(PHYS_ADDR_MAX - SZ_1M + 1, PHYS_ADDR_MAX));
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: zero-size calls change nothing")
{
	CHECK(memblock_add(B, 0) == 0);
	CHECK(memblock_reserve(B, 0) == 0);
	CHECK(regions(memblock.memory) == V{{0, 0, 0, 0}});
	CHECK(regions(memblock.reserved) == V{{0, 0, 0, 0}});
	CHECK(memblock_add(B, SZ_1M) == 0);
	CHECK(memblock_reserve(B, SZ_4K) == 0);
	CHECK(memblock_add(B + SZ_2M, 0) == 0);
	CHECK(memblock_remove(B, 0) == 0);
	CHECK(memblock_phys_free(B, 0) == 0);
	CHECK(memblock_mark_nomap(B, 0) == 0);
	CHECK(memblock_set_node(B, 0, &memblock.memory, 1) == 0);
	memblock_cap_memory_range(B, 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_1M}});
	CHECK(regions(memblock.reserved) == V{{B, SZ_4K}});
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: reserve merges like add")
{
	CHECK(memblock_reserve(B + SZ_1M, SZ_1M) == 0);
	CHECK(memblock_reserve(B, SZ_1M) == 0);             // adjacent below
	CHECK(memblock_reserve(B + SZ_2M, SZ_4K) == 0);     // adjacent above
	CHECK(memblock_reserve(B + SZ_1M, SZ_4K) == 0);     // contained
	CHECK(memblock_reserve(B + SZ_4M, SZ_4K) == 0);     // separate
	CHECK(regions(memblock.reserved) == V{{B, SZ_2M + SZ_4K}, {B + SZ_4M, SZ_4K}});
	CHECK(memblock_reserved_size() == SZ_2M + 2 * SZ_4K);
	// memory is untouched by reservations
	CHECK(memblock.memory.cnt == 1);
	CHECK(memblock.memory.total_size == 0);
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: remove")
{
	CHECK(memblock_add(B, SZ_4M) == 0);
	CHECK(memblock_add(B + 8 * SZ_1M, SZ_4M) == 0);

	SUBCASE("a whole region")
	{
		CHECK(memblock_remove(B, SZ_4M) == 0);
		CHECK(regions(memblock.memory) == V{{B + 8 * SZ_1M, SZ_4M}});
	}
	SUBCASE("the tail of a region")
	{
		CHECK(memblock_remove(B + SZ_2M, SZ_4M) == 0);
		CHECK(regions(memblock.memory) == V{{B, SZ_2M}, {B + 8 * SZ_1M, SZ_4M}});
	}
	SUBCASE("the head of a region")
	{
		CHECK(memblock_remove(B + 6 * SZ_1M, SZ_4M) == 0);
		CHECK(regions(memblock.memory) == V{{B, SZ_4M}, {B + 10 * SZ_1M, SZ_2M}});
	}
	SUBCASE("the middle of a region splits it")
	{
		CHECK(memblock_remove(B + SZ_1M, SZ_1M) == 0);
		CHECK(regions(memblock.memory) ==
		      V{{B, SZ_1M}, {B + SZ_2M, SZ_2M}, {B + 8 * SZ_1M, SZ_4M}});
	}
	SUBCASE("across two regions")
	{
		CHECK(memblock_remove(B + 3 * SZ_1M, 6 * SZ_1M) == 0);
		CHECK(regions(memblock.memory) == V{{B, 3 * SZ_1M}, {B + 9 * SZ_1M, 3 * SZ_1M}});
	}
	SUBCASE("a range with no memory")
	{
		CHECK(memblock_remove(B + SZ_4M, SZ_4M) == 0);
		CHECK(memblock_remove(B + SZ_1G, SZ_1G) == 0);
		CHECK(regions(memblock.memory) == V{{B, SZ_4M}, {B + 8 * SZ_1M, SZ_4M}});
	}
	SUBCASE("everything leaves the dummy with no node and no flags")
	{
		CHECK(memblock_set_node(0, PHYS_ADDR_MAX, &memblock.memory, 1) == 0);
		CHECK(memblock_mark_nomap(0, PHYS_ADDR_MAX) == 0);
		CHECK(memblock_remove(B + 8 * SZ_1M, SZ_4M) == 0);
		CHECK(memblock_remove(0, PHYS_ADDR_MAX) == 0);
		CHECK(regions(memblock.memory) == V{{0, 0, 0, MAX_NUMNODES}});
		CHECK(memblock_phys_mem_size() == 0);
		// and the array is usable again
		CHECK(memblock_add(B, SZ_1M) == 0);
		CHECK(regions(memblock.memory) == V{{B, SZ_1M}});
	}
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: phys_free un-reserves")
{
	CHECK(memblock_reserve(B, SZ_4M) == 0);
	CHECK(memblock_phys_free(B + SZ_1M, SZ_1M) == 0);
	CHECK(regions(memblock.reserved) == V{{B, SZ_1M}, {B + SZ_2M, SZ_2M}});
	CHECK(memblock_phys_free(B + SZ_1M, SZ_1M) == 0); // already free
	CHECK(memblock_phys_free(B - SZ_1M, SZ_2M) == 0);
	CHECK(regions(memblock.reserved) == V{{B + SZ_2M, SZ_2M}});
	CHECK(memblock_reserved_size() == SZ_2M);
	CHECK_FALSE(memblock_is_region_reserved(B, SZ_2M));
	CHECK(memblock_is_region_reserved(B, SZ_2M + 1));
	CHECK(memblock_is_reserved(B + SZ_4M - 1));
	CHECK_FALSE(memblock_is_reserved(B + SZ_4M));
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: mark_nomap splits, clear_nomap merges back")
{
	CHECK(memblock_add(B, SZ_4M) == 0);
	CHECK(memblock_mark_nomap(B + SZ_1M, SZ_1M) == 0);
	CHECK(regions(memblock.memory) ==
	      V{{B, SZ_1M}, {B + SZ_1M, SZ_1M, MEMBLOCK_NOMAP}, {B + SZ_2M, SZ_2M}});
	CHECK(memblock_phys_mem_size() == SZ_4M);
	CHECK(memblock_is_memory(B + SZ_1M));
	CHECK_FALSE(memblock_is_map_memory(B + SZ_1M));
	CHECK(memblock_is_map_memory(B + SZ_1M - 1));
	CHECK(memblock_is_map_memory(B + SZ_2M));
	CHECK_FALSE(memblock_is_map_memory(B + SZ_4M));

	// Marking an overlapping range extends the NOMAP region and merges.
	CHECK(memblock_mark_nomap(B + SZ_1M + SZ_1M / 2, SZ_1M) == 0);
	CHECK(regions(memblock.memory) ==
	      V{{B, SZ_1M}, {B + SZ_1M, SZ_1M + SZ_1M / 2, MEMBLOCK_NOMAP}, {B + SZ_2M + SZ_1M / 2, SZ_1M + SZ_1M / 2}});

	CHECK(memblock_clear_nomap(B, SZ_4M) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_4M}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: mark_nomap only marks memory, across holes")
{
	CHECK(memblock_add(B, SZ_1M) == 0);
	CHECK(memblock_add(B + SZ_2M, SZ_1M) == 0);
	CHECK(memblock_mark_nomap(B + SZ_1M / 2, SZ_2M) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_1M / 2},
					    {B + SZ_1M / 2, SZ_1M / 2, MEMBLOCK_NOMAP},
					    {B + SZ_2M, SZ_1M / 2, MEMBLOCK_NOMAP},
					    {B + SZ_2M + SZ_1M / 2, SZ_1M / 2}});
	// Nothing appears in the hole.
	CHECK_FALSE(memblock_is_memory(B + SZ_1M));
	// Other flags combine with NOMAP on the same region.
	CHECK(memblock_mark_hotplug(B, SZ_4M) == 0);
	CHECK(regions(memblock.memory) ==
	      V{{B, SZ_1M / 2, MEMBLOCK_HOTPLUG},
		{B + SZ_1M / 2, SZ_1M / 2, MEMBLOCK_NOMAP | MEMBLOCK_HOTPLUG},
		{B + SZ_2M, SZ_1M / 2, MEMBLOCK_NOMAP | MEMBLOCK_HOTPLUG},
		{B + SZ_2M + SZ_1M / 2, SZ_1M / 2, MEMBLOCK_HOTPLUG}});
	CHECK(memblock_clear_hotplug(0, PHYS_ADDR_MAX) == 0);
	CHECK(memblock_clear_nomap(0, PHYS_ADDR_MAX) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_1M}, {B + SZ_2M, SZ_1M}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: set_node splits and merges by node")
{
	CHECK(memblock_add(B, SZ_4M) == 0);
	CHECK(memblock_set_node(B + SZ_2M, PHYS_ADDR_MAX, &memblock.memory, 1) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_2M, 0, MAX_NUMNODES}, {B + SZ_2M, SZ_2M, 0, 1}});
	CHECK(memblock_set_node(0, PHYS_ADDR_MAX, &memblock.memory, 0) == 0);
	CHECK(regions(memblock.memory) == V{{B, SZ_4M, 0, 0}});

	CHECK(memblock_reserve(B, SZ_2M) == 0);
	CHECK(memblock_set_node(B + SZ_1M, SZ_1M, &memblock.reserved, 3) == 0);
	CHECK(regions(memblock.reserved) ==
	      V{{B, SZ_1M, 0, MAX_NUMNODES}, {B + SZ_1M, SZ_1M, 0, 3}});

	unsigned long spfn = 0, epfn = 0;
	CHECK(memblock_search_pfn_nid((B + SZ_1M) >> PAGE_SHIFT, &spfn, &epfn) == 0);
	CHECK(spfn == B >> PAGE_SHIFT);
	CHECK(epfn == (B + SZ_4M) >> PAGE_SHIFT);
	CHECK(memblock_search_pfn_nid((B + SZ_4M) >> PAGE_SHIFT, &spfn, &epfn) == -1);
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: region queries")
{
	CHECK(memblock_add_node(B, SZ_2M, 0, MEMBLOCK_NONE) == 0);
	CHECK(memblock_add_node(B + SZ_2M, SZ_2M, 1, MEMBLOCK_NONE) == 0);
	CHECK(memblock_add(B + SZ_1G, SZ_1M) == 0);

	CHECK(memblock_is_region_memory(B, SZ_2M));
	CHECK(memblock_is_region_memory(B + SZ_1M, SZ_1M));
	// As Linux: the range must sit within one region, even if the next one is adjacent.
	CHECK_FALSE(memblock_is_region_memory(B + SZ_1M, SZ_2M));
	CHECK_FALSE(memblock_is_region_memory(B + SZ_4M, 1));
	CHECK_FALSE(memblock_is_region_memory(B - 1, 2));
	CHECK(memblock_is_memory(B + SZ_1G + SZ_1M - 1));
	CHECK_FALSE(memblock_is_memory(B + SZ_1G + SZ_1M));
	CHECK_FALSE(memblock_is_memory(B - 1));

	CHECK(memblock_reserve(B + SZ_1M, SZ_4K) == 0);
	CHECK(memblock_is_region_reserved(B, SZ_1M + 1));
	CHECK_FALSE(memblock_is_region_reserved(B, SZ_1M));
	CHECK_FALSE(memblock_is_region_reserved(B + SZ_1M + SZ_4K, SZ_1G));
	CHECK(memblock_overlaps_region(&memblock.memory, B + SZ_1G - 1, 2));
	CHECK_FALSE(memblock_overlaps_region(&memblock.memory, B + SZ_4M, SZ_1G - SZ_4M));
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: trim_memory keeps whole units")
{
	CHECK(memblock_add(0x10001, 0x4fff) == 0);  // [0x10001, 0x15000)
	CHECK(memblock_add(0x20001, 0xffe) == 0);   // no whole page
	CHECK(memblock_add(0x30000, 0x2000) == 0);  // already whole
	memblock_trim_memory(PAGE_SIZE);
	CHECK(regions(memblock.memory) == V{{0x11000, 0x4000}, {0x30000, 0x2000}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: enforce_memory_limit (mem=)")
{
	CHECK(memblock_add(B, SZ_1G) == 0);
	CHECK(memblock_add(B + 2 * SZ_1G, SZ_1G) == 0);
	CHECK(memblock_reserve(B + SZ_1M, SZ_1M) == 0);
	CHECK(memblock_reserve(B + 2 * SZ_1G + SZ_128M, SZ_128M) == 0);
	CHECK(memblock_reserve(B + 2 * SZ_1G + 3 * SZ_128M, SZ_1M) == 0);

	SUBCASE("limit inside the second region")
	{
		memblock_enforce_memory_limit(SZ_1G + 3 * SZ_128M / 2);
		CHECK(regions(memblock.memory) == V{{B, SZ_1G}, {B + 2 * SZ_1G, 3 * SZ_128M / 2}});
		CHECK(regions(memblock.reserved) ==
		      V{{B + SZ_1M, SZ_1M}, {B + 2 * SZ_1G + SZ_128M, SZ_128M / 2}});
		CHECK(memblock_phys_mem_size() == SZ_1G + 3 * SZ_128M / 2);
	}
	SUBCASE("limit exactly the first region")
	{
		memblock_enforce_memory_limit(SZ_1G);
		CHECK(regions(memblock.memory) == V{{B, SZ_1G}});
		CHECK(regions(memblock.reserved) == V{{B + SZ_1M, SZ_1M}});
	}
	SUBCASE("limit at or above the total, or 0, does nothing")
	{
		memblock_enforce_memory_limit(2 * SZ_1G);
		memblock_enforce_memory_limit(SZ_4G);
		memblock_enforce_memory_limit(0);
		CHECK(memblock.memory.cnt == 2);
		CHECK(memblock.reserved.cnt == 3);
		CHECK(memblock_phys_mem_size() == 2 * SZ_1G);
	}
	SUBCASE("NOMAP memory counts toward the limit and is removed above it")
	{
		CHECK(memblock_mark_nomap(B, SZ_128M) == 0);
		memblock_enforce_memory_limit(SZ_128M + SZ_1M);
		CHECK(regions(memblock.memory) == V{{B, SZ_128M, MEMBLOCK_NOMAP}, {B + SZ_128M, SZ_1M}});
	}
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock: cap_memory_range and mem_limit_remove_map keep NOMAP")
{
	CHECK(memblock_add(B, SZ_1G) == 0);
	CHECK(memblock_add(B + 2 * SZ_1G, SZ_1G) == 0);
	CHECK(memblock_mark_nomap(B, SZ_1M) == 0);                     // below the cap
	CHECK(memblock_mark_nomap(B + 3 * SZ_1G - SZ_1M, SZ_1M) == 0); // above the cap
	CHECK(memblock_reserve(B, SZ_4K) == 0);
	CHECK(memblock_reserve(B + SZ_128M, SZ_1G) == 0);
	CHECK(memblock_reserve(B + 3 * SZ_1G - SZ_4K, SZ_4K) == 0);

	SUBCASE("cap_memory_range")
	{
		memblock_cap_memory_range(B + SZ_128M / 2, SZ_128M);
		CHECK(regions(memblock.memory) == V{{B, SZ_1M, MEMBLOCK_NOMAP},
						    {B + SZ_128M / 2, SZ_128M},
						    {B + 3 * SZ_1G - SZ_1M, SZ_1M, MEMBLOCK_NOMAP}});
		CHECK(regions(memblock.reserved) == V{{B + SZ_128M, SZ_128M / 2}});
	}
	SUBCASE("mem_limit_remove_map")
	{
		// The first 512 MiB of memory end at B + 512M: keeps [B+1M, B+512M) mapped.
		memblock_mem_limit_remove_map(SZ_1G / 2);
		CHECK(regions(memblock.memory) == V{{B, SZ_1M, MEMBLOCK_NOMAP},
						    {B + SZ_1M, SZ_1G / 2 - SZ_1M},
						    {B + 3 * SZ_1G - SZ_1M, SZ_1M, MEMBLOCK_NOMAP}});
		CHECK(regions(memblock.reserved) == V{{B, SZ_4K}, {B + SZ_128M, SZ_1G / 2 - SZ_128M}});
	}
	SUBCASE("cap_memory_range removes mapped memory on both sides")
	{
		CHECK(memblock_clear_nomap(0, PHYS_ADDR_MAX) == 0);
		memblock_cap_memory_range(B + SZ_128M, SZ_128M);
		CHECK(regions(memblock.memory) == V{{B + SZ_128M, SZ_128M}});
		CHECK(regions(memblock.reserved) == V{{B + SZ_128M, SZ_128M}});
	}
	SUBCASE("mem_limit_remove_map above the total does nothing")
	{
		memblock_mem_limit_remove_map(SZ_4G);
		memblock_mem_limit_remove_map(0);
		CHECK(memblock.memory.cnt == 4);
		CHECK(memblock.reserved.cnt == 3);
	}
	check_all_invariants();
}
