#include "arch/arm64/ptdump.h"

#include <asm/memory.h>
#include <asm/sysreg.h>

#include "core/printk.h"
#include "core/console_cmd.h"
#include "lib/format.h"
#include "lib/of/of.h"
#include "mm/memory_model.h"

// A table's virtual alias: the image's own tables through the kernel mapping, everything
// else through the linear map once paging_init has built it.
bool linear_map_ready;
const u64 *kernel_table_va(u64 pa)
{
	u64 img_lo = __pa_symbol(_text).value(), img_hi = __pa_symbol(_end).value();
	if (pa >= img_lo && pa < img_hi)
		return reinterpret_cast<const u64 *>(pa + kimage_voffset);
	if (linear_map_ready)
		return static_cast<const u64 *>(phys_to_virt(PhysAddr(pa)));
	return nullptr;
}

namespace {

// Linux's arm64 ptdump (arch/arm64/mm/ptdump.c): ranges of equal attributes and level, each
// "0x<start>-0x<end>   <size> <level> <attributes>", an unmapped range as the level of the
// table that lacks it with no attributes, and a "---[ name ]---" line where an area begins.
struct AddrMarker {
	u64 start;
	const char *name;
};
// This kernel's layout in address order (asm/memory.h). There are no modules, PCI I/O or
// KASAN areas; the kernel image has its own area below vmalloc (Linux's sits inside it).
constexpr AddrMarker address_markers[] = {
	{PAGE_OFFSET, "Linear Mapping start"},
	{PAGE_END, "Linear Mapping end"},
	{KIMAGE_VADDR, "Kernel image start"},
	{KIMAGE_VADDR + KIMAGE_SIZE_MAX, "Kernel image end"},
	{VMALLOC_START, "vmalloc() area"},
	{VMALLOC_END + 1, "vmalloc() end"},
	{FIXADDR_START, "Fixmap start"},
	{FIXADDR_TOP, "Fixmap end"},
	{VMEMMAP_START, "vmemmap start"},
	{VMEMMAP_START + VMEMMAP_SIZE, "vmemmap end"},
	{~0ull, nullptr},
};
constexpr AddrMarker check_wx_markers[] = {{0, nullptr}, {~0ull, nullptr}};

struct ProtBits {
	u64 mask, val;
	const char *set, *clear;
};
constexpr u64 PTE_CONT = 1ull << 52, PTE_GP = 1ull << 50, ATTRINDX_MASK = 7 << 2;
constexpr ProtBits pte_bits[] = {
	{PTE_VALID, PTE_VALID, " ", "F"},
	{PTE_USER, PTE_USER, "USR", "   "},
	{PTE_RDONLY, PTE_RDONLY, "ro", "RW"},
	{PTE_PXN, PTE_PXN, "NX", "x "},
	{PTE_SHARED, PTE_SHARED, "SHD", "   "},
	{PTE_AF, PTE_AF, "AF", "  "},
	{PTE_NG, PTE_NG, "NG", "  "},
	{PTE_CONT, PTE_CONT, "CON", "   "},
	{PTE_TABLE, PTE_TABLE, "   ", "BLK"},
	{PTE_UXN, PTE_UXN, "UXN", "   "},
	{PTE_GP, PTE_GP, "GP", "  "},
	{ATTRINDX_MASK, PTE_ATTRINDX(MT_DEVICE_nGnRnE), "DEVICE/nGnRnE", nullptr},
	{ATTRINDX_MASK, PTE_ATTRINDX(MT_DEVICE_nGnRE), "DEVICE/nGnRE", nullptr},
	{ATTRINDX_MASK, PTE_ATTRINDX(MT_NORMAL_NC), "MEM/NORMAL-NC", nullptr},
	{ATTRINDX_MASK, PTE_ATTRINDX(MT_NORMAL), "MEM/NORMAL", nullptr},
	{ATTRINDX_MASK, PTE_ATTRINDX(MT_NORMAL_TAGGED), "MEM/NORMAL-TAGGED", nullptr},
};
constexpr u64 prot_mask()
{
	u64 m = 0;
	for (const ProtBits &b : pte_bits)
		m |= b.mask;
	return m;
}
// Linux's levels with 4 levels of 4 KiB tables: the P4D is folded into the PGD, so an empty
// top-level entry shows as a P4D hole and a leaf at the walk's level n as PUD, PMD, PTE.
const char *const level_name[] = {"PGD", "P4D", "PUD", "PMD", "PTE"};
constexpr int LEAF_LEVEL[] = {0, 2, 3, 4}, HOLE_LEVEL[] = {1, 2, 3, 4};

struct Walker {
	bool print;
	bool check_wx;
	const AddrMarker *marker;
	PtdumpStats st{};
	int level = -1;
	u64 start = 0, prot = 0;
	u64 wx_pages = 0, uxn_pages = 0;

	void out_marker() const
	{
		if (print)
			console_printf("---[ %s ]---\n", marker->name);
	}

	void note_prot(u64 addr)
	{
		if (!check_wx || !prot)
			return;
		if (!(prot & PTE_UXN))
			uxn_pages += (addr - start) / PAGE_SIZE;
		if (!(prot & PTE_RDONLY) && !(prot & PTE_PXN))
			wx_pages += (addr - start) / PAGE_SIZE;
	}

	// Linux's note_page: closes the current range when the attributes, the level or the
	// area change. level -1 with addr 0 ends the walk (Linux prints the last end as 0).
	void note_page(u64 addr, int lvl, u64 val)
	{
		u64 p = lvl >= 0 ? val & prot_mask() : 0;
		if (level == -1) {
			level = lvl;
			prot = p;
			start = addr;
			out_marker();
		} else if (p != prot || lvl != level || addr >= marker[1].start) {
			note_prot(addr);
			if (print) {
				static const char units[] = "KMGTPE";
				const char *unit = units;
				u64 delta = (addr - start) >> 10;
				while (!(delta & 1023) && unit[1]) {
					delta >>= 10;
					unit++;
				}
				char line[192];
				usize n = kstd::scnprintf(line, sizeof(line), "0x%016lx-0x%016lx   %9lu%c %s", (unsigned long)start,
							  (unsigned long)addr, (unsigned long)delta, *unit, level_name[level]);
				if (prot)
					for (const ProtBits &b : pte_bits) {
						const char *t = (prot & b.mask) == b.val ? b.set : b.clear;
						if (t)
							n += kstd::scnprintf(line + n, sizeof(line) - n, " %s", t);
					}
				console_printf("%s\n", line);
			}
			if (addr >= marker[1].start) {
				marker++;
				out_marker();
			}
			start = addr;
			prot = p;
			level = lvl;
		}
		if (addr >= marker[1].start) {
			marker++;
			out_marker();
		}
	}

	void leaf(u64 va, u64 size, u64 desc, int walk_level)
	{
		u64 pages = size >> PAGE_SHIFT;
		st.pages_mapped += pages;
		if (!(desc & PTE_RDONLY) && !(desc & PTE_PXN))
			st.wx_pages += pages;
		if (desc & PTE_USER)
			st.user_pages += pages;
		note_page(va, LEAF_LEVEL[walk_level], desc);
	}

	void walk(u64 table_pa, u64 va_base, int walk_level)
	{
		const u64 *t = kernel_table_va(table_pa);
		if (!t) {
			st.tables_skipped++;
			note_page(va_base, HOLE_LEVEL[walk_level], 0);
			return;
		}
		unsigned shift = 39 - 9 * walk_level;
		for (unsigned i = 0; i < 512; i++) {
			u64 d = t[i];
			u64 va = va_base + (u64(i) << shift);
			if (!(d & PTE_VALID))
				note_page(va, HOLE_LEVEL[walk_level], 0);
			else if (walk_level < 3 && (d & PTE_TABLE))
				walk(d & PTE_ADDR_MASK, va, walk_level + 1);
			else if (walk_level == 3 && !(d & PTE_TABLE))
				note_page(va, HOLE_LEVEL[walk_level], 0); // reserved encoding at L3
			else
				leaf(va, u64(1) << shift, d, walk_level);
		}
	}

	void run()
	{
		walk(read_sysreg(ttbr1_el1) & PTE_ADDR_MASK, PAGE_OFFSET, 0);
		note_page(0, -1, 0);
	}
};

} // namespace

PtdumpStats ptdump_walk_kernel(bool print)
{
	Walker w{print, false, address_markers};
	w.run();
	return w.st;
}

// Linux's ptdump_check_wx (called after the kernel's mappings are final, as mark_rodata_ro
// does): every kernel mapping must be read-only or never executable, and never executable
// from EL0.
bool ptdump_check_wx()
{
	Walker w{false, true, check_wx_markers};
	w.run();
	if (w.wx_pages || w.uxn_pages) {
		pr_warn("Checked W+X mappings: FAILED, %lu W+X pages found, %lu non-UXN pages found\n",
			(unsigned long)w.wx_pages, (unsigned long)w.uxn_pages);
		return false;
	}
	pr_info("Checked W+X mappings: passed, no W+X pages found\n");
	return true;
}

// Linux's /sys/kernel/debug/kernel_page_tables, then the W+X check's verdict.
static int cmd_ptdump(int, char **)
{
	ptdump_walk_kernel(true);
	return ptdump_check_wx() ? 0 : 1;
}
CONSOLE_CMD(cmd_ptdump_rec, "ptdump", "dump the kernel page tables (Linux's kernel_page_tables) and check W+X",
	    cmd_ptdump);
