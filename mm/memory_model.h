// Physical <-> linear-map virtual address translation: the one seam between mm/ and the
// MMU. In the kernel, linear_map_base is PAGE_OFFSET and memstart_addr the lowest RAM address
// (Linux's PHYS_OFFSET); the host test suite points linear_map_base at a buffer that stands in
// for physical memory, so the same mm/ code runs unchanged on both.
#pragma once

#include "kstd/types.h"

extern u64 memstart_addr;
extern uptr linear_map_base;

inline void *phys_to_virt(PhysAddr pa)
{
	return reinterpret_cast<void *>(pa.value() - memstart_addr + linear_map_base);
}
inline PhysAddr virt_to_phys(const void *va)
{
	return PhysAddr(reinterpret_cast<uptr>(va) - linear_map_base + memstart_addr);
}
