// Kernel page-table dump (Linux's ptdump): walks the TTBR1 tables, prints coalesced ranges
// with their attributes in Linux's format and counts W+X and user-accessible pages.
#pragma once

#include "kstd/types.h"

struct PtdumpStats {
	u64 pages_mapped; // 4 KiB units
	u64 wx_pages;     // writable and executable at EL1
	u64 user_pages;   // accessible from EL0 (never in the kernel half)
	u64 tables_skipped; // tables the walker could not reach (no virtual alias yet)
};

PtdumpStats ptdump_walk_kernel(bool print);
// A page table's virtual address from its physical one (the image's own tables through the
// kernel mapping, the rest through the linear map once it exists), nullptr when unreachable.
const u64 *kernel_table_va(u64 pa);
// Linux's ptdump_check_wx: prints "Checked W+X mappings: passed, no W+X pages found" (or
// FAILED with the counts of W+X and non-UXN pages); true when it passed.
bool ptdump_check_wx();
