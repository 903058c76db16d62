// One fuzz iteration over the DT memory path, shared by the libFuzzer target
// (fuzz_dt_memory.cpp) and the host suite, which replays tests/fuzz/regressions/ through it.
// Every run starts from a clean memblock/params/dt_memory state, runs the boot order of
// mm/dt_memory.h on the input and checks memblock's structural invariants afterwards; a
// broken invariant panics (a crash under libFuzzer, a HostPanic in the host suite).
#pragma once

#include "core/panic.h"
#include "core/params.h"
#include "lib/of/of.h"
#include "mm/dt_memory.h"
#include "mm/memblock.h"

// After the kernel headers: libc's errno macros would clash with enum class Errno.
#include <libfdt.h>

namespace dt_fuzz_detail {

inline void check_type(const memblock_type &t)
{
	if (t.cnt < 1 || t.cnt > t.max)
		panic("dt fuzz: %s.cnt %lu outside 1..%lu", t.name, t.cnt, t.max);
	phys_addr_t sum = 0;
	for (unsigned long i = 0; i < t.cnt; i++) {
		const memblock_region &r = t.regions[i];
		sum += r.size;
		if (t.cnt > 1 && r.size == 0)
			panic("dt fuzz: %s[%lu] is empty", t.name, i);
		if (i + 1 < t.cnt && r.base + r.size > t.regions[i + 1].base)
			panic("dt fuzz: %s[%lu] overlaps or is out of order", t.name, i);
	}
	if (sum != t.total_size)
		panic("dt fuzz: %s.total_size is not the sum of its regions", t.name);
}

inline void check_index(of::DeviceTree tree);

// Touches the typed DT layer the way drivers will, on the first nodes of the tree.
inline void walk_tree(of::DeviceTree tree)
{
	(void)tree.dma_max_cpu_address();
	(void)tree.stdout_path();
	(void)tree.find_alias("serial0");
	(void)tree.find_by_phandle(1);
	for (of::Node n : tree.compatible_nodes("shared-dma-pool"))
		(void)n.is_available();
	int depth = -1, seen = 0;
	// depth < 0: fdt_next_node stepped past the root's end, onto FDT_END (not a node).
	for (int off = fdt_next_node(tree.blob(), -1, &depth); off >= 0 && depth >= 0 && seen < 64;
	     off = fdt_next_node(tree.blob(), off, &depth), seen++) {
		of::Node n(tree.blob(), off);
		char path[128];
		(void)n.path(path, sizeof(path));
		(void)n.child_cells();
		auto reg = n.reg();
		if (reg.is_error())
			continue;
		for (usize i = 0; i < reg.value().size() && i < 4; i++)
			(void)n.reg_translated(i);
	}
	check_index(tree);
}

inline bool same_prop(const ErrorOr<kstd::span<const u8>> &a, const ErrorOr<kstd::span<const u8>> &b)
{
	if (a.is_error() || b.is_error())
		return a.is_error() == b.is_error();
	return a.value().data() == b.value().data() && a.value().size() == b.value().size();
}

// Differential check of the node index: Nodes reached through the tree (indexed when the
// tree is) must answer exactly as Nodes made from the bare offset, which always use libfdt.
inline void check_index_node(of::DeviceTree tree, of::Node n, int *budget)
{
	if (--*budget < 0)
		return;
	of::Node raw(tree.blob(), n.offset());
	char a[128], b[128];
	auto pa = n.path(a, sizeof(a)), pb = raw.path(b, sizeof(b));
	const char *compat = nullptr;
	if (auto c = raw.read_string("compatible"))
		compat = c.value();
	auto pha = n.phandle(), phb = raw.phandle();
	const char *bad = nullptr;
	if (strcmp(n.name(), raw.name()) != 0)
		bad = "name";
	else if (n.parent() != raw.parent())
		bad = "parent";
	else if (pa.is_error() != pb.is_error() || (!pa.is_error() && strcmp(a, b) != 0))
		bad = "path";
	else if (pha.is_error() != phb.is_error() || (!pha.is_error() && pha.value() != phb.value()))
		bad = "phandle";
	else if (!same_prop(n.property("reg"), raw.property("reg")))
		bad = "reg";
	else if (!same_prop(n.property("compatible"), raw.property("compatible")))
		bad = "compatible";
	else if (n.is_available() != raw.is_available())
		bad = "status";
	else if (n.is_compatible("shared-dma-pool") != raw.is_compatible("shared-dma-pool"))
		bad = "is_compatible";
	else if (compat && !n.is_compatible(compat))
		bad = "own compatible";
	else if (compat && tree.find_compatible(compat, n) != tree.find_compatible(compat, raw))
		bad = "find_compatible";
	if (bad)
		panic("dt fuzz: the node index and libfdt disagree on %s at offset %d", bad, n.offset());
	if (!pha.is_error() && tree.find_by_phandle(pha.value()).offset() > n.offset())
		panic("dt fuzz: find_by_phandle(%u) is not the first node with it", pha.value());
	// A path names a node only when no name on the way contains a '/' (a malformed blob may
	// have "chosen/"): a lookup splits at every '/', as libfdt's and Linux's do, so such a
	// node's own path leads elsewhere, to "/chosen" for instance.
	bool addressable = true;
	for (of::Node m = n; m.valid() && m != tree.root(); m = m.parent())
		if (strchr(m.name(), '/'))
			addressable = false;
	if (!pa.is_error() && addressable && tree.find_by_path(a).offset() > n.offset())
		panic("dt fuzz: find_by_path(%s) is not the first match", a);
	for (of::Node c : n.children()) {
		if (c.parent() != n)
			panic("dt fuzz: child at %d does not lead back to its parent", c.offset());
		check_index_node(tree, c, budget);
	}
}

inline void check_index(of::DeviceTree tree)
{
	int budget = 64;
	check_index_node(tree, tree.root(), &budget);
}

} // namespace dt_fuzz_detail

inline void dt_fuzz_one(const u8 *data, usize size)
{
	memblock_reset_for_test();
	dt_memory_reset_for_test();
	params_reset_for_test();
	of::set_boot_tree(of::DeviceTree());

	// An exact-size copy: the sanitizers see any read past the blob's end. operator new
	// aligns to 16, more than the DT layer's 8.
	struct Copy {
		u8 *p;
		~Copy() { delete[] p; }
	} buf{new u8[size ? size : 1]};
	if (size)
		memcpy(buf.p, data, size);
	const unsigned pa_bits = 32 + unsigned(size % 21);

	auto info = early_init_dt_scan(buf.p, size, pa_bits);
	if (!info.is_error()) {
		parse_early_params(boot_command_line());
		const u64 dram = memblock_start_of_DRAM();
		const of::RegEntry tables[] = {{dram + 0x600000, 0x3000}};
		ArchMemblockInfo arch;
		arch.dt_phys = dram + 0x1000000;
		arch.kernel_start = dram + 0x200000;
		arch.kernel_size = 0x400000;
		arch.extra_reserved = kstd::span<const of::RegEntry>(tables, 1);
		arch.linear_region_size = (size & 1) ? u64{1} << 47 : 0;
		(void)early_init_dt_memblock(info.value(), arch);
		(void)parse_kernel_params(boot_command_line());
		dt_fuzz_detail::check_type(memblock.memory);
		dt_fuzz_detail::check_type(memblock.reserved);
		for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
			const memblock_region &r = memblock.memory.regions[i];
			if ((r.base | r.size) & (PAGE_SIZE - 1))
				panic("dt fuzz: memory[%lu] is not page aligned", i);
		}
		dt_fuzz_detail::walk_tree(info.value().tree);
	}
	memblock_reset_for_test();
	dt_memory_reset_for_test();
	params_reset_for_test();
	of::set_boot_tree(of::DeviceTree());
}
