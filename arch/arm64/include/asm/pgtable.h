// The arch seam for user page tables (TTBR0): descriptor encoding, TLB maintenance, the
// ASID allocator and the address-space switch. mm/memory.cpp walks and edits the tables
// through these only; the host suite includes this same header (via its asm/ shadow) and
// links tests/host/support/host_pgtable.cpp instead of arch/arm64/user_pgtable.cpp.
//
// Table layout: 4 KiB granule, 48-bit VA, four levels (pgd L0, pud L1, pmd L2, pte L3), 512
// eight-byte entries per table; tables are whole buddy pages reached through the linear map.
//
// Leaf entries for user pages: Normal memory, inner shareable, AF set, nG (the ASID tags the
// TLB entry), AP[1] (EL0 access), PXN always (the kernel never executes user pages), UXN
// unless VM_EXEC, AP[2] (read-only) unless writable. PROT_NONE entries keep the page with
// the valid bit clear and PTE_PROT_NONE set, as Linux does, so the page survives mprotect.
#pragma once

#include "arch/arm64/include/asm/sysreg.h"
#include "kstd/types.h"

struct mm_struct;

inline constexpr unsigned PTRS_PER_TABLE = 512;
inline constexpr unsigned PGTABLE_LEVELS = 4;
// Software bits: the MMU ignores bits [58:55] of a stage-1 descriptor, reserved for software
// (Arm ARM D8.3), and an invalid descriptor's bits are all the kernel's. Linux's positions
// (arch/arm64/include/asm/pgtable-prot.h): 58 PROT_NONE (only with PTE_VALID clear), 56
// special (the shared zero page: no struct page reference to drop). Linux's 55 PTE_DIRTY and
// 57 PTE_DEVMAP stay unused: there is no page cache to write back and no device memory in
// user mappings.
inline constexpr u64 PTE_PROT_NONE = 1ull << 58;
inline constexpr u64 PTE_SPECIAL = 1ull << 56;

inline constexpr u64 PTE_USER_BASE =
	PTE_TYPE_PAGE | PTE_ATTRINDX(MT_NORMAL) | PTE_SHARED | PTE_AF | PTE_NG | PTE_USER | PTE_PXN;

inline constexpr unsigned pgtable_level_shift(int level) { return 39 - 9 * level; }
inline constexpr unsigned pgtable_index(unsigned long va, int level)
{
	return (va >> pgtable_level_shift(level)) & (PTRS_PER_TABLE - 1);
}

inline bool pte_none(u64 pte) { return pte == 0; }
// Valid, or a PROT_NONE entry that still owns its page.
inline bool pte_present(u64 pte) { return (pte & (PTE_VALID | PTE_PROT_NONE)) != 0; }
inline bool pte_valid(u64 pte) { return (pte & PTE_VALID) != 0; }
inline bool pte_write(u64 pte) { return pte_valid(pte) && !(pte & PTE_RDONLY); }
inline bool pte_user_exec(u64 pte) { return pte_valid(pte) && !(pte & PTE_UXN); }
inline bool pte_special(u64 pte) { return (pte & PTE_SPECIAL) != 0; }
inline unsigned long pte_pfn(u64 pte) { return (pte & PTE_ADDR_MASK) >> 12; }
inline bool table_present(u64 desc) { return (desc & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE); }
inline u64 mk_table_desc(unsigned long pfn) { return (u64(pfn) << 12) | PTE_VALID | PTE_TABLE; }

// The leaf entry for pfn in a VMA with vm_flags (VM_READ/WRITE/EXEC bits as mm_struct.h);
// `writable` false forces read-only (zero page, CoW, file pages before their first write).
inline u64 mk_user_pte(unsigned long pfn, unsigned long vm_flags, bool writable)
{
	constexpr unsigned long R = 0x1, W = 0x2, X = 0x4;
	u64 pte = (u64(pfn) << 12) | PTE_USER_BASE;
	if (!(vm_flags & X))
		pte |= PTE_UXN;
	if (!(vm_flags & W) || !writable)
		pte |= PTE_RDONLY;
	if (!(vm_flags & (R | W | X)))
		pte = (pte & ~u64(PTE_VALID)) | PTE_PROT_NONE;
	return pte;
}

// --- hardware hooks (arch/arm64/user_pgtable.cpp; host: tests/host/support/host_pgtable.cpp) ---
// Publishes a table or leaf entry to the table walker (dsb ishst after the store).
void set_pte(u64 *ptep, u64 pte);
// A batch of entry writes (fork's copy, a zap) publishes them once at its end: each is a
// plain store, then publish_ptes() (dsb ishst) or a TLB flush, whose own dsb does the same.
inline void set_pte_nosync(u64 *ptep, u64 pte) { __atomic_store_n(ptep, pte, __ATOMIC_RELAXED); }
void publish_ptes();
// Invalidates the TLB entries (all levels, so walk caches too) for one user page of mm's
// ASID, inner shareable; waits for completion. A no-op for an mm that never had an ASID.
void flush_tlb_page(const mm_struct *mm, unsigned long va);
void flush_tlb_range(const mm_struct *mm, unsigned long start, unsigned long end);
// Drops every TLB entry of mm's ASID (exit, rollover).
void flush_tlb_mm(const mm_struct *mm);
// Makes a page just written through the linear map coherent with instruction fetch before
// it is mapped executable (dc cvau + ic ivau over the page).
void sync_icache_page(void *kaddr);

// ASIDs: allocates or revalidates mm's ASID (generation rollover flushes every TLB as
// Linux's arm64 asid allocator does) and installs pgd|ASID<<48 in TTBR0.
void check_and_switch_context(mm_struct *mm);
// TTBR0 back to the empty reserved table (no user mappings visible).
void switch_to_kernel_context();
// Releases mm's ASID bookkeeping (the ASID itself is reclaimed at the next rollover).
void destroy_context(mm_struct *mm);
// Counters for tests: TLB invalidations issued, rollovers so far, ASID width.
struct asid_stats {
	unsigned long tlbi_page, tlbi_mm, rollovers;
	unsigned bits;
};
asid_stats asid_get_stats();
