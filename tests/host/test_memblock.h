// Shared helpers for the memblock host tests (test_memblock*.cpp), in the spirit of Linux's
// tools/testing/memblock: every test starts from the build-time state and describes the
// expected arrays region by region.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "mm/memblock.h"
#include "mm/memory_model.h"
#include "tests/host/support/host_support.h"

namespace mbtest {

struct Rgn {
	phys_addr_t base;
	phys_addr_t size;
	unsigned flags = MEMBLOCK_NONE;
	int nid = MAX_NUMNODES;
	bool operator==(const Rgn &) const = default;
};

inline std::ostream &operator<<(std::ostream &os, const Rgn &r)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "{0x%llx+0x%llx f=%x n=%d}", (unsigned long long)r.base,
		 (unsigned long long)r.size, r.flags, r.nid);
	return os << buf;
}

inline std::ostream &operator<<(std::ostream &os, const std::vector<Rgn> &v)
{
	os << "[";
	for (const Rgn &r : v)
		os << " " << r;
	return os << " ]";
}

// All cnt entries, including the zero-sized dummy of an empty type.
inline std::vector<Rgn> regions(const memblock_type &t)
{
	std::vector<Rgn> v;
	for (unsigned long i = 0; i < t.cnt; i++)
		v.push_back({t.regions[i].base, t.regions[i].size, t.regions[i].flags, t.regions[i].nid});
	return v;
}

// Structural invariants every operation must keep: cnt within max, total_size the sum,
// regions sorted and disjoint, and no two neighbours that should have merged.
inline void check_invariants(const memblock_type &t, Caller at = {})
{
	CALLED_FROM(at);
	REQUIRE(t.cnt >= 1);
	REQUIRE(t.cnt <= t.max);
	phys_addr_t sum = 0;
	for (unsigned long i = 0; i < t.cnt; i++) {
		const memblock_region &r = t.regions[i];
		sum += r.size;
		if (t.cnt > 1)
			CHECK_MESSAGE(r.size != 0, t.name, "[", i, "] is empty");
		if (i + 1 < t.cnt) {
			const memblock_region &n = t.regions[i + 1];
			CHECK_MESSAGE(r.base + r.size <= n.base, t.name, "[", i, "] overlaps the next");
			const bool mergeable =
				r.base + r.size == n.base && r.flags == n.flags && r.nid == n.nid;
			CHECK_MESSAGE(!mergeable, t.name, "[", i, "] was not merged with the next");
		}
	}
	CHECK(sum == t.total_size);
}

inline void check_all_invariants(Caller at = {})
{
	check_invariants(memblock.memory, at);
	check_invariants(memblock.reserved, at);
}

struct Range {
	phys_addr_t start, end;
	int nid = 0;
	bool operator==(const Range &) const = default;
};

inline std::ostream &operator<<(std::ostream &os, const std::vector<Range> &v)
{
	os << "[";
	for (const Range &r : v) {
		char buf[96];
		snprintf(buf, sizeof(buf), " [0x%llx-0x%llx) n=%d", (unsigned long long)r.start,
			 (unsigned long long)r.end, r.nid);
		os << buf;
	}
	return os << " ]";
}

inline std::vector<Range> free_ranges(int nid = NUMA_NO_NODE, memblock_flags flags = MEMBLOCK_NONE)
{
	std::vector<Range> v;
	phys_addr_t s, e;
	int n;
	u64 i;
	for_each_free_mem_range(i, nid, flags, &s, &e, &n)
		v.push_back({s, e, n});
	return v;
}

inline std::vector<Range> free_ranges_rev(int nid = NUMA_NO_NODE,
					  memblock_flags flags = MEMBLOCK_NONE)
{
	std::vector<Range> v;
	phys_addr_t s, e;
	int n;
	u64 i;
	for_each_free_mem_range_reverse(i, nid, flags, &s, &e, &n)
		v.push_back({s, e, n});
	return v;
}

// Every test starts from, and leaves behind, memblock's build-time state.
struct MemblockTest {
	MemblockTest()
	{
		memblock_reset_for_test();
		host_take_log();
	}
	~MemblockTest() { memblock_reset_for_test(); }
};

// A host buffer standing in for physical memory [base, base + size): memblock_alloc() and
// array growth write through phys_to_virt(), which this points at the buffer.
struct FakeRam {
	FakeRam(phys_addr_t base_, size_t size_) : base(base_), size(size_)
	{
		buf = static_cast<u8 *>(std::aligned_alloc(PAGE_SIZE, size));
		REQUIRE(buf != nullptr);
		memset(buf, 0xa5, size);
		saved_memstart = memstart_addr;
		saved_linear = linear_map_base;
		memstart_addr = base;
		linear_map_base = reinterpret_cast<uptr>(buf);
	}
	~FakeRam()
	{
		memstart_addr = saved_memstart;
		linear_map_base = saved_linear;
		std::free(buf);
	}
	FakeRam(const FakeRam &) = delete;
	FakeRam &operator=(const FakeRam &) = delete;

	phys_addr_t end() const { return base + size; }
	u8 *at(phys_addr_t pa) const { return buf + (pa - base); }

	phys_addr_t base;
	size_t size;
	u8 *buf;
	u64 saved_memstart;
	uptr saved_linear;
};

inline bool contains(const std::string &hay, const std::string &needle)
{
	return hay.find(needle) != std::string::npos;
}

inline size_t count_of(const std::string &hay, const std::string &needle)
{
	size_t n = 0;
	for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
		n++;
	return n;
}

} // namespace mbtest
