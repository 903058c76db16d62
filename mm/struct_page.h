// struct page: one descriptor per 4 KiB frame, laid out as Linux 6.1's so that ported code
// (buddy, slab, rmap) reads the same. The array lives in the vmemmap region (mm/sparse.h), so
// pfn_to_page/page_to_pfn are pointer arithmetic.
//
// Layout (64 bytes, 16-byte aligned like Linux's HAVE_ALIGNED_STRUCT_PAGE). Linux needs the
// alignment for SLUB's cmpxchg_double of freelist+counters; this SLUB changes both under the
// node's list_lock, and keeps the layout so the pair stays one aligned 16-byte unit:
//   0  flags        PG_* bits from bit 0 up; section/node/zone ids packed into the top
//                   (mm/page-flags.h documents the bit positions)
//   8  union of 40 bytes, one view per owner:
//        buddy/pcp/anon: lru (buddy_list, pcp_list), mapping, index, private_
//        slab (SLUB):    slab_list, slab_cache, freelist, counters{inuse,objects,frozen}
//        slab (SLOB):    slab_list is SLOB's free-page list, freelist the first free unit,
//                        counters holds slob_units (free units in the page)
//        compound tail:  compound_head (bit 0 set), then in the first tail only
//                        compound_dtor/compound_order/compound_nr
//  48  _mapcount / page_type (PG_buddy lives in page_type, as Linux 6.1)
//  52  _refcount
//  56  padding to the 16-byte alignment (Linux keeps memcg_data here)
#pragma once

#include "kstd/list.h"
#include "kstd/types.h"

struct kmem_cache;
struct address_space;

struct alignas(2 * sizeof(unsigned long)) page {
	unsigned long flags;
	union {
		// Page-cache, anonymous and buddy pages. buddy_list/pcp_list are Linux 6.1's names for
		// lru while the page is free (in the buddy) or on a per-CPU list.
		struct {
			union {
				list_head lru;
				list_head buddy_list;
				list_head pcp_list;
			};
			address_space *mapping; // anon rmap: anon_vma pointer with bit 0 set, as Linux
			unsigned long index;    // offset within mapping; pcp migratetype while on a pcp list
			// Buddy order while PageBuddy; owner's private data otherwise. `private` is a C++
			// keyword, hence the underscore.
			unsigned long private_;
		};
		// Slab allocator view (struct slab in Linux 6.1 overlays exactly these words).
		struct {
			list_head slab_list;
			kmem_cache *slab_cache;
			void *freelist;
			union {
				unsigned long counters;
				struct {
					unsigned inuse : 16;
					unsigned objects : 15;
					unsigned frozen : 1;
				};
				// SLOB: free units left in the page.
				long slob_units;
			};
		};
		// Tail pages of a compound page. compound_head overlays lru.next, whose bit 0 is never
		// set for a real list pointer, so bit 0 marks a tail page (PageTail).
		struct {
			unsigned long compound_head;
			// First tail page only.
			unsigned char compound_dtor;
			unsigned char compound_order;
			int compound_mapcount;
			unsigned int compound_nr;
		};
	};
	union {
		// Mappings into user page tables, minus one (-1: unmapped).
		int _mapcount;
		// For pages never mapped to user space: a page type with inverted bits (mm/page-flags.h).
		unsigned int page_type;
	};
	// Users of the page; 0 means free (in the buddy, on a pcp list or being freed).
	int _refcount;
};

static_assert(sizeof(page) <= 64, "struct page must fit one cache line");
static_assert(sizeof(page) == 64, "vmemmap sizing assumes 64-byte struct page (2 MiB per section)");
static_assert(__builtin_offsetof(page, freelist) % 16 == 0,
	      "freelist+counters stay one 16-byte-aligned pair (Linux's cmpxchg_double layout)");
static_assert(__builtin_offsetof(page, compound_head) == __builtin_offsetof(page, lru),
	      "compound_head must overlay lru.next");
static_assert(__builtin_offsetof(page, slab_list) == __builtin_offsetof(page, lru),
	      "slab_list must overlay lru");
