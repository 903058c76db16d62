// arm64 memory bring-up (Linux's arch/arm64/mm/init.c): bootmem_init builds the memory map
// and the zones from memblock, mem_init hands memblock's free memory to the buddy allocator and
// prints the Memory line, and __kernel_map_pages is debug_pagealloc's hook into the linear
// map. Kernel only: it reads linker symbols and the MMU; the logic it calls is host-tested.
#include <asm/memory.h>
#include <asm/mmu.h>

#include "core/panic.h"
#include "lib/of/of.h"
#include "mm/cma.h"
#include "mm/memblock.h"
#include "mm/mmzone.h"
#include "mm/page_alloc.h"
#include "mm/sparse.h"

unsigned zone_dma_bits;
phys_addr_t arm64_dma_phys_limit;

// Linux's max_zone_phys: the first address above a zone limited to zone_bits, clipped to RAM.
static phys_addr_t max_zone_phys(unsigned zone_bits)
{
	phys_addr_t zone_mask = zone_bits >= 64 ? PHYS_ADDR_MAX : (phys_addr_t(1) << zone_bits) - 1;
	phys_addr_t phys_start = memblock_start_of_DRAM();
	if (phys_start > 0xffffffffull)
		zone_mask = PHYS_ADDR_MAX;
	else if (phys_start > zone_mask)
		zone_mask = 0xffffffffull;
	phys_addr_t end = memblock_end_of_DRAM() - 1;
	return (zone_mask < end ? zone_mask : end) + 1;
}

// Linux 6.1 arm64 zone_sizes_init: ZONE_DMA is min(32 bits, the DT's DMA limit) wide (there is
// no ACPI/IORT here), ZONE_DMA32 ends at 4 GiB. Without a dma-ranges limit (QEMU virt) ZONE_DMA
// covers the first 4 GiB of RAM and DMA32 is empty; with a 30-bit limit (Pi 4) DMA is the first
// GiB and DMA32 the rest below 4 GiB. GFP_DMA32 then falls back to ZONE_DMA via the zonelist.
static void zone_sizes_init()
{
	unsigned long max_zone_pfn[MAX_NR_ZONES] = {};
	u64 dma_max = of::boot_tree().valid() ? of::boot_tree().dma_max_cpu_address() : PHYS_ADDR_MAX;
	unsigned dt_zone_dma_bits = kstd::fls64(dma_max);
	zone_dma_bits = dt_zone_dma_bits < 32 ? dt_zone_dma_bits : 32;
	arm64_dma_phys_limit = max_zone_phys(zone_dma_bits);
	max_zone_pfn[ZONE_DMA] = arm64_dma_phys_limit >> PAGE_SHIFT;
	max_zone_pfn[ZONE_DMA32] = max_zone_phys(32) >> PAGE_SHIFT;
	max_zone_pfn[ZONE_NORMAL] = memblock_end_of_DRAM() >> PAGE_SHIFT;
	free_area_init(max_zone_pfn);
}

void bootmem_init()
{
	// vmemmap + pfn is the struct page of pfn; the region starts at PHYS_OFFSET's pfn.
	vmemmap = reinterpret_cast<page *>(VMEMMAP_START) - (memstart_addr >> PAGE_SHIFT);
	if (sparse_init().is_error())
		panic("sparse_init: cannot allocate the memory map");
	zone_sizes_init();
	// cma= after the zones are sized: its default place is below the end of ZONE_DMA.
	dma_contiguous_reserve(arm64_dma_phys_limit);
}

void mem_init()
{
	memblock_free_all();
	kernel_image_sizes sizes{};
	sizes.code = reinterpret_cast<u64>(_etext) - reinterpret_cast<u64>(_text);
	sizes.rodata = reinterpret_cast<u64>(__end_rodata) - reinterpret_cast<u64>(__start_rodata);
	sizes.rwdata = reinterpret_cast<u64>(_edata) - reinterpret_cast<u64>(_sdata);
	sizes.bss = reinterpret_cast<u64>(__bss_stop) - reinterpret_cast<u64>(__bss_start);
	sizes.init = 0;
	mem_init_print_info(sizes);
}

void __kernel_map_pages(page *p, int numpages, int enable)
{
	set_linear_pages_valid(reinterpret_cast<u64>(page_address(p)), numpages, enable != 0);
}
