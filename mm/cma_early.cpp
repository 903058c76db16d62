// CMA at boot: the area table, memblock reservations, cma= and the reserved-memory handler
// (Linux 6.1 mm/cma.c cma_init_reserved_mem/cma_declare_contiguous_nid and
// kernel/dma/contiguous.c). Only memblock is needed here, so the DT fuzzer links it too.
#include "mm/cma.h"

#include "core/params.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "lib/parse.h"
#include "mm/dt_memory.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"

#define CMA_PR "cma: "

cma cma_areas[MAX_CMA_AREAS];
unsigned cma_area_count;
cma *dma_contiguous_default_area;

namespace {

using ull = unsigned long long;

// cma= as given: size_cmdline is PHYS_ADDR_MAX (Linux: -1) when there was none.
phys_addr_t size_cmdline = PHYS_ADDR_MAX;
phys_addr_t base_cmdline;
phys_addr_t limit_cmdline;

} // namespace

ErrorOr<cma *> cma_init_reserved_mem(phys_addr_t base, phys_addr_t size, unsigned order_per_bit, const char *name)
{
	if (cma_area_count == MAX_CMA_AREAS) {
		pr_err(CMA_PR "Not enough slots for CMA reserved regions!\n");
		return Errno::ENOSPC;
	}
	if (!size || !memblock_is_region_reserved(base, size))
		return Errno::EINVAL;
	// The mm core's minimum: whole pageblocks.
	if ((base | size) & (CMA_MIN_ALIGNMENT_BYTES - 1))
		return Errno::EINVAL;
	// Checked here, not in Linux: the pages go to the buddy, so they must be linear-mapped
	// RAM (a reusable DT region outside memory, or over no-map memory, is refused).
	if (size > PHYS_ADDR_MAX - base || !memblock_is_region_memory(base, size) || !memblock_is_map_memory(base) ||
	    !memblock_is_map_memory(base + size - 1)) {
		pr_err(CMA_PR "0x%016llx..0x%016llx is not all mapped memory\n", ull(base), ull(base + size - 1));
		return Errno::EINVAL;
	}
	// Activation needs the buddy allocator: cma_init_reserved_areas() does it later.
	cma *c = &cma_areas[cma_area_count];
	if (name)
		kstd::snprintf(c->name, CMA_MAX_NAME, "%s", name);
	else
		kstd::snprintf(c->name, CMA_MAX_NAME, "cma%u", cma_area_count);
	c->base_pfn = base >> PAGE_SHIFT;
	c->count = size >> PAGE_SHIFT;
	c->order_per_bit = order_per_bit;
	cma_area_count++;
	totalcma_pages += size >> PAGE_SHIFT;
	return c;
}

ErrorOr<cma *> cma_declare_contiguous_nid(phys_addr_t base, phys_addr_t size, phys_addr_t limit,
					  phys_addr_t alignment, unsigned order_per_bit, bool fixed,
					  const char *name, int nid)
{
	phys_addr_t memblock_end = memblock_end_of_DRAM();
	if (cma_area_count == MAX_CMA_AREAS) {
		pr_err(CMA_PR "Not enough slots for CMA reserved regions!\n");
		return Errno::ENOSPC;
	}
	if (!size)
		return Errno::EINVAL;
	if (alignment && !kstd::is_power_of_2(alignment))
		return Errno::EINVAL;
	// arm64 has no highmem: Linux's low/high boundary checks never trigger.
	alignment = kstd::max(alignment, CMA_MIN_ALIGNMENT_BYTES);
	auto fail = [size](Errno e) -> ErrorOr<cma *> {
		pr_err(CMA_PR "Failed to reserve %llu MiB\n", ull(size / SZ_1M));
		return e;
	};
	if (fixed && (base & (alignment - 1))) {
		pr_err(CMA_PR "Region at 0x%016llx must be aligned to 0x%016llx bytes\n", ull(base), ull(alignment));
		return fail(Errno::EINVAL);
	}
	if (base > PHYS_ADDR_MAX - alignment || size > PHYS_ADDR_MAX - alignment)
		return fail(Errno::EINVAL);
	base = kstd::align_up(base, alignment);
	size = kstd::align_up(size, alignment);
	limit &= ~(alignment - 1);
	if (!base)
		fixed = false;
	if ((size >> PAGE_SHIFT) & ((1UL << order_per_bit) - 1))
		return Errno::EINVAL;
	if (limit == 0 || limit > memblock_end)
		limit = memblock_end;
	if (base > limit || size > limit - base) {
		pr_err(CMA_PR "Size (0x%016llx) of region at 0x%016llx exceeds limit (0x%016llx)\n", ull(size), ull(base),
		       ull(limit));
		return fail(Errno::EINVAL);
	}
	if (fixed) {
		if (memblock_is_region_reserved(base, size) || memblock_reserve(base, size) < 0)
			return fail(Errno::EBUSY);
	} else {
		phys_addr_t addr = 0;
		// Bottom-up above 4 GiB first when there is room, away from ZONE_DMA/DMA32, so that
		// compaction moves pages out of the area rather than into it (Linux's reasoning).
		if (!memblock_bottom_up() && memblock_end >= SZ_4G + size) {
			memblock_set_bottom_up(true);
			addr = memblock_alloc_range_nid(size, alignment, SZ_4G, limit, nid, true);
			memblock_set_bottom_up(false);
		}
		if (!addr)
			addr = memblock_alloc_range_nid(size, alignment, base, limit, nid, true);
		if (!addr)
			return fail(Errno::ENOMEM);
		base = addr;
	}
	auto c = cma_init_reserved_mem(base, size, order_per_bit, name);
	if (c.is_error()) {
		memblock_phys_free(base, size);
		return fail(c.error().code());
	}
	pr_info(CMA_PR "Reserved %llu MiB at 0x%016llx\n", ull(size / SZ_1M), ull(base));
	return c.value();
}

Result rmem_cma_setup(const char *name, phys_addr_t base, phys_addr_t size, bool is_default)
{
	if (size_cmdline != PHYS_ADDR_MAX && is_default) {
		pr_info(CMA_PR "Reserved memory: bypass %s node, using cmdline CMA params instead\n", name);
		return Errno::EBUSY;
	}
	if ((base | size) & (CMA_MIN_ALIGNMENT_BYTES - 1)) {
		pr_err(CMA_PR "Reserved memory: incorrect alignment of CMA region\n");
		return Errno::EINVAL;
	}
	auto c = cma_init_reserved_mem(base, size, 0, name);
	if (c.is_error()) {
		pr_err(CMA_PR "Reserved memory: unable to setup CMA region\n");
		return c.error();
	}
	if (is_default)
		dma_contiguous_default_area = c.value();
	pr_info(CMA_PR "Reserved memory: created CMA memory pool at 0x%016llx, size %llu MiB\n", ull(base),
		ull(size / SZ_1M));
	return {};
}

// Linux's early_cma, strict where Linux ignores trailing text: a value this kernel cannot read
// entirely (an option of a newer Linux, a typo) is refused and the earlier setting kept.
Result early_cma(const char *p)
{
	if (!p || !*p) {
		pr_err(CMA_PR "Config string not provided\n");
		return Errno::EINVAL;
	}
	const char *e;
	u64 size, base = 0, limit = 0;
	bool ok = kstd::parse_memsize(p, &e, &size);
	if (ok && *e == '@') {
		ok = kstd::parse_memsize(e + 1, &e, &base);
		if (ok && *e == '-')
			ok = kstd::parse_memsize(e + 1, &e, &limit) && limit > base;
		else if (ok)
			ok = size <= PHYS_ADDR_MAX - base;
		if (ok && !limit)
			limit = base + size;
	}
	if (!ok || *e != '\0') {
		pr_err(CMA_PR "cma=%s: expected nn[KMG][@start[KMG][-end[KMG]]]\n", p);
		return Errno::EINVAL;
	}
	size_cmdline = size;
	base_cmdline = base;
	limit_cmdline = limit;
	return {};
}
EARLY_PARAM("cma", early_cma);

void dma_contiguous_reserve(phys_addr_t limit)
{
	// Linux's CONFIG_CMA_SIZE_MBYTES (Debian: 64 on arm64) is 0 here: only cma= makes a
	// global area, so machines without one keep all their memory ordinary.
	if (size_cmdline == PHYS_ADDR_MAX || !size_cmdline || dma_contiguous_default_area)
		return;
	phys_addr_t sel_limit = limit_cmdline && (!limit || limit_cmdline < limit) ? limit_cmdline : limit;
	bool fixed = base_cmdline + size_cmdline == limit_cmdline;
	auto c = cma_declare_contiguous_nid(base_cmdline, size_cmdline, sel_limit, 0, 0, fixed, "reserved",
					    NUMA_NO_NODE);
	if (!c.is_error())
		dma_contiguous_default_area = c.value();
}

void cma_reset_for_test()
{
	for (cma &c : cma_areas) {
		c.~cma();
		new (&c) cma();
	}
	cma_area_count = 0;
	totalcma_pages = 0;
	dma_contiguous_default_area = nullptr;
	size_cmdline = PHYS_ADDR_MAX;
	base_cmdline = limit_cmdline = 0;
}
