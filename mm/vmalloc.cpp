// vmalloc, vmap and ioremap in the kernel: the VmapSpace of mm/vmap_area.cpp over
// [VMALLOC_START, VMALLOC_END], pages from the buddy allocator, PTEs through the arch seam
// (map_kernel_page / unmap_kernel_range in arch/arm64/mmu.cpp).
//
// Order of teardown (vfree, vunmap, iounmap): the area is marked dying under the lock (a
// second free of it is reported, not repeated), its PTEs are cleared and the TLB flushed,
// then its pages go back to the buddy, and only then is its address range released, so a
// new area can never be handed a range whose old mappings might still be cached.
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/sysreg.h>

#include "core/panic.h"
#include "core/printk.h"
#include "core/spinlock.h"
#include "kstd/string.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/vmalloc.h"

// Set while an area is being torn down (not one of Linux's VM_* values).
static constexpr unsigned long VM_DYING = 0x80000000ul;

// The tree of areas, and the flags of every area in it, under vmap_area_lock (Linux's).
static SpinLock vmap_area_lock;
static VmapSpace vmap_space TA_GUARDED(vmap_area_lock);
static bool vmalloc_ready;

static void *node_page_alloc()
{
	page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
	return p ? page_address(p) : nullptr;
}
static void node_page_free(void *addr) { __free_pages(virt_to_page(addr), 0); }

// VMALLOC_END is the last byte of the region (asm/memory.h's map lists inclusive ranges).
static constexpr u64 VMALLOC_LIMIT = (u64(VMALLOC_END) + 1) & ~u64(PAGE_SIZE - 1);

void vmalloc_init()
{
	{
		SpinLockGuard g(vmap_area_lock);
		vmap_space.init(VMALLOC_START, VMALLOC_LIMIT, {node_page_alloc, node_page_free});
	}
	vmalloc_ready = true;
	pr_info("vmalloc: %#lx-%#lx (%lu GiB), %u areas per node page\n", (unsigned long)VMALLOC_START,
		(unsigned long)VMALLOC_LIMIT, (unsigned long)((VMALLOC_LIMIT - VMALLOC_START) >> 30),
		VmapNodePool::nodes_per_page());
}

bool is_vmalloc_addr(const void *addr)
{
	u64 a = reinterpret_cast<u64>(addr);
	return a >= VMALLOC_START && a < VMALLOC_LIMIT;
}

static vmap_area *alloc_vmap_area(unsigned long size, unsigned long align, unsigned long guard_below,
				  unsigned long flags, const void *caller)
{
	if (!vmalloc_ready) {
		pr_err("vmalloc: used before vmalloc_init() (caller %pS)\n", caller);
		return nullptr;
	}
	SpinLockGuard g(vmap_area_lock);
	auto r = vmap_space.alloc(size, align, guard_below % align, flags, caller);
	if (r.is_error()) {
		if (r.error().code() == Errno::ENOSPC)
			pr_warn("vmap allocation for size %lu failed: no free range in the vmalloc area\n", size);
		else
			pr_warn("vmap allocation for size %lu failed: %s\n", size, r.error().name());
		return nullptr;
	}
	r.value()->vm.guard_below = guard_below;
	return r.value();
}

static void release_vmap_area(vmap_area *va)
{
	SpinLockGuard g(vmap_area_lock);
	vmap_space.free(va);
}

// Finds the area that addr is the start (mapped part) of and marks it dying; nullptr with a
// report when there is none of the expected kind.
static vmap_area *take_area(const void *addr, unsigned long want_flag, const char *who)
{
	u64 a = reinterpret_cast<u64>(addr);
	irqflags_t f = vmap_area_lock.lock_irqsave();
	vmap_area *va = vmalloc_ready ? vmap_space.find(a) : nullptr;
	const char *why = nullptr;
	if (!va || a != va->va_start + va->vm.guard_below)
		why = "nonexistent vm area";
	else if (va->vm.flags & VM_DYING)
		why = "vm area already being freed (double free?)";
	else if (!(va->vm.flags & want_flag))
		why = "vm area of another kind";
	if (why) {
		vmap_area_lock.unlock_irqrestore(f);
		pr_err("Trying to %s() %s (%p)\n", who, why, addr);
		WARN_ON(true);
		return nullptr;
	}
	va->vm.flags |= VM_DYING;
	vmap_area_lock.unlock_irqrestore(f);
	return va;
}

static u64 mapped_start(const vmap_area *va) { return va->va_start + va->vm.guard_below; }

// Unmaps an area and, for vmalloc areas, frees the pages it owns (after the TLB flush).
static void teardown(vmap_area *va, bool free_pages)
{
	u64 start = mapped_start(va), size = get_vm_area_size(&va->vm);
	list_head pages = LIST_HEAD_INIT(pages);
	if (free_pages) {
		for (u64 a = start; a < start + size; a += PAGE_SIZE) {
			auto pa = kernel_va_to_phys(a);
			if (pa.is_error())
				continue; // a failed vmalloc leaves the tail unmapped
			list_add_tail(&pfn_to_page(pa.value().value() >> PAGE_SHIFT)->lru, &pages);
		}
	}
	unmap_kernel_range(start, size);
	while (!list_empty(&pages)) {
		page *p = list_first_entry(&pages, page, lru);
		list_del(&p->lru);
		INIT_LIST_HEAD(&p->lru);
		__free_pages(p, 0);
	}
	release_vmap_area(va);
}

static void *vmalloc_area(unsigned long size, unsigned long align, unsigned long guard_below, gfp_t gfp, u64 prot,
			  unsigned long vm_flags, const void *caller)
{
	if (size == 0)
		return nullptr;
	if (size > VMALLOC_LIMIT - VMALLOC_START || !kstd::is_power_of_2(align) || align < PAGE_SIZE ||
	    !kstd::is_aligned(guard_below, PAGE_SIZE)) {
		pr_warn("vmalloc error: size %lu, align %lu, guard %lu: invalid request from %pS\n", size, align,
			guard_below, caller);
		return nullptr;
	}
	size = kstd::align_up(size, PAGE_SIZE);
	vmap_area *va = alloc_vmap_area(guard_below + size, align, guard_below, VM_ALLOC | vm_flags, caller);
	if (!va)
		return nullptr;
	u64 start = mapped_start(va);
	unsigned long nr = size >> PAGE_SHIFT;
	for (unsigned long i = 0; i < nr; i++) {
		page *p = alloc_pages(gfp | __GFP_NOWARN, 0);
		if (!p) {
			pr_warn("vmalloc error: size %lu, failed to allocate pages (%lu of %lu), caller %pS\n", size, i, nr,
				caller);
			teardown(va, true);
			return nullptr;
		}
		Result r = map_kernel_page(start + i * PAGE_SIZE, page_to_phys(p), prot);
		if (r.is_error()) {
			__free_pages(p, 0);
			pr_warn("vmalloc error: size %lu, failed to map pages (%s), caller %pS\n", size, r.error().name(),
				caller);
			teardown(va, true);
			return nullptr;
		}
	}
	va->vm.nr_pages = static_cast<unsigned>(nr);
	return reinterpret_cast<void *>(start);
}

void *__vmalloc_node_range(unsigned long size, unsigned long align, gfp_t gfp, u64 prot, unsigned long vm_flags,
			   const void *caller)
{
	return vmalloc_area(size, align, 0, gfp, prot, vm_flags, caller);
}

void *vmalloc_guarded(unsigned long size, unsigned long align, unsigned long guard_below, gfp_t gfp,
		      const void *caller)
{
	return vmalloc_area(size, align, guard_below, gfp, PROT_KERNEL_RW, 0, caller);
}

void *vmalloc(unsigned long size)
{
	return vmalloc_area(size, PAGE_SIZE, 0, GFP_KERNEL, PROT_KERNEL_RW, 0, __builtin_return_address(0));
}

void *vzalloc(unsigned long size)
{
	return vmalloc_area(size, PAGE_SIZE, 0, GFP_KERNEL | __GFP_ZERO, PROT_KERNEL_RW, 0,
			    __builtin_return_address(0));
}

void vfree(const void *addr)
{
	if (!addr)
		return;
	if (!is_vmalloc_addr(addr)) {
		pr_err("Trying to vfree() bad address (%p)\n", addr);
		WARN_ON(true);
		return;
	}
	if (vmap_area *va = take_area(addr, VM_ALLOC, "vfree"))
		teardown(va, true);
}

void *vmap(page **pages, unsigned int count, unsigned long flags, u64 prot)
{
	if (!pages || count == 0)
		return nullptr;
	vmap_area *va = alloc_vmap_area(u64(count) << PAGE_SHIFT, PAGE_SIZE, 0, VM_MAP | (flags & ~VM_ALLOC),
					__builtin_return_address(0));
	if (!va)
		return nullptr;
	for (unsigned i = 0; i < count; i++) {
		Result r = pages[i] ? map_kernel_page(va->va_start + u64(i) * PAGE_SIZE, page_to_phys(pages[i]), prot)
				    : Result(Errno::EINVAL);
		if (r.is_error()) {
			pr_warn("vmap: cannot map page %u of %u: %s\n", i, count, r.error().name());
			teardown(va, false);
			return nullptr;
		}
	}
	va->vm.nr_pages = count;
	return reinterpret_cast<void *>(va->va_start);
}

void vunmap(const void *addr)
{
	if (!addr)
		return;
	if (vmap_area *va = take_area(addr, VM_MAP, "vunmap"))
		teardown(va, false);
}

void *ioremap(PhysAddr phys, unsigned long size)
{
	u64 off = phys.value() & (PAGE_SIZE - 1), base = phys.value() - off, end;
	if (size == 0 || kstd::add_overflow(phys.value(), u64(size), &end) || ((end - 1) >> 48) != 0 ||
	    end - base > VMALLOC_LIMIT - VMALLOC_START) {
		pr_err("ioremap: invalid range %#lx+%#lx\n", (unsigned long)phys.value(), size);
		return nullptr;
	}
	u64 len = kstd::align_up(end - base, PAGE_SIZE);
	// RAM belongs to the page allocator and is mapped Normal in the linear map: a Device
	// alias of it would have mismatched attributes (Linux's arm64 ioremap refuses it too).
	for (u64 pa = base; pa < base + len; pa += PAGE_SIZE)
		if (pfn_is_map_memory(pa >> PAGE_SHIFT)) {
			pr_err("ioremap: %#lx is RAM (caller %pS); use vmap or the linear map\n", (unsigned long)pa,
			       __builtin_return_address(0));
			return nullptr;
		}
	vmap_area *va = alloc_vmap_area(len, PAGE_SIZE, 0, VM_IOREMAP, __builtin_return_address(0));
	if (!va)
		return nullptr;
	va->vm.phys_addr = PhysAddr(base);
	for (u64 i = 0; i < len; i += PAGE_SIZE) {
		Result r = map_kernel_page(va->va_start + i, PhysAddr(base + i), PROT_DEVICE_nGnRnE);
		if (r.is_error()) {
			pr_err("ioremap: cannot map %#lx: %s\n", (unsigned long)(base + i), r.error().name());
			teardown(va, false);
			return nullptr;
		}
	}
	return reinterpret_cast<void *>(va->va_start + off);
}

void iounmap(volatile void *addr)
{
	if (!addr)
		return;
	u64 a = kstd::align_down(reinterpret_cast<u64>(addr), PAGE_SIZE);
	if (vmap_area *va = take_area(reinterpret_cast<const void *>(a), VM_IOREMAP, "iounmap"))
		teardown(va, false);
}

vm_struct *find_vm_area(const void *addr)
{
	if (!vmalloc_ready || !is_vmalloc_addr(addr))
		return nullptr;
	SpinLockGuard g(vmap_area_lock);
	vmap_area *va = vmap_space.find(reinterpret_cast<u64>(addr));
	return va ? &va->vm : nullptr;
}

page *vmalloc_to_page(const void *addr)
{
	if (!is_vmalloc_addr(addr))
		return nullptr;
	auto pa = kernel_va_to_phys(reinterpret_cast<u64>(addr));
	if (pa.is_error())
		return nullptr;
	// pfn_valid() alone is section-granular: device registers sharing a section with RAM
	// (the Pi 3's peripherals) have a struct page that describes nothing.
	unsigned long pfn = pa.value().value() >> PAGE_SHIFT;
	if (!pfn_valid(pfn) || !pfn_is_map_memory(pfn))
		return nullptr;
	return pfn_to_page(pfn);
}

vmalloc_stats vmalloc_get_stats()
{
	vmalloc_stats s{};
	if (vmalloc_ready) {
		SpinLockGuard g(vmap_area_lock);
		s.nr_areas = vmap_space.nr_areas();
		s.used_bytes = vmap_space.busy_bytes();
		s.node_pages = vmap_space.pool().pages();
	}
	s.pgtable_pages = kernel_pgtable_pages();
	return s;
}

unsigned long vmalloc_check()
{
	if (!vmalloc_ready)
		return 0;
	SpinLockGuard g(vmap_area_lock);
	return vmap_space.check_invariants();
}

// Formats under the lock into a bounded buffer per line, prints after dropping it, so the
// slow console never runs with the area lock held (areas may change between lines, as
// /proc/vmallocinfo's seq_file may).
vmalloc_meminfo vmalloc_get_meminfo()
{
	vmalloc_meminfo m{(VMALLOC_END + 1 - VMALLOC_START) >> 10, 0};
	if (!vmalloc_ready)
		return m;
	SpinLockGuard g(vmap_area_lock);
	for (vmap_area *va = vmap_space.lower_bound(VMALLOC_START); va; va = vmap_space.lower_bound(va->va_end))
		if (va->vm.flags & VM_ALLOC)
			m.used_pages += va->vm.nr_pages;
	return m;
}

void show_vmallocinfo(seq_file *m)
{
	if (!vmalloc_ready)
		return;
	char line[160];
	u64 cursor = VMALLOC_START;
	for (;;) {
		{
			SpinLockGuard g(vmap_area_lock);
			vmap_area *va = vmap_space.lower_bound(cursor);
			if (!va)
				break;
			format_vmallocinfo_line(line, sizeof(line), &va->vm);
			cursor = va->va_end;
		}
		seq_puts(m, line);
		seq_putc(m, '\n');
	}
}
