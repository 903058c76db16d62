// Kernel page tables after boot: the linear map of all RAM (paging_init), the vmemmap
// backing for struct pages, and debug_pagealloc's unmapping of free pages.
//
// Everything is built in the swapper table head.S set up (init_pg_dir, TTBR1). Page-table
// pages come from memblock while it is the allocator. Before the linear map exists a table
// page is reached through a fixmap window per level; afterwards through the linear map.
#include <asm/fixmap.h>
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/setup.h>
#include <asm/sysreg.h>

#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kstd/string.h"
#include "mm/memblock.h"
#include "mm/memory_model.h"

extern bool linear_map_ready; // arch/arm64/ptdump.cpp
static bool force_page_granular_linear_map;

// PROT for the linear map: Normal memory, RW, never executable at any level.
static constexpr u64 PROT_LINEAR_RW = PROT_KERNEL_RW;
static constexpr u64 PROT_LINEAR_RO = PROT_KERNEL_RO;

static u64 level_shift(int level) { return 39 - 9 * level; }
static unsigned level_index(u64 va, int level) { return (va >> level_shift(level)) & 0x1ff; }

// The virtual alias of a table page: the image's tables directly, others through the linear
// map once it is complete, or through this level's fixmap window before that.
static u64 *table_va(PhysAddr pa, int level)
{
	u64 img_lo = __pa_symbol(_text).value(), img_hi = __pa_symbol(_end).value();
	if (pa.value() >= img_lo && pa.value() < img_hi)
		return reinterpret_cast<u64 *>(pa.value() + kimage_voffset);
	if (linear_map_ready)
		return static_cast<u64 *>(phys_to_virt(pa));
	static const FixSlot slot[] = {FixSlot::Pud, FixSlot::Pud, FixSlot::Pmd, FixSlot::Pte};
	__set_fixmap(slot[level], pa, FixProt::Normal);
	return reinterpret_cast<u64 *>(fix_to_virt(slot[level]));
}

static u64 pgtable_pages_allocated;

static PhysAddr pgtable_alloc(int level)
{
	phys_addr_t pa = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!pa)
		panic("paging: out of memory for a level %d page table", level);
	u64 *t = table_va(PhysAddr(pa), level);
	memset(t, 0, PAGE_SIZE);
	pgtable_pages_allocated++;
	return PhysAddr(pa);
}

static void flush_tlb_kernel_range(u64 start, u64 end)
{
	dsb(ishst);
	for (u64 va = start; va < end; va += PAGE_SIZE)
		asm volatile("tlbi vaale1is, %0" ::"r"(va >> PAGE_SHIFT));
	dsb(ish);
	isb();
}

// Writes a descriptor. A live entry is never changed in place: break-before-make clears
// it, invalidates the TLB for the range it mapped, then writes the new one.
static void set_desc(u64 *slot, u64 desc, u64 va, u64 size)
{
	u64 old = *slot;
	if ((old & PTE_VALID) && old != desc) {
		__atomic_store_n(slot, 0, __ATOMIC_RELAXED);
		flush_tlb_kernel_range(va, va + size);
	}
	__atomic_store_n(slot, desc, __ATOMIC_RELAXED);
}

// Maps [va, va+size) to pa with prot, using 1 GiB and 2 MiB blocks where va, pa and the
// remaining size allow (unless page_granular), 4 KiB pages elsewhere.
static void map_range(u64 va, PhysAddr pa, u64 size, u64 prot, bool page_granular)
{
	u64 end = va + size;
	u64 *l0 = reinterpret_cast<u64 *>(reinterpret_cast<u64>(init_pg_dir));
	while (va < end) {
		// Walk from the root each step: simple, and the fixmap windows stay consistent.
		u64 *table = l0;
		for (int level = 0; level <= 3; level++) {
			u64 *slot = &table[level_index(va, level)];
			u64 bsize = u64(1) << level_shift(level);
			bool can_block = (level == 1 || level == 2) && !page_granular &&
					 (va & (bsize - 1)) == 0 && (pa.value() & (bsize - 1)) == 0 && end - va >= bsize;
			if (level == 3 || can_block) {
				u64 type = level == 3 ? PTE_TYPE_PAGE : PMD_TYPE_SECT;
				u64 attrs = (prot & ~u64(PTE_TYPE_PAGE)) | type;
				set_desc(slot, pa.value() | attrs, va, bsize);
				va += bsize;
				pa += bsize;
				break;
			}
			u64 d = *slot;
			if (!(d & PTE_VALID)) {
				PhysAddr t = pgtable_alloc(level + 1);
				set_desc(slot, t.value() | PTE_VALID | PTE_TABLE, va, bsize);
				d = *slot;
			} else if (!(d & PTE_TABLE)) {
				// A block already maps this range: only an identical mapping is fine.
				panic("paging: %#lx is already mapped by a level %d block", (unsigned long)va, level);
			}
			table = table_va(PhysAddr(d & PTE_ADDR_MASK), level + 1);
		}
	}
	dsb(ishst);
	isb();
}

static Result set_debug_linear_pages(const char *)
{
	force_page_granular_linear_map = true;
	return {};
}
// debug_pagealloc needs the linear map at page granularity to unmap single pages (Linux's
// can_set_direct_map()); the allocator's own early param also records the setting.
EARLY_PARAM("debug_pagealloc", set_debug_linear_pages);

u64 linear_map_pages_4k, linear_map_blocks_2m, linear_map_blocks_1g;

static void map_mem_range(PhysAddr start, PhysAddr end, u64 prot)
{
	if (start >= end)
		return;
	map_range(reinterpret_cast<u64>(phys_to_virt(start)), start, end - start, prot,
		  force_page_granular_linear_map);
}

void paging_init()
{
	// PHYS_OFFSET rounded down to 1 GiB so that linear-map VAs and PAs share their low 30
	// bits and 1 GiB blocks line up (Linux's ARM64_MEMSTART_ALIGN with 4 KiB pages).
	memstart_addr = kstd::align_down(memblock_start_of_DRAM(), SZ_1G);
	linear_map_base = PAGE_OFFSET;

	// The kernel's text and rodata appear in the linear map read-only (no writable alias of
	// code); the rest of RAM read-write, never executable. No-map regions are left out.
	PhysAddr ktext = __pa_symbol(_text), krodata_end = __pa_symbol(__end_rodata);
	phys_addr_t s, e;
	u64 i;
	for_each_mem_range(i, &s, &e) {
		PhysAddr a(s), b(e);
		if (b <= ktext || a >= krodata_end) {
			map_mem_range(a, b, PROT_LINEAR_RW);
			continue;
		}
		map_mem_range(a, ktext > a ? ktext : a, PROT_LINEAR_RW);
		map_mem_range(ktext > a ? ktext : a, krodata_end < b ? krodata_end : b, PROT_LINEAR_RO);
		map_mem_range(krodata_end < b ? krodata_end : b, b, PROT_LINEAR_RW);
	}
	linear_map_ready = true;
	clear_fixmap(FixSlot::Pud);
	clear_fixmap(FixSlot::Pmd);
	clear_fixmap(FixSlot::Pte);
	pr_info("paging: linear map of %lu MiB at %#lx (PHYS_OFFSET %#lx), %lu page-table pages\n",
		(unsigned long)(memblock_phys_mem_size() >> 20), (unsigned long)PAGE_OFFSET,
		(unsigned long)memstart_addr, (unsigned long)pgtable_pages_allocated);
}

// struct page backing for [start, end) of the vmemmap region: a 2 MiB block per section's
// memmap where memblock can give one (a 128 MiB section's 32768 pages x 64 bytes is exactly
// 2 MiB), 4 KiB pages otherwise.
Result vmemmap_populate(unsigned long start, unsigned long end, int nid)
{
	if (start < VMEMMAP_START || end > VMEMMAP_START + VMEMMAP_SIZE || start >= end)
		return Errno::EINVAL;
	u64 va = kstd::align_down(start, PAGE_SIZE);
	while (va < end) {
		if ((va & (SZ_2M - 1)) == 0 && end - va >= SZ_2M) {
			phys_addr_t pa = memblock_phys_alloc_try_nid(SZ_2M, SZ_2M, nid);
			if (pa) {
				memset(phys_to_virt(PhysAddr(pa)), 0, SZ_2M);
				map_range(va, PhysAddr(pa), SZ_2M, PROT_LINEAR_RW, false);
				va += SZ_2M;
				continue;
			}
		}
		phys_addr_t pa = memblock_phys_alloc_try_nid(PAGE_SIZE, PAGE_SIZE, nid);
		if (!pa)
			return Errno::ENOMEM;
		memset(phys_to_virt(PhysAddr(pa)), 0, PAGE_SIZE);
		map_range(va, PhysAddr(pa), PAGE_SIZE, PROT_LINEAR_RW, true);
		va += PAGE_SIZE;
	}
	return {};
}

// Finds the level-3 entry mapping a linear-map VA (debug_pagealloc maps it page by page).
static u64 *linear_pte(u64 va)
{
	u64 *table = reinterpret_cast<u64 *>(reinterpret_cast<u64>(init_pg_dir));
	for (int level = 0; level < 3; level++) {
		u64 d = table[level_index(va, level)];
		if (!(d & PTE_VALID) || !(d & PTE_TABLE))
			return nullptr;
		table = table_va(PhysAddr(d & PTE_ADDR_MASK), level + 1);
	}
	return &table[level_index(va, 3)];
}

bool linear_map_is_page_granular() { return force_page_granular_linear_map; }

// Makes numpages linear-map pages starting at va valid or invalid (debug_pagealloc).
// Clearing the valid bit keeps the rest of the descriptor, so enabling restores it exactly.
void set_linear_pages_valid(u64 va, int numpages, bool valid)
{
	if (!force_page_granular_linear_map)
		return;
	for (int i = 0; i < numpages; i++) {
		u64 *pte = linear_pte(va + u64(i) * PAGE_SIZE);
		if (!pte)
			continue;
		u64 d = *pte;
		u64 nd = valid ? (d | PTE_VALID) : (d & ~u64(PTE_VALID));
		__atomic_store_n(pte, nd, __ATOMIC_RELAXED);
	}
	// Invalidating after the change is the "break"; re-validating needs no flush (an
	// invalid entry is never cached), but it is cheap and keeps one path.
	flush_tlb_kernel_range(va, va + u64(numpages) * PAGE_SIZE);
}
