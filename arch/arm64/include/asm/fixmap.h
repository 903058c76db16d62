// Fixmap: compile-time virtual slots for mappings needed before (or outside) the page
// allocator: the device tree, the early console, temporary page-table windows.
// The L3 tables are static (head.S links them into init_pg_dir), so setting a slot never
// allocates and cannot fail.
#pragma once

#include <asm/memory.h>

#include "kstd/types.h"

enum class FixSlot : unsigned {
	// The FDT window: MAX_FDT_SIZE (2 MiB) plus one page because the blob need not be page
	// aligned.
	FdtBegin = 0,
	FdtEnd = FdtBegin + 513,
	Earlycon = FdtEnd,
	EarlyconEnd = Earlycon + 4, // up to 16 KiB of UART registers
	IoremapBegin,               // early_ioremap pool: 2 MiB of permanent device mappings
	IoremapEnd = IoremapBegin + 512,
	Pte = IoremapEnd,           // temporary window for a page-table page (paging_init)
	Pmd,
	Pud,
	Count,
};
static_assert(static_cast<unsigned>(FixSlot::Count) <= EARLY_FIXMAP_PTE_TABLES * 512);

enum class FixProt { Normal, NormalRO, Device };

constexpr u64 fix_to_virt(FixSlot s) { return FIXADDR_START + (static_cast<u64>(s) << PAGE_SHIFT); }

// Maps one page at slot (pa must be page aligned) with break-before-make and TLB maintenance.
void __set_fixmap(FixSlot slot, PhysAddr pa, FixProt prot);
void clear_fixmap(FixSlot slot);
// Permanent device mappings from the fixmap pool (Device-nGnRnE, never executable), for
// drivers that start before vmalloc exists. Returns nullptr (with a message) when the pool is
// exhausted. The same physical page mapped twice gets two slots; callers map once at probe.
void *early_ioremap(PhysAddr pa, u64 size);

// Maps [pa, pa+size) starting at slot; returns the VA of pa (which need not be aligned).
void *fixmap_remap(FixSlot first, FixSlot last, PhysAddr pa, u64 size, FixProt prot);
