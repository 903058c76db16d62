// Page flags and page types, with Linux 6.1's names, bit order and accessors.
//
// page->flags layout (64 bits):
//   63            43 42  41 40  39 38                      22 21        0
//   [ section (21) ][node(2)][zone(2)][        unused        ][ PG_* flags ]
// Linux packs the section number only without VMEMMAP; there is room here, and keeping it
// lets the checker verify that a page's section matches its pfn. Node and zone ids make
// page_zone() two array lookups, as in Linux.
//
// PG_buddy is a page type, not a flag (Linux 6.1): page_type overlays _mapcount, which is -1
// for a page nobody maps, so a type is a *cleared* bit in the top byte (0xf0000000 base). A
// page that is mapped to user space can therefore never look like a buddy page.
#pragma once

#include "mm/struct_page.h"

enum pageflags : unsigned {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_workingset,
	PG_waiters,
	PG_error,
	PG_slab,
	PG_owner_priv_1,
	PG_arch_1,
	PG_reserved,
	PG_private,
	PG_private_2,
	PG_writeback,
	PG_head,
	PG_mappedtodisk,
	PG_reclaim,
	PG_swapbacked,
	PG_unevictable,
	PG_mlocked,
	__NR_PAGEFLAGS,
};

inline constexpr unsigned SECTIONS_WIDTH = 21; // MAX_PHYSMEM_BITS - SECTION_SIZE_BITS
inline constexpr unsigned NODES_SHIFT = 2;     // MAX_NUMNODES 4
inline constexpr unsigned ZONES_SHIFT = 2;     // MAX_NR_ZONES 4
inline constexpr unsigned SECTIONS_PGOFF = 64 - SECTIONS_WIDTH;
inline constexpr unsigned NODES_PGOFF = SECTIONS_PGOFF - NODES_SHIFT;
inline constexpr unsigned ZONES_PGOFF = NODES_PGOFF - ZONES_SHIFT;
inline constexpr unsigned long SECTIONS_MASK = (1UL << SECTIONS_WIDTH) - 1;
inline constexpr unsigned long NODES_MASK = (1UL << NODES_SHIFT) - 1;
inline constexpr unsigned long ZONES_MASK = (1UL << ZONES_SHIFT) - 1;
static_assert(ZONES_PGOFF > __NR_PAGEFLAGS, "page flags overlap the zone/node/section fields");

inline constexpr unsigned long PAGEFLAGS_MASK = (1UL << __NR_PAGEFLAGS) - 1;

// Flags that must be clear when a page is freed, and (all flags) when it is handed out.
inline constexpr unsigned long PAGE_FLAGS_CHECK_AT_FREE =
	1UL << PG_lru | 1UL << PG_locked | 1UL << PG_private | 1UL << PG_private_2 |
	1UL << PG_writeback | 1UL << PG_reserved | 1UL << PG_slab | 1UL << PG_active |
	1UL << PG_unevictable | 1UL << PG_mlocked;
inline constexpr unsigned long PAGE_FLAGS_CHECK_AT_PREP = PAGEFLAGS_MASK;

// Short names in bit order, as Linux's %pGp prints them.
extern const char *const pageflag_names[__NR_PAGEFLAGS];

inline bool test_page_flag(const page *p, pageflags f) { return (p->flags >> f) & 1; }
// Atomic read-modify-write variants (may race with other CPUs touching other bits).
inline void set_page_flag(page *p, pageflags f) { __atomic_fetch_or(&p->flags, 1UL << f, __ATOMIC_RELAXED); }
inline void clear_page_flag(page *p, pageflags f) { __atomic_fetch_and(&p->flags, ~(1UL << f), __ATOMIC_RELAXED); }
// Non-atomic variants for pages nobody else can see (Linux's __SetPageX).
inline void __set_page_flag(page *p, pageflags f) { p->flags |= 1UL << f; }
inline void __clear_page_flag(page *p, pageflags f) { p->flags &= ~(1UL << f); }

#define PAGEFLAG(uname, lname)                                                          \
	inline bool Page##uname(const page *p) { return test_page_flag(p, PG_##lname); }   \
	inline void SetPage##uname(page *p) { set_page_flag(p, PG_##lname); }              \
	inline void ClearPage##uname(page *p) { clear_page_flag(p, PG_##lname); }          \
	inline void __SetPage##uname(page *p) { __set_page_flag(p, PG_##lname); }          \
	inline void __ClearPage##uname(page *p) { __clear_page_flag(p, PG_##lname); }

PAGEFLAG(Locked, locked)
PAGEFLAG(Referenced, referenced)
PAGEFLAG(Uptodate, uptodate)
PAGEFLAG(Dirty, dirty)
PAGEFLAG(LRU, lru)
PAGEFLAG(Active, active)
PAGEFLAG(Slab, slab)
PAGEFLAG(Reserved, reserved)
PAGEFLAG(Private, private)
PAGEFLAG(Writeback, writeback)
PAGEFLAG(Head, head)
PAGEFLAG(Reclaim, reclaim)
PAGEFLAG(SwapBacked, swapbacked)
PAGEFLAG(Unevictable, unevictable)
PAGEFLAG(Mlocked, mlocked)
#undef PAGEFLAG

// --- compound pages ----------------------------------------------------------------------
inline bool PageTail(const page *p) { return __atomic_load_n(&p->compound_head, __ATOMIC_RELAXED) & 1; }
inline bool PageCompound(const page *p) { return PageHead(p) || PageTail(p); }
inline page *compound_head(page *p)
{
	unsigned long head = __atomic_load_n(&p->compound_head, __ATOMIC_RELAXED);
	return (head & 1) ? reinterpret_cast<page *>(head - 1) : p;
}
inline const page *compound_head(const page *p) { return compound_head(const_cast<page *>(p)); }
inline void set_compound_head(page *p, page *head)
{
	__atomic_store_n(&p->compound_head, reinterpret_cast<unsigned long>(head) + 1, __ATOMIC_RELAXED);
}
inline void clear_compound_head(page *p) { __atomic_store_n(&p->compound_head, 0UL, __ATOMIC_RELAXED); }
inline unsigned compound_order(const page *p) { return PageHead(p) ? p[1].compound_order : 0; }
inline unsigned long compound_nr(const page *p) { return PageHead(p) ? p[1].compound_nr : 1; }

// --- page types (overlaying _mapcount) ---------------------------------------------------
inline constexpr unsigned PAGE_TYPE_BASE = 0xf0000000u;
inline constexpr unsigned PAGE_MAPCOUNT_RESERVE = static_cast<unsigned>(-128);
inline constexpr unsigned PG_buddy = 0x00000080u;
inline constexpr unsigned PG_offline = 0x00000100u;
inline constexpr unsigned PG_table = 0x00000200u;
inline constexpr unsigned PG_guard = 0x00000400u;

inline bool page_has_type(const page *p) { return static_cast<int>(p->page_type) < static_cast<int>(PAGE_MAPCOUNT_RESERVE); }
inline bool page_type_is(const page *p, unsigned t) { return (p->page_type & (PAGE_TYPE_BASE | t)) == PAGE_TYPE_BASE; }
#define PAGE_TYPE_OPS(uname, flag)                                                      \
	inline bool Page##uname(const page *p) { return page_type_is(p, flag); }            \
	inline void __SetPage##uname(page *p) { p->page_type &= ~(flag); }                  \
	inline void __ClearPage##uname(page *p) { p->page_type |= (flag); }
PAGE_TYPE_OPS(Buddy, PG_buddy)
PAGE_TYPE_OPS(Offline, PG_offline)
PAGE_TYPE_OPS(Table, PG_table)
#undef PAGE_TYPE_OPS

// --- reference and map counts ------------------------------------------------------------
inline int page_ref_count(const page *p) { return __atomic_load_n(&p->_refcount, __ATOMIC_RELAXED); }
inline int page_count(const page *p) { return page_ref_count(compound_head(p)); }
inline void set_page_count(page *p, int v) { __atomic_store_n(&p->_refcount, v, __ATOMIC_RELAXED); }
inline void init_page_count(page *p) { set_page_count(p, 1); }
inline void set_page_refcounted(page *p) { set_page_count(p, 1); }
inline void page_ref_inc(page *p) { __atomic_fetch_add(&p->_refcount, 1, __ATOMIC_RELAXED); }
// Full barrier on the final decrement: the freeing CPU must see all prior stores to the page.
inline bool page_ref_dec_and_test(page *p) { return __atomic_sub_fetch(&p->_refcount, 1, __ATOMIC_ACQ_REL) == 0; }
inline bool put_page_testzero(page *p) { return page_ref_dec_and_test(p); }
inline void get_page(page *p) { page_ref_inc(compound_head(p)); }
inline int page_mapcount_raw(const page *p) { return __atomic_load_n(&p->_mapcount, __ATOMIC_RELAXED); }
inline void page_mapcount_reset(page *p) { __atomic_store_n(&p->_mapcount, -1, __ATOMIC_RELAXED); }
inline int page_mapcount(const page *p) { return page_mapcount_raw(p) + 1; }

inline unsigned long page_private(const page *p) { return p->private_; }
inline void set_page_private(page *p, unsigned long v) { p->private_ = v; }

// --- zone/node/section ids in flags ------------------------------------------------------
inline unsigned page_zonenum(const page *p) { return (p->flags >> ZONES_PGOFF) & ZONES_MASK; }
inline int page_to_nid(const page *p) { return static_cast<int>((p->flags >> NODES_PGOFF) & NODES_MASK); }
inline unsigned long page_to_section(const page *p) { return (p->flags >> SECTIONS_PGOFF) & SECTIONS_MASK; }
// Zone and node together: two pages can be buddies only if this matches.
inline unsigned long page_zone_id(const page *p) { return p->flags >> ZONES_PGOFF; }
inline void set_page_links(page *p, unsigned zone, int nid, unsigned long pfn_section)
{
	p->flags &= ~((ZONES_MASK << ZONES_PGOFF) | (NODES_MASK << NODES_PGOFF) | (SECTIONS_MASK << SECTIONS_PGOFF));
	p->flags |= (static_cast<unsigned long>(zone) & ZONES_MASK) << ZONES_PGOFF;
	p->flags |= (static_cast<unsigned long>(nid) & NODES_MASK) << NODES_PGOFF;
	p->flags |= (pfn_section & SECTIONS_MASK) << SECTIONS_PGOFF;
}

// Formats flags as Linux's %pGp: "0x<hex>(name|name|node=N|zone=Z)". Returns chars written.
int format_page_flags(char *buf, usize size, unsigned long flags);
