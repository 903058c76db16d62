// SLUB's data structures and its allocation fast paths, inline so that kmalloc/kfree and
// kmem_cache_alloc/free compile into the public functions without another call (slub.cpp has
// the design notes and everything else). Included by slab_internal.h.
#pragma once

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "kernel/spinlock.h"
#include "kstd/list.h"
#include "kstd/util.h"
#include "mm/mmzone.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab_internal.h"

namespace slub {

struct kmem_cache_cpu {
	void *freelist; // first free object of `slab` owned by this CPU (raw pointer)
	page *slab;     // the frozen slab, or nullptr
};

struct kmem_cache_node {
	SpinLock list_lock;
	unsigned long nr_partial = 0;
	list_head partial = LIST_HEAD_INIT(partial);
	list_head full = LIST_HEAD_INIT(full);
	unsigned long nr_slabs = 0;
	unsigned long total_objects = 0;
	unsigned long nr_pages = 0;
};

struct cache : kmem_cache {
	kmem_cache_cpu cpu_slab[NR_CPUS] = {};
	unsigned offset = 0;       // free pointer offset within the object slot
	unsigned inuse = 0;        // end of object + right red zone: start of the metadata
	unsigned red_left_pad = 0; // left red zone before each object
	unsigned order = 0, objects = 0;         // preferred slab order and its object count
	unsigned min_order = 0, min_objects = 0; // fallback when the preferred order fails
	unsigned long min_partial = 0;
	gfp_t allocflags = gfp_t(0);
	unsigned long random = 0;
	kmem_cache_node node[MAX_NUMNODES];
};

// virt_to_page with the linear-map and vmemmap bases folded into one constant at boot (they
// do not move afterwards): pfn = (va - linear_map_base + memstart_addr) >> PAGE_SHIFT with both
// bases page-aligned, so page = vmemmap_fold + (va >> PAGE_SHIFT) * sizeof(page). Saves the
// three global loads of the generic virt_to_page on every free.
extern uptr vmemmap_fold;
inline page *obj_to_page(const void *x)
{
	return reinterpret_cast<page *>(vmemmap_fold + (reinterpret_cast<uptr>(x) >> PAGE_SHIFT) * sizeof(page));
}

inline cache *C(kmem_cache *s) { return static_cast<cache *>(s); }
inline const cache *C(const kmem_cache *s) { return static_cast<const cache *>(s); }

// Free pointers: stored XOR the cache secret and the byte-swapped slot address.
inline void *freelist_ptr(const cache *s, void *ptr, unsigned long ptr_addr)
{
	return reinterpret_cast<void *>(reinterpret_cast<unsigned long>(ptr) ^ s->random ^
					__builtin_bswap64(ptr_addr));
}
inline void *get_freepointer(const cache *s, void *object)
{
	unsigned long addr = reinterpret_cast<unsigned long>(object) + s->offset;
	return freelist_ptr(s, *reinterpret_cast<void **>(addr), addr);
}
inline void set_freepointer(const cache *s, void *object, void *fp)
{
	unsigned long addr = reinterpret_cast<unsigned long>(object) + s->offset;
	*reinterpret_cast<void **>(addr) = freelist_ptr(s, fp, addr);
}

// Slow paths (slub.cpp). Each restores the IRQ state f saved by its fast path.
void *slab_alloc_slowpath(cache *s, gfp_t gfp, unsigned long addr, irqflags_t f);
void slab_free_slowpath(cache *s, page *pg, void *x, unsigned long addr, irqflags_t f);
void *kmalloc_large(usize size, gfp_t gfp, unsigned long caller);
void free_large_kmalloc(page *pg, const void *x, unsigned long caller);
void cache_free_mismatch(cache *s, page *pg, void *x, unsigned long caller);

// The fast paths below are kept leaf-like: everything unusual (empty CPU freelist, __GFP_ZERO,
// a slab of another CPU, a double free) tail-calls a noinline slow path that also restores
// the IRQ state, so the common case saves no callee-saved registers.
inline __attribute__((always_inline)) void *slab_alloc(cache *s, gfp_t gfp, unsigned long addr)
{
	irqflags_t f = arch_local_irq_save();
	kmem_cache_cpu *c = &s->cpu_slab[smp_processor_id()];
	void *object = c->freelist;
	if (unlikely(!object || gfp_has(gfp, __GFP_ZERO)))
		return slab_alloc_slowpath(s, gfp, addr, f);
	c->freelist = get_freepointer(s, object);
	arch_local_irq_restore(f);
	return object;
}

inline __attribute__((always_inline)) void slab_free(cache *s, page *pg, void *x, unsigned long addr)
{
	irqflags_t f = arch_local_irq_save();
	kmem_cache_cpu *c = &s->cpu_slab[smp_processor_id()];
	void *head = c->freelist;
	if (unlikely(pg != c->slab || x == head))
		return slab_free_slowpath(s, pg, x, addr, f);
	set_freepointer(s, x, head);
	c->freelist = x;
	arch_local_irq_restore(f);
}

inline void *Allocator::cache_alloc(kmem_cache *s, gfp_t gfp, unsigned long caller) { return slab_alloc(C(s), gfp, caller); }

inline void Allocator::cache_free(kmem_cache *k, void *x, unsigned long caller)
{
	if (unlikely(!x))
		return;
	cache *s = C(k);
	page *pg = compound_head(obj_to_page(x));
	if (unlikely(!PageSlab(pg) || pg->slab_cache != s))
		return cache_free_mismatch(s, pg, x, caller);
	slab_free(s, pg, x, caller);
}

// One unsigned comparison catches both size 0 and sizes above the classes; GFP_DMA (rare)
// takes the slow path so the common case indexes a one-dimensional table.
void *kmalloc_slowpath(usize size, gfp_t gfp, unsigned long caller);

inline void *Allocator::kmalloc(usize size, gfp_t gfp, unsigned long caller)
{
	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE || gfp_has(gfp, __GFP_DMA)))
		return kmalloc_slowpath(size, gfp, caller);
	return slab_alloc(C(kmalloc_caches[0][kmalloc_index(size)]), gfp, caller);
}

inline void Allocator::kfree(const void *x, unsigned long caller)
{
	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	page *pg = compound_head(obj_to_page(x));
	if (unlikely(!PageSlab(pg)))
		return free_large_kmalloc(pg, x, caller);
	slab_free(C(pg->slab_cache), pg, const_cast<void *>(x), caller);
}

} // namespace slub
