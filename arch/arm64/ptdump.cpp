#include "arch/arm64/ptdump.h"

#include <asm/memory.h>
#include <asm/sysreg.h>

#include "core/printk.h"
#include "core/console_cmd.h"
#include "lib/of/of.h"
#include "mm/memory_model.h"

// A table's virtual alias: the image's own tables through the kernel mapping, everything
// else through the linear map once paging_init has built it.
bool linear_map_ready;
static const u64 *table_va(u64 pa)
{
	u64 img_lo = __pa_symbol(_text).value(), img_hi = __pa_symbol(_end).value();
	if (pa >= img_lo && pa < img_hi)
		return reinterpret_cast<const u64 *>(pa + kimage_voffset);
	if (linear_map_ready)
		return static_cast<const u64 *>(phys_to_virt(PhysAddr(pa)));
	return nullptr;
}

namespace {

struct Range {
	u64 start = 0, end = 0, attrs = 0;
	int level = 0;
	bool open = false;
};

constexpr u64 ATTR_MASK = PTE_USER | PTE_RDONLY | PTE_SHARED | PTE_AF | PTE_NG | PTE_PXN | PTE_UXN | (7 << 2);

struct Walker {
	bool print;
	PtdumpStats st{};
	Range cur;

	void flush()
	{
		if (!cur.open || !print)
			return;
		static const char *const lvl[] = {"PGD", "PUD", "PMD", "PTE"};
		u64 size = cur.end - cur.start;
		char unit = 'K';
		u64 n = size >> 10;
		if (n >= 1024 && (n & 1023) == 0) {
			n >>= 10;
			unit = 'M';
		}
		if (n >= 1024 && (n & 1023) == 0) {
			n >>= 10;
			unit = 'G';
		}
		u64 a = cur.attrs;
		const char *mt = "MEM/NORMAL";
		switch ((a >> 2) & 7) {
		case MT_DEVICE_nGnRnE: mt = "DEVICE/nGnRnE"; break;
		case MT_DEVICE_nGnRE: mt = "DEVICE/nGnRE"; break;
		case MT_NORMAL_NC: mt = "MEM/NORMAL-NC"; break;
		}
		bool wx = !(a & PTE_RDONLY) && !(a & PTE_PXN);
		console_printf("0x%016lx-0x%016lx %9lu%c %s %s %s %s %s %s %s %s %s%s\n", (unsigned long)cur.start,
			       (unsigned long)cur.end, (unsigned long)n, unit, lvl[cur.level], a & PTE_USER ? "USR" : "   ",
			       a & PTE_RDONLY ? "ro" : "RW", a & PTE_PXN ? "NX" : "x ", a & PTE_SHARED ? "SHD" : "   ",
			       a & PTE_AF ? "AF" : "  ", a & PTE_NG ? "NG" : "  ", a & PTE_UXN ? "UXN" : "   ", mt,
			       wx ? "  <-- W+X!" : "");
	}

	void leaf(u64 va, u64 size, u64 desc, int level)
	{
		u64 a = desc & ATTR_MASK;
		u64 pages = size >> PAGE_SHIFT;
		st.pages_mapped += pages;
		if (!(a & PTE_RDONLY) && !(a & PTE_PXN))
			st.wx_pages += pages;
		if (a & PTE_USER)
			st.user_pages += pages;
		if (cur.open && cur.end == va && cur.attrs == a && cur.level == level) {
			cur.end = va + size;
			return;
		}
		flush();
		cur = {va, va + size, a, level, true};
	}

	void hole()
	{
		flush();
		cur.open = false;
	}

	void walk(u64 table_pa, u64 va_base, int level)
	{
		const u64 *t = table_va(table_pa);
		if (!t) {
			st.tables_skipped++;
			hole();
			return;
		}
		unsigned shift = 39 - 9 * level;
		for (unsigned i = 0; i < 512; i++) {
			u64 d = t[i];
			u64 va = va_base + (u64(i) << shift);
			if (!(d & PTE_VALID)) {
				hole();
				continue;
			}
			if (level < 3 && (d & PTE_TABLE))
				walk(d & PTE_ADDR_MASK, va, level + 1);
			else if (level == 3 && !(d & PTE_TABLE))
				hole(); // reserved encoding at L3
			else
				leaf(va, u64(1) << shift, d, level);
		}
	}
};

} // namespace

PtdumpStats ptdump_walk_kernel(bool print)
{
	Walker w{print};
	w.walk(read_sysreg(ttbr1_el1) & PTE_ADDR_MASK, 0xffff000000000000ull, 0);
	w.hole();
	return w.st;
}

static int cmd_ptdump(int, char **)
{
	PtdumpStats s = ptdump_walk_kernel(true);
	console_printf("%lu pages mapped, %lu W+X, %lu user-accessible, %lu tables unreachable\n",
		       (unsigned long)s.pages_mapped, (unsigned long)s.wx_pages, (unsigned long)s.user_pages,
		       (unsigned long)s.tables_skipped);
	return s.wx_pages ? 1 : 0;
}
CONSOLE_CMD(cmd_ptdump_rec, "ptdump", "dump the kernel page tables and check W^X", cmd_ptdump);
