// The page cache's index (mm/xarray) against a reference model (std::map): random stores,
// erases and in-order searches over sparse and dense index patterns, with every node freed
// once the array is empty again and ENOMEM leaving the array unchanged.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "mm/slab.h"
#include "mm/slab_active.h"
#include "mm/xarray.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/test_page_alloc.h"

namespace {
struct XaFixture {
	HostMm host{patest::small_config(64 * SZ_1M)};
	XaFixture()
	{
		active_slab::reset_for_test();
		xa_reset_for_test();
		kmem_cache_init();
	}
};

void *entry(unsigned long v) { return reinterpret_cast<void *>((v + 1) << 2); }

void check_model(const xarray &xa, const std::map<unsigned long, void *> &model)
{
	for (auto &[k, v] : model)
		REQUIRE(xa_load(&xa, k) == v);
	// xa_find walks exactly the model's keys in order.
	unsigned long idx = 0;
	auto it = model.begin();
	for (;;) {
		void *e = xa_find(&xa, &idx);
		if (!e) {
			REQUIRE(it == model.end());
			break;
		}
		REQUIRE(it != model.end());
		REQUIRE(idx == it->first);
		REQUIRE(e == it->second);
		++it;
		if (++idx == 0)
			break;
	}
}
} // namespace

TEST_CASE_FIXTURE(XaFixture, "xarray: random operations match a map, and an emptied array frees every node")
{
	std::mt19937_64 rng(42);
	const unsigned long ranges[] = {64, 4096, 1ul << 20, 1ul << 40, ~0ul};
	for (unsigned long range : ranges) {
		xarray xa;
		std::map<unsigned long, void *> model;
		for (int op = 0; op < 4000; op++) {
			unsigned long k = range == ~0ul ? rng() : rng() % range;
			if (rng() % 3) {
				void *old = reinterpret_cast<void *>(1);
				void *e = entry(rng() & 0xffffff);
				REQUIRE(!xa_store(&xa, k, e, GFP_KERNEL, &old).is_error());
				auto m = model.find(k);
				REQUIRE(old == (m == model.end() ? nullptr : m->second));
				model[k] = e;
			} else {
				// Erase either a present key or a random (mostly absent) one.
				if (!model.empty() && rng() % 2) {
					auto m = model.begin();
					std::advance(m, static_cast<long>(rng() % model.size()));
					k = m->first;
				}
				auto m = model.find(k);
				REQUIRE(xa_erase(&xa, k) == (m == model.end() ? nullptr : m->second));
				if (m != model.end())
					model.erase(m);
			}
			if (op % 500 == 0)
				check_model(xa, model);
		}
		check_model(xa, model);
		for (auto &[k, v] : model)
			REQUIRE(xa_erase(&xa, k) == v);
		CHECK(xa_empty(&xa));
		CHECK(xa_nodes_in_use() == 0);
	}
}

TEST_CASE_FIXTURE(XaFixture, "xarray: index 0 alone needs no node; the largest index works; find skips holes")
{
	xarray xa;
	REQUIRE(!xa_store(&xa, 0, entry(1), GFP_KERNEL).is_error());
	CHECK(xa_nodes_in_use() == 0);
	REQUIRE(!xa_store(&xa, ~0ul, entry(2), GFP_KERNEL).is_error());
	CHECK(xa_load(&xa, ~0ul) == entry(2));
	CHECK(xa_load(&xa, 0) == entry(1));
	CHECK(xa_load(&xa, 12345) == nullptr);
	unsigned long idx = 1;
	CHECK(xa_find(&xa, &idx) == entry(2));
	CHECK(idx == ~0ul);
	CHECK(xa_erase(&xa, ~0ul) == entry(2));
	// Shrunk back to a single entry at 0.
	CHECK(xa_nodes_in_use() == 0);
	CHECK(xa_erase(&xa, 0) == entry(1));
	CHECK(xa_empty(&xa));
}
