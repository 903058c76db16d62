// VMAs and the address-space syscalls (Linux's mm/mmap.c, mm/mprotect.c, mm/mremap.c,
// mm/madvise.c, reduced). VMAs live in an rb-tree keyed by vm_start; adjacent compatible
// VMAs are always merged, so the tree holds the minimal set (validate_mm checks it).
//
// The tree is augmented as Linux's was before the maple tree: each node keeps the largest gap
// below any VMA of its subtree (rb_subtree_gap), so the top-down free-area search skips
// subtrees without a big enough hole. find_vma, insert, erase, split, merge and
// get_unmapped_area are O(log n); neighbours are O(1) through vm_prev/vm_next.
#include <asm/pgtable.h>

#include "core/printk.h"
#include "fs/fs.h"
#include "kstd/list.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "mm/mm_struct.h"
#include "mm/slab.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/filemap.h"

// --- object caches ---------------------------------------------------------------------------
// VMAs and mm_structs come from their own slab caches (Linux's vm_area_cachep/mm_cachep).
// Exact free-page checks shrink the caches first (kmem_cache_shrink_all), since a cache may
// keep an empty slab for the next program.
static kmem_cache *vm_area_cachep;
static kmem_cache *mm_cachep;

Result mmap_init()
{
	if (!vm_area_cachep)
		vm_area_cachep = kmem_cache_create("vm_area_struct", sizeof(vm_area_struct), 0, SLAB_NONE, nullptr);
	if (!mm_cachep)
		mm_cachep = kmem_cache_create("mm_struct", sizeof(mm_struct), 0, SLAB_HWCACHE_ALIGN, nullptr);
	return vm_area_cachep && mm_cachep ? Result() : Result(Errno::ENOMEM);
}

void mmap_reset_for_test()
{
	vm_area_cachep = nullptr;
	mm_cachep = nullptr;
}

static vm_area_struct *vm_area_alloc(mm_struct *mm)
{
	auto *v = static_cast<vm_area_struct *>(kmem_cache_zalloc(vm_area_cachep, GFP_KERNEL));
	if (v) {
		new (v) vm_area_struct{};
		v->vm_mm = mm;
		INIT_LIST_HEAD(&v->shared);
	}
	return v;
}

// A file VMA enters or leaves its file's i_mmap list (Linux's vma_link_file /
// remove_vma's unlink_file_vma), and holds a file reference meanwhile.
static void vma_link_file(vm_area_struct *v)
{
	if (!v->vm_file)
		return;
	address_space *m = v->vm_file->f_mapping;
	m->i_mmap_rwsem.down_write();
	list_add_tail(&v->shared, &m->i_mmap);
	m->i_mmap_rwsem.up_write();
}
static void vma_unlink_file(vm_area_struct *v)
{
	if (!v->vm_file)
		return;
	address_space *m = v->vm_file->f_mapping;
	m->i_mmap_rwsem.down_write();
	list_del_init(&v->shared);
	m->i_mmap_rwsem.up_write();
}

// Frees a VMA no longer in any tree: off the file's list, the file reference dropped (the
// pages it mapped are gone already: callers zap first, as Linux's unmap_region comes before
// remove_vma).
static void vm_area_free(vm_area_struct *v)
{
	if (file *f = v->vm_file) {
		vma_unlink_file(v);
		v->vm_file = nullptr;
		fput(f);
	}
	kmem_cache_free(vm_area_cachep, v);
}

// --- the tree ----------------------------------------------------------------------------------
static vm_area_struct *vma_of(rb_node *n) { return n ? rb_entry(n, vm_area_struct, vm_rb) : nullptr; }
vm_area_struct *vma_first(const mm_struct *mm) { return vma_of(rb_first(&mm->mm_rb)); }
vm_area_struct *vma_prev(const vm_area_struct *v) { return v->vm_prev; }
vm_area_struct *vma_next(const vm_area_struct *v) { return v->vm_next; }

static unsigned long vm_start_gap(const vm_area_struct *v)
{
	if (!(v->vm_flags & VM_GROWSDOWN))
		return v->vm_start;
	return v->vm_start > stack_guard_gap ? v->vm_start - stack_guard_gap : 0;
}

// The hole between v and the VMA before it (from address 0 for the first).
static unsigned long vma_own_gap(const vm_area_struct *v)
{
	unsigned long lo = v->vm_prev ? v->vm_prev->vm_end : 0, hi = vm_start_gap(v);
	return hi > lo ? hi - lo : 0;
}

static unsigned long vma_compute_subtree_gap(const vm_area_struct *v)
{
	unsigned long g = vma_own_gap(v);
	if (v->vm_rb.rb_left && vma_of(v->vm_rb.rb_left)->rb_subtree_gap > g)
		g = vma_of(v->vm_rb.rb_left)->rb_subtree_gap;
	if (v->vm_rb.rb_right && vma_of(v->vm_rb.rb_right)->rb_subtree_gap > g)
		g = vma_of(v->vm_rb.rb_right)->rb_subtree_gap;
	return g;
}

static void vma_gap_propagate(rb_node *n)
{
	for (; n; n = n->rb_parent)
		vma_of(n)->rb_subtree_gap = vma_compute_subtree_gap(vma_of(n));
}

static void vma_gap_rotate(rb_node *old_top, rb_node *new_top)
{
	vma_of(new_top)->rb_subtree_gap = vma_of(old_top)->rb_subtree_gap;
	vma_of(old_top)->rb_subtree_gap = vma_compute_subtree_gap(vma_of(old_top));
}

static const rb_augment_callbacks vma_gap_callbacks = {vma_gap_propagate, vma_gap_rotate};

// Recomputes from n upwards, stopping at the first node whose summary did not change (its
// ancestors cannot have changed either).
static void vma_gap_update_from(rb_node *n)
{
	for (; n; n = n->rb_parent) {
		unsigned long g = vma_compute_subtree_gap(vma_of(n));
		if (g == vma_of(n)->rb_subtree_gap)
			return;
		vma_of(n)->rb_subtree_gap = g;
	}
}
// v's vm_start moved: its own gap changed.
static void vma_gap_update(vm_area_struct *v) { vma_gap_update_from(&v->vm_rb); }
// v's vm_end moved: the gap below the next VMA changed.
static void vma_end_changed(vm_area_struct *v)
{
	if (v->vm_next)
		vma_gap_update(v->vm_next);
}

vm_area_struct *find_vma(const mm_struct *mm, unsigned long addr)
{
	rb_node *n = mm->mm_rb.rb_node_;
	vm_area_struct *best = nullptr;
	while (n) {
		vm_area_struct *v = vma_of(n);
		if (v->vm_end > addr) {
			best = v;
			if (v->vm_start <= addr)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

vm_area_struct *find_vma_intersection(const mm_struct *mm, unsigned long start, unsigned long end)
{
	vm_area_struct *v = find_vma(mm, start);
	return v && v->vm_start < end ? v : nullptr;
}

static void vma_link(mm_struct *mm, vm_area_struct *v)
{
	rb_node **link = &mm->mm_rb.rb_node_, *parent = nullptr;
	vm_area_struct *prev = nullptr; // the last node the descent went right from
	while (*link) {
		parent = *link;
		if (v->vm_start < vma_of(parent)->vm_start) {
			link = &parent->rb_left;
		} else {
			prev = vma_of(parent);
			link = &parent->rb_right;
		}
	}
	v->vm_prev = prev;
	v->vm_next = prev ? prev->vm_next : vma_first(mm);
	if (v->vm_next)
		v->vm_next->vm_prev = v;
	if (prev)
		prev->vm_next = v;
	rb_link_node(&v->vm_rb, parent, link);
	v->rb_subtree_gap = vma_compute_subtree_gap(v);
	vma_gap_update_from(parent);
	// The next VMA's own gap now ends at v. Every summary must be right before the
	// rebalancing rotations, which move summaries around.
	vma_end_changed(v);
	rb_insert_color(&v->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	mm->map_count++;
}

static void vma_unlink_free(mm_struct *mm, vm_area_struct *v)
{
	vm_area_struct *prev = v->vm_prev, *next = v->vm_next;
	if (prev)
		prev->vm_next = next;
	if (next)
		next->vm_prev = prev;
	// next's own gap now reaches down to prev: correct it before the rotations of the
	// erase move summaries around, and once more after, as the erase recomputes its path.
	if (next)
		vma_gap_update(next);
	rb_erase(&v->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	if (next)
		vma_gap_update(next);
	mm->map_count--;
	vm_area_free(v);
}

static bool can_merge(const vm_area_struct *a, const vm_area_struct *b)
{
	if (a->vm_end != b->vm_start || a->vm_flags != b->vm_flags || a->vm_file != b->vm_file ||
	    a->vm_ops != b->vm_ops)
		return false;
	return !a->vm_file || a->vm_pgoff + vma_pages(a) == b->vm_pgoff;
}

// Merges v with its neighbours where compatible; returns the VMA that now covers v's range.
static vm_area_struct *vma_merge_neighbours(mm_struct *mm, vm_area_struct *v)
{
	vm_area_struct *prev = vma_prev(v);
	if (prev && can_merge(prev, v)) {
		prev->vm_end = v->vm_end;
		vma_unlink_free(mm, v);
		v = prev;
	}
	vm_area_struct *next = vma_next(v);
	if (next && can_merge(v, next)) {
		v->vm_end = next->vm_end;
		vma_unlink_free(mm, next);
	}
	return v;
}

// Splits v at addr using the preallocated `fresh`, which becomes [addr, v->vm_end).
static void split_vma_with(mm_struct *mm, vm_area_struct *v, unsigned long addr, vm_area_struct *fresh)
{
	*fresh = *v;
	fresh->vm_rb = rb_node{};
	INIT_LIST_HEAD(&fresh->shared);
	if (fresh->vm_file) {
		get_file(fresh->vm_file);
		vma_link_file(fresh);
	}
	fresh->vm_start = addr;
	fresh->vm_pgoff = v->vm_pgoff + ((addr - v->vm_start) >> PAGE_SHIFT);
	v->vm_end = addr;
	vma_link(mm, fresh);
}

// --- address spaces ------------------------------------------------------------------------------
ErrorOr<mm_struct *> mm_alloc()
{
	// The caches are made on first use: the first program, or a host test's fresh allocator.
	if (!mm_cachep && mmap_init().is_error())
		return Errno::ENOMEM;
	void *mem = kmem_cache_zalloc(mm_cachep, GFP_KERNEL);
	if (!mem)
		return Errno::ENOMEM;
	auto *mm = new (mem) mm_struct;
	page *pgd = alloc_user_pgtable_page();
	if (!pgd) {
		kmem_cache_free(mm_cachep, mm);
		return Errno::ENOMEM;
	}
	pgd->private_ = 0;
	mm->mm_users = 1;
	mm->pgd = static_cast<u64 *>(page_address(pgd));
	mm->rlimit_stack = DEFAULT_RLIMIT_STACK;
	mm->max_map_count = DEFAULT_MAX_MAP_COUNT;
	// Linux's mmap_base(): below the stack's maximum size plus the guard gap, at least
	// 128 MiB below the top.
	unsigned long gap = mm->rlimit_stack + stack_guard_gap;
	if (gap < 128ul << 20)
		gap = 128ul << 20;
	mm->mmap_base = (STACK_TOP - gap) & PAGE_MASK;
	return mm;
}

void mmput(mm_struct *mm)
{
	if (!mm)
		return;
	if (__atomic_sub_fetch(&mm->mm_users, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	destroy_context(mm);
	// Pages first, then the VMAs and their file references (the last fput of a file may
	// free its page cache: nothing may still map it then).
	free_pgtables(mm);
	while (vm_area_struct *v = vma_first(mm))
		vma_unlink_free(mm, v);
	for (int c = 0; c < NR_MM_COUNTERS; c++)
		if (mm->rss_stat[c])
			pr_err("BUG: Bad rss-counter state mm:%p type:%s val:%ld\n", mm,
			       c == MM_FILEPAGES ? "MM_FILEPAGES" : c == MM_ANONPAGES ? "MM_ANONPAGES" :
			       c == MM_SWAPENTS ? "MM_SWAPENTS" : "MM_SHMEMPAGES", mm->rss_stat[c]);
	if (mm->pgtables)
		pr_err("BUG: non-zero pgtables_bytes on freeing mm: %lu\n", mm->pgtables * PAGE_SIZE);
	mm->~mm_struct();
	kmem_cache_free(mm_cachep, mm);
}

// --- mapping ------------------------------------------------------------------------------------
// The highest fit for len in [lo, hi) among the gaps below the VMAs of v's subtree.
ErrorOr<mm_struct *> dup_mm(mm_struct *oldmm)
{
	mm_struct *mm = TRY(mm_alloc());
	mm->mmap_base = oldmm->mmap_base;
	mm->start_code = oldmm->start_code;
	mm->end_code = oldmm->end_code;
	mm->start_data = oldmm->start_data;
	mm->end_data = oldmm->end_data;
	mm->start_brk = oldmm->start_brk;
	mm->brk = oldmm->brk;
	mm->start_stack = oldmm->start_stack;
	mm->arg_start = oldmm->arg_start;
	mm->arg_end = oldmm->arg_end;
	mm->env_start = oldmm->env_start;
	mm->env_end = oldmm->env_end;
	mm->rlimit_stack = oldmm->rlimit_stack;
	mm->max_map_count = oldmm->max_map_count;
	Result r{};
	for (vm_area_struct *v = vma_first(oldmm); v; v = v->vm_next) {
		vm_area_struct *n = vm_area_alloc(mm);
		if (!n) {
			r = Errno::ENOMEM;
			break;
		}
		n->vm_start = v->vm_start;
		n->vm_end = v->vm_end;
		n->vm_flags = v->vm_flags;
		n->vm_pgoff = v->vm_pgoff;
		n->vm_ops = v->vm_ops;
		if (v->vm_file) {
			n->vm_file = get_file(v->vm_file);
			vma_link_file(n);
		}
		vma_link(mm, n);
		mm->total_vm += vma_pages(n);
		// A shared file mapping's pages are all in the page cache: the child faults them in
		// again instead (Linux's vma_needs_copy without an anon_vma).
		if (v->vm_file && (v->vm_flags & VM_SHARED))
			continue;
		r = copy_page_range(mm, oldmm, v);
		if (r.is_error())
			break;
	}
	// The parent's entries that became read-only must not stay writable in its TLB (Linux
	// flushes the whole mm at the end of dup_mmap).
	flush_tlb_mm(oldmm);
	if (r.is_error()) {
		mmput(mm);
		return r.error();
	}
	mm->hiwater_rss = get_mm_rss(mm);
	return mm;
}

static bool gap_search_topdown(const vm_area_struct *v, unsigned long len, unsigned long lo, unsigned long hi,
			       unsigned long *out)
{
	while (v && v->rb_subtree_gap >= len) {
		unsigned long gs = v->vm_prev ? v->vm_prev->vm_end : 0;
		unsigned long ge = vm_start_gap(v);
		// Higher gaps first; the right subtree's gaps all start at or above v->vm_end.
		if (gs < hi && gap_search_topdown(vma_of(v->vm_rb.rb_right), len, lo, hi, out))
			return true;
		unsigned long s = gs > lo ? gs : lo, e = ge < hi ? ge : hi;
		if (e > s && e - s >= len) {
			*out = (e - len) & PAGE_MASK;
			return true;
		}
		// The left subtree's gaps all end at or below gs.
		if (gs < lo || gs - lo < len)
			return false;
		v = vma_of(v->vm_rb.rb_left);
	}
	return false;
}

ErrorOr<unsigned long> get_unmapped_area(mm_struct *mm, unsigned long addr, unsigned long len)
{
	if (len == 0 || len > TASK_SIZE - mmap_min_addr)
		return Errno::ENOMEM;
	if (addr) {
		addr = kstd::align_up(addr, PAGE_SIZE);
		if (addr >= mmap_min_addr && addr <= TASK_SIZE - len) {
			vm_area_struct *next = find_vma(mm, addr);
			vm_area_struct *prev = next ? vma_prev(next) : vma_of(rb_last(&mm->mm_rb));
			if ((!next || addr + len <= vm_start_gap(next)) && (!prev || prev->vm_end <= addr))
				return addr;
		}
	}
	// Top-down below mmap_base: first the space above the highest VMA, then the tree.
	unsigned long lo = mmap_min_addr, hi = mm->mmap_base;
	vm_area_struct *last = vma_of(rb_last(&mm->mm_rb));
	unsigned long top_start = last ? last->vm_end : 0;
	if (top_start < lo)
		top_start = lo;
	if (hi > top_start && hi - top_start >= len)
		return (hi - len) & PAGE_MASK;
	unsigned long found;
	if (gap_search_topdown(vma_of(mm->mm_rb.rb_node_), len, lo, hi, &found))
		return found;
	return Errno::ENOMEM;
}

// mmap_region with the VMA's page source given: nullptr calls the file's f_op->mmap (a new
// mapping), else it is copied from the VMA being moved (mremap), as Linux's copy_vma.
static ErrorOr<unsigned long> __mmap_region(mm_struct *mm, unsigned long addr, unsigned long len,
					    unsigned long vm_flags, file *file, unsigned long pgoff,
					    const vm_operations_struct *ops)
{
	// Callers inside the mm (brk, exec, the stack, moves) may do everything mprotect allows;
	// ksys_mmap passes the VM_MAY* bits a file's open mode permits.
	if (!(vm_flags & (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)))
		vm_flags |= VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (vm_flags & VM_SHARED)
		vm_flags |= VM_MAYSHARE;
	// Extending a compatible neighbour needs no new VMA (Linux's vma_merge): brk growth and
	// adjacent anonymous mmaps take this path.
	vm_area_struct *next = find_vma(mm, addr);
	vm_area_struct *prev = next ? next->vm_prev : vma_of(rb_last(&mm->mm_rb));
	vm_area_struct probe{};
	probe.vm_start = addr;
	probe.vm_end = addr + len;
	probe.vm_flags = vm_flags;
	probe.vm_file = file;
	probe.vm_pgoff = file ? pgoff : addr >> PAGE_SHIFT;
	// A new file mapping's ops come from f_op->mmap; until then only a VMA with the file's
	// generic ops can be extended.
	probe.vm_ops = file ? (ops ? ops : &generic_file_vm_ops) : nullptr;
	if (prev && can_merge(prev, &probe)) {
		prev->vm_end = addr + len;
		mm->total_vm += len >> PAGE_SHIFT;
		vma_end_changed(prev);
		if (next && can_merge(prev, next)) {
			prev->vm_end = next->vm_end;
			vma_unlink_free(mm, next);
		}
		return addr;
	}
	if (next && can_merge(&probe, next)) {
		next->vm_start = addr;
		next->vm_pgoff = probe.vm_pgoff;
		mm->total_vm += len >> PAGE_SHIFT;
		vma_gap_update(next);
		return addr;
	}
	if (mm->map_count >= mm->max_map_count)
		return Errno::ENOMEM;
	vm_area_struct *v = vm_area_alloc(mm);
	if (!v)
		return Errno::ENOMEM;
	v->vm_start = addr;
	v->vm_end = addr + len;
	v->vm_flags = vm_flags;
	v->vm_pgoff = probe.vm_pgoff;
	if (file) {
		v->vm_file = get_file(file);
		v->vm_ops = ops;
		if (!ops) {
			// Linux's call_mmap: the file sets up the VMA: its vm_ops (generic_file_mmap for
			// page-cache files), or none for anonymous memory behind a device (/dev/zero's
			// private mappings), or another file (shmem_zero_setup).
			int e = file->f_op && file->f_op->mmap ? file->f_op->mmap(file, v) : -int(Errno::ENODEV);
			if (e) {
				vm_area_free(v);
				return static_cast<Errno>(-e);
			}
		}
		vma_link_file(v);
	}
	vma_link(mm, v);
	mm->total_vm += len >> PAGE_SHIFT;
	// The file's ops may differ from the generic ones the merge probe assumed.
	vma_merge_neighbours(mm, v);
	return addr;
}

int shmem_zero_setup(vm_area_struct *vma)
{
	auto z = shmem_file_setup("dev/zero", static_cast<loff_t>(vma->vm_end - vma->vm_start), vma->vm_flags);
	if (z.is_error())
		return -static_cast<int>(z.error().code());
	// Called from f_op->mmap, before the VMA is on any i_mmap list: only the reference moves.
	if (vma->vm_file)
		fput(vma->vm_file);
	vma->vm_file = z.value(); // the VMA takes shmem_file_setup's reference
	vma->vm_pgoff = 0;
	vma->vm_ops = &generic_file_vm_ops;
	return 0;
}

ErrorOr<unsigned long> mmap_region(mm_struct *mm, unsigned long addr, unsigned long len, unsigned long vm_flags,
				   file *file, unsigned long pgoff)
{
	return __mmap_region(mm, addr, len, vm_flags, file, pgoff, nullptr);
}

// Splits so that no VMA straddles start or end. Both splits are allocated before either is
// applied, so ENOMEM changes nothing.
static Result split_at_edges(mm_struct *mm, unsigned long start, unsigned long end)
{
	vm_area_struct *first = find_vma(mm, start);
	bool split_start = first && first->vm_start < start && first->vm_end > start;
	vm_area_struct *last = find_vma(mm, end - 1);
	bool split_end = last && last->vm_start < end && last->vm_end > end;
	int extra = int(split_start) + int(split_end);
	if (extra && mm->map_count + extra > mm->max_map_count)
		return Errno::ENOMEM;
	vm_area_struct *a = split_start ? vm_area_alloc(mm) : nullptr;
	vm_area_struct *b = split_end ? vm_area_alloc(mm) : nullptr;
	if ((split_start && !a) || (split_end && !b)) {
		if (a)
			vm_area_free(a);
		if (b)
			vm_area_free(b);
		return Errno::ENOMEM;
	}
	if (split_start) {
		split_vma_with(mm, first, start, a);
		if (last == first)
			last = a;
	}
	if (split_end)
		split_vma_with(mm, last, end, b);
	return {};
}

Result do_munmap(mm_struct *mm, unsigned long start, unsigned long len)
{
	unsigned long end = start + len;
	vm_area_struct *first = find_vma_intersection(mm, start, end);
	if (!first)
		return {};
	// A range at either end of one VMA trims it in place: no split, no new VMA.
	if (first->vm_start <= start && end <= first->vm_end && (first->vm_start == start) != (first->vm_end == end)) {
		if (first->vm_start == start) {
			first->vm_pgoff += (end - start) >> PAGE_SHIFT;
			first->vm_start = end;
			vma_gap_update(first);
		} else {
			first->vm_end = start;
			vma_end_changed(first);
		}
		mm->total_vm -= len >> PAGE_SHIFT;
		zap_page_range(mm, start, end);
		return {};
	}
	TRY(split_at_edges(mm, start, end));
	// Pages before VMAs: freeing a VMA may drop the last reference on its file.
	zap_page_range(mm, start, end);
	vm_area_struct *v = find_vma(mm, start);
	while (v && v->vm_start < end) {
		vm_area_struct *next = vma_next(v);
		mm->total_vm -= vma_pages(v);
		vma_unlink_free(mm, v);
		v = next;
	}
	return {};
}

Result expand_stack(vm_area_struct *vma, unsigned long addr)
{
	mm_struct *mm = vma->vm_mm;
	addr &= PAGE_MASK;
	if (addr >= vma->vm_start)
		return {};
	if (!(vma->vm_flags & VM_GROWSDOWN) || addr < mmap_min_addr)
		return Errno::ENOMEM;
	if (vma->vm_end - addr > mm->rlimit_stack)
		return Errno::ENOMEM;
	vm_area_struct *prev = vma_prev(vma);
	if (prev) {
		if (prev->vm_end > addr)
			return Errno::ENOMEM;
		// The guard gap protects against a stack running into another mapping; Linux
		// exempts a growsdown or inaccessible neighbour.
		if (!(prev->vm_flags & VM_GROWSDOWN) && (prev->vm_flags & VM_ACCESS_FLAGS) &&
		    addr - prev->vm_end < stack_guard_gap)
			return Errno::ENOMEM;
	}
	mm->total_vm += (vma->vm_start - addr) >> PAGE_SHIFT;
	vma->vm_start = addr;
	vma->vm_pgoff = addr >> PAGE_SHIFT;
	vma_gap_update(vma);
	return {};
}

vm_area_struct *find_extend_vma(mm_struct *mm, unsigned long addr)
{
	vm_area_struct *v = find_vma(mm, addr);
	if (!v)
		return nullptr;
	if (v->vm_start <= addr)
		return v;
	if (expand_stack(v, addr).is_error())
		return nullptr;
	return v;
}

Result mm_populate(mm_struct *mm, unsigned long start, unsigned long len)
{
	for (unsigned long a = start & PAGE_MASK; a < start + len; a += PAGE_SIZE) {
		vm_area_struct *v = find_vma(mm, a);
		if (!v || v->vm_start > a)
			continue;
		// Linux's populate_vma_page_range: write faults (copy-on-write now) only for private
		// writable memory; shared pages are read in and dirtied by the first write.
		unsigned flags = (v->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE ? FAULT_FLAG_WRITE : 0;
		if (!access_permitted(v, flags))
			continue;
		u64 *pte = mm_pte_lookup(mm, a);
		if (pte && pte_present(*pte) && (!(flags & FAULT_FLAG_WRITE) || pte_write(*pte)))
			continue;
		vm_fault_t r = handle_mm_fault(v, a, flags);
		if (r & VM_FAULT_OOM)
			return Errno::ENOMEM;
		if (r & VM_FAULT_SIGBUS)
			return Errno::EFAULT; // beyond EOF: nothing further to populate
	}
	return {};
}

int validate_mm(const mm_struct *mm)
{
	int bugs = 0;
	if (rb_check(&mm->mm_rb) < 0) {
		pr_err("validate_mm: red-black invariants broken\n");
		bugs++;
	}
	int count = 0;
	unsigned long pages = 0;
	const vm_area_struct *prev = nullptr;
	for (vm_area_struct *v = vma_of(rb_first(&mm->mm_rb)); v; v = vma_of(rb_next(&v->vm_rb))) {
		count++;
		pages += vma_pages(v);
		if (v->vm_start >= v->vm_end || (v->vm_start | v->vm_end) & ~PAGE_MASK || v->vm_end > TASK_SIZE) {
			pr_err("validate_mm: bad VMA [%#lx-%#lx)\n", v->vm_start, v->vm_end);
			bugs++;
		}
		if (prev && prev->vm_end > v->vm_start) {
			pr_err("validate_mm: [%#lx-%#lx) overlaps [%#lx-%#lx)\n", prev->vm_start, prev->vm_end,
			       v->vm_start, v->vm_end);
			bugs++;
		}
		if (prev && can_merge(prev, v)) {
			pr_err("validate_mm: [%#lx-%#lx) and [%#lx-%#lx) not merged\n", prev->vm_start, prev->vm_end,
			       v->vm_start, v->vm_end);
			bugs++;
		}
		if (v->vm_mm != mm) {
			pr_err("validate_mm: VMA of another mm\n");
			bugs++;
		}
		if (v->vm_prev != prev || (prev && prev->vm_next != v)) {
			pr_err("validate_mm: VMA list out of order at [%#lx-%#lx)\n", v->vm_start, v->vm_end);
			bugs++;
		}
		if (v->rb_subtree_gap != vma_compute_subtree_gap(v)) {
			pr_err("validate_mm: [%#lx-%#lx) rb_subtree_gap %#lx, expected %#lx\n", v->vm_start, v->vm_end,
			       v->rb_subtree_gap, vma_compute_subtree_gap(v));
			bugs++;
		}
		prev = v;
	}
	if (count != mm->map_count) {
		pr_err("validate_mm: map_count %d, %d VMAs\n", mm->map_count, count);
		bugs++;
	}
	if (pages != mm->total_vm) {
		pr_err("validate_mm: total_vm %lu, VMAs cover %lu pages\n", mm->total_vm, pages);
		bugs++;
	}
	return bugs;
}

// --- syscalls --------------------------------------------------------------------------------
static long err(Errno e) { return -static_cast<long>(e); }
static long err(const Error &e) { return -static_cast<long>(e.code()); }

static unsigned long calc_vm_prot_bits(unsigned long prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

// Heuristic overcommit (Linux's OVERCOMMIT_GUESS): refuse a single request larger than all
// of RAM; anything smaller is allowed and may later end in an OOM kill.
static bool may_account(unsigned long pages) { return pages <= totalram_pages(); }

long ksys_mmap(mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,
	       unsigned long fd, unsigned long off)
{
	if (off & ~PAGE_MASK)
		return err(Errno::EINVAL);
	// The file, with a reference for the duration of the call (Linux's ksys_mmap_pgoff).
	file *f = nullptr;
	if (!(flags & MAP_ANONYMOUS)) {
		// Linux's fget takes an unsigned int: the upper bits of the argument are ignored.
		f = fget(static_cast<unsigned>(fd));
		if (!f)
			return err(Errno::EBADF);
	}
	long r = do_mmap(mm, f, addr, len, prot, flags, off >> PAGE_SHIFT);
	if (f)
		fput(f);
	return r;
}

// Linux's file_mmap_ok for regular files: the mapping's last byte fits MAX_LFS_FILESIZE.
static bool file_mmap_ok(unsigned long pgoff, unsigned long len)
{
	constexpr unsigned long maxsize = 0x7fffffffffffffffull; // MAX_LFS_FILESIZE
	if (len > maxsize)
		return false;
	return pgoff <= (maxsize - len) >> PAGE_SHIFT;
}

long do_mmap(mm_struct *mm, file *f, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, unsigned long pgoff)
{
	constexpr unsigned long known = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE |
					MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |
					MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_FIXED_NOREPLACE;
	if (len == 0)
		return err(Errno::EINVAL);
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_BTI))
		return err(Errno::EINVAL);
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
	case MAP_PRIVATE:
		break;
	case MAP_SHARED_VALIDATE:
		if (flags & ~known)
			return err(Errno::ENOTSUP); // EOPNOTSUPP
		break;
	default:
		return err(Errno::EINVAL);
	}
	if (flags & MAP_HUGETLB)
		return err(Errno::EINVAL); // no hugetlbfs pool
	if (len > TASK_SIZE)
		return err(Errno::ENOMEM);
	len = kstd::align_up(len, PAGE_SIZE);
	if (f && !file_mmap_ok(pgoff, len))
		return err(Errno::EOVERFLOW);
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (fixed) {
		if (addr & ~PAGE_MASK)
			return err(Errno::EINVAL);
		if (addr > TASK_SIZE - len)
			return err(Errno::ENOMEM);
		if (addr < mmap_min_addr)
			return err(Errno::EPERM);
	}
	unsigned long vm_flags = calc_vm_prot_bits(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if ((flags & MAP_TYPE) != MAP_PRIVATE)
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	if (flags & MAP_GROWSDOWN)
		vm_flags |= VM_GROWSDOWN;
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	else if ((vm_flags & (VM_WRITE | VM_SHARED)) && !may_account(len >> PAGE_SHIFT))
		return err(Errno::ENOMEM);
	if (mm->map_count >= mm->max_map_count)
		return err(Errno::ENOMEM);

	if (flags & MAP_FIXED_NOREPLACE) {
		if (find_vma_intersection(mm, addr, addr + len))
			return err(Errno::EEXIST);
	} else if (!(flags & MAP_FIXED)) {
		auto a = get_unmapped_area(mm, addr, len);
		if (a.is_error())
			return err(a.error());
		addr = a.value();
	}
	// After the address (as Linux's do_mmap), before anything is unmapped.
	if (f) {
		// Linux's do_mmap checks of the file against the mapping.
		if (vm_flags & VM_SHARED) {
			if ((prot & PROT_WRITE) && !(f->f_mode & FMODE_WRITE))
				return err(Errno::EACCES);
			// A read-only descriptor's shared mapping can never become writable: it is
			// private in all but name (VM_MAYSHARE stays for /proc/<pid>/maps' 's').
			if (!(f->f_mode & FMODE_WRITE))
				vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		}
		if (!(f->f_mode & FMODE_READ))
			return err(Errno::EACCES);
		if (!f->f_op || !f->f_op->mmap)
			return err(Errno::ENODEV);
		if (vm_flags & VM_GROWSDOWN)
			return err(Errno::EINVAL);
	} else if ((vm_flags & VM_SHARED) && (vm_flags & VM_GROWSDOWN)) {
		return err(Errno::EINVAL);
	}
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE)) {
		if (Result r = do_munmap(mm, addr, len); r.is_error())
			return err(r.error());
	}
	file *shm = nullptr;
	if (!f && (vm_flags & VM_SHARED)) {
		// Shared anonymous memory is a mapping of an unlinked shmem file (Linux's
		// shmem_zero_setup): fork shares the file, and so its pages, lazily.
		auto z = shmem_file_setup("dev/zero", static_cast<loff_t>(len), vm_flags);
		if (z.is_error())
			return err(z.error());
		shm = f = z.value();
		pgoff = 0;
	}
	auto r = mmap_region(mm, addr, len, vm_flags, f, f ? pgoff : 0);
	if (shm)
		fput(shm); // the VMA holds its own reference
	if (r.is_error())
		return err(r.error());
	if (flags & MAP_POPULATE)
		(void)mm_populate(mm, addr, len); // as Linux: population failures are not reported
	return static_cast<long>(addr);
}

long ksys_munmap(mm_struct *mm, unsigned long addr, unsigned long len)
{
	if ((addr & ~PAGE_MASK) || len == 0 || len > TASK_SIZE || addr > TASK_SIZE - len)
		return err(Errno::EINVAL);
	len = kstd::align_up(len, PAGE_SIZE);
	if (Result r = do_munmap(mm, addr, len); r.is_error())
		return err(r.error());
	return 0;
}

long ksys_mprotect(mm_struct *mm, unsigned long start, unsigned long len, unsigned long prot)
{
	if (start & ~PAGE_MASK)
		return err(Errno::EINVAL);
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_BTI | PROT_GROWSDOWN |
				    PROT_GROWSUP))
		return err(Errno::EINVAL);
	if ((prot & PROT_GROWSDOWN) && (prot & PROT_GROWSUP))
		return err(Errno::EINVAL);
	if (prot & PROT_GROWSUP)
		return err(Errno::EINVAL); // no VM_GROWSUP VMAs on arm64
	if (len > TASK_SIZE)
		return err(Errno::ENOMEM);
	len = kstd::align_up(len, PAGE_SIZE);
	unsigned long end = start + len;
	if (end < start)
		return err(Errno::ENOMEM);
	if (len == 0)
		return 0;
	vm_area_struct *v = find_vma(mm, start);
	if (!v)
		return err(Errno::ENOMEM);
	if (prot & PROT_GROWSDOWN) {
		if (v->vm_start >= end || !(v->vm_flags & VM_GROWSDOWN))
			return err(Errno::EINVAL);
		start = v->vm_start;
	}
	// The whole range must be mapped: no state changes when there is a hole.
	unsigned long newbits = calc_vm_prot_bits(prot);
	unsigned long cursor = start;
	for (vm_area_struct *w = v; w && w->vm_start < end; w = vma_next(w)) {
		if (w->vm_start > cursor)
			return err(Errno::ENOMEM);
		// Linux's VM_MAY* rule: a read-only file's shared mapping never becomes writable.
		unsigned long nf = (w->vm_flags & ~VM_ACCESS_FLAGS) | newbits;
		if ((nf & ~(nf >> 4)) & VM_ACCESS_FLAGS)
			return err(Errno::EACCES);
		cursor = w->vm_end;
	}
	if (cursor < end)
		return err(Errno::ENOMEM);
	if (Result r = split_at_edges(mm, start, end); r.is_error())
		return err(r.error());
	v = find_vma(mm, start);
	while (v && v->vm_start < end) {
		v->vm_flags = (v->vm_flags & ~VM_ACCESS_FLAGS) | newbits;
		change_protection(mm, v->vm_start, v->vm_end, v->vm_flags);
		unsigned long vend = v->vm_end;
		v = vma_merge_neighbours(mm, v);
		v = find_vma(mm, vend);
	}
	return 0;
}

unsigned long ksys_brk(mm_struct *mm, unsigned long brk)
{
	if (brk < mm->start_brk || brk > TASK_SIZE)
		return mm->brk;
	unsigned long newbrk = kstd::align_up(brk, PAGE_SIZE), oldbrk = kstd::align_up(mm->brk, PAGE_SIZE);
	if (newbrk == oldbrk) {
		mm->brk = brk;
		return brk;
	}
	if (brk <= mm->brk) {
		if (do_munmap(mm, newbrk, oldbrk - newbrk).is_error())
			return mm->brk;
		mm->brk = brk;
		return brk;
	}
	vm_area_struct *next = find_vma(mm, oldbrk);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		return mm->brk;
	if (!may_account((newbrk - oldbrk) >> PAGE_SHIFT))
		return mm->brk;
	if (mmap_region(mm, oldbrk, newbrk - oldbrk, VM_READ | VM_WRITE, nullptr, 0).is_error())
		return mm->brk;
	mm->brk = brk;
	return brk;
}

// Moves [old_addr, old_addr+old_len) of vma to new_addr, growing it to new_len.
static long move_vma(mm_struct *mm, vm_area_struct *vma, unsigned long old_addr, unsigned long old_len,
		     unsigned long new_addr, unsigned long new_len, bool dontunmap)
{
	unsigned long flags = vma->vm_flags;
	file *file = vma->vm_file;
	const vm_operations_struct *ops = vma->vm_ops;
	unsigned long pgoff = vma->vm_pgoff + ((old_addr - vma->vm_start) >> PAGE_SHIFT);
	if (mm->map_count + 2 > mm->max_map_count)
		return err(Errno::ENOMEM);
	if (!may_account(new_len >> PAGE_SHIFT))
		return err(Errno::ENOMEM);
	auto r = __mmap_region(mm, new_addr, new_len, flags, file, pgoff, ops);
	if (r.is_error())
		return err(r.error());
	if (move_page_tables(mm, old_addr, new_addr, old_len).is_error()) {
		(void)do_munmap(mm, new_addr, new_len);
		return err(Errno::ENOMEM);
	}
	if (!dontunmap)
		(void)do_munmap(mm, old_addr, old_len); // its pages moved: only VMAs go
	return static_cast<long>(new_addr);
}

long ksys_mremap(mm_struct *mm, unsigned long addr, unsigned long old_len, unsigned long new_len,
		 unsigned long flags, unsigned long new_addr)
{
	if (flags & ~(unsigned long)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return err(Errno::EINVAL);
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return err(Errno::EINVAL);
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return err(Errno::EINVAL);
	if (addr & ~PAGE_MASK)
		return err(Errno::EINVAL);
	if (old_len > TASK_SIZE || new_len > TASK_SIZE)
		return err(Errno::EINVAL);
	old_len = kstd::align_up(old_len, PAGE_SIZE);
	new_len = kstd::align_up(new_len, PAGE_SIZE);
	if (new_len == 0)
		return err(Errno::EINVAL);
	if (old_len == 0)
		return err(Errno::EINVAL); // duplicating a shared mapping: no shmem here
	if (addr > TASK_SIZE - old_len)
		return err(Errno::EFAULT);
	vm_area_struct *vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr || addr + old_len > vma->vm_end)
		return err(Errno::EFAULT);
	bool dontunmap = flags & MREMAP_DONTUNMAP;
	if (dontunmap && (vma->vm_flags & VM_SHARED))
		return err(Errno::EINVAL);
	if (flags & MREMAP_FIXED) {
		if (new_addr & ~PAGE_MASK)
			return err(Errno::EINVAL);
		if (new_addr > TASK_SIZE - new_len || new_addr < mmap_min_addr)
			return err(Errno::EINVAL);
		if (new_addr < addr + old_len && addr < new_addr + new_len)
			return err(Errno::EINVAL);
		if (Result r = do_munmap(mm, new_addr, new_len); r.is_error())
			return err(r.error());
		if (old_len > new_len) {
			if (Result r = do_munmap(mm, addr + new_len, old_len - new_len); r.is_error())
				return err(r.error());
			old_len = new_len;
		}
		vma = find_vma(mm, addr);
		return move_vma(mm, vma, addr, old_len, new_addr, new_len, dontunmap);
	}
	if (old_len >= new_len && !dontunmap) {
		if (Result r = do_munmap(mm, addr + new_len, old_len - new_len); r.is_error())
			return err(r.error());
		return static_cast<long>(addr);
	}
	if (!dontunmap && addr + old_len == vma->vm_end) {
		unsigned long grow_end = addr + new_len;
		vm_area_struct *next = vma_next(vma);
		if (grow_end <= TASK_SIZE && (!next || grow_end <= vm_start_gap(next))) {
			if (!may_account((new_len - old_len) >> PAGE_SHIFT))
				return err(Errno::ENOMEM);
			mm->total_vm += (grow_end - vma->vm_end) >> PAGE_SHIFT;
			vma->vm_end = grow_end;
			vma_end_changed(vma);
			vma_merge_neighbours(mm, vma);
			return static_cast<long>(addr);
		}
	}
	if (!(flags & MREMAP_MAYMOVE))
		return err(Errno::ENOMEM);
	auto a = get_unmapped_area(mm, 0, new_len);
	if (a.is_error())
		return err(a.error());
	return move_vma(mm, vma, addr, old_len, a.value(), new_len, dontunmap);
}

long ksys_msync(mm_struct *mm, unsigned long start, unsigned long len, int flags)
{
	// Linux's msync: unmapped holes are skipped but reported as ENOMEM at the end (at once
	// for a plain MS_ASYNC, which has nothing to do anyway); MS_SYNC of a shared file
	// mapping writes it back through fsync (tmpfs has nothing to write: noop_fsync).
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return err(Errno::EINVAL);
	if (start & ~PAGE_MASK)
		return err(Errno::EINVAL);
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return err(Errno::EINVAL);
	len = (len + ~PAGE_MASK) & PAGE_MASK;
	unsigned long end = start + len;
	if (end < start)
		return err(Errno::ENOMEM);
	if (end == start)
		return 0;
	long unmapped_error = 0;
	vm_area_struct *vma = find_vma(mm, start);
	for (;;) {
		if (!vma)
			return err(Errno::ENOMEM);
		if (start < vma->vm_start) {
			if (flags == MS_ASYNC)
				return err(Errno::ENOMEM);
			start = vma->vm_start;
			if (start >= end)
				return err(Errno::ENOMEM);
			unmapped_error = err(Errno::ENOMEM);
		}
		file *f = vma->vm_file;
		loff_t fstart = static_cast<loff_t>((start - vma->vm_start) + (vma->vm_pgoff << PAGE_SHIFT));
		loff_t fend = fstart + static_cast<loff_t>((end < vma->vm_end ? end : vma->vm_end) - start) - 1;
		start = vma->vm_end;
		if ((flags & MS_SYNC) && f && (vma->vm_flags & VM_SHARED)) {
			// vfs_fsync_range: EINVAL for a file without fsync.
			int e = f->f_op && f->f_op->fsync ? f->f_op->fsync(f, fstart, fend, 1) : -int(Errno::EINVAL);
			if (e)
				return e;
		}
		if (start >= end)
			return unmapped_error;
		vma = find_vma(mm, start);
	}
}

long ksys_madvise(mm_struct *mm, unsigned long start, unsigned long len, int behavior)
{
	switch (behavior) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
		break;
	default:
		return err(Errno::EINVAL);
	}
	if (start & ~PAGE_MASK)
		return err(Errno::EINVAL);
	if (len > TASK_SIZE)
		return err(Errno::EINVAL);
	unsigned long end = start + kstd::align_up(len, PAGE_SIZE);
	if (end < start)
		return err(Errno::EINVAL);
	if (end == start)
		return 0;
	bool hole = false;
	unsigned long cursor = start;
	for (vm_area_struct *v = find_vma(mm, start); v && v->vm_start < end; v = vma_next(v)) {
		if (v->vm_start > cursor)
			hole = true;
		unsigned long s = v->vm_start > start ? v->vm_start : start;
		unsigned long e = v->vm_end < end ? v->vm_end : end;
		// DONTNEED and (without reclaim, immediately) FREE drop the pages: the next touch
		// sees zeroes for anonymous memory and the file contents for file images.
		// WILLNEED has nothing to read ahead: anonymous memory has no backing store and
		// file images are already in memory.
		if (behavior == MADV_DONTNEED || behavior == MADV_FREE)
			zap_page_range(mm, s, e);
		cursor = v->vm_end;
	}
	if (hole || cursor < end)
		return err(Errno::ENOMEM);
	return 0;
}
