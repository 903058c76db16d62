#include <asm/fixmap.h>
#include <asm/setup.h>
#include <asm/sysreg.h>
#include <asm/memory.h>

#include <asm/mmu.h>

#include "drivers/psci.h"
#include "kernel/console.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "mm/dt_memory.h"
#include "mm/memblock.h"

BootInfo boot_info;
u64 kimage_voffset;

unsigned id_aa64mmfr0_pa_bits()
{
	static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52};
	unsigned r = read_sysreg(id_aa64mmfr0_el1) & 0xf;
	// 52-bit PAs need the 64 KiB granule or LPA2; with 4 KiB pages the limit is 48 bits.
	return r < 6 ? bits[r] : 48;
}

// Linux's fixmap_remap_fdt: map the header, check the size it claims, then map the whole
// blob (at most MAX_FDT_SIZE). The FDT must be 8-byte aligned (booting.rst). Validation is
// early_init_dt_scan's job; this only makes the bytes readable.
void *map_fdt()
{
	PhysAddr pa = boot_info.fdt_pa;
	if (pa.value() == 0 || !pa.is_aligned(8)) {
		pr_emerg("FDT: invalid device tree address %#lx (x0 at entry); the loader must pass a DTB\n",
			 (unsigned long)pa.value());
		return nullptr;
	}
	const u8 *hdr = static_cast<const u8 *>(
		fixmap_remap(FixSlot::FdtBegin, FixSlot::FdtEnd, pa, 40, FixProt::NormalRO));
	u32 total = of::be32_at(hdr + 4);
	usize want = total < of::MAX_FDT_SIZE ? total : of::MAX_FDT_SIZE;
	if (want < 40)
		want = 40;
	void *fdt = fixmap_remap(FixSlot::FdtBegin, FixSlot::FdtEnd, pa, want, FixProt::NormalRO);
	boot_info.fdt = fdt;
	boot_info.fdt_mapped = want;
	return fdt;
}

of::DeviceTree setup_arch()
{
	void *fdt = map_fdt();
	if (!fdt)
		panic("no device tree");
	auto info = early_init_dt_scan(fdt, boot_info.fdt_mapped, boot_info.pa_bits);
	// The command line and console come first so that any failure below is visible.
	of::DeviceTree dt = of::boot_tree();
	if (dt.valid()) {
		// Linux's setup_machine_fdt: the machine's name for the log and every report.
		auto model = dt.root().read_string("model");
		auto compat = dt.root().read_string("compatible");
		const char *name = !model.is_error() ? model.value() : !compat.is_error() ? compat.value() : nullptr;
		if (name) {
			pr_info("Machine model: %s\n", name);
			dump_stack_set_arch_desc(name);
		}
		parse_early_params(boot_command_line());
		if (console_init(dt).is_error())
			pr_emerg("No console: nothing more can be shown\n");
		if (psci_dt_init(dt).is_error())
			pr_info("psci: not present, power off via board drivers\n");
	}
	if (info.is_error())
		panic("%s", early_init_dt_strerror(info.error()));

	ArchMemblockInfo arch{};
	arch.dt_phys = boot_info.fdt_pa.value();
	arch.kernel_start = __pa_symbol(_text).value();
	arch.kernel_size = reinterpret_cast<u64>(_end) - reinterpret_cast<u64>(_text);
	arch.linear_region_size = PAGE_END - PAGE_OFFSET;
	if (auto r = early_init_dt_memblock(info.value(), arch); r.is_error())
		panic("memblock setup from the device tree failed (%s)", r.error().name());
	// arm64's numa fallback: everything on node 0 unless the DT named nodes.
	bool numa = false;
	for (unsigned long i = 0; i < memblock.memory.cnt; i++)
		numa |= memblock.memory.regions[i].nid != 0 && memblock.memory.regions[i].nid != NUMA_NO_NODE &&
			memblock.memory.regions[i].nid != MAX_NUMNODES;
	if (!numa)
		(void)memblock_set_node(0, PHYS_ADDR_MAX, &memblock.memory, 0);
	memblock_dump_all();

	paging_init();
	memblock_allow_resize();
	return dt;
}

// The linear map's parameters (mm/memory_model.h): fixed by paging_init.
u64 memstart_addr;
uptr linear_map_base = PAGE_OFFSET;
