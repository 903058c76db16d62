// Object allocators on the real buddy allocator over fake RAM. Every TEST_CASE_TEMPLATE runs
// once against SLUB and once against SLOB (one binary, both allocators); the SLUB-only debug
// tests (slub_kunit-style) say why they do not apply to SLOB.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <asm/smp.h>

#include "core/params.h"
#include "mm/page-flags.h"
#include "mm/slab.h"
#include "mm/slab_active.h"
#include "tests/host/test_page_alloc.h"
#include "tests/shared/slub_fastpath_cases.h"

using namespace patest;

namespace {

template <class A> const char *alloc_name() { return A::name; }

// Boots the buddy allocator on 64 MiB (or cfg) and the object allocator A on top; forgets all
// of it on destruction.
template <class A> struct SlabEnv {
	using S = SlabCommon<A>;
	HostMm mm;
	explicit SlabEnv(HostMmConfig cfg = small_config())
		: mm(std::move(cfg))
	{
		slab_nomerge = false;
		slab_errors = 0;
		S::init();
		host_take_log();
	}
	~SlabEnv()
	{
		S::reset_for_test();
		slub::slub_debug_reset();
		slab_nomerge = false;
	}
	void *kmalloc(usize n, gfp_t g = GFP_KERNEL) { return S::kmalloc(n, g, 0x1234); }
	void kfree(const void *p) { S::kfree(p, 0x1234); }
	usize ksize(const void *p) { return S::ksize(p); }
	kmem_cache *create(const char *name, unsigned size, unsigned align = 0, slab_flags_t f = SLAB_NONE,
			   kmem_ctor_t ctor = nullptr)
	{
		return S::create(name, size, align, f, ctor, 0x4321);
	}
	void *alloc(kmem_cache *s, gfp_t g = GFP_KERNEL) { return S::cache_alloc(s, g, 0x1111); }
	void free(kmem_cache *s, void *p) { S::cache_free(s, p, 0x2222); }
	void destroy(kmem_cache *s) { S::destroy(s, 0x3333); }
	// Free pages once every cache gave back its empty slabs and the pcp lists are drained.
	unsigned long settled_free()
	{
		S::shrink_all();
		drain_all_pages(nullptr);
		return page_alloc_ledger_snapshot().free_total;
	}
};

#define BOTH_ALLOCATORS slub::Allocator, slob::Allocator

bool all_bytes(const void *p, usize n, u8 v)
{
	auto *b = static_cast<const u8 *>(p);
	for (usize i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

} // namespace

TEST_CASE_TEMPLATE("slab: boot names the allocator and creates the kmalloc caches", A, BOTH_ALLOCATORS)
{
	host_take_log();
	HostMm mm(small_config());
	SlabCommon<A>::init();
	std::string log = host_take_log();
	if constexpr (std::is_same_v<A, slub::Allocator>) {
		CHECK(log_has(log, "SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs=1, Nodes=1\n"));
		for (const char *n : {"kmalloc-8", "kmalloc-96", "kmalloc-192", "kmalloc-1k", "kmalloc-8k", "dma-kmalloc-64"})
			CHECK_MESSAGE(SlabCommon<A>::find(n) != nullptr, n);
		CHECK(SlabCommon<A>::find("kmalloc-16k") == nullptr);
	} else {
		CHECK(log_has(log, "SLOB: unit=2 bytes"));
		CHECK(SlabCommon<A>::find("kmalloc-64") == nullptr);
	}
	CHECK(SlabCommon<A>::find("kmem_cache") != nullptr);
	SlabCommon<A>::reset_for_test();
}

namespace {
// kmalloc(N) with N a compile-time constant, through the public inline kmalloc.
template <usize N> const kmem_cache *const_kmalloc_cache(gfp_t gfp, bool *zeroed = nullptr)
{
	INFO("constant size ", N, " gfp ", gfp_raw(gfp));
	void *p = gfp_has(gfp, __GFP_ZERO) ? kzalloc(N, gfp & ~__GFP_ZERO) : kmalloc(N, gfp);
	REQUIRE(p != nullptr);
	if (zeroed)
		*zeroed = all_bytes(p, N, 0);
	memset(p, 0xa5, N);
	const page *pg = compound_head(virt_to_page(p));
	const kmem_cache *s = PageSlab(pg) ? pg->slab_cache : nullptr;
	kfree(p);
	return s;
}
template <usize... N> void check_const_kmalloc(std::index_sequence<N...>)
{
	for (gfp_t gfp : {GFP_KERNEL, GFP_KERNEL | GFP_DMA}) {
		const kmem_cache *got[] = {const_kmalloc_cache<N>(gfp)...};
		const usize sizes[] = {N...};
		for (usize i = 0; i < sizeof...(N); i++) {
			INFO("size ", sizes[i], " dma ", gfp_has(gfp, __GFP_DMA));
			CHECK(got[i] == slub::Allocator::kmalloc_cache(sizes[i], gfp));
		}
	}
	// Each object was filled before it was freed, so kzalloc of the same size reuses dirty memory.
	bool zeroed[sizeof...(N)] = {};
	usize i = 0;
	((const_kmalloc_cache<N>(GFP_KERNEL | __GFP_ZERO, &zeroed[i]), i++), ...);
	for (bool z : zeroed)
		CHECK(z);
}
} // namespace

TEST_CASE("slub: kmalloc with a constant size folds the size class and lands in the run-time size's cache")
{
	for (usize size = 1; size <= KMALLOC_MAX_CACHE_SIZE; size++)
		REQUIRE(__kmalloc_index(size) == kmalloc_index(size));
	static_assert(__kmalloc_index(64) == 6 && __kmalloc_index(96) == 1 && __kmalloc_index(192) == 2 &&
		      __kmalloc_index(8192) == 13);
	SlabEnv<slub::Allocator> env(multizone_config()); // ZONE_DMA for the dma-kmalloc caches
	unsigned long live = SlabCommon<slub::Allocator>::total_live_objects();
	check_const_kmalloc(std::index_sequence<1, 8, 9, 24, 64, 65, 96, 97, 128, 129, 192, 193, 256, 1000, 2048, 4096,
						  4097, 8192>{});
	// Sizes the classes do not cover keep the run-time path: 0 and above KMALLOC_MAX_CACHE_SIZE.
	CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	void *big = kmalloc(8193, GFP_KERNEL);
	REQUIRE(big != nullptr);
	CHECK(!PageSlab(virt_to_page(big)));
	CHECK(PageHead(virt_to_page(big)));
	kfree(big);
	CHECK(SlabCommon<slub::Allocator>::total_live_objects() == live);
	CHECK(slab_errors == 0);
}

TEST_CASE("slab: size classes follow Linux's kmalloc_info")
{
	CHECK(kmalloc_index(1) == 3);
	CHECK(kmalloc_index(8) == 3);
	CHECK(kmalloc_index(9) == 4);
	CHECK(kmalloc_index(64) == 6);
	CHECK(kmalloc_index(65) == 1); // kmalloc-96
	CHECK(kmalloc_index(96) == 1);
	CHECK(kmalloc_index(97) == 7);
	CHECK(kmalloc_index(129) == 2); // kmalloc-192
	CHECK(kmalloc_index(192) == 2);
	CHECK(kmalloc_index(193) == 8);
	CHECK(kmalloc_index(4096) == 12);
	CHECK(kmalloc_index(4097) == 13);
	CHECK(kmalloc_index(8192) == 13);
	CHECK(std::string(kmalloc_cache_name(13, false)) == "kmalloc-8k");
	CHECK(std::string(kmalloc_cache_name(1, true)) == "dma-kmalloc-96");
	for (usize s = 1; s <= 8192; s++) {
		unsigned cls = kmalloc_index_size(kmalloc_index(s));
		REQUIRE(cls >= s);
		// The class is the smallest that fits.
		for (unsigned i = 1; i <= 13; i++)
			if (i == 1 || i == 2 || i >= 3)
				if (kmalloc_index_size(i) >= s)
					REQUIRE(kmalloc_index_size(i) >= cls);
	}
}

TEST_CASE_TEMPLATE("slab: every kmalloc size alloc/free/ksize, alignment, large requests", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	unsigned long start = env.settled_free();
	unsigned long live = SlabCommon<A>::total_live_objects(); // the caches' own descriptors
	for (usize size = 1; size <= 8192; size += size < 256 ? 1 : 61) {
		void *p = env.kmalloc(size);
		REQUIRE(p != nullptr);
		usize ks = env.ksize(p);
		REQUIRE(ks >= size);
		if constexpr (std::is_same_v<A, slub::Allocator>)
			REQUIRE(ks == kmalloc_index_size(kmalloc_index(size)));
		else if (size < PAGE_SIZE - ARCH_KMALLOC_MINALIGN)
			REQUIRE(ks < size + 2); // whole 2-byte units
		else
			REQUIRE(ks == kstd::roundup_pow_of_two(size)); // pages
		REQUIRE(reinterpret_cast<uptr>(p) % 8 == 0);
		memset(p, 0xa7, ks); // the whole ksize is usable
		env.kfree(p);
	}
	for (usize size = 8; size <= 8192; size *= 2) {
		void *p = env.kmalloc(size);
		REQUIRE(p != nullptr);
		CHECK_MESSAGE(reinterpret_cast<uptr>(p) % size == 0, "power-of-two kmalloc is naturally aligned: ", size);
		env.kfree(p);
	}
	// Above the size classes (and SLOB's page limit): compound pages from the buddy.
	for (usize size : {usize(8193), usize(16384), usize(100000), usize(SZ_1M), usize(PAGE_SIZE)}) {
		void *p = env.kmalloc(size);
		REQUIRE(p != nullptr);
		page *pg = virt_to_page(p);
		if (size > 8192) {
			CHECK(PageHead(pg));
			CHECK(env.ksize(p) == PAGE_SIZE << compound_order(pg));
		}
		CHECK(env.ksize(p) >= size);
		memset(p, 1, size);
		env.kfree(p);
	}
	CHECK(env.kmalloc(0) == ZERO_SIZE_PTR);
	env.kfree(ZERO_SIZE_PTR);
	env.kfree(nullptr);
	CHECK(env.ksize(ZERO_SIZE_PTR) == 0);
	CHECK(env.kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN) == nullptr);
	CHECK(env.settled_free() == start);
	CHECK(SlabCommon<A>::total_live_objects() == live);
}

TEST_CASE_TEMPLATE("slab: GFP_DMA and SLAB_CACHE_DMA take ZONE_DMA pages; SLAB_RECLAIM_ACCOUNT reclaimable ones", A,
		   BOTH_ALLOCATORS)
{
	SlabEnv<A> env(multizone_config());
	std::vector<void *> v;
	for (usize size : {usize(24), usize(700), usize(3000), usize(20000)}) {
		void *p = env.kmalloc(size, GFP_KERNEL | GFP_DMA);
		REQUIRE(p != nullptr);
		CHECK(page_zonenum(virt_to_page(p)) == ZONE_DMA);
		v.push_back(p);
		void *q = env.kmalloc(size, GFP_KERNEL);
		REQUIRE(q != nullptr);
		CHECK(page_zonenum(virt_to_page(q)) != ZONE_DMA);
		v.push_back(q);
	}
	kmem_cache *d = env.create("dma-objs", 100, 0, SLAB_CACHE_DMA);
	REQUIRE(d != nullptr);
	void *o = env.alloc(d);
	REQUIRE(o != nullptr);
	CHECK(page_zonenum(virt_to_page(o)) == ZONE_DMA);
	env.free(d, o);
	env.destroy(d);
	kmem_cache *r = env.create("reclaimable-objs", 200, 0, SLAB_RECLAIM_ACCOUNT);
	REQUIRE(r != nullptr);
	void *ro = env.alloc(r);
	REQUIRE(ro != nullptr);
	CHECK(get_pageblock_migratetype(virt_to_page(ro)) == MIGRATE_RECLAIMABLE);
	env.free(r, ro);
	env.destroy(r);
	for (void *p : v)
		env.kfree(p);
}

TEST_CASE_TEMPLATE("slab: __GFP_ZERO, kzalloc and kmem_cache_zalloc return zeroed memory", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	for (usize size : {usize(8), usize(40), usize(96), usize(192), usize(1000), usize(4096), usize(9000)}) {
		// Dirty the memory first so zeroing is observable.
		std::vector<void *> dirty;
		for (int i = 0; i < 8; i++) {
			void *p = env.kmalloc(size);
			REQUIRE(p);
			memset(p, 0xee, size);
			dirty.push_back(p);
		}
		for (void *p : dirty)
			env.kfree(p);
		for (int i = 0; i < 8; i++) {
			void *p = env.kmalloc(size, GFP_KERNEL | __GFP_ZERO);
			REQUIRE(p);
			CHECK(all_bytes(p, size, 0));
			dirty[i] = p;
		}
		for (void *p : dirty)
			env.kfree(p);
	}
	kmem_cache *s = env.create("zero-test", 72);
	REQUIRE(s);
	void *a = env.alloc(s);
	memset(a, 0x55, 72);
	env.free(s, a);
	void *b = env.alloc(s, GFP_KERNEL | __GFP_ZERO);
	CHECK(all_bytes(b, 72, 0));
	env.free(s, b);
	env.destroy(s);
}

static void ctor_pattern(void *p) { memset(p, 0x3c, 40); }

TEST_CASE_TEMPLATE("slab: constructors run on objects before they are handed out", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	kmem_cache *s = env.create("ctor-test", 40, 0, SLAB_NONE, ctor_pattern);
	REQUIRE(s);
	std::vector<void *> v;
	for (int i = 0; i < 300; i++) {
		void *p = env.alloc(s);
		REQUIRE(p);
		CHECK(all_bytes(p, 40, 0x3c));
		v.push_back(p);
	}
	// Objects go back in their constructed state (the ctor contract); they come out so again.
	for (void *p : v)
		env.free(s, p);
	for (int i = 0; i < 300; i++) {
		v[i] = env.alloc(s);
		CHECK(all_bytes(v[i], 40, 0x3c));
	}
	for (void *p : v)
		env.free(s, p);
	env.destroy(s);
	CHECK(SlabCommon<A>::find("ctor-test") == nullptr);
}

TEST_CASE_TEMPLATE("slab: krealloc grows and shrinks keeping the content; kcalloc checks overflow", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	using S = SlabCommon<A>;
	unsigned long start = env.settled_free();
	u8 *p = static_cast<u8 *>(env.kmalloc(10));
	for (int i = 0; i < 10; i++)
		p[i] = static_cast<u8>(i + 1);
	usize sizes[] = {50, 200, 1500, 5000, 20000, 100000, 3000, 33, 5};
	usize have = 10;
	for (usize n : sizes) {
		u8 *q = static_cast<u8 *>(S::krealloc(p, n, GFP_KERNEL, 1));
		REQUIRE(q != nullptr);
		usize keep = std::min(have, n);
		for (usize i = 0; i < keep; i++)
			REQUIRE(q[i] == static_cast<u8>(i < 10 ? i + 1 : (i * 7) & 0xff));
		for (usize i = 10; i < n; i++)
			q[i] = static_cast<u8>((i * 7) & 0xff);
		if (n <= have)
			CHECK(q == p); // shrinking keeps the object
		p = q;
		have = n;
	}
	CHECK(S::krealloc(p, 0, GFP_KERNEL, 1) == ZERO_SIZE_PTR);
	void *fresh = S::krealloc(nullptr, 64, GFP_KERNEL, 1);
	REQUIRE(fresh);
	env.kfree(fresh);
	// Overflow of n * size gives nullptr, never a short buffer.
	CHECK(S::kcalloc(~usize{0} / 2, 4, GFP_KERNEL, 1) == nullptr);
	CHECK(S::kcalloc(usize{1} << 33, usize{1} << 31, GFP_KERNEL, 1) == nullptr);
	auto *z = static_cast<u32 *>(S::kcalloc(100, 4, GFP_KERNEL, 1));
	REQUIRE(z);
	CHECK(all_bytes(z, 400, 0));
	env.kfree(z);
	char *d = S::kstrdup("dup me", GFP_KERNEL, 1);
	CHECK(std::string(d) == "dup me");
	env.kfree(d);
	CHECK(env.settled_free() == start);
}

TEST_CASE_TEMPLATE("slab: churn over 32 random caches, then the ledger is exact", A, BOTH_ALLOCATORS)
{
	// 10^6 operations per allocator take ~8 s under ASan; the host runs 300000 (fixed seed), the
	// target suite the full 10^6.
	constexpr unsigned OPS = 300000;
	SlabEnv<A> env(small_config(128 * SZ_1M));
	std::mt19937_64 rng(0x51ab);
	unsigned long start_free = env.settled_free();
	unsigned long start_live = SlabCommon<A>::total_live_objects();
	std::map<kmem_cache *, unsigned long> start_per_cache;
	list_for_each(pos, &SlabCommon<A>::caches) {
		kmem_cache *s = list_entry(pos, kmem_cache, list);
		start_per_cache[s] = SlabCommon<A>::live_objects(s);
	}
	struct C {
		kmem_cache *s;
		unsigned size;
		std::vector<void *> objs;
	};
	std::vector<C> caches;
	for (int i = 0; i < 32; i++) {
		unsigned size = 8 + static_cast<unsigned>(rng() % (4096 - 8 + 1));
		unsigned align = (rng() % 4 == 0) ? 1u << (3 + rng() % 4) : 0;
		slab_flags_t f = rng() % 3 == 0 ? SLAB_HWCACHE_ALIGN : SLAB_NONE;
		std::string name = "churn-" + std::to_string(i);
		kmem_cache *s = env.create(name.c_str(), size, align, f);
		REQUIRE(s);
		caches.push_back({s, size, {}});
	}
	std::vector<std::pair<void *, usize>> kobjs;
	auto stamp = [](void *p, usize size) {
		u64 v = reinterpret_cast<u64>(p) * 0x9e3779b97f4a7c15ull;
		memcpy(p, &v, std::min<usize>(8, size));
		if (size > 8)
			static_cast<u8 *>(p)[size - 1] = static_cast<u8>(v >> 56);
	};
	auto check = [](void *p, usize size) {
		u64 v = reinterpret_cast<u64>(p) * 0x9e3779b97f4a7c15ull, got = 0;
		memcpy(&got, p, std::min<usize>(8, size));
		u64 want = size >= 8 ? v : v & ((u64{1} << (8 * size)) - 1);
		return got == want && (size <= 8 || static_cast<u8 *>(p)[size - 1] == static_cast<u8>(v >> 56));
	};
	bool ok = true;
	unsigned op = 0;
	std::string why;
	for (; op < OPS && ok; op++) {
		unsigned r = static_cast<unsigned>(rng() % 100);
		if (r < 80) {
			C &c = caches[rng() % caches.size()];
			if ((rng() % 100) < 52 && c.objs.size() < 400) {
				void *p = env.alloc(c.s);
				if (!p) {
					ok = false;
					why = "cache allocation failed";
					break;
				}
				stamp(p, c.size);
				c.objs.push_back(p);
			} else if (!c.objs.empty()) {
				usize i = rng() % c.objs.size();
				if (!check(c.objs[i], c.size)) {
					ok = false;
					why = "cache object stamp changed";
				}
				env.free(c.s, c.objs[i]);
				c.objs[i] = c.objs.back();
				c.objs.pop_back();
			}
		} else {
			if ((rng() % 100) < 52 && kobjs.size() < 2000) {
				usize size = 1 + rng() % (rng() % 10 == 0 ? 20000 : 2048);
				void *p = env.kmalloc(size);
				if (!p) {
					ok = false;
					why = "kmalloc failed";
					break;
				}
				stamp(p, size);
				kobjs.push_back({p, size});
			} else if (!kobjs.empty()) {
				usize i = rng() % kobjs.size();
				if (!check(kobjs[i].first, kobjs[i].second)) {
					ok = false;
					why = "kmalloc object stamp changed";
				}
				env.kfree(kobjs[i].first);
				kobjs[i] = kobjs.back();
				kobjs.pop_back();
			}
		}
	}
	INFO("operation ", op, ": ", why);
	REQUIRE(ok);
	for (auto &[p, size] : kobjs) {
		REQUIRE(check(p, size));
		env.kfree(p);
	}
	// Per cache: SLUB may have merged churn caches with each other or into kmalloc-N, so the
	// expected count of a kmem_cache is the sum over its aliases plus what it held before.
	std::map<kmem_cache *, unsigned long> expect;
	for (C &c : caches)
		expect[c.s] += c.objs.size();
	for (auto &[s, n] : expect) {
		auto it = start_per_cache.find(s);
		CHECK(SlabCommon<A>::live_objects(s) == n + (it == start_per_cache.end() ? 0 : it->second));
	}
	for (C &c : caches) {
		for (void *p : c.objs) {
			REQUIRE(check(p, c.size));
			env.free(c.s, p);
		}
		c.objs.clear();
	}
	for (auto &[s, n] : expect) {
		auto it = start_per_cache.find(s);
		CHECK(SlabCommon<A>::live_objects(s) == (it == start_per_cache.end() ? 0 : it->second));
		if constexpr (std::is_same_v<A, slub::Allocator>) {
			// validate walks every slab; what it finds wrong counts in slab_errors.
			auto errors = slab_errors;
			slabinfo si{};
			long slabs = SlabCommon<A>::validate(s);
			slub::Allocator::get_slabinfo(s, si);
			CHECK(slab_errors == errors);
			CHECK(slabs == static_cast<long>(si.num_slabs));
		}
	}
	for (C &c : caches)
		env.destroy(c.s);
	CHECK(slab_errors == 0);
	CHECK(SlabCommon<A>::total_live_objects() == start_live);
	CHECK(env.settled_free() == start_free);
	CHECK(page_alloc_ledger_snapshot().bad_pages == 0);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE_TEMPLATE("slab: kmem_cache_destroy with live objects reports and keeps the cache", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	kmem_cache *s = env.create("leaky", 48, 0, SLAB_STORE_USER);
	REQUIRE(s);
	void *a = env.alloc(s), *b = env.alloc(s), *c = env.alloc(s);
	env.free(s, b);
	host_take_log();
	SlabCommon<A>::destroy(s, 0x7777);
	std::string log = host_take_log();
	CHECK(log_has(log, "kmem_cache_destroy leaky: Slab cache still has objects when called from 0x7777"));
	CHECK(log_has(log, "kmem_cache_destroy leaky: 2 objects in use"));
	if constexpr (std::is_same_v<A, slub::Allocator>) {
		CHECK(log_has(log, "BUG leaky (Not tainted): Objects remaining in leaky on __kmem_cache_shutdown()"));
		CHECK(log_has(log, "Allocated in 0x1111"));
	}
	// Still there, still usable.
	CHECK(SlabCommon<A>::find("leaky") == s);
	CHECK(SlabCommon<A>::live_objects(s) == 2);
	env.free(s, a);
	env.free(s, c);
	host_take_log();
	env.destroy(s);
	CHECK(!log_has(host_take_log(), "still has objects"));
	CHECK(SlabCommon<A>::find("leaky") == nullptr);
}

TEST_CASE_TEMPLATE("slab: kmem_cache_create rejects bad arguments; SLAB_PANIC panics", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	CHECK(env.create(nullptr, 32) == nullptr);
	CHECK(env.create("zero", 0) == nullptr);
	CHECK(env.create("odd-align", 32, 24) == nullptr);
	CHECK(env.create("huge", unsigned(KMALLOC_MAX_SIZE + 1)) == nullptr);
	CHECK(env.create("bad-flags", 32, 0, slab_flags_t(0x1)) == nullptr);
	CHECK(log_has(host_take_log(), "kmem_cache_create(odd-align): invalid arguments"));
	CHECK_THROWS_AS(env.create("zero-panic", 0, 0, SLAB_PANIC), HostPanic);
	// HWCACHE_ALIGN: a line for big objects, halved for small ones (Linux).
	kmem_cache *big = env.create("hw-big", 100, 0, SLAB_HWCACHE_ALIGN);
	kmem_cache *small = env.create("hw-small", 20, 0, SLAB_HWCACHE_ALIGN);
	REQUIRE(big);
	REQUIRE(small);
	// (SLUB may have merged them into kmalloc-128/32, which are at least as aligned.)
	CHECK(big->align % 64 == 0);
	CHECK(small->align % 32 == 0);
	CHECK(small->align < 64);
	for (int i = 0; i < 50; i++) {
		void *p = env.alloc(big);
		CHECK(reinterpret_cast<uptr>(p) % 64 == 0);
		env.free(big, p);
	}
	env.destroy(big);
	env.destroy(small);
}

static std::string slabinfo_out;
static int slabinfo_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	slabinfo_out += buf;
	return n;
}

TEST_CASE_TEMPLATE("slab: slabinfo prints /proc/slabinfo version 2.1", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	kmem_cache *s = env.create("info-test", 128, 0, SLAB_RECLAIM_ACCOUNT);
	std::vector<void *> v;
	for (int i = 0; i < 10; i++)
		v.push_back(env.alloc(s));
	host_take_log();
	slabinfo_out.clear();
	SlabCommon<A>::slabinfo_show(slabinfo_printf);
	const std::string &out = slabinfo_out;
	CHECK(out.rfind("slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> "
			"<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> "
			"<num_slabs> <sharedavail>\n",
			0) == 0);
	if constexpr (std::is_same_v<A, slub::Allocator>)
		// 10 objects active (the frozen slab counts as active), 32 per order-0 slab.
		CHECK(log_has(out, "info-test             32     32    128   32    1 : tunables    0    0    0 : slabdata      1      1      0\n"));
	else
		CHECK(log_has(out, "info-test             10     10    128   32    1 : tunables    0    0    0 : slabdata      0      0      0\n"));
	for (void *p : v)
		env.free(s, p);
	env.destroy(s);
}

// --- SLUB specifics -------------------------------------------------------------------------------

TEST_CASE("slub: compatible caches merge into existing ones unless slab_nomerge")
{
	SlabEnv<slub::Allocator> env;
	kmem_cache *k64 = slub::Allocator::kmalloc_cache(64, GFP_KERNEL);
	kmem_cache *a = env.create("merge-me", 60);
	CHECK(a == k64);
	CHECK(log_has(host_take_log(), "SLUB: cache merge-me merged into kmalloc-64 (alias)"));
	void *p = env.alloc(a);
	CHECK(env.ksize(p) == 64);
	env.free(a, p);
	env.destroy(a); // drops the alias only
	CHECK(SlabCommon<slub::Allocator>::find("kmalloc-64") == k64);
	kmem_cache *c = env.create("with-ctor", 60, 0, SLAB_NONE, ctor_pattern);
	CHECK(c != k64);
	kmem_cache *d = env.create("debug", 60, 0, SLAB_RED_ZONE);
	CHECK(d != k64);
	kmem_cache *r = env.create("rcl", 60, 0, SLAB_RECLAIM_ACCOUNT);
	CHECK(r != k64);
	kmem_cache *r2 = env.create("rcl2", 64, 0, SLAB_RECLAIM_ACCOUNT);
	CHECK(r2 == r);
	env.destroy(r2);
	env.destroy(r);
	env.destroy(c);
	env.destroy(d);
	slab_nomerge = true;
	kmem_cache *e = env.create("no-merge", 64);
	CHECK(e != k64);
	env.destroy(e);
}

TEST_CASE("slub: calculate_order and layout follow Linux")
{
	SlabEnv<slub::Allocator> env;
	slabinfo si{};
	slub::Allocator::get_slabinfo(slub::Allocator::kmalloc_cache(8, GFP_KERNEL), si);
	CHECK(si.cache_order == 0);
	CHECK(si.objects_per_slab == 512);
	si = {};
	slub::Allocator::get_slabinfo(slub::Allocator::kmalloc_cache(1024, GFP_KERNEL), si);
	CHECK(si.cache_order == 1); // min_objects 8: two pages hold 8
	si = {};
	slub::Allocator::get_slabinfo(slub::Allocator::kmalloc_cache(8192, GFP_KERNEL), si);
	CHECK(si.cache_order == 3);
	CHECK(si.objects_per_slab == 4);
	// The free pointer sits mid-object without debugging, after the object with poisoning.
	CHECK(slub::Allocator::free_pointer_offset(slub::Allocator::kmalloc_cache(64, GFP_KERNEL)) == 32);
	kmem_cache *p = env.create("poisoned", 64, 0, SLAB_POISON);
	CHECK(slub::Allocator::free_pointer_offset(p) == 64);
	env.destroy(p);
}

TEST_CASE("slub: an immediate double free is a BUG even without debugging")
{
	SlabEnv<slub::Allocator> env;
	void *p = env.kmalloc(64);
	env.kfree(p);
	CHECK_THROWS_AS(env.kfree(p), HostPanic);
}

// slub_kunit (Linux 6.1 lib/slub_kunit.c) on caches created with debug flags.
namespace {
struct DebugEnv : SlabEnv<slub::Allocator> {
	long validate(kmem_cache *s) { return SlabCommon<slub::Allocator>::validate(s); }
};
} // namespace

TEST_CASE("slub_kunit: test_clobber_zone: a clobbered right red zone is 2 errors")
{
	DebugEnv env;
	kmem_cache *s = env.create("TestSlub_RZ_alloc", 64, 0, SLAB_RED_ZONE);
	u8 *p = static_cast<u8 *>(env.alloc(s));
	p[64] = 0x12;
	host_take_log();
	env.validate(s);
	CHECK(slab_errors == 2);
	std::string log = host_take_log();
	CHECK(log_has(log, "=============================================================================\n"
			   "BUG TestSlub_RZ_alloc (Not tainted): Right Redzone overwritten\n"
			   "-----------------------------------------------------------------------------\n\n"));
	CHECK(log_has(log, "@offset="));
	CHECK(log_has(log, ". First byte 0x12 instead of 0xcc\n"));
	CHECK(log_has(log, "FIX TestSlub_RZ_alloc: Restoring Right Redzone 0x"));
	slab_errors = 0;
	env.free(s, p);
	CHECK(slab_errors == 0);
	env.destroy(s);
}

TEST_CASE("slub_kunit: test_next_pointer: a corrupted free pointer is 3, then 2, then 0 errors")
{
	DebugEnv env;
	kmem_cache *s = env.create("TestSlub_next_ptr_free", 64, 0, SLAB_POISON);
	u8 *p = static_cast<u8 *>(env.alloc(s));
	env.free(s, p);
	unsigned off = slub::Allocator::free_pointer_offset(s);
	unsigned long tmp;
	memcpy(&tmp, p + off, sizeof(tmp));
	// Flip the lowest bit: the decoded pointer is then misaligned, never a valid object,
	// whatever the per-cache random is. (slub_kunit writes 0x12 over the low byte, which with a
	// hardened freelist can by chance still decode to a valid object and change the counts.)
	p[off] ^= 0x01;
	host_take_log();
	env.validate(s);
	CHECK(slab_errors == 3); // freechain corrupt, wrong object count, fix
	std::string log = host_take_log();
	CHECK(log_has(log, "BUG TestSlub_next_ptr_free (Not tainted): Freechain corrupt\n"));
	CHECK(log_has(log, "Wrong object count. Counter is"));
	memcpy(p + off, &tmp, sizeof(tmp));
	slab_errors = 0;
	env.validate(s);
	CHECK(slab_errors == 2); // the count repaired above is wrong for the repaired chain
	slab_errors = 0;
	env.validate(s);
	CHECK(slab_errors == 0);
	env.destroy(s);
}

TEST_CASE("slub_kunit: test_first_word / test_clobber_50th_byte: write after free is 2 errors")
{
	DebugEnv env;
	for (unsigned where : {0u, 50u}) {
		kmem_cache *s = env.create(where ? "TestSlub_50th_word_free" : "TestSlub_1th_word_free", 64, 0, SLAB_POISON);
		u8 *p = static_cast<u8 *>(env.alloc(s));
		env.free(s, p);
		// A use-after-free read sees the poison.
		CHECK(p[where] == POISON_FREE);
		CHECK(p[63] == POISON_END);
		p[where] = 0x9a;
		slab_errors = 0;
		host_take_log();
		env.validate(s);
		CHECK(slab_errors == 2);
		CHECK(log_has(host_take_log(), "Poison overwritten"));
		env.destroy(s);
	}
}

TEST_CASE("slub_kunit: test_clobber_redzone_free: a red zone clobbered after free is 2 errors")
{
	DebugEnv env;
	kmem_cache *s = env.create("TestSlub_RZ_free", 64, 0, SLAB_RED_ZONE);
	u8 *p = static_cast<u8 *>(env.alloc(s));
	env.free(s, p);
	p[64] = 0xab;
	env.validate(s);
	CHECK(slab_errors == 2);
	env.destroy(s);
}

TEST_CASE("slub: debug double free and bad pointers are reported, not freed")
{
	DebugEnv env;
	kmem_cache *s = env.create("TestSlub_double_free", 64, 0,
				   SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER);
	u8 *p = static_cast<u8 *>(env.alloc(s));
	u8 *q = static_cast<u8 *>(env.alloc(s));
	env.free(s, p);
	host_take_log();
	env.free(s, p);
	CHECK(slab_errors == 2); // "Object already free" + "Object at ... not freed"
	std::string log = host_take_log();
	CHECK(log_has(log, "BUG TestSlub_double_free (Not tainted): Object already free\n"));
	CHECK(log_has(log, "Allocated in 0x1111"));
	CHECK(log_has(log, "Freed in 0x2222"));
	CHECK(log_has(log, "FIX TestSlub_double_free: Object at 0x"));
	slab_errors = 0;
	env.free(s, q + 8); // not an object start
	CHECK(slab_errors == 2);
	CHECK(log_has(host_take_log(), "Invalid object pointer 0x"));
	slab_errors = 0;
	// A write past the end of a live object is caught at free (red zone), the object kept.
	q[70] = 0;
	env.free(s, q);
	CHECK(slab_errors == 3); // Right Redzone overwritten, restored, not freed
	slab_errors = 0;
	env.free(s, q); // the repaired object frees cleanly now
	CHECK(slab_errors == 0);
	CHECK(env.validate(s) == 1);
	CHECK(slab_errors == 0);
	env.destroy(s);
}

TEST_CASE("slub: write after free is caught on the next allocation with consistency checks")
{
	DebugEnv env;
	kmem_cache *s = env.create("TestSlub_uaf", 32, 0, SLAB_CONSISTENCY_CHECKS | SLAB_POISON);
	u8 *p = static_cast<u8 *>(env.alloc(s));
	env.free(s, p);
	p[3] = 0;
	host_take_log();
	u8 *q = static_cast<u8 *>(env.alloc(s));
	REQUIRE(q != nullptr);
	CHECK(q != p); // the slab was taken out of use
	CHECK(slab_errors == 3); // poison overwritten, restored, all objects marked used
	CHECK(log_has(host_take_log(), "FIX TestSlub_uaf: Marking all objects used"));
	env.free(s, q);
}

TEST_CASE("slub: slub_debug= selects flags and caches at creation")
{
	SlabEnv<slub::Allocator> env;
	REQUIRE(!slub::setup_slub_debug("FZ,dbg-*").is_error());
	kmem_cache *a = env.create("dbg-one", 64);
	kmem_cache *b = env.create("other", 64);
	CHECK(slab_flags_has(a->flags, SLAB_RED_ZONE));
	CHECK(slab_flags_has(a->flags, SLAB_CONSISTENCY_CHECKS));
	CHECK(!slab_flags_has(a->flags, SLAB_POISON));
	CHECK(b == slub::Allocator::kmalloc_cache(64, GFP_KERNEL)); // merged: not selected
	u8 *p = static_cast<u8 *>(env.alloc(a));
	p[64] = 1;
	env.free(a, p);
	CHECK(slab_errors == 3);
	env.free(a, p); // repaired by the report: frees now
	CHECK(slab_errors == 3);
	env.destroy(a);
	env.destroy(b);
	REQUIRE(!slub::setup_slub_debug(nullptr).is_error());
	kmem_cache *c = env.create("all-debug", 64);
	CHECK(slab_flags_has(c->flags, SLAB_STORE_USER | SLAB_POISON));
	env.destroy(c);
	// Self-tests opt out with SLAB_NO_USER_FLAGS.
	kmem_cache *n = env.create("no-user-flags", 48, 0, SLAB_NO_USER_FLAGS | SLAB_RECLAIM_ACCOUNT);
	REQUIRE(n);
	CHECK(!slab_flags_has(n->flags, SLAB_DEBUG_FLAGS));
	env.destroy(n);
	REQUIRE(!slub::setup_slub_debug("-").is_error());
	host_take_log();
	REQUIRE(!slub::setup_slub_debug("Fx").is_error());
	CHECK(log_has(host_take_log(), "slub_debug option 'x' unknown. skipped"));
}

TEST_CASE("slob: debug checks do not apply")
{
	// SLOB (Linux's too) keeps no per-object metadata: red zones, poisoning, call sites and
	// validate are SLUB features. The flags are accepted and ignored.
	SlabEnv<slob::Allocator> env;
	kmem_cache *s = env.create("slob-debug-flags", 64, 0, SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER);
	REQUIRE(s);
	void *p = env.alloc(s);
	CHECK(SlabCommon<slob::Allocator>::validate(s) == 0);
	env.free(s, p);
	env.destroy(s);
	CHECK(slab_errors == 0);
}

TEST_CASE("slob: free blocks coalesce and an empty page returns to the buddy")
{
	SlabEnv<slob::Allocator> env;
	unsigned long start = env.settled_free();
	unsigned long pages0 = slob::Allocator::pages_in_use();
	std::vector<void *> v;
	for (int i = 0; i < 100; i++)
		v.push_back(env.kmalloc(30));
	CHECK(slob::Allocator::pages_in_use() == pages0 + 1); // 100 * (30 + 8) bytes fit one page
	// Free every other object, then the rest: the holes merge back into one free page.
	for (int i = 0; i < 100; i += 2)
		env.kfree(v[i]);
	void *big = env.kmalloc(1500);
	CHECK(slob::Allocator::pages_in_use() == pages0 + 2); // no 1500-byte hole exists
	for (int i = 1; i < 100; i += 2)
		env.kfree(v[i]);
	env.kfree(big);
	CHECK(slob::Allocator::pages_in_use() == pages0);
	CHECK(env.settled_free() == start);
}

TEST_CASE_TEMPLATE("slab: caches of page-sized and larger objects", A, BOTH_ALLOCATORS)
{
	SlabEnv<A> env;
	unsigned long start = env.settled_free();
	for (unsigned size : {4096u, 5000u, 12000u, 40000u}) {
		kmem_cache *s = env.create("big-objects", size, 0, SLAB_RECLAIM_ACCOUNT);
		REQUIRE(s);
		std::vector<void *> v;
		for (int i = 0; i < 20; i++) {
			void *p = env.alloc(s);
			REQUIRE(p);
			memset(p, i, size);
			v.push_back(p);
		}
		for (int i = 0; i < 20; i++) {
			CHECK(all_bytes(v[i], size, static_cast<u8>(i)));
			env.free(s, v[i]);
		}
		env.destroy(s);
	}
	CHECK(env.settled_free() == start);
	CHECK_PAGE_ALLOC_CLEAN();
}

TEST_CASE("slub: debug caches never use the per-CPU freelist, also through kmalloc(constant)")
{
	// slub_debug= is read when the kmalloc caches are created, i.e. before the env boots.
	REQUIRE(!slub::setup_slub_debug("FZ,kmalloc-64").is_error());
	SlabEnv<slub::Allocator> env;
	auto *k64 = static_cast<slub::cache *>(slub::Allocator::kmalloc_cache(64, GFP_KERNEL));
	REQUIRE(slab_flags_has(k64->flags, SLAB_RED_ZONE | SLAB_CONSISTENCY_CHECKS));
	std::vector<void *> v;
	for (int i = 0; i < 40; i++)
		v.push_back(kmalloc(64, GFP_KERNEL)); // constant size: the inline kmalloc's path
	for (void *p : v)
		kfree(p);
	for (const auto &c : k64->cpu_slab) {
		CHECK(c.slab == nullptr);
		CHECK(c.freelist == nullptr);
	}
	CHECK(slab_errors == 0);
	// So every free is checked: a red zone overrun and a double free that is not at the head
	// of any list are both reported (the fast path would catch neither).
	u8 *p = static_cast<u8 *>(kmalloc(64, GFP_KERNEL));
	u8 *q = static_cast<u8 *>(kmalloc(64, GFP_KERNEL));
	p[64] = 0x42;
	kfree(p);
	CHECK(slab_errors == 3); // Right Redzone overwritten, restored, not freed
	CHECK(log_has(host_take_log(), "BUG kmalloc-64 (Not tainted): Right Redzone overwritten"));
	slab_errors = 0;
	kfree(p);
	kfree(q);
	kfree(p);
	CHECK(slab_errors == 2); // "Object already free" + "not freed"
	CHECK(log_has(host_take_log(), "Object already free"));
	slab_errors = 0;
	// A cache slub_debug= did not select keeps the fast path: its CPU slab is frozen.
	void *r = kmalloc(128, GFP_KERNEL);
	auto *k128 = static_cast<slub::cache *>(slub::Allocator::kmalloc_cache(128, GFP_KERNEL));
	CHECK(k128->cpu_slab[smp_processor_id()].slab != nullptr);
	kfree(r);
	CHECK(slab_errors == 0);
}

// SLUB's fast paths case by case (tests/shared/slub_fastpath_cases.h), here against the C
// cpu_freelist_pop/push; tests/target/slub_fastpath_test.cpp runs the same cases on the asm.
namespace {
struct HostFastpathEnv {
	void fail(const char *file, int line, const char *text) { ADD_FAIL_CHECK_AT(file, line, std::string(text)); }
	void fail_op(const char *file, int line, const char *a, const char *op, const char *b, u64 va, u64 vb)
	{
		char buf[512];
		snprintf(buf, sizeof(buf), "Expected %s %s %s, but\n    %s == %llu (%#llx)\n    %s == %llu (%#llx)", a, op, b, a,
			 static_cast<unsigned long long>(va), static_cast<unsigned long long>(va), b,
			 static_cast<unsigned long long>(vb), static_cast<unsigned long long>(vb));
		ADD_FAIL_CHECK_AT(file, line, std::string(buf));
	}
	template <class F> bool as_cpu(unsigned cpu, F f)
	{
		unsigned saved = host_current_cpu;
		host_current_cpu = cpu;
		f();
		host_current_cpu = saved;
		return true;
	}
};
} // namespace

#define SLUB_FASTPATH_HOST_CASE(name)                                \
	TEST_CASE("slub fast path: " #name)                              \
	{                                                                \
		SlabEnv<slub::Allocator> env;                                \
		unsigned long start = env.settled_free();                    \
		HostFastpathEnv e;                                           \
		slub_fastpath_cases::name(e);                                \
		CHECK(slab_errors == 0);                                     \
		CHECK(env.settled_free() == start);                          \
		CHECK(host_irq_disabled_depth == 0);                         \
	}
SLUB_FASTPATH_CASES(SLUB_FASTPATH_HOST_CASE)
