// Host side of the asm/pgtable.h seam: entries are plain stores into the fake RAM; TLB
// maintenance and context switches are counted so tests can check that the fault path and
// the range operations invalidate what they change.
#include <asm/pgtable.h>

#include "tests/host/support/host_pgtable.h"

HostTlbLog host_tlb;

void set_pte(u64 *ptep, u64 pte) { __atomic_store_n(ptep, pte, __ATOMIC_RELEASE); }
void publish_ptes() { __atomic_thread_fence(__ATOMIC_RELEASE); }
void flush_tlb_page(const mm_struct *mm, unsigned long va)
{
	host_tlb.pages++;
	host_tlb.last_mm = mm;
	host_tlb.last_va = va;
}
void flush_tlb_range(const mm_struct *mm, unsigned long start, unsigned long end)
{
	host_tlb.ranges++;
	host_tlb.last_mm = mm;
	host_tlb.last_va = start;
	host_tlb.last_end = end;
}
void flush_tlb_mm(const mm_struct *) { host_tlb.mms++; }
void sync_icache_page(void *) { host_tlb.icache_syncs++; }
void check_and_switch_context(mm_struct *mm) { host_tlb.switched_to = mm; }
void switch_to_kernel_context() { host_tlb.switched_to = nullptr; }
void destroy_context(mm_struct *mm)
{
	if (host_tlb.switched_to == mm)
		host_tlb.switched_to = nullptr;
}
asid_stats asid_get_stats() { return {host_tlb.pages, host_tlb.mms, 0, 16}; }

// mm/vmalloc.cpp is kernel-only: the host suite has no vmalloc space, so meminfo's Vmalloc
// lines read an empty one.
#include "mm/vmalloc.h"
vmalloc_meminfo vmalloc_get_meminfo() { return {0, 0}; }
