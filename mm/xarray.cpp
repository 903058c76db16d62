// The page cache's index (mm/xarray.h): a radix tree of 64-slot nodes.
#include "mm/xarray.h"

#include "core/panic.h"
#include "mm/slab.h"

namespace {
kmem_cache *node_cache;
unsigned long nodes_in_use;

// Node pointers are tagged with bit 1 (entries are 4-byte aligned pointers, Linux's
// xa_is_node rule), so the head can be either an entry or a node.
bool is_node(const void *e) { return (reinterpret_cast<uintptr_t>(e) & 3) == 2; }
xa_node *to_node(const void *e) { return reinterpret_cast<xa_node *>(reinterpret_cast<uintptr_t>(e) - 2); }
void *mk_node(xa_node *n) { return reinterpret_cast<void *>(reinterpret_cast<uintptr_t>(n) + 2); }

xa_node *node_alloc(gfp_t gfp)
{
	if (!node_cache) {
		node_cache = kmem_cache_create("radix_tree_node", sizeof(xa_node), 8, SLAB_RECLAIM_ACCOUNT, nullptr);
		if (!node_cache)
			return nullptr;
	}
	auto *n = static_cast<xa_node *>(kmem_cache_zalloc(node_cache, gfp));
	if (n)
		nodes_in_use++;
	return n;
}
void node_free(xa_node *n)
{
	nodes_in_use--;
	kmem_cache_free(node_cache, n);
}

// The largest index the current height holds.
unsigned long max_index(const void *head)
{
	if (!is_node(head))
		return 0;
	unsigned shift = to_node(head)->shift + XA_CHUNK_SHIFT;
	return shift >= 64 ? ~0ul : (1ul << shift) - 1;
}

// Drops top nodes that hold only slot 0 (Linux's xas_shrink).
void shrink(xarray *xa)
{
	while (is_node(xa->xa_head)) {
		xa_node *n = to_node(xa->xa_head);
		if (n->count != 1 || !n->slots[0])
			return;
		void *child = n->slots[0];
		if (is_node(child))
			to_node(child)->parent = nullptr;
		xa->xa_head = child;
		node_free(n);
	}
}
} // namespace

unsigned long xa_nodes_in_use() { return nodes_in_use; }
void xa_reset_for_test()
{
	node_cache = nullptr;
	nodes_in_use = 0;
}

void *xa_load(const xarray *xa, unsigned long index)
{
	void *e = xa->xa_head;
	if (!e)
		return nullptr;
	if (index > max_index(e))
		return nullptr;
	while (is_node(e)) {
		xa_node *n = to_node(e);
		e = n->slots[(index >> n->shift) & (XA_CHUNK_SIZE - 1)];
		if (!e)
			return nullptr;
	}
	return e;
}

Result xa_store(xarray *xa, unsigned long index, void *entry, gfp_t gfp, void **old)
{
	BUG_ON(!entry || is_node(entry) || (reinterpret_cast<uintptr_t>(entry) & 3));
	if (old)
		*old = nullptr;
	if (!is_node(xa->xa_head) && index == 0) {
		if (old)
			*old = xa->xa_head;
		xa->xa_head = entry;
		return Result{};
	}
	// Grow until index fits. New top nodes are made first and linked only when all exist, so
	// ENOMEM leaves the tree as it was.
	unsigned need_shift = 0; // shift of the top node needed
	while (need_shift + XA_CHUNK_SHIFT < 64 && (index >> (need_shift + XA_CHUNK_SHIFT)))
		need_shift += XA_CHUNK_SHIFT;
	void *head = xa->xa_head;
	int cur_shift = is_node(head) ? to_node(head)->shift : (head ? -static_cast<int>(XA_CHUNK_SHIFT) : -1);
	// Levels to add on top (a single entry at index 0 counts as height 0).
	xa_node *grown[12];
	unsigned ngrown = 0;
	if (head && cur_shift < static_cast<int>(need_shift)) {
		for (int s = cur_shift + XA_CHUNK_SHIFT; s <= static_cast<int>(need_shift); s += XA_CHUNK_SHIFT) {
			xa_node *n = node_alloc(gfp);
			if (!n) {
				while (ngrown)
					node_free(grown[--ngrown]);
				return Errno::ENOMEM;
			}
			n->shift = static_cast<u8>(s);
			grown[ngrown++] = n;
		}
		for (unsigned i = 0; i < ngrown; i++) {
			xa_node *n = grown[i];
			n->slots[0] = head;
			n->count = 1;
			if (is_node(head)) {
				to_node(head)->parent = n;
				to_node(head)->offset = 0;
			}
			head = mk_node(n);
		}
		xa->xa_head = head;
	} else if (!head) {
		xa_node *n = node_alloc(gfp);
		if (!n)
			return Errno::ENOMEM;
		n->shift = static_cast<u8>(need_shift);
		xa->xa_head = mk_node(n);
	}
	// Walk down, creating missing nodes; a failure frees the nodes made here that stayed empty.
	xa_node *n = to_node(xa->xa_head);
	for (;;) {
		unsigned off = (index >> n->shift) & (XA_CHUNK_SIZE - 1);
		if (n->shift == 0) {
			void *prev = n->slots[off];
			if (old)
				*old = prev;
			if (!prev)
				n->count++;
			n->slots[off] = entry;
			return Result{};
		}
		if (!n->slots[off]) {
			xa_node *c = node_alloc(gfp);
			if (!c) {
				// Undo: free empty nodes up from n (they were created by this call or were
				// already empty, which never persists).
				while (n && n->count == 0) {
					xa_node *p = n->parent;
					if (p) {
						p->slots[n->offset] = nullptr;
						p->count--;
					} else {
						xa->xa_head = nullptr;
					}
					node_free(n);
					n = p;
				}
				shrink(xa);
				return Errno::ENOMEM;
			}
			c->shift = static_cast<u8>(n->shift - XA_CHUNK_SHIFT);
			c->parent = n;
			c->offset = static_cast<u8>(off);
			n->slots[off] = mk_node(c);
			n->count++;
		}
		n = to_node(n->slots[off]);
	}
}

void *xa_erase(xarray *xa, unsigned long index)
{
	void *e = xa->xa_head;
	if (!e)
		return nullptr;
	if (!is_node(e)) {
		if (index != 0)
			return nullptr;
		xa->xa_head = nullptr;
		return e;
	}
	if (index > max_index(e))
		return nullptr;
	xa_node *n = to_node(e);
	while (n->shift) {
		void *c = n->slots[(index >> n->shift) & (XA_CHUNK_SIZE - 1)];
		if (!c)
			return nullptr;
		n = to_node(c);
	}
	unsigned off = index & (XA_CHUNK_SIZE - 1);
	void *prev = n->slots[off];
	if (!prev)
		return nullptr;
	n->slots[off] = nullptr;
	n->count--;
	while (n && n->count == 0) {
		xa_node *p = n->parent;
		if (p) {
			p->slots[n->offset] = nullptr;
			p->count--;
		} else {
			xa->xa_head = nullptr;
		}
		node_free(n);
		n = p;
	}
	shrink(xa);
	return prev;
}

void *xa_find(const xarray *xa, unsigned long *index)
{
	void *e = xa->xa_head;
	if (!e)
		return nullptr;
	if (!is_node(e)) {
		if (*index != 0)
			return nullptr;
		return e;
	}
	if (*index > max_index(e))
		return nullptr;
	unsigned long idx = *index;
	xa_node *n = to_node(e);
	for (;;) {
		unsigned off = (idx >> n->shift) & (XA_CHUNK_SIZE - 1);
		bool descended = false;
		for (; off < XA_CHUNK_SIZE; off++) {
			void *c = n->slots[off];
			if (!c) {
				// Skip to the start of the next slot's range.
				unsigned long step = 1ul << n->shift;
				idx = (idx & ~(step - 1)) + step;
				if (idx == 0) // wrapped past the last index
					return nullptr;
				continue;
			}
			if (n->shift == 0) {
				*index = idx;
				return c;
			}
			n = to_node(c);
			descended = true;
			break;
		}
		if (descended)
			continue;
		// This node is exhausted: go up to the parent's next slot.
		for (;;) {
			xa_node *p = n->parent;
			if (!p)
				return nullptr;
			unsigned next = n->offset + 1u;
			n = p;
			// idx already points at the first index after the exhausted child.
			if (next < XA_CHUNK_SIZE)
				break;
		}
	}
}
