// SLUB's data structures and its allocation fast paths, inline so that kmalloc/kfree and
// kmem_cache_alloc/free compile into the public functions without another call (slub.cpp has
// the design notes and everything else). Included through slab_active.h.
#pragma once

#include <asm/irqflags.h>
#if !defined(HOST_TEST)
#include <asm/rseq.h>
#endif
#include <asm/smp.h>

#include "core/compiler.h"
#include "core/spinlock.h"
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

// The node's lists and counters are guarded by list_lock, and so are the slab fields
// (freelist, inuse, frozen) of every slab that is not frozen by a CPU: those live in struct
// page, where the analysis cannot see them. get_partial() peeks at nr_partial with READ_ONCE.
struct kmem_cache_node {
	SpinLock list_lock;
	unsigned long nr_partial TA_GUARDED(list_lock) = 0;
	list_head partial TA_GUARDED(list_lock) = LIST_HEAD_INIT(partial);
	list_head full TA_GUARDED(list_lock) = LIST_HEAD_INIT(full);
	unsigned long nr_slabs TA_GUARDED(list_lock) = 0;
	unsigned long total_objects TA_GUARDED(list_lock) = 0;
	unsigned long nr_pages TA_GUARDED(list_lock) = 0;
};

#if defined(HOST_TEST)
// Host suite: add_partial() then remove_partial() on n without its list_lock (n and pg are
// the test's own), so a test can see lockdep_assert_held fire.
void partial_list_without_lock_for_test(kmem_cache_node *n, page *pg);
#endif

struct cache : kmem_cache {
	kmem_cache_cpu cpu_slab[NR_CPUS] = {};
	// The free pointer's offset within the object and the freelist secret: both fast paths
	// read the two together (one ldp), so they stay adjacent and in this order.
	unsigned long offset = 0;
	unsigned long random = 0;
	unsigned inuse = 0;        // end of object + right red zone: start of the metadata
	unsigned red_left_pad = 0; // left red zone before each object
	unsigned order = 0, objects = 0;         // preferred slab order and its object count
	unsigned min_order = 0, min_objects = 0; // fallback when the preferred order fails
	unsigned long min_partial = 0;
	gfp_t allocflags = gfp_t(0);
	kmem_cache_node node[MAX_NUMNODES];
};

// virt_to_page with the linear-map and vmemmap bases folded into one constant at boot (they
// do not move afterwards): pfn = (va - linear_map_base + memstart_addr) >> PAGE_SHIFT with both
// bases page-aligned, so page = vmemmap_fold + (va >> PAGE_SHIFT) * sizeof(page). Saves the
// three global loads of the generic virt_to_page on every free.
extern uptr vmemmap_fold;
inline page *obj_to_page(const void *x)
{
	uptr frame = reinterpret_cast<uptr>(x) >> PAGE_SHIFT;
	// Opaque to the optimiser, which would otherwise rewrite (x >> 12) * 64 as
	// (x >> 6) & ~63: three instructions instead of a shift and a shifted add.
	OPTIMIZER_HIDE_VAR(frame);
	return reinterpret_cast<page *>(vmemmap_fold + frame * sizeof(page));
}

inline cache *C(kmem_cache *s) { return static_cast<cache *>(s); }
inline const cache *C(const kmem_cache *s) { return static_cast<const cache *>(s); }

// Free pointers (CONFIG_SLAB_FREELIST_HARDENED): stored XOR the cache secret and the
// byte-swapped address of the object that holds them. Linux swabs the address of the pointer's
// slot (object + offset); the object's own address is as unique and as secret, and lets the
// slot be addressed as [object, offset] without computing the sum, one instruction less on
// every alloc and free.
inline void *freelist_ptr(const cache *s, void *ptr, const void *object)
{
	return reinterpret_cast<void *>(reinterpret_cast<unsigned long>(ptr) ^ s->random ^
					__builtin_bswap64(reinterpret_cast<unsigned long>(object)));
}
inline void **freepointer_slot(const cache *s, void *object)
{
	return reinterpret_cast<void **>(static_cast<u8 *>(object) + s->offset);
}
inline void *get_freepointer(const cache *s, void *object)
{
	return freelist_ptr(s, *freepointer_slot(s, object), object);
}
inline void set_freepointer(const cache *s, void *object, void *fp)
{
	*freepointer_slot(s, object) = freelist_ptr(s, fp, object);
}

// Slow paths (slub.cpp), all noinline and reached by tail calls from the fast paths below.
// They are entered with the caller's IRQ state, mask IRQs themselves and re-check everything
// the fast path looked at.
void *slab_alloc_slowpath(cache *s, gfp_t gfp, unsigned long addr);
void slab_free_slowpath(cache *s, page *pg, void *x, unsigned long addr);
void *kmalloc_slowpath(usize size, gfp_t gfp, unsigned long caller);
void *kmalloc_large(usize size, gfp_t gfp, unsigned long caller);
void kfree_slowpath(const void *x, unsigned long caller);
void cache_free_slowpath(cache *s, void *x, unsigned long caller);

// The fast paths below are kept leaf-like: everything unusual (empty CPU freelist, __GFP_ZERO,
// a slab of another CPU, a double free, a debug cache) tail-calls a noinline slow path, so the
// common case saves no registers and builds no frame.
//
// Debug caches (SLAB_DEBUG_FLAGS) never reach the CPU freelist: __slab_alloc never freezes a
// slab for them, so their c->freelist and c->slab stay NULL and both fast paths' first test
// ("freelist empty", "not this CPU's slab") already sends them to the checked slow path. That
// is the per-cache debug test, at no cost to the others.
//
// --- The per-CPU freelist primitive -------------------------------------------------------
// Everything the fast paths do to the per-CPU freelist is these two operations; everything
// else (which cache, __GFP_ZERO, which slab an object is in, when to take a slow path) is
// written once, below, for the kernel and the host suite alike.
//
//   cpu_freelist_pop(s)        takes the head of this CPU's freelist of s, making its decoded
//                              free pointer the new head; nullptr (nothing changed) when the
//                              list is empty.
//   cpu_freelist_push(s, pg, x) makes x the head, storing the old head as x's encoded free
//                              pointer, when pg is this CPU's frozen slab and x is not already
//                              the head (Linux's naive double-free check, which it makes under
//                              CONFIG_SLAB_FREELIST_HARDENED); false (nothing changed) otherwise.
//
// In the kernel each is one restartable sequence (kernel/rseq.h) instead of masking IRQs: it
// reads the CPU number, the kmem_cache_cpu and the free pointer, and publishes its result with
// a single final store to c->freelist. An interrupt taken before that store rewinds the
// sequence to its start, so a value read before an interrupt is never used after it: an IRQ
// handler may allocate and free on the same cache, and a later scheduler may migrate the task,
// without corrupting the list. The host build has no exceptions to rewind and masks IRQs.
// tests/shared/slub_fastpath_cases.h runs the same cases against both (host and KTEST).
#if defined(HOST_TEST)
inline void *cpu_freelist_pop(cache *s)
{
	irqflags_t f = arch_local_irq_save();
	kmem_cache_cpu *c = &s->cpu_slab[smp_processor_id()];
	void *object = c->freelist;
	if (object)
		c->freelist = get_freepointer(s, object);
	arch_local_irq_restore(f);
	return object;
}

inline bool cpu_freelist_push(cache *s, page *pg, void *x)
{
	irqflags_t f = arch_local_irq_save();
	kmem_cache_cpu *c = &s->cpu_slab[smp_processor_id()];
	void *head = c->freelist;
	bool ok = pg == c->slab && x != head;
	if (ok) {
		set_freepointer(s, x, head);
		c->freelist = x;
	}
	arch_local_irq_restore(f);
	return ok;
}
#else
// Layout the sequences address directly (cache is not standard-layout, hence the pragma).
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winvalid-offsetof"
inline constexpr unsigned CACHE_CPU_SLAB = offsetof(cache, cpu_slab);
inline constexpr unsigned CACHE_OFFSET = offsetof(cache, offset);
static_assert(offsetof(cache, random) == CACHE_OFFSET + 8, "one ldp reads offset and random");
static_assert(CACHE_CPU_SLAB <= 255 && CACHE_OFFSET <= 504 && CACHE_OFFSET % 8 == 0,
	      "pre-indexed ldr/ldp immediates");
#pragma clang diagnostic pop
static_assert(sizeof(kmem_cache_cpu) == 16, "cpu index is scaled by lsl #4");
static_assert(offsetof(kmem_cache_cpu, freelist) == 0 && offsetof(kmem_cache_cpu, slab) == 8,
	      "one ldp reads freelist and slab");

inline __attribute__((always_inline)) void *cpu_freelist_pop(cache *s)
{
	// Registers (all outputs are early-clobbered: the inputs must survive a restart):
	//   s   = the cache (input)          c   = &s->cpu_slab[cpu]
	//   obj = c->freelist, the result    off = s->offset, then bswap(obj)
	//   rnd = s->random                  nxt = decoded free pointer of obj
	// Leaves the sequence for `empty` when the freelist is empty. Reading obj's free pointer
	// is safe: obj was on this CPU's freelist when it was read, and an interrupt since then
	// would have rewound us before this load.
	void *object;
	u64 c, off, rnd, nxt;
	asm goto("1:	mrs	%[c], tpidr_el1\n"
		 "	add	%[c], %[s], %[c], lsl #4\n"
		 "	ldr	%[obj], [%[c], %[cpu_slab]]!\n"
		 "	cbz	%[obj], %l[empty]\n"
		 "	ldp	%[off], %[rnd], [%[s], %[offset]]\n"
		 "	ldr	%[nxt], [%[obj], %[off]]\n"
		 "	rev	%[off], %[obj]\n"
		 "	eor	%[nxt], %[nxt], %[off]\n"
		 "	eor	%[nxt], %[nxt], %[rnd]\n"
		 "2:	str	%[nxt], [%[c]]			// commit\n"
		 RSEQ_CS_ENTRY("1b", "2b", "1b")
		 : [obj] "=&r"(object), [c] "=&r"(c), [off] "=&r"(off), [rnd] "=&r"(rnd), [nxt] "=&r"(nxt)
		 : [s] "r"(s), [cpu_slab] "I"(CACHE_CPU_SLAB), [offset] "I"(CACHE_OFFSET)
		 : "memory"
		 : empty);
	// The cbz above: the caller's null test folds away.
	__builtin_assume(object != nullptr);
	return object;
empty:
	return nullptr;
}

inline __attribute__((always_inline)) bool cpu_freelist_push(cache *s, page *pg, void *x)
{
	// Registers (outputs early-clobbered: the inputs must survive a restart):
	//   s  = the cache, pg = x's slab, x = the object (inputs)
	//   c  = &s->cpu_slab[cpu]          head = c->freelist, then the encoded free pointer
	//   t  = c->slab, then s->random, then bswap(x)       off = s->offset
	// Storing the encoded head into x is not the commit: x belongs to the caller until the
	// commit publishes it, so a rerun simply stores it again with the fresh head.
	u64 c, head, t, off;
	asm goto("1:	mrs	%[c], tpidr_el1\n"
		 "	add	%[c], %[s], %[c], lsl #4\n"
		 "	ldp	%[head], %[t], [%[c], %[cpu_slab]]!\n"
		 "	cmp	%[t], %[pg]\n"
		 "	ccmp	%[head], %[x], #4, eq	// Z when another slab, or x == head\n"
		 "	b.eq	%l[refused]\n"
		 "	ldp	%[off], %[t], [%[s], %[offset]]\n"
		 "	eor	%[head], %[head], %[t]\n"
		 "	rev	%[t], %[x]\n"
		 "	eor	%[head], %[head], %[t]\n"
		 "	str	%[head], [%[x], %[off]]\n"
		 "2:	str	%[x], [%[c]]			// commit\n"
		 RSEQ_CS_ENTRY("1b", "2b", "1b")
		 : [c] "=&r"(c), [head] "=&r"(head), [t] "=&r"(t), [off] "=&r"(off)
		 : [s] "r"(s), [pg] "r"(pg), [x] "r"(x), [cpu_slab] "I"(CACHE_CPU_SLAB),
		   [offset] "I"(CACHE_OFFSET)
		 : "cc", "memory"
		 : refused);
	return true;
refused:
	return false;
}
#endif

inline __attribute__((always_inline)) void *slab_alloc(cache *s, gfp_t gfp, unsigned long addr)
{
	if (unlikely(gfp_has(gfp, __GFP_ZERO)))
		return slab_alloc_slowpath(s, gfp, addr);
	void *object = cpu_freelist_pop(s);
	if (unlikely(!object))
		return slab_alloc_slowpath(s, gfp, addr);
	return object;
}

inline __attribute__((always_inline)) void slab_free(cache *s, page *pg, void *x, unsigned long addr)
{
	if (likely(cpu_freelist_push(s, pg, x)))
		return;
	slab_free_slowpath(s, pg, x, addr);
}

// The public fast paths are always inlined, like the primitive: an out-of-line copy emitted
// as a COMDAT in some other file would carry its own __rseq_table entries, which the linker
// rejects once it discards the duplicate's code (seen with UBSan's inlining decisions).
[[gnu::always_inline]] inline void *Allocator::cache_alloc(kmem_cache *s, gfp_t gfp, unsigned long caller)
{
	return slab_alloc(C(s), gfp, caller);
}

// Whether x can be a slab object at all. In the kernel every object is a linear-map address
// (TTBR1: top bit set), so one bit test turns away NULL, ZERO_SIZE_PTR and whatever else the
// slow path has to sort out. The host test suite's "RAM" is an ordinary user-space mapping.
inline bool maybe_slab_object(const void *x)
{
#if defined(HOST_TEST)
	return !ZERO_OR_NULL_PTR(x);
#else
	return static_cast<long>(reinterpret_cast<uptr>(x)) < 0;
#endif
}

// Linux virt_to_slab for an object being freed: PG_slab is set on a slab's head page only
// and never on a tail page (the page allocator clears and checks every page's flags), so an
// object in the first page of its slab (every object of an order-0 slab) is recognised from
// its own struct page; an object in a later page pays for compound_head() as well.
// nullptr: x is not in a slab.
[[gnu::always_inline]] inline page *obj_to_slab(const void *x)
{
	page *pg = obj_to_page(x);
	if (likely(PageSlab(pg)))
		return pg;
	pg = compound_head(pg);
	return PageSlab(pg) ? pg : nullptr;
}

// Linux (with CONFIG_SLAB_FREELIST_HARDENED) checks that the object belongs to s; a
// mismatch, a non-slab pointer, NULL and every other unusual case go to the slow path.
[[gnu::always_inline]] inline void Allocator::cache_free(kmem_cache *k, void *x, unsigned long caller)
{
	cache *s = C(k);
	if (likely(maybe_slab_object(x))) {
		page *slab = obj_to_slab(x);
		if (likely(slab && slab->slab_cache == s) && likely(cpu_freelist_push(s, slab, x)))
			return;
	}
	cache_free_slowpath(s, x, caller);
}

// Run-time sizes. One unsigned comparison catches both size 0 and sizes above the classes;
// GFP_DMA (rare) takes the slow path so the common case indexes a one-dimensional table.
[[gnu::always_inline]] inline void *Allocator::kmalloc(usize size, gfp_t gfp, unsigned long caller)
{
	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE || gfp_has(gfp, __GFP_DMA)))
		return kmalloc_slowpath(size, gfp, caller);
	return slab_alloc(C(kmalloc_caches[0][kmalloc_index(size)]), gfp, caller);
}

[[gnu::always_inline]] inline void Allocator::kfree(const void *x, unsigned long caller)
{
	if (likely(maybe_slab_object(x))) {
		page *slab = obj_to_slab(x);
		if (likely(slab) && likely(cpu_freelist_push(C(slab->slab_cache), slab, const_cast<void *>(x))))
			return;
	}
	kfree_slowpath(x, caller);
}

} // namespace slub
