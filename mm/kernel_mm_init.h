#pragma once
// Brings up the page allocator after paging_init (and, as they arrive, slab and vmalloc).
void mm_core_init();
extern unsigned zone_dma_bits;

#include "kstd/types.h"
// Boot measurements for `make bench`: time to build the memory map (sparse_init +
// free_area_init) and the RAM it covers.
struct MmBootStats {
	u64 memmap_init_ns;
	u64 present_bytes;
};
extern MmBootStats mm_boot_stats;
