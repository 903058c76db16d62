// CMA once the buddy allocator works: activation, cma_alloc, cma_release (Linux 6.1 mm/cma.c).
// See mm/cma.h for the contract and what cma_alloc cannot do before page migration exists.
#include "mm/cma.h"

#include "core/panic.h"
#include "core/printk.h"
#include "kstd/util.h"
#include "mm/page_alloc.h"

#define CMA_PR "cma: "

namespace {

constexpr unsigned BITS_PER_LONG = 64;

// Linux's cma_mutex: one alloc_contig_range at a time, so that two requests never isolate
// overlapping pageblocks.
SpinLock cma_alloc_lock;

unsigned long bitmap_maxno(const cma *c) { return c->count >> c->order_per_bit; }

unsigned long aligned_mask(const cma *c, unsigned align_order)
{
	return align_order <= c->order_per_bit ? 0 : (1UL << (align_order - c->order_per_bit)) - 1;
}

// The base pfn's offset from an align_order boundary, in bitmap bits.
unsigned long aligned_offset(const cma *c, unsigned align_order)
{
	return (c->base_pfn & ((1UL << align_order) - 1)) >> c->order_per_bit;
}

unsigned long pages_to_bits(const cma *c, unsigned long pages)
{
	return kstd::align_up(pages, 1UL << c->order_per_bit) >> c->order_per_bit;
}

bool test_bit(const unsigned long *map, unsigned long n) { return (map[n / BITS_PER_LONG] >> (n % BITS_PER_LONG)) & 1; }

void assign_bits(unsigned long *map, unsigned long start, unsigned long nr, bool set)
{
	for (unsigned long n = start; n < start + nr; n++) {
		unsigned long bit = 1UL << (n % BITS_PER_LONG);
		if (set)
			map[n / BITS_PER_LONG] |= bit;
		else
			map[n / BITS_PER_LONG] &= ~bit;
	}
}

// First bit >= start equal to `value`, or size.
unsigned long find_next(const unsigned long *map, unsigned long size, unsigned long start, bool value)
{
	while (start < size) {
		unsigned long w = map[start / BITS_PER_LONG];
		if (!value)
			w = ~w;
		w >>= start % BITS_PER_LONG;
		if (w)
			return kstd::min(size, start + __builtin_ctzl(w));
		start = kstd::align_up(start + 1, BITS_PER_LONG);
	}
	return size;
}

// Linux's bitmap_find_next_zero_area_off: the first run of nr clear bits from start whose
// index + align_offset is a multiple of align_mask + 1; >= size when there is none.
unsigned long find_zero_area(const unsigned long *map, unsigned long size, unsigned long start, unsigned long nr,
			     unsigned long align_mask, unsigned long align_offset)
{
	for (;;) {
		unsigned long index = find_next(map, size, start, false);
		index = ((index + align_offset + align_mask) & ~align_mask) - align_offset;
		unsigned long end = index + nr;
		if (end > size)
			return end;
		unsigned long busy = find_next(map, end, index, true);
		if (busy >= end)
			return index;
		start = busy + 1;
	}
}

void clear_bitmap(cma *c, unsigned long pfn, unsigned long count)
{
	unsigned long bitmap_no = (pfn - c->base_pfn) >> c->order_per_bit;
	SpinLockGuard g(c->lock);
	assign_bits(c->bitmap, bitmap_no, pages_to_bits(c, count), false);
}

// Linux's cma_debug_show_areas: the free runs as pages@bit.
void show_areas(cma *c)
{
	unsigned long nbits = bitmap_maxno(c), start = 0, total = 0;
	SpinLockGuard g(c->lock);
	pr_info(CMA_PR "number of available pages: ");
	for (;;) {
		unsigned long zero = find_next(c->bitmap, nbits, start, false);
		if (zero >= nbits)
			break;
		unsigned long set = find_next(c->bitmap, nbits, zero, true);
		unsigned long part = (set - zero) << c->order_per_bit;
		pr_cont("%s%lu@%lu", total ? "+" : "", part, zero);
		total += part;
		start = set;
	}
	pr_cont("=> %lu free of %lu total pages\n", total, c->count);
}

void activate_area(cma *c)
{
	unsigned long base = c->base_pfn, end = c->base_pfn + c->count;
	// The bitmap comes from the page allocator (Linux: bitmap_zalloc); it stays for good.
	unsigned long bytes = kstd::align_up(bitmap_maxno(c), BITS_PER_LONG) / 8;
	unsigned order = 0;
	while ((PAGE_SIZE << order) < bytes)
		order++;
	page *bp = order < MAX_ORDER ? alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, order) : nullptr;
	bool ok = bp != nullptr;
	// alloc_contig_range works within one zone: the whole area must be in one.
	if (ok) {
		zone *z = pfn_valid(base) ? page_zone(pfn_to_page(base)) : nullptr;
		for (unsigned long pfn = base; ok && pfn < end; pfn++)
			ok = pfn_valid(pfn) && page_zone(pfn_to_page(pfn)) == z;
		if (!ok)
			__free_pages(bp, order);
	}
	if (ok) {
		c->bitmap = static_cast<unsigned long *>(page_address(bp));
		c->bitmap_order = order;
		for (unsigned long pfn = base; pfn < end; pfn += pageblock_nr_pages)
			init_cma_reserved_pageblock(pfn_to_page(pfn));
		return;
	}
	// Useless for CMA: the pages become ordinary memory.
	for (unsigned long pfn = base; pfn < end; pfn++)
		if (pfn_valid(pfn))
			free_reserved_page(pfn_to_page(pfn));
	totalcma_pages -= c->count;
	c->count = 0;
	pr_err(CMA_PR "CMA area %s could not be activated\n", c->name);
}

} // namespace

void cma_init_reserved_areas()
{
	for (cma &c : cma_area_list())
		activate_area(&c);
}

phys_addr_t cma_get_base(const cma *c) { return c->base_pfn << PAGE_SHIFT; }
unsigned long cma_get_size(const cma *c) { return c->count << PAGE_SHIFT; }
const char *cma_get_name(const cma *c) { return c->name; }

unsigned long cma_used_pages(cma *c)
{
	if (!c->bitmap)
		return 0;
	SpinLockGuard g(c->lock);
	unsigned long used = 0;
	for (unsigned long n = 0; n < bitmap_maxno(c); n++)
		used += test_bit(c->bitmap, n);
	return used << c->order_per_bit;
}

unsigned long cma_maxchunk_pages(cma *c)
{
	if (!c->bitmap)
		return 0;
	SpinLockGuard g(c->lock);
	unsigned long nbits = bitmap_maxno(c), start = 0, best = 0;
	for (;;) {
		unsigned long zero = find_next(c->bitmap, nbits, start, false);
		if (zero >= nbits)
			break;
		unsigned long set = find_next(c->bitmap, nbits, zero, true);
		best = kstd::max(best, set - zero);
		start = set;
	}
	return best << c->order_per_bit;
}

page *cma_alloc(cma *c, unsigned long count, unsigned align, bool no_warn)
{
	page *result = nullptr;
	Errno ret = Errno::ENOMEM;
	if (!c || !c->count || !c->bitmap)
		return nullptr;
	pr_debug(CMA_PR "cma_alloc(cma %s, count %lu, align %u)\n", c->name, count, align);
	unsigned long mask = aligned_mask(c, align), offset = aligned_offset(c, align);
	unsigned long maxno = bitmap_maxno(c), bitmap_count = pages_to_bits(c, count);
	if (count && align < BITS_PER_LONG && bitmap_count <= maxno) {
		for (unsigned long start = 0;;) {
			unsigned long bitmap_no;
			{
				SpinLockGuard g(c->lock);
				bitmap_no = find_zero_area(c->bitmap, maxno, start, bitmap_count, mask, offset);
				if (bitmap_no >= maxno)
					break;
				// Ours now: the lock can go while the pages are gathered.
				assign_bits(c->bitmap, bitmap_no, bitmap_count, true);
			}
			unsigned long pfn = c->base_pfn + (bitmap_no << c->order_per_bit);
			cma_alloc_lock.lock();
			Result r = alloc_contig_range(pfn, pfn + count, MIGRATE_CMA,
						      GFP_KERNEL | (no_warn ? __GFP_NOWARN : gfp_t(0)));
			cma_alloc_lock.unlock();
			if (!r.is_error()) {
				result = pfn_to_page(pfn);
				break;
			}
			clear_bitmap(c, pfn, count);
			ret = r.error().code();
			if (ret != Errno::EBUSY)
				break;
			pr_debug(CMA_PR "cma_alloc(): memory range at pfn %#lx is busy, retrying\n", pfn);
			start = bitmap_no + mask + 1;
		}
	}
	if (result) {
		c->nr_pages_succeeded += count;
	} else {
		c->nr_pages_failed += count;
		if (!no_warn) {
			pr_err(CMA_PR "cma_alloc: %s: alloc failed, req-size: %lu pages, ret: %d\n", c->name, count,
			       -static_cast<int>(ret));
			if (ret == Errno::EBUSY)
				pr_info(CMA_PR "cma_alloc: %s: pages in use cannot be migrated out yet; only free pageblocks are used\n",
					c->name);
			show_areas(c);
		}
	}
	pr_debug(CMA_PR "cma_alloc(): returned pfn %#lx\n", result ? page_to_pfn(result) : 0UL);
	return result;
}

bool cma_pages_valid(const cma *c, const page *pages, unsigned long count)
{
	if (!c || !pages)
		return false;
	unsigned long pfn = page_to_pfn(pages);
	if (pfn < c->base_pfn || pfn >= c->base_pfn + c->count || count > c->base_pfn + c->count - pfn) {
		pr_debug(CMA_PR "cma_pages_valid(pfn %#lx, count %lu): not in %s\n", pfn, count, c->name);
		return false;
	}
	return true;
}

bool cma_release(cma *c, const page *pages, unsigned long count)
{
	if (!cma_pages_valid(c, pages, count))
		return false;
	unsigned long pfn = page_to_pfn(pages);
	pr_debug(CMA_PR "cma_release(pfn %#lx, count %lu)\n", pfn, count);
	free_contig_range(pfn, count);
	clear_bitmap(c, pfn, count);
	return true;
}
