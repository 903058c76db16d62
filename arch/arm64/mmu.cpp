// Kernel page tables after boot: the linear map of all RAM (paging_init), the vmemmap
// backing for struct pages, and debug_pagealloc's unmapping of free pages.
//
// Everything is built in the swapper table head.S set up (init_pg_dir, TTBR1). Page-table
// pages come from memblock while it is the allocator. Before the linear map exists a table
// page is reached through a fixmap window per level; afterwards through the linear map.
#include <asm/fixmap.h>
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/page.h>
#include <asm/setup.h>
#include <asm/sysreg.h>

#include "core/compiler.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "core/spinlock.h"
#include "kstd/string.h"
#include "mm/memblock.h"
#include "mm/memory_model.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"

extern bool linear_map_ready; // arch/arm64/ptdump.cpp
// debug_pagealloc needs the linear map at page granularity to unmap single pages (Linux's
// can_set_direct_map()). The flag is the allocator's, parsed once by mm's debug_pagealloc=
// (mm/mm_init.cpp); paging_init reads it after the early parameters.
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
	force_page_granular_linear_map = debug_pagealloc_enabled;

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
// 2 MiB), 4 KiB pages otherwise. The memory is not zeroed (Linux allocates it _raw too):
// memmap_init() writes every struct page of every present section, and zeroing 2 MiB per
// 128 MiB first cost 5% of the boot.
Result vmemmap_populate(unsigned long start, unsigned long end, int nid)
{
	if (start < VMEMMAP_START || end > VMEMMAP_START + VMEMMAP_SIZE || start >= end)
		return Errno::EINVAL;
	u64 va = kstd::align_down(start, PAGE_SIZE);
	while (va < end) {
		if ((va & (SZ_2M - 1)) == 0 && end - va >= SZ_2M) {
			phys_addr_t pa = memblock_phys_alloc_try_nid(SZ_2M, SZ_2M, nid);
			if (pa) {
				map_range(va, PhysAddr(pa), SZ_2M, PROT_LINEAR_RW, false);
				va += SZ_2M;
				continue;
			}
		}
		phys_addr_t pa = memblock_phys_alloc_try_nid(PAGE_SIZE, PAGE_SIZE, nid);
		if (!pa)
			return Errno::ENOMEM;
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

// --- kernel mappings after boot (vmalloc, ioremap) ------------------------------------------

// Serialises changes to the kernel page tables above the linear map (vmalloc, ioremap): the
// descriptors, the table pages' entry counts (page->private_) and this count. Walkers of the
// hardware see each descriptor store whole (relaxed atomics) and need no lock.
static SpinLock kernel_pgtable_lock;
static unsigned long vm_pgtable_pages TA_GUARDED(kernel_pgtable_lock);

// page->private_ of a table page map_kernel_page() allocated: this tag in the top 16 bits,
// the number of valid entries in the low 32. Boot tables (image, memblock) have 0 there.
static constexpr unsigned long PGTABLE_TAG = 0x5074ul << 48;
static constexpr unsigned long PGTABLE_TAG_MASK = 0xfffful << 48;
static constexpr unsigned long PGTABLE_COUNT_MASK = 0xfffffffful;

static page *owned_table(u64 desc)
{
	unsigned long pfn = (desc & PTE_ADDR_MASK) >> PAGE_SHIFT;
	if (!pfn_valid(pfn))
		return nullptr;
	page *p = pfn_to_page(pfn);
	return (page_private(p) & PGTABLE_TAG_MASK) == PGTABLE_TAG ? p : nullptr;
}

static unsigned long table_entries(const page *t) { return page_private(t) & PGTABLE_COUNT_MASK; }

static void table_entries_add(page *t, long delta) TA_REQ(kernel_pgtable_lock)
{
	if (!t)
		return;
	unsigned long n = table_entries(t);
	if (WARN_ON(delta < 0 && n == 0))
		return;
	set_page_private(t, PGTABLE_TAG | ((n + delta) & PGTABLE_COUNT_MASK));
}

static bool in_vmalloc_range(u64 va, u64 size)
{
	u64 end;
	return !kstd::add_overflow(va, size, &end) && va >= VMALLOC_START && end - 1 <= VMALLOC_END && end > va;
}

// Invalidates leaf and intermediate (walk-cache) entries for [start, end) on all CPUs.
// VAAE1IS, unlike the last-level-only VAALE1IS, also drops cached table descriptors, which
// is what makes freeing a table page that the range used safe afterwards.
static void flush_tlb_kernel_pgtable_range(u64 start, u64 end)
{
	dsb(ishst); // the cleared descriptors are visible to the walkers before the invalidation
	if ((end - start) >> PAGE_SHIFT > 512) {
		asm volatile("tlbi vmalle1is" ::: "memory");
	} else {
		for (u64 va = start; va < end; va += PAGE_SIZE)
			asm volatile("tlbi vaae1is, %0" ::"r"(va >> PAGE_SHIFT) : "memory");
	}
	dsb(ish); // invalidation complete on every CPU
	isb();
}

// Clears the page mappings of [start, end) below table (a level `level` table, owned page
// tpage or nullptr) and unlinks tables that became empty onto freed (via page->lru: the
// table pages are ours until freed).
static void unmap_level(u64 *table, page *tpage, int level, u64 start, u64 end, list_head *freed)
	TA_REQ(kernel_pgtable_lock)
{
	u64 bsize = u64(1) << level_shift(level);
	for (u64 va = start, next; va < end; va = next) {
		next = kstd::align_down(va, bsize) + bsize;
		if (next > end || next == 0)
			next = end;
		u64 *slot = &table[level_index(va, level)];
		u64 d = *slot;
		if (!(d & PTE_VALID))
			continue;
		if (level == 3) {
			__atomic_store_n(slot, 0, __ATOMIC_RELAXED);
			table_entries_add(tpage, -1);
			continue;
		}
		if (!(d & PTE_TABLE)) {
			// vmalloc never makes blocks: someone else's mapping, left alone.
			WARN_ON_ONCE(true);
			continue;
		}
		page *child = owned_table(d);
		unmap_level(table_va(PhysAddr(d & PTE_ADDR_MASK), level + 1), child, level + 1, va, next, freed);
		if (child && table_entries(child) == 0) {
			__atomic_store_n(slot, 0, __ATOMIC_RELAXED);
			table_entries_add(tpage, -1);
			list_add(&child->lru, freed);
		}
	}
}

static void free_table_pages(list_head *freed) TA_REQ(kernel_pgtable_lock)
{
	while (!list_empty(freed)) {
		page *p = list_first_entry(freed, page, lru);
		list_del(&p->lru);
		INIT_LIST_HEAD(&p->lru);
		set_page_private(p, 0);
		vm_pgtable_pages--;
		__free_pages(p, 0);
	}
}

static void unmap_kernel_range_locked(u64 va, u64 size) TA_REQ(kernel_pgtable_lock)
{
	lockdep_assert_held(&kernel_pgtable_lock);
	list_head freed = LIST_HEAD_INIT(freed);
	u64 *l0 = reinterpret_cast<u64 *>(reinterpret_cast<u64>(init_pg_dir));
	unmap_level(l0, nullptr, 0, va, va + size, &freed);
	flush_tlb_kernel_pgtable_range(va, va + size);
	free_table_pages(&freed);
}

Result map_kernel_page(u64 va, PhysAddr pa, u64 prot)
{
	if (!kstd::is_aligned(va, PAGE_SIZE) || !kstd::is_aligned(pa.value(), PAGE_SIZE) ||
	    !in_vmalloc_range(va, PAGE_SIZE) || (pa.value() & ~u64(PTE_ADDR_MASK)))
		return Errno::EINVAL;
	SpinLockGuard guard(kernel_pgtable_lock);
	u64 *table = reinterpret_cast<u64 *>(reinterpret_cast<u64>(init_pg_dir));
	page *tpage = nullptr;
	for (int level = 0; level < 3; level++) {
		u64 *slot = &table[level_index(va, level)];
		u64 d = *slot;
		if (!(d & PTE_VALID)) {
			page *np = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, 0);
			if (!np) {
				// Tables this call linked are empty: take them back out.
				unmap_kernel_range_locked(va, PAGE_SIZE);
				return Errno::ENOMEM;
			}
			set_page_private(np, PGTABLE_TAG);
			vm_pgtable_pages++;
			dsb(ishst); // the zeroed table is visible before the descriptor pointing at it
			d = page_to_phys(np).value() | PTE_VALID | PTE_TABLE;
			__atomic_store_n(slot, d, __ATOMIC_RELAXED);
			table_entries_add(tpage, 1);
		} else if (!(d & PTE_TABLE)) {
			return Errno::EEXIST;
		}
		tpage = owned_table(d);
		table = table_va(PhysAddr(d & PTE_ADDR_MASK), level + 1);
	}
	u64 *slot = &table[level_index(va, 3)];
	if (*slot & PTE_VALID)
		return Errno::EEXIST;
	__atomic_store_n(slot, pa.value() | (prot & ~u64(PTE_TYPE_PAGE)) | PTE_TYPE_PAGE, __ATOMIC_RELAXED);
	table_entries_add(tpage, 1);
	// An invalid entry is never held in a TLB: no invalidation, only ordering the store
	// before later accesses through the new mapping.
	dsb(ishst);
	isb();
	return {};
}

void unmap_kernel_range(u64 va, u64 size)
{
	if (size == 0)
		return;
	if (!kstd::is_aligned(va, PAGE_SIZE) || !kstd::is_aligned(size, PAGE_SIZE) || !in_vmalloc_range(va, size)) {
		pr_err("unmap_kernel_range: bad range %#lx+%#lx\n", (unsigned long)va, (unsigned long)size);
		WARN_ON(true);
		return;
	}
	SpinLockGuard guard(kernel_pgtable_lock);
	unmap_kernel_range_locked(va, size);
}

ErrorOr<PhysAddr> kernel_va_to_phys(u64 va)
{
	if ((va >> VA_BITS) != (~u64(0) >> VA_BITS))
		return Errno::ENOENT;
	SpinLockGuard guard(kernel_pgtable_lock);
	u64 *table = reinterpret_cast<u64 *>(reinterpret_cast<u64>(init_pg_dir));
	for (int level = 0; level <= 3; level++) {
		u64 d = table[level_index(va, level)];
		if (!(d & PTE_VALID))
			return Errno::ENOENT;
		u64 bsize = u64(1) << level_shift(level);
		if (level == 3 || !(d & PTE_TABLE)) {
			if (level == 0)
				return Errno::ENOENT; // no level 0 blocks with 4 KiB pages
			return PhysAddr((d & PTE_ADDR_MASK & ~(bsize - 1)) | (va & (bsize - 1)));
		}
		table = table_va(PhysAddr(d & PTE_ADDR_MASK), level + 1);
	}
	return Errno::ENOENT;
}

unsigned long kernel_pgtable_pages() { return READ_ONCE(vm_pgtable_pages); } // a statistic

bool pfn_is_map_memory(unsigned long pfn)
{
	u64 pa = u64(pfn) << PAGE_SHIFT;
	if (!linear_map_ready || pa < memstart_addr || pa - memstart_addr >= PAGE_END - PAGE_OFFSET)
		return false;
	u64 va = reinterpret_cast<u64>(phys_to_virt(PhysAddr(pa)));
	u64 *table = reinterpret_cast<u64 *>(reinterpret_cast<u64>(init_pg_dir));
	for (int level = 0; level <= 3; level++) {
		u64 d = table[level_index(va, level)];
		if (level == 3)
			return d != 0; // debug_pagealloc clears only the valid bit of a page entry
		if (!(d & PTE_VALID))
			return false;
		if (!(d & PTE_TABLE))
			return true; // a linear-map block
		table = table_va(PhysAddr(d & PTE_ADDR_MASK), level + 1);
	}
	return false;
}
