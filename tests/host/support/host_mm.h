// Host-side memory model for the page allocator tests: a PROT_NONE reservation standing for
// the physical address space, with only the RAM ranges made accessible, and a vmemmap
// reservation whose pages become accessible only when vmemmap_populate() asks, so a test that
// touches the struct page of an unpopulated section faults.
//
// HostMm boots the real mm/ code on it: memblock -> sparse_init -> free_area_init ->
// memblock_free_all -> init_per_zone_wmark_min, then restores all global state on destruction.
#pragma once

#include <functional>
#include <vector>

#include "mm/page_alloc.h"

struct HostRamRange {
	phys_addr_t base;
	phys_addr_t size;
	int nid = 0;
};

struct HostMmConfig {
	std::vector<HostRamRange> ram;
	// First pfn above each zone (ZONE_MOVABLE ignored), as arm64's zone_sizes_init passes.
	unsigned long max_zone_pfn[MAX_NR_ZONES] = {};
	// Reserved for the "kernel image" at the start of the first range (bytes).
	phys_addr_t kernel_reserve = 2 * SZ_1M;
	// Extra memblock reservations (base, size).
	std::vector<std::pair<phys_addr_t, phys_addr_t>> reserve;
	// Runs after memblock is populated, before sparse_init (parameters, failure injection).
	std::function<void()> before_init;
	// Runs after free_area_init, before memblock_free_all (e.g. CMA marking).
	std::function<void()> before_free_all;
};

// Zone limits as Linux 6.1 arm64 lays them out: DMA up to dma_limit (0: no DT DMA limit, so
// DMA covers the first 4 GiB and DMA32 is empty), DMA32 up to 4 GiB, NORMAL to the top.
void host_zone_limits(HostMmConfig &cfg, phys_addr_t dma_limit);

class HostMm {
public:
	explicit HostMm(HostMmConfig cfg);
	~HostMm();
	HostMm(const HostMm &) = delete;
	HostMm &operator=(const HostMm &) = delete;

	unsigned long freed_at_boot() const { return freed_; }
	// True if the byte at a linear-map address can be read (false for unmapped/PROT_NONE).
	static bool readable(const void *addr);
	// Bytes of vmemmap made accessible by vmemmap_populate() so far.
	static unsigned long populated_bytes();
	// Make vmemmap_populate() fail for the section containing this physical address.
	static void fail_populate_for(phys_addr_t pa);

private:
	HostMmConfig cfg_;
	void *ram_va_ = nullptr;
	usize ram_len_ = 0;
	void *vmemmap_va_ = nullptr;
	usize vmemmap_len_ = 0;
	u64 saved_memstart_ = 0;
	uptr saved_linear_ = 0;
	unsigned long freed_ = 0;
};
