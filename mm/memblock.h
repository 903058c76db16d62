// memblock: the boot-time physical memory map and allocator, with Linux 6.1's names, data
// layout and semantics (mm/memblock.c), so boot logs compare line by line with Linux's.
//
// Contract:
// - memblock.memory lists the RAM the kernel may use, memblock.reserved what is taken. Both are
//   sorted, non-overlapping and minimal: neighbouring regions with equal flags and node are
//   always merged. An empty type holds one zero-sized dummy region (cnt == 1), as in Linux.
// - Each type starts on a static array of INIT_MEMBLOCK_REGIONS entries. Once
//   memblock_allow_resize() has been called (when the linear map covers memory, i.e. when
//   phys_to_virt() of any memblock address is writable), a full array is doubled into memory
//   allocated from memblock itself (top-down below current_limit, or bottom-up, as any
//   allocation; a new reserved array avoids the range being reserved). Until then a full array
//   makes the call fail with -ENOMEM and, once per type, an "array is full" message (Linux
//   fails silently); no room for a bigger array gives Linux's "Failed to double" message.
//   Entries are counted before merging, as Linux: an add needs a spare entry per uncovered
//   piece, and remove/mark/set_node always need two.
// - Functions returning int return 0 or a negative errno; allocations return 0 / nullptr on
//   failure. Sizes that would wrap past the top of the address space are clipped; zero sizes
//   are no-ops.
// - There is no locking: memblock runs single-threaded during early boot, as in Linux.
// - With memblock_debug set (`memblock=debug`), every call logs its range and caller like
//   Linux's memblock_dbg(), and memblock_dump_all() prints both arrays.
#pragma once

#include "kstd/types.h"

// NUMA node ids as Linux spells them. MAX_NUMNODES doubles as "no node assigned" in a region
// (memblock_add/memblock_reserve use it); NUMA_NO_NODE means "any node" in lookups.
inline constexpr int NUMA_NO_NODE = -1;
inline constexpr int MAX_NUMNODES = 4;

inline constexpr phys_addr_t PHYS_ADDR_MAX = ~phys_addr_t{0};

inline constexpr unsigned long INIT_MEMBLOCK_REGIONS = 128;
inline constexpr unsigned long INIT_MEMBLOCK_RESERVED_REGIONS = INIT_MEMBLOCK_REGIONS;

// Upper-limit arguments of the allocation functions: ACCESSIBLE means memblock.current_limit,
// ANYWHERE means no limit. MEMBLOCK_LOW_LIMIT is the default lower bound.
inline constexpr phys_addr_t MEMBLOCK_ALLOC_ANYWHERE = ~phys_addr_t{0};
inline constexpr phys_addr_t MEMBLOCK_ALLOC_ACCESSIBLE = 0;
inline constexpr phys_addr_t MEMBLOCK_LOW_LIMIT = 0;

enum memblock_flags : unsigned {
	MEMBLOCK_NONE = 0x0,           // no special request
	MEMBLOCK_HOTPLUG = 0x1,        // hotpluggable region
	MEMBLOCK_MIRROR = 0x2,         // mirrored region
	MEMBLOCK_NOMAP = 0x4,          // not in the linear map, never allocated from
	MEMBLOCK_DRIVER_MANAGED = 0x8, // always detected via a driver, skipped by iterators
};

constexpr memblock_flags operator|(memblock_flags a, memblock_flags b)
{
	return memblock_flags(unsigned(a) | unsigned(b));
}
constexpr memblock_flags operator&(memblock_flags a, memblock_flags b)
{
	return memblock_flags(unsigned(a) & unsigned(b));
}
constexpr memblock_flags operator~(memblock_flags a) { return memblock_flags(~unsigned(a)); }
constexpr memblock_flags &operator|=(memblock_flags &a, memblock_flags b) { return a = a | b; }
constexpr memblock_flags &operator&=(memblock_flags &a, memblock_flags b) { return a = a & b; }

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	memblock_flags flags;
	int nid;
};

struct memblock_type {
	unsigned long cnt;       // regions in use (at least 1: the empty dummy)
	unsigned long max;       // capacity of regions[]
	phys_addr_t total_size;  // sum of all region sizes
	memblock_region *regions;
	const char *name;
};

struct memblock {
	bool bottom_up;             // allocation direction
	phys_addr_t current_limit;  // upper bound for MEMBLOCK_ALLOC_ACCESSIBLE
	memblock_type memory;
	memblock_type reserved;
};

extern struct memblock memblock;
extern bool memblock_debug;

// --- building the memory map -------------------------------------------------------------
int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid, memblock_flags flags);
int memblock_remove(phys_addr_t base, phys_addr_t size);
int memblock_reserve(phys_addr_t base, phys_addr_t size);
// Un-reserve a range (Linux 6.1's memblock_phys_free); the memory stays in memblock.memory.
int memblock_phys_free(phys_addr_t base, phys_addr_t size);
// Same, for a range given by its linear-map address; a null ptr is ignored.
void memblock_free(void *ptr, usize size);

int memblock_mark_hotplug(phys_addr_t base, phys_addr_t size);
int memblock_clear_hotplug(phys_addr_t base, phys_addr_t size);
int memblock_mark_mirror(phys_addr_t base, phys_addr_t size);
int memblock_mark_nomap(phys_addr_t base, phys_addr_t size);
int memblock_clear_nomap(phys_addr_t base, phys_addr_t size);
int memblock_set_node(phys_addr_t base, phys_addr_t size, memblock_type *type, int nid);

// Permits growing the region arrays from memblock memory; call once the linear map covers it.
void memblock_allow_resize();

// --- allocation --------------------------------------------------------------------------
// Physical allocations return 0 on failure. align must be a power of two; 0 means
// SMP_CACHE_BYTES (64) and warns, as Linux. The range found is reserved before returning.
// Top-down unless memblock_set_bottom_up(true); the first page and NOMAP memory are never used.
phys_addr_t memblock_alloc_range_nid(phys_addr_t size, phys_addr_t align, phys_addr_t start,
				     phys_addr_t end, int nid, bool exact_nid);
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align, phys_addr_t start,
				      phys_addr_t end);
phys_addr_t memblock_phys_alloc_try_nid(phys_addr_t size, phys_addr_t align, int nid);

// Linear-map allocations (phys_to_virt of the physical result); nullptr on failure. max_addr
// is capped at current_limit; if nothing fits above min_addr, min_addr is dropped (Linux).
void *memblock_alloc_try_nid(phys_addr_t size, phys_addr_t align, phys_addr_t min_addr,
			     phys_addr_t max_addr, int nid);       // zeroed
void *memblock_alloc_try_nid_raw(phys_addr_t size, phys_addr_t align, phys_addr_t min_addr,
				 phys_addr_t max_addr, int nid);   // not zeroed

// These are inline in Linux so that the debug log names the caller of memblock_alloc(), not
// memblock_alloc() itself; always_inline keeps that true at -O0/-O1 too.
[[gnu::always_inline]] inline phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
	return memblock_phys_alloc_range(size, align, 0, MEMBLOCK_ALLOC_ACCESSIBLE);
}
[[gnu::always_inline]] inline void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	return memblock_alloc_try_nid(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE,
				      NUMA_NO_NODE);
}
[[gnu::always_inline]] inline void *memblock_alloc_raw(phys_addr_t size, phys_addr_t align)
{
	return memblock_alloc_try_nid_raw(size, align, MEMBLOCK_LOW_LIMIT,
					  MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE);
}
[[gnu::always_inline]] inline void *memblock_alloc_from(phys_addr_t size, phys_addr_t align,
							 phys_addr_t min_addr)
{
	return memblock_alloc_try_nid(size, align, min_addr, MEMBLOCK_ALLOC_ACCESSIBLE,
				      NUMA_NO_NODE);
}
[[gnu::always_inline]] inline void *memblock_alloc_node(phys_addr_t size, phys_addr_t align,
							 int nid)
{
	return memblock_alloc_try_nid(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE,
				      nid);
}

void memblock_set_current_limit(phys_addr_t limit);
phys_addr_t memblock_get_current_limit();
inline void memblock_set_bottom_up(bool enable) { memblock.bottom_up = enable; }
inline bool memblock_bottom_up() { return memblock.bottom_up; }

// --- trimming ----------------------------------------------------------------------------
// mem=: keep the first `limit` bytes of memory, drop the rest of memory and reserved.
void memblock_enforce_memory_limit(phys_addr_t limit);
// Keep only [base, base + size) of the mapped memory (NOMAP regions outside stay).
void memblock_cap_memory_range(phys_addr_t base, phys_addr_t size);
// Like enforce_memory_limit, but keeps NOMAP regions beyond the limit.
void memblock_mem_limit_remove_map(phys_addr_t limit);
// Shrink every memory region to whole `align` units, dropping those that vanish.
void memblock_trim_memory(phys_addr_t align);

// --- queries -----------------------------------------------------------------------------
phys_addr_t memblock_phys_mem_size();
phys_addr_t memblock_reserved_size();
phys_addr_t memblock_start_of_DRAM();
phys_addr_t memblock_end_of_DRAM();
bool memblock_is_memory(phys_addr_t addr);
bool memblock_is_map_memory(phys_addr_t addr);
bool memblock_is_reserved(phys_addr_t addr);
// True if [base, base + size) lies within a single memory region.
bool memblock_is_region_memory(phys_addr_t base, phys_addr_t size);
// True if [base, base + size) intersects a reserved region.
bool memblock_is_region_reserved(phys_addr_t base, phys_addr_t size);
bool memblock_overlaps_region(memblock_type *type, phys_addr_t base, phys_addr_t size);
// Node of the memory region holding pfn (and its pfn span), or -1.
int memblock_search_pfn_nid(unsigned long pfn, unsigned long *start_pfn,
			    unsigned long *end_pfn);

inline bool memblock_is_hotpluggable(const memblock_region *m) { return m->flags & MEMBLOCK_HOTPLUG; }
inline bool memblock_is_mirror(const memblock_region *m) { return m->flags & MEMBLOCK_MIRROR; }
inline bool memblock_is_nomap(const memblock_region *m) { return m->flags & MEMBLOCK_NOMAP; }
inline bool memblock_is_driver_managed(const memblock_region *m)
{
	return m->flags & MEMBLOCK_DRIVER_MANAGED;
}
inline int memblock_get_region_node(const memblock_region *r) { return r->nid; }
inline void memblock_set_region_node(memblock_region *r, int nid) { r->nid = nid; }
// First whole pfn of the region / pfn just past its last whole page.
inline unsigned long memblock_region_memory_base_pfn(const memblock_region *r)
{
	return (r->base + PAGE_SIZE - 1) >> PAGE_SHIFT;
}
inline unsigned long memblock_region_memory_end_pfn(const memblock_region *r)
{
	return (r->base + r->size) >> PAGE_SHIFT;
}

// --- debugging ---------------------------------------------------------------------------
// Prints both arrays in Linux 6.1's format (always); memblock_dump_all() only with
// memblock_debug, as Linux.
void __memblock_dump_all();
inline void memblock_dump_all()
{
	if (memblock_debug)
		__memblock_dump_all();
}
// The `memblock=` early parameter: "debug" anywhere in the value enables memblock_debug.
int early_memblock(const char *p);

// --- teardown ----------------------------------------------------------------------------
// Releases region arrays that were grown (memblock_phys_free of their page-aligned ranges),
// so a page allocator seeding itself from for_each_free_mem_range() afterwards picks those
// pages up. The arrays stay readable (no one owns those pages until that walk hands them
// out), so the walk may follow this call; no memblock allocation or array growth is possible
// afterwards (they would hand out the arrays' own pages): both warn and fail.
void memblock_discard();

// Tests only (host suite, or a target self-test before memblock holds real state): restores
// the build-time state: empty static arrays, limits, direction, resize/debug/discard flags.
void memblock_reset_for_test();

// --- iteration ---------------------------------------------------------------------------
// Linux's iterator protocol: *idx packs the index into type_a (low 32 bits) and the index of
// the gap before each type_b region (high 32 bits); ULLONG_MAX starts a reverse walk and ends
// every walk. With type_b, the ranges are type_a minus type_b. Memory regions of other nodes
// than nid (unless NUMA_NO_NODE), NOMAP (unless asked for in flags), DRIVER_MANAGED (unless
// asked for) and, with MEMBLOCK_MIRROR in flags, non-mirrored ones are skipped.
void __next_mem_range(u64 *idx, int nid, memblock_flags flags, memblock_type *type_a,
		      memblock_type *type_b, phys_addr_t *out_start, phys_addr_t *out_end,
		      int *out_nid);
void __next_mem_range_rev(u64 *idx, int nid, memblock_flags flags, memblock_type *type_a,
			  memblock_type *type_b, phys_addr_t *out_start, phys_addr_t *out_end,
			  int *out_nid);
// Whole-page pfn ranges of memory regions of node nid (MAX_NUMNODES: all); *idx starts at -1
// and is -1 again at the end.
void __next_mem_pfn_range(int *idx, int nid, unsigned long *out_start_pfn,
			  unsigned long *out_end_pfn, int *out_nid);

#define __for_each_mem_range(i, type_a, type_b, nid, flags, p_start, p_end, p_nid)        \
	for (i = 0, __next_mem_range(&i, nid, flags, type_a, type_b, p_start, p_end, p_nid); \
	     i != ~u64{0};                                                                    \
	     __next_mem_range(&i, nid, flags, type_a, type_b, p_start, p_end, p_nid))

#define __for_each_mem_range_rev(i, type_a, type_b, nid, flags, p_start, p_end, p_nid)     \
	for (i = ~u64{0},                                                                     \
	    __next_mem_range_rev(&i, nid, flags, type_a, type_b, p_start, p_end, p_nid);      \
	     i != ~u64{0};                                                                    \
	     __next_mem_range_rev(&i, nid, flags, type_a, type_b, p_start, p_end, p_nid))

// Memory ranges minus NOMAP (HOTPLUG and DRIVER_MANAGED included, as Linux), ascending /
// descending.
#define for_each_mem_range(i, p_start, p_end)                                          \
	__for_each_mem_range(i, &memblock.memory, nullptr, NUMA_NO_NODE,                   \
			     MEMBLOCK_HOTPLUG | MEMBLOCK_DRIVER_MANAGED, p_start, p_end, nullptr)
#define for_each_mem_range_rev(i, p_start, p_end)                                      \
	__for_each_mem_range_rev(i, &memblock.memory, nullptr, NUMA_NO_NODE,               \
				 MEMBLOCK_HOTPLUG | MEMBLOCK_DRIVER_MANAGED, p_start, p_end, nullptr)

#define for_each_reserved_mem_range(i, p_start, p_end)                                 \
	__for_each_mem_range(i, &memblock.reserved, nullptr, NUMA_NO_NODE, MEMBLOCK_NONE,  \
			     p_start, p_end, nullptr)

// Free ranges: memory minus reserved.
#define for_each_free_mem_range(i, nid, flags, p_start, p_end, p_nid)                  \
	__for_each_mem_range(i, &memblock.memory, &memblock.reserved, nid, flags, p_start, \
			     p_end, p_nid)
#define for_each_free_mem_range_reverse(i, nid, flags, p_start, p_end, p_nid)          \
	__for_each_mem_range_rev(i, &memblock.memory, &memblock.reserved, nid, flags,      \
				 p_start, p_end, p_nid)

#define for_each_mem_pfn_range(i, nid, p_start, p_end, p_nid)                          \
	for (i = -1, __next_mem_pfn_range(&i, nid, p_start, p_end, p_nid); i >= 0;         \
	     __next_mem_pfn_range(&i, nid, p_start, p_end, p_nid))

#define for_each_mem_region(region)                                                    \
	for (region = memblock.memory.regions;                                             \
	     region < (memblock.memory.regions + memblock.memory.cnt); region++)

#define for_each_reserved_mem_region(region)                                           \
	for (region = memblock.reserved.regions;                                           \
	     region < (memblock.reserved.regions + memblock.reserved.cnt); region++)
