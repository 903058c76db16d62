// SPARSEMEM_VMEMMAP: physical memory in 128 MiB sections; struct pages for present sections
// only, at vmemmap + pfn, so a hole costs no memmap and pfn_to_page/page_to_pfn are O(1).
//
// mem_section is two-level (Linux's SPARSEMEM_EXTREME): the root array (NR_SECTION_ROOTS
// pointers) and each root page of SECTIONS_PER_ROOT sections come from memblock on demand,
// since a flat array for 48-bit physical addresses would be 2^21 entries.
//
// Contract:
// - The architecture sets `vmemmap` (page-aligned, covering pfn 0..2^36 virtually) and
//   provides vmemmap_populate(); sparse_init() populates exactly the present sections.
// - pfn_valid(pfn) is true iff the pfn's section has a memmap; every struct page of such a
//   section is initialised by free_area_init (holes inside a section as Reserved).
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"
#include "mm/struct_page.h"

inline constexpr unsigned SECTION_SIZE_BITS = 27;
inline constexpr unsigned MAX_PHYSMEM_BITS = 48;
inline constexpr unsigned SECTIONS_SHIFT = MAX_PHYSMEM_BITS - SECTION_SIZE_BITS;
inline constexpr unsigned PFN_SECTION_SHIFT = SECTION_SIZE_BITS - PAGE_SHIFT;
inline constexpr unsigned long NR_MEM_SECTIONS = 1UL << SECTIONS_SHIFT;
inline constexpr unsigned long PAGES_PER_SECTION = 1UL << PFN_SECTION_SHIFT;
inline constexpr unsigned long PAGE_SECTION_MASK = ~(PAGES_PER_SECTION - 1);
inline constexpr unsigned long MAX_PHYS_PFN = 1UL << (MAX_PHYSMEM_BITS - PAGE_SHIFT);

// Pageblock migratetype bits of one section (64 pageblocks x 4 bits).
inline constexpr unsigned long SECTION_BLOCKFLAGS_BITS = (PAGES_PER_SECTION >> 9) * 4;
struct mem_section_usage {
	unsigned long pageblock_flags[SECTION_BLOCKFLAGS_BITS / 64];
};

struct mem_section {
	// SECTION_* flag bits below; the node id above SECTION_NID_SHIFT (set when marked present).
	unsigned long section_mem_map;
	mem_section_usage *usage;
};
inline constexpr unsigned long SECTION_MARKED_PRESENT = 1UL << 0;
inline constexpr unsigned long SECTION_HAS_MEM_MAP = 1UL << 1;
inline constexpr unsigned long SECTION_IS_ONLINE = 1UL << 2;
inline constexpr unsigned long SECTION_IS_EARLY = 1UL << 3;
inline constexpr unsigned SECTION_NID_SHIFT = 8;

inline constexpr unsigned long SECTIONS_PER_ROOT = PAGE_SIZE / sizeof(mem_section);
inline constexpr unsigned long NR_SECTION_ROOTS = NR_MEM_SECTIONS / SECTIONS_PER_ROOT;
static_assert((SECTIONS_PER_ROOT & (SECTIONS_PER_ROOT - 1)) == 0);

extern mem_section **mem_section_roots;
// struct page of pfn 0 (virtual; only present sections are backed).
extern page *vmemmap;

constexpr unsigned long pfn_to_section_nr(unsigned long pfn) { return pfn >> PFN_SECTION_SHIFT; }
constexpr unsigned long section_nr_to_pfn(unsigned long sec) { return sec << PFN_SECTION_SHIFT; }

inline mem_section *__nr_to_section(unsigned long nr)
{
	if (nr >= NR_MEM_SECTIONS || !mem_section_roots)
		return nullptr;
	mem_section *root = mem_section_roots[nr / SECTIONS_PER_ROOT];
	return root ? &root[nr % SECTIONS_PER_ROOT] : nullptr;
}
inline mem_section *__pfn_to_section(unsigned long pfn) { return __nr_to_section(pfn_to_section_nr(pfn)); }
inline bool present_section(const mem_section *ms) { return ms && (ms->section_mem_map & SECTION_MARKED_PRESENT); }
inline bool valid_section(const mem_section *ms) { return ms && (ms->section_mem_map & SECTION_HAS_MEM_MAP); }
inline bool present_section_nr(unsigned long nr) { return present_section(__nr_to_section(nr)); }
inline bool valid_section_nr(unsigned long nr) { return valid_section(__nr_to_section(nr)); }
inline int section_nid(const mem_section *ms) { return static_cast<int>(ms->section_mem_map >> SECTION_NID_SHIFT); }

// True iff pfn has a struct page (its section's memmap is populated).
inline bool pfn_valid(unsigned long pfn)
{
	if (pfn >= MAX_PHYS_PFN)
		return false;
	return valid_section(__pfn_to_section(pfn));
}

inline page *pfn_to_page(unsigned long pfn) { return vmemmap + pfn; }
inline unsigned long page_to_pfn(const page *p) { return static_cast<unsigned long>(p - vmemmap); }

// Marks sections of [start_pfn, end_pfn) present for node nid (allocating roots). Errors:
// EINVAL for a range beyond MAX_PHYSMEM_BITS, ENOMEM when memblock cannot supply a root.
[[nodiscard]] Result memory_present(int nid, unsigned long start_pfn, unsigned long end_pfn);
// Gives memory regions that have no node (nid MAX_NUMNODES) to node 0.
void memblock_assign_default_node();
// Every memblock.memory range (Linux's memblocks_present); assigns node 0 to regions that
// have none first.
[[nodiscard]] Result memblocks_present();
// memblocks_present(), then memmap and pageblock bits for every present section. Sections
// whose memmap cannot be populated are dropped with an error message (their memory is lost,
// as in Linux); the function fails only if nothing at all could be set up.
[[nodiscard]] Result sparse_init();

// Arch hook: back the struct pages at virtual [start, end) (page aligned) with memory for node
// nid. The kernel's maps 2 MiB blocks from memblock; the host's makes a PROT_NONE range usable.
[[nodiscard]] Result vmemmap_populate(unsigned long start, unsigned long end, int nid);

// Bytes of memmap requested from vmemmap_populate (sections x PAGES_PER_SECTION x 64).
extern unsigned long sparse_memmap_bytes;
extern unsigned long sparse_present_sections;

// Tests only: forget all sections (roots are not freed: memblock is reset with them).
void sparse_reset_for_test();
