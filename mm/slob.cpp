// SLOB (Linux 6.1 mm/slob.c): a first-fit allocator over pages shared by all caches and
// kmalloc, for the smallest memory footprint.
//
// Memory is carved in SLOB_UNITs (2 bytes). A free block of n units stores n and the offset of
// the next free block in its first two units (a one-unit block stores minus the offset), so
// every page's free blocks form a list sorted by address inside the page (page->freelist is
// the first free block, page->slob_units the free units). Pages with free space sit on one of
// three lists by request size (small < 256 bytes, medium < 1024, large), so small objects do
// not fragment the pages big ones need; a search starts at the page that last satisfied one
// (Knuth's next fit) and a page whose blocks are all free goes back to the page allocator.
// Requests of a page or more go straight to the page allocator.
//
// Unlike Linux, the lists are kept per page kind too (normal, reclaimable, DMA, DMA32), so
// GFP_DMA and SLAB_RECLAIM_ACCOUNT get pages of the right zone and migratetype.
//
// kmalloc objects carry an 8-byte header with the requested size (ARCH_KMALLOC_MINALIGN), so
// kfree/ksize need no size; kmem_cache objects carry nothing, so they are freed with
// kmem_cache_free only. One spinlock (IRQ-safe) guards every list: SLOB trades speed for size.
#if defined(HOST_TEST) || defined(SLAB_SLOB)

#include "core/panic.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "mm/fault_inject.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab_internal.h"
#include "mm/vmstat.h"

namespace slob {

struct cache : kmem_cache {
	unsigned long nr_objects = 0; // live objects (atomic)
};

namespace {

using slobidx_t = i16;
static_assert(PAGE_SIZE <= 32767 * 2, "slobidx_t must index every unit of a page");
struct slob_t {
	slobidx_t units;
};
constexpr usize SLOB_UNIT = sizeof(slob_t);
constexpr usize SLOB_BREAK1 = 256;
constexpr usize SLOB_BREAK2 = 1024;
constexpr usize MINALIGN = ARCH_KMALLOC_MINALIGN;
constexpr slobidx_t SLOB_UNITS(usize size) { return static_cast<slobidx_t>(kstd::div_round_up(size, SLOB_UNIT)); }
constexpr unsigned NR_KINDS = 4;

// slob_lock guards the free lists, the page count and every SLOB page's free units.
SpinLock slob_lock;
list_head free_slob[NR_KINDS][3] TA_GUARDED(slob_lock);
cache boot_kmem_cache;
unsigned long kmalloc_objects; // atomic
unsigned long slob_pages TA_GUARDED(slob_lock);

inline unsigned page_kind(gfp_t gfp)
{
	if (gfp_has(gfp, __GFP_DMA))
		return 2;
	if (gfp_has(gfp, __GFP_DMA32))
		return 3;
	return gfp_has(gfp, __GFP_RECLAIMABLE) ? 1 : 0;
}
inline gfp_t kind_gfp(unsigned kind)
{
	switch (kind) {
	case 1: return __GFP_RECLAIMABLE;
	case 2: return __GFP_DMA;
	case 3: return __GFP_DMA32;
	default: return gfp_t(0);
	}
}

// A page's kind is kept in two page flags SLOB owns while the page is PageSlab, so a full page
// that becomes partially free returns to the lists of its own zone and migratetype.
inline void set_page_kind(page *sp, unsigned kind)
{
	if (kind & 1)
		__set_page_flag(sp, PG_owner_priv_1);
	if (kind & 2)
		__set_page_flag(sp, PG_private_2);
}
inline unsigned get_page_kind(const page *sp)
{
	return (test_page_flag(sp, PG_owner_priv_1) ? 1u : 0u) | (test_page_flag(sp, PG_private_2) ? 2u : 0u);
}
inline void clear_page_kind(page *sp)
{
	__clear_page_flag(sp, PG_owner_priv_1);
	__clear_page_flag(sp, PG_private_2);
}

inline list_head *slob_list_for(usize size, gfp_t gfp)
{
	unsigned k = page_kind(gfp);
	return &free_slob[k][size < SLOB_BREAK1 ? 0 : size < SLOB_BREAK2 ? 1 : 2];
}

inline unsigned get_order(usize size) { return size <= PAGE_SIZE ? 0 : kstd::fls64((size - 1) >> PAGE_SHIFT); }

// PG_private marks a SLOB page that is on a free list (Linux's PageSlobFree alias).
inline bool slob_page_free(const page *sp) { return PagePrivate(sp); }
inline void set_slob_page_free(page *sp, list_head *list) TA_REQ(slob_lock)
{
	list_add(&sp->slab_list, list);
	__SetPagePrivate(sp);
}
inline void clear_slob_page_free(page *sp) TA_REQ(slob_lock)
{
	list_del_init(&sp->slab_list);
	__ClearPagePrivate(sp);
}

inline slob_t *page_base(const void *s) { return reinterpret_cast<slob_t *>(reinterpret_cast<uptr>(s) & ~(uptr(PAGE_SIZE) - 1)); }

void set_slob(slob_t *s, slobidx_t size, slob_t *next)
{
	slob_t *base = page_base(s);
	slobidx_t offset = static_cast<slobidx_t>(next - base);
	if (size > 1) {
		s[0].units = size;
		s[1].units = offset;
	} else {
		s[0].units = static_cast<slobidx_t>(-offset);
	}
}
inline slobidx_t slob_units(const slob_t *s) { return s->units > 0 ? s->units : 1; }
inline slob_t *slob_next(slob_t *s)
{
	slob_t *base = page_base(s);
	slobidx_t next = s[0].units < 0 ? static_cast<slobidx_t>(-s[0].units) : s[1].units;
	return base + next;
}
inline bool slob_last(slob_t *s) { return (reinterpret_cast<uptr>(slob_next(s)) & (PAGE_SIZE - 1)) == 0; }

// First fit inside one page; align_offset bytes before the returned block must also fit
// (kmalloc's header). Returns nullptr if no block of the page fits.
void *slob_page_alloc(page *sp, usize size, usize align, usize align_offset, bool *removed) TA_REQ(slob_lock)
{
	slob_t *prev = nullptr, *cur, *aligned = nullptr;
	slobidx_t units = SLOB_UNITS(size);
	*removed = false;
	for (cur = static_cast<slob_t *>(sp->freelist);; prev = cur, cur = slob_next(cur)) {
		slobidx_t avail = slob_units(cur);
		long delta = 0;
		if (align) {
			aligned = reinterpret_cast<slob_t *>(kstd::align_up(reinterpret_cast<uptr>(cur) + align_offset, align) -
							     align_offset);
			delta = aligned - cur;
		}
		if (avail >= units + delta) {
			slob_t *next;
			if (delta) {
				// Split off the head so the object starts aligned.
				next = slob_next(cur);
				set_slob(aligned, static_cast<slobidx_t>(avail - delta), next);
				set_slob(cur, static_cast<slobidx_t>(delta), aligned);
				prev = cur;
				cur = aligned;
				avail = slob_units(cur);
			}
			next = slob_next(cur);
			if (avail == units) {
				if (prev)
					set_slob(prev, slob_units(prev), next);
				else
					sp->freelist = next;
			} else {
				if (prev)
					set_slob(prev, slob_units(prev), cur + units);
				else
					sp->freelist = cur + units;
				set_slob(cur + units, static_cast<slobidx_t>(avail - units), next);
			}
			sp->slob_units -= units;
			if (!sp->slob_units) {
				clear_slob_page_free(sp);
				*removed = true;
			}
			return cur;
		}
		if (slob_last(cur))
			return nullptr;
	}
}

void *slob_alloc(usize size, gfp_t gfp, usize align, usize align_offset)
{
	list_head *slob_list = slob_list_for(size, gfp);
	slob_t *b = nullptr;
	{
		SpinLockGuard g(slob_lock);
		list_for_each(pos, slob_list) {
			page *sp = list_entry(pos, page, slab_list);
			if (sp->slob_units < SLOB_UNITS(size))
				continue;
			bool removed;
			b = static_cast<slob_t *>(slob_page_alloc(sp, size, align, align_offset, &removed));
			if (!b)
				continue;
			// Next fit: start the next search at this page (Knuth vol 1, 2.5). A page just
			// removed from the list was not fragmented by this allocation anyway.
			if (!removed && slob_list->next != &sp->slab_list) {
				list_del(&sp->slab_list);
				list_add(&sp->slab_list, slob_list);
			}
			break;
		}
	}
	if (!b) {
		page *sp = alloc_pages((gfp & ~(__GFP_ZERO | __GFP_COMP)) | kind_gfp(page_kind(gfp)), 0);
		if (!sp)
			return nullptr;
		// Every SLOB page counts as unreclaimable slab, as Linux 6.1's slob_new_pages.
		account_slab_pages(sp, 0, false, 1);
		b = static_cast<slob_t *>(page_address(sp));
		SpinLockGuard g(slob_lock);
		__SetPageSlab(sp);
		set_page_kind(sp, page_kind(gfp));
		slob_pages++;
		sp->slob_units = SLOB_UNITS(PAGE_SIZE);
		sp->freelist = b;
		INIT_LIST_HEAD(&sp->slab_list);
		set_slob(b, SLOB_UNITS(PAGE_SIZE), b + SLOB_UNITS(PAGE_SIZE));
		set_slob_page_free(sp, slob_list);
		bool unused;
		b = static_cast<slob_t *>(slob_page_alloc(sp, size, align, align_offset, &unused));
		BUG_ON(!b);
	}
	if (unlikely(gfp_has(gfp, __GFP_ZERO)))
		memset(b, 0, size);
	return b;
}

void slob_free(void *block, usize size)
{
	if (unlikely(ZERO_OR_NULL_PTR(block)))
		return;
	BUG_ON(!size);
	page *sp = virt_to_page(block);
	slob_t *b = static_cast<slob_t *>(block);
	slobidx_t units = SLOB_UNITS(size);
	irqflags_t f = slob_lock.lock_irqsave();
	if (sp->slob_units + units == SLOB_UNITS(PAGE_SIZE)) {
		// The whole page is free: back to the page allocator.
		if (slob_page_free(sp))
			clear_slob_page_free(sp);
		slob_pages--;
		slob_lock.unlock_irqrestore(f);
		__ClearPageSlab(sp);
		clear_page_kind(sp);
		sp->freelist = nullptr;
		sp->slob_units = 0;
		account_slab_pages(sp, 0, false, -1);
		__free_pages(sp, 0);
		return;
	}
	if (!slob_page_free(sp)) {
		// A full page becomes partially free: the block is its whole free list.
		sp->slob_units = units;
		sp->freelist = b;
		set_slob(b, units, page_base(b) + SLOB_UNITS(PAGE_SIZE));
		set_slob_page_free(sp, &free_slob[get_page_kind(sp)][size < SLOB_BREAK1 ? 0 : size < SLOB_BREAK2 ? 1 : 2]);
		slob_lock.unlock_irqrestore(f);
		return;
	}
	// Insert into the page's address-ordered free list, merging with neighbours.
	sp->slob_units += units;
	slob_t *fl = static_cast<slob_t *>(sp->freelist);
	if (b < fl) {
		if (b + units == fl) {
			units = static_cast<slobidx_t>(units + slob_units(fl));
			fl = slob_next(fl);
		}
		set_slob(b, units, fl);
		sp->freelist = b;
	} else {
		slob_t *prev = fl, *next = slob_next(prev);
		while (b > next) {
			prev = next;
			next = slob_next(prev);
		}
		if (!slob_last(prev) && b + units == next) {
			units = static_cast<slobidx_t>(units + slob_units(next));
			set_slob(b, units, slob_next(next));
		} else {
			set_slob(b, units, next);
		}
		if (prev + slob_units(prev) == b) {
			units = static_cast<slobidx_t>(slob_units(b) + slob_units(prev));
			set_slob(prev, units, slob_next(b));
		} else {
			set_slob(prev, slob_units(prev), b);
		}
	}
	slob_lock.unlock_irqrestore(f);
}

inline cache *C(kmem_cache *s) { return static_cast<cache *>(s); }

} // namespace

kmem_cache *Allocator::alloc_descriptor()
{
	void *m = slob_alloc(sizeof(cache), GFP_KERNEL | __GFP_ZERO, alignof(cache), 0);
	if (!m)
		return nullptr;
	__atomic_fetch_add(&boot_kmem_cache.nr_objects, 1, __ATOMIC_RELAXED);
	return new (m) cache();
}

void Allocator::free_descriptor(kmem_cache *s)
{
	slob_free(s, sizeof(cache));
	__atomic_fetch_sub(&boot_kmem_cache.nr_objects, 1, __ATOMIC_RELAXED);
}

Result Allocator::cache_open(kmem_cache *s)
{
	// Objects are as large as asked, rounded to whole units by slob_alloc; nothing else to lay out.
	s->size = s->object_size;
	return {};
}

unsigned long Allocator::cache_shutdown(kmem_cache *s)
{
	unsigned long live = __atomic_load_n(&C(s)->nr_objects, __ATOMIC_RELAXED);
	if (live)
		// SLOB keeps no per-object metadata: the count is all it can say.
		pr_err("SLOB %s: %lu objects remaining on kmem_cache_destroy (SLOB records no call sites)\n", s->name,
		       live);
	return live;
}

void *Allocator::cache_alloc(kmem_cache *s, gfp_t gfp, unsigned long)
{
	if (unlikely(fault_inject_armed()) && should_failslab(s, gfp))
		return nullptr;
	if (slab_flags_has(s->flags, SLAB_CACHE_DMA))
		gfp |= __GFP_DMA;
	if (slab_flags_has(s->flags, SLAB_CACHE_DMA32))
		gfp |= __GFP_DMA32;
	if (slab_flags_has(s->flags, SLAB_RECLAIM_ACCOUNT))
		gfp |= __GFP_RECLAIMABLE;
	void *b;
	if (s->size < PAGE_SIZE) {
		b = slob_alloc(s->size, gfp, s->align, 0);
	} else {
		page *pg = alloc_pages(gfp, get_order(s->size));
		if (pg)
			account_slab_pages(pg, get_order(s->size), false, 1);
		b = pg ? page_address(pg) : nullptr;
	}
	if (!b)
		return nullptr;
	__atomic_fetch_add(&C(s)->nr_objects, 1, __ATOMIC_RELAXED);
	if (s->ctor)
		s->ctor(b);
	return b;
}

void Allocator::cache_free(kmem_cache *s, void *x, unsigned long caller)
{
	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	__atomic_fetch_sub(&C(s)->nr_objects, 1, __ATOMIC_RELAXED);
	if (s->size < PAGE_SIZE) {
		if (!PageSlab(virt_to_page(x))) {
			pr_err("kmem_cache_free(%s): object %p is not in a SLOB page (caller %pS)\n", s->name, x,
			       reinterpret_cast<void *>(caller));
			return;
		}
		slob_free(x, s->size);
	} else {
		account_slab_pages(virt_to_page(x), get_order(s->size), false, -1);
		__free_pages(virt_to_page(x), get_order(s->size));
	}
}

void *Allocator::kmalloc(usize size, gfp_t gfp, unsigned long caller)
{
	void *ret;
	if (size < PAGE_SIZE - MINALIGN) {
		if (!size)
			return ZERO_SIZE_PTR;
		// Power-of-two sizes are naturally aligned, as Linux guarantees for kmalloc.
		usize align = kstd::is_power_of_2(size) ? kstd::max(MINALIGN, size) : MINALIGN;
		auto *m = static_cast<unsigned *>(slob_alloc(size + MINALIGN, gfp, align, MINALIGN));
		if (!m)
			return nullptr;
		*m = static_cast<unsigned>(size);
		ret = reinterpret_cast<u8 *>(m) + MINALIGN;
	} else {
		if (size > KMALLOC_MAX_SIZE) {
			if (!gfp_has(gfp, __GFP_NOWARN))
				pr_warn("kmalloc: %zu bytes is above KMALLOC_MAX_SIZE (%zu), caller %pS\n", size,
					KMALLOC_MAX_SIZE, reinterpret_cast<void *>(caller));
			return nullptr;
		}
		unsigned order = get_order(size);
		page *pg = alloc_pages(order ? gfp | __GFP_COMP : gfp, order);
		if (!pg)
			return nullptr;
		account_slab_pages(pg, order, false, 1);
		ret = page_address(pg);
	}
	__atomic_fetch_add(&kmalloc_objects, 1, __ATOMIC_RELAXED);
	return ret;
}

void Allocator::kfree(const void *x, unsigned long caller)
{
	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	page *pg = compound_head(virt_to_page(x));
	if (PageSlab(pg)) {
		auto *m = reinterpret_cast<unsigned *>(const_cast<u8 *>(static_cast<const u8 *>(x)) - MINALIGN);
		slob_free(m, *m + MINALIGN);
	} else {
		if (page_ref_count(pg) <= 0 || page_address(pg) != x) {
			pr_err("kfree: %p is not a kmalloc object (caller %pS)\n", x, reinterpret_cast<void *>(caller));
			return;
		}
		account_slab_pages(pg, compound_order(pg), false, -1);
		__free_pages(pg, compound_order(pg));
	}
	__atomic_fetch_sub(&kmalloc_objects, 1, __ATOMIC_RELAXED);
}

usize Allocator::ksize(const void *x)
{
	if (ZERO_OR_NULL_PTR(x))
		return 0;
	const page *pg = compound_head(virt_to_page(x));
	if (!PageSlab(pg))
		return PAGE_SIZE << compound_order(pg);
	const unsigned *m = reinterpret_cast<const unsigned *>(static_cast<const u8 *>(x) - MINALIGN);
	return usize(SLOB_UNITS(*m)) * SLOB_UNIT;
}

unsigned long Allocator::live_objects(kmem_cache *s) { return __atomic_load_n(&C(s)->nr_objects, __ATOMIC_RELAXED); }
unsigned long Allocator::kmalloc_live_objects() { return __atomic_load_n(&kmalloc_objects, __ATOMIC_RELAXED); }

void Allocator::get_slabinfo(kmem_cache *s, slabinfo &info)
{
	// SLOB shares its pages among all caches: there are no per-cache slabs to count.
	info.active_objs = info.num_objs = live_objects(s);
	info.objects_per_slab = s->size < PAGE_SIZE ? static_cast<unsigned>(PAGE_SIZE / (SLOB_UNITS(s->size) * SLOB_UNIT)) : 1;
	info.cache_order = s->size < PAGE_SIZE ? 0 : get_order(s->size);
}

unsigned long Allocator::pages_in_use()
{
	SpinLockGuard g(slob_lock);
	return slob_pages;
}

void Allocator::boot()
{
	{
		SpinLockGuard g(slob_lock); // nothing else runs yet: taken so the rule has no exception
		for (auto &kind : free_slob)
			for (auto &l : kind)
				INIT_LIST_HEAD(&l);
	}
	new (&boot_kmem_cache) cache();
	SlabCommon<Allocator>::create_boot(&boot_kmem_cache, "kmem_cache", sizeof(cache), SLAB_HWCACHE_ALIGN);
	unsigned nodes = 0;
	for_each_online_node(nid)
		nodes++;
	pr_info("SLOB: unit=%zu bytes, free lists <%zu/<%zu/larger bytes, page allocator from %lu bytes, CPUs=%u, "
		"Nodes=%u\n",
		SLOB_UNIT, SLOB_BREAK1, SLOB_BREAK2, PAGE_SIZE - MINALIGN, slab_nr_cpu_ids, nodes ? nodes : 1);
}

void Allocator::reset_for_test()
{
	{
		SpinLockGuard g(slob_lock);
		for (auto &kind : free_slob)
			for (auto &l : kind)
				INIT_LIST_HEAD(&l);
		slob_pages = 0;
	}
	kmalloc_objects = 0;
	new (&boot_kmem_cache) cache();
}

} // namespace slob

#endif
