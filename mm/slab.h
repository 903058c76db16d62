// The object allocator's public interface: kmem_cache and kmalloc (Linux 6.1 names and
// semantics). The implementation is chosen at build time: SLUB (`make SLAB=slub`, default) or
// SLOB (`make SLAB=slob`); both sit behind this header and the common layer in slab_common.cpp,
// with no indirect call on the allocation path.
//
// Ownership: kmem_cache_alloc()/kmalloc() hand the caller an object it owns until it passes the
// same pointer back to kmem_cache_free() (same cache) or kfree(). Under SLUB, kfree() also
// accepts kmem_cache objects; under SLOB it does not (Linux's rule: SLOB's kmem_cache objects
// carry no size header), so portable code frees cache objects with kmem_cache_free().
//
// Errors: allocation returns nullptr when the page allocator cannot provide a slab (it has then
// printed its "page allocation failure" report unless __GFP_NOWARN); kmalloc(0) returns
// ZERO_SIZE_PTR, which kfree() and ksize() accept. kmem_cache_create() returns nullptr with a
// message for bad arguments (no name, size 0 or above KMALLOC_MAX_SIZE, alignment not a power of
// two, unknown flags) or no memory, or panics instead with SLAB_PANIC.
//
// Debugging (SLUB): caches created with SLAB_CONSISTENCY_CHECKS / SLAB_RED_ZONE / SLAB_POISON /
// SLAB_STORE_USER, or selected by `slub_debug=`, report corruption in Linux's format
// ("BUG <cache> (Not tainted): ..."), repair what they can and count every report in
// slab_errors. SLOB accepts the flags and does not check (as Linux's SLOB).
//
// Locking: callable with IRQs on or off and from IRQ context with GFP_ATOMIC (nothing sleeps).
// kmem_cache_create/destroy/shrink and the introspection calls take the cache-list lock.
#pragma once

#include "kstd/types.h"
#include "lib/seq_file.h"
#include "mm/gfp.h"

struct kmem_cache;

// Cache flags (Linux 6.1 bit values), a typed bitmask that mixes only with itself.
enum class slab_flags_t : u32 {};
constexpr slab_flags_t operator|(slab_flags_t a, slab_flags_t b) { return slab_flags_t(u32(a) | u32(b)); }
constexpr slab_flags_t operator&(slab_flags_t a, slab_flags_t b) { return slab_flags_t(u32(a) & u32(b)); }
constexpr slab_flags_t operator~(slab_flags_t a) { return slab_flags_t(~u32(a)); }
constexpr slab_flags_t &operator|=(slab_flags_t &a, slab_flags_t b) { return a = a | b; }
constexpr slab_flags_t &operator&=(slab_flags_t &a, slab_flags_t b) { return a = a & b; }
constexpr bool slab_flags_has(slab_flags_t f, slab_flags_t bits) { return (u32(f) & u32(bits)) != 0; }
constexpr u32 slab_flags_raw(slab_flags_t f) { return u32(f); }

inline constexpr slab_flags_t SLAB_NONE = slab_flags_t(0);
inline constexpr slab_flags_t SLAB_CONSISTENCY_CHECKS = slab_flags_t(0x00000100u); // slub_debug=F
inline constexpr slab_flags_t SLAB_RED_ZONE = slab_flags_t(0x00000400u);           // slub_debug=Z
inline constexpr slab_flags_t SLAB_POISON = slab_flags_t(0x00000800u);             // slub_debug=P
inline constexpr slab_flags_t SLAB_HWCACHE_ALIGN = slab_flags_t(0x00002000u);       // align to a cache line
inline constexpr slab_flags_t SLAB_CACHE_DMA = slab_flags_t(0x00004000u);           // pages from ZONE_DMA
inline constexpr slab_flags_t SLAB_CACHE_DMA32 = slab_flags_t(0x00008000u);
inline constexpr slab_flags_t SLAB_STORE_USER = slab_flags_t(0x00010000u);          // slub_debug=U
inline constexpr slab_flags_t SLAB_PANIC = slab_flags_t(0x00040000u);               // panic if create fails
inline constexpr slab_flags_t SLAB_TRACE = slab_flags_t(0x00200000u);               // slub_debug=T
inline constexpr slab_flags_t SLAB_RECLAIM_ACCOUNT = slab_flags_t(0x00020000u);     // __GFP_RECLAIMABLE pages
// Ignore slub_debug= for this cache (self-tests that count errors exactly; Linux 6.1).
inline constexpr slab_flags_t SLAB_NO_USER_FLAGS = slab_flags_t(0x10000000u);
// Internal: the cache holds kmalloc objects; the object is poisoned while free.
inline constexpr slab_flags_t SLAB_KMALLOC = slab_flags_t(0x00001000u);
inline constexpr slab_flags_t __OBJECT_POISON = slab_flags_t(0x80000000u);

// Flags that enable SLUB's debug path (Linux SLAB_DEBUG_FLAGS).
inline constexpr slab_flags_t SLAB_DEBUG_FLAGS =
	SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;
// What callers may pass to kmem_cache_create (Linux CACHE_CREATE_MASK, minus unsupported bits).
inline constexpr slab_flags_t SLAB_CREATE_MASK = SLAB_DEBUG_FLAGS | SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA |
						 SLAB_CACHE_DMA32 | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT | SLAB_NO_USER_FLAGS;

// Poison bytes (Linux include/linux/poison.h).
inline constexpr u8 SLUB_RED_INACTIVE = 0xbb; // red zone of a free object
inline constexpr u8 SLUB_RED_ACTIVE = 0xcc;   // red zone of an allocated object
inline constexpr u8 POISON_INUSE = 0x5a;      // padding and never-allocated memory
inline constexpr u8 POISON_FREE = 0x6b;       // a free object
inline constexpr u8 POISON_END = 0xa5;        // last byte of a free object

// kmalloc size classes: 8..8192 (with 96 and 192), Linux's kmalloc_info. Larger requests go to
// the page allocator as compound pages. KMALLOC_MAX_SIZE is the largest buddy block.
inline constexpr unsigned KMALLOC_SHIFT_LOW = 3;
inline constexpr unsigned KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1;
inline constexpr usize KMALLOC_MIN_SIZE = usize{1} << KMALLOC_SHIFT_LOW;
inline constexpr usize KMALLOC_MAX_CACHE_SIZE = usize{1} << KMALLOC_SHIFT_HIGH;
inline constexpr usize KMALLOC_MAX_SIZE = usize{PAGE_SIZE} << 10; // MAX_ORDER - 1 = 10
inline constexpr usize ARCH_KMALLOC_MINALIGN = 8;
inline constexpr unsigned CACHE_LINE_SIZE = 64;

// kmalloc(0)'s result: not NULL (so callers can tell it from failure) and faults on access.
#define ZERO_SIZE_PTR (reinterpret_cast<void *>(16))
#define ZERO_OR_NULL_PTR(x) (reinterpret_cast<unsigned long>(x) <= reinterpret_cast<unsigned long>(ZERO_SIZE_PTR))

using kmem_ctor_t = void (*)(void *);

// --- caches ----------------------------------------------------------------------------------
// name must stay valid only for the call (it is copied). align 0 means the minimum (8); with
// SLAB_HWCACHE_ALIGN objects are cache-line aligned (halved for small objects, as Linux). A
// compatible existing cache may be returned instead (SLUB cache merging; `slab_nomerge` on the
// command line disables it); caches with a ctor or debug flags are never merged.
kmem_cache *kmem_cache_create(const char *name, unsigned size, unsigned align, slab_flags_t flags, kmem_ctor_t ctor);
// Frees the cache if no object is live. Otherwise reports "kmem_cache_destroy <name>: Slab
// cache still has objects" with the count (and the allocation call sites with
// SLAB_STORE_USER) and keeps the cache. nullptr is ignored.
void kmem_cache_destroy(kmem_cache *s);
void *kmem_cache_alloc(kmem_cache *s, gfp_t gfp);
void *kmem_cache_zalloc(kmem_cache *s, gfp_t gfp);
void kmem_cache_free(kmem_cache *s, void *obj);
// Object size the cache was created with (after merging: the largest of its users).
unsigned kmem_cache_size(const kmem_cache *s);
const char *kmem_cache_name(const kmem_cache *s);
// Releases empty slabs and the per-CPU slabs to the page allocator.
void kmem_cache_shrink(kmem_cache *s);

// --- kmalloc -----------------------------------------------------------------------------------
// kmalloc with a size known only at run time: looks up the size class, then allocates.
void *__kmalloc(usize size, gfp_t gfp);

// The kmalloc caches by [kmalloc_type(gfp)][kmalloc size index] (Linux's kmalloc_caches).
// Filled by SLUB's kmem_cache_init; SLOB has no kmalloc caches and leaves it empty.
extern kmem_cache *kmalloc_caches[2][KMALLOC_SHIFT_HIGH + 1];

// Linux __kmalloc_index: size -> size-class index (1: 96, 2: 192, 3..13: 8..8192) for
// 1 <= size <= KMALLOC_MAX_CACHE_SIZE, written as comparisons so that a constant size folds to
// a constant index. Agrees with kmalloc_index() (mm/slab_internal.h), which serves run-time
// sizes from a table.
constexpr unsigned __kmalloc_index(usize size)
{
	if (size <= KMALLOC_MIN_SIZE)
		return KMALLOC_SHIFT_LOW;
	if (size > 64 && size <= 96)
		return 1;
	if (size > 128 && size <= 192)
		return 2;
	for (unsigned i = KMALLOC_SHIFT_LOW + 1; i < KMALLOC_SHIFT_HIGH; i++)
		if (size <= usize{1} << i)
			return i;
	return KMALLOC_SHIFT_HIGH;
}
constexpr unsigned kmalloc_type(gfp_t gfp) { return gfp_has(gfp, __GFP_DMA) ? 1 : 0; }

// Linux's __always_inline kmalloc: with a compile-time-constant size (kmalloc(sizeof(T)), the
// usual case) the size class folds away and the call goes straight to the kmalloc cache's
// kmem_cache_alloc fast path; other sizes go through __kmalloc. SLOB keeps one path (Linux's
// SLOB has no kmalloc caches either).
[[gnu::always_inline]] inline void *kmalloc(usize size, gfp_t gfp)
{
#if !defined(SLAB_SLOB)
	if (__builtin_constant_p(size) && size && size <= KMALLOC_MAX_CACHE_SIZE)
		return kmem_cache_alloc(kmalloc_caches[kmalloc_type(gfp)][__kmalloc_index(size)], gfp);
#endif
	return __kmalloc(size, gfp);
}
inline void *kzalloc(usize size, gfp_t gfp) { return kmalloc(size, gfp | __GFP_ZERO); }
// n * size bytes, zeroed; nullptr when the product overflows.
void *kcalloc(usize n, usize size, gfp_t gfp);
void *kmalloc_array(usize n, usize size, gfp_t gfp);
// Resizes p keeping min(old, new) bytes; shrinking (or growing within ksize) keeps the
// pointer. new_size 0 frees p and returns ZERO_SIZE_PTR; on failure p is untouched and nullptr
// returned.
void *krealloc(const void *p, usize new_size, gfp_t gfp);
void kfree(const void *p);
// Bytes usable at p (>= the size requested).
usize ksize(const void *p);
char *kstrdup(const char *s, gfp_t gfp);

// --- boot and introspection -------------------------------------------------------------------
// Creates the kmalloc caches and prints the allocator's boot line. Needs the page allocator.
void kmem_cache_init();
// Name of the allocator in this build ("SLUB" or "SLOB").
const char *slab_allocator_name();
// /proc/slabinfo (version 2.1)'s generator, and its text streamed to out.
using slab_printf_t = int (*)(const char *fmt, ...);
void slabinfo_show(seq_file *m);
void slabinfo_show(slab_printf_t out);
// Walks every slab of the cache checking objects, free lists and counters; returns the number
// of slabs checked. Problems are reported and counted in slab_errors (SLUB; 0 slabs on SLOB).
long validate_slab_cache(kmem_cache *s);
kmem_cache *kmem_cache_find(const char *name);
// Reports found by the debug checks since boot (tests reset it).
extern unsigned long slab_errors;
// Live objects of one cache, and of all caches plus kmalloc (SLOB counts its kmalloc objects;
// SLUB's kmalloc objects live in the kmalloc caches).
unsigned long kmem_cache_live_objects(kmem_cache *s);
unsigned long slab_live_objects();
// The ktest ledger: shrinks every cache and drains the per-CPU page lists (so the free-page
// ledger sees cached slabs returned), then returns slab_live_objects().
u64 slab_ledger_objects();
// Returns every cache's empty slabs and the per-CPU page lists to the buddy, so that
// nr_free_pages() reads exactly what is not in use (for exact free-page checks).
void kmem_cache_shrink_all();
