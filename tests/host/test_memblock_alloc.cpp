// memblock allocation: direction, alignment, limits, holes, NOMAP, nodes, mirror (Linux's
// tools/testing/memblock/tests/alloc_api.c, alloc_phys_api.c and alloc_nid_api.c cover the
// same ground).
#include "tests/host/test_memblock.h"

using namespace mbtest;
using V = std::vector<Rgn>;

static constexpr phys_addr_t B = 0x40000000;
static constexpr phys_addr_t RAM = 16 * SZ_1M;
static constexpr phys_addr_t E = B + RAM;

namespace {
// 16 MiB of fake RAM at B, all of it memblock memory.
struct AllocTest : MemblockTest {
	AllocTest() : ram(B, RAM) { REQUIRE(memblock_add(B, RAM) == 0); }
	FakeRam ram;
};
} // namespace

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: top-down by default, reserving what it returns")
{
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == E - SZ_4K);
	CHECK(regions(memblock.reserved) == V{{E - SZ_4K, SZ_4K}});
	CHECK(memblock_phys_alloc(2 * SZ_4K, SZ_4K) == E - 3 * SZ_4K);
	CHECK(regions(memblock.reserved) == V{{E - 3 * SZ_4K, 3 * SZ_4K}});
	CHECK(memblock_reserved_size() == 3 * SZ_4K);
	// memory itself is not changed by allocation
	CHECK(regions(memblock.memory) == V{{B, RAM}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: top-down alignment")
{
	CHECK(memblock_reserve(E - 0x100, 0x100) == 0);
	// Highest 64 KiB-aligned start with 0x1000 bytes below E - 0x100.
	CHECK(memblock_phys_alloc(0x1000, SZ_64K) == E - SZ_64K);
	// Unaligned size: the highest free byte is E - 0x101; 100 bytes end there at E - 0x164,
	// rounded down to 8: E - 0x168.
	CHECK(memblock_phys_alloc(100, 8) == E - 0x168);
	CHECK(regions(memblock.reserved) ==
	      V{{E - SZ_64K, 0x1000}, {E - 0x168, 100}, {E - 0x100, 0x100}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: bottom-up on request")
{
	memblock_set_bottom_up(true);
	CHECK(memblock_bottom_up());
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == B);
	CHECK(memblock_reserve(B + SZ_4K, 0x10) == 0);
	CHECK(memblock_phys_alloc(0x100, SZ_64K) == B + SZ_64K);
	CHECK(memblock_phys_alloc(0x10, 0x10) == B + SZ_4K + 0x10);
	CHECK(regions(memblock.reserved) == V{{B, SZ_4K + 0x20}, {B + SZ_64K, 0x100}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock alloc: the first page is never handed out")
{
	CHECK(memblock_add(0, SZ_1M) == 0);
	memblock_set_bottom_up(true);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == PAGE_SIZE);
	memblock_set_bottom_up(false);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == SZ_1M - SZ_4K);

	memblock_reset_for_test();
	CHECK(memblock_add(0, SZ_4K) == 0);
	CHECK(memblock_phys_alloc(16, 16) == 0);
	memblock_set_bottom_up(true);
	CHECK(memblock_phys_alloc(16, 16) == 0);
	CHECK(memblock.reserved.total_size == 0);
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: current limit")
{
	memblock_set_current_limit(B + 8 * SZ_1M);
	CHECK(memblock_get_current_limit() == B + 8 * SZ_1M);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == B + 8 * SZ_1M - SZ_4K);
	// An explicit MEMBLOCK_ALLOC_ANYWHERE ignores the limit for physical allocations...
	CHECK(memblock_phys_alloc_range(SZ_4K, SZ_4K, 0, MEMBLOCK_ALLOC_ANYWHERE) == E - SZ_4K);
	// ...but virtual ones never go above it.
	void *p = memblock_alloc_try_nid(SZ_4K, SZ_4K, 0, MEMBLOCK_ALLOC_ANYWHERE, NUMA_NO_NODE);
	CHECK(p == ram.at(B + 8 * SZ_1M - 2 * SZ_4K));
	// An allocation straddling the limit does not fit below it.
	memblock_set_current_limit(B + SZ_4K);
	memblock_set_bottom_up(true);
	CHECK(memblock_phys_alloc(2 * SZ_4K, SZ_4K) == 0);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == B);
	memblock_set_current_limit(B);
	CHECK(memblock_phys_alloc(16, 16) == 0);
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: explicit range, both directions")
{
	CHECK(memblock_phys_alloc_range(SZ_4K, SZ_4K, B + 0x1001, B + SZ_1M + 0x800) ==
	      B + SZ_1M - SZ_4K);
	memblock_set_bottom_up(true);
	CHECK(memblock_phys_alloc_range(SZ_4K, SZ_4K, B + 0x1001, B + SZ_1M + 0x800) == B + 0x2000);
	// A range outside memory, or too small, fails.
	CHECK(memblock_phys_alloc_range(SZ_4K, SZ_4K, E, E + SZ_1G) == 0);
	CHECK(memblock_phys_alloc_range(SZ_4K, SZ_4K, B + 0x2800, B + 0x3800) == 0);
	CHECK(regions(memblock.reserved) == V{{B + 0x2000, SZ_4K}, {B + SZ_1M - SZ_4K, SZ_4K}});
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: no space returns 0 and changes nothing")
{
	SUBCASE("everything reserved")
	{
		CHECK(memblock_reserve(B, RAM) == 0);
	}
	SUBCASE("only holes smaller than the request")
	{
		CHECK(memblock_reserve(B, RAM) == 0);
		for (phys_addr_t a = B; a < E; a += SZ_1M)
			CHECK(memblock_phys_free(a + SZ_4K, SZ_4K - 1) == 0);
		CHECK(memblock.reserved.cnt == 17);
	}
	const V before = regions(memblock.reserved);
	for (bool bottom_up : {false, true}) {
		memblock_set_bottom_up(bottom_up);
		CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == 0);
		CHECK(memblock_alloc(SZ_4K, SZ_4K) == nullptr);
		CHECK(memblock_alloc_try_nid(SZ_4K, SZ_4K, B, E, 0) == nullptr);
		CHECK(memblock_phys_alloc_try_nid(SZ_4K, SZ_4K, NUMA_NO_NODE) == 0);
	}
	CHECK(regions(memblock.reserved) == before);
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: requests larger than memory fail")
{
	CHECK(memblock_phys_alloc(RAM + 1, SZ_4K) == 0);
	CHECK(memblock_phys_alloc(PHYS_ADDR_MAX, SZ_4K) == 0);
	memblock_set_bottom_up(true);
	CHECK(memblock_phys_alloc(RAM + 1, SZ_4K) == 0);
	CHECK(memblock_phys_alloc(PHYS_ADDR_MAX, SZ_4K) == 0);
	CHECK(memblock.reserved.total_size == 0);
	// The whole of memory fits exactly.
	CHECK(memblock_phys_alloc(RAM, SZ_4K) == B);
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: fits a hole exactly")
{
	CHECK(memblock_reserve(B, SZ_1M) == 0);
	CHECK(memblock_reserve(B + SZ_1M + SZ_64K, RAM - SZ_1M - SZ_64K) == 0);
	SUBCASE("top-down") {}
	SUBCASE("bottom-up") { memblock_set_bottom_up(true); }
	CHECK(memblock_phys_alloc(SZ_64K, SZ_64K) == B + SZ_1M);
	CHECK(regions(memblock.reserved) == V{{B, RAM}});
	CHECK(memblock_phys_alloc(1, 1) == 0);
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: a hole one byte too small is skipped")
{
	CHECK(memblock_reserve(B + SZ_1M, SZ_1M) == 0);
	CHECK(memblock_reserve(B + 2 * SZ_1M + SZ_64K - 1, RAM - 2 * SZ_1M - SZ_64K + 1) == 0);
	// Top-down: the hole [B+2M, B+2M+64K-1) is too small; the next fit ends at B + 1M.
	CHECK(memblock_phys_alloc(SZ_64K, 1) == B + SZ_1M - SZ_64K);
	memblock_set_bottom_up(true);
	CHECK(memblock_phys_alloc(SZ_64K, 1) == B);
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: NOMAP memory is skipped")
{
	CHECK(memblock_mark_nomap(B + 8 * SZ_1M, 8 * SZ_1M) == 0);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == B + 8 * SZ_1M - SZ_4K);
	CHECK(memblock_clear_nomap(B + 8 * SZ_1M, 8 * SZ_1M) == 0);
	CHECK(memblock_mark_nomap(B, 8 * SZ_1M) == 0);
	memblock_set_bottom_up(true);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == B + 8 * SZ_1M);
	CHECK(memblock_mark_nomap(B, RAM) == 0);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == 0);
	memblock_set_bottom_up(false);
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == 0);
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: align 0 warns and uses SMP_CACHE_BYTES")
{
	CHECK(memblock_reserve(E - 1, 1) == 0);
	host_take_log();
	// 100 bytes below E - 1, rounded down to 64: E - 128.
	CHECK(memblock_phys_alloc(100, 0) == E - 128);
	CHECK(contains(host_take_log(), "WARNING"));
	memblock_set_bottom_up(true);
	CHECK(memblock_reserve(B, 1) == 0);
	CHECK(memblock_phys_alloc(100, 0) == B + 64);
	CHECK(contains(host_take_log(), "WARNING"));
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: an alignment that is not a power of two is refused")
{
	for (phys_addr_t align : {phys_addr_t{3}, phys_addr_t{0x1800}, PHYS_ADDR_MAX}) {
		CHECK(memblock_phys_alloc(SZ_4K, align) == 0);
		CHECK(contains(host_take_log(), "is not a power of two"));
	}
	CHECK(memblock_alloc(SZ_4K, 48) == nullptr);
	CHECK(memblock.reserved.total_size == 0);
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: memblock_alloc returns zeroed linear-map memory")
{
	void *p = memblock_alloc(3 * SZ_4K, SZ_4K);
	REQUIRE(p == ram.at(E - 3 * SZ_4K));
	const u8 *b = static_cast<const u8 *>(p);
	bool all_zero = true;
	for (size_t i = 0; i < 3 * SZ_4K; i++)
		all_zero &= b[i] == 0;
	CHECK(all_zero);
	CHECK(b[-1] == 0xa5); // nothing outside the allocation is touched
	CHECK(virt_to_phys(p).value() == E - 3 * SZ_4K);

	void *r = memblock_alloc_raw(SZ_4K, SZ_4K);
	REQUIRE(r == ram.at(E - 4 * SZ_4K));
	CHECK(static_cast<const u8 *>(r)[0] == 0xa5);
	CHECK(static_cast<const u8 *>(r)[SZ_4K - 1] == 0xa5);
	CHECK(regions(memblock.reserved) == V{{E - 4 * SZ_4K, 4 * SZ_4K}});
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: min_addr is dropped when nothing fits above it")
{
	CHECK(memblock_reserve(E - SZ_4K, SZ_4K) == 0);
	CHECK(memblock_alloc_from(SZ_4K, SZ_4K, E - SZ_4K) == ram.at(E - 2 * SZ_4K));
	memblock_set_bottom_up(true);
	CHECK(memblock_alloc_from(SZ_4K, SZ_4K, B + SZ_1M) == ram.at(B + SZ_1M));
	CHECK(memblock_alloc_try_nid(SZ_4K, SZ_4K, E, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE) ==
	      ram.at(B));
}

TEST_CASE_FIXTURE(MemblockTest, "memblock alloc: nodes, with and without fallback")
{
	FakeRam ram(B, RAM);
	CHECK(memblock_add_node(B, RAM / 2, 0, MEMBLOCK_NONE) == 0);
	CHECK(memblock_add_node(B + RAM / 2, RAM / 2, 1, MEMBLOCK_NONE) == 0);

	CHECK(memblock_phys_alloc_try_nid(SZ_4K, SZ_4K, 0) == B + RAM / 2 - SZ_4K);
	CHECK(memblock_phys_alloc_try_nid(SZ_4K, SZ_4K, 1) == E - SZ_4K);
	// Node 3 has no memory: falls back to any node...
	CHECK(memblock_phys_alloc_try_nid(SZ_4K, SZ_4K, 3) == E - 2 * SZ_4K);
	// ...unless the node is required.
	CHECK(memblock_alloc_range_nid(SZ_4K, SZ_4K, 0, MEMBLOCK_ALLOC_ACCESSIBLE, 3, true) == 0);
	CHECK(memblock_alloc_node(SZ_4K, SZ_4K, 0) == ram.at(B + RAM / 2 - 2 * SZ_4K));
	// Node 0 full: falls back.
	CHECK(memblock_reserve(B, RAM / 2) == 0);
	CHECK(memblock_alloc_range_nid(SZ_4K, SZ_4K, 0, MEMBLOCK_ALLOC_ACCESSIBLE, 0, true) == 0);
	CHECK(memblock_phys_alloc_try_nid(SZ_4K, SZ_4K, 0) == E - 3 * SZ_4K);

	// MAX_NUMNODES means "any" with a deprecation warning, once, as Linux.
	host_take_log();
	CHECK(memblock_phys_alloc_try_nid(SZ_4K, SZ_4K, MAX_NUMNODES) == E - 4 * SZ_4K);
	CHECK(memblock_phys_alloc_try_nid(SZ_4K, SZ_4K, MAX_NUMNODES) == E - 5 * SZ_4K);
	CHECK(count_of(host_take_log(), "Usage of MAX_NUMNODES is deprecated") == 1);
	check_all_invariants();
}

TEST_CASE_FIXTURE(AllocTest, "memblock alloc: mirrored memory first, then any with a warning")
{
	CHECK(memblock_mark_mirror(B, 4 * SZ_1M) == 0);
	CHECK(regions(memblock.memory) == V{{B, 4 * SZ_1M, MEMBLOCK_MIRROR}, {B + 4 * SZ_1M, RAM - 4 * SZ_1M}});
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == B + 4 * SZ_1M - SZ_4K);
	CHECK(memblock_reserve(B, 4 * SZ_1M) == 0);
	host_take_log();
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == E - SZ_4K);
	CHECK(contains(host_take_log(),
		       "Could not allocate 0x0000000000001000 bytes of mirrored memory\n"));
}
