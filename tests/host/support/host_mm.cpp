#include "tests/host/support/host_mm.h"

#include <sys/mman.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "mm/cma.h"
#include "mm/memblock.h"
#include "mm/memory_model.h"
#include "mm/sparse.h"
#include "tests/host/support/host_support.h"

// Depending on include order the C++ library's <errno.h> defines these as macros, which would
// turn Errno::EINVAL into Errno::22.
#undef EINVAL
#undef ENOMEM

static uptr vmemmap_lo, vmemmap_hi;
static unsigned long populated;
static std::set<unsigned long> fail_sections;

Result vmemmap_populate(unsigned long start, unsigned long end, int)
{
	if (start < vmemmap_lo || end > vmemmap_hi || start >= end) {
		fprintf(stderr, "host vmemmap_populate: [%#lx-%#lx) outside the reservation\n", start, end);
		return Errno::EINVAL;
	}
	unsigned long pfn = (start - reinterpret_cast<uptr>(vmemmap)) / sizeof(page);
	if (fail_sections.count(pfn_to_section_nr(pfn)))
		return Errno::ENOMEM;
	uptr s = start & ~(PAGE_SIZE - 1), e = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (mprotect(reinterpret_cast<void *>(s), e - s, PROT_READ | PROT_WRITE) != 0)
		return Errno::ENOMEM;
	// The kernel maps memblock memory here without zeroing it (memmap_init() writes every
	// struct page): garbage makes any struct page it missed visible to the tests.
	memset(reinterpret_cast<void *>(s), 0xa5, e - s);
	populated += e - s;
	return {};
}

void __kernel_map_pages(page *p, int numpages, int enable)
{
	void *va = page_address(p);
	if (mprotect(va, static_cast<usize>(numpages) * PAGE_SIZE, enable ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) {
		perror("host __kernel_map_pages");
		abort();
	}
}

bool HostMm::readable(const void *addr)
{
	// A pipe write copies from the buffer in the kernel: EFAULT instead of a signal.
	int fds[2];
	if (pipe(fds) != 0)
		abort();
	ssize_t n = write(fds[1], addr, 1);
	close(fds[0]);
	close(fds[1]);
	return n == 1;
}

unsigned long HostMm::populated_bytes() { return populated; }
void HostMm::fail_populate_for(phys_addr_t pa) { fail_sections.insert(pfn_to_section_nr(pa >> PAGE_SHIFT)); }

void host_zone_limits(HostMmConfig &cfg, phys_addr_t dma_limit)
{
	phys_addr_t lo = ~phys_addr_t{0}, hi = 0;
	for (auto &r : cfg.ram) {
		lo = std::min(lo, r.base);
		hi = std::max(hi, r.base + r.size);
	}
	unsigned long hi_pfn = hi >> PAGE_SHIFT;
	// Linux 6.1 arm64 max_zone_phys(32) for RAM starting below 4 GiB.
	unsigned long dma32_pfn = lo >= SZ_4G ? hi_pfn : std::min(SZ_4G >> PAGE_SHIFT, hi_pfn);
	cfg.max_zone_pfn[ZONE_DMA] = dma_limit ? std::min(dma_limit >> PAGE_SHIFT, hi_pfn) : dma32_pfn;
	cfg.max_zone_pfn[ZONE_DMA32] = dma32_pfn;
	cfg.max_zone_pfn[ZONE_NORMAL] = hi_pfn;
}

HostMm::HostMm(HostMmConfig cfg) : cfg_(std::move(cfg))
{
	phys_addr_t lo = ~phys_addr_t{0}, hi = 0;
	for (auto &r : cfg_.ram) {
		lo = std::min(lo, r.base);
		hi = std::max(hi, r.base + r.size);
	}
	ram_len_ = hi - lo;
	ram_va_ = mmap(nullptr, ram_len_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram_va_ == MAP_FAILED)
		abort();
	for (auto &r : cfg_.ram)
		if (mprotect(static_cast<char *>(ram_va_) + (r.base - lo), r.size, PROT_READ | PROT_WRITE) != 0)
			abort();
	saved_memstart_ = memstart_addr;
	saved_linear_ = linear_map_base;
	memstart_addr = lo;
	linear_map_base = reinterpret_cast<uptr>(ram_va_);

	unsigned long sec_lo = (lo >> PAGE_SHIFT) & PAGE_SECTION_MASK;
	unsigned long sec_hi = kstd::align_up(hi >> PAGE_SHIFT, PAGES_PER_SECTION);
	vmemmap_len_ = (sec_hi - sec_lo) * sizeof(page);
	vmemmap_va_ = mmap(nullptr, vmemmap_len_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmemmap_va_ == MAP_FAILED)
		abort();
	vmemmap_lo = reinterpret_cast<uptr>(vmemmap_va_);
	vmemmap_hi = vmemmap_lo + vmemmap_len_;
	populated = 0;

	page_alloc_reset_for_test();
	sparse_reset_for_test();
	memblock_reset_for_test();
	cma_reset_for_test();
	// Pointer arithmetic below the reservation: pfn sec_lo maps to its first byte.
	vmemmap = reinterpret_cast<page *>(vmemmap_lo - sec_lo * sizeof(page));

	// Side effects stay outside REQUIRE: the benchmark build compiles this file with
	// DOCTEST_CONFIG_DISABLE, where the assertion's expression is not evaluated.
	int failures = 0;
	for (auto &r : cfg_.ram)
		failures += memblock_add_node(r.base, r.size, r.nid, MEMBLOCK_NONE) != 0;
	if (cfg_.kernel_reserve)
		failures += memblock_reserve(cfg_.ram[0].base, cfg_.kernel_reserve) != 0;
	for (auto &[b, s] : cfg_.reserve)
		failures += memblock_reserve(b, s) != 0;
	REQUIRE(failures == 0);
	if (cfg_.before_init)
		cfg_.before_init();
	bool sparse_ok = !sparse_init().is_error();
	REQUIRE(sparse_ok);
	free_area_init(cfg_.max_zone_pfn);
	if (cfg_.before_free_all)
		cfg_.before_free_all();
	freed_ = memblock_free_all();
	cma_init_reserved_areas(); // the kernel's order: mm_core_init
	init_per_zone_wmark_min();
}

HostMm::~HostMm()
{
	cma_reset_for_test();
	page_alloc_reset_for_test();
	sparse_reset_for_test();
	memblock_reset_for_test();
	fail_sections.clear();
	vmemmap = nullptr;
	munmap(vmemmap_va_, vmemmap_len_);
	munmap(ram_va_, ram_len_);
	memstart_addr = saved_memstart_;
	linear_map_base = saved_linear_;
}
