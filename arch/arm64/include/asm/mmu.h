// The arch MMU interface used by mm/ and boot (LK's arch/mmu.h in spirit).
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"

// Builds the linear map of every memblock.memory range (except no-map ones) in the swapper
// tables; afterwards phys_to_virt() works for all RAM and memblock_alloc() may be used.
void paging_init();
// debug_pagealloc: the linear map is page-granular and pages can be made invalid/valid.
bool linear_map_is_page_granular();
void set_linear_pages_valid(u64 va, int numpages, bool valid);
extern u64 linear_map_pages_4k, linear_map_blocks_2m, linear_map_blocks_1g;
