#pragma once
// Brings up the page allocator after paging_init (and, as they arrive, slab and vmalloc).
void mm_core_init();
extern unsigned zone_dma_bits;
