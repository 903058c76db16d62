// memblock: Linux 6.1's boot-time memory map (mm/memblock.c), rewritten for this kernel.
// Behaviour, messages and the debug log format follow Linux; where this file departs from it
// (alignment check, messages when an array cannot grow, memblock_discard) it says why.
#include "mm/memblock.h"

#include "core/panic.h"
#include "core/printk.h"
#include "kstd/result.h"
#include "kstd/string.h"
#include "kstd/util.h"
#include "mm/memory_model.h"

namespace {

// Alignment used when a caller passes 0 (Linux's SMP_CACHE_BYTES on arm64).
constexpr phys_addr_t SMP_CACHE_BYTES = 64;

constexpr int neg_errno(Errno e) { return -static_cast<int>(e); }

constexpr phys_addr_t page_align(phys_addr_t v) { return kstd::align_up(v, PAGE_SIZE); }
constexpr unsigned long pfn_up(phys_addr_t a) { return (a + PAGE_SIZE - 1) >> PAGE_SHIFT; }
constexpr unsigned long pfn_down(phys_addr_t a) { return a >> PAGE_SHIFT; }

// Linux prints phys_addr_t with %pa: "0x" and 16 zero-padded hex digits. Spelled out here so
// the kernel and host printf implementations agree byte for byte.
inline unsigned long long pa(phys_addr_t v) { return static_cast<unsigned long long>(v); }

memblock_region memblock_memory_init_regions[INIT_MEMBLOCK_REGIONS];
memblock_region memblock_reserved_init_regions[INIT_MEMBLOCK_RESERVED_REGIONS];

bool system_has_some_mirror;
// Arrays may only grow into memory the kernel can write through the linear map.
bool memblock_can_resize;
// After memblock_discard() the grown arrays' pages count as free: nothing may allocate.
bool memblock_discarded;
// "Cannot grow yet" is reported once per type, not once per rejected region.
bool memory_full_reported;
bool reserved_full_reported;
bool max_numnodes_warned;

} // namespace

struct memblock memblock = {
	.bottom_up = false,
	.current_limit = MEMBLOCK_ALLOC_ANYWHERE,
	.memory = {
		.cnt = 1, // the empty dummy entry
		.max = INIT_MEMBLOCK_REGIONS,
		.total_size = 0,
		.regions = memblock_memory_init_regions,
		.name = "memory",
	},
	.reserved = {
		.cnt = 1,
		.max = INIT_MEMBLOCK_RESERVED_REGIONS,
		.total_size = 0,
		.regions = memblock_reserved_init_regions,
		.name = "reserved",
	},
};

bool memblock_debug;

#define memblock_dbg(fmt, ...)                      \
	do {                                            \
		if (memblock_debug)                         \
			pr_info(fmt, ##__VA_ARGS__);            \
	} while (0)

// Public functions that log their caller must not be inlined into another memblock function,
// or _RET_IP_ would name that function's caller instead.
#define MEMBLOCK_LOGGED __attribute__((noinline))

#define for_each_memblock_type(i, memblock_type, rgn)                              \
	for (i = 0, rgn = &(memblock_type)->regions[0];                                \
	     static_cast<unsigned long>(i) < (memblock_type)->cnt;                     \
	     i++, rgn = &(memblock_type)->regions[i])

namespace {

memblock_flags choose_memblock_flags()
{
	return system_has_some_mirror ? MEMBLOCK_MIRROR : MEMBLOCK_NONE;
}

// Clips *size so that base + *size does not wrap; returns the new size.
phys_addr_t memblock_cap_size(phys_addr_t base, phys_addr_t *size)
{
	return *size = kstd::min(*size, PHYS_ADDR_MAX - base);
}

bool memblock_addrs_overlap(phys_addr_t base1, phys_addr_t size1, phys_addr_t base2,
			    phys_addr_t size2)
{
	return base1 < base2 + size2 && base2 < base1 + size1;
}

bool warn_max_numnodes(int nid)
{
	if (nid != MAX_NUMNODES)
		return false;
	if (!max_numnodes_warned) {
		max_numnodes_warned = true;
		pr_warn("Usage of MAX_NUMNODES is deprecated. Use NUMA_NO_NODE instead\n");
		WARN_ON(true);
	}
	return true;
}

phys_addr_t __memblock_find_range_bottom_up(phys_addr_t start, phys_addr_t end,
					    phys_addr_t size, phys_addr_t align, int nid,
					    memblock_flags flags)
{
	phys_addr_t this_start, this_end, cand;
	u64 i;

	for_each_free_mem_range(i, nid, flags, &this_start, &this_end, nullptr) {
		this_start = kstd::clamp(this_start, start, end);
		this_end = kstd::clamp(this_end, start, end);

		cand = kstd::align_up(this_start, align);
		// cand < this_start: rounding wrapped past the top of the address space.
		if (cand >= this_start && cand < this_end && this_end - cand >= size)
			return cand;
	}
	return 0;
}

phys_addr_t __memblock_find_range_top_down(phys_addr_t start, phys_addr_t end,
					   phys_addr_t size, phys_addr_t align, int nid,
					   memblock_flags flags)
{
	phys_addr_t this_start, this_end, cand;
	u64 i;

	for_each_free_mem_range_reverse(i, nid, flags, &this_start, &this_end, nullptr) {
		this_start = kstd::clamp(this_start, start, end);
		this_end = kstd::clamp(this_end, start, end);

		if (this_end < size)
			continue;

		cand = kstd::align_down(this_end - size, align);
		if (cand >= this_start)
			return cand;
	}
	return 0;
}

phys_addr_t memblock_find_in_range_node(phys_addr_t size, phys_addr_t align,
					phys_addr_t start, phys_addr_t end, int nid,
					memblock_flags flags)
{
	if (end == MEMBLOCK_ALLOC_ACCESSIBLE)
		end = memblock.current_limit;

	// Physical address 0 doubles as the failure value, so the first page is never handed out.
	start = kstd::max(start, PAGE_SIZE);
	end = kstd::max(start, end);

	if (memblock_bottom_up())
		return __memblock_find_range_bottom_up(start, end, size, align, nid, flags);
	return __memblock_find_range_top_down(start, end, size, align, nid, flags);
}

phys_addr_t memblock_find_in_range(phys_addr_t start, phys_addr_t end, phys_addr_t size,
				   phys_addr_t align)
{
	memblock_flags flags = choose_memblock_flags();
	phys_addr_t ret;

again:
	ret = memblock_find_in_range_node(size, align, start, end, NUMA_NO_NODE, flags);
	if (!ret && (flags & MEMBLOCK_MIRROR)) {
		pr_warn("Could not allocate 0x%016llx bytes of mirrored memory\n", pa(size));
		flags &= ~MEMBLOCK_MIRROR;
		goto again;
	}
	return ret;
}

void memblock_remove_region(memblock_type *type, unsigned long r)
{
	type->total_size -= type->regions[r].size;
	memmove(&type->regions[r], &type->regions[r + 1],
		(type->cnt - (r + 1)) * sizeof(type->regions[r]));
	type->cnt--;

	// An empty type keeps one zero-sized dummy so regions[0] is always valid.
	if (type->cnt == 0) {
		WARN_ON(type->total_size != 0);
		type->cnt = 1;
		type->regions[0].base = 0;
		type->regions[0].size = 0;
		type->regions[0].flags = MEMBLOCK_NONE;
		memblock_set_region_node(&type->regions[0], MAX_NUMNODES);
	}
}

// Doubles type's array into memory found by memblock itself and reserves it. When growing
// memblock.reserved for a new reservation [new_area_start, +new_area_size), that range is not
// yet reserved and so looks free: the new array must avoid it. Returns 0 or -1.
int memblock_double_array(memblock_type *type, phys_addr_t new_area_start,
			  phys_addr_t new_area_size)
{
	if (memblock_discarded) {
		pr_err("memblock: cannot grow %s array after memblock_discard()\n", type->name);
		WARN_ON(true);
		return -1;
	}
	// Linux fails silently here; a DTB with more regions than the static arrays hold must
	// produce a message (once per type: the caller gets -ENOMEM for every region).
	if (!memblock_can_resize) {
		bool &reported = type == &memblock.memory ? memory_full_reported
							  : reserved_full_reported;
		if (!reported) {
			reported = true;
			pr_err("memblock: %s array is full (%lu entries) and cannot grow before "
			       "memblock_allow_resize(); further %s regions are dropped\n",
			       type->name, type->max, type->name);
		}
		return -1;
	}

	const phys_addr_t old_size = type->max * sizeof(memblock_region);
	const phys_addr_t new_size = old_size << 1;
	// Whole pages, so that the array can be freed completely later.
	const phys_addr_t old_alloc_size = page_align(old_size);
	const phys_addr_t new_alloc_size = page_align(new_size);

	if (type != &memblock.reserved)
		new_area_start = new_area_size = 0;

	phys_addr_t addr = memblock_find_in_range(new_area_start + new_area_size,
						  memblock.current_limit, new_alloc_size, PAGE_SIZE);
	if (!addr && new_area_size)
		addr = memblock_find_in_range(0, kstd::min(new_area_start, memblock.current_limit),
					      new_alloc_size, PAGE_SIZE);
	if (!addr) {
		pr_err("memblock: Failed to double %s array from %ld to %ld entries !\n", type->name,
		       static_cast<long>(type->max), static_cast<long>(type->max * 2));
		return -1;
	}

	const phys_addr_t new_end = addr + new_size - 1;
	// Linux 6.1 has no newline here; its printk starts a new record at the next message
	// anyway, so adding it keeps the output identical on a printk that needs it.
	memblock_dbg("memblock: %s is doubled to %ld at [0x%016llx-0x%016llx]\n", type->name,
		     static_cast<long>(type->max * 2), pa(addr), pa(new_end));

	// Move the array before reserving its new home: the full array may be reserved itself.
	auto *new_array = static_cast<memblock_region *>(phys_to_virt(PhysAddr(addr)));
	memcpy(new_array, type->regions, old_size);
	memset(new_array + type->max, 0, old_size);
	memblock_region *old_array = type->regions;
	type->regions = new_array;
	type->max <<= 1;

	if (old_array != memblock_memory_init_regions && old_array != memblock_reserved_init_regions)
		memblock_free(old_array, old_alloc_size);

	BUG_ON(memblock_reserve(addr, new_alloc_size));
	return 0;
}

// Merges neighbouring regions that touch and agree on node and flags.
void memblock_merge_regions(memblock_type *type)
{
	unsigned long i = 0;

	// cnt never goes below 1
	while (i < type->cnt - 1) {
		memblock_region *rgn = &type->regions[i];
		memblock_region *next = &type->regions[i + 1];

		if (rgn->base + rgn->size != next->base ||
		    memblock_get_region_node(rgn) != memblock_get_region_node(next) ||
		    rgn->flags != next->flags) {
			BUG_ON(rgn->base + rgn->size > next->base);
			i++;
			continue;
		}

		rgn->size += next->size;
		memmove(next, next + 1, (type->cnt - (i + 2)) * sizeof(*next));
		type->cnt--;
	}
}

// Inserts [base, base + size) at idx; the caller guarantees room.
void memblock_insert_region(memblock_type *type, int idx, phys_addr_t base, phys_addr_t size,
			    int nid, memblock_flags flags)
{
	memblock_region *rgn = &type->regions[idx];

	BUG_ON(type->cnt >= type->max);
	memmove(rgn + 1, rgn, (type->cnt - idx) * sizeof(*rgn));
	rgn->base = base;
	rgn->size = size;
	rgn->flags = flags;
	memblock_set_region_node(rgn, nid);
	type->cnt++;
	type->total_size += size;
}

// Adds [base, base + size) to type. Parts already covered keep their existing regions (and
// flags/node); only the uncovered parts are inserted, then neighbours are merged. The first
// pass counts the regions needed so the array can grow before anything changes.
int memblock_add_range(memblock_type *type, phys_addr_t base, phys_addr_t size, int nid,
		       memblock_flags flags)
{
	bool insert = false;
	const phys_addr_t obase = base;
	const phys_addr_t end = base + memblock_cap_size(base, &size);
	int idx, nr_new;
	memblock_region *rgn;

	if (!size)
		return 0;

	if (type->regions[0].size == 0) {
		WARN_ON(type->cnt != 1 || type->total_size);
		type->regions[0].base = base;
		type->regions[0].size = size;
		type->regions[0].flags = flags;
		memblock_set_region_node(&type->regions[0], nid);
		type->total_size = size;
		return 0;
	}
repeat:
	base = obase;
	nr_new = 0;

	for_each_memblock_type(idx, type, rgn) {
		phys_addr_t rbase = rgn->base;
		phys_addr_t rend = rbase + rgn->size;

		if (rbase >= end)
			break;
		if (rend <= base)
			continue;
		// rgn overlaps; the part of the new range below it is inserted on its own.
		if (rbase > base) {
			WARN_ON(nid != memblock_get_region_node(rgn));
			WARN_ON(flags != rgn->flags);
			nr_new++;
			if (insert)
				memblock_insert_region(type, idx++, base, rbase - base, nid, flags);
		}
		base = kstd::min(rend, end);
	}

	if (base < end) {
		nr_new++;
		if (insert)
			memblock_insert_region(type, idx, base, end - base, nid, flags);
	}

	if (!nr_new)
		return 0;

	if (!insert) {
		while (type->cnt + nr_new > type->max)
			if (memblock_double_array(type, obase, size) < 0)
				return neg_errno(Errno::ENOMEM);
		insert = true;
		goto repeat;
	}
	memblock_merge_regions(type);
	return 0;
}

// Splits regions of type at base and base + size so that the range is covered by whole
// regions [*start_rgn, *end_rgn) (both 0 when nothing overlaps).
int memblock_isolate_range(memblock_type *type, phys_addr_t base, phys_addr_t size,
			   int *start_rgn, int *end_rgn)
{
	const phys_addr_t end = base + memblock_cap_size(base, &size);
	int idx;
	memblock_region *rgn;

	*start_rgn = *end_rgn = 0;

	if (!size)
		return 0;

	// At most two splits.
	while (type->cnt + 2 > type->max)
		if (memblock_double_array(type, base, size) < 0)
			return neg_errno(Errno::ENOMEM);

	for_each_memblock_type(idx, type, rgn) {
		phys_addr_t rbase = rgn->base;
		phys_addr_t rend = rbase + rgn->size;

		if (rbase >= end)
			break;
		if (rend <= base)
			continue;

		if (rbase < base) {
			// Crosses base: split and go on with the upper half, now at idx + 1.
			rgn->base = base;
			rgn->size -= base - rbase;
			type->total_size -= base - rbase;
			memblock_insert_region(type, idx, rbase, base - rbase,
					       memblock_get_region_node(rgn), rgn->flags);
		} else if (rend > end) {
			// Crosses end: split and revisit idx, now the lower half.
			rgn->base = end;
			rgn->size -= end - rbase;
			type->total_size -= end - rbase;
			memblock_insert_region(type, idx--, rbase, end - rbase,
					       memblock_get_region_node(rgn), rgn->flags);
		} else {
			if (!*end_rgn)
				*start_rgn = idx;
			*end_rgn = idx + 1;
		}
	}
	return 0;
}

int memblock_remove_range(memblock_type *type, phys_addr_t base, phys_addr_t size)
{
	int start_rgn, end_rgn;
	int ret = memblock_isolate_range(type, base, size, &start_rgn, &end_rgn);
	if (ret)
		return ret;

	for (int i = end_rgn - 1; i >= start_rgn; i--)
		memblock_remove_region(type, i);
	return 0;
}

int memblock_setclr_flag(phys_addr_t base, phys_addr_t size, bool set, memblock_flags flag)
{
	memblock_type *type = &memblock.memory;
	int start_rgn, end_rgn;

	int ret = memblock_isolate_range(type, base, size, &start_rgn, &end_rgn);
	if (ret)
		return ret;

	for (int i = start_rgn; i < end_rgn; i++) {
		memblock_region *r = &type->regions[i];
		if (set)
			r->flags |= flag;
		else
			r->flags &= ~flag;
	}

	memblock_merge_regions(type);
	return 0;
}

// Iterators walk memblock.reserved unfiltered; only memory regions have nodes and flags that
// select them. (Linux also skips hotpluggable memory under movable_node, which this kernel
// does not have.)
bool should_skip_region(const memblock_type *type, const memblock_region *m, int nid,
			memblock_flags flags)
{
	if (type != &memblock.memory)
		return false;
	if (nid != NUMA_NO_NODE && nid != memblock_get_region_node(m))
		return true;
	if ((flags & MEMBLOCK_MIRROR) && !memblock_is_mirror(m))
		return true;
	if (!(flags & MEMBLOCK_NOMAP) && memblock_is_nomap(m))
		return true;
	if (!(flags & MEMBLOCK_DRIVER_MANAGED) && memblock_is_driver_managed(m))
		return true;
	return false;
}

u64 pack_idx(int idx_a, int idx_b)
{
	return static_cast<u32>(idx_a) | static_cast<u64>(static_cast<u32>(idx_b)) << 32;
}

void *memblock_alloc_internal(phys_addr_t size, phys_addr_t align, phys_addr_t min_addr,
			      phys_addr_t max_addr, int nid, bool exact_nid)
{
	if (max_addr > memblock.current_limit)
		max_addr = memblock.current_limit;

	phys_addr_t alloc = memblock_alloc_range_nid(size, align, min_addr, max_addr, nid, exact_nid);

	// min_addr is a preference: retry without it.
	if (!alloc && min_addr)
		alloc = memblock_alloc_range_nid(size, align, 0, max_addr, nid, exact_nid);

	if (!alloc)
		return nullptr;
	return phys_to_virt(PhysAddr(alloc));
}

// Translates the first `limit` bytes of memory into the address where they end, or
// PHYS_ADDR_MAX if memory holds no more than limit bytes.
phys_addr_t __find_max_addr(phys_addr_t limit)
{
	phys_addr_t max_addr = PHYS_ADDR_MAX;
	memblock_region *r;

	for_each_mem_region(r) {
		if (limit <= r->size) {
			max_addr = r->base + limit;
			break;
		}
		limit -= r->size;
	}
	return max_addr;
}

int memblock_search(const memblock_type *type, phys_addr_t addr)
{
	unsigned int left = 0, right = type->cnt;

	do {
		unsigned int mid = (right + left) / 2;

		if (addr < type->regions[mid].base)
			right = mid;
		else if (addr >= type->regions[mid].base + type->regions[mid].size)
			left = mid + 1;
		else
			return mid;
	} while (left < right);
	return -1;
}

void memblock_dump(const memblock_type *type)
{
	const memblock_region *rgn;
	int idx;

	pr_info(" %s.cnt  = 0x%lx\n", type->name, type->cnt);

	for_each_memblock_type(idx, type, rgn) {
		const phys_addr_t base = rgn->base;
		const phys_addr_t size = rgn->size;
		const phys_addr_t end = base + size - 1;
		const int nid = memblock_get_region_node(rgn);

		// As Linux with CONFIG_NUMA: regions that never got a node (MAX_NUMNODES, e.g.
		// all reserved ones) print no node.
		if (nid != MAX_NUMNODES)
			pr_info(" %s[0x%x]\t[0x%016llx-0x%016llx], 0x%016llx bytes on node %d flags: 0x%x\n",
				type->name, static_cast<unsigned>(idx), pa(base), pa(end), pa(size), nid,
				static_cast<unsigned>(rgn->flags));
		else
			pr_info(" %s[0x%x]\t[0x%016llx-0x%016llx], 0x%016llx bytes flags: 0x%x\n",
				type->name, static_cast<unsigned>(idx), pa(base), pa(end), pa(size),
				static_cast<unsigned>(rgn->flags));
	}
}

} // namespace

// --- public interface --------------------------------------------------------------------

MEMBLOCK_LOGGED int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid,
				      memblock_flags flags)
{
	const phys_addr_t end = base + size - 1;

	memblock_dbg("%s: [0x%016llx-0x%016llx] nid=%d flags=%x %pS\n", __func__, pa(base), pa(end),
		     nid, static_cast<unsigned>(flags), reinterpret_cast<void *>(_RET_IP_));
	return memblock_add_range(&memblock.memory, base, size, nid, flags);
}

MEMBLOCK_LOGGED int memblock_add(phys_addr_t base, phys_addr_t size)
{
	const phys_addr_t end = base + size - 1;

	memblock_dbg("%s: [0x%016llx-0x%016llx] %pS\n", __func__, pa(base), pa(end),
		     reinterpret_cast<void *>(_RET_IP_));
	return memblock_add_range(&memblock.memory, base, size, MAX_NUMNODES, MEMBLOCK_NONE);
}

MEMBLOCK_LOGGED int memblock_remove(phys_addr_t base, phys_addr_t size)
{
	const phys_addr_t end = base + size - 1;

	memblock_dbg("%s: [0x%016llx-0x%016llx] %pS\n", __func__, pa(base), pa(end),
		     reinterpret_cast<void *>(_RET_IP_));
	return memblock_remove_range(&memblock.memory, base, size);
}

MEMBLOCK_LOGGED int memblock_phys_free(phys_addr_t base, phys_addr_t size)
{
	const phys_addr_t end = base + size - 1;

	memblock_dbg("%s: [0x%016llx-0x%016llx] %pS\n", __func__, pa(base), pa(end),
		     reinterpret_cast<void *>(_RET_IP_));
	return memblock_remove_range(&memblock.reserved, base, size);
}

void memblock_free(void *ptr, usize size)
{
	if (ptr)
		memblock_phys_free(virt_to_phys(ptr).value(), size);
}

MEMBLOCK_LOGGED int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
	const phys_addr_t end = base + size - 1;

	memblock_dbg("%s: [0x%016llx-0x%016llx] %pS\n", __func__, pa(base), pa(end),
		     reinterpret_cast<void *>(_RET_IP_));
	return memblock_add_range(&memblock.reserved, base, size, MAX_NUMNODES, MEMBLOCK_NONE);
}

int memblock_mark_hotplug(phys_addr_t base, phys_addr_t size)
{
	return memblock_setclr_flag(base, size, true, MEMBLOCK_HOTPLUG);
}

int memblock_clear_hotplug(phys_addr_t base, phys_addr_t size)
{
	return memblock_setclr_flag(base, size, false, MEMBLOCK_HOTPLUG);
}

int memblock_mark_mirror(phys_addr_t base, phys_addr_t size)
{
	system_has_some_mirror = true;
	return memblock_setclr_flag(base, size, true, MEMBLOCK_MIRROR);
}

int memblock_mark_nomap(phys_addr_t base, phys_addr_t size)
{
	return memblock_setclr_flag(base, size, true, MEMBLOCK_NOMAP);
}

int memblock_clear_nomap(phys_addr_t base, phys_addr_t size)
{
	return memblock_setclr_flag(base, size, false, MEMBLOCK_NOMAP);
}

int memblock_set_node(phys_addr_t base, phys_addr_t size, memblock_type *type, int nid)
{
	int start_rgn, end_rgn;

	int ret = memblock_isolate_range(type, base, size, &start_rgn, &end_rgn);
	if (ret)
		return ret;

	for (int i = start_rgn; i < end_rgn; i++)
		memblock_set_region_node(&type->regions[i], nid);

	memblock_merge_regions(type);
	return 0;
}

void memblock_allow_resize() { memblock_can_resize = true; }

bool memblock_overlaps_region(memblock_type *type, phys_addr_t base, phys_addr_t size)
{
	unsigned long i;

	memblock_cap_size(base, &size);
	for (i = 0; i < type->cnt; i++)
		if (memblock_addrs_overlap(base, size, type->regions[i].base, type->regions[i].size))
			break;
	return i < type->cnt;
}

// The iterators' outputs; each pointer may be null.
static void set_range_out(phys_addr_t *out_start, phys_addr_t *out_end, int *out_nid, phys_addr_t start,
			  phys_addr_t end, int nid)
{
	if (out_start)
		*out_start = start;
	if (out_end)
		*out_end = end;
	if (out_nid)
		*out_nid = nid;
}

// The low 32 bits of *idx index type_a; the high 32 bits index the gaps of type_b: with
// type_b = {0:[0-16), 1:[32-48), 2:[128-130)} gap k is the space before region k, so
// 0:[0-0), 1:[16-32), 2:[48-128), 3:[130-MAX). Both arrays are sorted, so the two indices
// advance in lockstep and each call returns the next intersection.
void __next_mem_range(u64 *idx, int nid, memblock_flags flags, memblock_type *type_a,
		      memblock_type *type_b, phys_addr_t *out_start, phys_addr_t *out_end,
		      int *out_nid)
{
	int idx_a = static_cast<int>(static_cast<u32>(*idx));
	int idx_b = static_cast<int>(*idx >> 32);

	if (warn_max_numnodes(nid))
		nid = NUMA_NO_NODE;

	for (; idx_a < static_cast<int>(type_a->cnt); idx_a++) {
		const memblock_region *m = &type_a->regions[idx_a];
		const phys_addr_t m_start = m->base;
		const phys_addr_t m_end = m->base + m->size;
		const int m_nid = memblock_get_region_node(m);

		if (should_skip_region(type_a, m, nid, flags))
			continue;

		if (!type_b) {
			set_range_out(out_start, out_end, out_nid, m_start, m_end, m_nid);
			idx_a++;
			*idx = pack_idx(idx_a, idx_b);
			return;
		}

		for (; idx_b < static_cast<int>(type_b->cnt) + 1; idx_b++) {
			const memblock_region *r = &type_b->regions[idx_b];
			const phys_addr_t r_start = idx_b ? r[-1].base + r[-1].size : 0;
			const phys_addr_t r_end =
				idx_b < static_cast<int>(type_b->cnt) ? r->base : PHYS_ADDR_MAX;

			// This gap lies above m: move on to the next m.
			if (r_start >= m_end)
				break;
			if (m_start < r_end) {
				set_range_out(out_start, out_end, out_nid, kstd::max(m_start, r_start), kstd::min(m_end, r_end), m_nid);
				// Whichever ends first is done.
				if (m_end <= r_end)
					idx_a++;
				else
					idx_b++;
				*idx = pack_idx(idx_a, idx_b);
				return;
			}
		}
	}

	*idx = ~u64{0};
}

void __next_mem_range_rev(u64 *idx, int nid, memblock_flags flags, memblock_type *type_a,
			  memblock_type *type_b, phys_addr_t *out_start, phys_addr_t *out_end,
			  int *out_nid)
{
	int idx_a = static_cast<int>(static_cast<u32>(*idx));
	int idx_b = static_cast<int>(*idx >> 32);

	if (warn_max_numnodes(nid))
		nid = NUMA_NO_NODE;

	if (*idx == ~u64{0}) {
		idx_a = static_cast<int>(type_a->cnt) - 1;
		idx_b = type_b ? static_cast<int>(type_b->cnt) : 0;
	}

	for (; idx_a >= 0; idx_a--) {
		const memblock_region *m = &type_a->regions[idx_a];
		const phys_addr_t m_start = m->base;
		const phys_addr_t m_end = m->base + m->size;
		const int m_nid = memblock_get_region_node(m);

		if (should_skip_region(type_a, m, nid, flags))
			continue;

		if (!type_b) {
			set_range_out(out_start, out_end, out_nid, m_start, m_end, m_nid);
			idx_a--;
			*idx = pack_idx(idx_a, idx_b);
			return;
		}

		for (; idx_b >= 0; idx_b--) {
			const memblock_region *r = &type_b->regions[idx_b];
			const phys_addr_t r_start = idx_b ? r[-1].base + r[-1].size : 0;
			const phys_addr_t r_end =
				idx_b < static_cast<int>(type_b->cnt) ? r->base : PHYS_ADDR_MAX;

			// This gap lies below m: move on to the previous m.
			if (r_end <= m_start)
				break;
			if (m_end > r_start) {
				set_range_out(out_start, out_end, out_nid, kstd::max(m_start, r_start), kstd::min(m_end, r_end), m_nid);
				// Whichever starts last is done.
				if (m_start >= r_start)
					idx_a--;
				else
					idx_b--;
				*idx = pack_idx(idx_a, idx_b);
				return;
			}
		}
	}

	*idx = ~u64{0};
}

void __next_mem_pfn_range(int *idx, int nid, unsigned long *out_start_pfn,
			  unsigned long *out_end_pfn, int *out_nid)
{
	const memblock_type *type = &memblock.memory;
	const memblock_region *r = nullptr;
	int r_nid = 0;

	while (++*idx < static_cast<int>(type->cnt)) {
		r = &type->regions[*idx];
		r_nid = memblock_get_region_node(r);

		// Regions holding no whole page contribute no pfn.
		if (pfn_up(r->base) >= pfn_down(r->base + r->size))
			continue;
		if (nid == MAX_NUMNODES || nid == r_nid)
			break;
	}
	if (*idx >= static_cast<int>(type->cnt)) {
		*idx = -1;
		return;
	}

	if (out_start_pfn)
		*out_start_pfn = pfn_up(r->base);
	if (out_end_pfn)
		*out_end_pfn = pfn_down(r->base + r->size);
	if (out_nid)
		*out_nid = r_nid;
}

phys_addr_t memblock_alloc_range_nid(phys_addr_t size, phys_addr_t align, phys_addr_t start,
				     phys_addr_t end, int nid, bool exact_nid)
{
	memblock_flags flags = choose_memblock_flags();
	phys_addr_t found;

	if (memblock_discarded) {
		pr_err("memblock: allocation of 0x%016llx bytes after memblock_discard()\n", pa(size));
		WARN_ON(true);
		return 0;
	}

	if (warn_max_numnodes(nid))
		nid = NUMA_NO_NODE;

	if (!align) {
		// Linux dumps the stack and carries on with cache-line alignment.
		WARN_ON(!align);
		align = SMP_CACHE_BYTES;
	}
	// Linux rounds with a mask and silently misaligns; refuse instead.
	if (!kstd::is_power_of_2(align)) {
		pr_err("memblock: alignment 0x%llx of a 0x%llx byte allocation is not a power of two\n",
		       pa(align), pa(size));
		return 0;
	}

again:
	found = memblock_find_in_range_node(size, align, start, end, nid, flags);
	if (found && !memblock_reserve(found, size))
		return found;

	if (nid != NUMA_NO_NODE && !exact_nid) {
		found = memblock_find_in_range_node(size, align, start, end, NUMA_NO_NODE, flags);
		if (found && !memblock_reserve(found, size))
			return found;
	}

	if (flags & MEMBLOCK_MIRROR) {
		flags &= ~MEMBLOCK_MIRROR;
		pr_warn("Could not allocate 0x%016llx bytes of mirrored memory\n", pa(size));
		goto again;
	}

	return 0;
}

MEMBLOCK_LOGGED phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
						      phys_addr_t start, phys_addr_t end)
{
	memblock_dbg("%s: %llu bytes align=0x%llx from=0x%016llx max_addr=0x%016llx %pS\n",
		     __func__, pa(size), pa(align), pa(start), pa(end),
		     reinterpret_cast<void *>(_RET_IP_));
	return memblock_alloc_range_nid(size, align, start, end, NUMA_NO_NODE, false);
}

phys_addr_t memblock_phys_alloc_try_nid(phys_addr_t size, phys_addr_t align, int nid)
{
	return memblock_alloc_range_nid(size, align, 0, MEMBLOCK_ALLOC_ACCESSIBLE, nid, false);
}

MEMBLOCK_LOGGED void *memblock_alloc_try_nid_raw(phys_addr_t size, phys_addr_t align,
						 phys_addr_t min_addr, phys_addr_t max_addr, int nid)
{
	memblock_dbg("%s: %llu bytes align=0x%llx nid=%d from=0x%016llx max_addr=0x%016llx %pS\n",
		     __func__, pa(size), pa(align), nid, pa(min_addr), pa(max_addr),
		     reinterpret_cast<void *>(_RET_IP_));
	return memblock_alloc_internal(size, align, min_addr, max_addr, nid, false);
}

MEMBLOCK_LOGGED void *memblock_alloc_try_nid(phys_addr_t size, phys_addr_t align,
					     phys_addr_t min_addr, phys_addr_t max_addr, int nid)
{
	memblock_dbg("%s: %llu bytes align=0x%llx nid=%d from=0x%016llx max_addr=0x%016llx %pS\n",
		     __func__, pa(size), pa(align), nid, pa(min_addr), pa(max_addr),
		     reinterpret_cast<void *>(_RET_IP_));
	void *ptr = memblock_alloc_internal(size, align, min_addr, max_addr, nid, false);
	if (ptr)
		memset(ptr, 0, size);
	return ptr;
}

void memblock_set_current_limit(phys_addr_t limit) { memblock.current_limit = limit; }
phys_addr_t memblock_get_current_limit() { return memblock.current_limit; }

phys_addr_t memblock_phys_mem_size() { return memblock.memory.total_size; }
phys_addr_t memblock_reserved_size() { return memblock.reserved.total_size; }

phys_addr_t memblock_start_of_DRAM() { return memblock.memory.regions[0].base; }

phys_addr_t memblock_end_of_DRAM()
{
	const memblock_region &r = memblock.memory.regions[memblock.memory.cnt - 1];
	return r.base + r.size;
}

void memblock_enforce_memory_limit(phys_addr_t limit)
{
	if (!limit)
		return;

	const phys_addr_t max_addr = __find_max_addr(limit);
	if (max_addr == PHYS_ADDR_MAX)
		return;

	// Reservations above the limit go too: nothing can use them.
	memblock_remove_range(&memblock.memory, max_addr, PHYS_ADDR_MAX);
	memblock_remove_range(&memblock.reserved, max_addr, PHYS_ADDR_MAX);
}

void memblock_cap_memory_range(phys_addr_t base, phys_addr_t size)
{
	int start_rgn, end_rgn;

	if (!size)
		return;

	if (memblock_isolate_range(&memblock.memory, base, size, &start_rgn, &end_rgn))
		return;

	// Remove every mapped region outside the range; NOMAP ones stay described.
	for (int i = static_cast<int>(memblock.memory.cnt) - 1; i >= end_rgn; i--)
		if (!memblock_is_nomap(&memblock.memory.regions[i]))
			memblock_remove_region(&memblock.memory, i);

	for (int i = start_rgn - 1; i >= 0; i--)
		if (!memblock_is_nomap(&memblock.memory.regions[i]))
			memblock_remove_region(&memblock.memory, i);

	memblock_remove_range(&memblock.reserved, 0, base);
	memblock_remove_range(&memblock.reserved, base + size, PHYS_ADDR_MAX);
}

void memblock_mem_limit_remove_map(phys_addr_t limit)
{
	if (!limit)
		return;

	const phys_addr_t max_addr = __find_max_addr(limit);
	if (max_addr == PHYS_ADDR_MAX)
		return;

	memblock_cap_memory_range(0, max_addr);
}

void memblock_trim_memory(phys_addr_t align)
{
	memblock_region *r;

	for_each_mem_region(r) {
		const phys_addr_t orig_start = r->base;
		const phys_addr_t orig_end = r->base + r->size;
		const phys_addr_t start = kstd::align_up(orig_start, align);
		const phys_addr_t end = kstd::align_down(orig_end, align);

		if (start == orig_start && end == orig_end)
			continue;

		if (start < end) {
			memblock.memory.total_size -= r->size - (end - start);
			r->base = start;
			r->size = end - start;
		} else {
			memblock_remove_region(&memblock.memory, r - memblock.memory.regions);
			r--;
		}
	}
}

bool memblock_is_reserved(phys_addr_t addr) { return memblock_search(&memblock.reserved, addr) != -1; }
bool memblock_is_memory(phys_addr_t addr) { return memblock_search(&memblock.memory, addr) != -1; }

bool memblock_is_map_memory(phys_addr_t addr)
{
	const int i = memblock_search(&memblock.memory, addr);
	if (i == -1)
		return false;
	return !memblock_is_nomap(&memblock.memory.regions[i]);
}

int memblock_search_pfn_nid(unsigned long pfn, unsigned long *start_pfn, unsigned long *end_pfn)
{
	const memblock_type *type = &memblock.memory;
	const int mid = memblock_search(type, pfn_to_phys(Pfn(pfn)).value());

	if (mid == -1)
		return -1;

	*start_pfn = pfn_down(type->regions[mid].base);
	*end_pfn = pfn_down(type->regions[mid].base + type->regions[mid].size);
	return memblock_get_region_node(&type->regions[mid]);
}

bool memblock_is_region_memory(phys_addr_t base, phys_addr_t size)
{
	const int idx = memblock_search(&memblock.memory, base);
	const phys_addr_t end = base + memblock_cap_size(base, &size);

	if (idx == -1)
		return false;
	return memblock.memory.regions[idx].base + memblock.memory.regions[idx].size >= end;
}

bool memblock_is_region_reserved(phys_addr_t base, phys_addr_t size)
{
	return memblock_overlaps_region(&memblock.reserved, base, size);
}

void __memblock_dump_all()
{
	pr_info("MEMBLOCK configuration:\n");
	pr_info(" memory size = 0x%016llx reserved size = 0x%016llx\n",
		pa(memblock.memory.total_size), pa(memblock.reserved.total_size));

	memblock_dump(&memblock.memory);
	memblock_dump(&memblock.reserved);
}

int early_memblock(const char *p)
{
	if (!p)
		return 0;
	// strstr(p, "debug"), as Linux: `memblock=debug` and e.g. `memblock=foo,debug`.
	static constexpr char needle[] = "debug";
	const usize n = sizeof(needle) - 1;
	for (const char *s = p; *s; s++) {
		if (strncmp(s, needle, n) == 0) {
			memblock_debug = true;
			break;
		}
	}
	return 0;
}

// Linux hands the grown arrays straight to the buddy allocator (__memblock_free_late) and
// forgets memblock.memory so that iterators stop filtering it. Here the page allocator seeds
// itself from for_each_free_mem_range(), so the arrays are un-reserved instead; memblock.memory
// stays known so that walk still skips NOMAP memory.
void memblock_discard()
{
	if (memblock_discarded)
		return;

	if (memblock.reserved.regions != memblock_reserved_init_regions) {
		const phys_addr_t addr = virt_to_phys(memblock.reserved.regions).value();
		const phys_addr_t size = page_align(sizeof(memblock_region) * memblock.reserved.max);
		memblock_phys_free(addr, size);
	}

	if (memblock.memory.regions != memblock_memory_init_regions) {
		const phys_addr_t addr = virt_to_phys(memblock.memory.regions).value();
		const phys_addr_t size = page_align(sizeof(memblock_region) * memblock.memory.max);
		memblock_phys_free(addr, size);
	}

	memblock_discarded = true;
}

void memblock_reset_for_test()
{
	memset(memblock_memory_init_regions, 0, sizeof(memblock_memory_init_regions));
	memset(memblock_reserved_init_regions, 0, sizeof(memblock_reserved_init_regions));
	memblock.bottom_up = false;
	memblock.current_limit = MEMBLOCK_ALLOC_ANYWHERE;
	memblock.memory = memblock_type{ .cnt = 1, .max = INIT_MEMBLOCK_REGIONS, .total_size = 0,
					 .regions = memblock_memory_init_regions, .name = "memory" };
	memblock.reserved = memblock_type{ .cnt = 1, .max = INIT_MEMBLOCK_RESERVED_REGIONS,
					   .total_size = 0,
					   .regions = memblock_reserved_init_regions,
					   .name = "reserved" };
	memblock_debug = false;
	system_has_some_mirror = false;
	memblock_can_resize = false;
	memblock_discarded = false;
	memory_full_reported = false;
	reserved_full_reported = false;
	max_numnodes_warned = false;
}
