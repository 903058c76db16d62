// vmalloc: virtually contiguous kernel memory (Linux 6.1's mm/vmalloc.c names and semantics).
//
// Contract:
// - vmalloc(size) returns size (rounded up to pages) of zero-or-garbage memory backed by
//   order-0 pages mapped RW/NX in [VMALLOC_START, VMALLOC_END]; vzalloc zeroes it. nullptr on
//   failure (size 0, no address space, no pages, no page tables); nothing is leaked then.
// - vmap(pages, count) maps pages the caller owns; vunmap() removes the mapping only.
// - ioremap(phys, size) maps device registers Device-nGnRnE, never executable; phys need not
//   be page aligned (the returned pointer keeps its offset). iounmap() takes that pointer.
//   RAM the page allocator manages is refused (EINVAL + message): map it with vmap instead.
// - Every area is followed by one unmapped guard page (unless VM_NO_GUARD), so running off
//   its end faults instead of corrupting the neighbour.
// - vfree/vunmap/iounmap clear the PTEs, invalidate the TLB for the range (and the walk
//   cache for page-table pages that became empty) before any page goes back to the buddy.
//   vfree(nullptr) is a no-op; freeing an address that is not the start of an area of the
//   right kind is reported (WARN) and ignored.
// - Callable from process context with IRQs on or off; not from IRQ handlers (page tables
//   and the area tree are under IRQ-safe spinlocks, but allocation may take many pages).
//
// The address-space allocator below (VmapSpace) is the host-tested core: a balanced tree of
// busy areas keyed by address, augmented with the largest free gap in each subtree, so that
// lookup, insertion, removal and the first-fit search are all O(log n).
#pragma once

#include "core/printk.h"
#include "kstd/list.h"
#include "kstd/result.h"
#include "kstd/types.h"
#include "lib/seq_file.h"
#include "mm/gfp.h"

struct page;

// vm_struct flags (Linux's values).
inline constexpr unsigned long VM_IOREMAP = 0x00000001;
inline constexpr unsigned long VM_ALLOC = 0x00000002;
inline constexpr unsigned long VM_MAP = 0x00000004;
inline constexpr unsigned long VM_USERMAP = 0x00000008;
inline constexpr unsigned long VM_DMA_COHERENT = 0x00000010;
inline constexpr unsigned long VM_UNINITIALIZED = 0x00000020;
inline constexpr unsigned long VM_NO_GUARD = 0x00000040;

// What callers see of an area (Linux's struct vm_struct). size includes the guard page, as
// Linux's; get_vm_area_size() is the usable part.
struct vm_struct {
	void *addr;
	unsigned long size;
	unsigned long flags;
	unsigned int nr_pages;  // pages this area owns (vmalloc) or maps (vmap)
	PhysAddr phys_addr;     // ioremap: the first mapped physical page
	const void *caller;
	// Bytes left unmapped at the start of the area, below addr + guard_below where the
	// mapping begins (kernel stacks: the overflow guard below the stack).
	unsigned long guard_below;
};

inline unsigned long get_vm_area_size(const vm_struct *vm)
{
	return vm->size - vm->guard_below - ((vm->flags & VM_NO_GUARD) ? 0 : PAGE_SIZE);
}

// One busy area: a node of the address-ordered AVL tree (Linux's vmap_area). gap is the free
// space between the previous area's end (or the space's start) and va_start; max_gap the
// largest gap in this node's subtree. Nodes live in whole pages from the page allocator (see
// VmapNodePool), never in kmalloc, so vmalloc works before and beside the slab allocator.
struct vmap_area {
	vmap_area *left, *right, *parent;
	int height;
	u64 va_start, va_end; // [va_start, va_end), guard page included
	u64 gap, max_gap;
	vm_struct vm;
};

// Page source for the node pool: the buddy allocator in the kernel, aligned heap on the host.
struct VmapPageSource {
	void *(*alloc_page)(); // one zeroed or not, PAGE_SIZE-aligned page, nullptr on failure
	void (*free_page)(void *);
};

// vmap_area nodes packed into pages. A pool page is returned to the source as soon as its
// last node is freed, so the pages held are exactly the pages needed by live areas that share
// them: an allocation/free sequence that ends with the same live areas ends with the same pool
// pages (the free-page ledger is exact across a test).
class VmapNodePool {
public:
	void init(VmapPageSource src);
	vmap_area *alloc();
	void free(vmap_area *va);
	unsigned long pages() const { return pages_; }
	unsigned long nodes_in_use() const { return in_use_; }
	static unsigned nodes_per_page();

private:
	struct PoolPage;
	VmapPageSource src_{};
	list_head partial_{&partial_, &partial_}; // pages with at least one free node
	unsigned long pages_ = 0, in_use_ = 0;
};

// The address space [start, end) of vmalloc/ioremap: allocation by lowest-address fit.
class VmapSpace {
public:
	VmapSpace() = default;
	VmapSpace(const VmapSpace &) = delete;
	VmapSpace &operator=(const VmapSpace &) = delete;

	// start and end page aligned, start < end.
	void init(u64 start, u64 end, VmapPageSource src);

	// Reserves size bytes (page multiple, > 0) plus a trailing guard page unless VM_NO_GUARD,
	// at the lowest address A with (A + align_offset) % align == 0. align is a power of two
	// >= PAGE_SIZE, align_offset a page multiple < align. As Linux's find_vmap_lowest_match,
	// the search looks for the lowest gap that fits even in the worst alignment case
	// (size + guard + align - PAGE_SIZE), so it is O(log n) but may pass over a smaller gap
	// that would have fitted by luck. Errors: EINVAL for a bad argument, ENOSPC when no gap
	// fits, ENOMEM when no page is left for the node.
	ErrorOr<vmap_area *> alloc(u64 size, u64 align, u64 align_offset, unsigned long flags, const void *caller);
	// Removes an area returned by alloc(); its address range becomes free again at once.
	void free(vmap_area *va);
	// The area whose [va_start, va_end) contains addr (guard page included), or nullptr.
	vmap_area *find(u64 addr) const;
	// The area starting exactly at addr, or nullptr.
	vmap_area *find_exact(u64 addr) const;

	// The lowest area starting at or above addr, or nullptr.
	vmap_area *lower_bound(u64 addr) const;
	// In address order; the sentinel closing the space is not visited.
	vmap_area *first() const;
	vmap_area *next(const vmap_area *va) const;

	u64 start() const { return start_; }
	u64 end() const { return end_; }
	u64 free_bytes() const { return free_bytes_; }
	u64 busy_bytes() const { return (end_ - start_) - free_bytes_; }
	unsigned long nr_areas() const { return nr_areas_; }
	int height() const { return root_ ? root_->height : 0; }
	const VmapNodePool &pool() const { return pool_; }

	// Walks the whole tree: order, no overlap, parent links, AVL balance and heights, every
	// gap and max_gap, the guard page of every area, node and free-byte counts. Prints each
	// violation; returns how many were found.
	unsigned long check_invariants() const;

private:
	vmap_area *root_ = nullptr;
	vmap_area sentinel_{}; // zero-sized area at end_: its gap is the free tail of the space
	VmapNodePool pool_;
	u64 start_ = 0, end_ = 0, free_bytes_ = 0;
	unsigned long nr_areas_ = 0;

	void link(vmap_area *va);
	void unlink(vmap_area *va);
	void rebalance_from(vmap_area *n);
	void propagate(vmap_area *n);
	void replace_child(vmap_area *parent, vmap_area *old, vmap_area *repl);
	vmap_area *rotate_left(vmap_area *x);
	vmap_area *rotate_right(vmap_area *x);
	unsigned long check_subtree(const vmap_area *n, const vmap_area *parent, int *height) const;
};

// Formats one /proc/vmallocinfo line (no newline) for an area, as Linux's s_show:
// "0x<start>-0x<end> <size> <caller> pages=N phys=0x... ioremap|vmalloc|vmap|user".
int format_vmallocinfo_line(char *buf, usize size, const vm_struct *vm);

// --- kernel interface (mm/vmalloc.cpp) ----------------------------------------------
void vmalloc_init();
void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);
// Linux's __vmalloc_node_range without the range and node: align a power of two >=
// PAGE_SIZE, gfp for the data pages (__GFP_ZERO zeroes them), prot a PROT_* attribute set.
void *__vmalloc_node_range(unsigned long size, unsigned long align, gfp_t gfp, u64 prot, unsigned long vm_flags,
			   const void *caller);
// As __vmalloc_node_range (PROT_KERNEL_RW), with guard_below bytes (a page multiple) of
// reserved, never mapped address space below the returned address, which is a multiple of
// align. vfree() takes the returned address. Kernel stacks use it so that the region the
// overflow test bit flags can never be mapped by anyone.
void *vmalloc_guarded(unsigned long size, unsigned long align, unsigned long guard_below, gfp_t gfp,
		      const void *caller);
void vfree(const void *addr);
void *vmap(page **pages, unsigned int count, unsigned long flags, u64 prot);
void vunmap(const void *addr);
// Device registers (Device-nGnRnE, XN). nullptr on failure, with the reason logged.
void *ioremap(PhysAddr phys, unsigned long size);
void iounmap(volatile void *addr);

bool is_vmalloc_addr(const void *addr);
// The area containing addr (an address inside its guard page included), or nullptr.
vm_struct *find_vm_area(const void *addr);
// The page mapped at a vmalloc/vmap address, nullptr if none (ioremap areas have none).
page *vmalloc_to_page(const void *addr);
// Snapshot figures for tests and the console.
struct vmalloc_stats {
	unsigned long nr_areas;
	u64 used_bytes;        // address space reserved, guard pages included
	unsigned long node_pages;
	unsigned long pgtable_pages; // page-table pages vmalloc mappings hold (arch)
};
vmalloc_stats vmalloc_get_stats();
// Runs the tree walker under the lock; returns the number of violations.
unsigned long vmalloc_check();
// /proc/vmallocinfo's generator (the console command and the /proc file), and its text
// streamed to a sink.
void show_vmallocinfo(seq_file *m);
inline void show_vmallocinfo(printf_sink_t out)
{
	seq_show_to_sink(out, static_cast<void (*)(seq_file *)>(show_vmallocinfo));
}
// meminfo's Vmalloc lines: the size of the vmalloc space and the pages vmalloc() allocated
// for its areas (Linux's VMALLOC_TOTAL and vmalloc_nr_pages()).
struct vmalloc_meminfo {
	unsigned long total_kb;
	unsigned long used_pages;
};
vmalloc_meminfo vmalloc_get_meminfo();
