// Internals shared by slab_common.cpp, slub.cpp, slob.cpp and the host tests.
//
// Build-time selection without indirect calls: slub::Allocator and slob::Allocator have the
// same static interface (below); SlabCommon<A> is the common layer (cache list, creation and
// merging, destroy reports, kmalloc helpers, slabinfo) written once over it. The kernel
// instantiates SlabCommon with the allocator named by SLAB_SLUB/SLAB_SLOB; the host test suite
// instantiates both and runs one test suite against each.
//
// The static interface of an allocator A:
//   using cache_type                     derived from kmem_cache
//   static constexpr const char *name    "SLUB" / "SLOB"
//   static constexpr bool merges         whether compatible caches share one kmem_cache
//   static void boot()                   after the page allocator: boot caches, kmalloc caches
//   static void reset_for_test()         host only: forget every cache
//   static slab_flags_t cache_flags(name, flags)    adds command-line debug flags
//   static kmem_cache *alloc_descriptor() / free_descriptor(s)
//   static Result cache_open(s)          layout and per-cache state of a new cache
//   static unsigned long cache_shutdown(s)  frees all slabs; returns objects still live
//   static void cache_shrink(s)
//   static void *cache_alloc(s, gfp, caller) / cache_free(s, x, caller)
//   static void *kmalloc(size, gfp, caller) / kfree(x, caller) / ksize(x)
//   static unsigned long live_objects(s) / kmalloc_live_objects()
//   static void get_slabinfo(s, slabinfo&)
//   static long validate(s)
#pragma once

#include "core/spinlock.h"
#include "kstd/list.h"
#include "kstd/result.h"
#include "kstd/types.h"
#include "mm/slab.h"

struct kmem_cache {
	const char *name;
	unsigned size;        // bytes per object slot including debug metadata
	unsigned object_size; // bytes the users asked for (largest among merged users)
	unsigned align;
	slab_flags_t flags;
	// Users of this cache: 1 + aliases; 0 after a failed destroy; -1 for boot caches, which
	// are never merged into or destroyed.
	int refcount;
	kmem_ctor_t ctor;
	list_head list; // SlabCommon<A>::caches
	bool name_owned;
};

struct slabinfo {
	unsigned long active_objs;
	unsigned long num_objs;
	unsigned long active_slabs;
	unsigned long num_slabs;
	unsigned objects_per_slab;
	unsigned cache_order;
};

// The clock for the debug timestamps (the generic counter in the kernel; a step counter on the
// host) and its rate.
u64 slab_clock();
u64 slab_clock_hz();
// Seed for per-cache secrets (the counter through a hash in the kernel; fixed on the host).
u64 slab_random_seed();
// Logical CPUs the allocator sizes itself for (SMP bring-up does not exist yet).
inline constexpr unsigned slab_nr_cpu_ids = 1;

template <class A> class SlabCommon {
public:
	static void init();
	static void reset_for_test();
	static kmem_cache *create(const char *name, unsigned size, unsigned align, slab_flags_t flags,
				  kmem_ctor_t ctor, unsigned long caller);
	// Boot caches (kmalloc-*): created by the allocator itself during boot.
	static kmem_cache *create_boot(kmem_cache *s, const char *name, unsigned size, slab_flags_t flags);
	static void destroy(kmem_cache *s, unsigned long caller);
	[[gnu::always_inline]] static void *cache_alloc(kmem_cache *s, gfp_t gfp, unsigned long caller) { return A::cache_alloc(s, gfp, caller); }
	[[gnu::always_inline]] static void cache_free(kmem_cache *s, void *x, unsigned long caller) { A::cache_free(s, x, caller); }
	[[gnu::always_inline]] static void *kmalloc(usize size, gfp_t gfp, unsigned long caller) { return A::kmalloc(size, gfp, caller); }
	[[gnu::always_inline]] static void kfree(const void *x, unsigned long caller) { A::kfree(x, caller); }
	static usize ksize(const void *x) { return A::ksize(x); }
	static void *kcalloc(usize n, usize size, gfp_t gfp, unsigned long caller);
	static void *krealloc(const void *p, usize new_size, gfp_t gfp, unsigned long caller);
	static char *kstrdup(const char *s, gfp_t gfp, unsigned long caller);
	static void shrink(kmem_cache *s);
	static void shrink_all();
	static kmem_cache *find(const char *name);
	static unsigned long live_objects(kmem_cache *s) { return A::live_objects(s); }
	static unsigned long total_live_objects();
	static void slabinfo_show(seq_file *m);
	static void slabinfo_show(slab_printf_t out)
	{
		seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(slabinfo_show));
	}
	static long validate(kmem_cache *s) { return A::validate(s); }
	static unsigned nr_caches();
	static const char *allocator_name() { return A::name; }

	// Creation and destruction change the list under lock. The walks that call into the
	// allocator or print (shrink_all, slabinfo_show, live-object totals) run without it:
	// caches come and go only at boot and in tests, never concurrently with those walks.
	static inline SpinLock lock;
	static inline list_head caches TA_GUARDED(lock) = LIST_HEAD_INIT(caches);
	static inline bool up;
};

// `slab_nomerge` (early parameter) disables merging in every instantiation.
extern bool slab_nomerge;

// Linux calculate_alignment.
unsigned slab_calculate_alignment(slab_flags_t flags, unsigned align, unsigned size);
// Linux's kmalloc_info names.
const char *kmalloc_cache_name(unsigned index, bool dma);
// kmalloc size -> size-class index (1: 96, 2: 192, 3..13: 8..8192); size 1..8192. Sizes up
// to 192 go through Linux's size_index table, which maps them onto 96 and 192 where those
// fit better than the next power of two.
extern const u8 kmalloc_size_index[24];
inline unsigned kmalloc_index(usize size)
{
	if (size <= 192)
		return kmalloc_size_index[(size - 1) / 8];
	return 64 - __builtin_clzll(size - 1);
}
unsigned kmalloc_index_size(unsigned index);

namespace slub {
struct cache;
struct Allocator {
	using cache_type = cache;
	static constexpr const char *name = "SLUB";
	static constexpr bool merges = true;
	static void boot();
	static void reset_for_test();
	static slab_flags_t cache_flags(const char *name, slab_flags_t flags);
	static kmem_cache *alloc_descriptor();
	static void free_descriptor(kmem_cache *s);
	static Result cache_open(kmem_cache *s);
	static unsigned long cache_shutdown(kmem_cache *s);
	static void cache_shrink(kmem_cache *s);
	static void merged(kmem_cache *s, unsigned size);
	// The fast paths are inline (mm/slub_internal.h).
	static inline void *cache_alloc(kmem_cache *s, gfp_t gfp, unsigned long caller);
	static inline void cache_free(kmem_cache *s, void *x, unsigned long caller);
	static inline void *kmalloc(usize size, gfp_t gfp, unsigned long caller);
	static inline void kfree(const void *x, unsigned long caller);
	static usize ksize(const void *x);
	static unsigned long live_objects(kmem_cache *s);
	static unsigned long kmalloc_live_objects() { return 0; }
	static void get_slabinfo(kmem_cache *s, slabinfo &info);
	static long validate(kmem_cache *s);
	// Test hooks: the free pointer's offset in the object and the kmalloc cache for a size.
	static unsigned free_pointer_offset(const kmem_cache *s);
	static kmem_cache *kmalloc_cache(usize size, gfp_t gfp);
	// Pages held by all caches' slabs, for the overhead figures.
	static unsigned long pages_in_use();
};
// slub_debug= as parsed (flags and the optional cache-name list); exposed for tests.
Result setup_slub_debug(const char *str);
void slub_debug_reset();
} // namespace slub

namespace slob {
struct cache;
struct Allocator {
	using cache_type = cache;
	static constexpr const char *name = "SLOB";
	static constexpr bool merges = false;
	static void boot();
	static void reset_for_test();
	static slab_flags_t cache_flags(const char *, slab_flags_t flags) { return flags; }
	static kmem_cache *alloc_descriptor();
	static void free_descriptor(kmem_cache *s);
	static Result cache_open(kmem_cache *s);
	static unsigned long cache_shutdown(kmem_cache *s);
	static void cache_shrink(kmem_cache *) {}
	static void merged(kmem_cache *, unsigned) {}
	static void *cache_alloc(kmem_cache *s, gfp_t gfp, unsigned long caller);
	static void cache_free(kmem_cache *s, void *x, unsigned long caller);
	static void *kmalloc(usize size, gfp_t gfp, unsigned long caller);
	static void kfree(const void *x, unsigned long caller);
	static usize ksize(const void *x);
	static unsigned long live_objects(kmem_cache *s);
	static unsigned long kmalloc_live_objects();
	static void get_slabinfo(kmem_cache *s, slabinfo &info);
	static long validate(kmem_cache *) { return 0; }
	// Pages SLOB holds (on its free lists or full), for the overhead figures.
	static unsigned long pages_in_use();
};
} // namespace slob
