// Sparse memory model: present sections from memblock and their memmap (Linux mm/sparse.c).
#include "mm/sparse.h"

#include "core/printk.h"
#include "mm/memblock.h"
#include "mm/mmzone.h"

mem_section **mem_section_roots;
page *vmemmap;
unsigned long sparse_memmap_bytes;
unsigned long sparse_present_sections;

static Result sparse_index_init(unsigned long section_nr, int nid)
{
	if (!mem_section_roots) {
		mem_section_roots = static_cast<mem_section **>(
			memblock_alloc(NR_SECTION_ROOTS * sizeof(mem_section *), PAGE_SIZE));
		if (!mem_section_roots) {
			pr_err("sparse: cannot allocate the mem_section root array (%lu bytes)\n",
			       NR_SECTION_ROOTS * sizeof(mem_section *));
			return Errno::ENOMEM;
		}
	}
	unsigned long root = section_nr / SECTIONS_PER_ROOT;
	if (mem_section_roots[root])
		return {};
	auto *sec = static_cast<mem_section *>(memblock_alloc_node(PAGE_SIZE, PAGE_SIZE, nid));
	if (!sec) {
		pr_err("sparse: cannot allocate mem_section root %lu for node %d\n", root, nid);
		return Errno::ENOMEM;
	}
	mem_section_roots[root] = sec;
	return {};
}

Result memory_present(int nid, unsigned long start, unsigned long end)
{
	if (end > MAX_PHYS_PFN || start > end) {
		pr_err("sparse: pfn range [%#lx-%#lx) beyond MAX_PHYSMEM_BITS %u\n", start, end,
		       MAX_PHYSMEM_BITS);
		return Errno::EINVAL;
	}
	if (nid < 0 || nid >= MAX_NUMNODES)
		nid = 0;
	for (unsigned long pfn = start & PAGE_SECTION_MASK; pfn < end; pfn += PAGES_PER_SECTION) {
		unsigned long nr = pfn_to_section_nr(pfn);
		TRY(sparse_index_init(nr, nid));
		mem_section *ms = __nr_to_section(nr);
		if (!ms->section_mem_map)
			ms->section_mem_map = (static_cast<unsigned long>(nid) << SECTION_NID_SHIFT) |
					      SECTION_MARKED_PRESENT | SECTION_IS_ONLINE;
	}
	return {};
}

void memblock_assign_default_node()
{
	// Memory added without a node (memblock_add) belongs to node 0, as arm64's
	// dummy_numa_init() does when the DT names no NUMA nodes. memblock_set_node() may merge
	// regions, so rescan after each change.
	for (bool changed = true; changed;) {
		changed = false;
		for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
			memblock_region *r = &memblock.memory.regions[i];
			if (r->size && (r->nid < 0 || r->nid >= MAX_NUMNODES)) {
				if (memblock_set_node(r->base, r->size, &memblock.memory, 0) != 0)
					return;
				changed = true;
				break;
			}
		}
	}
}

Result memblocks_present()
{
	unsigned long start, end;
	int nid, i;
	memblock_assign_default_node();
	for_each_mem_pfn_range(i, MAX_NUMNODES, &start, &end, &nid)
		TRY(memory_present(nid, start, end));
	return {};
}

Result sparse_init()
{
	TRY(memblocks_present());
	if (!vmemmap) {
		pr_err("sparse: vmemmap base not set by the architecture\n");
		return Errno::EINVAL;
	}
	unsigned long ok = 0, failed = 0;
	for (unsigned long root = 0; root < NR_SECTION_ROOTS; root++) {
		if (!mem_section_roots[root])
			continue;
		for (unsigned long i = 0; i < SECTIONS_PER_ROOT; i++) {
			unsigned long nr = root * SECTIONS_PER_ROOT + i;
			mem_section *ms = __nr_to_section(nr);
			if (!present_section(ms) || valid_section(ms))
				continue;
			int nid = section_nid(ms);
			auto *usage = static_cast<mem_section_usage *>(
				memblock_alloc_node(sizeof(mem_section_usage), sizeof(unsigned long), nid));
			unsigned long start = reinterpret_cast<unsigned long>(pfn_to_page(section_nr_to_pfn(nr)));
			unsigned long end = start + PAGES_PER_SECTION * sizeof(page);
			Result r = usage ? vmemmap_populate(start, end, nid) : Result(Errno::ENOMEM);
			if (r.is_error()) {
				// Linux: "sparse_init_nid: node[%d] memory map backing failed. Some memory will
				// not be available." The section stays non-valid: pfn_valid() is false for it.
				pr_err("sparse_init_nid: node[%d] memory map backing failed. Some memory will not be available.\n",
				       nid);
				if (usage)
					memblock_free(usage, sizeof(mem_section_usage));
				ms->section_mem_map = 0;
				failed++;
				continue;
			}
			ms->usage = usage;
			ms->section_mem_map |= SECTION_HAS_MEM_MAP | SECTION_IS_EARLY;
			sparse_memmap_bytes += end - start;
			sparse_present_sections++;
			ok++;
		}
	}
	if (!ok && failed)
		return Errno::ENOMEM;
	return {};
}

void sparse_reset_for_test()
{
	mem_section_roots = nullptr;
	sparse_memmap_bytes = 0;
	sparse_present_sections = 0;
}

// --- pageblock flags ---------------------------------------------------------------------

void set_pfnblock_flags_mask(page *, unsigned long flags, unsigned long pfn, unsigned long mask)
{
	unsigned bitidx;
	unsigned long *w = pageblock_word(pfn, &bitidx);
	mask <<= bitidx;
	flags <<= bitidx;
	unsigned long word = __atomic_load_n(w, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(w, &word, (word & ~mask) | flags, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED)) {
	}
}

int get_pageblock_migratetype(const page *p)
{
	return static_cast<int>(get_pfnblock_flags_mask(p, page_to_pfn(p), MIGRATETYPE_MASK));
}

void set_pageblock_migratetype(page *p, int migratetype)
{
	if (page_group_by_mobility_disabled && migratetype < MIGRATE_PCPTYPES)
		migratetype = MIGRATE_UNMOVABLE;
	set_pfnblock_flags_mask(p, static_cast<unsigned long>(migratetype), page_to_pfn(p), MIGRATETYPE_MASK);
}
