// On-target tests of the object allocator built into this kernel (SLUB or SLOB), in the style
// of Linux's test_meminit (suite slab), a 10^6-operation churn with the ledger (slab_churn),
// slub_kunit on caches created with debug flags (slub_debug; skipped on SLOB, which has no
// debug checks), and the benchmarks (BENCH slab, `bench=slab`).
#include "core/compiler.h"
#include "kernel/bench.h"
#include "kernel/ktest.h"
#include "kernel/printk_internal.h"
#include "kstd/new.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "lib/format.h"
#include "mm/mmzone.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/slab_active.h"

namespace {

bool all_bytes(const void *p, usize n, u8 v)
{
	auto *b = static_cast<const u8 *>(p);
	for (usize i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

// Counts ring-buffer lines containing a string (reports are checked through the log).
const char *log_needle;
unsigned log_hits;
void count_line(const char *s, usize n)
{
	usize m = strlen(log_needle);
	for (usize i = 0; i + m <= n; i++)
		if (memcmp(s + i, log_needle, m) == 0) {
			log_hits++;
			return;
		}
}
unsigned log_count(const char *needle)
{
	log_needle = needle;
	log_hits = 0;
	dmesg_dump(count_line);
	return log_hits;
}

struct Rng {
	u64 x;
	u64 next()
	{
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		return x * 0x2545f4914f6cdd1dull;
	}
};

constexpr bool is_slub =
#if defined(SLAB_SLOB)
	false;
#else
	true;
#endif

} // namespace

KTEST(slab, allocator_is_named)
{
	KT_EXPECT_EQ(t, strcmp(slab_allocator_name(), is_slub ? "SLUB" : "SLOB"), 0);
	KT_EXPECT_EQ(t, log_count(is_slub ? "SLUB: HWalign=64, Order=0-3" : "SLOB: unit=2 bytes"), 1u);
}

KTEST(slab, every_size_class)
{
	for (usize size = 1; size <= 8192; size += size < 256 ? 1 : 61) {
		void *p = kmalloc(size, GFP_KERNEL);
		KT_ASSERT_TRUE(t, p != nullptr);
		usize ks = ksize(p);
		KT_EXPECT_GE(t, ks, size);
		if (is_slub)
			KT_EXPECT_EQ(t, ks, usize(kmalloc_index_size(kmalloc_index(size))));
		KT_EXPECT_EQ(t, reinterpret_cast<uptr>(p) % 8, 0u);
		memset(p, 0x5c, ks);
		kfree(p);
	}
	for (usize size = 8; size <= 8192; size *= 2) {
		void *p = kmalloc(size, GFP_KERNEL);
		KT_ASSERT_TRUE(t, p != nullptr);
		KT_EXPECT_EQ(t, reinterpret_cast<uptr>(p) % size, 0u);
		kfree(p);
	}
	for (usize size : {usize(8193), usize(65536), usize(300000), usize(4) << 20}) {
		void *p = kmalloc(size, GFP_KERNEL);
		KT_ASSERT_TRUE(t, p != nullptr);
		KT_EXPECT_TRUE(t, PageHead(virt_to_page(p)));
		KT_EXPECT_EQ(t, ksize(p), kstd::roundup_pow_of_two(size));
		memset(p, 0x11, size);
		kfree(p);
	}
	KT_EXPECT_TRUE(t, kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	KT_EXPECT_TRUE(t, kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN) == nullptr);
}

namespace {
// The kmalloc cache an object came from (SLUB), or nullptr.
const kmem_cache *cache_of(const void *p)
{
	const page *pg = compound_head(virt_to_page(p));
	return PageSlab(pg) ? pg->slab_cache : nullptr;
}
template <usize N> bool const_kmalloc_matches_runtime()
{
	usize n = N;
	OPTIMIZER_HIDE_VAR(n); // a run-time size
	void *c = kmalloc(N, GFP_KERNEL), *r = kmalloc(n, GFP_KERNEL);
	bool ok = c && r && cache_of(c) == cache_of(r) && (!is_slub || cache_of(c) != nullptr);
	kfree(c);
	kfree(r);
	return ok;
}
} // namespace

// kmalloc(constant) folds the size class at compile time (SLUB); it must pick the cache the
// run-time lookup picks.
KTEST(slab, constant_size_kmalloc)
{
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<1>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<8>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<24>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<64>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<72>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<96>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<160>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<192>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<200>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<1024>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<4096>());
	KT_EXPECT_TRUE(t, const_kmalloc_matches_runtime<8192>());
#if !defined(SLAB_SLOB)
	void *p = kmalloc(64, GFP_KERNEL);
	KT_EXPECT_TRUE(t, cache_of(p) == kmalloc_caches[0][6]);
	kfree(p);
	// GFP_DMA picks dma-kmalloc-64 (checked on the host).
#endif
	// kzalloc(constant) on memory that was just dirtied.
	u8 *d = static_cast<u8 *>(kmalloc(128, GFP_KERNEL));
	KT_ASSERT_TRUE(t, d != nullptr);
	memset(d, 0xee, 128);
	kfree(d);
	u8 *z = static_cast<u8 *>(kzalloc(128, GFP_KERNEL));
	KT_ASSERT_TRUE(t, z != nullptr);
	bool zero = true;
	for (int i = 0; i < 128; i++)
		zero &= z[i] == 0;
	KT_EXPECT_TRUE(t, zero);
	kfree(z);
}

KTEST(slab, gfp_zero)
{
	static const usize sizes[] = {8, 24, 96, 192, 700, 2048, 4096, 8192, 20000};
	for (usize size : sizes) {
		void *d[8];
		for (auto &p : d) {
			p = kmalloc(size, GFP_KERNEL);
			KT_ASSERT_TRUE(t, p != nullptr);
			memset(p, 0xee, size);
		}
		for (auto &p : d)
			kfree(p);
		for (auto &p : d) {
			p = kzalloc(size, GFP_KERNEL);
			KT_ASSERT_TRUE(t, p != nullptr);
			KT_EXPECT_TRUE(t, all_bytes(p, size, 0));
		}
		for (auto &p : d)
			kfree(p);
	}
	kmem_cache *s = kmem_cache_create("test_zero", 72, 0, SLAB_NONE, nullptr);
	KT_ASSERT_TRUE(t, s != nullptr);
	void *a = kmem_cache_alloc(s, GFP_KERNEL);
	memset(a, 0x55, 72);
	kmem_cache_free(s, a);
	void *b = kmem_cache_zalloc(s, GFP_KERNEL);
	KT_EXPECT_TRUE(t, all_bytes(b, 72, 0));
	kmem_cache_free(s, b);
	kmem_cache_destroy(s);
}

static void ctor_fill(void *p) { memset(p, 0x3c, 100); }

KTEST(slab, constructor)
{
	kmem_cache *s = kmem_cache_create("test_ctor", 100, 0, SLAB_NONE, ctor_fill);
	KT_ASSERT_TRUE(t, s != nullptr);
	void *objs[200];
	for (auto &p : objs) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		KT_ASSERT_TRUE(t, p != nullptr);
		KT_EXPECT_TRUE(t, all_bytes(p, 100, 0x3c));
	}
	for (auto p : objs)
		kmem_cache_free(s, p);
	for (auto &p : objs) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		KT_EXPECT_TRUE(t, all_bytes(p, 100, 0x3c));
	}
	for (auto p : objs)
		kmem_cache_free(s, p);
	KT_EXPECT_EQ(t, kmem_cache_live_objects(s), 0u);
	kmem_cache_destroy(s);
	KT_EXPECT_TRUE(t, kmem_cache_find("test_ctor") == nullptr);
}

KTEST(slab, krealloc_ksize_kcalloc)
{
	u8 *p = static_cast<u8 *>(kmalloc(10, GFP_KERNEL));
	KT_ASSERT_TRUE(t, p != nullptr);
	for (int i = 0; i < 10; i++)
		p[i] = static_cast<u8>(i + 1);
	static const usize sizes[] = {50, 200, 1500, 5000, 20000, 100000, 3000, 33, 5};
	usize have = 10;
	for (usize n : sizes) {
		u8 *q = static_cast<u8 *>(krealloc(p, n, GFP_KERNEL));
		KT_ASSERT_TRUE(t, q != nullptr);
		usize keep = kstd::min(have, n);
		bool same = true;
		for (usize i = 0; i < keep; i++)
			same &= q[i] == static_cast<u8>(i < 10 ? i + 1 : (i * 7) & 0xff);
		KT_EXPECT_TRUE(t, same);
		KT_EXPECT_GE(t, ksize(q), n);
		for (usize i = 10; i < n; i++)
			q[i] = static_cast<u8>((i * 7) & 0xff);
		if (n <= have)
			KT_EXPECT_TRUE(t, q == p);
		p = q;
		have = n;
	}
	KT_EXPECT_TRUE(t, krealloc(p, 0, GFP_KERNEL) == ZERO_SIZE_PTR);
	KT_EXPECT_TRUE(t, kcalloc(~usize{0} / 2, 4, GFP_KERNEL) == nullptr);
	KT_EXPECT_TRUE(t, kcalloc(usize{1} << 33, usize{1} << 31, GFP_KERNEL) == nullptr);
	KT_EXPECT_TRUE(t, kmalloc_array(~usize{0} / 8, 16, GFP_KERNEL) == nullptr);
	void *z = kcalloc(1000, 4, GFP_KERNEL);
	KT_ASSERT_TRUE(t, z != nullptr);
	KT_EXPECT_TRUE(t, all_bytes(z, 4000, 0));
	kfree(z);
}

KTEST(slab, dma_and_reclaimable)
{
	// Objects of a pageblock each: every slab page is a whole block taken for the request's
	// migratetype (a smaller page may legitimately sit in another type's block: Linux's
	// fallback moves a stolen block's free pages to the requester's free list without
	// claiming the block, and a page of those says nothing about the request).
	constexpr unsigned BLOCK = PAGE_SIZE << pageblock_order;
	kmem_cache *r = kmem_cache_create("test_reclaimable", BLOCK, 0, SLAB_RECLAIM_ACCOUNT, nullptr);
	KT_ASSERT_TRUE(t, r != nullptr);
	void *o = kmem_cache_alloc(r, GFP_KERNEL);
	KT_ASSERT_TRUE(t, o != nullptr);
	// With grouping by mobility off every allocation is unmovable (Linux), so the slab's
	// reclaimable request can only show in the pageblock type when grouping is on.
	int want = page_group_by_mobility_disabled ? int(MIGRATE_UNMOVABLE) : int(MIGRATE_RECLAIMABLE);
	KT_EXPECT_EQ(t, get_pageblock_migratetype(virt_to_page(o)), want);
	kmem_cache_free(r, o);
	kmem_cache_destroy(r);
	bool have_dma = false;
	for_each_online_node(nid)
		have_dma |= managed_zone(&NODE_DATA(nid)->node_zones[ZONE_DMA]);
	if (!have_dma) {
		t.skip("no ZONE_DMA on this machine (no RAM below 4 GiB)");
		return;
	}
	for (usize size : {usize(24), usize(700), usize(3000), usize(20000)}) {
		void *p = kmalloc(size, GFP_KERNEL | GFP_DMA);
		KT_ASSERT_TRUE(t, p != nullptr);
		KT_EXPECT_EQ(t, page_zonenum(virt_to_page(p)), unsigned(ZONE_DMA));
		kfree(p);
	}
}

struct alignas(256) Aligned256 {
	u8 b[40];
};
struct Plain {
	u64 a, b, c;
};

KTEST(slab, cxx_new_delete)
{
	unsigned long live = slab_live_objects();
	Plain *p = new Plain{1, 2, 3};
	KT_EXPECT_EQ(t, p->c, 3u);
	KT_EXPECT_EQ(t, slab_live_objects(), live + 1);
	delete p;
	int *arr = new int[100]();
	KT_EXPECT_TRUE(t, all_bytes(arr, 400, 0));
	delete[] arr;
	Aligned256 *a = new Aligned256;
	KT_EXPECT_EQ(t, reinterpret_cast<uptr>(a) % 256, 0u);
	delete a;
	Aligned256 *aa = new Aligned256[3];
	KT_EXPECT_EQ(t, reinterpret_cast<uptr>(aa) % 256, 0u);
	delete[] aa;
	Plain *n = new (std::nothrow) Plain;
	KT_EXPECT_TRUE(t, n != nullptr);
	delete n;
	// A nothrow new that cannot be satisfied returns nullptr instead of panicking.
	u8 *huge = new (std::nothrow) u8[KMALLOC_MAX_SIZE * 2];
	KT_EXPECT_TRUE(t, huge == nullptr);
	KT_EXPECT_EQ(t, slab_live_objects(), live);
}

KTEST(slab, destroy_with_leaks_reports)
{
	kmem_cache *s = kmem_cache_create("test_leaky", 48, 0, SLAB_STORE_USER, nullptr);
	KT_ASSERT_TRUE(t, s != nullptr);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned before = log_count("kmem_cache_destroy test_leaky: Slab cache still has objects when called from");
	kmem_cache_destroy(s);
	KT_EXPECT_EQ(t, log_count("kmem_cache_destroy test_leaky: Slab cache still has objects when called from"),
		     before + 1);
	KT_EXPECT_GE(t, log_count("kmem_cache_destroy test_leaky: 2 objects in use"), 1u);
	if (is_slub)
		// The call site is symbolized: this test function allocated them.
		KT_EXPECT_GE(t, log_count("Allocated in ktest_slab_destroy_with_leaks_reports+0x"), 2u);
	KT_EXPECT_TRUE(t, kmem_cache_find("test_leaky") == s);
	KT_EXPECT_EQ(t, kmem_cache_live_objects(s), 2u);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_destroy(s);
	KT_EXPECT_TRUE(t, kmem_cache_find("test_leaky") == nullptr);
}

KTEST(slab, cache_merging)
{
	if (!is_slub) {
		t.skip("SLOB does not merge caches (Linux's neither)");
		return;
	}
	kmem_cache *k256 = kmem_cache_find("kmalloc-256");
	if (slab_nomerge || !k256 || slab_flags_has(k256->flags, SLAB_DEBUG_FLAGS)) {
		t.skip("merging is off (slab_nomerge) or kmalloc-256 is debugged (slub_debug=)");
		return;
	}
	kmem_cache *a = kmem_cache_create("test_merge_a", 250, 0, SLAB_NONE, nullptr);
	kmem_cache *b = kmem_cache_create("test_merge_b", 256, 0, SLAB_NONE, nullptr);
	KT_ASSERT_TRUE(t, a != nullptr);
	KT_EXPECT_TRUE(t, a == b);
	KT_EXPECT_TRUE(t, a == kmem_cache_find("kmalloc-256"));
	KT_EXPECT_GE(t, log_count("SLUB: cache test_merge_b merged into kmalloc-256 (alias)"), 1u);
	kmem_cache *c = kmem_cache_create("test_merge_c", 250, 0, SLAB_POISON, nullptr);
	KT_EXPECT_TRUE(t, c != a);
	kmem_cache_destroy(c);
	kmem_cache_destroy(b);
	kmem_cache_destroy(a);
	KT_EXPECT_TRUE(t, kmem_cache_find("kmalloc-256") != nullptr);
}

// --- churn -------------------------------------------------------------------------------------

namespace {
struct ChurnCache {
	kmem_cache *s;
	unsigned size;
	unsigned n;
	unsigned long start_live;
	void **objs;
};
// The live set stays small enough for SLOB, whose first-fit walk is linear in its pages: 2048
// cache objects and 256 kmalloc objects at most (~6 MiB).
constexpr unsigned CHURN_CACHES = 32, CHURN_PER_CACHE = 64, CHURN_KMALLOC = 256;

void stamp(void *p, usize size)
{
	u64 v = reinterpret_cast<u64>(p) * 0x9e3779b97f4a7c15ull;
	memcpy(p, &v, kstd::min<usize>(8, size));
	if (size > 8)
		static_cast<u8 *>(p)[size - 1] = static_cast<u8>(v >> 56);
}
bool stamp_ok(void *p, usize size)
{
	u64 v = reinterpret_cast<u64>(p) * 0x9e3779b97f4a7c15ull, got = 0;
	memcpy(&got, p, kstd::min<usize>(8, size));
	u64 want = size >= 8 ? v : v & ((u64{1} << (8 * size)) - 1);
	return got == want && (size <= 8 || static_cast<u8 *>(p)[size - 1] == static_cast<u8>(v >> 56));
}
} // namespace

KTEST(slab_churn, million_random_operations)
{
	Rng rng{0x51ab51ab};
	ChurnCache *cs = static_cast<ChurnCache *>(kcalloc(CHURN_CACHES, sizeof(ChurnCache), GFP_KERNEL));
	void **kobj = static_cast<void **>(kcalloc(CHURN_KMALLOC, sizeof(void *), GFP_KERNEL));
	usize *ksz = static_cast<usize *>(kcalloc(CHURN_KMALLOC, sizeof(usize), GFP_KERNEL));
	KT_ASSERT_TRUE(t, cs && kobj && ksz);
	unsigned nk = 0;
	bool ok = true;
	for (unsigned i = 0; i < CHURN_CACHES && ok; i++) {
		char name[24];
		kstd::snprintf(name, sizeof(name), "churn-%u", i);
		cs[i].size = 8 + static_cast<unsigned>(rng.next() % (4096 - 8 + 1));
		unsigned align = rng.next() % 4 == 0 ? 1u << (3 + rng.next() % 4) : 0;
		cs[i].s = kmem_cache_create(name, cs[i].size, align, rng.next() % 3 ? SLAB_NONE : SLAB_HWCACHE_ALIGN, nullptr);
		cs[i].objs = static_cast<void **>(kcalloc(CHURN_PER_CACHE, sizeof(void *), GFP_KERNEL));
		ok = cs[i].s && cs[i].objs;
	}
	KT_ASSERT_TRUE(t, ok);
	for (unsigned i = 0; i < CHURN_CACHES; i++)
		cs[i].start_live = kmem_cache_live_objects(cs[i].s);
	unsigned op = 0;
	for (; op < 1000000 && ok; op++) {
		u64 r = rng.next();
		if (r % 100 < 80) {
			ChurnCache &c = cs[(r >> 8) % CHURN_CACHES];
			if ((r >> 16) % 100 < 52 && c.n < CHURN_PER_CACHE) {
				void *p = kmem_cache_alloc(c.s, GFP_KERNEL);
				if (!p) {
					ok = false;
					break;
				}
				stamp(p, c.size);
				c.objs[c.n++] = p;
			} else if (c.n) {
				unsigned i = static_cast<unsigned>((r >> 24) % c.n);
				ok = stamp_ok(c.objs[i], c.size);
				kmem_cache_free(c.s, c.objs[i]);
				c.objs[i] = c.objs[--c.n];
			}
		} else {
			if ((r >> 16) % 100 < 52 && nk < CHURN_KMALLOC) {
				usize size = 1 + (r >> 24) % ((r >> 40) % 10 == 0 ? 20000 : 2048);
				void *p = kmalloc(size, GFP_KERNEL);
				if (!p) {
					ok = false;
					break;
				}
				stamp(p, size);
				kobj[nk] = p;
				ksz[nk++] = size;
			} else if (nk) {
				unsigned i = static_cast<unsigned>((r >> 24) % nk);
				ok = stamp_ok(kobj[i], ksz[i]);
				kfree(kobj[i]);
				nk--;
				kobj[i] = kobj[nk];
				ksz[i] = ksz[nk];
			}
		}
	}
	if (!ok)
		t.log("operation %u: an allocation failed or an object's contents changed", op);
	KT_EXPECT_TRUE(t, ok);
	KT_EXPECT_EQ(t, op, 1000000u);
	for (unsigned i = 0; i < nk; i++) {
		KT_EXPECT_TRUE(t, stamp_ok(kobj[i], ksz[i]));
		kfree(kobj[i]);
	}
	for (unsigned i = 0; i < CHURN_CACHES; i++) {
		for (unsigned j = 0; j < cs[i].n; j++) {
			KT_EXPECT_TRUE(t, stamp_ok(cs[i].objs[j], cs[i].size));
			kmem_cache_free(cs[i].s, cs[i].objs[j]);
		}
		cs[i].n = 0;
	}
	// Every cache (or the cache it was merged into) is back at its live count from the start.
	for (unsigned i = 0; i < CHURN_CACHES; i++)
		KT_EXPECT_EQ(t, kmem_cache_live_objects(cs[i].s), cs[i].start_live);
	unsigned long errors = slab_errors;
	for (unsigned i = 0; i < CHURN_CACHES; i++)
		validate_slab_cache(cs[i].s);
	KT_EXPECT_EQ(t, slab_errors, errors);
	for (unsigned i = 0; i < CHURN_CACHES; i++) {
		kmem_cache_destroy(cs[i].s);
		kfree(cs[i].objs);
	}
	kfree(cs);
	kfree(kobj);
	kfree(ksz);
	// The suite's ledgers (free pages, live slab objects) are checked by the runner.
}

// --- slub_kunit ----------------------------------------------------------------------------------

#if defined(SLAB_SLOB)
#define SLUB_ONLY()                                                                               \
	do {                                                                                       \
		t.skip("SLOB has no debug checks (red zones, poisoning, call sites, validate)"); \
		return;                                                                            \
	} while (0)
static unsigned fp_offset(kmem_cache *) { return 0; }
#else
#define SLUB_ONLY() \
	do {        \
	} while (0)
static unsigned fp_offset(kmem_cache *s) { return slub::Allocator::free_pointer_offset(s); }
#endif

// SLAB_NO_USER_FLAGS: a slub_debug= on the command line must not change the exact counts.
static const slab_flags_t DEBUG = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_NO_USER_FLAGS;

KTEST(slub_debug, clobber_redzone)
{
	SLUB_ONLY();
	kmem_cache *s = kmem_cache_create("TestSlub_RZ_alloc", 64, 0, DEBUG, nullptr);
	KT_ASSERT_TRUE(t, s != nullptr);
	u8 *p = static_cast<u8 *>(kmem_cache_alloc(s, GFP_KERNEL));
	p[64] = 0x12;
	unsigned long e = slab_errors;
	validate_slab_cache(s);
	KT_EXPECT_EQ(t, slab_errors - e, 2u);
	KT_EXPECT_GE(t, log_count("BUG TestSlub_RZ_alloc (Not tainted): Right Redzone overwritten"), 1u);
	KT_EXPECT_GE(t, log_count("First byte 0x12 instead of 0xcc"), 1u);
	KT_EXPECT_GE(t, log_count("Allocated in ktest_slub_debug_clobber_redzone+0x"), 1u);
	e = slab_errors;
	kmem_cache_free(s, p);
	KT_EXPECT_EQ(t, slab_errors, e);
	kmem_cache_destroy(s);
}

KTEST(slub_debug, corrupted_free_pointer)
{
	SLUB_ONLY();
	// Poisoning only, as slub_kunit: with red zones too, the objects cut off the chain would
	// also report their (inactive) red zones as the first check of an "active" object.
	kmem_cache *s = kmem_cache_create("TestSlub_next_ptr_free", 64, 0,
					  SLAB_POISON | SLAB_STORE_USER | SLAB_NO_USER_FLAGS, nullptr);
	KT_ASSERT_TRUE(t, s != nullptr);
	u8 *p = static_cast<u8 *>(kmem_cache_alloc(s, GFP_KERNEL));
	kmem_cache_free(s, p);
	unsigned off = fp_offset(s);
	unsigned long tmp;
	memcpy(&tmp, p + off, sizeof(tmp));
	// Flip the lowest bit: the decoded pointer is then misaligned, never a valid object,
	// whatever the per-cache random is. (slub_kunit writes 0x12 over the low byte, which with a
	// hardened freelist can by chance still decode to a valid object and change the counts.)
	p[off] ^= 0x01;
	unsigned long e = slab_errors;
	validate_slab_cache(s);
	KT_EXPECT_EQ(t, slab_errors - e, 3u);
	KT_EXPECT_GE(t, log_count("BUG TestSlub_next_ptr_free (Not tainted): Freechain corrupt"), 1u);
	memcpy(p + off, &tmp, sizeof(tmp));
	e = slab_errors;
	validate_slab_cache(s);
	KT_EXPECT_EQ(t, slab_errors - e, 2u);
	e = slab_errors;
	validate_slab_cache(s);
	KT_EXPECT_EQ(t, slab_errors - e, 0u);
	kmem_cache_destroy(s);
}

KTEST(slub_debug, write_after_free_poison)
{
	SLUB_ONLY();
	kmem_cache *s = kmem_cache_create("TestSlub_1th_word_free", 64, 0, DEBUG, nullptr);
	KT_ASSERT_TRUE(t, s != nullptr);
	u8 *p = static_cast<u8 *>(kmem_cache_alloc(s, GFP_KERNEL));
	kmem_cache_free(s, p);
	// A use-after-free read sees the poison.
	KT_EXPECT_EQ(t, p[0], POISON_FREE);
	KT_EXPECT_EQ(t, p[50], POISON_FREE);
	KT_EXPECT_EQ(t, p[63], POISON_END);
	p[50] = 0x9a;
	unsigned long e = slab_errors;
	validate_slab_cache(s);
	KT_EXPECT_EQ(t, slab_errors - e, 2u);
	KT_EXPECT_GE(t, log_count("BUG TestSlub_1th_word_free (Not tainted): Poison overwritten"), 1u);
	KT_EXPECT_GE(t, log_count("Freed in ktest_slub_debug_write_after_free_poison+0x"), 1u);
	kmem_cache_destroy(s);
}

KTEST(slub_debug, redzone_clobbered_after_free)
{
	SLUB_ONLY();
	kmem_cache *s = kmem_cache_create("TestSlub_RZ_free", 64, 0, DEBUG, nullptr);
	KT_ASSERT_TRUE(t, s != nullptr);
	u8 *p = static_cast<u8 *>(kmem_cache_alloc(s, GFP_KERNEL));
	kmem_cache_free(s, p);
	p[64] = 0xab;
	unsigned long e = slab_errors;
	validate_slab_cache(s);
	KT_EXPECT_EQ(t, slab_errors - e, 2u);
	kmem_cache_destroy(s);
}

KTEST(slub_debug, double_free)
{
	SLUB_ONLY();
	kmem_cache *s = kmem_cache_create("TestSlub_double_free", 64, 0, DEBUG | SLAB_CONSISTENCY_CHECKS, nullptr);
	KT_ASSERT_TRUE(t, s != nullptr);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, p);
	unsigned long e = slab_errors;
	kmem_cache_free(s, p);
	KT_EXPECT_EQ(t, slab_errors - e, 2u);
	KT_EXPECT_GE(t, log_count("BUG TestSlub_double_free (Not tainted): Object already free"), 1u);
	e = slab_errors;
	KT_EXPECT_EQ(t, validate_slab_cache(s), 1);
	KT_EXPECT_EQ(t, slab_errors, e);
	kmem_cache_destroy(s);
}

// --- benchmarks ----------------------------------------------------------------------------------

void slab_bench_run(); // kernel/slab_bench.cpp

BENCH(slab) { slab_bench_run(); }
