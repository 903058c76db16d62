#include <asm/fixmap.h>
#include <asm/setup.h>
#include <asm/sysreg.h>
#include <asm/memory.h>

#include "kernel/printk.h"

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
// blob (at most MAX_FDT_SIZE). The FDT must be 8-byte aligned (booting.rst).
of::DeviceTree setup_fdt()
{
	PhysAddr pa = boot_info.fdt_pa;
	if (pa.value() == 0 || !pa.is_aligned(8)) {
		pr_emerg("FDT: invalid device tree address %#lx (x0 at entry); the loader must pass a DTB\n",
			 (unsigned long)pa.value());
		return {};
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
	auto dt = of::DeviceTree::try_create(fdt, want);
	if (dt.is_error()) {
		pr_emerg("FDT: the device tree at PA %#lx is unusable (%s)\n", (unsigned long)pa.value(),
			 dt.error().name());
		return {};
	}
	return dt.value();
}

// The linear map's parameters (mm/memory_model.h): fixed by paging_init.
u64 memstart_addr;
uptr linear_map_base = PAGE_OFFSET;
