// The page allocator's public interface (Linux 6.1 names and semantics).
//
// Ownership: alloc_pages() returns 2^order pages with refcount 1 on the first page (all pages
// of a __GFP_COMP block belong to the head); the caller owns them until __free_pages() drops
// that reference. A page handed back with flags, mapcount or mapping left set is reported by
// bad_page() and kept out of circulation; the allocator never crashes on a bad free.
//
// Errors: allocation returns nullptr (0 for the address forms) when no zone allowed by gfp has
// a free block above its watermark, after draining per-CPU lists and unreserving highatomic
// blocks; it prints Linux's "page allocation failure" report unless __GFP_NOWARN. There is no
// reclaim: __GFP_NOFAIL cannot loop until memory frees up as in Linux; it may use the atomic
// reserves, and fails (with the report) only when those are gone too.
//
// Locking: per-CPU lists with local IRQs off; the buddy of a zone under zone->lock. Callable
// from IRQ context with GFP_ATOMIC / GFP_NOWAIT (nothing here sleeps).
//
// Boot sequence (Linux's order): memblock complete and the linear map up; the arch sets
// `vmemmap`; sparse_init(); free_area_init(max_zone_pfn); memblock_free_all();
// mem_init_print_info(); init_per_zone_wmark_min() (until then all watermarks are 0);
// page_alloc_set_online_cpus(n) whenever the number of running CPUs changes.
//
// Owners that reuse struct page fields must leave them as found before freeing: flags in
// PAGE_FLAGS_CHECK_AT_FREE clear, _mapcount -1, and `mapping` (slab_cache in the slab view)
// null, as Linux's slab does in __free_slab.
#pragma once

#include "kstd/types.h"
#include "mm/gfp.h"
#include "mm/memory_model.h"
#include "mm/mmzone.h"
#include "mm/sparse.h"

// --- allocation ----------------------------------------------------------------------------
page *__alloc_pages(gfp_t gfp, unsigned order, int preferred_nid);
inline page *alloc_pages_node(int nid, gfp_t gfp, unsigned order) { return __alloc_pages(gfp, order, nid); }
page *alloc_pages(gfp_t gfp, unsigned order);
inline page *alloc_page(gfp_t gfp) { return alloc_pages(gfp, 0); }
// Linear-map address of the pages, 0 on failure. Highmem does not exist on arm64.
unsigned long __get_free_pages(gfp_t gfp, unsigned order);
inline unsigned long __get_free_page(gfp_t gfp) { return __get_free_pages(gfp, 0); }
unsigned long get_zeroed_page(gfp_t gfp);

void __free_pages(page *p, unsigned order);
inline void __free_page(page *p) { __free_pages(p, 0); }
// addr 0 is ignored, as Linux.
void free_pages(unsigned long addr, unsigned order);
inline void free_page(unsigned long addr) { free_pages(addr, 0); }
// Drop a reference; frees (with the compound order) when it was the last.
void put_page(page *p);

inline void *page_address(const page *p) { return phys_to_virt(PhysAddr(page_to_pfn(p) << PAGE_SHIFT)); }
inline page *virt_to_page(const void *addr) { return pfn_to_page(virt_to_phys(addr).value() >> PAGE_SHIFT); }
inline PhysAddr page_to_phys(const page *p) { return PhysAddr(page_to_pfn(p) << PAGE_SHIFT); }

// gfp -> highest usable zone / migratetype, as Linux's gfp_zone()/gfp_migratetype().
zone_type gfp_zone(gfp_t gfp);
int gfp_migratetype(gfp_t gfp);

// --- watermarks ----------------------------------------------------------------------------
// alloc_flags (internal to the allocator in Linux; exposed for zone_watermark_ok callers).
inline constexpr unsigned ALLOC_WMARK_MIN = WMARK_MIN;
inline constexpr unsigned ALLOC_WMARK_LOW = WMARK_LOW;
inline constexpr unsigned ALLOC_WMARK_HIGH = WMARK_HIGH;
inline constexpr unsigned ALLOC_NO_WATERMARKS = 0x04;
inline constexpr unsigned ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;
inline constexpr unsigned ALLOC_OOM = 0x08;
inline constexpr unsigned ALLOC_HARDER = 0x10;
inline constexpr unsigned ALLOC_HIGH = 0x20;      // == __GFP_HIGH
inline constexpr unsigned ALLOC_CPUSET = 0x40;
inline constexpr unsigned ALLOC_CMA = 0x80;
inline constexpr unsigned ALLOC_NOFRAGMENT = 0x100;
inline constexpr unsigned ALLOC_KSWAPD = 0x800;   // == __GFP_KSWAPD_RECLAIM

bool __zone_watermark_ok(zone *z, unsigned order, unsigned long mark, int highest_zoneidx,
			 unsigned alloc_flags, long free_pages);
bool zone_watermark_ok(zone *z, unsigned order, unsigned long mark, int highest_zoneidx,
		       unsigned alloc_flags);

// min_free_kbytes and the derived watermarks/lowmem reserves (Linux init_per_zone_wmark_min).
extern int min_free_kbytes;
// Linux's sysctl semantics: a user value is kept only while it exceeds the computed one.
extern int user_min_free_kbytes;
// `min_free_kbytes=` on the command line replaces the computed value outright (-1: unset).
extern int cmdline_min_free_kbytes;
extern int watermark_scale_factor;
extern int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES];
extern unsigned long totalreserve_pages;
void init_per_zone_wmark_min();
void setup_per_zone_wmarks();
void setup_per_zone_lowmem_reserve();
// Sum over zones <= ZONE_NORMAL of managed minus high watermark (Linux nr_free_buffer_pages).
unsigned long nr_free_buffer_pages();
unsigned long nr_free_pages();
unsigned long totalram_pages();
extern unsigned long totalcma_pages;

// --- per-CPU lists -------------------------------------------------------------------------
void drain_local_pages(zone *z);
// Empties every CPU's lists (of zone z, or of all zones for nullptr). Until cross-CPU calls
// exist, other CPUs' lists are drained under their zone lock with IRQs off here; callers run
// while the other CPUs are not in the allocator (boot, tests, the failure path on one CPU).
void drain_all_pages(zone *z);
// Recomputes batch/high of every CPU's lists (after watermark changes).
void zone_pcp_update(zone *z);
// CPUs sharing the pcp high budget (Linux counts online CPUs of the node).
void page_alloc_set_online_cpus(unsigned n);

// --- boot ------------------------------------------------------------------------------------
// The architecture's zone limits: max_zone_pfn[i] is the first pfn above zone i (ZONE_MOVABLE
// ignored); a limit equal to the previous one leaves the zone empty. Marks nodes online from
// memblock, sizes zones (kernelcore=/movablecore=), initialises every struct page of present
// sections, pageblocks (MIGRATE_MOVABLE), free lists, pcp lists and zonelists.
void free_area_init(const unsigned long max_zone_pfn[MAX_NR_ZONES]);
void build_all_zonelists();
// Hands memblock's free memory to the buddy allocator, marks reserved pages PageReserved,
// discards memblock's arrays. Returns the pages freed.
unsigned long memblock_free_all();
// Sizes of the kernel image for the boot Memory: line (bytes).
struct kernel_image_sizes {
	unsigned long code, rwdata, rodata, init, bss;
};
void mem_init_print_info(const kernel_image_sizes &sizes);
// CMA (mm/cma.cpp is the user). init_cma_reserved_pageblock: a pageblock memblock kept
// reserved (PageReserved) enters the buddy as MIGRATE_CMA, managed and cma_pages grow.
// free_reserved_page: one reserved page becomes ordinary free memory.
void init_cma_reserved_pageblock(page *p);
void free_reserved_page(page *p);
// Linux's alloc_contig_range/free_contig_range, without page migration (issue #17): takes
// the pages [start, end), pageblocks of `migratetype`, in one zone, each with refcount 1, if
// all of them are free. EBUSY when one is in use (nothing changes), EINVAL for a range that
// is not one zone's or has pageblocks of another type. Drains every CPU's lists (see
// drain_all_pages). free_contig_range drops one reference per page, warning about pages that
// still had others.
[[nodiscard]] Result alloc_contig_range(unsigned long start, unsigned long end, int migratetype, gfp_t gfp);
void free_contig_range(unsigned long pfn, unsigned long nr_pages);

// Early parameters, registered with EARLY_PARAM in mm/mm_init.cpp: kernelcore=, movablecore=,
// min_free_kbytes=, page_poison=, debug_pagealloc=, page_alloc.grouping=on|off. Each fails with
// EINVAL for a malformed value and then leaves the setting unchanged.
Result early_kernelcore(const char *p);
Result early_movablecore(const char *p);
Result early_min_free_kbytes(const char *p);
Result early_page_poison(const char *p);
Result early_debug_pagealloc(const char *p);
Result early_page_alloc_grouping(const char *p);

// --- debugging -----------------------------------------------------------------------------
// page_poison= and debug_pagealloc= side by side, so that the fast paths test both with one
// 16-bit load (page_debugging() in page_alloc.cpp); the names are Linux's.
struct alignas(2) page_debug_options {
	bool poisoning;
	bool pagealloc;
};
extern page_debug_options page_debug;
inline bool &page_poisoning_enabled = page_debug.poisoning;
inline bool &debug_pagealloc_enabled = page_debug.pagealloc;
inline constexpr u8 PAGE_POISON = 0xaa;
// Arch hook: map (enable=1) or unmap (enable=0) numpages pages from the linear map.
void __kernel_map_pages(page *p, int numpages, int enable);
// Reports a page in an unexpected state (Linux's bad_page) and neutralises PageBuddy; the
// caller leaves the page out of circulation.
void bad_page(page *p, const char *reason);
void dump_page(const page *p, const char *reason);
// Pages taken out of circulation by bad_page (never returned to the free lists).
extern unsigned long nr_bad_pages;
// Verifies every free list, nr_free, NR_FREE_PAGES, pcp counts and pageblock types against the
// page flags of every zone; prints each inconsistency; returns how many were found.
unsigned long check_page_alloc();

// --- ledger ----------------------------------------------------------------------------------
struct page_alloc_ledger {
	unsigned long free_total;                           // buddy free pages, all zones
	unsigned long free_zone[MAX_NUMNODES][MAX_NR_ZONES]; // buddy free pages per zone
	unsigned long pcp_total;                            // pages on per-CPU lists
	unsigned long pcp_cpu[NR_CPUS];
	unsigned long managed_total;
	unsigned long bad_pages;
	bool operator==(const page_alloc_ledger &o) const;
};
page_alloc_ledger page_alloc_ledger_snapshot();

// --- internal, shared with mm_init/vmstat/page_debug and tests ------------------------------
// The general paths that the order-0 fast paths (alloc_order0_fast, free_unref_page0) must
// agree with: __alloc_pages() is alloc_pages() without it, __free_pages_general() is
// __free_pages() without it. The host suite drives both with one operation stream.
void __free_pages_general(page *p, unsigned order);
void memblock_free_pages(page *p, unsigned order);
void init_single_page(page *p, unsigned long pfn, unsigned zone, int nid);
void zone_init_free_lists(zone *z);
void setup_zone_pageset(zone *z);
int zone_batchsize(const zone *z);
int zone_highsize(const zone *z, int batch);
// page_poison: fill freed pages with PAGE_POISON; on allocation report changed bytes.
void kernel_poison_pages(page *p, unsigned long n);
void kernel_unpoison_pages(page *p, unsigned long n);
// Corruption reports made by kernel_unpoison_pages since boot.
extern unsigned long page_poison_errors;
// Printing the free areas as warn_alloc/show_mem does.
void show_free_areas();
// Name of the running context for reports (core/panic.h current_comm).
const char *page_alloc_current_comm();
// Resets all allocator state (nodes, zones, counters, parameters) for the host suite.
void page_alloc_reset_for_test();
#if defined(HOST_TEST)
// Host suite: the callee-side lock checks must be able to fail. These call the buddy's
// internals the way a caller that forgot the lock would: __free_one_page() without zone->lock
// (p: an order-0 page the test owns, refcount already dropped to 0) and free_pcppages_bulk()
// with IRQs on (nothing on the list moves).
void free_one_page_without_lock_for_test(page *p);
void free_pcppages_bulk_irqs_on_for_test(zone *z);
#endif
