// Boot-time memory-manager bring-up in the kernel (Linux's mm_core_init / arm64 bootmem_init
// and zone_sizes_init), the arch hooks mm/ needs, and the /proc-style console commands.
// Kernel only: it reads linker symbols and the MMU; the logic it calls is host-tested.
#include <asm/memory.h>
#include <asm/mmu.h>

#include "kernel/bench.h"
#include "kernel/console.h"
#include "kernel/ktest.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/shell.h"
#include "lib/of/of.h"
#include "mm/kernel_mm_init.h"
#include "mm/memblock.h"
#include "mm/mmzone.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/sparse.h"
#include "mm/vmalloc.h"
#include "mm/vmstat.h"


unsigned zone_dma_bits; // 0: no ZONE_DMA
MmBootStats mm_boot_stats;

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

// arm64 zone_sizes_init. ZONE_DMA exists only when the device tree limits DMA (dma-ranges):
// on a Pi 4 that gives 30 bits. Where no node limits DMA (QEMU virt), ZONE_DMA stays empty
// and DMA32 covers the first 4 GiB. (Linux 6.1 would then make ZONE_DMA 32 bits wide and
// leave DMA32 empty; the design asks for ZONE_DMA only where the DT asks for it.)
static void zone_sizes_init()
{
	unsigned long max_zone_pfn[MAX_NR_ZONES] = {};
	u64 dma_max = of::boot_tree().valid() ? of::boot_tree().dma_max_cpu_address() : ~u64{0};
	unsigned dt_bits = kstd::fls64(dma_max);
	zone_dma_bits = dt_bits < 32 ? dt_bits : 0;
	phys_addr_t dma_limit = zone_dma_bits ? max_zone_phys(zone_dma_bits) : memblock_start_of_DRAM();
	phys_addr_t dma32_limit = max_zone_phys(32);
	if (dma32_limit < dma_limit)
		dma32_limit = dma_limit;
	max_zone_pfn[ZONE_DMA] = dma_limit >> PAGE_SHIFT;
	max_zone_pfn[ZONE_DMA32] = dma32_limit >> PAGE_SHIFT;
	max_zone_pfn[ZONE_NORMAL] = memblock_end_of_DRAM() >> PAGE_SHIFT;
	free_area_init(max_zone_pfn);
}

void mm_core_init()
{
	// vmemmap + pfn is the struct page of pfn; the region starts at PHYS_OFFSET's pfn.
	vmemmap = reinterpret_cast<page *>(VMEMMAP_START) - (memstart_addr >> PAGE_SHIFT);
	u64 t0 = bench_now_ns();
	if (sparse_init().is_error())
		panic("sparse_init: cannot allocate the memory map");
	zone_sizes_init();
	mm_boot_stats.memmap_init_ns = bench_now_ns() - t0;
	mm_boot_stats.present_bytes = memblock_phys_mem_size();
	memblock_free_all();
	kernel_image_sizes sizes{};
	sizes.code = reinterpret_cast<u64>(_etext) - reinterpret_cast<u64>(_text);
	sizes.rodata = reinterpret_cast<u64>(__end_rodata) - reinterpret_cast<u64>(__start_rodata);
	sizes.rwdata = reinterpret_cast<u64>(_edata) - reinterpret_cast<u64>(_sdata);
	sizes.bss = reinterpret_cast<u64>(__bss_stop) - reinterpret_cast<u64>(__bss_start);
	sizes.init = 0;
	mem_init_print_info(sizes);
	init_per_zone_wmark_min();
	kmem_cache_init();
	// Before "free pages": taking this ledger shrinks every cache and drains the per-CPU page
	// lists, so the free-page count read next does not see slabs SLUB merely keeps cached.
	ktest_register_ledger("slab objects", slab_ledger_objects);
	// Pages in the buddy plus those cached on per-CPU lists, plus pages bad_page() took out of
	// circulation on purpose (a test that corrupts a page loses it from the free count, but no
	// page may vanish unaccounted).
	ktest_register_ledger("free pages", [] {
		page_alloc_ledger l = page_alloc_ledger_snapshot();
		return static_cast<u64>(l.free_total + l.pcp_total + l.bad_pages);
	});
	vmalloc_init();
}

void __kernel_map_pages(page *p, int numpages, int enable)
{
	set_linear_pages_valid(reinterpret_cast<u64>(page_address(p)), numpages, enable != 0);
}

static int cmd_meminfo(int, char **) { show_meminfo(); return 0; }
static int cmd_buddyinfo(int, char **) { show_buddyinfo(); return 0; }
static int cmd_pagetypeinfo(int, char **) { show_pagetypeinfo(); return 0; }
static int cmd_zoneinfo(int, char **) { show_zoneinfo(); return 0; }
static int cmd_vmstat(int, char **) { show_vmstat(); return 0; }
static int cmd_check(int, char **)
{
	unsigned long bad = check_page_alloc();
	console_printf("page allocator check: %lu inconsistencies\n", bad);
	return bad ? 1 : 0;
}
CONSOLE_CMD(cmd_meminfo_rec, "meminfo", "/proc/meminfo", cmd_meminfo);
CONSOLE_CMD(cmd_buddyinfo_rec, "buddyinfo", "/proc/buddyinfo", cmd_buddyinfo);
CONSOLE_CMD(cmd_pagetypeinfo_rec, "pagetypeinfo", "/proc/pagetypeinfo", cmd_pagetypeinfo);
CONSOLE_CMD(cmd_zoneinfo_rec, "zoneinfo", "/proc/zoneinfo", cmd_zoneinfo);
CONSOLE_CMD(cmd_vmstat_rec, "vmstat", "/proc/vmstat", cmd_vmstat);
CONSOLE_CMD(cmd_check_rec, "check", "verify every free list and counter of the page allocator", cmd_check);
