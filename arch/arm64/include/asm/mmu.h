// The arch MMU interface used by mm/ and boot (LK's arch/mmu.h in spirit).
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"

// Builds the linear map of every memblock.memory range (except no-map ones) in the swapper
// tables; afterwards phys_to_virt() works for all RAM and memblock_alloc() may be used.
void paging_init();
// arch/arm64/mm/init.cpp. bootmem_init: the memory map (sparse vmemmap) and the zones, sized
// from memblock and the DT's DMA limit (zone_dma_bits = min(32, the DT's limit), as Linux 6.1;
// arm64_dma_phys_limit the first address above ZONE_DMA), then the CMA areas. mem_init:
// memblock's free memory to the buddy allocator, then the Memory line.
void bootmem_init();
void mem_init();
extern unsigned zone_dma_bits;
extern u64 arm64_dma_phys_limit;
// debug_pagealloc: the linear map is page-granular and pages can be made invalid/valid.
bool linear_map_is_page_granular();
void set_linear_pages_valid(u64 va, int numpages, bool valid);
extern u64 linear_map_pages_4k, linear_map_blocks_2m, linear_map_blocks_1g;

// Kernel mappings made after boot in the vmalloc/ioremap range (mm/vmalloc.cpp).
// Intermediate tables come from the page allocator and are tagged as ours; a tagged table
// is freed as soon as its last entry is cleared. Tables head.S or paging_init built (the
// image's, the fixmap's) are never freed. All of this is serialised by one IRQ-safe lock.
//
// Maps one 4 KiB page at va (page aligned, inside [VMALLOC_START, VMALLOC_END]) to pa with
// prot (PROT_* from asm/sysreg.h). Errors: EINVAL (bad va/pa), EEXIST (va already mapped,
// or covered by a block), ENOMEM (no page for a table; tables made empty by the failure are
// freed again). The mapping is visible to this CPU's table walks on return (dsb ishst; isb);
// no TLB maintenance is needed for an entry that was invalid.
[[nodiscard]] Result map_kernel_page(u64 va, PhysAddr pa, u64 prot);
// Clears every page mapping in [va, va + size) (page aligned, inside the vmalloc range;
// holes are fine), frees the tables that became empty, and invalidates the TLB entries and
// walk caches for the range on all CPUs (tlbi vaae1is per page, vmalle1is for large ranges)
// before a table page goes back to the allocator. The caller frees the mapped pages only
// after this returns.
void unmap_kernel_range(u64 va, u64 size);
// The physical address va (any TTBR1 address) translates to in the kernel tables, following
// blocks too; ENOENT when it is not mapped.
ErrorOr<PhysAddr> kernel_va_to_phys(u64 va);
// Table pages map_kernel_page() holds right now.
unsigned long kernel_pgtable_pages();
// Whether pfn is RAM in the linear map (Linux's pfn_is_map_memory): ioremap refuses those.
// A page that debug_pagealloc has made invalid still counts.
bool pfn_is_map_memory(unsigned long pfn);
