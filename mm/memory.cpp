// User page tables and the fault path (Linux's mm/memory.c, reduced): tables allocated on
// demand and freed when their last entry goes, anonymous and zero-page faults, file faults
// through a VMA's vm_ops (read with fault-around, private copy on write, shared write),
// copy-on-write, unmap_mapping_range, and the range operations munmap/mprotect/mremap/
// madvise need. Hardware maintenance goes through asm/pgtable.h.
//
// Bookkeeping kept in struct page (fork shares pages between address spaces; the reverse map
// of file pages is the address_space's i_mmap list of VMAs, anonymous pages have none yet):
//   table pages: private_ = number of non-empty entries; the table is freed at 0.
//   user pages:  _mapcount = mappings in user page tables - 1 (every mapping, fork's too);
//                NR_ANON_MAPPED/NR_FILE_MAPPED count pages mapped at least once, as Linux's
//                page_add_*_rmap. Each mapping holds one page reference. An anonymous page
//                carries PAGE_MAPPING_ANON in mapping while mapped (cleared with its last
//                mapping); a page-cache page keeps its mapping/index (the cache's), and a
//                cache page truncated while mapped (mapping cleared by the page cache) is still
//                a file page: not anonymous. MM_SHMEMPAGES vs MM_FILEPAGES: the VMA's file.
#include <asm/page.h>
#include <asm/pgtable.h>

#include "core/panic.h"
#include "core/printk.h"
#include "kstd/list.h"
#include "kstd/string.h"
#include "fs/fs.h"
#include "mm/mm_struct.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/vmstat.h"

static page *the_zero_page;

page *zero_page() { return the_zero_page; }

Result zero_page_init()
{
	if (the_zero_page)
		return {};
	page *p = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!p)
		return Errno::ENOMEM;
	the_zero_page = p;
	return {};
}

// Host tests boot a fresh allocator per case; the zero page belongs to the old one.
void zero_page_reset_for_test() { the_zero_page = nullptr; }

// Every page-table page of a user address space, the pgd included, counts in NR_PAGETABLE
// (Linux 6.1 on arm64 leaves pgd and pud pages out, an accounting gap later kernels close).
page *alloc_user_pgtable_page()
{
	page *p = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (p)
		mod_node_page_state(page_pgdat(p), NR_PAGETABLE, 1);
	return p;
}
void free_user_pgtable_page(page *p)
{
	mod_node_page_state(page_pgdat(p), NR_PAGETABLE, -1);
	__free_page(p);
}

bool PageAnon(const page *p) { return reinterpret_cast<unsigned long>(p->mapping) & PAGE_MAPPING_ANON; }

// Linux's mm_counter_file/mm_counter: which RSS counter a mapped page is in. A file page is
// the VMA's file's (or was: the cache may have let go of it while mapped, clearing its
// flags), so its counter follows the VMA's file: MM_SHMEMPAGES for tmpfs and shared
// anonymous memory (swap-backed), MM_FILEPAGES otherwise.
static mm_counter vma_file_counter(const vm_area_struct *v)
{
	return v && v->vm_file && (v->vm_file->f_mapping->flags & AS_SHMEM) ? MM_SHMEMPAGES : MM_FILEPAGES;
}
// A page outside any VMA (never, once VMAs are zapped before they go): by its own flags.
static mm_counter mm_counter_file(const page *p) { return PageSwapBacked(p) ? MM_SHMEMPAGES : MM_FILEPAGES; }
static mm_counter mm_counter_in(const vm_area_struct *v, const page *p)
{
	return PageAnon(p) ? MM_ANONPAGES : v ? vma_file_counter(v) : mm_counter_file(p);
}

// A new anonymous page's first mapping (Linux's page_add_new_anon_rmap): nobody else sees it.
static void page_add_new_anon_rmap(page *p)
{
	p->mapping = reinterpret_cast<address_space *>(PAGE_MAPPING_ANON);
	__atomic_store_n(&p->_mapcount, 0, __ATOMIC_RELAXED);
	mod_node_page_state(page_pgdat(p), NR_ANON_MAPPED, 1);
}
// One more mapping of a page that is already mapped (fork) or of a page-cache page.
static void page_dup_rmap(page *p) { __atomic_add_fetch(&p->_mapcount, 1, __ATOMIC_RELAXED); }
static void page_add_file_rmap(page *p)
{
	if (__atomic_add_fetch(&p->_mapcount, 1, __ATOMIC_RELAXED) == 0)
		mod_node_page_state(page_pgdat(p), NR_FILE_MAPPED, 1);
}
// A mapping removed; the node counter moves with the last one. An anonymous page loses its
// PAGE_MAPPING_ANON with its last mapping: nothing can map it again (fork copies only mapped
// pages), and the allocator wants mapping clear when the last reference goes.
static void page_remove_rmap(page *p)
{
	bool anon = PageAnon(p);
	if (__atomic_sub_fetch(&p->_mapcount, 1, __ATOMIC_RELAXED) >= 0)
		return;
	mod_node_page_state(page_pgdat(p), anon ? NR_ANON_MAPPED : NR_FILE_MAPPED, -1);
	if (anon)
		p->mapping = nullptr;
}

static u64 *table_va(u64 desc) { return static_cast<u64 *>(phys_to_virt(PhysAddr(desc & PTE_ADDR_MASK))); }
static page *table_page_of(const u64 *entry) { return virt_to_page(entry); }

static void inc_rss(mm_struct *mm, mm_counter c)
{
	mm->rss_stat[c]++;
	unsigned long rss = get_mm_rss(mm);
	if (rss > mm->hiwater_rss)
		mm->hiwater_rss = rss;
}

// Writes a leaf or table entry, keeping the owning table's entry count.
static void set_entry(u64 *slot, u64 val)
{
	bool was = *slot != 0, is = val != 0;
	page *t = table_page_of(slot);
	if (!was && is)
		t->private_++;
	else if (was && !is)
		t->private_--;
	set_pte(slot, val);
}

// The level-3 entry for addr; allocates missing tables when `alloc` (nullptr on ENOMEM).
static u64 *walk(mm_struct *mm, unsigned long addr, bool alloc)
{
	u64 *table = mm->pgd;
	for (int level = 0; level < 3; level++) {
		u64 *slot = &table[pgtable_index(addr, level)];
		if (!table_present(*slot)) {
			if (!alloc)
				return nullptr;
			page *p = alloc_user_pgtable_page();
			if (!p)
				return nullptr;
			p->private_ = 0;
			mm->pgtables++;
			// The zeroed table must be visible to the walker before the entry pointing at it.
			set_entry(slot, mk_table_desc(page_to_pfn(p)));
		}
		table = table_va(*slot);
	}
	return &table[pgtable_index(addr, 3)];
}

u64 *mm_pte_lookup(const mm_struct *mm, unsigned long addr) { return walk(const_cast<mm_struct *>(mm), addr, false); }

// Pages and tables unlinked from the tables, freed only after the TLB no longer holds them
// (Linux's mmu_gather: break, flush, then free). Pages are kept in an array, not on their
// lru: a page fork shared may sit in another address space's batch at the same time.
// Table pages belong to this mm alone and go on a list.
struct unmap_batch {
	static constexpr unsigned MAX_PAGES = 256;
	page *pages[MAX_PAGES];
	unsigned nr = 0;
	list_head tables;
	unsigned long nr_pages = 0;
	unmap_batch() { INIT_LIST_HEAD(&tables); }
};

static void release_batch_pages(unmap_batch &b)
{
	for (unsigned i = 0; i < b.nr; i++)
		put_page(b.pages[i]);
	b.nr = 0;
}

// What a zap covers: a cursor over the VMAs of the range in address order (the VMA's file
// decides the RSS counter of a file page), and for unmap_mapping_range whether private copies
// go too.
struct zap_details {
	const vm_area_struct *cur;
	bool even_cows;
	// The VMA holding addr (addresses only grow during a zap), or nullptr.
	const vm_area_struct *vma_at(unsigned long addr)
	{
		while (cur && cur->vm_end <= addr)
			cur = cur->vm_next;
		return cur && cur->vm_start <= addr ? cur : nullptr;
	}
};

static void release_user_page(mm_struct *mm, u64 pte, unsigned long addr, unmap_batch &b, zap_details &details)
{
	if (pte_special(pte))
		return; // the zero page: shared, never counted, never freed
	page *p = pfn_to_page(pte_pfn(pte));
	mm->rss_stat[PageAnon(p) ? MM_ANONPAGES : mm_counter_in(details.vma_at(addr), p)]--;
	page_remove_rmap(p);
	if (b.nr == unmap_batch::MAX_PAGES) {
		// Full: no TLB may still map what is freed (Linux's tlb_flush_mmu).
		flush_tlb_mm(mm);
		release_batch_pages(b);
	}
	b.pages[b.nr++] = p;
	b.nr_pages++;
}

static void finish_batch(mm_struct *mm, unsigned long start, unsigned long end, unmap_batch &b)
{
	if (start < end)
		flush_tlb_range(mm, start, end);
	release_batch_pages(b);
	while (!list_empty(&b.tables)) {
		page *p = list_entry(b.tables.next, page, lru);
		list_del(&p->lru);
		p->private_ = 0;
		free_user_pgtable_page(p);
	}
}

// Clears [start, end) below `table` (at `level`), queueing pages and empty tables.
static void zap_level(mm_struct *mm, u64 *table, int level, unsigned long start, unsigned long end,
		      unmap_batch &b, zap_details &details)
{
	unsigned shift = pgtable_level_shift(level);
	unsigned long size = 1ul << shift;
	unsigned long addr = start;
	// The table's count of non-empty entries (private_): once it reaches 0 the rest of the
	// range below this table holds nothing, however much of it is left (exit and exec zap
	// [0, TASK_SIZE), which would otherwise visit every slot of every table).
	page *tp = table_page_of(table);
	if (level == 3) {
		// The leaf table: a tight scan of its slots in [start, end), which lies within it. The
		// table's count is kept in a local and written back once; the cleared entries reach
		// the walker through the TLB flush that must come before any page is freed (its dsb).
		unsigned i = pgtable_index(start, 3), n = i + static_cast<unsigned>((end - start) >> PAGE_SHIFT);
		unsigned long left = tp->private_;
		unsigned long base = start & ~((1ul << 21) - 1);
		for (; i < n && left != 0; i++) {
			u64 d = table[i];
			if (!d)
				continue;
			// Without even_cows a private copy (not the file's page) is kept.
			if (!details.even_cows && !pte_special(d) && PageAnon(pfn_to_page(pte_pfn(d))))
				continue;
			set_pte_nosync(&table[i], 0);
			left--;
			if (pte_present(d))
				release_user_page(mm, d, base + (unsigned long)i * PAGE_SIZE, b, details);
		}
		tp->private_ = left;
		publish_ptes();
		return;
	}
	while (addr < end && tp->private_ != 0) {
		unsigned long next = (addr & ~(size - 1)) + size;
		if (next > end || next == 0)
			next = end;
		u64 *slot = &table[pgtable_index(addr, level)];
		u64 d = *slot;
		if (table_present(d)) {
			u64 *child = table_va(d);
			zap_level(mm, child, level + 1, addr, next, b, details);
			page *cp = virt_to_page(child);
			if (cp->private_ == 0) {
				set_entry(slot, 0);
				list_add(&cp->lru, &b.tables);
				mm->pgtables--;
			}
		}
		addr = next;
	}
}

void zap_page_range(mm_struct *mm, unsigned long start, unsigned long end)
{
	if (start >= end)
		return;
	// One pass (tables that empty are skipped at once); the VMA of each file page is found
	// by a cursor moving with the address.
	unmap_batch b;
	zap_details details{find_vma(mm, start), true};
	zap_level(mm, mm->pgd, 0, start, end, b, details);
	finish_batch(mm, start, end, b);
}

void free_pgtables(mm_struct *mm)
{
	if (mm->pgd) {
		// VMA by VMA, as Linux's unmap_vmas/free_pgtables: a sweep of [0, TASK_SIZE) scanned
		// every empty slot of every upper table between the program and its stack (thousands
		// of instructions each exit and exec). Tables empty as their last entries go; one
		// batch and one flush for all. Entries outside every VMA should not exist: the full
		// sweep after them ends at once when the tables are empty, and takes any that do.
		unmap_batch b;
		zap_details details{vma_first(mm), true};
		for (vm_area_struct *v = vma_first(mm); v; v = v->vm_next)
			zap_level(mm, mm->pgd, 0, v->vm_start, v->vm_end, b, details);
		zap_details rest{vma_first(mm), true};
		zap_level(mm, mm->pgd, 0, 0, TASK_SIZE, b, rest);
		finish_batch(mm, 0, TASK_SIZE, b);
	}
	if (mm->pgd) {
		page *p = virt_to_page(mm->pgd);
		if (p->private_ != 0)
			pr_err("free_pgtables: pgd still has %lu entries\n", p->private_);
		p->private_ = 0;
		free_user_pgtable_page(p);
		mm->pgd = nullptr;
	}
}

// Visits the present leaf entries of [start, end) without allocating.
template <typename Fn> static void for_each_pte(mm_struct *mm, unsigned long start, unsigned long end, Fn fn)
{
	unsigned long addr = start;
	while (addr < end) {
		u64 *table = mm->pgd;
		bool found = true;
		for (int level = 0; level < 3; level++) {
			u64 d = table[pgtable_index(addr, level)];
			if (!table_present(d)) {
				unsigned long size = 1ul << pgtable_level_shift(level);
				unsigned long next = (addr & ~(size - 1)) + size;
				addr = (next == 0 || next > end) ? end : next;
				found = false;
				break;
			}
			table = table_va(d);
		}
		if (!found)
			continue;
		// Walk the rest of this level-3 table.
		unsigned long tend = (addr & ~((1ul << 21) - 1)) + (1ul << 21);
		if (tend > end || tend == 0)
			tend = end;
		for (; addr < tend; addr += PAGE_SIZE) {
			u64 *pte = &table[pgtable_index(addr, 3)];
			if (pte_present(*pte))
				fn(pte, addr);
		}
	}
}

void change_protection(mm_struct *mm, unsigned long start, unsigned long end, unsigned long vm_flags)
{
	bool changed = false;
	for_each_pte(mm, start, end, [&](u64 *pte, unsigned long) {
		u64 old = *pte;
		u64 nw = mk_user_pte(pte_pfn(old), vm_flags, false) | (old & PTE_SPECIAL);
		if (nw != old) {
			// Permission changes keep the output address, so no break-before-make is
			// needed; the flush below removes the old permissions.
			set_pte(pte, nw);
			changed = true;
		}
	});
	if (changed)
		flush_tlb_range(mm, start, end);
}

Result move_page_tables(mm_struct *mm, unsigned long old_addr, unsigned long new_addr, unsigned long len)
{
	// Destination tables first, so a failure leaves every page still mapped at old_addr.
	Result r{};
	for_each_pte(mm, old_addr, old_addr + len, [&](u64 *, unsigned long addr) {
		if (r.is_error())
			return;
		if (!walk(mm, new_addr + (addr - old_addr), true))
			r = Errno::ENOMEM;
	});
	if (r.is_error())
		return r;
	for_each_pte(mm, old_addr, old_addr + len, [&](u64 *pte, unsigned long addr) {
		u64 v = *pte;
		// Break before make: the old translation is gone from the TLB before the page
		// appears elsewhere.
		set_entry(pte, 0);
		flush_tlb_page(mm, addr);
		u64 *dst = walk(mm, new_addr + (addr - old_addr), false);
		set_entry(dst, v);
	});
	// The old range's tables are empty now; zap frees them.
	zap_page_range(mm, old_addr, old_addr + len);
	return {};
}

Result copy_page_range(mm_struct *dst, mm_struct *src, vm_area_struct *src_vma)
{
	// Private writable memory becomes copy-on-write (Linux's is_cow_mapping): both sides
	// read-only until the first write, which copies unless the writer is the last holder.
	// Page-cache pages of a private mapping are read-only already.
	bool cow = !(src_vma->vm_flags & VM_SHARED);
	Result r{};
	// The child's level-3 table of the current 2 MiB block, found (or made) once per block,
	// and the entries this copy added to it (its count is raised once, on leaving it).
	u64 *dtable = nullptr;
	page *dtp = nullptr;
	unsigned long dblock = ~0ul, dnew = 0;
	long rss[NR_MM_COUNTERS] = {};
	for_each_pte(src, src_vma->vm_start, src_vma->vm_end, [&](u64 *pte, unsigned long addr) {
		if (r.is_error())
			return;
		if ((addr >> 21) != dblock) {
			if (dtp)
				dtp->private_ += dnew;
			dnew = 0;
			u64 *d = walk(dst, addr, true);
			if (!d) {
				dtp = nullptr;
				r = Errno::ENOMEM;
				return;
			}
			dtable = d - pgtable_index(addr, 3);
			dtp = table_page_of(dtable);
			dblock = addr >> 21;
		}
		u64 *d = &dtable[pgtable_index(addr, 3)];
		u64 v = *pte;
		if (!pte_special(v)) {
			page *p = pfn_to_page(pte_pfn(v));
			get_page(p);
			page_dup_rmap(p);
			rss[mm_counter_in(src_vma, p)]++;
			if (cow && pte_write(v)) {
				// Same output address, fewer permissions: no break-before-make; the
				// parent's TLB is flushed once at the end of dup_mm (its dsb publishes
				// this store to the walker before the invalidation).
				v |= PTE_RDONLY;
				set_pte_nosync(pte, v);
			}
		}
		// The zero page (special) is shared as it is: never counted, never freed. The child's
		// tables are not live anywhere yet: one barrier below publishes them all.
		dnew += *d == 0;
		set_pte_nosync(d, v);
	});
	if (dtp)
		dtp->private_ += dnew;
	publish_ptes();
	for (int c = 0; c < NR_MM_COUNTERS; c++)
		dst->rss_stat[c] += rss[c];
	unsigned long total = get_mm_rss(dst);
	if (total > dst->hiwater_rss)
		dst->hiwater_rss = total;
	return r;
}

bool access_permitted(const vm_area_struct *vma, unsigned flags)
{
	if (flags & FAULT_FLAG_INSTRUCTION)
		return vma->vm_flags & VM_EXEC;
	if (flags & FAULT_FLAG_WRITE)
		return vma->vm_flags & VM_WRITE;
	// arm64 cannot map write- or exec-only pages for EL0: either implies read.
	return vma->vm_flags & VM_ACCESS_FLAGS;
}

static void map_new_page(vm_area_struct *vma, u64 *pte, unsigned long addr, page *p, bool writable)
{
	if (vma->vm_flags & VM_EXEC)
		sync_icache_page(page_address(p));
	set_entry(pte, mk_user_pte(page_to_pfn(p), vma->vm_flags, writable));
}

// Maps a page-cache page (its reference becomes the entry's). An executable mapping needs the
// page coherent with instruction fetch once: PG_arch_1 records that it is (Linux's
// PG_dcache_clean; a shared writable mapping clears it, as the page may change).
static void map_file_page(vm_area_struct *vma, u64 *pte, page *p, bool writable)
{
	if ((vma->vm_flags & VM_EXEC) && !test_page_flag(p, PG_arch_1)) {
		sync_icache_page(page_address(p));
		set_page_flag(p, PG_arch_1);
	}
	if (writable)
		clear_page_flag(p, PG_arch_1);
	set_entry(pte, mk_user_pte(page_to_pfn(p), vma->vm_flags, writable));
	inc_rss(vma->vm_mm, vma_file_counter(vma));
	page_add_file_rmap(p);
}

static vm_fault_t do_anonymous_page(vm_area_struct *vma, u64 *pte, unsigned long addr, unsigned flags)
{
	mm_struct *mm = vma->vm_mm;
	if (!(flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED) && the_zero_page) {
		// Reads of untouched private memory share one zeroed page, read-only; the first
		// write replaces it (do_wp_page).
		set_entry(pte, mk_user_pte(page_to_pfn(the_zero_page), vma->vm_flags, false) | PTE_SPECIAL);
		return 0;
	}
	page *p = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_ZERO | __GFP_NOWARN);
	if (!p)
		return VM_FAULT_OOM;
	map_new_page(vma, pte, addr, p, true);
	inc_rss(mm, MM_ANONPAGES);
	page_add_new_anon_rmap(p);
	return 0;
}

static unsigned long linear_page_index(const vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

// Linux's do_fault_around: maps the pages of the fault_around_bytes window around addr (aligned
// to it, clipped to the VMA; the callee stops at EOF) that are already in the page cache, read
// only, into entries still empty. Returns true when addr itself got mapped.
static bool do_fault_around(vm_area_struct *vma, unsigned long addr)
{
	const unsigned long nr = fault_around_bytes >> PAGE_SHIFT;
	unsigned long start = addr & ~(fault_around_bytes - 1);
	if (start < vma->vm_start)
		start = vma->vm_start;
	unsigned long end = (addr & ~(fault_around_bytes - 1)) + nr * PAGE_SIZE;
	if (end > vma->vm_end || end == 0)
		end = vma->vm_end;
	// The window lies within one level-3 table (64 KiB windows never cross 2 MiB).
	u64 *first = walk(vma->vm_mm, start, false);
	if (!first)
		return false;
	bool mapped = false;
	for (unsigned long a = start; a < end; a += PAGE_SIZE) {
		u64 *pte = first + ((a - start) >> PAGE_SHIFT);
		if (*pte)
			continue;
		page *p = vma->vm_ops->map_page(vma, linear_page_index(vma, a));
		if (!p) {
			// Beyond EOF nothing further can be cached; a hole just skips.
			continue;
		}
		map_file_page(vma, pte, p, false);
		if (a == addr)
			mapped = true;
	}
	return mapped;
}

// Read fault in a file VMA: the page-cache page itself, read-only (a later write copies it in
// a private mapping or dirties it in a shared one).
static vm_fault_t do_read_fault(vm_fault *vmf, u64 *pte)
{
	vm_area_struct *vma = vmf->vma;
	if (vma->vm_ops->map_page && (fault_around_bytes >> PAGE_SHIFT) > 1 && do_fault_around(vma, vmf->address))
		return 0;
	vm_fault_t r = vma->vm_ops->fault(vmf);
	if (r)
		return r;
	map_file_page(vma, pte, vmf->page, false);
	return 0;
}

// Write fault in a private file VMA: a new anonymous copy of the page-cache page.
static vm_fault_t do_cow_fault(vm_fault *vmf, u64 *pte)
{
	vm_area_struct *vma = vmf->vma;
	page *np = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
	if (!np)
		return VM_FAULT_OOM;
	vm_fault_t r = vma->vm_ops->fault(vmf);
	if (r) {
		__free_page(np);
		return r;
	}
	copy_page(page_address(np), page_address(vmf->page));
	put_page(vmf->page);
	map_new_page(vma, pte, vmf->address, np, true);
	inc_rss(vma->vm_mm, MM_ANONPAGES);
	page_add_new_anon_rmap(np);
	return 0;
}

// Write fault in a shared file VMA: the page-cache page becomes writable and dirty.
static vm_fault_t do_shared_fault(vm_fault *vmf, u64 *pte)
{
	vm_area_struct *vma = vmf->vma;
	vm_fault_t r = vma->vm_ops->fault(vmf);
	if (r)
		return r;
	if (vma->vm_ops->page_mkwrite) {
		r = vma->vm_ops->page_mkwrite(vmf);
		if (r) {
			put_page(vmf->page);
			return r;
		}
	}
	map_file_page(vma, pte, vmf->page, true);
	return 0;
}

// Linux's do_fault: an empty entry in a file VMA.
static vm_fault_t do_fault(vm_area_struct *vma, u64 *pte, unsigned long addr, unsigned flags)
{
	vm_fault vmf{vma, addr, flags, linear_page_index(vma, addr), nullptr};
	if (!(flags & FAULT_FLAG_WRITE))
		return do_read_fault(&vmf, pte);
	if (!(vma->vm_flags & VM_SHARED))
		return do_cow_fault(&vmf, pte);
	return do_shared_fault(&vmf, pte);
}

// Write to a present read-only entry in a writable VMA: the zero page, a page-cache page of
// a private mapping (copied), a clean page of a shared file mapping (dirtied in place), an
// anonymous page fork shared or mprotect left read-only.
static vm_fault_t do_wp_page(vm_area_struct *vma, u64 *pte, unsigned long addr, unsigned flags)
{
	mm_struct *mm = vma->vm_mm;
	u64 old = *pte;
	page *oldp = pte_special(old) ? nullptr : pfn_to_page(pte_pfn(old));
	if (oldp && (vma->vm_flags & VM_SHARED)) {
		// Linux's wp_page_shared: every sharer sees the writes, so the page itself becomes
		// writable (dirtied first for a file).
		if (vma->vm_ops && vma->vm_ops->page_mkwrite) {
			vm_fault vmf{vma, addr, flags, linear_page_index(vma, addr), oldp};
			if (vm_fault_t r = vma->vm_ops->page_mkwrite(&vmf))
				return r;
		}
		if (!PageAnon(oldp))
			clear_page_flag(oldp, PG_arch_1);
		set_pte(pte, mk_user_pte(page_to_pfn(oldp), vma->vm_flags, true));
		flush_tlb_page(mm, addr);
		return 0;
	}
	// Reuse an anonymous page nobody else holds (Linux 6.1's do_wp_page rule: the refcount,
	// not the mapcount, so that a page fork shared is copied by every writer but the last).
	// A page-cache page is never written through a private mapping.
	if (oldp && PageAnon(oldp) && page_count(oldp) == 1) {
		count_vm_event(PGREUSE);
		set_pte(pte, mk_user_pte(page_to_pfn(oldp), vma->vm_flags, true));
		flush_tlb_page(mm, addr);
		return 0;
	}
	page *np = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | (oldp ? gfp_t(0) : __GFP_ZERO));
	if (!np)
		return VM_FAULT_OOM;
	if (oldp)
		copy_page(page_address(np), page_address(oldp));
	if (vma->vm_flags & VM_EXEC)
		sync_icache_page(page_address(np));
	// Break before make: the entry changes its output address.
	set_entry(pte, 0);
	flush_tlb_page(mm, addr);
	set_entry(pte, mk_user_pte(page_to_pfn(np), vma->vm_flags, true));
	inc_rss(mm, MM_ANONPAGES);
	page_add_new_anon_rmap(np);
	if (oldp) {
		mm->rss_stat[mm_counter_in(vma, oldp)]--;
		page_remove_rmap(oldp);
		put_page(oldp);
	}
	return 0;
}

vm_fault_t handle_mm_fault(vm_area_struct *vma, unsigned long addr, unsigned flags)
{
	// Every fault the handler sees counts, resolved or not (Linux's handle_mm_fault).
	count_vm_event(PGFAULT);
	addr &= PAGE_MASK;
	if (!access_permitted(vma, flags))
		return VM_FAULT_SIGSEGV;
	u64 *pte = walk(vma->vm_mm, addr, true);
	if (!pte)
		return VM_FAULT_OOM;
	u64 v = *pte;
	if (!pte_present(v))
		return vma->vm_ops ? do_fault(vma, pte, addr, flags) : do_anonymous_page(vma, pte, addr, flags);
	if (!pte_valid(v))
		return VM_FAULT_SIGSEGV; // PROT_NONE entry (the VMA check above passed: stale)
	if ((flags & FAULT_FLAG_WRITE) && !pte_write(v))
		return do_wp_page(vma, pte, addr, flags);
	// Spurious: another path already made the entry usable (or a stale TLB entry).
	flush_tlb_page(vma->vm_mm, addr);
	return VM_FAULT_SPURIOUS;
}

vm_fault_t do_user_addr_fault(mm_struct *mm, unsigned long addr, unsigned flags)
{
	if (addr >= TASK_SIZE || !mm)
		return VM_FAULT_BADMAP;
	vm_area_struct *v = find_extend_vma(mm, addr);
	if (!v)
		return VM_FAULT_BADMAP;
	// handle_mm_fault makes arm64's access check itself (VM_FAULT_SIGSEGV when the VMA
	// forbids the access), so it is not made twice here.
	return handle_mm_fault(v, addr, flags);
}

// --- unmap_mapping_range ---------------------------------------------------------------------
static bool mmget_not_zero(mm_struct *mm)
{
	int u = __atomic_load_n(&mm->mm_users, __ATOMIC_RELAXED);
	while (u > 0)
		if (__atomic_compare_exchange_n(&mm->mm_users, &u, u + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

// Zaps [first, last] file pages of mapping in every VMA of mm mapping it (mm's mmap_lock held).
static void zap_mapping_in_mm(mm_struct *mm, address_space *mapping, unsigned long first, unsigned long last,
			      bool even_cows) TA_REQ(mm->mmap_lock)
{
	zap_details details{nullptr, even_cows};
	for (vm_area_struct *v = vma_first(mm); v; v = vma_next(v)) {
		if (!v->vm_file || v->vm_file->f_mapping != mapping)
			continue;
		unsigned long vfirst = v->vm_pgoff, vlast = v->vm_pgoff + vma_pages(v) - 1;
		if (vlast < first || vfirst > last)
			continue;
		unsigned long s = v->vm_start + ((first > vfirst ? first - vfirst : 0) << PAGE_SHIFT);
		unsigned long e = v->vm_start + ((last < vlast ? last - vfirst + 1 : vlast - vfirst + 1) << PAGE_SHIFT);
		unmap_batch b;
		details.cur = v;
		zap_level(mm, mm->pgd, 0, s, e, b, details);
		finish_batch(mm, s, e, b);
	}
}

// The mms with a VMA of mapping, each with a reference (mmget), in *out (kmalloc'd, the
// caller kfrees). ENOMEM.
static Result collect_mapping_mms(address_space *mapping, mm_struct ***out, unsigned *nr)
{
	// Sized under the lock, allocated outside it, filled under it again: a list that grew in
	// between is sized once more.
	unsigned cap = 0;
	for (;;) {
		mm_struct **mms = cap ? static_cast<mm_struct **>(kmalloc(cap * sizeof(mm_struct *), GFP_KERNEL)) : nullptr;
		if (cap && !mms)
			return Errno::ENOMEM;
		unsigned n = 0, need = 0;
		mapping->i_mmap_rwsem.down_read();
		list_for_each(pos, &mapping->i_mmap) {
			mm_struct *mm = list_entry(pos, vm_area_struct, shared)->vm_mm;
			bool dup = false;
			for (unsigned i = 0; i < n && !dup; i++)
				dup = mms[i] == mm;
			if (dup)
				continue;
			need++;
			if (n < cap && mmget_not_zero(mm))
				mms[n++] = mm;
		}
		mapping->i_mmap_rwsem.up_read();
		if (need <= cap) {
			*out = mms;
			*nr = n;
			return {};
		}
		for (unsigned i = 0; i < n; i++)
			mmput(mms[i]);
		kfree(mms);
		cap = need + 4;
	}
}

void unmap_mapping_range(address_space *mapping, i64 start, i64 len, bool even_cows)
{
	if (start < 0 || len < 0)
		return;
	unsigned long first = static_cast<unsigned long>(start) >> PAGE_SHIFT;
	unsigned long last = len ? (static_cast<unsigned long>(start + len) - 1) >> PAGE_SHIFT : ~0ul;
	// The mms are collected under i_mmap_rwsem and zapped under their own mmap_lock, which
	// ranks above i_mmap_rwsem (mmap links VMAs with mmap_lock held). A VMA added meanwhile
	// faults its pages from the cache as it is now, which is what the caller wants.
	mm_struct **mms = nullptr;
	unsigned n = 0;
	if (collect_mapping_mms(mapping, &mms, &n).is_error()) {
		// Truncate cannot fail; what stays mapped is the truncated pages, detached from the
		// cache (still counted as file pages): stale data, not a broken ledger.
		pr_err("unmap_mapping_range: out of memory, mappings of the range kept\n");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		{
			WriteGuard g(mms[i]->mmap_lock);
			zap_mapping_in_mm(mms[i], mapping, first, last, even_cows);
		}
		mmput(mms[i]);
	}
	kfree(mms);
}
