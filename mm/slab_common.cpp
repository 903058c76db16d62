// The allocator-independent half of the object allocator (Linux mm/slab_common.c): the cache
// list, kmem_cache_create with alignment and merging, kmem_cache_destroy's leak report, the
// kmalloc helpers (kcalloc, krealloc, kstrdup), slabinfo, and the public C-style API that
// forwards to the allocator chosen at build time.
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "mm/fault_inject.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "lib/format.h"
#include "mm/page_alloc.h"
#include "mm/slab_active.h"

#if !defined(HOST_TEST)
#include <asm/arch_timer.h>
#endif

bool slab_nomerge;
kmem_cache *kmalloc_caches[2][KMALLOC_SHIFT_HIGH + 1];
unsigned long slab_errors;

static Result setup_slab_nomerge(const char *)
{
	slab_nomerge = true;
	return {};
}
EARLY_PARAM("slab_nomerge", setup_slab_nomerge);

static Result setup_slab_merge(const char *)
{
	slab_nomerge = false;
	return {};
}
EARLY_PARAM("slab_merge", setup_slab_merge);

#if defined(HOST_TEST)
// Deterministic on the host: every call is one "tick" and a tick is one jiffy-like unit.
static u64 host_clock;
u64 slab_clock() { return ++host_clock; }
u64 slab_clock_hz() { return 1000; }
u64 slab_random_seed() { return 0x5eed5eed12345678ull; }
#else
u64 slab_clock() { return arch_counter_get_cntpct(); }
u64 slab_clock_hz() { return arch_timer_get_cntfrq(); }
u64 slab_random_seed()
{
	// splitmix64 over the counter: not cryptographic, but different on every boot and cheap.
	static u64 state;
	state += arch_counter_get_cntpct() + 0x9e3779b97f4a7c15ull;
	u64 z = state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
#endif

unsigned slab_calculate_alignment(slab_flags_t flags, unsigned align, unsigned size)
{
	// Cache-line alignment halves for small objects so several still share a line without
	// straddling one (Linux).
	if (slab_flags_has(flags, SLAB_HWCACHE_ALIGN)) {
		unsigned ralign = CACHE_LINE_SIZE;
		while (size <= ralign / 2)
			ralign /= 2;
		align = kstd::max(align, ralign);
	}
	align = kstd::max(align, unsigned(ARCH_KMALLOC_MINALIGN));
	return static_cast<unsigned>(kstd::align_up(align, sizeof(void *)));
}

static const char *const kmalloc_names[2][14] = {
	{nullptr, "kmalloc-96", "kmalloc-192", "kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64",
	 "kmalloc-128", "kmalloc-256", "kmalloc-512", "kmalloc-1k", "kmalloc-2k", "kmalloc-4k", "kmalloc-8k"},
	{nullptr, "dma-kmalloc-96", "dma-kmalloc-192", "dma-kmalloc-8", "dma-kmalloc-16", "dma-kmalloc-32",
	 "dma-kmalloc-64", "dma-kmalloc-128", "dma-kmalloc-256", "dma-kmalloc-512", "dma-kmalloc-1k",
	 "dma-kmalloc-2k", "dma-kmalloc-4k", "dma-kmalloc-8k"},
};

const char *kmalloc_cache_name(unsigned index, bool dma) { return index < 14 ? kmalloc_names[dma][index] : nullptr; }

unsigned kmalloc_index_size(unsigned index)
{
	if (index == 1)
		return 96;
	if (index == 2)
		return 192;
	return 1u << index;
}

// Linux's size_index, one entry per 8 bytes up to 192.
const u8 kmalloc_size_index[24] = {3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2};

// --- SlabCommon ----------------------------------------------------------------------------

template <class A> void SlabCommon<A>::init()
{
	up = false;
	INIT_LIST_HEAD(&caches);
	A::boot();
	up = true;
}

template <class A> void SlabCommon<A>::reset_for_test()
{
	A::reset_for_test();
	INIT_LIST_HEAD(&caches);
	up = false;
}

template <class A>
kmem_cache *SlabCommon<A>::create_boot(kmem_cache *s, const char *name, unsigned size, slab_flags_t flags)
{
	s->name = name;
	s->name_owned = false;
	s->object_size = size;
	s->size = size;
	s->align = slab_calculate_alignment(flags, ARCH_KMALLOC_MINALIGN, size);
	// Power-of-two kmalloc sizes are naturally aligned (Linux guarantees it since 5.4).
	if (slab_flags_has(flags, SLAB_KMALLOC) && kstd::is_power_of_2(size))
		s->align = kstd::max(s->align, size);
	s->flags = A::cache_flags(name, flags);
	s->ctor = nullptr;
	// kmalloc caches accept aliases (Linux); the descriptor cache itself never does.
	s->refcount = slab_flags_has(flags, SLAB_KMALLOC) ? 1 : -1;
	if (A::cache_open(s).is_error())
		panic("%s: cannot create boot cache %s (size %u)", A::name, name, size);
	SpinLockGuard g(lock);
	list_add(&s->list, &caches);
	return s;
}

// Linux SLAB_NEVER_MERGE / SLAB_MERGE_SAME.
static constexpr slab_flags_t SLAB_NEVER_MERGE = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE |
						 SLAB_CONSISTENCY_CHECKS;
static constexpr slab_flags_t SLAB_MERGE_SAME = SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32;

[[maybe_unused]] static bool slab_unmergeable(const kmem_cache *s)
{
	return slab_nomerge || slab_flags_has(s->flags, SLAB_NEVER_MERGE) || s->ctor || s->refcount <= 0;
}

template <class A>
kmem_cache *SlabCommon<A>::create(const char *name, unsigned size, unsigned align, slab_flags_t flags,
				  kmem_ctor_t ctor, unsigned long caller)
{
	Errno err = Errno::EINVAL;
	kmem_cache *s = nullptr;
	char *copy = nullptr;
	if (!up) {
		pr_err("kmem_cache_create(%s): called before kmem_cache_init\n", name ? name : "(null)");
		goto fail;
	}
	if (!name || !*name || size == 0 || size > KMALLOC_MAX_SIZE || (align && !kstd::is_power_of_2(align)) ||
	    align > PAGE_SIZE || slab_flags_raw(flags & ~SLAB_CREATE_MASK)) {
		pr_err("kmem_cache_create(%s): invalid arguments: size %u align %u flags %#x\n",
		       name ? name : "(null)", size, align, slab_flags_raw(flags));
		goto fail;
	}
	flags = A::cache_flags(name, flags);
	align = slab_calculate_alignment(flags, align, size);

	if constexpr (A::merges) {
		if (!slab_nomerge && !ctor && !slab_flags_has(flags, SLAB_NEVER_MERGE)) {
			unsigned asize = static_cast<unsigned>(kstd::align_up(kstd::align_up(size, sizeof(void *)), align));
			SpinLockGuard g(lock);
			// Oldest first, as Linux's list_for_each_entry_reverse over a list built with list_add.
			for (list_head *pos = caches.prev; pos != &caches; pos = pos->prev) {
				kmem_cache *c = list_entry(pos, kmem_cache, list);
				if (slab_unmergeable(c) || asize > c->size)
					continue;
				if ((flags & SLAB_MERGE_SAME) != (c->flags & SLAB_MERGE_SAME))
					continue;
				if ((c->size & ~(align - 1)) != c->size || c->size - asize >= sizeof(void *))
					continue;
				c->refcount++;
				A::merged(c, size);
				pr_info("%s: cache %s merged into %s (alias)\n", A::name, name, c->name);
				return c;
			}
		}
	}

	err = Errno::ENOMEM;
	copy = kstrdup(name, GFP_KERNEL, caller);
	if (!copy)
		goto fail;
	s = A::alloc_descriptor();
	if (!s)
		goto fail;
	s->name = copy;
	s->name_owned = true;
	s->object_size = size;
	s->size = size;
	s->align = align;
	s->flags = flags;
	s->ctor = ctor;
	s->refcount = 1;
	if (auto r = A::cache_open(s); r.is_error()) {
		err = r.error().code();
		A::free_descriptor(s);
		goto fail;
	}
	{
		SpinLockGuard g(lock);
		list_add(&s->list, &caches);
	}
	return s;

fail:
	if (copy)
		A::kfree(copy, caller);
	if (slab_flags_has(flags, SLAB_PANIC))
		panic("kmem_cache_create: Failed to create slab '%s'. Error %d", name ? name : "(null)", int(err));
	pr_warn("kmem_cache_create(%s) failed with error %d (caller %pS)\n", name ? name : "(null)", int(err),
		reinterpret_cast<void *>(caller));
	return nullptr;
}

template <class A> void SlabCommon<A>::destroy(kmem_cache *s, unsigned long caller)
{
	if (!s)
		return;
	if (s->refcount < 0) {
		pr_err("kmem_cache_destroy %s: boot cache cannot be destroyed (caller %pS)\n", s->name,
		       reinterpret_cast<void *>(caller));
		return;
	}
	{
		SpinLockGuard g(lock);
		if (s->refcount > 0)
			s->refcount--;
		if (s->refcount > 0)
			return;
	}
	unsigned long live = A::cache_shutdown(s);
	if (live) {
		// Linux's WARN in kmem_cache_destroy; the cache stays on the list, unusable for
		// merging (refcount 0), so the objects remain valid and visible in slabinfo.
		pr_err("kmem_cache_destroy %s: Slab cache still has objects when called from %pS\n", s->name,
		       reinterpret_cast<void *>(caller));
		pr_err("kmem_cache_destroy %s: %lu objects in use\n", s->name, live);
		return;
	}
	{
		SpinLockGuard g(lock);
		list_del(&s->list);
	}
	const char *name = s->name;
	bool owned = s->name_owned;
	A::free_descriptor(s);
	if (owned)
		A::kfree(name, caller);
}

template <class A> void *SlabCommon<A>::kcalloc(usize n, usize size, gfp_t gfp, unsigned long caller)
{
	usize bytes;
	if (kstd::mul_overflow(n, size, &bytes))
		return nullptr;
	return A::kmalloc(bytes, gfp | __GFP_ZERO, caller);
}

template <class A> void *SlabCommon<A>::krealloc(const void *p, usize new_size, gfp_t gfp, unsigned long caller)
{
	if (new_size == 0) {
		A::kfree(p, caller);
		return ZERO_SIZE_PTR;
	}
	usize ks = ZERO_OR_NULL_PTR(p) ? 0 : A::ksize(p);
	if (ks >= new_size)
		return const_cast<void *>(p);
	void *n = A::kmalloc(new_size, gfp, caller);
	if (!n)
		return nullptr;
	if (ks)
		memcpy(n, p, ks);
	A::kfree(p, caller);
	return n;
}

template <class A> char *SlabCommon<A>::kstrdup(const char *s, gfp_t gfp, unsigned long caller)
{
	if (!s)
		return nullptr;
	usize len = strlen(s) + 1;
	char *d = static_cast<char *>(A::kmalloc(len, gfp, caller));
	if (d)
		memcpy(d, s, len);
	return d;
}

template <class A> void SlabCommon<A>::shrink(kmem_cache *s) { A::cache_shrink(s); }

template <class A> void SlabCommon<A>::shrink_all()
{
	// The list lock is not held across the shrink: caches are created and destroyed only by
	// code that is not running while a ledger is taken (tests, boot).
	list_for_each(pos, &caches)
		A::cache_shrink(list_entry(pos, kmem_cache, list));
}

template <class A> kmem_cache *SlabCommon<A>::find(const char *name)
{
	SpinLockGuard g(lock);
	list_for_each(pos, &caches) {
		kmem_cache *s = list_entry(pos, kmem_cache, list);
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return nullptr;
}

template <class A> unsigned SlabCommon<A>::nr_caches()
{
	unsigned n = 0;
	SpinLockGuard g(lock);
	list_for_each(pos, &caches)
		n++;
	return n;
}

template <class A> unsigned long SlabCommon<A>::total_live_objects()
{
	unsigned long n = A::kmalloc_live_objects();
	list_for_each(pos, &caches)
		n += A::live_objects(list_entry(pos, kmem_cache, list));
	return n;
}

template <class A> void SlabCommon<A>::slabinfo_show(seq_file *m)
{
	seq_puts(m, "slabinfo - version: 2.1\n");
	seq_puts(m, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	    " : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	list_for_each(pos, &caches) {
		kmem_cache *s = list_entry(pos, kmem_cache, list);
		slabinfo si{};
		A::get_slabinfo(s, si);
		seq_printf(m, "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n", s->name,
		    si.active_objs, si.num_objs, s->size, si.objects_per_slab, 1 << si.cache_order, 0u, 0u, 0u,
		    si.active_slabs, si.num_slabs, 0ul);
	}
}

#if defined(HOST_TEST)
template class SlabCommon<slub::Allocator>;
template class SlabCommon<slob::Allocator>;
#elif defined(SLAB_SLOB)
template class SlabCommon<slob::Allocator>;
#else
template class SlabCommon<slub::Allocator>;
#endif

// --- the public interface: the build's allocator, no indirect calls ---------------------------
//
// The allocation entry points pass their caller's address down for the debug reports
// (Linux's _RET_IP_). __builtin_return_address(0) strips a pointer-authentication code from
// x30 with XPACLRI, which rewrites x30 in place and so costs a save and a restore of it plus
// the XPACLRI itself on every fast path; this kernel does not sign return addresses, so x30
// is read as it is. That is valid wherever the function has not called anything yet: the fast
// paths make no call (only tail calls into their slow paths), which is where the value is used.
// (In a UBSAN build a sanitizer report on the way can make a debug report name the wrong
// caller; nothing else depends on it.)
#if defined(HOST_TEST)
#define SLAB_RET_IP() _RET_IP_
#else
#define SLAB_RET_IP()                                    \
	({                                               \
		unsigned long __ra;                      \
		asm("mov %0, x30" : "=r"(__ra));         \
		__ra;                                    \
	})
#endif

kmem_cache *kmem_cache_create(const char *name, unsigned size, unsigned align, slab_flags_t flags, kmem_ctor_t ctor)
{
	return active_slab::create(name, size, align, flags, ctor, _RET_IP_);
}
void kmem_cache_destroy(kmem_cache *s) { active_slab::destroy(s, _RET_IP_); }
void *kmem_cache_alloc(kmem_cache *s, gfp_t gfp) { return active_slab::cache_alloc(s, gfp, SLAB_RET_IP()); }
void *kmem_cache_zalloc(kmem_cache *s, gfp_t gfp) { return active_slab::cache_alloc(s, gfp | __GFP_ZERO, SLAB_RET_IP()); }
void kmem_cache_free(kmem_cache *s, void *obj) { active_slab::cache_free(s, obj, SLAB_RET_IP()); }
unsigned kmem_cache_size(const kmem_cache *s) { return s->object_size; }
const char *kmem_cache_name(const kmem_cache *s) { return s->name; }
void kmem_cache_shrink(kmem_cache *s) { active_slab::shrink(s); }
void *__kmalloc(usize size, gfp_t gfp) { return active_slab::kmalloc(size, gfp, SLAB_RET_IP()); }
void *kcalloc(usize n, usize size, gfp_t gfp) { return active_slab::kcalloc(n, size, gfp, _RET_IP_); }
void *kmalloc_array(usize n, usize size, gfp_t gfp)
{
	usize bytes;
	if (kstd::mul_overflow(n, size, &bytes))
		return nullptr;
	return active_slab::kmalloc(bytes, gfp, _RET_IP_);
}
void *krealloc(const void *p, usize new_size, gfp_t gfp) { return active_slab::krealloc(p, new_size, gfp, _RET_IP_); }
void kfree(const void *p) { active_slab::kfree(p, SLAB_RET_IP()); }
usize ksize(const void *p) { return active_slab::ksize(p); }
char *kstrdup(const char *s, gfp_t gfp) { return active_slab::kstrdup(s, gfp, _RET_IP_); }
void kmem_cache_init()
{
	active_slab::init();
	fault_inject_arm_hook = mm_fault_inject_changed;
}
const char *slab_allocator_name() { return active_slab::allocator_name(); }
void slabinfo_show(seq_file *m) { active_slab::slabinfo_show(m); }
void slabinfo_show(slab_printf_t out) { seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(slabinfo_show)); }
long validate_slab_cache(kmem_cache *s) { return active_slab::validate(s); }
kmem_cache *kmem_cache_find(const char *name) { return active_slab::find(name); }
unsigned long kmem_cache_live_objects(kmem_cache *s) { return active_slab::live_objects(s); }
unsigned long slab_live_objects() { return active_slab::total_live_objects(); }
void kmem_cache_shrink_all()
{
	active_slab::shrink_all();
	drain_all_pages(nullptr);
}

u64 slab_ledger_objects()
{
	kmem_cache_shrink_all();
	return active_slab::total_live_objects();
}
