// The Contiguous Memory Allocator (Linux 6.1 mm/cma.c and the boot half of
// kernel/dma/contiguous.c).
//
// A CMA area is a run of whole pageblocks that memblock keeps reserved at boot and that the
// page allocator gets as MIGRATE_CMA pageblocks once it works: movable allocations borrow its
// pages (ALLOC_CMA), unmovable ones never see them, and its owner takes contiguous buffers
// from it with cma_alloc() and gives them back with cma_release().
//
// Areas come from a reusable shared-dma-pool /reserved-memory node (the Pis' `linux,cma`:
// mm/dt_memory.cpp calls rmem_cma_setup) and from `cma=nn[KMG][@start[KMG][-end[KMG]]]` on the
// command line (dma_contiguous_reserve). As in Linux, a cma= replaces a DT pool marked
// linux,cma-default ("bypass"), and cma=0 leaves the machine without a default area.
//
// Boot order (the arch's contract, Linux's order):
//   1. parse_early_params: cma= (early_cma);
//   2. early_init_dt_memblock: reserved-memory -> rmem_cma_setup -> cma_init_reserved_mem
//      (memblock keeps the range reserved; totalcma_pages counts it from here on);
//   3. bootmem_init, after the zones are sized: dma_contiguous_reserve(arm64_dma_phys_limit);
//   4. mem_init (memblock_free_all leaves the areas reserved; the Memory line shows them as
//      cma-reserved), then cma_init_reserved_areas() (Linux's core_initcall), before the
//      watermarks are computed, so that they count the CMA pages as Linux's do.
//
// What cma_alloc cannot do yet: page migration comes with the compaction issue (#17). Until
// then cma_alloc takes free pages only (alloc_contig_range on free pageblocks); a page of the
// range that is in use, e.g. a movable page the allocator lent out, makes that range busy, the
// next aligned range is tried, and when none is free cma_alloc returns nullptr with Linux's
// "cma_alloc: <area>: alloc failed" message (unless no_warn).
//
// Locking: an area's bitmap under its own IRQ-safe lock; the pages under zone->lock inside the
// page allocator; cma_mutex-like serialisation of alloc_contig_range by cma_alloc_lock.
// The boot functions (steps 1-4) run single-threaded before other CPUs start.
#pragma once

#include "core/spinlock.h"
#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"

struct page;

// Linux: 1 + CONFIG_CMA_AREAS (7 without NUMA).
inline constexpr unsigned MAX_CMA_AREAS = 8;
inline constexpr usize CMA_MAX_NAME = 64;

struct cma {
	unsigned long base_pfn = 0;
	unsigned long count = 0;          // pages; 0 once activation failed
	unsigned long *bitmap = nullptr;  // bit n: pages [n << order_per_bit, ...) are allocated
	unsigned order_per_bit = 0;
	unsigned bitmap_order = 0;        // the bitmap is 2^bitmap_order pages from the buddy
	SpinLock lock;
	char name[CMA_MAX_NAME] = {};
	// Linux's CMA_SYSFS counters: pages handed out and pages asked for in vain.
	unsigned long nr_pages_succeeded = 0;
	unsigned long nr_pages_failed = 0;
};

// --- boot (mm/cma_early.cpp) -----------------------------------------------------------------
// Registers [base, base + size), already reserved in memblock, as an area. EINVAL: size 0, not
// reserved, not CMA_MIN_ALIGNMENT_BYTES (one pageblock) aligned, or not all mapped memory;
// ENOSPC: no slot left.
[[nodiscard]] ErrorOr<cma *> cma_init_reserved_mem(phys_addr_t base, phys_addr_t size, unsigned order_per_bit,
						   const char *name);
// Reserves size bytes in memblock (at exactly base when fixed, else anywhere in [base, limit),
// limit 0 meaning the end of DRAM) and registers them; Linux's messages ("cma: Reserved %ld MiB
// at %pa", "cma: Failed to reserve %ld MiB"). EINVAL for bad arguments, EBUSY when a fixed range
// is taken, ENOMEM when nothing fits.
[[nodiscard]] ErrorOr<cma *> cma_declare_contiguous_nid(phys_addr_t base, phys_addr_t size, phys_addr_t limit,
							phys_addr_t alignment, unsigned order_per_bit, bool fixed,
							const char *name, int nid);
// rmem_cma_setup for a reusable, mapped shared-dma-pool node: EBUSY when cma= replaces a
// default pool (the caller releases it), EINVAL when misaligned or not registrable.
[[nodiscard]] Result rmem_cma_setup(const char *name, phys_addr_t base, phys_addr_t size, bool is_default);
// cma= (an EARLY_PARAM). EINVAL, with the accepted syntax in the message and the earlier
// setting kept, for anything but nn[KMG][@start[KMG][-end[KMG]]].
Result early_cma(const char *p);
// The global area from cma= (Linux's CONFIG_CMA_SIZE_MBYTES is 0 here: none without cma=),
// placed below limit (the end of ZONE_DMA, as arm64 passes) unless cma= gives its own range.
void dma_contiguous_reserve(phys_addr_t limit);
// The area dma_alloc_coherent would use: linux,cma-default or cma=. nullptr when none.
extern cma *dma_contiguous_default_area;
extern cma cma_areas[MAX_CMA_AREAS];
extern unsigned cma_area_count;
inline kstd::span<cma> cma_area_list() { return {cma_areas, cma_area_count}; }

// --- after the buddy allocator is up (mm/cma.cpp) --------------------------------------------
// Linux's cma_init_reserved_areas: every area's pages go to the buddy as MIGRATE_CMA
// pageblocks (managed pages and cma_pages grow, CmaFree with them). An area that cannot be
// activated (no bitmap, several zones, no memmap) is reported ("CMA area %s could not be
// activated") and its pages are freed as ordinary memory; totalcma_pages drops by its size.
void cma_init_reserved_areas();
// count contiguous pages aligned to 2^align pages (each page refcount 1), or nullptr: no area,
// count 0 or too big, or no free aligned range (see the limitation above).
page *cma_alloc(cma *area, unsigned long count, unsigned align, bool no_warn);
// True when pages lies in the area (nullptr-safe).
bool cma_pages_valid(const cma *area, const page *pages, unsigned long count);
// Frees pages [pages, pages + count) from cma_alloc; false (nothing freed) when they are not
// the area's.
bool cma_release(cma *area, const page *pages, unsigned long count);
phys_addr_t cma_get_base(const cma *area);
unsigned long cma_get_size(const cma *area);
const char *cma_get_name(const cma *area);
// Pages of the area that cma_alloc handed out (bits set, in pages).
unsigned long cma_used_pages(cma *area);
// Length in pages of the longest run of pages cma_alloc has not handed out.
unsigned long cma_maxchunk_pages(cma *area);

// Host tests and the fuzzer: forget every area (totalcma_pages back to 0) and the cma= setting.
void cma_reset_for_test();
