// The vmalloc address-space allocator (mm/vmap_area.cpp) against a reference model: a sorted
// map of busy ranges searched linearly with the same lowest-fit rule. 10^5 random
// allocations and frees (sizes, alignments and offsets mixed, a space small enough to run
// full) must give identical addresses and errors, with the tree's invariants checked.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "mm/vmalloc.h"
#include "tests/host/support/host_support.h"

namespace {

constexpr u64 SPACE_START = 0xffff800010000000ull;

long host_pages_live;
int host_fail_after = -1; // page allocations left before failing (-1: never fail)

void *host_alloc_page()
{
	if (host_fail_after == 0)
		return nullptr;
	if (host_fail_after > 0)
		host_fail_after--;
	void *p = std::aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (p)
		host_pages_live++;
	return p;
}

void host_free_page(void *p)
{
	host_pages_live--;
	std::free(p);
}

constexpr VmapPageSource host_source = {host_alloc_page, host_free_page};

// The model: busy ranges [start, end) keyed by start, searched lowest-first.
struct RefSpace {
	u64 start, end;
	std::map<u64, u64> busy;
	u64 used = 0;

	std::pair<bool, u64> alloc(u64 size, u64 align, u64 off, bool guard)
	{
		u64 span = size + (guard ? PAGE_SIZE : 0);
		u64 need = span + align - PAGE_SIZE;
		u64 prev = start;
		auto try_gap = [&](u64 gs, u64 ge) -> std::pair<bool, u64> {
			if (ge - gs < need)
				return {false, 0};
			u64 a = ((gs + off + align - 1) & ~(align - 1)) - off;
			return {true, a};
		};
		for (auto &[s, e] : busy) {
			auto r = try_gap(prev, s);
			if (r.first) {
				busy[r.second] = r.second + span;
				used += span;
				return r;
			}
			prev = e;
		}
		auto r = try_gap(prev, end);
		if (r.first) {
			busy[r.second] = r.second + span;
			used += span;
		}
		return r;
	}
	void free(u64 s)
	{
		auto it = busy.find(s);
		used -= it->second - it->first;
		busy.erase(it);
	}
	u64 free_bytes() const { return (end - start) - used; }
};

// Upper bound on AVL height for n nodes: 1.4405 log2(n + 2) - 0.3277.
int avl_bound(unsigned long n)
{
	double lg = 0;
	for (double v = double(n + 2); v > 1; v /= 2)
		lg += 1;
	return int(1.4405 * lg) + 1;
}

struct SpaceFixture {
	VmapSpace space;
	explicit SpaceFixture(u64 size) { space.init(SPACE_START, SPACE_START + size, host_source); }
	~SpaceFixture()
	{
		for (vmap_area *v = space.first(); v;) {
			vmap_area *n = space.next(v);
			space.free(v);
			v = n;
		}
	}
};

} // namespace

TEST_CASE("vmalloc space: first fit, guard page, lookup")
{
	host_pages_live = 0;
	{
		SpaceFixture f(64 * SZ_1M);
		VmapSpace &s = f.space;
		auto a = s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr);
		REQUIRE(!a.is_error());
		CHECK(a.value()->va_start == SPACE_START);
		CHECK(a.value()->va_end == SPACE_START + 2 * PAGE_SIZE); // guard page included
		CHECK(get_vm_area_size(&a.value()->vm) == PAGE_SIZE);
		auto b = s.alloc(3 * PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr);
		REQUIRE(!b.is_error());
		CHECK(b.value()->va_start == SPACE_START + 2 * PAGE_SIZE);
		auto c = s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_NO_GUARD | VM_MAP, nullptr);
		REQUIRE(!c.is_error());
		CHECK(c.value()->va_end - c.value()->va_start == PAGE_SIZE);
		CHECK(s.nr_areas() == 3);
		CHECK(s.free_bytes() == 64 * SZ_1M - 7 * PAGE_SIZE);

		// find covers the guard page; find_exact only the start.
		CHECK(s.find(SPACE_START + PAGE_SIZE + 8) == a.value());
		CHECK(s.find(SPACE_START + 5 * PAGE_SIZE) == b.value());
		CHECK(s.find(SPACE_START + 64 * SZ_1M - 1) == nullptr);
		CHECK(s.find(SPACE_START - 1) == nullptr);
		CHECK(s.find_exact(SPACE_START + 2 * PAGE_SIZE) == b.value());
		CHECK(s.find_exact(SPACE_START + 3 * PAGE_SIZE) == nullptr);
		CHECK(s.lower_bound(SPACE_START) == a.value());
		CHECK(s.lower_bound(SPACE_START + 1) == b.value());
		CHECK(s.lower_bound(SPACE_START + 6 * PAGE_SIZE) == c.value());
		CHECK(s.lower_bound(SPACE_START + 6 * PAGE_SIZE + 1) == nullptr);

		// Freeing the middle area makes its hole the first fit for a request that fits.
		s.free(b.value());
		auto d = s.alloc(2 * PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr);
		REQUIRE(!d.is_error());
		CHECK(d.value()->va_start == SPACE_START + 2 * PAGE_SIZE);
		// A request larger than the hole goes after the last area.
		auto e = s.alloc(4 * PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr);
		REQUIRE(!e.is_error());
		CHECK(e.value()->va_start == SPACE_START + 7 * PAGE_SIZE);
		CHECK(s.check_invariants() == 0);

		// In-order iteration.
		std::vector<u64> starts;
		for (vmap_area *v = s.first(); v; v = s.next(v))
			starts.push_back(v->va_start);
		CHECK(starts == std::vector<u64>{SPACE_START, SPACE_START + 2 * PAGE_SIZE, SPACE_START + 6 * PAGE_SIZE,
						  SPACE_START + 7 * PAGE_SIZE});
		for (vmap_area *v = s.first(); v;) {
			vmap_area *n = s.next(v);
			s.free(v);
			v = n;
		}
		CHECK(s.nr_areas() == 0);
		CHECK(s.free_bytes() == 64 * SZ_1M);
		CHECK(s.pool().pages() == 0);
		CHECK(s.check_invariants() == 0);
	}
	CHECK(host_pages_live == 0);
}

TEST_CASE("vmalloc space: alignment with an offset (kernel stacks)")
{
	SpaceFixture f(SZ_1M);
	VmapSpace &s = f.space;
	REQUIRE(!s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr).is_error()); // [0, 8K)
	// Thread stack: 32 KiB reserved starting 16 KiB below a 32 KiB boundary.
	auto st = s.alloc(32 * 1024, 32 * 1024, 16 * 1024, VM_ALLOC, nullptr);
	REQUIRE(!st.is_error());
	u64 a = st.value()->va_start;
	CHECK((a + 16 * 1024) % (32 * 1024) == 0);
	CHECK(a == SPACE_START + 16 * 1024);
	auto al = s.alloc(PAGE_SIZE, 64 * 1024, 0, VM_ALLOC, nullptr);
	REQUIRE(!al.is_error());
	CHECK(al.value()->va_start % (64 * 1024) == 0);
	CHECK(al.value()->va_start == SPACE_START + 64 * 1024);
	CHECK(s.check_invariants() == 0);
}

TEST_CASE("vmalloc space: errors leave the tree unchanged")
{
	host_pages_live = 0;
	{
		SpaceFixture f(16 * PAGE_SIZE);
		VmapSpace &s = f.space;
		CHECK(s.alloc(0, PAGE_SIZE, 0, VM_ALLOC, nullptr).error().code() == Errno::EINVAL);
		CHECK(s.alloc(100, PAGE_SIZE, 0, VM_ALLOC, nullptr).error().code() == Errno::EINVAL);
		CHECK(s.alloc(PAGE_SIZE, 3 * PAGE_SIZE, 0, VM_ALLOC, nullptr).error().code() == Errno::EINVAL);
		CHECK(s.alloc(PAGE_SIZE, 512, 0, VM_ALLOC, nullptr).error().code() == Errno::EINVAL);
		CHECK(s.alloc(PAGE_SIZE, 2 * PAGE_SIZE, 2 * PAGE_SIZE, VM_ALLOC, nullptr).error().code() == Errno::EINVAL);
		CHECK(s.alloc(16 * PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr).error().code() == Errno::ENOSPC);
		CHECK(s.alloc(~u64(0) & ~u64(PAGE_SIZE - 1), PAGE_SIZE, 0, VM_ALLOC, nullptr).error().code() ==
		      Errno::ENOSPC);
		auto full = s.alloc(15 * PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr);
		REQUIRE(!full.is_error());
		CHECK(s.free_bytes() == 0);
		CHECK(s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_NO_GUARD, nullptr).error().code() == Errno::ENOSPC);
		s.free(full.value());

		host_fail_after = 0;
		CHECK(s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr).error().code() == Errno::ENOMEM);
		host_fail_after = -1;
		CHECK(s.nr_areas() == 0);
		CHECK(s.free_bytes() == 16 * PAGE_SIZE);
		CHECK(s.check_invariants() == 0);
	}
	CHECK(host_pages_live == 0);
}

TEST_CASE("vmalloc space: node pool pages come back exactly")
{
	host_pages_live = 0;
	{
		SpaceFixture f(SZ_1G);
		VmapSpace &s = f.space;
		unsigned per = VmapNodePool::nodes_per_page();
		CHECK(per >= 30);
		// Long-lived areas before the "test" (a partial page's worth and more).
		std::vector<vmap_area *> keep;
		for (unsigned i = 0; i < per + per / 2; i++)
			keep.push_back(s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr).value());
		unsigned long pages_before = s.pool().pages();
		CHECK(pages_before == 2);
		Rng rng{42};
		std::vector<vmap_area *> live;
		for (int op = 0; op < 20000; op++) {
			if (live.empty() || rng.below(100) < 55) {
				auto r = s.alloc((1 + rng.below(8)) * PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr);
				REQUIRE(!r.is_error());
				live.push_back(r.value());
			} else {
				usize i = rng.below(live.size());
				s.free(live[i]);
				live[i] = live.back();
				live.pop_back();
			}
			// Free some of the long-lived ones' neighbours too: interleaving in the pages.
		}
		CHECK(s.pool().pages() > pages_before);
		for (vmap_area *v : live)
			s.free(v);
		CHECK(s.pool().pages() == pages_before);
		CHECK(host_pages_live == long(pages_before));
		for (vmap_area *v : keep)
			s.free(v);
		CHECK(s.pool().pages() == 0);
		CHECK(s.check_invariants() == 0);
	}
	CHECK(host_pages_live == 0);
}

TEST_CASE("vmalloc space: 10^5 random operations against the reference model")
{
	host_pages_live = 0;
	{
		const u64 space_size = 256 * SZ_1M;
		SpaceFixture f(space_size);
		VmapSpace &s = f.space;
		RefSpace ref{SPACE_START, SPACE_START + space_size, {}};
		Rng rng{0x5eed1234};
		std::vector<vmap_area *> live;
		unsigned long nospc = 0, max_live = 0;
		int max_height = 0;
		const u64 aligns[] = {PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, 2 * PAGE_SIZE, 8 * PAGE_SIZE, 32 * 1024, SZ_1M};
		for (int op = 0; op < 100000; op++) {
			// Bias towards allocation until the space is mostly used, then balance.
			bool do_alloc = live.empty() || rng.below(100) < (s.free_bytes() > space_size / 4 ? 65u : 45u);
			if (do_alloc) {
				u64 pages = rng.below(10) < 8 ? 1 + rng.below(16) : 1 + rng.below(1024);
				u64 align = aligns[rng.below(sizeof(aligns) / sizeof(aligns[0]))];
				u64 off = align > PAGE_SIZE && rng.below(4) == 0 ? PAGE_SIZE * rng.below(align / PAGE_SIZE) : 0;
				bool guard = rng.below(16) != 0;
				unsigned long flags = VM_ALLOC | (guard ? 0 : VM_NO_GUARD);
				auto r = s.alloc(pages * PAGE_SIZE, align, off, flags, nullptr);
				auto m = ref.alloc(pages * PAGE_SIZE, align, off, guard);
				REQUIRE(r.is_error() == !m.first);
				if (r.is_error()) {
					REQUIRE(r.error().code() == Errno::ENOSPC);
					nospc++;
				} else {
					REQUIRE(r.value()->va_start == m.second);
					REQUIRE((r.value()->va_start + off) % align == 0);
					REQUIRE(r.value()->va_end == m.second + pages * PAGE_SIZE + (guard ? PAGE_SIZE : 0));
					live.push_back(r.value());
				}
			} else {
				usize i = rng.below(live.size());
				vmap_area *v = live[i];
				// Lookup through any address of the area, guard page included.
				u64 probe = v->va_start + rng.below(v->va_end - v->va_start);
				REQUIRE(s.find(probe) == v);
				REQUIRE(ref.busy.count(v->va_start) == 1);
				ref.free(v->va_start);
				s.free(v);
				REQUIRE(s.find(probe) == nullptr);
				live[i] = live.back();
				live.pop_back();
			}
			REQUIRE(s.free_bytes() == ref.free_bytes());
			REQUIRE(s.nr_areas() == live.size());
			max_live = std::max<unsigned long>(max_live, live.size());
			max_height = std::max(max_height, s.height());
			REQUIRE(s.height() <= avl_bound(live.size() + 1));
			if (op % 2000 == 0)
				REQUIRE(s.check_invariants() == 0);
		}
		CHECK(s.check_invariants() == 0);
		MESSAGE("max live areas " << max_live << ", max height " << max_height << ", ENOSPC " << nospc);
		CHECK(nospc > 0); // the space did run full: the search saw every gap shape
		CHECK(max_live > 500);
		for (vmap_area *v : live)
			s.free(v);
		CHECK(s.free_bytes() == space_size);
		CHECK(s.pool().pages() == 0);
		CHECK(s.check_invariants() == 0);
	}
	CHECK(host_pages_live == 0);
}

TEST_CASE("vmalloc space: the walker catches a corrupted gap")
{
	SpaceFixture f(SZ_1M);
	VmapSpace &s = f.space;
	vmap_area *a = s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr).value();
	REQUIRE(!s.alloc(PAGE_SIZE, PAGE_SIZE, 0, VM_ALLOC, nullptr).is_error());
	host_take_log();
	a->gap += PAGE_SIZE;
	CHECK(s.check_invariants() >= 1);
	CHECK(host_take_log().find("records gap") != std::string::npos);
	a->gap -= PAGE_SIZE;
	a->height += 1;
	CHECK(s.check_invariants() >= 1);
	a->height -= 1;
	CHECK(s.check_invariants() == 0);
}

TEST_CASE("vmalloc: /proc/vmallocinfo line format")
{
	char buf[256];
	vm_struct vm{};
	vm.addr = reinterpret_cast<void *>(0xffff800010000000ull);
	vm.size = 3 * PAGE_SIZE;
	vm.flags = VM_ALLOC;
	vm.nr_pages = 2;
	format_vmallocinfo_line(buf, sizeof(buf), &vm);
	CHECK(std::string(buf) == "0xffff800010000000-0xffff800010003000   12288 pages=2 vmalloc");
	vm.flags = VM_IOREMAP;
	vm.nr_pages = 0;
	vm.phys_addr = PhysAddr(0x9000000);
	vm.size = 2 * PAGE_SIZE;
	format_vmallocinfo_line(buf, sizeof(buf), &vm);
	CHECK(std::string(buf) == "0xffff800010000000-0xffff800010002000    8192 phys=0x0000000009000000 ioremap");
}
