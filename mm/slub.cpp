// SLUB (Linux 6.1 mm/slub.c, simplified where noted): objects of one size live in slabs (one
// compound block of 2^order pages per slab) whose struct page carries the slab view
// (slab_cache, freelist, inuse/objects/frozen).
//
// Per-CPU fast path: each CPU owns one "frozen" slab and a private freelist of its objects
// (kmem_cache_cpu). Allocation pops and free pushes on that list inside a restartable
// sequence (kernel/rseq.h, asm/rseq.h; the asm is in mm/slub_internal.h): it reads the CPU
// number, the list head and the free pointer, and publishes with one final store to
// c->freelist; an exception taken before that store rewinds it to the start. Nothing else
// writes another CPU's kmem_cache_cpu, so this is SMP-correct without IRQ masking, a
// transaction id or cmpxchg_double (Linux's this_cpu_cmpxchg_double with a tid). The slow
// paths (slab_alloc_slowpath, slab_free_slowpath) and the host build mask IRQs instead.
//
// Slow path, under the node's list_lock (always taken with IRQs off): frees to slabs the CPU
// does not own go onto slab->freelist with inuse decremented (a frozen slab's owner collects
// them when its private list runs dry); slabs that are neither frozen nor full sit on the
// node's partial list, of which at most min_partial empty ones are kept; full slabs sit on the
// node's full list so leak reports and validation can reach every object.
//
// Invariants (list_lock held):
//   frozen slab:  on no list; inuse == objects - (objects freed remotely since it was frozen)
//   partial slab: freelist != NULL, 0 <= inuse < objects
//   full slab:    freelist == NULL, inuse == objects
//   nr_slabs/total_objects count every slab of the node, frozen or not.
//
// Free pointers are stored XOR the per-cache secret and the byte-swapped address of the slot
// (CONFIG_SLAB_FREELIST_HARDENED), so an overwritten or leaked free pointer does not hand an
// attacker a chosen address; freeing the object at the head of the list again is a BUG
// (Linux's naive double-free detection).
//
// Debug caches (SLAB_DEBUG_FLAGS, from the cache flags or slub_debug=) never use the per-CPU
// path: every allocation and free takes list_lock and runs Linux's alloc/free_debug_processing.
#if defined(HOST_TEST) || !defined(SLAB_SLOB)

#include <asm/irqflags.h>
#include <asm/smp.h>

#include "core/compiler.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "lib/format.h"
#include "mm/fault_inject.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab_active.h"
#include "mm/slub_internal.h"
#include "mm/vmstat.h"

namespace slub {

namespace {

struct track {
	unsigned long addr; // caller (_RET_IP_)
	u64 when;           // slab_clock()
	int cpu;
	int pid;
};
enum track_item { TRACK_ALLOC, TRACK_FREE };

constexpr unsigned slub_min_order = 0;
constexpr unsigned slub_max_order = 3; // PAGE_ALLOC_COSTLY_ORDER
constexpr unsigned slub_min_objects = 0;
constexpr unsigned MAX_OBJS_PER_PAGE = 32767; // the 15-bit objects field
constexpr unsigned MAX_SLAB_ORDER = 10;       // MAX_ORDER - 1
constexpr unsigned long MIN_PARTIAL = 5;
constexpr unsigned long MAX_PARTIAL = 10;
// Largest object count a slab can have within slub_max_order (smallest object is 8 bytes).
constexpr unsigned MAP_BITS = (PAGE_SIZE << slub_max_order) / 8;

} // namespace

uptr vmemmap_fold;

[[noreturn]] __attribute__((noinline)) void double_free_bug(const cache *s, void *x)
{
	panic("SLUB %s: double free or freelist corruption of object %p", s->name, x);
}


namespace {

cache boot_kmem_cache;

slab_flags_t slub_debug;
char slub_debug_names[128];

SpinLock object_map_lock;
unsigned long object_map[MAP_BITS / 64] TA_GUARDED(object_map_lock);


inline bool kmem_cache_debug(const cache *s) { return slab_flags_has(s->flags, SLAB_DEBUG_FLAGS); }
inline bool has_flag(const cache *s, slab_flags_t f) { return slab_flags_has(s->flags, f); }

inline unsigned get_order(usize size)
{
	return size <= PAGE_SIZE ? 0 : kstd::fls64((size - 1) >> PAGE_SHIFT);
}
inline unsigned order_objects(unsigned order, unsigned size) { return (PAGE_SIZE << order) / size; }
inline u8 *slab_address(const page *pg) { return static_cast<u8 *>(page_address(pg)); }
inline usize slab_size(const page *pg) { return PAGE_SIZE << compound_order(pg); }
inline kmem_cache_node *get_node(cache *s, const page *pg) { return &s->node[page_to_nid(pg)]; }

// --- free pointers -----------------------------------------------------------------------------


// --- layout ------------------------------------------------------------------------------------

inline bool freeptr_outside_object(const cache *s) { return s->offset >= s->inuse; }
inline unsigned get_info_end(const cache *s) { return freeptr_outside_object(s) ? s->inuse + sizeof(void *) : s->inuse; }
inline unsigned size_from_object(const cache *s) { return has_flag(s, SLAB_RED_ZONE) ? s->size - s->red_left_pad : s->size; }
inline track *get_track(const cache *s, void *object, track_item alloc)
{
	return reinterpret_cast<track *>(static_cast<u8 *>(object) + get_info_end(s)) + alloc;
}
inline void *fixup_red_left(const cache *s, void *p) { return static_cast<u8 *>(p) + s->red_left_pad; }

// Linux calc_slab_order: the smallest order from which at most 1/fract_leftover of the slab is
// left over, with at least min_objects objects.
unsigned calc_slab_order(unsigned size, unsigned min_objects, unsigned max_order, unsigned fract_leftover)
{
	unsigned min_order = slub_min_order;
	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return get_order(size * MAX_OBJS_PER_PAGE) - 1;
	unsigned order;
	for (order = kstd::max(min_order, get_order(usize(min_objects) * size)); order <= max_order; order++) {
		unsigned slab_size = static_cast<unsigned>(PAGE_SIZE << order);
		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

// Linux calculate_order: prefer a small waste fraction and enough objects per slab, relaxing
// both until something fits within slub_max_order. -1 if nothing fits a buddy block.
int calculate_order(unsigned size)
{
	unsigned min_objects = slub_min_objects;
	if (!min_objects)
		min_objects = 4 * (kstd::fls64(slab_nr_cpu_ids) + 1);
	unsigned max_objects = order_objects(slub_max_order, size);
	min_objects = kstd::min(min_objects, max_objects);
	while (min_objects > 1) {
		for (unsigned fraction = 16; fraction >= 4; fraction /= 2) {
			unsigned order = calc_slab_order(size, min_objects, slub_max_order, fraction);
			if (order <= slub_max_order)
				return static_cast<int>(order);
		}
		min_objects--;
	}
	unsigned order = calc_slab_order(size, 1, slub_max_order, 1);
	if (order <= slub_max_order)
		return static_cast<int>(order);
	order = calc_slab_order(size, 1, MAX_SLAB_ORDER, 1);
	if (order <= MAX_SLAB_ORDER)
		return static_cast<int>(order);
	return -1;
}

// Linux calculate_sizes. Object slot layout:
//   [left red zone: red_left_pad][object: object_size][pad to word / right red zone .. inuse)
//   [free pointer, if outside the object][track alloc][track free][red zone word][align pad]
// Without poisoning, a constructor or a tiny red-zoned object, the free pointer lives in the
// middle of the object (6.1), where an overflow from the previous object does not reach it
// first.
bool calculate_sizes(cache *s)
{
	slab_flags_t flags = s->flags;
	unsigned size = static_cast<unsigned>(kstd::align_up(s->object_size, sizeof(void *)));
	if (slab_flags_has(flags, SLAB_POISON) && !s->ctor)
		s->flags |= __OBJECT_POISON;
	else
		s->flags &= ~__OBJECT_POISON;
	if (slab_flags_has(flags, SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if (slab_flags_has(flags, SLAB_POISON) || s->ctor ||
	    (slab_flags_has(flags, SLAB_RED_ZONE) && s->object_size < sizeof(void *))) {
		s->offset = size;
		size += sizeof(void *);
	} else {
		s->offset = static_cast<unsigned>(kstd::align_down(s->object_size / 2, sizeof(void *)));
	}
	if (slab_flags_has(flags, SLAB_STORE_USER))
		size += 2 * sizeof(track);
	s->red_left_pad = 0;
	if (slab_flags_has(flags, SLAB_RED_ZONE)) {
		size += sizeof(void *);
		s->red_left_pad = static_cast<unsigned>(kstd::align_up(sizeof(void *), s->align));
		size += s->red_left_pad;
	}
	size = static_cast<unsigned>(kstd::align_up(size, s->align));
	s->size = size;
	int order = calculate_order(size);
	if (order < 0)
		return false;
	s->allocflags = gfp_t(0);
	if (order)
		s->allocflags |= __GFP_COMP;
	if (slab_flags_has(flags, SLAB_CACHE_DMA))
		s->allocflags |= GFP_DMA;
	if (slab_flags_has(flags, SLAB_CACHE_DMA32))
		s->allocflags |= GFP_DMA32;
	if (slab_flags_has(flags, SLAB_RECLAIM_ACCOUNT))
		s->allocflags |= __GFP_RECLAIMABLE;
	s->order = static_cast<unsigned>(order);
	s->objects = order_objects(s->order, size);
	s->min_order = get_order(size);
	s->min_objects = order_objects(s->min_order, size);
	return s->objects > 0;
}

// --- reports (Linux's format) --------------------------------------------------------------------

void print_section(const char *text, const u8 *addr, unsigned length)
{
	char line[16 * 3 + 2 + 16 + 1];
	for (unsigned off = 0; off < length; off += 16) {
		unsigned n = kstd::min(16u, length - off), len = 0;
		for (unsigned i = 0; i < 16; i++)
			len += n > i ? kstd::scnprintf(line + len, sizeof(line) - len, "%02x ", addr[off + i])
				     : kstd::scnprintf(line + len, sizeof(line) - len, "   ");
		len += kstd::scnprintf(line + len, sizeof(line) - len, " ");
		for (unsigned i = 0; i < n; i++) {
			u8 c = addr[off + i];
			line[len++] = c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
		}
		line[len] = 0;
		pr_err("%s%p: %s\n", text, addr + off, line);
	}
}

void print_track(const char *s, const track *t, u64 now)
{
	if (!t->addr)
		return;
	// Age in jiffies of a HZ=250 kernel (arm64 defconfig), from the generic counter.
	u64 hz = slab_clock_hz();
	unsigned long age = static_cast<unsigned long>(hz ? (now - t->when) * 250 / hz : 0);
	pr_err("%s in %pS age=%lu cpu=%u pid=%d\n", s, reinterpret_cast<void *>(t->addr), age, t->cpu, t->pid);
}

void print_tracking(const cache *s, void *object)
{
	if (!has_flag(s, SLAB_STORE_USER))
		return;
	u64 now = slab_clock();
	print_track("Allocated", get_track(s, object, TRACK_ALLOC), now);
	print_track("Freed", get_track(s, object, TRACK_FREE), now);
}

void print_slab_info(const page *pg)
{
	char flags[128];
	format_page_flags(flags, sizeof(flags), pg->flags);
	pr_err("Slab %p objects=%u used=%u fp=%p flags=%s\n", pg, pg->objects, pg->inuse, pg->freelist, flags);
}

__attribute__((format(printf, 2, 3))) void slab_bug(const cache *s, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_err("=============================================================================\n");
	pr_err("BUG %s (Not tainted): %s\n", s->name, buf);
	pr_err("-----------------------------------------------------------------------------\n\n");
}

__attribute__((format(printf, 2, 3))) void slab_fix(const cache *s, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	slab_errors++;
	pr_err("FIX %s: %s\n", s->name, buf);
}

void print_trailer(const cache *s, const page *pg, u8 *p)
{
	u8 *addr = slab_address(pg);
	print_tracking(s, p);
	print_slab_info(pg);
	pr_err("Object %p @offset=%lu fp=%p\n\n", p, static_cast<unsigned long>(p - addr), get_freepointer(s, p));
	if (has_flag(s, SLAB_RED_ZONE))
		print_section("Redzone  ", p - s->red_left_pad, s->red_left_pad);
	else if (p > addr + 16)
		print_section("Bytes b4 ", p - 16, 16);
	print_section("Object   ", p, kstd::min(s->object_size, unsigned(PAGE_SIZE)));
	if (has_flag(s, SLAB_RED_ZONE))
		print_section("Redzone  ", p + s->object_size, s->inuse - s->object_size);
	unsigned off = get_info_end(s);
	if (has_flag(s, SLAB_STORE_USER))
		off += 2 * sizeof(track);
	if (off != size_from_object(s))
		print_section("Padding  ", p + off, size_from_object(s) - off);
}

void object_err(const cache *s, const page *pg, u8 *object, const char *reason)
{
	slab_errors++;
	slab_bug(s, "%s", reason);
	print_trailer(s, pg, object);
}

__attribute__((format(printf, 3, 4))) void slab_err(const cache *s, const page *pg, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	slab_errors++;
	slab_bug(s, "%s", buf);
	print_slab_info(pg);
}

void restore_bytes(const cache *s, const char *message, u8 data, u8 *from, u8 *to)
{
	slab_fix(s, "Restoring %s %p-%p=0x%x", message, from, to - 1, data);
	memset(from, data, static_cast<usize>(to - from));
}

u8 *memchr_inv(u8 *start, u8 value, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		if (start[i] != value)
			return start + i;
	return nullptr;
}

bool check_bytes_and_report(const cache *s, const page *pg, u8 *object, const char *what, u8 *start, u8 value,
			    unsigned bytes)
{
	u8 *fault = memchr_inv(start, value, bytes);
	if (!fault)
		return true;
	u8 *end = start + bytes;
	while (end > fault && end[-1] == value)
		end--;
	slab_errors++;
	slab_bug(s, "%s overwritten", what);
	pr_err("%p-%p @offset=%lu. First byte 0x%x instead of 0x%x\n", fault, end - 1,
	       static_cast<unsigned long>(fault - slab_address(pg)), fault[0], value);
	print_trailer(s, pg, object);
	restore_bytes(s, what, value, fault, end);
	return false;
}

// --- debug checks (Linux 6.1) -------------------------------------------------------------------

void set_track(const cache *s, void *object, track_item alloc, unsigned long addr)
{
	track *t = get_track(s, object, alloc);
	t->addr = addr;
	t->when = slab_clock();
	t->cpu = static_cast<int>(smp_processor_id());
	t->pid = 0; // no tasks yet: everything runs as the boot task
}

void init_tracking(const cache *s, void *object)
{
	if (!has_flag(s, SLAB_STORE_USER))
		return;
	memset(get_track(s, object, TRACK_ALLOC), 0, 2 * sizeof(track));
}

void init_object(const cache *s, void *object, u8 val)
{
	u8 *p = static_cast<u8 *>(object);
	if (has_flag(s, SLAB_RED_ZONE))
		memset(p - s->red_left_pad, val, s->red_left_pad);
	if (has_flag(s, __OBJECT_POISON)) {
		memset(p, POISON_FREE, s->object_size - 1);
		p[s->object_size - 1] = POISON_END;
	}
	if (has_flag(s, SLAB_RED_ZONE))
		memset(p + s->object_size, val, s->inuse - s->object_size);
}

bool check_valid_pointer(const cache *s, const page *pg, void *object)
{
	if (!object)
		return true;
	u8 *base = slab_address(pg);
	u8 *o = static_cast<u8 *>(object) - s->red_left_pad;
	return o >= base && o < base + usize(pg->objects) * s->size && (o - base) % s->size == 0;
}

bool check_pad_bytes(const cache *s, const page *pg, u8 *p)
{
	unsigned off = get_info_end(s);
	if (has_flag(s, SLAB_STORE_USER))
		off += 2 * sizeof(track);
	if (size_from_object(s) == off)
		return true;
	return check_bytes_and_report(s, pg, p, "Object padding", p + off, POISON_INUSE, size_from_object(s) - off);
}

void slab_pad_check(const cache *s, const page *pg)
{
	if (!has_flag(s, SLAB_POISON))
		return;
	u8 *start = slab_address(pg);
	unsigned length = static_cast<unsigned>(slab_size(pg));
	u8 *end = start + length;
	unsigned remainder = length % s->size;
	if (!remainder)
		return;
	u8 *pad = end - remainder;
	u8 *fault = memchr_inv(pad, POISON_INUSE, remainder);
	if (!fault)
		return;
	while (end > fault && end[-1] == POISON_INUSE)
		end--;
	slab_err(s, pg, "Padding overwritten. %p-%p @offset=%lu", fault, end - 1,
		 static_cast<unsigned long>(fault - start));
	print_section("Padding ", pad, remainder);
	restore_bytes(s, "slab padding", POISON_INUSE, fault, end);
}

bool check_object(const cache *s, const page *pg, void *object, u8 val)
{
	u8 *p = static_cast<u8 *>(object);
	u8 *endobject = p + s->object_size;
	if (has_flag(s, SLAB_RED_ZONE)) {
		if (!check_bytes_and_report(s, pg, p, "Left Redzone", p - s->red_left_pad, val, s->red_left_pad))
			return false;
		if (!check_bytes_and_report(s, pg, p, "Right Redzone", endobject, val, s->inuse - s->object_size))
			return false;
	} else if (has_flag(s, SLAB_POISON) && s->object_size < s->inuse) {
		check_bytes_and_report(s, pg, p, "Alignment padding", endobject, POISON_INUSE, s->inuse - s->object_size);
	}
	if (has_flag(s, SLAB_POISON)) {
		if (val != SLUB_RED_ACTIVE && has_flag(s, __OBJECT_POISON) &&
		    (!check_bytes_and_report(s, pg, p, "Poison", p, POISON_FREE, s->object_size - 1) ||
		     !check_bytes_and_report(s, pg, p, "End Poison", p + s->object_size - 1, POISON_END, 1)))
			return false;
		check_pad_bytes(s, pg, p);
	}
	if (!freeptr_outside_object(s) && val == SLUB_RED_ACTIVE)
		// The free pointer overlaps the object, which the user owns now.
		return true;
	if (!check_valid_pointer(s, pg, get_freepointer(s, p))) {
		object_err(s, pg, p, "Freepointer corrupt");
		// No choice but to cut the chain: the rest of the slab's free objects are lost.
		set_freepointer(s, p, nullptr);
		return false;
	}
	return true;
}

bool check_slab(const cache *s, page *pg)
{
	if (!PageSlab(pg)) {
		slab_err(s, pg, "Not a valid slab page");
		return false;
	}
	unsigned maxobj = order_objects(compound_order(pg), s->size);
	if (pg->objects > maxobj) {
		slab_err(s, pg, "objects %u > max %u", pg->objects, maxobj);
		return false;
	}
	if (pg->inuse > pg->objects) {
		slab_err(s, pg, "inuse %u > max %u", pg->inuse, pg->objects);
		return false;
	}
	slab_pad_check(s, pg);
	return true;
}

// Whether search is on the slab's freelist (search == nullptr: check the list and the counters).
// Repairs what it finds broken, as Linux does.
bool on_freelist(const cache *s, page *pg, void *search)
{
	unsigned nr = 0;
	void *fp = pg->freelist, *object = nullptr;
	while (fp && nr <= pg->objects) {
		if (fp == search)
			return true;
		if (!check_valid_pointer(s, pg, fp)) {
			if (object) {
				object_err(s, pg, static_cast<u8 *>(object), "Freechain corrupt");
				set_freepointer(s, object, nullptr);
			} else {
				slab_err(s, pg, "Freepointer corrupt");
				pg->freelist = nullptr;
				pg->inuse = pg->objects;
				slab_fix(s, "Freelist cleared");
				return false;
			}
			break;
		}
		object = fp;
		fp = get_freepointer(s, object);
		nr++;
	}
	unsigned max_objects = kstd::min(order_objects(compound_order(pg), s->size), MAX_OBJS_PER_PAGE);
	if (pg->objects != max_objects) {
		slab_err(s, pg, "Wrong number of objects. Found %u but should be %u", pg->objects, max_objects);
		pg->objects = max_objects;
		slab_fix(s, "Number of objects adjusted");
	}
	if (pg->inuse != pg->objects - nr) {
		slab_err(s, pg, "Wrong object count. Counter is %u but counted were %u", pg->inuse, pg->objects - nr);
		pg->inuse = pg->objects - nr;
		slab_fix(s, "Object count adjusted");
	}
	return search == nullptr;
}

void trace(const cache *s, const page *pg, void *object, bool alloc)
{
	if (!has_flag(s, SLAB_TRACE))
		return;
	pr_info("TRACE %s %s %p inuse=%u fp=%p\n", s->name, alloc ? "alloc" : "free", object, pg->inuse,
		pg->freelist);
	if (!alloc)
		print_section("Object ", static_cast<u8 *>(object), s->object_size);
}

bool alloc_debug_processing(cache *s, page *pg, void *object, unsigned long addr)
{
	if (has_flag(s, SLAB_CONSISTENCY_CHECKS)) {
		if (!check_slab(s, pg))
			goto bad;
		if (!check_valid_pointer(s, pg, object)) {
			object_err(s, pg, static_cast<u8 *>(object), "Freelist Pointer check fails");
			goto bad;
		}
		if (!check_object(s, pg, object, SLUB_RED_INACTIVE))
			goto bad;
	}
	if (has_flag(s, SLAB_STORE_USER))
		set_track(s, object, TRACK_ALLOC, addr);
	trace(s, pg, object, true);
	init_object(s, object, SLUB_RED_ACTIVE);
	return true;
bad:
	// Mark every object used so nothing more is handed out of this slab.
	slab_fix(s, "Marking all objects used");
	pg->inuse = pg->objects;
	pg->freelist = nullptr;
	return false;
}

bool free_debug_processing(cache *s, page *pg, void *object, unsigned long addr)
{
	if (has_flag(s, SLAB_CONSISTENCY_CHECKS)) {
		if (!check_slab(s, pg))
			goto fail;
		if (!check_valid_pointer(s, pg, object)) {
			slab_err(s, pg, "Invalid object pointer %p", object);
			goto fail;
		}
		if (on_freelist(s, pg, object)) {
			object_err(s, pg, static_cast<u8 *>(object), "Object already free");
			goto fail;
		}
		if (!check_object(s, pg, object, SLUB_RED_ACTIVE))
			goto fail;
		if (pg->slab_cache != s) {
			object_err(s, pg, static_cast<u8 *>(object), "page slab pointer corrupt.");
			goto fail;
		}
	}
	if (has_flag(s, SLAB_STORE_USER))
		set_track(s, object, TRACK_FREE, addr);
	trace(s, pg, object, false);
	init_object(s, object, SLUB_RED_INACTIVE);
	return true;
fail:
	slab_fix(s, "Object at %p not freed", object);
	return false;
}

// --- slabs ------------------------------------------------------------------------------------

void setup_object(cache *s, void *object)
{
	if (has_flag(s, SLAB_STORE_USER | SLAB_RED_ZONE | __OBJECT_POISON)) {
		init_object(s, object, SLUB_RED_INACTIVE);
		init_tracking(s, object);
	}
	if (s->ctor)
		s->ctor(object);
}

// A new slab with every object on its freelist; not on any list, not yet counted.
page *allocate_slab(cache *s, gfp_t gfp)
{
	gfp_t flags = (gfp & ~(__GFP_ZERO | __GFP_COMP)) | s->allocflags;
	unsigned order = s->order, objects = s->objects;
	gfp_t first = order > s->min_order ? (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL : flags;
	page *pg = alloc_pages(first, order);
	if (!pg && order > s->min_order) {
		order = s->min_order;
		objects = s->min_objects;
		flags &= ~__GFP_COMP;
		if (order)
			flags |= __GFP_COMP;
		pg = alloc_pages(flags, order);
	}
	if (!pg)
		return nullptr;
	account_slab_pages(pg, order, slab_flags_has(s->flags, SLAB_RECLAIM_ACCOUNT), 1);
	__SetPageSlab(pg);
	pg->slab_cache = s;
	INIT_LIST_HEAD(&pg->slab_list);
	pg->counters = 0;
	pg->objects = objects;
	u8 *start = slab_address(pg);
	if (has_flag(s, SLAB_POISON))
		memset(start, POISON_INUSE, PAGE_SIZE << order);
	void *prev = nullptr;
	for (unsigned i = 0; i < objects; i++) {
		void *p = fixup_red_left(s, start + usize(i) * s->size);
		setup_object(s, p);
		if (prev)
			set_freepointer(s, prev, p);
		else
			pg->freelist = p;
		prev = p;
	}
	set_freepointer(s, prev, nullptr);
	return pg;
}

void free_slab(cache *s, page *pg)
{
	if (has_flag(s, SLAB_CONSISTENCY_CHECKS)) {
		slab_pad_check(s, pg);
		u8 *start = slab_address(pg);
		for (unsigned i = 0; i < pg->objects; i++)
			check_object(s, pg, fixup_red_left(s, start + usize(i) * s->size), SLUB_RED_INACTIVE);
	}
	unsigned order = compound_order(pg);
	account_slab_pages(pg, order, slab_flags_has(s->flags, SLAB_RECLAIM_ACCOUNT), -1);
	__ClearPageSlab(pg);
	pg->slab_cache = nullptr;
	pg->freelist = nullptr;
	pg->counters = 0;
	__free_pages(pg, order);
}

inline void inc_slabs_node(kmem_cache_node *n, const page *pg) TA_REQ(n->list_lock)
{
	n->nr_slabs++;
	n->total_objects += pg->objects;
	n->nr_pages += 1UL << compound_order(pg);
}
inline void dec_slabs_node(kmem_cache_node *n, const page *pg) TA_REQ(n->list_lock)
{
	n->nr_slabs--;
	n->total_objects -= pg->objects;
	n->nr_pages -= 1UL << compound_order(pg);
}

inline void add_partial(kmem_cache_node *n, page *pg, bool tail) TA_REQ(n->list_lock)
{
	lockdep_assert_held(&n->list_lock);
	n->nr_partial++;
	if (tail)
		list_add_tail(&pg->slab_list, &n->partial);
	else
		list_add(&pg->slab_list, &n->partial);
}
inline void remove_partial(kmem_cache_node *n, page *pg) TA_REQ(n->list_lock)
{
	lockdep_assert_held(&n->list_lock);
	list_del_init(&pg->slab_list);
	n->nr_partial--;
}
inline void add_full(kmem_cache_node *n, page *pg) TA_REQ(n->list_lock) { list_add(&pg->slab_list, &n->full); }
inline void remove_full(kmem_cache_node *n, page *pg) TA_REQ(n->list_lock)
{
	lockdep_assert_held(&n->list_lock);
	list_del_init(&pg->slab_list);
}

// Returns a frozen slab's remaining objects and unfreezes it onto the right list (or frees it).
// Local IRQs off.
void deactivate_slab(cache *s, page *pg, void *freelist)
{
	kmem_cache_node *n = get_node(s, pg);
	n->list_lock.lock();
	while (freelist) {
		void *next = get_freepointer(s, freelist);
		set_freepointer(s, freelist, pg->freelist);
		pg->freelist = freelist;
		pg->inuse--;
		freelist = next;
	}
	pg->frozen = 0;
	if (pg->inuse == 0 && n->nr_partial >= s->min_partial) {
		dec_slabs_node(n, pg);
		n->list_lock.unlock();
		free_slab(s, pg);
		return;
	}
	if (pg->freelist)
		add_partial(n, pg, true);
	else
		add_full(n, pg);
	n->list_lock.unlock();
}

void flush_cpu_slab(cache *s, unsigned cpu)
{
	kmem_cache_cpu *c = &s->cpu_slab[cpu];
	page *pg = c->slab;
	if (!pg)
		return;
	void *fl = c->freelist;
	c->slab = nullptr;
	c->freelist = nullptr;
	deactivate_slab(s, pg, fl);
}

// Other CPUs' slabs are flushed from here: callers guarantee they are not in the allocator
// for this cache (there are no cross-CPU calls yet; only CPU 0 runs).
void flush_all(cache *s)
{
	irqflags_t f = arch_local_irq_save();
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		flush_cpu_slab(s, cpu);
	arch_local_irq_restore(f);
}

// Takes a partial slab off a node list and freezes it; returns its freelist in *fl.
page *get_partial(cache *s, void **fl)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		kmem_cache_node *n = &s->node[nid];
		if (!READ_ONCE(n->nr_partial)) // a hint: re-checked under the lock
			continue;
		n->list_lock.lock();
		if (list_empty(&n->partial)) {
			n->list_lock.unlock();
			continue;
		}
		page *pg = list_first_entry(&n->partial, page, slab_list);
		remove_partial(n, pg);
		*fl = pg->freelist;
		pg->freelist = nullptr;
		pg->inuse = pg->objects;
		pg->frozen = 1;
		n->list_lock.unlock();
		return pg;
	}
	return nullptr;
}

void *alloc_debug(cache *s, gfp_t gfp, unsigned long addr)
{
	for (;;) {
		for (int nid = 0; nid < MAX_NUMNODES; nid++) {
			kmem_cache_node *n = &s->node[nid];
			n->list_lock.lock();
			while (!list_empty(&n->partial)) {
				page *pg = list_first_entry(&n->partial, page, slab_list);
				void *object = pg->freelist;
				if (kmem_cache_debug(s) && !alloc_debug_processing(s, pg, object, addr)) {
					remove_partial(n, pg);
					add_full(n, pg);
					continue;
				}
				pg->freelist = get_freepointer(s, object);
				pg->inuse++;
				if (!pg->freelist) {
					remove_partial(n, pg);
					add_full(n, pg);
				}
				n->list_lock.unlock();
				return object;
			}
			n->list_lock.unlock();
		}
		page *pg = allocate_slab(s, gfp);
		if (!pg)
			return nullptr;
		kmem_cache_node *n = get_node(s, pg);
		n->list_lock.lock();
		inc_slabs_node(n, pg);
		add_partial(n, pg, false);
		n->list_lock.unlock();
	}
}

// Linux ___slab_alloc: the CPU's freelist is empty. Local IRQs off.
__attribute__((noinline)) void *__slab_alloc(cache *s, gfp_t gfp, kmem_cache_cpu *c, unsigned long addr)
{
	if (unlikely(fault_inject_armed())) {
		// Linux's slab_pre_alloc_hook. While armed, no CPU slab is taken either (the
		// object comes straight from a node list), so the next allocation comes here too.
		if (should_failslab(s, gfp))
			return nullptr;
		if (c->slab) {
			page *pg = c->slab;
			void *fl = c->freelist;
			c->slab = nullptr;
			c->freelist = nullptr;
			deactivate_slab(s, pg, fl);
		}
		return alloc_debug(s, gfp, addr);
	}
	if (kmem_cache_debug(s))
		return alloc_debug(s, gfp, addr);
	void *fl = nullptr;
	page *pg = c->slab;
	if (pg) {
		// Objects freed to our slab by other CPUs.
		kmem_cache_node *n = get_node(s, pg);
		n->list_lock.lock();
		fl = pg->freelist;
		if (fl) {
			pg->freelist = nullptr;
			pg->inuse = pg->objects;
		}
		n->list_lock.unlock();
		if (fl)
			goto load_freelist;
		c->slab = nullptr;
		deactivate_slab(s, pg, nullptr);
	}
	pg = get_partial(s, &fl);
	if (!pg) {
		pg = allocate_slab(s, gfp);
		if (!pg)
			return nullptr;
		kmem_cache_node *n = get_node(s, pg);
		n->list_lock.lock();
		inc_slabs_node(n, pg);
		n->list_lock.unlock();
		fl = pg->freelist;
		pg->freelist = nullptr;
		pg->inuse = pg->objects;
		pg->frozen = 1;
	}
	c->slab = pg;
load_freelist:
	c->freelist = get_freepointer(s, fl);
	return fl;
}

// Linux __slab_free: the object is not from this CPU's slab. Local IRQs off.
__attribute__((noinline)) void __slab_free(cache *s, page *pg, void *x, unsigned long addr)
{
	kmem_cache_node *n = get_node(s, pg);
	n->list_lock.lock();
	if (kmem_cache_debug(s) && !free_debug_processing(s, pg, x, addr)) {
		n->list_lock.unlock();
		return;
	}
	void *prior = pg->freelist;
	if (unlikely(prior == x)) {
		n->list_lock.unlock();
		double_free_bug(s, x);
	}
	set_freepointer(s, x, prior);
	pg->freelist = x;
	pg->inuse--;
	if (pg->frozen) {
		// The owning CPU collects it when its own list runs dry.
		n->list_lock.unlock();
		return;
	}
	if (!prior) {
		// Was full: now partial.
		remove_full(n, pg);
		add_partial(n, pg, true);
	}
	if (pg->inuse == 0 && n->nr_partial > s->min_partial) {
		remove_partial(n, pg);
		dec_slabs_node(n, pg);
		n->list_lock.unlock();
		free_slab(s, pg);
		return;
	}
	n->list_lock.unlock();
}

} // namespace

#if defined(HOST_TEST)
// A caller that forgot list_lock, on purpose (the analysis that would reject it is off here):
// proves that the run-time checks in add_partial()/remove_partial() fire.
void partial_list_without_lock_for_test(kmem_cache_node *n, page *pg) TA_NO_THREAD_SAFETY_ANALYSIS
{
	add_partial(n, pg, true);
	remove_partial(n, pg);
}
#endif

__attribute__((noinline)) void *slab_alloc_slowpath(cache *s, gfp_t gfp, unsigned long addr)
{
	irqflags_t f = arch_local_irq_save();
	kmem_cache_cpu *c = &s->cpu_slab[smp_processor_id()];
	void *object = c->freelist;
	if (object)
		c->freelist = get_freepointer(s, object);
	else
		object = __slab_alloc(s, gfp, c, addr);
	arch_local_irq_restore(f);
	if (gfp_has(gfp, __GFP_ZERO) && object)
		memset(object, 0, s->object_size);
	return object;
}

__attribute__((noinline)) void slab_free_slowpath(cache *s, page *pg, void *x, unsigned long addr)
{
	irqflags_t f = arch_local_irq_save();
	kmem_cache_cpu *c = &s->cpu_slab[smp_processor_id()];
	if (pg == c->slab) {
		void *head = c->freelist;
		if (unlikely(x == head)) {
			arch_local_irq_restore(f);
			double_free_bug(s, x);
		}
		// An interrupt changed this CPU's list since the fast path looked: push after all.
		set_freepointer(s, x, head);
		c->freelist = x;
	} else {
		__slab_free(s, pg, x, addr);
	}
	arch_local_irq_restore(f);
}

__attribute__((noinline)) void *kmalloc_large(usize size, gfp_t gfp, unsigned long caller)
{
	if (size > KMALLOC_MAX_SIZE) {
		if (!gfp_has(gfp, __GFP_NOWARN))
			pr_warn("kmalloc: %zu bytes is above KMALLOC_MAX_SIZE (%zu), caller %pS\n", size, KMALLOC_MAX_SIZE,
				reinterpret_cast<void *>(caller));
		return nullptr;
	}
	page *pg = alloc_pages(gfp | __GFP_COMP, get_order(size));
	if (!pg)
		return nullptr;
	// Large kmallocs count as unreclaimable slab, as Linux 6.1's kmalloc_large does.
	account_slab_pages(pg, compound_order(pg), false, 1);
	return page_address(pg);
}

__attribute__((noinline)) void *kmalloc_slowpath(usize size, gfp_t gfp, unsigned long caller)
{
	if (size == 0)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(size, gfp, caller);
	return slab_alloc(C(kmalloc_caches[kmalloc_type(gfp)][kmalloc_index(size)]), gfp, caller);
}

namespace {

void free_large_kmalloc(page *pg, const void *x, unsigned long caller)
{
	if (!PageHead(pg) || page_ref_count(pg) <= 0 || page_address(pg) != x) {
		pr_err("kfree: %p is not a kmalloc object (caller %pS)\n", x, reinterpret_cast<void *>(caller));
		return;
	}
	account_slab_pages(pg, compound_order(pg), false, -1);
	__free_pages(pg, compound_order(pg));
}

} // namespace

__attribute__((noinline)) void kfree_slowpath(const void *x, unsigned long caller)
{
	if (ZERO_OR_NULL_PTR(x))
		return;
	page *slab = obj_to_slab(x);
	if (!slab)
		return free_large_kmalloc(compound_head(obj_to_page(x)), x, caller);
	slab_free(C(slab->slab_cache), slab, const_cast<void *>(x), caller);
}

__attribute__((noinline)) void cache_free_slowpath(cache *s, void *x, unsigned long caller)
{
	if (!x)
		return;
	page *slab = obj_to_slab(x);
	if (!slab) {
		pr_err("kmem_cache_free(%s): object %p is not in a slab (caller %pS)\n", s->name, x,
		       reinterpret_cast<void *>(caller));
		return;
	}
	if (slab->slab_cache != s) {
		// Linux cache_from_obj: free to the cache that owns the slab, loudly.
		pr_err("kmem_cache_free: Wrong slab cache. %s but object is from %s\n", s->name,
		       slab->slab_cache->name);
		print_tracking(C(slab->slab_cache), x);
		s = C(slab->slab_cache);
	}
	slab_free(s, slab, x, caller);
}

namespace {

// Frees every slab of the cache that has no live object; returns the slabs still in use.
void discard_empty(cache *s, bool all_empty)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		kmem_cache_node *n = &s->node[nid];
		list_head discard = LIST_HEAD_INIT(discard);
		irqflags_t f = n->list_lock.lock_irqsave();
		list_for_each_safe(pos, tmp, &n->partial) {
			page *pg = list_entry(pos, page, slab_list);
			if (pg->inuse == 0 && (all_empty || n->nr_partial > s->min_partial)) {
				remove_partial(n, pg);
				dec_slabs_node(n, pg);
				list_add(&pg->slab_list, &discard);
			}
		}
		n->list_lock.unlock_irqrestore(f);
		list_for_each_safe(pos, tmp, &discard) {
			page *pg = list_entry(pos, page, slab_list);
			list_del_init(&pg->slab_list);
			free_slab(s, pg);
		}
	}
}

// Marks the free objects of a slab in object_map. The freelist must be valid (on_freelist()
// has checked and repaired it).
void fill_map(const cache *s, const page *pg) TA_REQ(object_map_lock)
{
	memset(object_map, 0, sizeof(object_map));
	u8 *addr = slab_address(pg);
	unsigned n = 0;
	for (void *p = pg->freelist; p && n <= pg->objects; p = get_freepointer(s, p), n++) {
		unsigned idx = static_cast<unsigned>((static_cast<u8 *>(p) - addr) / s->size);
		if (idx < MAP_BITS)
			object_map[idx / 64] |= 1UL << (idx % 64);
	}
}
bool map_test(unsigned idx) TA_REQ(object_map_lock)
{ return idx < MAP_BITS && (object_map[idx / 64] >> (idx % 64)) & 1; }

// Linux list_slab_objects: the destroy-with-leaks report for one slab.
void list_slab_objects(cache *s, page *pg)
{
	slab_err(s, pg, "Objects remaining in %s on __kmem_cache_shutdown()", s->name);
	irqflags_t f = object_map_lock.lock_irqsave();
	fill_map(s, pg);
	u8 *addr = slab_address(pg);
	for (unsigned i = 0; i < pg->objects; i++) {
		if (map_test(i))
			continue;
		u8 *p = static_cast<u8 *>(fixup_red_left(s, addr + usize(i) * s->size));
		pr_err("Object %p @offset=%lu\n", p, static_cast<unsigned long>(p - addr));
		print_tracking(s, p);
	}
	object_map_lock.unlock_irqrestore(f);
}

void validate_slab(cache *s, page *pg)
{
	if (!check_slab(s, pg) || !on_freelist(s, pg, nullptr))
		return;
	irqflags_t f = object_map_lock.lock_irqsave();
	fill_map(s, pg);
	u8 *addr = slab_address(pg);
	for (unsigned i = 0; i < pg->objects; i++) {
		void *p = fixup_red_left(s, addr + usize(i) * s->size);
		if (!check_object(s, pg, p, map_test(i) ? SLUB_RED_INACTIVE : SLUB_RED_ACTIVE))
			break;
	}
	object_map_lock.unlock_irqrestore(f);
}

bool name_matches(const char *list, const char *name)
{
	// Comma-separated names; a trailing '*' matches a prefix (Linux's slub_debug glob).
	const char *p = list;
	usize nlen = strlen(name);
	while (*p) {
		const char *e = p;
		while (*e && *e != ',')
			e++;
		usize len = static_cast<usize>(e - p);
		bool glob = len && p[len - 1] == '*';
		if (glob ? (len - 1 <= nlen && strncmp(p, name, len - 1) == 0) : (len == nlen && strncmp(p, name, len) == 0))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

Result early_slub_debug(const char *str)
{
	auto r = setup_slub_debug(str);
	if (!r.is_error() && slab_flags_raw(slub_debug))
		pr_info("slub_debug: flags %#x%s%s\n", slab_flags_raw(slub_debug), slub_debug_names[0] ? " for " : "",
			slub_debug_names);
	return r;
}

} // namespace

EARLY_PARAM("slub_debug", early_slub_debug);

Result setup_slub_debug(const char *str)
{
	slab_flags_t flags = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;
	slub_debug_names[0] = 0;
	if (!str || !*str) {
		slub_debug = flags;
		return {};
	}
	if (*str == '-') {
		slub_debug = SLAB_NONE;
		return {};
	}
	if (*str != ',') {
		flags = SLAB_NONE;
		for (; *str && *str != ','; str++) {
			switch (*str | 0x20) {
			case 'f': flags |= SLAB_CONSISTENCY_CHECKS; break;
			case 'z': flags |= SLAB_RED_ZONE; break;
			case 'p': flags |= SLAB_POISON; break;
			case 'u': flags |= SLAB_STORE_USER; break;
			case 't': flags |= SLAB_TRACE; break;
			default: pr_err("slub_debug option '%c' unknown. skipped\n", *str);
			}
		}
	}
	if (*str == ',') {
		if (kstd::strlcpy(slub_debug_names, str + 1, sizeof(slub_debug_names)) >= sizeof(slub_debug_names)) {
			pr_err("slub_debug: cache list longer than %zu characters\n", sizeof(slub_debug_names) - 1);
			slub_debug_names[0] = 0;
			return Errno::EINVAL;
		}
	}
	slub_debug = flags;
	return {};
}

void slub_debug_reset()
{
	slub_debug = SLAB_NONE;
	slub_debug_names[0] = 0;
}

// --- the allocator interface -----------------------------------------------------------------------

slab_flags_t Allocator::cache_flags(const char *name, slab_flags_t flags)
{
	if (slab_flags_has(flags, SLAB_NO_USER_FLAGS))
		return flags;
	if (slab_flags_raw(slub_debug) && (!slub_debug_names[0] || name_matches(slub_debug_names, name)))
		flags |= slub_debug;
	return flags;
}

Result Allocator::cache_open(kmem_cache *k)
{
	cache *s = C(k);
	if (!calculate_sizes(s))
		return Errno::EINVAL;
	s->random = static_cast<unsigned long>(slab_random_seed() ^ reinterpret_cast<unsigned long>(s));
	// Linux: larger objects keep more empty slabs, as they are costlier to get back.
	s->min_partial = kstd::min(MAX_PARTIAL, kstd::max(MIN_PARTIAL, static_cast<unsigned long>(kstd::ilog2(s->size) / 2)));
	for (auto &c : s->cpu_slab)
		c = {};
	return {};
}

void Allocator::merged(kmem_cache *k, unsigned size)
{
	cache *s = C(k);
	s->object_size = kstd::max(s->object_size, size);
	s->inuse = kstd::max(s->inuse, static_cast<unsigned>(kstd::align_up(size, sizeof(void *))));
}

kmem_cache *Allocator::alloc_descriptor()
{
	void *m = slab_alloc(&boot_kmem_cache, GFP_KERNEL | __GFP_ZERO, _RET_IP_);
	return m ? new (m) cache() : nullptr;
}

void Allocator::free_descriptor(kmem_cache *s)
{
	slab_free(&boot_kmem_cache, compound_head(virt_to_page(s)), s, _RET_IP_);
}

kmem_cache *Allocator::kmalloc_cache(usize size, gfp_t gfp)
{
	if (size == 0 || size > KMALLOC_MAX_CACHE_SIZE)
		return nullptr;
	return kmalloc_caches[kmalloc_type(gfp)][kmalloc_index(size)];
}

usize Allocator::ksize(const void *x)
{
	if (ZERO_OR_NULL_PTR(x))
		return 0;
	const page *pg = compound_head(virt_to_page(x));
	if (!PageSlab(pg))
		return PAGE_SIZE << compound_order(pg);
	const cache *s = C(pg->slab_cache);
	if (has_flag(s, SLAB_RED_ZONE | SLAB_POISON))
		return s->object_size;
	if (has_flag(s, SLAB_STORE_USER))
		return s->inuse;
	return s->size;
}

void Allocator::cache_shrink(kmem_cache *k)
{
	cache *s = C(k);
	flush_all(s);
	discard_empty(s, true);
}

unsigned long Allocator::cache_shutdown(kmem_cache *k)
{
	cache *s = C(k);
	flush_all(s);
	discard_empty(s, true);
	unsigned long live = live_objects(s);
	if (!live)
		return 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		kmem_cache_node *n = &s->node[nid];
		irqflags_t f = n->list_lock.lock_irqsave();
		list_for_each(pos, &n->partial)
			list_slab_objects(s, list_entry(pos, page, slab_list));
		list_for_each(pos, &n->full)
			list_slab_objects(s, list_entry(pos, page, slab_list));
		n->list_lock.unlock_irqrestore(f);
	}
	return live;
}

unsigned long Allocator::live_objects(kmem_cache *k)
{
	cache *s = C(k);
	unsigned long live = 0;
	irqflags_t f = arch_local_irq_save();
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		kmem_cache_node *n = &s->node[nid];
		n->list_lock.lock();
		live += n->total_objects;
		list_for_each(pos, &n->partial) {
			page *pg = list_entry(pos, page, slab_list);
			live -= pg->objects - pg->inuse;
		}
		for (auto &c : s->cpu_slab) {
			if (!c.slab || page_to_nid(c.slab) != nid)
				continue;
			live -= c.slab->objects - c.slab->inuse;
			for (void *p = c.freelist; p; p = get_freepointer(s, p))
				live--;
		}
		n->list_lock.unlock();
	}
	arch_local_irq_restore(f);
	return live;
}

void Allocator::get_slabinfo(kmem_cache *k, slabinfo &info)
{
	cache *s = C(k);
	unsigned long nr_free = 0;
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		kmem_cache_node *n = &s->node[nid];
		irqflags_t f = n->list_lock.lock_irqsave();
		info.num_slabs += n->nr_slabs;
		info.num_objs += n->total_objects;
		list_for_each(pos, &n->partial) {
			page *pg = list_entry(pos, page, slab_list);
			nr_free += pg->objects - pg->inuse;
		}
		n->list_lock.unlock_irqrestore(f);
	}
	info.active_objs = info.num_objs - nr_free;
	info.active_slabs = info.num_slabs;
	info.objects_per_slab = s->objects;
	info.cache_order = s->order;
}

long Allocator::validate(kmem_cache *k)
{
	cache *s = C(k);
	long count = 0;
	flush_all(s);
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		kmem_cache_node *n = &s->node[nid];
		irqflags_t f = n->list_lock.lock_irqsave();
		long partial = 0;
		list_for_each(pos, &n->partial) {
			validate_slab(s, list_entry(pos, page, slab_list));
			partial++;
		}
		if (static_cast<unsigned long>(partial) != n->nr_partial) {
			pr_err("SLUB %s: %ld partial slabs counted but counter=%lu\n", s->name, partial, n->nr_partial);
			slab_errors++;
		}
		long total = partial;
		list_for_each(pos, &n->full) {
			validate_slab(s, list_entry(pos, page, slab_list));
			total++;
		}
		if (static_cast<unsigned long>(total) != n->nr_slabs) {
			pr_err("SLUB: %s %ld slabs counted but counter=%lu\n", s->name, total, n->nr_slabs);
			slab_errors++;
		}
		n->list_lock.unlock_irqrestore(f);
		count += total;
	}
	return count;
}

unsigned Allocator::free_pointer_offset(const kmem_cache *s) { return C(s)->offset; }

unsigned long Allocator::pages_in_use()
{
	unsigned long pages = 0;
	list_for_each(pos, &SlabCommon<Allocator>::caches) {
		cache *s = C(list_entry(pos, kmem_cache, list));
		for (auto &n : s->node)
			pages += READ_ONCE(n.nr_pages); // a statistic: no lock
	}
	return pages;
}

void Allocator::boot()
{
	vmemmap_fold = reinterpret_cast<uptr>(vmemmap) -
		       ((linear_map_base >> PAGE_SHIFT) - (memstart_addr >> PAGE_SHIFT)) * sizeof(page);
	BUG_ON((linear_map_base | memstart_addr) & (PAGE_SIZE - 1));
	new (&boot_kmem_cache) cache();
	SlabCommon<Allocator>::create_boot(&boot_kmem_cache, "kmem_cache", sizeof(cache), SLAB_HWCACHE_ALIGN);
	for (unsigned dma = 0; dma < 2; dma++) {
		for (unsigned i = 1; i <= KMALLOC_SHIFT_HIGH; i++) {
			if (i == 1 || i == 2 || i >= KMALLOC_SHIFT_LOW) {
				kmem_cache *d = alloc_descriptor();
				if (!d)
					panic("SLUB: no memory for the kmalloc caches");
				SlabCommon<Allocator>::create_boot(d, kmalloc_cache_name(i, dma), kmalloc_index_size(i),
								   SLAB_KMALLOC | (dma ? SLAB_CACHE_DMA : SLAB_NONE));
				kmalloc_caches[dma][i] = d;
			}
		}
	}
	// The folded virt_to_page must agree with the generic one.
	void *probe = slab_alloc(C(kmalloc_caches[0][3]), GFP_KERNEL, _RET_IP_);
	BUG_ON(!probe || obj_to_page(probe) != virt_to_page(probe));
	slab_free(C(kmalloc_caches[0][3]), obj_to_page(probe), probe, _RET_IP_);
	unsigned nodes = 0;
	for_each_online_node(nid)
		nodes++;
	pr_info("SLUB: HWalign=%u, Order=%u-%u, MinObjects=%u, CPUs=%u, Nodes=%u\n", CACHE_LINE_SIZE, slub_min_order,
		slub_max_order, slub_min_objects, slab_nr_cpu_ids, nodes ? nodes : 1);
}

void Allocator::reset_for_test()
{
	for (auto &row : kmalloc_caches)
		for (auto &c : row)
			c = nullptr;
	new (&boot_kmem_cache) cache();
}

} // namespace slub

#endif
