// A sparse array of pointers indexed by unsigned long (Linux's xarray / radix tree, reduced to
// what the page cache needs): load, store, erase and in-order search from an index.
//
// Shape: a tree of 64-slot nodes (XA_CHUNK_SHIFT 6 bits of the index per level); the root is a
// single entry while only index 0 is used, and the tree grows a level at a time as larger
// indices are stored (as Linux's xas_expand) and shrinks back when the top node has only its
// first slot left. Empty nodes are freed at once, so an empty array holds no memory.
//
// Locking: none inside; the owner serializes writers and readers (the page cache uses its
// i_pages_lock). Stores allocate with the gfp they are given and fail with ENOMEM, leaving the
// array as it was.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"
#include "mm/gfp.h"

inline constexpr unsigned XA_CHUNK_SHIFT = 6;
inline constexpr unsigned XA_CHUNK_SIZE = 1u << XA_CHUNK_SHIFT;

struct xa_node {
	u8 shift;   // index bits below this node's slots
	u8 offset;  // slot in the parent
	u16 count;  // non-null slots
	xa_node *parent;
	void *slots[XA_CHUNK_SIZE];
};

struct xarray {
	void *xa_head = nullptr; // an entry (height 0) or an xa_node (tagged with bit 1)
};

// The entry at index, or nullptr.
void *xa_load(const xarray *xa, unsigned long index);
// Stores entry (not nullptr, 4-byte aligned) at index and returns the old entry through *old.
// ENOMEM leaves the array unchanged.
[[nodiscard]] Result xa_store(xarray *xa, unsigned long index, void *entry, gfp_t gfp, void **old = nullptr);
// Removes and returns the entry at index (nullptr when none); frees nodes that empty.
void *xa_erase(xarray *xa, unsigned long index);
// The first entry at an index >= *index (updating *index to it), or nullptr when none.
void *xa_find(const xarray *xa, unsigned long *index);
inline bool xa_empty(const xarray *xa) { return xa->xa_head == nullptr; }
// Nodes currently allocated by all arrays (tests check that erase frees them).
unsigned long xa_nodes_in_use();
// Creates the node cache (on first use otherwise); host tests reset it with the slab allocator.
void xa_reset_for_test();
