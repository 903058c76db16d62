// memblock region arrays: the static 128 entries, doubling into memblock memory once resizing
// is allowed, where the new array lands, and memblock_discard().
#include "tests/host/test_memblock.h"

using namespace mbtest;
using V = std::vector<Rgn>;

static constexpr phys_addr_t B = 0x40000000;
static constexpr phys_addr_t RAM = 16 * SZ_1M;
static constexpr phys_addr_t E = B + RAM;

// Memory regions for the growth tests: 16 KiB each, 32 KiB apart.
static constexpr phys_addr_t STEP = 32 * SZ_1K;
static constexpr phys_addr_t CHUNK = 16 * SZ_1K;
static phys_addr_t chunk(unsigned long i) { return B + i * STEP; }

static void add_chunks(unsigned long from, unsigned long to)
{
	for (unsigned long i = from; i < to; i++)
		REQUIRE(memblock_add(chunk(i), CHUNK) == 0);
}

static void check_chunks(unsigned long n, Caller at = {})
{
	CALLED_FROM(at);
	REQUIRE(memblock.memory.cnt == n);
	bool ok = true;
	for (unsigned long i = 0; i < n; i++)
		ok &= memblock.memory.regions[i].base == chunk(i) &&
		      memblock.memory.regions[i].size == CHUNK &&
		      memblock.memory.regions[i].nid == MAX_NUMNODES &&
		      memblock.memory.regions[i].flags == MEMBLOCK_NONE;
	CHECK(ok);
	CHECK(memblock.memory.total_size == n * CHUNK);
}

static std::string hex(phys_addr_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
	return buf;
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: static arrays fill up before resizing is allowed")
{
	add_chunks(0, 128);
	check_chunks(128);
	const V before = regions(memblock.memory);

	host_take_log();
	CHECK(memblock_add(chunk(128), CHUNK) == -12);
	CHECK(memblock_add(chunk(129), CHUNK) == -12);
	std::string log = host_take_log();
	CHECK(count_of(log, "memblock: memory array is full (128 entries) and cannot grow before "
			    "memblock_allow_resize(); further memory regions are dropped\n") == 1);
	// A split needs two spare entries; nothing changes when they are missing.
	CHECK(memblock_remove(chunk(5) + SZ_4K, SZ_4K) == -12);
	CHECK(memblock_mark_nomap(chunk(5) + SZ_4K, SZ_4K) == -12);
	CHECK(memblock_set_node(chunk(5) + SZ_4K, SZ_4K, &memblock.memory, 0) == -12);
	CHECK(regions(memblock.memory) == before);
	CHECK(memblock.memory.max == 128);
	// As Linux, entries are counted before merging: even an adjacent add needs a spare one
	// and every isolation (remove, flags, node) two, so only already covered ranges succeed.
	CHECK(memblock_add(chunk(127), SZ_4K) == 0);
	CHECK(memblock_add(chunk(127) + CHUNK, SZ_4K) == -12);
	CHECK(memblock_remove(chunk(0), CHUNK) == -12);
	CHECK(regions(memblock.memory) == before);

	for (unsigned long i = 0; i < 128; i++)
		REQUIRE(memblock_reserve(chunk(i), SZ_4K) == 0);
	CHECK(memblock_reserve(chunk(128), SZ_4K) == -12);
	CHECK(memblock_reserve(chunk(129), SZ_4K) == -12);
	log = host_take_log();
	CHECK(count_of(log, "memblock: reserved array is full (128 entries)") == 1);
	CHECK(memblock.reserved.cnt == 128);
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: memory array doubles past 128 and 256 entries")
{
	FakeRam ram(B, RAM);
	memblock_allow_resize();
	memblock_debug = true;
	add_chunks(0, 128);
	CHECK(memblock.memory.regions != nullptr);
	const memblock_region *static_array = memblock.memory.regions;
	host_take_log();

	// The 129th region: a 256-entry array (6 KiB, 8 KiB with page rounding) comes top-down
	// from free memory, here the top of chunk 127.
	add_chunks(128, 129);
	const phys_addr_t a1 = chunk(127) + CHUNK - 2 * SZ_4K;
	CHECK(memblock.memory.max == 256);
	CHECK(memblock.memory.regions == reinterpret_cast<memblock_region *>(ram.at(a1)));
	check_chunks(129);
	CHECK(regions(memblock.reserved) == V{{a1, 2 * SZ_4K}});
	std::string log = host_take_log();
	CHECK(contains(log, "memblock: memory is doubled to 256 at [" + hex(a1) + "-" +
				    hex(a1 + 256 * sizeof(memblock_region) - 1) + "]\n"));
	CHECK(contains(log, "memblock_reserve: [" + hex(a1) + "-" + hex(a1 + 2 * SZ_4K - 1) + "] "));
	// The entries past cnt are zeroed.
	CHECK(memblock.memory.regions[200].size == 0);
	CHECK(memblock.memory.regions[255].base == 0);

	// The 257th: 512 entries (12 KiB) at the top of chunk 255; the old array is released,
	// the static one never is.
	add_chunks(129, 257);
	const phys_addr_t a2 = chunk(255) + SZ_4K;
	CHECK(memblock.memory.max == 512);
	CHECK(memblock.memory.regions == reinterpret_cast<memblock_region *>(ram.at(a2)));
	check_chunks(257);
	CHECK(regions(memblock.reserved) == V{{a2, 3 * SZ_4K}});
	CHECK_FALSE(memblock_is_region_reserved(a1, 2 * SZ_4K));
	log = host_take_log();
	CHECK(contains(log, "memblock_phys_free: [" + hex(a1) + "-" + hex(a1 + 2 * SZ_4K - 1) + "] "));
	CHECK(static_array != memblock.memory.regions);

	// Allocation still avoids the array: top-down picks chunk 256, then skips chunk 255,
	// whose one free page is too small.
	CHECK(memblock_phys_alloc(CHUNK, SZ_4K) == chunk(256));
	CHECK(memblock_phys_alloc(CHUNK, SZ_4K) == chunk(254));
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: reserved array doubles and reserves itself")
{
	FakeRam ram(B, RAM);
	REQUIRE(memblock_add(B, RAM) == 0);
	memblock_allow_resize();
	for (unsigned long i = 0; i < 128; i++)
		REQUIRE(memblock_reserve(B + i * 2 * SZ_4K, SZ_4K) == 0);
	CHECK(memblock.reserved.max == 128);
	REQUIRE(memblock_reserve(B + 128 * 2 * SZ_4K, SZ_4K) == 0);

	CHECK(memblock.reserved.max == 256);
	CHECK(memblock.reserved.regions == reinterpret_cast<memblock_region *>(ram.at(E - 2 * SZ_4K)));
	REQUIRE(memblock.reserved.cnt == 130);
	bool ok = true;
	for (unsigned long i = 0; i < 129; i++)
		ok &= memblock.reserved.regions[i].base == B + i * 2 * SZ_4K &&
		      memblock.reserved.regions[i].size == SZ_4K;
	CHECK(ok);
	CHECK(regions(memblock.reserved).back() == Rgn{E - 2 * SZ_4K, 2 * SZ_4K});
	CHECK(memblock_reserved_size() == 129 * SZ_4K + 2 * SZ_4K);

	// And again past 256: the old 8 KiB array is released, a 12 KiB one reserved below it.
	for (unsigned long i = 129; i < 256; i++)
		REQUIRE(memblock_reserve(B + i * 2 * SZ_4K, SZ_4K) == 0);
	CHECK(memblock.reserved.max == 512);
	CHECK(memblock.reserved.regions == reinterpret_cast<memblock_region *>(ram.at(E - 5 * SZ_4K)));
	CHECK(regions(memblock.reserved).back() == Rgn{E - 5 * SZ_4K, 3 * SZ_4K});
	CHECK(memblock.reserved.cnt == 257);
	CHECK_FALSE(memblock_is_region_reserved(E - 2 * SZ_4K, 2 * SZ_4K));
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: the new reserved array avoids the range being reserved")
{
	FakeRam ram(B, RAM);
	REQUIRE(memblock_add(B, RAM) == 0);
	memblock_allow_resize();
	// 128 reservations with 4 KiB holes, too small for the 8 KiB array.
	for (unsigned long i = 0; i < 128; i++)
		REQUIRE(memblock_reserve(B + i * 2 * SZ_4K, SZ_4K) == 0);
	const phys_addr_t small_end = B + 127 * 2 * SZ_4K + SZ_4K;

	SUBCASE("top-down: below the new range, not inside it")
	{
		// [B + 2M, E) is not reserved yet, so it looks free; the array must not land there.
		REQUIRE(memblock_reserve(B + SZ_2M, RAM - SZ_2M) == 0);
		const phys_addr_t a = B + SZ_2M - 2 * SZ_4K;
		CHECK(memblock.reserved.regions == reinterpret_cast<memblock_region *>(ram.at(a)));
		CHECK(memblock.reserved.cnt == 129);
		CHECK(regions(memblock.reserved).back() == Rgn{a, E - a});
	}
	SUBCASE("bottom-up: the lowest fit below the new range")
	{
		memblock_set_bottom_up(true);
		REQUIRE(memblock_reserve(B + SZ_2M, RAM - SZ_2M) == 0);
		// Right after the last small reservation, with which it merges.
		CHECK(memblock.reserved.regions == reinterpret_cast<memblock_region *>(ram.at(small_end)));
		CHECK(memblock.reserved.cnt == 129);
		const V r = regions(memblock.reserved);
		CHECK(r[127] == Rgn{small_end - SZ_4K, 3 * SZ_4K});
		CHECK(r[128] == Rgn{B + SZ_2M, RAM - SZ_2M});
	}
	CHECK(memblock.reserved.max == 256);
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: a new memory array ignores the range being added")
{
	// Only memblock.reserved must avoid the new range (it is memory, not yet reserved); a
	// bottom-up memory array comes from the lowest free space even below the new region.
	FakeRam ram(B, RAM);
	memblock_allow_resize();
	memblock_set_bottom_up(true);
	add_chunks(0, 128);
	REQUIRE(memblock_add(chunk(5) + CHUNK + SZ_4K, SZ_4K) == 0);
	CHECK(memblock.memory.regions == reinterpret_cast<memblock_region *>(ram.at(chunk(0))));
	CHECK(regions(memblock.reserved) == V{{chunk(0), 2 * SZ_4K}});
	CHECK(memblock.memory.cnt == 129);
	CHECK(regions(memblock.memory)[6] == Rgn{chunk(5) + CHUNK + SZ_4K, SZ_4K});
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: the new array respects current_limit")
{
	FakeRam ram(B, RAM);
	memblock_allow_resize();
	add_chunks(0, 128);
	memblock_set_current_limit(chunk(2));
	add_chunks(128, 129);
	const phys_addr_t a = chunk(1) + CHUNK - 2 * SZ_4K;
	CHECK(memblock.memory.regions == reinterpret_cast<memblock_region *>(ram.at(a)));
	CHECK(regions(memblock.reserved) == V{{a, 2 * SZ_4K}});
	check_chunks(129);
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: splitting a full array grows it")
{
	FakeRam ram(B, RAM);
	memblock_allow_resize();
	add_chunks(0, 128);
	CHECK(memblock_remove(chunk(0) + SZ_4K, SZ_4K) == 0);
	CHECK(memblock.memory.max == 256);
	CHECK(memblock.memory.cnt == 129);
	CHECK(regions(memblock.memory)[0] == Rgn{chunk(0), SZ_4K});
	CHECK(regions(memblock.memory)[1] == Rgn{chunk(0) + 2 * SZ_4K, CHUNK - 2 * SZ_4K});
	check_all_invariants();
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: failure to find room is reported and changes nothing")
{
	FakeRam ram(B, RAM);
	memblock_allow_resize();
	add_chunks(0, 128);
	REQUIRE(memblock_reserve(B, 128 * STEP) == 0);
	const V before = regions(memblock.memory);
	host_take_log();
	CHECK(memblock_add(chunk(200), CHUNK) == -12);
	CHECK(contains(host_take_log(),
		       "memblock: Failed to double memory array from 128 to 256 entries !\n"));
	CHECK(regions(memblock.memory) == before);
	CHECK(memblock.memory.max == 128);
	CHECK(regions(memblock.reserved) == V{{B, 128 * STEP}});
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: discard releases grown arrays, then allocation stops")
{
	FakeRam ram(B, RAM);
	memblock_allow_resize();
	add_chunks(0, 129);
	const phys_addr_t a_mem = chunk(127) + CHUNK - 2 * SZ_4K;
	CHECK(memblock.memory.regions == reinterpret_cast<memblock_region *>(ram.at(a_mem)));
	for (unsigned long i = 0; i < 129; i++)
		REQUIRE(memblock_reserve(chunk(i), SZ_4K) == 0);
	// The reserved array grows while reserving chunk 127 (the memory array's reservation
	// took one entry), into the top of chunk 128, the highest free space above chunk 127.
	const phys_addr_t a_res = chunk(128) + CHUNK - 2 * SZ_4K;
	CHECK(memblock.reserved.regions == reinterpret_cast<memblock_region *>(ram.at(a_res)));
	CHECK(memblock_is_region_reserved(a_mem, 2 * SZ_4K));
	CHECK(memblock_is_region_reserved(a_res, 2 * SZ_4K));
	const phys_addr_t reserved_before = memblock_reserved_size();

	memblock_discard();
	CHECK_FALSE(memblock_is_region_reserved(a_mem, 2 * SZ_4K));
	CHECK_FALSE(memblock_is_region_reserved(a_res, 2 * SZ_4K));
	CHECK(memblock_reserved_size() == reserved_before - 4 * SZ_4K);
	// The arrays are still what memblock reads, and the free walk now yields their pages.
	CHECK(memblock.memory.cnt == 129);
	bool saw_mem = false, saw_res = false;
	for (const Range &r : free_ranges()) {
		saw_mem |= r.start <= a_mem && a_mem + 2 * SZ_4K <= r.end;
		saw_res |= r.start <= a_res && a_res + 2 * SZ_4K <= r.end;
	}
	CHECK(saw_mem);
	CHECK(saw_res);

	host_take_log();
	CHECK(memblock_phys_alloc(SZ_4K, SZ_4K) == 0);
	CHECK(memblock_alloc(SZ_4K, SZ_4K) == nullptr);
	std::string log = host_take_log();
	CHECK(contains(log, "memblock: allocation of 0x0000000000001000 bytes after memblock_discard()"));
	CHECK(contains(log, "WARNING"));
	// Growing would hand out free pages as well.
	CHECK(memblock_add(chunk(300), CHUNK) == 0); // room left in the 256-entry array
	for (unsigned long i = 301; i < 427; i++)
		REQUIRE(memblock_add(chunk(i), CHUNK) == 0);
	CHECK(memblock.memory.cnt == 256);
	CHECK(memblock_add(chunk(427), CHUNK) == -12);
	CHECK(contains(host_take_log(), "memblock: cannot grow memory array after memblock_discard()"));
	// A second discard is harmless.
	memblock_discard();
	CHECK(memblock_reserved_size() == reserved_before - 4 * SZ_4K);
}

TEST_CASE_FIXTURE(MemblockTest, "memblock grow: discard with static arrays releases nothing")
{
	REQUIRE(memblock_add(B, RAM) == 0);
	REQUIRE(memblock_reserve(B, SZ_1M) == 0);
	memblock_discard();
	CHECK(regions(memblock.reserved) == V{{B, SZ_1M}});
	CHECK(regions(memblock.memory) == V{{B, RAM}});
}
