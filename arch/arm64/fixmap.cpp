#include <asm/fixmap.h>
#include <asm/sysreg.h>

#include "core/panic.h"
#include "core/printk.h"

extern "C" u64 init_fixmap_pte[];

static u64 prot_bits(FixProt p)
{
	switch (p) {
	case FixProt::Normal:
		return PROT_KERNEL_RW;
	case FixProt::NormalRO:
		return PROT_KERNEL_RO;
	case FixProt::Device:
		return PROT_DEVICE_nGnRnE;
	}
	return PROT_KERNEL_RO;
}

static void flush_tlb_kernel_page(u64 va)
{
	dsb(ishst); // the PTE write is visible to the walker before the invalidate
	asm volatile("tlbi vaale1is, %0" ::"r"(va >> PAGE_SHIFT));
	dsb(ish);
	isb();
}

void __set_fixmap(FixSlot slot, PhysAddr pa, FixProt prot)
{
	unsigned idx = static_cast<unsigned>(slot);
	BUG_ON(idx >= static_cast<unsigned>(FixSlot::Count) || !pa.is_aligned(PAGE_SIZE));
	u64 *pte = &init_fixmap_pte[idx];
	u64 va = fix_to_virt(slot);
	// Break-before-make: a live entry is invalidated and flushed before the new one.
	if (*pte) {
		__atomic_store_n(pte, 0, __ATOMIC_RELAXED);
		flush_tlb_kernel_page(va);
	}
	__atomic_store_n(pte, pa.value() | prot_bits(prot), __ATOMIC_RELAXED);
	dsb(ishst);
	isb();
}

void clear_fixmap(FixSlot slot)
{
	unsigned idx = static_cast<unsigned>(slot);
	BUG_ON(idx >= static_cast<unsigned>(FixSlot::Count));
	__atomic_store_n(&init_fixmap_pte[idx], 0, __ATOMIC_RELAXED);
	flush_tlb_kernel_page(fix_to_virt(slot));
}

void *fixmap_remap(FixSlot first, FixSlot last, PhysAddr pa, u64 size, FixProt prot)
{
	PhysAddr base = pa.align_down(PAGE_SIZE);
	u64 pages = (pa.value() + size - base.value() + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned f = static_cast<unsigned>(first), l = static_cast<unsigned>(last);
	if (size == 0 || pages > l - f)
		return nullptr;
	for (u64 i = 0; i < pages; i++)
		__set_fixmap(static_cast<FixSlot>(f + i), base + i * PAGE_SIZE, prot);
	return reinterpret_cast<void *>(fix_to_virt(first) + (pa.value() - base.value()));
}

void *early_ioremap(PhysAddr pa, u64 size)
{
	static unsigned next = static_cast<unsigned>(FixSlot::IoremapBegin);
	PhysAddr base = pa.align_down(PAGE_SIZE);
	u64 pages = (pa.value() + size - base.value() + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned end = static_cast<unsigned>(FixSlot::IoremapEnd);
	if (size == 0 || pages > end - next) {
		pr_err("early_ioremap: cannot map %#lx+%#lx: %u of %u pool pages left\n", (unsigned long)pa.value(),
		       (unsigned long)size, end - next, end - static_cast<unsigned>(FixSlot::IoremapBegin));
		return nullptr;
	}
	void *va = fixmap_remap(static_cast<FixSlot>(next), static_cast<FixSlot>(next + pages), pa, size,
				FixProt::Device);
	next += static_cast<unsigned>(pages);
	return va;
}
