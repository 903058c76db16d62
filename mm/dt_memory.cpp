// Device tree -> memblock. See dt_memory.h for the boot order; the comments below name the
// Linux 6.1 function each step reproduces.
#include "mm/dt_memory.h"

#include <libfdt.h>

#include "core/params.h"
#include "core/printk.h"
#include "kstd/string.h"
#include "lib/parse.h"
#include "mm/cma.h"
#include "mm/memblock.h"

// Linux's pr_fmt of drivers/of/fdt.c and drivers/of/of_reserved_mem.c.
#define FDT_PR "OF: fdt: "
#define RMEM_PR "OF: reserved mem: "

namespace {

using ull = unsigned long long;

// arm64 ARM64_MEMSTART_ALIGN with 4 KiB pages: memstart_addr is PUD-aligned.
constexpr u64 ARM64_MEMSTART_ALIGN = SZ_1G;
constexpr unsigned MIN_PA_BITS = 32;
constexpr unsigned MAX_PA_BITS = 52;

u64 g_memory_limit = PHYS_ADDR_MAX;
of::RegEntry g_memmap[MAX_MEMMAP_RANGES];
usize g_memmap_cnt;
ReservedMem g_rmem[MAX_RESERVED_REGIONS];
usize g_rmem_cnt;
CmaArea g_cma[MAX_RESERVED_REGIONS];
usize g_cma_cnt;

u64 end_of(u64 base, u64 size) { return size > ~u64{0} - base ? ~u64{0} : base + size; }

// Bytes of [base, base + size) that memblock.memory covers.
u64 memory_overlap(u64 base, u64 size)
{
	u64 end = end_of(base, size), covered = 0;
	for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
		const memblock_region &r = memblock.memory.regions[i];
		u64 s = kstd::max(base, r.base), e = kstd::min(end, end_of(r.base, r.size));
		if (s < e)
			covered += e - s;
	}
	return covered;
}

void report_outside_memory(const char *prefix, const char *what, const char *name, u64 base,
			   u64 size)
{
	if (!size)
		return;
	u64 covered = memory_overlap(base, size);
	if (covered == kstd::min(size, end_of(base, size) - base))
		return;
	pr_warn("%s%s%s%s%s 0x%016llx..0x%016llx lies %s outside memory\n", prefix, what,
		name ? " '" : "", name ? name : "", name ? "'" : "", ull(base),
		ull(end_of(base, size) - 1), covered ? "partly" : "entirely");
}

// ---- /memory ----------------------------------------------------------------------------

// early_init_dt_add_memory_arch's arithmetic with MAX_MEMBLOCK_ADDR = 2^pa_bits - 1: the
// whole pages of [base, base + size) below the limit, or false. The region is clipped before
// trimming (the limit is page aligned, so the outcome is the same) so that no arithmetic
// wraps on hostile 64-bit values. report: print Linux's messages (first pass only).
bool usable_range(u64 &base, u64 &size, u64 max_addr, bool report)
{
	if (base > max_addr) {
		if (report)
			pr_warn(FDT_PR "Ignoring memory block 0x%llx - 0x%llx\n", ull(base), ull(end_of(base, size)));
		return false;
	}
	if (size - 1 > max_addr - base) {
		if (report)
			pr_warn(FDT_PR "Ignoring memory range 0x%llx - 0x%llx\n", ull(max_addr) + 1,
				ull(end_of(base, size)));
		size = max_addr - base + 1;
	}
	if (size < PAGE_SIZE - (base & ~PAGE_MASK)) {
		if (report)
			pr_warn(FDT_PR "Ignoring memory block 0x%llx - 0x%llx\n", ull(base), ull(base + size));
		return false;
	}
	u64 obase = base, osize = size;
	if (base & ~PAGE_MASK) {
		size -= PAGE_SIZE - (base & ~PAGE_MASK);
		base = kstd::align_up(base, PAGE_SIZE);
	}
	size &= PAGE_MASK;
	if (report && (base != obase || size != osize))
		pr_info(FDT_PR "memory 0x%llx - 0x%llx trimmed to whole pages 0x%llx - 0x%llx\n",
			ull(obase), ull(obase + osize), ull(base), ull(base + size));
	if (!size) {
		if (report)
			pr_warn(FDT_PR "Ignoring memory block 0x%llx - 0x%llx\n", ull(obase), ull(obase + osize));
		return false;
	}
	return true;
}

enum class MemoryPass { Add, AssignNodes };

// early_init_dt_scan_memory (MemoryPass::Add), and of_numa_parse_memory_nodes
// (MemoryPass::AssignNodes), which Linux runs after arm64_memblock_init: adding everything
// with no node first means overlapping nodes of different ids, the kernel added back after
// mem= or an initrd never meet memblock_add's "different node" warning, as in Linux.
// `hotpluggable` is not honoured: there is no memory hotplug (nor movable_node) here.
void scan_memory(of::DeviceTree tree, of::Cells cells, u64 max_addr, MemoryPass pass)
{
	const bool adding = pass == MemoryPass::Add;
	for (of::Node n : tree.root().children()) {
		if (!n.is_type("memory"))
			continue;
		if (!n.is_available()) {
			if (adding)
				pr_info(FDT_PR "memory node %s is disabled, skipped\n", n.name());
			continue;
		}
		const char *prop = n.has_property("linux,usable-memory") ? "linux,usable-memory" : "reg";
		auto v = n.property(prop);
		if (v.is_error()) {
			if (adding)
				pr_warn(FDT_PR "memory node %s has no reg, skipped\n", n.name());
			continue;
		}
		of::RegArray arr(v.value().data(), v.value().size(), cells);
		if (adding && arr.tail_bytes())
			pr_warn(FDT_PR "memory node %s: %s length %zu is not a multiple of %u bytes, last %zu bytes ignored\n",
				n.name(), prop, v.value().size(), (cells.addr + cells.size) * 4,
				arr.tail_bytes());
		int nid = -1;
		auto id = n.read_u32("numa-node-id");
		if (!id.is_error()) {
			if (id.value() < u32(MAX_NUMNODES))
				nid = int(id.value());
			else if (adding)
				pr_warn(FDT_PR "memory node %s: numa-node-id %u exceeds the maximum %d, ignored\n",
					n.name(), id.value(), MAX_NUMNODES - 1);
		}
		if (!adding && nid < 0)
			continue;
		for (usize i = 0; i < arr.size(); i++) {
			of::RegEntry e = arr[i];
			if (e.size == 0) {
				if (adding)
					pr_info(FDT_PR "memory node %s: entry %zu has size 0, skipped\n", n.name(), i);
				continue;
			}
			u64 base = e.address, size = e.size;
			if (!usable_range(base, size, max_addr, adding))
				continue;
			if (adding) {
				int err = memblock_add(base, size);
				if (err)
					pr_err(FDT_PR "memory 0x%llx - 0x%llx not added: memblock.memory is full (%d)\n",
					       ull(base), ull(base + size), err);
			} else if (memblock_set_node(base, size, &memblock.memory, nid)) {
				pr_err(FDT_PR "memory 0x%llx - 0x%llx: node %d not recorded, memblock.memory is full\n",
				       ull(base), ull(base + size), nid);
			}
		}
	}
}

void scan_chosen(DtBootInfo &info)
{
	const of::DeviceTree &t = info.tree;
	auto args = t.bootargs();
	if (!args.is_error()) {
		info.bootargs_from_dt = true;
		(void)set_boot_command_line(args.value());
	} else {
		if (args.error().code() == Errno::EINVAL)
			pr_warn(FDT_PR "/chosen/bootargs is not a NUL-terminated string, using the built-in command line\n");
		(void)set_boot_command_line(CONFIG_CMDLINE);
	}
	info.bootargs = boot_command_line();

	auto rd = t.initrd();
	if (!rd.is_error() && rd.value().size) {
		info.has_initrd = true;
		info.initrd_start = rd.value().address;
		info.initrd_size = rd.value().size;
	}
	auto sp = t.stdout_path();
	if (!sp.is_error()) {
		info.has_stdout = true;
		info.stdout_path = sp.value();
	} else if (t.chosen().has_property("stdout-path")) {
		pr_warn(FDT_PR "/chosen/stdout-path names no node\n");
	}
	auto ks = t.kaslr_seed();
	if (!ks.is_error()) {
		info.has_kaslr_seed = true;
		info.kaslr_seed = ks.value();
	}
	auto rng = t.rng_seed();
	if (!rng.is_error())
		info.rng_seed = rng.value();
}

// ---- /reserved-memory -------------------------------------------------------------------

// NOMAP takes memory out of the linear map, which maps whole pages, so a no-map range covers
// every page it touches. (Linux marks the exact bytes, splitting memory regions off page
// boundaries, and the page allocator and linear map then round them back.) False when the
// rounded range would wrap.
bool nomap_pages(u64 &base, u64 &size)
{
	u64 end = end_of(base, size);
	if (end > ~u64{0} - PAGE_SIZE)
		return false;
	base = kstd::align_down(base, PAGE_SIZE);
	size = kstd::align_up(end, PAGE_SIZE) - base;
	return true;
}

// early_init_dt_reserve_memory
int reserve_memory(u64 base, u64 size, bool nomap)
{
	if (nomap) {
		u64 obase = base, osize = size;
		if (!nomap_pages(base, size))
			return -int(Errno::EINVAL);
		if (base != obase || size != osize)
			pr_info(RMEM_PR "no-map range 0x%llx - 0x%llx widened to whole pages 0x%llx - 0x%llx\n",
				ull(obase), ull(obase + osize), ull(base), ull(base + size));
		// Memory already reserved by someone else must not lose its linear mapping.
		if (memblock_overlaps_region(&memblock.memory, base, size) &&
		    memblock_is_region_reserved(base, size))
			return -int(Errno::EBUSY);
		return memblock_mark_nomap(base, size);
	}
	return memblock_reserve(base, size);
}

void save_node(of::Node n, const char *uname, u64 base, u64 size)
{
	if (g_rmem_cnt == MAX_RESERVED_REGIONS) {
		pr_err(RMEM_PR "not enough space for all defined regions.\n");
		return;
	}
	g_rmem[g_rmem_cnt++] = ReservedMem{uname, base, size, 0, n.has_property("no-map"),
					    n.has_property("reusable"), n};
}

// __reserved_mem_reserve_reg: ENOENT when the node has no reg.
Errno reserve_reg(of::Node n, const char *uname, of::Cells cells)
{
	auto v = n.property("reg");
	if (v.is_error())
		return Errno::ENOENT;
	usize t_len = usize(cells.addr + cells.size) * 4;
	usize len = v.value().size();
	if (len && len % t_len) {
		pr_err(RMEM_PR "Reserved memory: invalid reg property in '%s', skipping node.\n", uname);
		return Errno::EINVAL;
	}
	bool nomap = n.has_property("no-map");
	of::RegArray arr(v.value().data(), len, cells);
	for (usize i = 0; i < arr.size(); i++) {
		of::RegEntry e = arr[i];
		if (e.size && reserve_memory(e.address, e.size, nomap) == 0) {
			report_outside_memory(RMEM_PR, "node", uname, e.address, e.size);
		} else {
			pr_err(RMEM_PR "Reserved memory: failed to reserve memory for node '%s': base 0x%016llx, size %llu MiB\n",
			       uname, ull(e.address), ull(e.size / SZ_1M));
		}
		if (i == 0)
			save_node(n, uname, e.address, e.size);
	}
	return Errno::OK;
}

// early_init_dt_alloc_reserved_memory_arch
bool alloc_reserved(u64 size, u64 align, u64 start, u64 end, bool nomap, u64 *res_base)
{
	end = end ? end : MEMBLOCK_ALLOC_ANYWHERE;
	align = align ? align : RESERVED_MEM_DEFAULT_ALIGN;
	u64 base = memblock_phys_alloc_range(size, align, start, end);
	if (!base)
		return false;
	*res_base = base;
	if (nomap && memblock_mark_nomap(base, size)) {
		memblock_phys_free(base, size);
		return false;
	}
	return true;
}

// __reserved_mem_alloc_size
Errno alloc_size(of::Node n, const char *uname, of::Cells cells, u64 *res_base, u64 *res_size)
{
	auto sz = n.read_cells("size", cells.size);
	if (sz.is_error()) {
		pr_err(RMEM_PR "invalid size property in '%s' node.\n", uname);
		return Errno::EINVAL;
	}
	u64 size = sz.value();
	u64 align = 0;
	if (n.has_property("alignment")) {
		auto al = n.read_cells("alignment", cells.addr);
		if (al.is_error()) {
			pr_err(RMEM_PR "invalid alignment property in '%s' node.\n", uname);
			return Errno::EINVAL;
		}
		align = al.value();
		// Linux rounds with align - 1 as a mask; memblock here refuses instead.
		if (align && !kstd::is_power_of_2(align)) {
			pr_err(RMEM_PR "alignment 0x%llx of '%s' is not a power of two\n", ull(align), uname);
			return Errno::EINVAL;
		}
	}
	if (!size) {
		pr_err(RMEM_PR "size 0 in '%s' node, nothing to allocate\n", uname);
		return Errno::EINVAL;
	}
	bool nomap = n.has_property("no-map");
	if (n.is_compatible("shared-dma-pool") && n.has_property("reusable") && !nomap)
		align = kstd::max(align, CMA_MIN_ALIGNMENT_BYTES);
	// See nomap_pages(): a no-map allocation is whole pages.
	if (nomap) {
		if (size > ~u64{0} - PAGE_SIZE) {
			pr_err(RMEM_PR "size 0x%llx of '%s' is too large\n", ull(size), uname);
			return Errno::EINVAL;
		}
		if (size & ~PAGE_MASK)
			pr_info(RMEM_PR "no-map size 0x%llx of '%s' rounded up to whole pages\n", ull(size), uname);
		size = kstd::align_up(size, PAGE_SIZE);
		align = kstd::max(align, PAGE_SIZE);
	}

	u64 base = 0;
	auto ranges = n.property("alloc-ranges");
	if (!ranges.is_error()) {
		usize t_len = usize(cells.addr + cells.size) * 4;
		if (ranges.value().size() % t_len) {
			pr_err(RMEM_PR "invalid alloc-ranges property in '%s', skipping node.\n", uname);
			return Errno::EINVAL;
		}
		of::RegArray arr(ranges.value().data(), ranges.value().size(), cells);
		for (of::RegEntry r : arr)
			if (alloc_reserved(size, align, r.address, end_of(r.address, r.size), nomap, &base))
				break;
	} else {
		alloc_reserved(size, align, 0, 0, nomap, &base);
	}
	if (!base) {
		pr_err(RMEM_PR "failed to allocate memory for node '%s': size %llu MiB\n", uname,
		       ull(size / SZ_1M));
		return Errno::ENOMEM;
	}
	*res_base = base;
	*res_size = size;
	return Errno::OK;
}

// __reserved_mem_init_node for the one compatible this kernel handles, "shared-dma-pool":
// rmem_cma_setup (reusable) then rmem_dma_setup (coherent pool). ENOENT: no handler.
Errno init_node(ReservedMem &rmem, of::Node n)
{
	if (!n.is_compatible("shared-dma-pool"))
		return Errno::ENOENT;
	if (rmem.reusable && !rmem.nomap) {
		bool dflt = n.has_property("linux,cma-default");
		if (auto r = rmem_cma_setup(rmem.name, rmem.base, rmem.size, dflt); r.is_error())
			return r.error().code();
		g_cma[g_cma_cnt++] = CmaArea{rmem.name, rmem.base, rmem.size, dflt};
	} else if (rmem.reusable) {
		return Errno::EINVAL;
	} else {
		pr_info("Reserved memory: created DMA memory pool at 0x%016llx, size %llu MiB\n",
			ull(rmem.base), ull(rmem.size / SZ_1M));
	}
	pr_info(RMEM_PR "initialized node %s, compatible id shared-dma-pool\n", rmem.name);
	return Errno::OK;
}

// fdt_init_reserved_mem, after __rmem_check_for_overlap's sort (stable here, so dynamic
// regions keep their DT order).
void init_reserved_mem(of::Cells cells)
{
	for (usize i = 1; i < g_rmem_cnt; i++) {
		ReservedMem r = g_rmem[i];
		usize j = i;
		for (; j > 0 && (g_rmem[j - 1].base > r.base ||
				 (g_rmem[j - 1].base == r.base && g_rmem[j - 1].size > r.size)); j--)
			g_rmem[j] = g_rmem[j - 1];
		g_rmem[j] = r;
	}
	for (usize i = 0; i + 1 < g_rmem_cnt; i++) {
		const ReservedMem &a = g_rmem[i], &b = g_rmem[i + 1];
		if (end_of(a.base, a.size) > b.base)
			pr_err(RMEM_PR "OVERLAP DETECTED!\n%s (0x%016llx--0x%016llx) overlaps with %s (0x%016llx--0x%016llx)\n",
			       a.name, ull(a.base), ull(end_of(a.base, a.size)), b.name, ull(b.base),
			       ull(end_of(b.base, b.size)));
	}
	for (usize i = 0; i < g_rmem_cnt; i++) {
		ReservedMem &rmem = g_rmem[i];
		of::Node n = rmem.node;
		auto ph = n.phandle();
		rmem.phandle = ph.is_error() ? 0 : ph.value();
		Errno err = Errno::OK;
		if (rmem.size == 0)
			err = alloc_size(n, rmem.name, cells, &rmem.base, &rmem.size);
		if (err != Errno::OK)
			continue;
		err = init_node(rmem, n);
		if (err != Errno::OK && err != Errno::ENOENT) {
			pr_info(RMEM_PR "node %s compatible matching fail\n", rmem.name);
			u64 base = rmem.base, size = rmem.size;
			if (rmem.nomap && nomap_pages(base, size))
				memblock_clear_nomap(base, size);
			else if (!rmem.nomap)
				memblock_phys_free(rmem.base, rmem.size);
		} else {
			pr_info(RMEM_PR "0x%016llx..0x%016llx (%llu KiB) %s %s %s\n", ull(rmem.base),
				ull(end_of(rmem.base, rmem.size) - 1), ull(rmem.size / SZ_1K),
				rmem.nomap ? "nomap" : "map", rmem.reusable ? "reusable" : "non-reusable",
				rmem.name);
		}
	}
}

// early_init_fdt_scan_reserved_mem
void scan_reserved_mem(const DtBootInfo &info)
{
	const void *fdt = info.tree.blob();
	of::Cells cells = info.root_cells;

	for (int i = 0;; i++) {
		uint64_t base = 0, size = 0;
		if (fdt_get_mem_rsv(fdt, i, &base, &size) < 0 || !size)
			break;
		memblock_reserve(base, size);
		report_outside_memory(FDT_PR, "/memreserve/ entry", nullptr, base, size);
	}

	of::Node rm = info.tree.find_by_path("/reserved-memory");
	if (!rm.valid())
		return;
	auto sc = rm.read_u32("#size-cells");
	auto ac = rm.read_u32("#address-cells");
	if (sc.is_error() || sc.value() != cells.size || ac.is_error() ||
	    ac.value() != cells.addr || !rm.has_property("ranges")) {
		pr_err(RMEM_PR "Reserved memory: unsupported node format, ignoring\n");
		return;
	}
	for (of::Node child : rm.children()) {
		if (!child.is_available())
			continue;
		const char *uname = child.name();
		Errno err = reserve_reg(child, uname, cells);
		if (err == Errno::ENOENT && child.has_property("size"))
			save_node(child, uname, 0, 0);
	}
	init_reserved_mem(cells);
}

// ---- early parameters -------------------------------------------------------------------

// arm64 early_mem. Linux accepts junk and a zero limit silently (mem=abc limits nothing
// while claiming "Memory limited to 0MB"); both are rejected here.
Result early_mem(const char *p)
{
	u64 v = 0;
	const char *end = nullptr;
	if (!p || !kstd::parse_memsize(p, &end, &v) || *end)
		return Errno::EINVAL;
	v &= PAGE_MASK;
	if (!v)
		return Errno::EINVAL;
	g_memory_limit = v;
	pr_notice("Memory limited to %lluMB\n", ull(v >> 20));
	return {};
}
EARLY_PARAM("mem", early_mem);

// x86's memmap=nn[KMG]$ss[KMG] (a comma-separated list): the range stops being memory,
// which is what x86 gets by typing it E820 "reserved". arm64 Linux has no memmap=.
Result early_memmap(const char *p)
{
	if (!p || !*p)
		return Errno::EINVAL;
	while (*p) {
		u64 size = 0, start = 0;
		const char *e = nullptr;
		if (!kstd::parse_memsize(p, &e, &size))
			return Errno::EINVAL;
		if (*e != '$') {
			pr_err("memmap: only the nn[KMG]$ss[KMG] form is supported, not '%s'\n", p);
			return Errno::EINVAL;
		}
		if (!kstd::parse_memsize(e + 1, &e, &start) || (*e && *e != ','))
			return Errno::EINVAL;
		if (!size || size > ~u64{0} - PAGE_SIZE - start)
			return Errno::EINVAL;
		// Memory comes in pages: a hole covers every page the range touches.
		u64 end = kstd::align_up(start + size, PAGE_SIZE);
		start = kstd::align_down(start, PAGE_SIZE);
		size = end - start;
		if (g_memmap_cnt == MAX_MEMMAP_RANGES) {
			pr_err("memmap: more than %zu ranges, 0x%llx-0x%llx ignored\n", MAX_MEMMAP_RANGES,
			       ull(start), ull(start + size - 1));
			return Errno::E2BIG;
		}
		g_memmap[g_memmap_cnt++] = {start, size};
		p = *e ? e + 1 : e;
	}
	return {};
}
EARLY_PARAM("memmap", early_memmap);

Result early_memblock_param(const char *p)
{
	return early_memblock(p) == 0 ? Result() : Result(Errno::EINVAL);
}
EARLY_PARAM("memblock", early_memblock_param);

} // namespace

// ---- entry points -----------------------------------------------------------------------

ErrorOr<DtBootInfo> early_init_dt_scan(const void *fdt, usize mapped_size, unsigned pa_bits)
{
	if (pa_bits < MIN_PA_BITS || pa_bits > MAX_PA_BITS) {
		pr_err(FDT_PR "physical address size of %u bits is outside %u..%u\n", pa_bits,
		       MIN_PA_BITS, MAX_PA_BITS);
		return Errno::EINVAL;
	}
	DtBootInfo info;
	info.tree = TRY(of::DeviceTree::try_create(fdt, mapped_size));
	of::set_boot_tree(info.tree);
	info.fdt_size = info.tree.total_size();
	info.pa_bits = pa_bits;

	scan_chosen(info);

	auto cells = info.tree.root().child_cells(false);
	if (cells.is_error()) {
		pr_err(FDT_PR "root #address-cells/#size-cells unusable: memory nodes cannot be read\n");
		return cells.error();
	}
	info.root_cells = cells.value();

	scan_memory(info.tree, info.root_cells, (u64{1} << pa_bits) - 1, MemoryPass::Add);
	if (memblock_phys_mem_size() == 0) {
		pr_crit(FDT_PR "No memory found in device tree\n");
		return Errno::ENOENT;
	}
	return info;
}

Result early_init_dt_memblock(const DtBootInfo &info, const ArchMemblockInfo &arch)
{
	if (!info.tree.valid())
		return Errno::EINVAL;

	// setup_machine_fdt: the blob stays readable (of::boot_tree) for the whole boot.
	memblock_reserve(arch.dt_phys, info.fdt_size);
	report_outside_memory(FDT_PR, "DTB", nullptr, arch.dt_phys, info.fdt_size);

	for (usize i = 0; i < g_memmap_cnt; i++) {
		pr_info("memmap: 0x%016llx-0x%016llx excluded from memory\n", ull(g_memmap[i].address),
			ull(g_memmap[i].address + g_memmap[i].size - 1));
		memblock_remove(g_memmap[i].address, g_memmap[i].size);
	}

	u64 kernel_end = end_of(arch.kernel_start, arch.kernel_size);
	// arm64_memblock_init: what the linear map cannot cover goes.
	if (arch.linear_region_size && memblock_phys_mem_size()) {
		u64 memstart = kstd::align_down(memblock_start_of_DRAM(), ARM64_MEMSTART_ALIGN);
		if (memblock_end_of_DRAM() - 1 - memstart > arch.linear_region_size)
			pr_warn("Memory doesn't fit in the linear mapping, VA_BITS too small\n");
		u64 cut = kstd::max(end_of(memstart, arch.linear_region_size), kernel_end);
		memblock_remove(cut, PHYS_ADDR_MAX - cut);
		// A kernel loaded above the window moves the window up to end with memory.
		if (end_of(memstart, arch.linear_region_size) < memblock_end_of_DRAM()) {
			memstart = kstd::align_up(memblock_end_of_DRAM() - arch.linear_region_size,
						  ARM64_MEMSTART_ALIGN);
			memblock_remove(0, memstart);
		}
	}

	if (g_memory_limit != PHYS_ADDR_MAX) {
		memblock_mem_limit_remove_map(g_memory_limit);
		// The kernel may sit above the limit; it must stay in the linear map.
		if (arch.kernel_size)
			memblock_add(arch.kernel_start, arch.kernel_size);
	}

	if (info.has_initrd) {
		// Linux reserves whole pages around the initrd and adds them back as memory if
		// mem=/memmap= removed them, as long as the linear map reaches them.
		u64 base = info.initrd_start & PAGE_MASK;
		u64 end = end_of(info.initrd_start, info.initrd_size);
		u64 pa_limit = u64{1} << info.pa_bits;
		u64 dram = memblock_phys_mem_size() ? memblock_start_of_DRAM() : 0;
		u64 size = end <= pa_limit ? kstd::align_up(end, PAGE_SIZE) - base : 0;
		if (!size || !memblock_phys_mem_size() || base < dram ||
		    (arch.linear_region_size && base + size > end_of(dram, arch.linear_region_size))) {
			pr_warn("initrd not fully accessible via the linear mapping -- please check your bootloader ...\n");
		} else {
			memblock_add(base, size);
			memblock_clear_nomap(base, size);
			memblock_reserve(base, size);
		}
	}

	if (arch.kernel_size)
		memblock_reserve(arch.kernel_start, arch.kernel_size);
	for (const of::RegEntry &r : arch.extra_reserved)
		memblock_reserve(r.address, r.size);

	scan_reserved_mem(info);
	scan_memory(info.tree, info.root_cells, (u64{1} << info.pa_bits) - 1, MemoryPass::AssignNodes);
	if (memblock_phys_mem_size() == 0) {
		pr_crit(FDT_PR "No memory left after memmap=/mem=\n");
		return Errno::ENOENT;
	}
	return {};
}

const char *early_init_dt_strerror(Error e)
{
	return e.code() == Errno::ENOENT ? "No memory found in device tree" : "Invalid device tree";
}

u64 dt_memory_limit() { return g_memory_limit; }
kstd::span<const ReservedMem> reserved_mem_regions() { return {g_rmem, g_rmem_cnt}; }
kstd::span<const CmaArea> dt_cma_areas() { return {g_cma, g_cma_cnt}; }

void dt_memory_reset_for_test()
{
	g_memory_limit = PHYS_ADDR_MAX;
	g_memmap_cnt = 0;
	g_rmem_cnt = 0;
	g_cma_cnt = 0;
	cma_reset_for_test();
}
