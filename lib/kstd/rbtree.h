// Intrusive red-black tree with Linux's <linux/rbtree.h> interface: the caller embeds an
// rb_node in its object, finds the insertion point itself (rb_link_node) and then calls
// rb_insert_color to rebalance; rb_erase unlinks. Searching is the caller's loop over
// rb_left/rb_right, so the tree has no comparator and allocates nothing.
//
// Invariants (checked by rb_check in tests): the root is black, a red node has no red
// child, and every root-to-leaf path has the same number of black nodes, so the height is
// at most 2*log2(n+1) and lookup, insert and erase are O(log n).
//
// Augmented trees (Linux's rbtree_augmented.h in spirit): a per-node value summarising its
// subtree (e.g. the largest free gap below a VMA) stays correct when the caller passes
// rb_augment_callbacks to rb_insert_color/rb_erase and calls propagate itself after linking
// a node or changing a node's own contribution.
//
// Not thread-safe: the owner's lock (mmap_lock for VMAs) serialises every call.
#pragma once

#include "kstd/types.h"

struct rb_node {
	rb_node *rb_parent = nullptr;
	rb_node *rb_left = nullptr;
	rb_node *rb_right = nullptr;
	bool rb_red = false;
};

struct rb_root {
	rb_node *rb_node_ = nullptr;
};

struct rb_augment_callbacks {
	// Recomputes the summary of node and each ancestor, up to the root.
	void (*propagate)(rb_node *node);
	// After a rotation in which new_top took old_top's place (old_top is now its child):
	// new_top now summarises exactly what old_top did; old_top must be recomputed.
	void (*rotate)(rb_node *old_top, rb_node *new_top);
};

#define rb_entry(ptr, type, member) \
	reinterpret_cast<type *>(reinterpret_cast<char *>(ptr) - __builtin_offsetof(type, member))

namespace kstd::rb_detail {

inline void change_child(rb_node *old, rb_node *nw, rb_node *parent, rb_root *root)
{
	if (!parent)
		root->rb_node_ = nw;
	else if (parent->rb_left == old)
		parent->rb_left = nw;
	else
		parent->rb_right = nw;
}

// Rotates x down to the left: its right child y takes its place.
inline void rotate_left(rb_node *x, rb_root *root, const rb_augment_callbacks *aug)
{
	rb_node *y = x->rb_right;
	x->rb_right = y->rb_left;
	if (y->rb_left)
		y->rb_left->rb_parent = x;
	y->rb_parent = x->rb_parent;
	change_child(x, y, x->rb_parent, root);
	y->rb_left = x;
	x->rb_parent = y;
	if (aug)
		aug->rotate(x, y);
}

inline void rotate_right(rb_node *x, rb_root *root, const rb_augment_callbacks *aug)
{
	rb_node *y = x->rb_left;
	x->rb_left = y->rb_right;
	if (y->rb_right)
		y->rb_right->rb_parent = x;
	y->rb_parent = x->rb_parent;
	change_child(x, y, x->rb_parent, root);
	y->rb_right = x;
	x->rb_parent = y;
	if (aug)
		aug->rotate(x, y);
}

inline bool is_red(const rb_node *n) { return n && n->rb_red; }

} // namespace kstd::rb_detail

// Links node as the child *link of parent (found by the caller's search); node is red.
inline void rb_link_node(rb_node *node, rb_node *parent, rb_node **link)
{
	node->rb_parent = parent;
	node->rb_left = node->rb_right = nullptr;
	node->rb_red = true;
	*link = node;
}

// Restores the invariants after rb_link_node (CLRS RB-INSERT-FIXUP). With aug, the caller
// has already propagated from z.
inline void rb_insert_color(rb_node *z, rb_root *root, const rb_augment_callbacks *aug = nullptr)
{
	using namespace kstd::rb_detail;
	while (is_red(z->rb_parent)) {
		rb_node *p = z->rb_parent;
		rb_node *g = p->rb_parent; // exists: a red node is never the root
		if (p == g->rb_left) {
			rb_node *u = g->rb_right;
			if (is_red(u)) {
				p->rb_red = u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_right) {
				rotate_left(p, root, aug);
				z = p;
				p = z->rb_parent;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_right(g, root, aug);
		} else {
			rb_node *u = g->rb_left;
			if (is_red(u)) {
				p->rb_red = u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_left) {
				rotate_right(p, root, aug);
				z = p;
				p = z->rb_parent;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_left(g, root, aug);
		}
	}
	root->rb_node_->rb_red = false;
}

// Unlinks node (CLRS RB-DELETE without a sentinel: the fix-up tracks x's parent explicitly
// because x may be null). With aug, every node whose subtree changed is recomputed.
inline void rb_erase(rb_node *z, rb_root *root, const rb_augment_callbacks *aug = nullptr)
{
	using namespace kstd::rb_detail;
	rb_node *x, *xp;
	bool removed_red;
	if (!z->rb_left || !z->rb_right) {
		x = z->rb_left ? z->rb_left : z->rb_right;
		xp = z->rb_parent;
		removed_red = z->rb_red;
		if (x)
			x->rb_parent = xp;
		change_child(z, x, xp, root);
	} else {
		rb_node *y = z->rb_right; // successor: leftmost of the right subtree
		while (y->rb_left)
			y = y->rb_left;
		removed_red = y->rb_red;
		x = y->rb_right;
		if (y->rb_parent == z) {
			xp = y;
		} else {
			xp = y->rb_parent;
			xp->rb_left = x;
			if (x)
				x->rb_parent = xp;
			y->rb_right = z->rb_right;
			z->rb_right->rb_parent = y;
		}
		y->rb_left = z->rb_left;
		z->rb_left->rb_parent = y;
		y->rb_parent = z->rb_parent;
		change_child(z, y, z->rb_parent, root);
		y->rb_red = z->rb_red;
	}
	// xp is the lowest node whose subtree changed; everything above it (including y, which
	// took z's place) is on its path to the root.
	if (aug && xp)
		aug->propagate(xp);
	if (removed_red)
		return;
	// x carries an extra black.
	while (x != root->rb_node_ && !is_red(x)) {
		if (x == xp->rb_left) {
			rb_node *w = xp->rb_right;
			if (is_red(w)) {
				w->rb_red = false;
				xp->rb_red = true;
				rotate_left(xp, root, aug);
				w = xp->rb_right;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_red = true;
				x = xp;
				xp = x->rb_parent;
			} else {
				if (!is_red(w->rb_right)) {
					w->rb_left->rb_red = false;
					w->rb_red = true;
					rotate_right(w, root, aug);
					w = xp->rb_right;
				}
				w->rb_red = xp->rb_red;
				xp->rb_red = false;
				if (w->rb_right)
					w->rb_right->rb_red = false;
				rotate_left(xp, root, aug);
				x = root->rb_node_;
				break;
			}
		} else {
			rb_node *w = xp->rb_left;
			if (is_red(w)) {
				w->rb_red = false;
				xp->rb_red = true;
				rotate_right(xp, root, aug);
				w = xp->rb_left;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_red = true;
				x = xp;
				xp = x->rb_parent;
			} else {
				if (!is_red(w->rb_left)) {
					w->rb_right->rb_red = false;
					w->rb_red = true;
					rotate_left(w, root, aug);
					w = xp->rb_left;
				}
				w->rb_red = xp->rb_red;
				xp->rb_red = false;
				if (w->rb_left)
					w->rb_left->rb_red = false;
				rotate_right(xp, root, aug);
				x = root->rb_node_;
				break;
			}
		}
	}
	if (x)
		x->rb_red = false;
}

inline rb_node *rb_first(const rb_root *root)
{
	rb_node *n = root->rb_node_;
	if (n)
		while (n->rb_left)
			n = n->rb_left;
	return n;
}

inline rb_node *rb_last(const rb_root *root)
{
	rb_node *n = root->rb_node_;
	if (n)
		while (n->rb_right)
			n = n->rb_right;
	return n;
}

inline rb_node *rb_next(const rb_node *n)
{
	if (n->rb_right) {
		n = n->rb_right;
		while (n->rb_left)
			n = n->rb_left;
		return const_cast<rb_node *>(n);
	}
	rb_node *p;
	while ((p = n->rb_parent) && n == p->rb_right)
		n = p;
	return p;
}

inline rb_node *rb_prev(const rb_node *n)
{
	if (n->rb_left) {
		n = n->rb_left;
		while (n->rb_right)
			n = n->rb_right;
		return const_cast<rb_node *>(n);
	}
	rb_node *p;
	while ((p = n->rb_parent) && n == p->rb_left)
		n = p;
	return p;
}

// Verifies the red-black invariants and parent links; returns the black height, or -1 when
// an invariant is broken (tests and on-demand checkers).
inline int rb_check_subtree(const rb_node *n, const rb_node *parent)
{
	if (!n)
		return 1;
	if (n->rb_parent != parent)
		return -1;
	if (n->rb_red && (kstd::rb_detail::is_red(n->rb_left) || kstd::rb_detail::is_red(n->rb_right)))
		return -1;
	int l = rb_check_subtree(n->rb_left, n), r = rb_check_subtree(n->rb_right, n);
	if (l < 0 || r < 0 || l != r)
		return -1;
	return l + (n->rb_red ? 0 : 1);
}
inline int rb_check(const rb_root *root)
{
	if (root->rb_node_ && root->rb_node_->rb_red)
		return -1;
	return rb_check_subtree(root->rb_node_, nullptr);
}
