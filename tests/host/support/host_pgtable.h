// Counters kept by the host asm/pgtable.h seam (tests/host/support/host_pgtable.cpp).
#pragma once

#include "kstd/types.h"

struct mm_struct;

struct HostTlbLog {
	unsigned long pages = 0, ranges = 0, mms = 0, icache_syncs = 0;
	const mm_struct *last_mm = nullptr;
	unsigned long last_va = 0, last_end = 0;
	mm_struct *switched_to = nullptr;
};
extern HostTlbLog host_tlb;
