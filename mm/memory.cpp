// User page tables and the fault path (Linux's mm/memory.c, reduced): tables allocated on
// demand and freed when their last entry goes, anonymous and zero-page faults, private
// copies of file-image pages, copy-on-write, and the range operations munmap/mprotect/
// mremap/madvise need. Hardware maintenance goes through asm/pgtable.h.
//
// Bookkeeping kept in struct page (fork shares pages between address spaces; there is no
// reverse map yet, only the counts):
//   table pages: private_ = number of non-empty entries; the table is freed at 0.
//   user pages:  _mapcount = mappings in user page tables - 1 (fork raises it with the
//                refcount); NR_ANON_MAPPED/NR_FILE_MAPPED count pages mapped at least once,
//                as Linux's page_add_*_rmap. index = 1 for a page counted in MM_FILEPAGES (a
//                private copy of a file page not yet written, shared read-only by fork),
//                0 for MM_ANONPAGES; reset when the last reference goes.
#include <asm/page.h>
#include <asm/pgtable.h>

#include "core/panic.h"
#include "core/printk.h"
#include "kstd/list.h"
#include "kstd/string.h"
#include "mm/mm_struct.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
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

// A user page entering or leaving the page tables: NR_ANON_MAPPED or NR_FILE_MAPPED (the
// private copy of a file page not yet written stands where Linux maps the page-cache page).
static void account_user_page(page *p, mm_counter c, int sign)
{
	mod_node_page_state(page_pgdat(p), c == MM_FILEPAGES ? NR_FILE_MAPPED : NR_ANON_MAPPED, sign);
}

// A mapping of p added or removed; the node counter moves with the first and last one.
static void page_add_rmap(page *p, mm_counter c)
{
	if (__atomic_add_fetch(&p->_mapcount, 1, __ATOMIC_RELAXED) == 0)
		account_user_page(p, c, 1);
}
static void page_remove_rmap(page *p, mm_counter c)
{
	if (__atomic_sub_fetch(&p->_mapcount, 1, __ATOMIC_RELAXED) < 0)
		account_user_page(p, c, -1);
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
	for (unsigned i = 0; i < b.nr; i++) {
		page *p = b.pages[i];
		// Only the last holder may reset the flag: a page fork shared is still mapped (and
		// counted by its index) elsewhere.
		if (page_count(p) == 1)
			p->index = 0;
		put_page(p);
	}
	b.nr = 0;
}

static void release_user_page(mm_struct *mm, u64 pte, unmap_batch &b)
{
	if (pte_special(pte))
		return; // the zero page: shared, never counted, never freed
	page *p = pfn_to_page(pte_pfn(pte));
	mm_counter c = p->index == 1 ? MM_FILEPAGES : MM_ANONPAGES;
	mm->rss_stat[c]--;
	page_remove_rmap(p, c);
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
		      unmap_batch &b)
{
	unsigned shift = pgtable_level_shift(level);
	unsigned long size = 1ul << shift;
	unsigned long addr = start;
	// The table's count of non-empty entries (private_): once it reaches 0 the rest of the
	// range below this table holds nothing, however much of it is left (exit and exec zap
	// [0, TASK_SIZE), which would otherwise visit every slot of every table).
	const page *tp = table_page_of(table);
	while (addr < end && tp->private_ != 0) {
		unsigned long next = (addr & ~(size - 1)) + size;
		if (next > end || next == 0)
			next = end;
		u64 *slot = &table[pgtable_index(addr, level)];
		u64 d = *slot;
		if (level == 3) {
			if (d) {
				set_entry(slot, 0);
				if (pte_present(d))
					release_user_page(mm, d, b);
			}
		} else if (table_present(d)) {
			u64 *child = table_va(d);
			zap_level(mm, child, level + 1, addr, next, b);
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
	unmap_batch b;
	zap_level(mm, mm->pgd, 0, start, end, b);
	finish_batch(mm, start, end, b);
}

void free_pgtables(mm_struct *mm)
{
	zap_page_range(mm, 0, TASK_SIZE);
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
	bool cow = !(src_vma->vm_flags & VM_SHARED);
	Result r{};
	for_each_pte(src, src_vma->vm_start, src_vma->vm_end, [&](u64 *pte, unsigned long addr) {
		if (r.is_error())
			return;
		u64 *d = walk(dst, addr, true);
		if (!d) {
			r = Errno::ENOMEM;
			return;
		}
		u64 v = *pte;
		if (!pte_special(v)) {
			page *p = pfn_to_page(pte_pfn(v));
			mm_counter c = p->index == 1 ? MM_FILEPAGES : MM_ANONPAGES;
			get_page(p);
			page_add_rmap(p, c);
			inc_rss(dst, c);
			if (cow && pte_write(v)) {
				// Same output address, fewer permissions: no break-before-make; the
				// parent's TLB is flushed once at the end of dup_mm.
				v |= PTE_RDONLY;
				set_pte(pte, v);
			}
		}
		// The zero page (special) is shared as it is: never counted, never freed.
		set_entry(d, v);
	});
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
	p->index = 0;
	map_new_page(vma, pte, addr, p, true);
	inc_rss(mm, MM_ANONPAGES);
	page_add_rmap(p, MM_ANONPAGES);
	return 0;
}

// A private copy of the file-image page at addr; bytes past the image are zero (bss).
static vm_fault_t do_file_page(vm_area_struct *vma, u64 *pte, unsigned long addr, unsigned flags)
{
	mm_struct *mm = vma->vm_mm;
	page *p = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
	if (!p)
		return VM_FAULT_OOM;
	u8 *dst = static_cast<u8 *>(page_address(p));
	unsigned long off = (vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	const vm_backing *f = vma->vm_file;
	unsigned long n = off < f->size ? f->size - off : 0;
	if (n > PAGE_SIZE)
		n = PAGE_SIZE;
	if (n)
		memcpy(dst, f->data + off, n);
	if (n < PAGE_SIZE)
		memset(dst + n, 0, PAGE_SIZE - n);
	// Mapped read-only on a read fault as Linux maps the page-cache page; the first write
	// takes it over through do_wp_page (one user: reused, not copied).
	bool write = flags & FAULT_FLAG_WRITE;
	p->index = write ? 0 : 1;
	map_new_page(vma, pte, addr, p, write);
	inc_rss(mm, write ? MM_ANONPAGES : MM_FILEPAGES);
	page_add_rmap(p, write ? MM_ANONPAGES : MM_FILEPAGES);
	return 0;
}

// Write to a present read-only entry in a writable VMA: the zero page, a file page not
// written yet, or a page left read-only by mprotect.
static vm_fault_t do_wp_page(vm_area_struct *vma, u64 *pte, unsigned long addr)
{
	mm_struct *mm = vma->vm_mm;
	u64 old = *pte;
	page *oldp = pte_special(old) ? nullptr : pfn_to_page(pte_pfn(old));
	// Reuse when nobody else holds the page (Linux 6.1's do_wp_page rule: the refcount, not
	// the mapcount, so that a page fork shared is copied by every writer but the last), and
	// always in a shared mapping, whose writes must be seen by every sharer.
	if (oldp && (page_count(oldp) == 1 || (vma->vm_flags & VM_SHARED))) {
		// Sole user: make it writable in place (same output address, no break needed).
		if (oldp->index == 1) {
			oldp->index = 0;
			mm->rss_stat[MM_FILEPAGES]--;
			mm->rss_stat[MM_ANONPAGES]++;
			account_user_page(oldp, MM_FILEPAGES, -1);
			account_user_page(oldp, MM_ANONPAGES, 1);
		} else {
			// An anonymous page reused in place (Linux's wp_page_reuse); a file page taken
			// over is, in Linux, a copy of the page-cache page.
			count_vm_event(PGREUSE);
		}
		set_pte(pte, mk_user_pte(page_to_pfn(oldp), vma->vm_flags, true));
		flush_tlb_page(mm, addr);
		return 0;
	}
	page *np = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | (oldp ? gfp_t(0) : __GFP_ZERO));
	if (!np)
		return VM_FAULT_OOM;
	if (oldp)
		copy_page(page_address(np), page_address(oldp));
	np->index = 0;
	if (vma->vm_flags & VM_EXEC)
		sync_icache_page(page_address(np));
	// Break before make: the entry changes its output address.
	set_entry(pte, 0);
	flush_tlb_page(mm, addr);
	set_entry(pte, mk_user_pte(page_to_pfn(np), vma->vm_flags, true));
	inc_rss(mm, MM_ANONPAGES);
	page_add_rmap(np, MM_ANONPAGES);
	if (oldp) {
		mm_counter c = oldp->index == 1 ? MM_FILEPAGES : MM_ANONPAGES;
		mm->rss_stat[c]--;
		page_remove_rmap(oldp, c);
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
		return vma->vm_file ? do_file_page(vma, pte, addr, flags) : do_anonymous_page(vma, pte, addr, flags);
	if (!pte_valid(v))
		return VM_FAULT_SIGSEGV; // PROT_NONE entry (the VMA check above passed: stale)
	if ((flags & FAULT_FLAG_WRITE) && !pte_write(v))
		return do_wp_page(vma, pte, addr);
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
