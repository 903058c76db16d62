// Console commands that print what tools/gdb/mmkernel.py's lx-pgwalk and lx-page print, in the
// same text: the two views of one state can be compared line by line (tools/run_tests.py,
// kgdb_gdb_helpers). The page-table walk reads every entry through a probe, so a table freed
// meanwhile gives "(unreadable)" rather than an oops.
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>

#include "core/console_cmd.h"
#include "kernel/extable.h"
#include "kernel/sched.h"
#include "lib/parse.h"
#include "mm/memory_model.h"
#include "mm/mm_struct.h"
#include "mm/mmzone.h"
#include "mm/page-flags.h"
#include "mm/sparse.h"

namespace {

// The virtual alias of a table page: the image's own tables (head.S) at their image address,
// the others in the linear map (arch/arm64/mmu.cpp's table_va).
u64 table_va(u64 pa)
{
	u64 lo = __pa_symbol(_text).value(), hi = __pa_symbol(_end).value();
	if (pa >= lo && pa < hi)
		return pa + kimage_voffset;
	return reinterpret_cast<u64>(phys_to_virt(PhysAddr(pa)));
}

// pgwalk VA [PID]: the tables TTBR1 (kernel addresses) or the task's mm (user addresses) use,
// one entry per level as Linux's show_pte prints them, then where the address goes.
int cmd_pgwalk(int argc, char **argv)
{
	u64 va, pid = 0;
	const char *end;
	if (argc < 2 || argc > 3 || !kstd::parse_u64(argv[1], &end, 16, &va) || *end ||
	    (argc == 3 && (!kstd::parse_u64(argv[2], &end, 10, &pid) || *end))) {
		console_printf("usage: pgwalk <hex VA> [pid]\n");
		return 1;
	}
	u64 pgd_pa;
	const char *which;
	task_struct *t = nullptr;
	if (va < (1ull << VA_BITS)) {
		t = pid ? find_get_task_by_pid(static_cast<int>(pid)) : nullptr;
		if (!t || !t->mm) {
			console_printf("pgwalk: %s\n", pid ? "no such process, or it has no user address space"
							   : "a user address needs a pid");
			if (t)
				put_task_struct(t);
			return 1;
		}
		pgd_pa = virt_to_phys(t->mm->pgd).value();
		which = "user";
	} else {
		pgd_pa = read_sysreg(ttbr1_el1) & PTE_ADDR_MASK;
		which = "swapper";
	}
	console_printf("%s pgtable: 4k pages, %u-bit VAs, pgdp=%016lx\n", which, (unsigned)VA_BITS, (unsigned long)pgd_pa);
	static const char *const names[] = {"pgd", "pud", "pmd", "pte"};
	u64 table = pgd_pa, desc = 0;
	int lvl = 0;
	console_printf("[%016lx] ", (unsigned long)va);
	for (;; lvl++) {
		u64 *slot = reinterpret_cast<u64 *>(table_va(table)) + ((va >> (39 - 9 * lvl)) & 511);
		if (__probe_read64(&desc, slot) != 0) {
			console_printf("%s(unreadable)\n", lvl ? ", " : "");
			lvl = -1;
			break;
		}
		console_printf("%s%s=%016lx", lvl ? ", " : "", names[lvl], (unsigned long)desc);
		if (lvl == 0) // the P4D is folded into the PGD: Linux prints the same entry twice
			console_printf(", p4d=%016lx", (unsigned long)desc);
		if (lvl == 3 || !table_present(desc))
			break;
		table = desc & PTE_ADDR_MASK;
	}
	if (lvl >= 0) {
		console_printf("\n");
		bool mapped = (desc & PTE_VALID) && (lvl == 3 ? (desc & 3) == 3 : (desc & 3) == 1);
		if (mapped) {
			u64 size_bits = 12 + 9 * (3 - lvl);
			u64 pa = (desc & PTE_ADDR_MASK & ~((1ull << size_bits) - 1)) | (va & ((1ull << size_bits) - 1));
			console_printf("maps to phys %#lx (%s)\n", (unsigned long)pa,
				       lvl == 3 ? "4K page" : lvl == 2 ? "2M block" : "1G block");
		} else {
			console_printf("not mapped\n");
		}
	}
	if (t)
		put_task_struct(t);
	return 0;
}

const char *const pageflag_names[] = {
	"locked", "referenced", "uptodate", "dirty", "lru", "active", "workingset", "waiters",
	"error", "slab", "owner_priv_1", "arch_1", "reserved", "private", "private_2", "writeback",
	"head", "mappedtodisk", "reclaim", "swapbacked", "unevictable", "mlocked",
};
static_assert(sizeof(pageflag_names) / sizeof(pageflag_names[0]) == __NR_PAGEFLAGS);

// pageinfo PFN: Linux's dump_page lines (refcount, mapcount, mapping, index; the flags by name
// with node and zone), the page type, and the migratetype of the page's pageblock.
int cmd_pageinfo(int argc, char **argv)
{
	u64 pfn;
	const char *end;
	if (argc != 2 || !kstd::parse_u64(argv[1], &end, 16, &pfn) || *end) {
		console_printf("usage: pageinfo <hex pfn>\n");
		return 1;
	}
	if (!pfn_valid(pfn)) {
		console_printf("pageinfo: pfn %#lx has no struct page\n", (unsigned long)pfn);
		return 1;
	}
	const page *p = pfn_to_page(pfn);
	unsigned long flags = __atomic_load_n(&p->flags, __ATOMIC_RELAXED);
	bool typed = page_has_type(p);
	console_printf("page:%016lx refcount:%d mapcount:%d mapping:%016lx index:%#lx pfn:%#lx\n",
		       (unsigned long)reinterpret_cast<uptr>(p), page_ref_count(p), typed ? 0 : p->_mapcount + 1,
		       (unsigned long)reinterpret_cast<uptr>(p->mapping), p->index, (unsigned long)pfn);
	console_printf("flags: %#lx(", flags);
	for (unsigned i = 0; i < __NR_PAGEFLAGS; i++)
		if (flags & (1ul << i))
			console_printf("%s|", pageflag_names[i]);
	console_printf("node=%lu|zone=%lu)\n", (flags >> NODES_PGOFF) & NODES_MASK, (flags >> ZONES_PGOFF) & ZONES_MASK);
	if (typed)
		console_printf("page_type: %#x(%s)\n", p->page_type,
			       PageBuddy(p) ? "buddy" : PageTable(p) ? "table" : PageOffline(p) ? "offline" : "guard");
	int mt = static_cast<int>(get_pfnblock_flags_mask(p, pfn, MIGRATETYPE_MASK));
	console_printf("zone: %s, pageblock migratetype: %s\n", zone_names[(flags >> ZONES_PGOFF) & ZONES_MASK],
		       mt < MIGRATE_TYPES ? migratetype_names[mt] : "?");
	return 0;
}

} // namespace

CONSOLE_CMD(cmd_pgwalk_rec, "pgwalk", "pgwalk <hex VA> [pid]: the page-table walk of an address (as gdb's lx-pgwalk)",
	    cmd_pgwalk);
CONSOLE_CMD(cmd_pageinfo_rec, "pageinfo", "pageinfo <hex pfn>: a struct page decoded (as gdb's lx-page)", cmd_pageinfo);
