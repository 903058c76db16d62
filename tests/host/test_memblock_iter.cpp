// memblock iterators (free ranges = memory minus reserved, both directions; memory, reserved
// and pfn ranges) on a fixed layout, then a randomized run of every operation against a
// page-granular reference model.
#include <algorithm>

#include "tests/host/test_memblock.h"

using namespace mbtest;
using V = std::vector<Rgn>;
using RV = std::vector<Range>;

namespace {

RV mem_ranges()
{
	RV v;
	phys_addr_t s, e;
	u64 i;
	for_each_mem_range(i, &s, &e)
		v.push_back({s, e, 0});
	return v;
}

RV mem_ranges_rev()
{
	RV v;
	phys_addr_t s, e;
	u64 i;
	for_each_mem_range_rev(i, &s, &e)
		v.push_back({s, e, 0});
	return v;
}

RV reserved_ranges()
{
	RV v;
	phys_addr_t s, e;
	u64 i;
	for_each_reserved_mem_range(i, &s, &e)
		v.push_back({s, e, 0});
	return v;
}

RV pfn_ranges(int nid)
{
	RV v;
	unsigned long s, e;
	int n, i;
	for_each_mem_pfn_range(i, nid, &s, &e, &n)
		v.push_back({s, e, n});
	return v;
}

RV reversed(RV v)
{
	std::reverse(v.begin(), v.end());
	return v;
}

} // namespace

TEST_CASE_FIXTURE(MemblockTest, "memblock iter: fixed layout")
{
	REQUIRE(memblock_add_node(0x1000, 0x8000, 0, MEMBLOCK_NONE) == 0);
	REQUIRE(memblock_add_node(0x10000, 0x10000, 1, MEMBLOCK_NONE) == 0);
	REQUIRE(memblock_add_node(0x20000, 0x1000, 1, MEMBLOCK_NOMAP) == 0);
	REQUIRE(memblock_add_node(0x30000, 0x1000, 0, MEMBLOCK_DRIVER_MANAGED) == 0);
	REQUIRE(memblock_add_node(0x31800, 0x1000, 0, MEMBLOCK_NONE) == 0); // no whole page
	REQUIRE(memblock_reserve(0x0, 0x2000) == 0);
	REQUIRE(memblock_reserve(0x4000, 0x1000) == 0);
	REQUIRE(memblock_reserve(0x8000, 0xa000) == 0);
	REQUIRE(memblock_reserve(0x40000, 0x1000) == 0); // outside memory

	const RV free_all{{0x2000, 0x4000, 0}, {0x5000, 0x8000, 0}, {0x12000, 0x20000, 1},
			  {0x31800, 0x32800, 0}};
	CHECK(free_ranges() == free_all);
	CHECK(free_ranges_rev() == reversed(free_all));
	CHECK(free_ranges(1) == RV{{0x12000, 0x20000, 1}});
	CHECK(free_ranges_rev(0) == RV{{0x31800, 0x32800, 0}, {0x5000, 0x8000, 0}, {0x2000, 0x4000, 0}});
	CHECK(free_ranges(2).empty());
	CHECK(free_ranges_rev(2).empty());
	// Asking for NOMAP or DRIVER_MANAGED memory includes it.
	CHECK(free_ranges(1, MEMBLOCK_NOMAP) == RV{{0x12000, 0x20000, 1}, {0x20000, 0x21000, 1}});
	CHECK(free_ranges_rev(0, MEMBLOCK_DRIVER_MANAGED) ==
	      RV{{0x31800, 0x32800, 0}, {0x30000, 0x31000, 0}, {0x5000, 0x8000, 0}, {0x2000, 0x4000, 0}});
	// MIRROR asks for mirrored memory only.
	CHECK(free_ranges(NUMA_NO_NODE, MEMBLOCK_MIRROR).empty());

	// for_each_mem_range() skips only NOMAP (Linux passes HOTPLUG | DRIVER_MANAGED).
	const RV mem{{0x1000, 0x9000, 0}, {0x10000, 0x20000, 0}, {0x30000, 0x31000, 0},
		     {0x31800, 0x32800, 0}};
	CHECK(mem_ranges() == mem);
	CHECK(mem_ranges_rev() == reversed(mem));
	CHECK(reserved_ranges() ==
	      RV{{0x0, 0x2000, 0}, {0x4000, 0x5000, 0}, {0x8000, 0x12000, 0}, {0x40000, 0x41000, 0}});

	// Node and flag filters apply to memory only: reserved regions are never skipped.
	REQUIRE(memblock_set_node(0x4000, 0x1000, &memblock.reserved, 1) == 0);
	{
		RV v;
		phys_addr_t s, e;
		u64 i;
		__for_each_mem_range(i, &memblock.reserved, nullptr, 0, MEMBLOCK_NONE, &s, &e, nullptr)
			v.push_back({s, e, 0});
		CHECK(v == reserved_ranges());
		CHECK(v.size() == 4);
	}

	// pfn ranges cover every region with a whole page, NOMAP and DRIVER_MANAGED included.
	const RV pfns{{1, 9, 0}, {0x10, 0x20, 1}, {0x20, 0x21, 1}, {0x30, 0x31, 0}};
	CHECK(pfn_ranges(MAX_NUMNODES) == pfns);
	CHECK(pfn_ranges(1) == RV{{0x10, 0x20, 1}, {0x20, 0x21, 1}});
	CHECK(pfn_ranges(3).empty());

	int n = 0;
	memblock_region *r;
	for_each_mem_region(r)
		n++;
	CHECK(n == 5);
	n = 0;
	for_each_reserved_mem_region(r)
		n++;
	CHECK(n == 4);
}

TEST_CASE_FIXTURE(MemblockTest, "memblock iter: empty types")
{
	CHECK(free_ranges().empty());
	CHECK(free_ranges_rev().empty());
	CHECK(pfn_ranges(MAX_NUMNODES).empty());
	// As Linux, walking a single type yields the zero-sized dummy of an empty one once.
	CHECK(reserved_ranges() == RV{{0, 0, 0}});
	CHECK(mem_ranges() == RV{{0, 0, 0}});
	REQUIRE(memblock_add(0x10000, 0x10000) == 0);
	CHECK(free_ranges() == RV{{0x10000, 0x20000, MAX_NUMNODES}});
	CHECK(free_ranges_rev() == RV{{0x10000, 0x20000, MAX_NUMNODES}});
	REQUIRE(memblock_reserve(0x0, 0x100000) == 0);
	CHECK(free_ranges().empty());
	CHECK(free_ranges_rev().empty());
}

TEST_CASE_FIXTURE(MemblockTest, "memblock iter: reserved edges at the ends of memory")
{
	REQUIRE(memblock_add(0x10000, 0x10000) == 0);
	REQUIRE(memblock_add(0x30000, 0x10000) == 0);
	REQUIRE(memblock_reserve(0x10000, 0x1000) == 0);       // start of the first region
	REQUIRE(memblock_reserve(0x1f000, 0x12000) == 0);      // end of one to start of the next
	REQUIRE(memblock_reserve(0x3ffff, 0x1) == 0);          // last byte
	const RV want{{0x11000, 0x1f000, MAX_NUMNODES}, {0x31000, 0x3ffff, MAX_NUMNODES}};
	CHECK(free_ranges() == want);
	CHECK(free_ranges_rev() == reversed(want));
	REQUIRE(memblock_reserve(PHYS_ADDR_MAX - 0x1000, 0x1000) == 0); // above everything
	CHECK(free_ranges() == want);
	CHECK(free_ranges_rev() == reversed(want));
}

// --- randomized run against a reference model ----------------------------------------------

namespace {

// Page-granular model of a 120-page window: small enough that no array can fill (at most
// 120 regions, isolation needs cnt + 2 <= 128), so every operation must succeed.
constexpr phys_addr_t MB = 0x80000000;
constexpr unsigned U = 120;
constexpr phys_addr_t UNIT = PAGE_SIZE;

struct Page {
	bool mem = false;
	unsigned flags = MEMBLOCK_NONE;
	int nid = MAX_NUMNODES;
	bool res = false;
};

struct Model {
	Page p[U];

	// Regions: maximal runs of pages with equal attributes, as memblock keeps them.
	V memory() const
	{
		V v;
		for (unsigned i = 0; i < U; i++) {
			if (!p[i].mem)
				continue;
			const phys_addr_t a = MB + i * UNIT;
			if (!v.empty() && v.back().base + v.back().size == a &&
			    v.back().flags == p[i].flags && v.back().nid == p[i].nid)
				v.back().size += UNIT;
			else
				v.push_back({a, UNIT, p[i].flags, p[i].nid});
		}
		return v;
	}
	V reserved() const
	{
		V v;
		for (unsigned i = 0; i < U; i++) {
			if (!p[i].res)
				continue;
			const phys_addr_t a = MB + i * UNIT;
			if (!v.empty() && v.back().base + v.back().size == a)
				v.back().size += UNIT;
			else
				v.push_back({a, UNIT});
		}
		return v;
	}
	// Free ranges: each non-NOMAP memory region minus reserved pages.
	RV free(int nid) const
	{
		RV v;
		for (const Rgn &r : memory()) {
			if (r.flags & MEMBLOCK_NOMAP)
				continue;
			if (nid != NUMA_NO_NODE && r.nid != nid)
				continue;
			for (phys_addr_t a = r.base; a < r.base + r.size; a += UNIT) {
				if (p[(a - MB) / UNIT].res)
					continue;
				if (!v.empty() && v.back().end == a && a != r.base)
					v.back().end += UNIT;
				else
					v.push_back({a, a + UNIT, r.nid});
			}
		}
		return v;
	}
	RV mapped() const
	{
		RV v;
		for (const Rgn &r : memory())
			if (!(r.flags & MEMBLOCK_NOMAP))
				v.push_back({r.base, r.base + r.size, 0});
		return v;
	}
	// Linux's search on the model's free ranges.
	phys_addr_t alloc(phys_addr_t size, phys_addr_t align, bool bottom_up) const
	{
		RV f = free(NUMA_NO_NODE);
		if (bottom_up) {
			for (const Range &r : f) {
				const phys_addr_t cand = (r.start + align - 1) & ~(align - 1);
				if (cand < r.end && r.end - cand >= size)
					return cand;
			}
		} else {
			for (auto it = f.rbegin(); it != f.rend(); ++it) {
				if (it->end < size)
					continue;
				const phys_addr_t cand = (it->end - size) & ~(align - 1);
				if (cand >= it->start)
					return cand;
			}
		}
		return 0;
	}
};

struct Rng {
	u64 s;
	u64 next()
	{
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return s;
	}
	unsigned below(unsigned n) { return static_cast<unsigned>(next() % n); }
};

void check_against(const Model &m, Caller at = {})
{
	CALLED_FROM(at);
	const V mem = m.memory();
	const V res = m.reserved();
	if (mem.empty()) {
		CHECK(memblock.memory.cnt == 1);
		CHECK(memblock.memory.regions[0].size == 0);
	} else {
		CHECK(regions(memblock.memory) == mem);
	}
	if (res.empty()) {
		CHECK(memblock.reserved.cnt == 1);
		CHECK(memblock.reserved.regions[0].size == 0);
	} else {
		CHECK(regions(memblock.reserved) == res);
	}
	check_all_invariants();
	for (int nid : {NUMA_NO_NODE, 0, 1}) {
		const RV f = m.free(nid);
		CHECK(free_ranges(nid) == f);
		CHECK(free_ranges_rev(nid) == reversed(f));
	}
	// An empty memory type yields its zero-sized dummy once.
	const RV mapped = mem.empty() ? RV{{0, 0, 0}} : m.mapped();
	CHECK(mem_ranges() == mapped);
	CHECK(mem_ranges_rev() == reversed(mapped));
}

} // namespace

TEST_CASE_FIXTURE(MemblockTest, "memblock iter: random operations match a reference model")
{
	Model m;
	Rng rng{0x9e3779b97f4a7c15ull};
	unsigned allocs = 0, failed_allocs = 0;

	for (int step = 0; step < 3000; step++) {
		const unsigned u0 = rng.below(U);
		const unsigned len = 1 + rng.below(24);
		const unsigned u1 = std::min(U, u0 + len);
		const phys_addr_t base = MB + u0 * UNIT;
		// Sometimes run to the top of the address space (size clipped by memblock).
		const bool to_top = rng.below(16) == 0;
		const phys_addr_t size = to_top ? PHYS_ADDR_MAX : (u1 - u0) * UNIT;
		const unsigned end = to_top ? U : u1;
		const int nid = static_cast<int>(rng.below(3)) == 2 ? MAX_NUMNODES : static_cast<int>(rng.below(2));
		const unsigned op = rng.below(10);
		CAPTURE(step);
		CAPTURE(op);

		switch (op) {
		case 0:
		case 1: {
			const memblock_flags fl = rng.below(4) == 0 ? MEMBLOCK_NOMAP : MEMBLOCK_NONE;
			if (nid == MAX_NUMNODES && fl == MEMBLOCK_NONE)
				REQUIRE(memblock_add(base, (u1 - u0) * UNIT) == 0);
			else
				REQUIRE(memblock_add_node(base, (u1 - u0) * UNIT, nid, fl) == 0);
			for (unsigned i = u0; i < u1; i++)
				if (!m.p[i].mem)
					m.p[i] = {true, fl, nid, m.p[i].res};
			break;
		}
		case 2:
			REQUIRE(memblock_remove(base, size) == 0);
			for (unsigned i = u0; i < end; i++)
				m.p[i] = {false, MEMBLOCK_NONE, MAX_NUMNODES, m.p[i].res};
			break;
		case 3:
			// Never to the top: the model only sees its window.
			REQUIRE(memblock_reserve(base, (u1 - u0) * UNIT) == 0);
			for (unsigned i = u0; i < u1; i++)
				m.p[i].res = true;
			break;
		case 4:
			REQUIRE(memblock_phys_free(base, size) == 0);
			for (unsigned i = u0; i < end; i++)
				m.p[i].res = false;
			break;
		case 5:
			REQUIRE(memblock_mark_nomap(base, size) == 0);
			for (unsigned i = u0; i < end; i++)
				if (m.p[i].mem)
					m.p[i].flags |= MEMBLOCK_NOMAP;
			break;
		case 6:
			REQUIRE(memblock_clear_nomap(base, size) == 0);
			for (unsigned i = u0; i < end; i++)
				if (m.p[i].mem)
					m.p[i].flags &= ~unsigned{MEMBLOCK_NOMAP};
			break;
		case 7:
			REQUIRE(memblock_set_node(base, size, &memblock.memory, nid) == 0);
			for (unsigned i = u0; i < end; i++)
				if (m.p[i].mem)
					m.p[i].nid = nid;
			break;
		default: {
			const bool bottom_up = rng.below(2);
			const phys_addr_t asize = (1 + rng.below(6)) * UNIT;
			const phys_addr_t align = UNIT << rng.below(4);
			memblock_set_bottom_up(bottom_up);
			const phys_addr_t want = m.alloc(asize, align, bottom_up);
			const phys_addr_t got = memblock_phys_alloc(asize, align);
			REQUIRE(got == want);
			allocs++;
			if (!got) {
				failed_allocs++;
				break;
			}
			for (phys_addr_t a = got; a < got + asize; a += UNIT)
				m.p[(a - MB) / UNIT].res = true;
			break;
		}
		}
		host_take_log(); // overlapping adds with other attributes warn, as in Linux
		check_against(m);
		if (step % 500 == 499) {
			// Keep the window from silting up with reservations.
			REQUIRE(memblock_phys_free(MB, U * UNIT) == 0);
			for (Page &pg : m.p)
				pg.res = false;
		}
	}
	// The run exercised both outcomes of allocation.
	CHECK(allocs > 400);
	CHECK(failed_allocs > 10);
	CHECK(allocs - failed_allocs > 100);
}
