// Device tree -> memblock: finds RAM and what must stay reserved, with Linux 6.1's outcomes
// (drivers/of/fdt.c early_init_dt_scan_memory, of_reserved_mem.c, arm64_memblock_init).
//
// Boot order (the arch caller's contract):
//   1. info = TRY(early_init_dt_scan(fdt_va, mapped_size, pa_bits))
//        validates the blob (nothing is read before), publishes it as of::boot_tree(), reads
//        /chosen (bootargs -> set_boot_command_line, initrd, stdout-path, seeds) and adds
//        every /memory range to memblock.memory, trimmed to whole pages and clipped to
//        [0, 2^pa_bits) (pa_bits from ID_AA64MMFR0_EL1.PARange).
//        Errors: ENOENT = no usable memory -> panic("No memory found in device tree");
//        anything else = the blob is unusable (message printed) -> panic("Invalid device
//        tree"). early_init_dt_strerror() gives these texts.
//   2. parse_early_params(boot_command_line())  -> mem=, memmap=, memblock=debug, ...
//   3. early_init_dt_memblock(info, arch): Linux setup_machine_fdt + arm64_memblock_init order:
//        reserve the DTB (exact totalsize, as Linux), memmap= holes (memblock_remove),
//        mem= (memblock_mem_limit_remove_map, then the kernel image added back), the initrd
//        (page-aligned: added back, nomap cleared, reserved), the kernel image and the arch's
//        extra ranges (early page tables) reserved, then /memreserve/ entries and
//        /reserved-memory (reg: reserved or nomap; size: allocated with alignment and
//        alloc-ranges; shared-dma-pool reusable -> a CMA area in dt_cma_areas()), and last
//        the numa-node-id of each /memory node (memblock_set_node; Linux of_numa_init runs
//        after arm64_memblock_init). Memory without an id keeps MAX_NUMNODES: a non-NUMA
//        boot's "all memory is node 0" (Linux dummy_numa_init) is the NUMA code's job.
//   Reservations of DT ranges outside memory are reported and still made (Linux).
//   memblock=debug output and memblock_dump_all() are the caller's/memblock's business.
#pragma once

#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"
#include "lib/of/of.h"

// Built-in command line used when /chosen has no bootargs (Linux CONFIG_CMDLINE).
#ifndef CONFIG_CMDLINE
#define CONFIG_CMDLINE ""
#endif

// Linux's MAX_RESERVED_REGIONS: /reserved-memory children beyond this are reported, unused.
inline constexpr usize MAX_RESERVED_REGIONS = 64;
// CMA areas must be whole pageblocks (4 KiB pages, pageblock_order 9): 2 MiB.
inline constexpr u64 CMA_MIN_ALIGNMENT_BYTES = SZ_2M;
// Default alignment of dynamic reserved-memory allocations (Linux uses SMP_CACHE_BYTES, 64 on arm64).
inline constexpr u64 RESERVED_MEM_DEFAULT_ALIGN = 64;
// memmap=nn$ss ranges remembered between parse_early_params and early_init_dt_memblock.
inline constexpr usize MAX_MEMMAP_RANGES = 16;

struct DtBootInfo {
	of::DeviceTree tree;
	u32 fdt_size = 0;           // fdt_totalsize: what early_init_dt_memblock reserves
	of::Cells root_cells{2, 1}; // the root's #address-cells/#size-cells (memory, reserved)
	unsigned pa_bits = 0;
	const char *bootargs = "";  // /chosen bootargs or CONFIG_CMDLINE (never null)
	bool bootargs_from_dt = false;
	bool has_initrd = false;
	u64 initrd_start = 0;
	u64 initrd_size = 0;
	bool has_stdout = false;
	of::StdoutPath stdout_path{};
	bool has_kaslr_seed = false;
	u64 kaslr_seed = 0;
	kstd::span<const u8> rng_seed{}; // empty when absent
};

// What only the arch code knows, for step 3.
struct ArchMemblockInfo {
	u64 dt_phys = 0;                     // physical address of the DTB
	u64 kernel_start = 0;                // __pa(_text)
	u64 kernel_size = 0;                 // _end - _text
	kstd::span<const of::RegEntry> extra_reserved{}; // e.g. early page tables
	// Bytes the linear map can cover from the start of DRAM (0: no limit); an initrd beyond
	// it is dropped with a warning, as Linux.
	u64 linear_region_size = 0;
};

// One /reserved-memory child (Linux struct reserved_mem).
struct ReservedMem {
	const char *name;  // node name in the blob
	u64 base;
	u64 size;
	u32 phandle;       // 0 when none
	bool nomap;
	bool reusable;
	of::Node node;     // the node (through the tree, so its lookups use the index)
};

// A reusable region registered as a CMA area (Linux rmem_cma_setup succeeded; mm/cma.h).
struct CmaArea {
	const char *name;
	u64 base;
	u64 size;
	bool is_default;   // linux,cma-default: the default area for dma_alloc_coherent
};

// ID_AA64MMFR0_EL1.PARange (bits [3:0]) -> physical address bits, as Linux's
// id_aa64mmfr0_parange_to_phys_shift; reserved encodings give 48.
constexpr unsigned pa_bits_from_mmfr0(u64 mmfr0)
{
	switch (mmfr0 & 0xf) {
	case 0: return 32;
	case 1: return 36;
	case 2: return 40;
	case 3: return 42;
	case 4: return 44;
	case 5: return 48;
	case 6: return 52;
	default: return 48;
	}
}

[[nodiscard]] ErrorOr<DtBootInfo> early_init_dt_scan(const void *fdt, usize mapped_size,
						     unsigned pa_bits);
// ENOENT (after "No memory left after memmap=/mem=") when the command line removed all
// memory; EINVAL for an info that early_init_dt_scan did not produce. Either is fatal.
// arch.kernel_start/kernel_size and extra_reserved must be page aligned.
[[nodiscard]] Result early_init_dt_memblock(const DtBootInfo &info, const ArchMemblockInfo &arch);
// Panic text for an early_init_dt_scan error.
const char *early_init_dt_strerror(Error e);

// Set by mem= (PHYS_ADDR_MAX when absent), as Linux's memory_limit.
u64 dt_memory_limit();
kstd::span<const ReservedMem> reserved_mem_regions();
kstd::span<const CmaArea> dt_cma_areas();

// Host tests and the fuzzer: forget mem=, memmap=, the reserved-memory tables and the CMA
// areas made from them (cma_reset_for_test).
void dt_memory_reset_for_test();
