// Whole-page clear and copy (Linux's arch/arm64/lib/clear_page.S and copy_page.S).
// The host test build shadows this header with tests/host/include/asm/page.h.
#pragma once

#include "kstd/types.h"

// DCZID_EL0: BS (bits 3:0) is log2 of the DC ZVA block size in words; DZP (bit 4) set means
// DC ZVA is prohibited (then plain stores are used).
static inline u64 read_dczid_el0()
{
	u64 v;
	asm volatile("mrs %0, dczid_el0" : "=r"(v));
	return v;
}

// Zeroes one page at a linear-map (Normal memory) address. DC ZVA zeroes a whole block
// without reading it first, so clearing does not pull the stale contents into the cache.
static inline void clear_page(void *addr)
{
	u64 dczid = read_dczid_el0();
	char *p = static_cast<char *>(addr);
	char *end = p + PAGE_SIZE;
	if (dczid & (1u << 4)) {
		for (; p < end; p += 16)
			asm volatile("stp xzr, xzr, [%0]" ::"r"(p) : "memory");
		return;
	}
	u64 bs = 4ull << (dczid & 0xf);
	for (; p < end; p += bs)
		asm volatile("dc zva, %0" ::"r"(p) : "memory");
}

// Copies one page; both addresses page aligned. Pairs of registers, 64 bytes per iteration.
static inline void copy_page(void *to, const void *from)
{
	u64 *d = static_cast<u64 *>(to);
	const u64 *s = static_cast<const u64 *>(from);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i += 8) {
		u64 a, b, c, e, f, g, h, k;
		asm volatile("ldp %0, %1, [%8]\n\tldp %2, %3, [%8, #16]\n\t"
			     "ldp %4, %5, [%8, #32]\n\tldp %6, %7, [%8, #48]"
			     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(e), "=&r"(f), "=&r"(g), "=&r"(h), "=&r"(k)
			     : "r"(s + i)
			     : "memory");
		asm volatile("stp %0, %1, [%8]\n\tstp %2, %3, [%8, #16]\n\t"
			     "stp %4, %5, [%8, #32]\n\tstp %6, %7, [%8, #48]" ::"r"(a),
			     "r"(b), "r"(c), "r"(e), "r"(f), "r"(g), "r"(h), "r"(k), "r"(d + i)
			     : "memory");
	}
}
