// Page allocator debugging: bad_page reports, flag/gfp name formatting and the check walker
// that verifies the buddy's data structures against the page flags.
#include "core/printk.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

const char *const pageflag_names[__NR_PAGEFLAGS] = {
	"locked", "referenced", "uptodate", "dirty", "lru", "active", "workingset", "waiters",
	"error", "slab", "owner_priv_1", "arch_1", "reserved", "private", "private_2", "writeback",
	"head", "mappedtodisk", "reclaim", "swapbacked", "unevictable", "mlocked",
};

namespace {

// Bounded string builder: never overflows, always NUL-terminated.
struct StrBuf {
	char *buf;
	usize size;
	usize len = 0;
	StrBuf(char *b, usize s) : buf(b), size(s)
	{
		if (size)
			buf[0] = '\0';
	}
	void put(const char *s)
	{
		while (*s && len + 1 < size)
			buf[len++] = *s++;
		if (size)
			buf[len] = '\0';
	}
	void put_num(unsigned long long v, unsigned base)
	{
		char tmp[24];
		int n = 0;
		do {
			tmp[n++] = "0123456789abcdef"[v % base];
			v /= base;
		} while (v);
		char out[26];
		int k = 0;
		if (base == 16) {
			out[k++] = '0';
			out[k++] = 'x';
		}
		while (n)
			out[k++] = tmp[--n];
		out[k] = '\0';
		put(out);
	}
};

} // namespace

int format_page_flags(char *buf, usize size, unsigned long flags)
{
	StrBuf b(buf, size);
	b.put_num(flags, 16);
	b.put("(");
	bool first = true;
	for (unsigned i = 0; i < __NR_PAGEFLAGS; i++) {
		if (!(flags & (1UL << i)))
			continue;
		if (!first)
			b.put("|");
		b.put(pageflag_names[i]);
		first = false;
	}
	if (!first)
		b.put("|");
	b.put("node=");
	b.put_num((flags >> NODES_PGOFF) & NODES_MASK, 10);
	b.put("|zone=");
	b.put_num((flags >> ZONES_PGOFF) & ZONES_MASK, 10);
	b.put(")");
	return static_cast<int>(b.len);
}

int format_gfp_flags(char *buf, usize size, gfp_t gfp)
{
	// Composite masks first (most bits first), then single bits: Linux's __def_gfpflag_names.
	static const struct {
		gfp_t mask;
		const char *name;
	} names[] = {
		{GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"},
		{GFP_HIGHUSER, "GFP_HIGHUSER"},
		{GFP_USER, "GFP_USER"},
		{GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT"},
		{GFP_KERNEL, "GFP_KERNEL"},
		{GFP_NOFS, "GFP_NOFS"},
		{GFP_ATOMIC, "GFP_ATOMIC"},
		{GFP_NOIO, "GFP_NOIO"},
		{GFP_NOWAIT, "GFP_NOWAIT"},
		{GFP_DMA, "GFP_DMA"},
		{__GFP_HIGHMEM, "__GFP_HIGHMEM"},
		{GFP_DMA32, "GFP_DMA32"},
		{__GFP_HIGH, "__GFP_HIGH"},
		{__GFP_ATOMIC, "__GFP_ATOMIC"},
		{__GFP_IO, "__GFP_IO"},
		{__GFP_FS, "__GFP_FS"},
		{__GFP_NOWARN, "__GFP_NOWARN"},
		{__GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL"},
		{__GFP_NOFAIL, "__GFP_NOFAIL"},
		{__GFP_NORETRY, "__GFP_NORETRY"},
		{__GFP_COMP, "__GFP_COMP"},
		{__GFP_ZERO, "__GFP_ZERO"},
		{__GFP_NOMEMALLOC, "__GFP_NOMEMALLOC"},
		{__GFP_MEMALLOC, "__GFP_MEMALLOC"},
		{__GFP_HARDWALL, "__GFP_HARDWALL"},
		{__GFP_THISNODE, "__GFP_THISNODE"},
		{__GFP_RECLAIMABLE, "__GFP_RECLAIMABLE"},
		{__GFP_MOVABLE, "__GFP_MOVABLE"},
		{__GFP_ACCOUNT, "__GFP_ACCOUNT"},
		{__GFP_WRITE, "__GFP_WRITE"},
		{__GFP_RECLAIM, "__GFP_RECLAIM"},
		{__GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"},
		{__GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"},
	};
	StrBuf b(buf, size);
	u32 rest = gfp_raw(gfp);
	if (!rest) {
		b.put("0x0");
		return static_cast<int>(b.len);
	}
	bool first = true;
	for (const auto &n : names) {
		u32 m = gfp_raw(n.mask);
		if ((rest & m) != m)
			continue;
		if (!first)
			b.put("|");
		b.put(n.name);
		first = false;
		rest &= ~m;
		if (!rest)
			break;
	}
	if (rest) {
		if (!first)
			b.put("|");
		b.put_num(rest, 16);
	}
	return static_cast<int>(b.len);
}

void dump_page(const page *p, const char *reason)
{
	const page *head = compound_head(p);
	char flags[200];
	format_page_flags(flags, sizeof(flags), head->flags);
	pr_warn("page:%p refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx\n", static_cast<const void *>(p),
		page_ref_count(head), page_mapcount_raw(p) + 1, static_cast<void *>(p->mapping), p->index,
		page_to_pfn(p));
	if (head != p)
		pr_warn("head:%p order:%u compound_mapcount:%d\n", static_cast<const void *>(head), compound_order(head),
			head[1].compound_mapcount + 1);
	pr_warn("flags: %s\n", flags);
	const unsigned long *w = reinterpret_cast<const unsigned long *>(p);
	pr_warn("raw: %016lx %016lx %016lx %016lx\n", w[0], w[1], w[2], w[3]);
	pr_warn("raw: %016lx %016lx %016lx %016lx\n", w[4], w[5], w[6], w[7]);
	if (reason)
		pr_warn("page dumped because: %s\n", reason);
}

void bad_page(page *p, const char *reason)
{
	pr_alert("BUG: Bad page state in process %s  pfn:%05lx\n", page_alloc_current_comm(), page_to_pfn(p));
	dump_page(p, reason);
	// Leave the bad fields for debugging, except a buddy type that would let the page merge.
	page_mapcount_reset(p);
}

// --- page_poison ---------------------------------------------------------------------------------

void kernel_poison_pages(page *p, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		memset(page_address(p + i), PAGE_POISON, PAGE_SIZE);
}

static bool single_bit_flip(u8 a, u8 b)
{
	u8 err = a ^ b;
	return err && !(err & (err - 1));
}

static void print_hex_lines(const u8 *start, unsigned long len)
{
	for (unsigned long off = 0; off < len; off += 16) {
		char line[16 * 3 + 1];
		unsigned long n = kstd::min(16UL, len - off);
		for (unsigned long i = 0; i < n; i++) {
			static const char hex[] = "0123456789abcdef";
			line[i * 3] = hex[start[off + i] >> 4];
			line[i * 3 + 1] = hex[start[off + i] & 15];
			line[i * 3 + 2] = i + 1 < n ? ' ' : '\0';
		}
		printk(KERN_ERR "%p: %s\n", static_cast<const void *>(start + off), line);
	}
}

unsigned long page_poison_errors;

// Reports bytes of a free (poisoned) page that changed while it was free. As Linux, the page
// is still handed out: the report is the diagnostic, and counting it lets tests assert it.
static void check_poison_mem(page *p, u8 *mem, unsigned long bytes)
{
	u8 *start = nullptr;
	for (unsigned long i = 0; i < bytes; i++) {
		if (mem[i] != PAGE_POISON) {
			start = mem + i;
			break;
		}
	}
	if (!start)
		return;
	u8 *end = mem + bytes - 1;
	while (end > start && *end == PAGE_POISON)
		end--;
	page_poison_errors++;
	if (start == end && single_bit_flip(*start, PAGE_POISON))
		pr_err("pagealloc: single bit error\n");
	else
		pr_err("pagealloc: memory corruption\n");
	print_hex_lines(start, static_cast<unsigned long>(end - start + 1));
	dump_page(p, "pagealloc: corrupted page details");
}

void kernel_unpoison_pages(page *p, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		check_poison_mem(p + i, static_cast<u8 *>(page_address(p + i)), PAGE_SIZE);
}

// --- the check walker ---------------------------------------------------------------------------

static unsigned long report(unsigned long &n, const char *what, const zone *z, unsigned long pfn, unsigned long a,
			    unsigned long b)
{
	if (n < 64)
		pr_err("check_page_alloc: node %d zone %s pfn %#lx: %s (%lu vs %lu)\n", z->node, z->name, pfn, what, a, b);
	return ++n;
}

static unsigned long check_zone(zone *z)
{
	unsigned long n = 0;
	unsigned long total_free = 0;
	unsigned long cma_free = 0;
	unsigned long zone_lo = z->zone_start_pfn, zone_hi = zone_end_pfn(z);
	SpinLockGuard g(z->lock);
	// Free lists: every entry is a PageBuddy head of the right order, aligned, inside the zone,
	// with refcount 0; its pageblock type matches the list below pageblock_order (stealing
	// moves whole blocks, so above it a block's first pageblock decides).
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		unsigned long count = 0;
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			list_for_each(pos, &z->free_area[order].free_list[mt]) {
				page *p = list_entry(pos, page, buddy_list);
				unsigned long pfn = page_to_pfn(p);
				count++;
				if (count > zone_hi - zone_lo + 1) {
					report(n, "free list loops", z, pfn, order, static_cast<unsigned long>(mt));
					return n;
				}
				if (!PageBuddy(p))
					report(n, "free list entry not PageBuddy", z, pfn, order, static_cast<unsigned long>(mt));
				if (page_private(p) != order)
					report(n, "buddy order mismatch", z, pfn, page_private(p), order);
				if (pfn & ((1UL << order) - 1))
					report(n, "free block misaligned", z, pfn, pfn, order);
				if (pfn < zone_lo || pfn + (1UL << order) > zone_hi)
					report(n, "free block outside zone", z, pfn, pfn, order);
				if (page_zone(p) != z)
					report(n, "free block in wrong zone", z, pfn, page_zonenum(p), static_cast<unsigned long>(zone_idx(z)));
				if (page_ref_count(p) != 0)
					report(n, "free block with refcount", z, pfn, static_cast<unsigned long>(page_ref_count(p)), 0);
				if (p->flags & PAGE_FLAGS_CHECK_AT_PREP)
					report(n, "free block with page flags", z, pfn, p->flags & PAGEFLAGS_MASK, 0);
				int bmt = get_pageblock_migratetype(p);
				if ((mt == MIGRATE_CMA || bmt == MIGRATE_CMA || mt == MIGRATE_ISOLATE) && bmt != mt)
					report(n, "CMA/isolate block on foreign list", z, pfn, static_cast<unsigned long>(bmt), static_cast<unsigned long>(mt));
				if (mt == MIGRATE_CMA)
					cma_free += 1UL << order;
				total_free += 1UL << order;
			}
		}
		if (count != z->free_area[order].nr_free)
			report(n, "nr_free mismatch", z, zone_lo, count, z->free_area[order].nr_free);
	}
	// Page walk: PageBuddy pages are exactly the free-list heads counted above; no block
	// overlaps another; no two buddies of the same order are left unmerged.
	unsigned long buddy_pages = 0;
	for (unsigned long pfn = zone_lo; pfn < zone_hi;) {
		if (!pfn_valid(pfn)) {
			pfn = (pfn & PAGE_SECTION_MASK) + PAGES_PER_SECTION;
			continue;
		}
		page *p = pfn_to_page(pfn);
		if (!PageBuddy(p)) {
			pfn++;
			continue;
		}
		unsigned order = static_cast<unsigned>(page_private(p));
		if (order >= MAX_ORDER) {
			report(n, "PageBuddy with bad order", z, pfn, order, MAX_ORDER);
			pfn++;
			continue;
		}
		for (unsigned long i = 1; i < (1UL << order) && pfn + i < zone_hi; i++)
			if (PageBuddy(p + i))
				report(n, "free blocks overlap", z, pfn + i, order, static_cast<unsigned long>(page_private(p + i)));
		if (order < MAX_ORDER - 1) {
			unsigned long bpfn = pfn ^ (1UL << order);
			if (bpfn >= zone_lo && bpfn < zone_hi && pfn_valid(bpfn)) {
				page *b = pfn_to_page(bpfn);
				bool mergeable = order < pageblock_order ||
						 get_pageblock_migratetype(p) == get_pageblock_migratetype(b) ||
						 (migratetype_is_mergeable(get_pageblock_migratetype(p)) &&
						  migratetype_is_mergeable(get_pageblock_migratetype(b)));
				if (PageBuddy(b) && page_private(b) == order && page_zone_id(b) == page_zone_id(p) && mergeable)
					report(n, "free buddies left unmerged", z, pfn, bpfn, order);
			}
		}
		buddy_pages += 1UL << order;
		pfn += 1UL << order;
	}
	if (buddy_pages != total_free)
		report(n, "PageBuddy pages differ from free lists", z, zone_lo, buddy_pages, total_free);
	if (total_free != zone_page_state_snapshot(z, NR_FREE_PAGES))
		report(n, "NR_FREE_PAGES mismatch", z, zone_lo, total_free, zone_page_state_snapshot(z, NR_FREE_PAGES));
	if (cma_free != zone_page_state_snapshot(z, NR_FREE_CMA_PAGES))
		report(n, "NR_FREE_CMA_PAGES mismatch", z, zone_lo, cma_free, zone_page_state_snapshot(z, NR_FREE_CMA_PAGES));
	// Per-CPU lists: counts match, pages are not PageBuddy, are in this zone, refcount 0.
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		per_cpu_pages *pcp = &z->pcp[cpu];
		long pages = 0;
		for (unsigned i = 0; i < NR_PCP_LISTS; i++) {
			unsigned order = pindex_to_order(i);
			unsigned long len = 0;
			list_for_each(pos, &pcp->lists[i]) {
				page *p = list_entry(pos, page, pcp_list);
				unsigned long pfn = page_to_pfn(p);
				if (++len > zone_hi - zone_lo + 1) {
					report(n, "pcp list loops", z, pfn, cpu, i);
					return n;
				}
				if (PageBuddy(p))
					report(n, "pcp page is PageBuddy", z, pfn, cpu, i);
				if (page_zone(p) != z)
					report(n, "pcp page in wrong zone", z, pfn, cpu, i);
				if (page_ref_count(p) != 0)
					report(n, "pcp page with refcount", z, pfn, static_cast<unsigned long>(page_ref_count(p)), 0);
				if (pfn & ((1UL << order) - 1))
					report(n, "pcp block misaligned", z, pfn, pfn, order);
				pages += 1L << order;
			}
		}
		if (pages != pcp->count)
			report(n, "pcp count mismatch", z, zone_lo, static_cast<unsigned long>(pages), static_cast<unsigned long>(pcp->count));
	}
	// Pageblocks: a valid migratetype; highatomic blocks match the reserve counter.
	unsigned long highatomic = 0;
	for (unsigned long pfn = pageblock_start_pfn(zone_lo); pfn < zone_hi; pfn += pageblock_nr_pages) {
		if (!pfn_valid(pfn))
			continue;
		int mt = get_pageblock_migratetype(pfn_to_page(pfn));
		if (mt >= MIGRATE_TYPES)
			report(n, "invalid pageblock migratetype", z, pfn, static_cast<unsigned long>(mt), MIGRATE_TYPES);
		if (mt == MIGRATE_HIGHATOMIC)
			highatomic += pageblock_nr_pages;
	}
	if (highatomic != z->nr_reserved_highatomic)
		report(n, "nr_reserved_highatomic mismatch", z, zone_lo, highatomic, z->nr_reserved_highatomic);
	return n;
}

unsigned long check_page_alloc()
{
	unsigned long n = 0;
	for_each_populated_zone(z)
		n += check_zone(z);
	if (n)
		pr_err("check_page_alloc: %lu inconsistencies\n", n);
	return n;
}
