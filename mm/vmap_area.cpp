// The vmalloc address-space allocator (host-tested core of mm/vmalloc.h).
//
// Linux keeps two augmented rbtrees: busy areas (vmap_area_root) and free ranges
// (free_vmap_area_root, augmented with subtree_max_size). Here one AVL tree of busy areas
// does both jobs: every node also records the free gap in front of it, and max_gap in each
// node is the largest gap in its subtree (the scheme Linux used for mm->mm_rb's
// rb_subtree_gap). A zero-sized sentinel at the end of the space carries the free tail, so
// every free byte is some node's gap. Because a free range is never a node of its own, no
// node is allocated or freed to split or merge free space: one node per live area, which is
// what makes the node pool's page count exact.
//
// Invariants (check_invariants() verifies them all):
//   in-order traversal is strictly increasing and non-overlapping: prev.va_end <= va_start;
//   gap(n) = n.va_start - (in-order predecessor's va_end, or start_);
//   max_gap(n) = max(gap(n), max_gap(left), max_gap(right));
//   |height(left) - height(right)| <= 1 and height(n) = 1 + max of the children's;
//   sum of all gaps = free_bytes_ = (end_ - start_) - sum of area sizes.
#include "mm/vmalloc.h"

#include "core/panic.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "lib/format.h"

// --- node pool -----------------------------------------------------------------------------

struct VmapNodePool::PoolPage {
	list_head link; // on partial_ while it has a free node
	vmap_area *freelist;
	unsigned in_use;
	unsigned pad;
};

// Nodes start after the page header, at a fixed offset (checked in init()).
static constexpr usize POOL_FIRST = 32;

unsigned VmapNodePool::nodes_per_page() { return static_cast<unsigned>((PAGE_SIZE - POOL_FIRST) / sizeof(vmap_area)); }

void VmapNodePool::init(VmapPageSource src)
{
	static_assert(sizeof(PoolPage) <= POOL_FIRST && POOL_FIRST % alignof(vmap_area) == 0,
		      "pool page header overlaps the first node");
	src_ = src;
	INIT_LIST_HEAD(&partial_);
	pages_ = in_use_ = 0;
}

vmap_area *VmapNodePool::alloc()
{
	PoolPage *pp;
	if (list_empty(&partial_)) {
		void *mem = src_.alloc_page ? src_.alloc_page() : nullptr;
		if (!mem)
			return nullptr;
		pp = static_cast<PoolPage *>(mem);
		pp->freelist = nullptr;
		pp->in_use = 0;
		// Thread the nodes so that the lowest one is handed out first.
		char *base = static_cast<char *>(mem) + POOL_FIRST;
		for (unsigned i = nodes_per_page(); i-- > 0;) {
			auto *n = reinterpret_cast<vmap_area *>(base + i * sizeof(vmap_area));
			n->left = pp->freelist;
			pp->freelist = n;
		}
		list_add(&pp->link, &partial_);
		pages_++;
	} else {
		pp = list_first_entry(&partial_, PoolPage, link);
	}
	vmap_area *va = pp->freelist;
	pp->freelist = va->left;
	if (++pp->in_use == nodes_per_page())
		list_del(&pp->link);
	in_use_++;
	memset(va, 0, sizeof(*va));
	return va;
}

void VmapNodePool::free(vmap_area *va)
{
	auto *pp = reinterpret_cast<PoolPage *>(kstd::align_down(reinterpret_cast<uptr>(va), PAGE_SIZE));
	BUG_ON(pp->in_use == 0);
	bool was_full = pp->in_use == nodes_per_page();
	memset(va, 0, sizeof(*va));
	va->left = pp->freelist;
	pp->freelist = va;
	pp->in_use--;
	in_use_--;
	if (pp->in_use == 0) {
		if (!was_full)
			list_del(&pp->link);
		pages_--;
		src_.free_page(pp);
		return;
	}
	if (was_full)
		list_add(&pp->link, &partial_);
}

// --- AVL tree with gap augmentation --------------------------------------------------------

static int h(const vmap_area *n) { return n ? n->height : 0; }
static u64 mg(const vmap_area *n) { return n ? n->max_gap : 0; }

// Recomputes height and max_gap of n from its children (which must be up to date).
static void update(vmap_area *n)
{
	n->height = 1 + kstd::max(h(n->left), h(n->right));
	n->max_gap = kstd::max(n->gap, kstd::max(mg(n->left), mg(n->right)));
}

void VmapSpace::replace_child(vmap_area *parent, vmap_area *old, vmap_area *repl)
{
	if (!parent)
		root_ = repl;
	else if (parent->left == old)
		parent->left = repl;
	else
		parent->right = repl;
	if (repl)
		repl->parent = parent;
}

vmap_area *VmapSpace::rotate_left(vmap_area *x)
{
	vmap_area *y = x->right;
	replace_child(x->parent, x, y);
	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->left = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

vmap_area *VmapSpace::rotate_right(vmap_area *x)
{
	vmap_area *y = x->left;
	replace_child(x->parent, x, y);
	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->right = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

// Walks from n to the root, recomputing every node and restoring the AVL balance. Every
// node whose subtree changed lies on this path, so the whole tree is consistent afterwards.
void VmapSpace::rebalance_from(vmap_area *n)
{
	while (n) {
		update(n);
		int bal = h(n->left) - h(n->right);
		if (bal > 1) {
			if (h(n->left->left) < h(n->left->right))
				rotate_left(n->left);
			n = rotate_right(n);
		} else if (bal < -1) {
			if (h(n->right->right) < h(n->right->left))
				rotate_right(n->right);
			n = rotate_left(n);
		}
		n = n->parent;
	}
}

// After n's gap changed: max_gap of n and its ancestors.
void VmapSpace::propagate(vmap_area *n)
{
	for (; n; n = n->parent)
		n->max_gap = kstd::max(n->gap, kstd::max(mg(n->left), mg(n->right)));
}

static vmap_area *leftmost(vmap_area *n)
{
	while (n && n->left)
		n = n->left;
	return n;
}

static vmap_area *successor(const vmap_area *n)
{
	if (n->right)
		return leftmost(n->right);
	const vmap_area *p = n->parent;
	while (p && n == p->right) {
		n = p;
		p = p->parent;
	}
	return const_cast<vmap_area *>(p);
}

// Inserts va (va_start/va_end set, free of overlap) and accounts the gaps on both sides.
void VmapSpace::link(vmap_area *va)
{
	vmap_area *parent = nullptr, *pred = nullptr, *succ = nullptr;
	vmap_area **slot = &root_;
	while (*slot) {
		parent = *slot;
		if (va->va_start < parent->va_start) {
			succ = parent;
			slot = &parent->left;
		} else {
			pred = parent;
			slot = &parent->right;
		}
	}
	// The sentinel sits at end_ and every area ends at or before it: a successor exists.
	BUG_ON(!succ);
	u64 prev_end = pred ? pred->va_end : start_;
	va->gap = va->va_start - prev_end;
	succ->gap = succ->va_start - va->va_end;
	propagate(succ);
	va->left = va->right = nullptr;
	va->parent = parent;
	va->height = 1;
	va->max_gap = va->gap;
	*slot = va;
	rebalance_from(parent);
}

// Removes va; its range and gap join the successor's gap.
void VmapSpace::unlink(vmap_area *va)
{
	vmap_area *succ = successor(va);
	BUG_ON(!succ);
	succ->gap += va->gap + (va->va_end - va->va_start);
	propagate(succ);

	vmap_area *start;
	if (!va->left || !va->right) {
		vmap_area *child = va->left ? va->left : va->right;
		start = va->parent;
		replace_child(va->parent, va, child);
	} else {
		// Two children: the successor is the leftmost node of the right subtree; it takes
		// va's place.
		vmap_area *s = succ;
		if (s->parent == va) {
			start = s;
		} else {
			start = s->parent;
			start->left = s->right;
			if (s->right)
				s->right->parent = start;
			s->right = va->right;
			va->right->parent = s;
		}
		s->left = va->left;
		va->left->parent = s;
		replace_child(va->parent, va, s);
	}
	rebalance_from(start);
	va->left = va->right = va->parent = nullptr;
}

void VmapSpace::init(u64 start, u64 end, VmapPageSource src)
{
	BUG_ON(start >= end || !kstd::is_aligned(start, PAGE_SIZE) || !kstd::is_aligned(end, PAGE_SIZE));
	start_ = start;
	end_ = end;
	free_bytes_ = end - start;
	nr_areas_ = 0;
	pool_.init(src);
	memset(&sentinel_, 0, sizeof(sentinel_));
	sentinel_.va_start = sentinel_.va_end = end;
	sentinel_.gap = sentinel_.max_gap = end - start;
	sentinel_.height = 1;
	root_ = &sentinel_;
}

ErrorOr<vmap_area *> VmapSpace::alloc(u64 size, u64 align, u64 align_offset, unsigned long flags, const void *caller)
{
	if (size == 0 || !kstd::is_aligned(size, PAGE_SIZE) || !kstd::is_power_of_2(align) || align < PAGE_SIZE ||
	    !kstd::is_aligned(align_offset, PAGE_SIZE) || align_offset >= align)
		return Errno::EINVAL;
	u64 span = size + ((flags & VM_NO_GUARD) ? 0 : PAGE_SIZE);
	u64 need;
	if (span < size || kstd::add_overflow(span, align - PAGE_SIZE, &need) || need > end_ - start_)
		return Errno::ENOSPC;
	if (root_->max_gap < need)
		return Errno::ENOSPC;
	// Lowest node whose gap is large enough: prefer the left subtree, then the node itself.
	vmap_area *n = root_;
	for (;;) {
		if (n->left && n->left->max_gap >= need)
			n = n->left;
		else if (n->gap >= need)
			break;
		else
			n = n->right; // max_gap of n says a fit exists, and not on the left
	}
	u64 gap_start = n->va_start - n->gap;
	u64 addr = kstd::align_up(gap_start + align_offset, align) - align_offset;
	vmap_area *va = pool_.alloc();
	if (!va)
		return Errno::ENOMEM;
	va->va_start = addr;
	va->va_end = addr + span;
	va->vm.addr = reinterpret_cast<void *>(addr);
	va->vm.size = span;
	va->vm.flags = flags;
	va->vm.caller = caller;
	link(va);
	free_bytes_ -= span;
	nr_areas_++;
	return va;
}

void VmapSpace::free(vmap_area *va)
{
	BUG_ON(!va || va == &sentinel_);
	u64 span = va->va_end - va->va_start;
	unlink(va);
	free_bytes_ += span;
	nr_areas_--;
	pool_.free(va);
}

vmap_area *VmapSpace::find(u64 addr) const
{
	vmap_area *n = root_;
	while (n) {
		if (addr < n->va_start)
			n = n->left;
		else if (addr >= n->va_end)
			n = n->right;
		else
			return n;
	}
	return nullptr;
}

vmap_area *VmapSpace::find_exact(u64 addr) const
{
	vmap_area *va = find(addr);
	return va && va->va_start == addr ? va : nullptr;
}

vmap_area *VmapSpace::lower_bound(u64 addr) const
{
	vmap_area *n = root_, *best = nullptr;
	while (n) {
		if (n->va_start >= addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best == &sentinel_ ? nullptr : best;
}

vmap_area *VmapSpace::first() const
{
	vmap_area *n = leftmost(root_);
	return n == &sentinel_ ? nullptr : n;
}

vmap_area *VmapSpace::next(const vmap_area *va) const
{
	vmap_area *n = successor(va);
	return n == &sentinel_ ? nullptr : n;
}

unsigned long VmapSpace::check_subtree(const vmap_area *n, const vmap_area *parent, int *height) const
{
	if (!n) {
		*height = 0;
		return 0;
	}
	unsigned long bad = 0;
	if (n->parent != parent) {
		pr_err("vmalloc: area %#lx has a wrong parent link\n", (unsigned long)n->va_start);
		bad++;
	}
	int hl, hr;
	bad += check_subtree(n->left, n, &hl);
	bad += check_subtree(n->right, n, &hr);
	if (hl - hr > 1 || hr - hl > 1) {
		pr_err("vmalloc: area %#lx is unbalanced (%d vs %d)\n", (unsigned long)n->va_start, hl, hr);
		bad++;
	}
	if (n->height != 1 + kstd::max(hl, hr)) {
		pr_err("vmalloc: area %#lx has height %d, expected %d\n", (unsigned long)n->va_start, n->height,
		       1 + kstd::max(hl, hr));
		bad++;
	}
	if (n->max_gap != kstd::max(n->gap, kstd::max(mg(n->left), mg(n->right)))) {
		pr_err("vmalloc: area %#lx has max_gap %#lx, expected %#lx\n", (unsigned long)n->va_start,
		       (unsigned long)n->max_gap, (unsigned long)kstd::max(n->gap, kstd::max(mg(n->left), mg(n->right))));
		bad++;
	}
	*height = n->height;
	return bad;
}

unsigned long VmapSpace::check_invariants() const
{
	int height;
	unsigned long bad = check_subtree(root_, nullptr, &height);
	u64 prev_end = start_, gaps = 0, busy = 0;
	unsigned long count = 0;
	for (vmap_area *n = leftmost(root_); n; n = successor(n)) {
		if (n->va_start < prev_end || n->va_end < n->va_start) {
			pr_err("vmalloc: area [%#lx-%#lx) overlaps or precedes the one before (end %#lx)\n",
			       (unsigned long)n->va_start, (unsigned long)n->va_end, (unsigned long)prev_end);
			bad++;
			break;
		}
		if (n->gap != n->va_start - prev_end) {
			pr_err("vmalloc: area %#lx records gap %#lx, actual %#lx\n", (unsigned long)n->va_start,
			       (unsigned long)n->gap, (unsigned long)(n->va_start - prev_end));
			bad++;
		}
		gaps += n->va_start - prev_end;
		if (n != &sentinel_) {
			count++;
			busy += n->va_end - n->va_start;
			if (reinterpret_cast<u64>(n->vm.addr) != n->va_start || n->vm.size != n->va_end - n->va_start ||
			    n->vm.guard_below >= n->vm.size) {
				pr_err("vmalloc: area %#lx: vm_struct disagrees with the node\n", (unsigned long)n->va_start);
				bad++;
			}
			if (!kstd::is_aligned(n->va_start, PAGE_SIZE) || !kstd::is_aligned(n->va_end, PAGE_SIZE)) {
				pr_err("vmalloc: area %#lx is not page aligned\n", (unsigned long)n->va_start);
				bad++;
			}
		} else if (successor(n)) {
			pr_err("vmalloc: the sentinel is not the last node\n");
			bad++;
		}
		prev_end = n->va_end;
	}
	if (prev_end != end_) {
		pr_err("vmalloc: the last node ends at %#lx, not at the space end %#lx\n", (unsigned long)prev_end,
		       (unsigned long)end_);
		bad++;
	}
	if (count != nr_areas_ || count != pool_.nodes_in_use()) {
		pr_err("vmalloc: %lu areas in the tree, %lu counted, %lu nodes in use\n", count, nr_areas_,
		       pool_.nodes_in_use());
		bad++;
	}
	if (gaps != free_bytes_ || busy + gaps != end_ - start_) {
		pr_err("vmalloc: free bytes %#lx, gaps sum to %#lx, busy %#lx, space %#lx\n", (unsigned long)free_bytes_,
		       (unsigned long)gaps, (unsigned long)busy, (unsigned long)(end_ - start_));
		bad++;
	}
	return bad;
}

int format_vmallocinfo_line(char *buf, usize size, const vm_struct *vm)
{
	u64 a = reinterpret_cast<u64>(vm->addr);
	int n = kstd::scnprintf(buf, size, "0x%016lx-0x%016lx %7lu", (unsigned long)a, (unsigned long)(a + vm->size),
				vm->size);
	if (vm->caller)
		n += kstd::scnprintf(buf + n, size - n, " %pS", vm->caller);
	if (vm->nr_pages)
		n += kstd::scnprintf(buf + n, size - n, " pages=%u", vm->nr_pages);
	if (vm->flags & VM_IOREMAP)
		n += kstd::scnprintf(buf + n, size - n, " phys=0x%016lx", (unsigned long)vm->phys_addr.value());
	if (vm->flags & VM_IOREMAP)
		n += kstd::scnprintf(buf + n, size - n, " ioremap");
	if (vm->flags & VM_ALLOC)
		n += kstd::scnprintf(buf + n, size - n, " vmalloc");
	if (vm->flags & VM_MAP)
		n += kstd::scnprintf(buf + n, size - n, " vmap");
	if (vm->flags & VM_USERMAP)
		n += kstd::scnprintf(buf + n, size - n, " user");
	if (vm->flags & VM_DMA_COHERENT)
		n += kstd::scnprintf(buf + n, size - n, " dma-coherent");
	return n;
}
