// Shared set-ups for the page allocator host tests.
#pragma once

#include <doctest/doctest.h>

#include <ostream>
#include <string>

#include "mm/page_alloc.h"
#include "mm/vmstat.h"
#include "tests/host/support/host_mm.h"
#include "tests/host/support/host_support.h"

// Printed by doctest when a ledger comparison fails: every field, so the diff is visible.
inline std::ostream &operator<<(std::ostream &os, const page_alloc_ledger &l)
{
	os << "{free " << l.free_total << " (";
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (l.free_zone[nid][z])
				os << " node" << nid << "/" << zone_names[z] << " " << l.free_zone[nid][z];
	os << " ), pcp " << l.pcp_total << " (";
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		os << " " << l.pcp_cpu[cpu];
	return os << " ), managed " << l.managed_total << ", bad " << l.bad_pages << "}";
}

namespace patest {

inline constexpr phys_addr_t RAM_BASE = 0x40000000;

// 64 MiB of RAM at 1 GiB, one zone (DMA; DMA32 empty as Linux 6.1 arm64): QEMU virt in miniature.
inline HostMmConfig small_config(phys_addr_t size = 64 * SZ_1M)
{
	HostMmConfig cfg;
	cfg.ram = {{RAM_BASE, size, 0}};
	host_zone_limits(cfg, 0);
	return cfg;
}

// 256 MiB below 4 GiB (first 128 MiB ZONE_DMA, like a 30-bit dma-ranges limit shifted to the
// RAM base) and 128 MiB above 4 GiB (ZONE_NORMAL); the gap in between has no memmap.
inline HostMmConfig multizone_config()
{
	HostMmConfig cfg;
	cfg.ram = {{RAM_BASE, 256 * SZ_1M, 0}, {0x100000000ull, 128 * SZ_1M, 0}};
	host_zone_limits(cfg, RAM_BASE + 128 * SZ_1M);
	return cfg;
}

inline zone *zone_of(int nid, zone_type t) { return &NODE_DATA(nid)->node_zones[t]; }

inline bool log_has(const std::string &log, const char *s) { return log.find(s) != std::string::npos; }

} // namespace patest

// check_page_alloc() == 0, showing what the walker printed (one line per inconsistency) when it
// is not: a bare CHECK would only say "1 == 0". Macros, so that a failure names the caller's line.
#define PAGE_ALLOC_CLEAN_(ASSERT_MESSAGE)                                       \
	do {                                                                        \
		std::string::size_type log_mark_ = host_log().size();                   \
		unsigned long inconsistencies_ = check_page_alloc();                    \
		ASSERT_MESSAGE(inconsistencies_ == 0, host_log().substr(log_mark_));     \
	} while (0)
#define CHECK_PAGE_ALLOC_CLEAN() PAGE_ALLOC_CLEAN_(CHECK_MESSAGE)
#define REQUIRE_PAGE_ALLOC_CLEAN() PAGE_ALLOC_CLEAN_(REQUIRE_MESSAGE)
