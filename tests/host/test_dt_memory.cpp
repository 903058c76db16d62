// mm/dt_memory: the memory and reserved arrays a Linux kernel derives from real DTBs (QEMU
// virt at several sizes, NUMA, EL2; the project's Raspberry Pi DTS files) and from hostile
// blobs built with libfdt's write API, plus mem=/memmap=/memblock=debug and the fuzzer's
// regression inputs.
#include <doctest/doctest.h>

#include <dirent.h>

#include <functional>
#include <string>
#include <vector>

#include "core/params.h"
#include "mm/cma.h"
#include "mm/dt_memory.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "tests/fuzz/dt_fuzz_harness.h"
#include "tests/host/support/host_support.h"
#include "tests/host/test_memblock.h"
#include "tests/host/test_of_util.h"

using dttest::Blob;
using dttest::FdtBuilder;
using mbtest::Rgn;
using Rgns = std::vector<Rgn>;

namespace {

constexpr unsigned PA_BITS_A72 = 44; // QEMU cortex-a72 ID_AA64MMFR0_EL1.PARange
constexpr u64 KERNEL_BASE = 0x40200000;
constexpr u64 KERNEL_SIZE = 0x800000;
constexpr u64 DT_PHYS = 0x4f000000;
constexpr u64 NOMAP = MEMBLOCK_NOMAP;

struct DtMemTest {
	DtMemTest() { reset(); }
	~DtMemTest()
	{
		reset();
		of::set_boot_tree(of::DeviceTree());
	}
	static void reset()
	{
		memblock_reset_for_test();
		dt_memory_reset_for_test();
		params_reset_for_test();
		host_take_log();
	}
};

struct Run {
	Result scan = Errno::OK;
	Result commit = Errno::OK;
	Errno scan_err = Errno::OK;
	std::string log;
};

// Steps 1-3 of dt_memory.h's boot order; cmdline (when given) replaces the DT's bootargs.
Run boot(const Blob &b, u64 dt_phys, u64 kernel_base = KERNEL_BASE, u64 kernel_size = KERNEL_SIZE,
	 unsigned pa_bits = PA_BITS_A72, const char *cmdline = nullptr, u64 linear = 0)
{
	Run r;
	auto info = early_init_dt_scan(b.data(), b.size, pa_bits);
	if (info.is_error()) {
		r.scan = info.error();
		r.scan_err = info.error().code();
		r.log = host_take_log();
		return r;
	}
	parse_early_params(cmdline ? cmdline : boot_command_line());
	ArchMemblockInfo arch;
	arch.dt_phys = dt_phys;
	arch.kernel_start = kernel_base;
	arch.kernel_size = kernel_size;
	arch.linear_region_size = linear;
	r.commit = early_init_dt_memblock(info.value(), arch);
	r.log = host_take_log();
	mbtest::check_all_invariants();
	return r;
}

// Regions as Linux prints them, without the empty type's zero-sized dummy.
Rgns mem() { return memblock.memory.regions[0].size ? mbtest::regions(memblock.memory) : Rgns{}; }
Rgns res() { return memblock.reserved.regions[0].size ? mbtest::regions(memblock.reserved) : Rgns{}; }

bool has(const std::string &log, const std::string &s) { return log.find(s) != std::string::npos; }

// A 2/2-cell tree with /chosen; body adds the interesting nodes.
Blob tree(const std::function<void(FdtBuilder &)> &body,
	  std::initializer_list<std::pair<u64, u64>> rsv = {}, u32 ac = 2, u32 sc = 2)
{
	FdtBuilder b;
	for (auto [a, s] : rsv)
		b.rsv(a, s);
	b.root(ac, sc);
	b.begin("chosen").end();
	body(b);
	b.end();
	return b.finish();
}

Blob one_gib()
{
	return tree([](FdtBuilder &b) { b.memory("memory@40000000", {{0x40000000, 0x40000000}}); });
}

Rgn kernel_rgn() { return {KERNEL_BASE, KERNEL_SIZE}; }

} // namespace

// ---- real DTBs --------------------------------------------------------------------------

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: QEMU virt DTBs give Linux's arrays")
{
	struct Case {
		const char *name;
		u64 dt_phys; // where QEMU loads the DTB: RAM base + min(RAM / 2, 128 MiB)
		Rgns memory;
	};
	const Case cases[] = {
		{"virt-128m", 0x44000000, {{0x40000000, 0x8000000}}},
		{"virt-1g", 0x48000000, {{0x40000000, 0x40000000}}},
		{"virt-el2", 0x48000000, {{0x40000000, 0x40000000}}},
		{"virt-4g", 0x48000000, {{0x40000000, 0x100000000}}},
		{"virt-16g", 0x48000000, {{0x40000000, 0x400000000}}},
		{"virt-numa", 0x48000000,
		 {{0x40000000, 0x20000000, MEMBLOCK_NONE, 0}, {0x60000000, 0x20000000, MEMBLOCK_NONE, 1}}},
	};
	for (const Case &c : cases) {
		CAPTURE(c.name);
		reset();
		Blob b;
		REQUIRE_MESSAGE(dttest::load_fixture(c.name, b), "run make host-fixtures");
		REQUIRE(fdt_totalsize(b.data()) == 0x100000);
		Run r = boot(b, c.dt_phys);
		CAPTURE(r.log);
		REQUIRE(!r.scan.is_error());
		REQUIRE(!r.commit.is_error());
		CHECK(mem() == c.memory);
		CHECK(res() == Rgns{kernel_rgn(), {c.dt_phys, 0x100000}});
		CHECK(memblock.memory.total_size == c.memory.back().base + c.memory.back().size - 0x40000000);
		CHECK(std::string(boot_command_line()) == "");
		CHECK(dt_cma_areas().empty());
		CHECK(r.log.find("Ignoring") == std::string::npos);
	}
}

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: virt 16G on a 32-bit PA CPU is clipped as Linux does")
{
	Blob b;
	REQUIRE(dttest::load_fixture("virt-16g", b));
	Run r = boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 32);
	CHECK(has(r.log, "OF: fdt: Ignoring memory range 0x100000000 - 0x440000000\n"));
	CHECK(mem() == Rgns{{0x40000000, 0xc0000000}});
}

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: Raspberry Pi DTBs (memreserve, holes, CMA below 1 GiB)")
{
	struct Case {
		const char *name;
		Rgns memory;
		u64 cma;
	};
	const u64 lo = 0x3b400000;
	const Case cases[] = {
		{"rpi3b", {{0, 0x3c000000}}, 0x38000000},
		{"rpi4b-1g", {{0, lo}}, 0x37400000},
		{"rpi4b-2g", {{0, lo}, {0x40000000, 0x40000000}}, 0x37400000},
		{"rpi4b-4g", {{0, lo}, {0x40000000, 0xbc000000}}, 0x37400000},
		{"rpi4b-8g", {{0, lo}, {0x40000000, 0xbc000000}, {0x100000000, 0x100000000}}, 0x37400000},
	};
	for (const Case &c : cases) {
		CAPTURE(c.name);
		reset();
		Blob b;
		if (!dttest::load_fixture(c.name, b)) {
			MESSAGE("fixture ", c.name, " absent (no board DTS yet): skipped");
			continue;
		}
		// The Pi firmware loads the kernel at 0x200000 and QEMU's raspi puts the DTB at 128 MiB.
		const u64 dtb = 0x8000000;
		Run r = boot(b, dtb, 0x200000, KERNEL_SIZE, 40);
		CAPTURE(r.log);
		REQUIRE(!r.scan.is_error());
		CHECK(mem() == c.memory);
		CHECK(res() == Rgns{{0, 0x1000}, {0x200000, KERNEL_SIZE}, {dtb, fdt_totalsize(b.data())},
				    {c.cma, 0x4000000}});
		REQUIRE(dt_cma_areas().size() == 1);
		CHECK(std::string(dt_cma_areas()[0].name) == "linux,cma");
		CHECK(dt_cma_areas()[0].base == c.cma);
		CHECK(dt_cma_areas()[0].size == 0x4000000);
		CHECK(dt_cma_areas()[0].is_default);
		REQUIRE(reserved_mem_regions().size() == 1);
		CHECK(reserved_mem_regions()[0].reusable);
		CHECK(has(r.log, "cma: Reserved memory: created CMA memory pool at 0x00000000" +
				      std::string(c.cma == 0x38000000 ? "38000000" : "37400000") + ", size 64 MiB"));
		// The pool is the default CMA area, counted from here on (mm/cma.h step 2).
		REQUIRE(cma_area_count == 1);
		CHECK(dma_contiguous_default_area == &cma_areas[0]);
		CHECK(cma_get_base(&cma_areas[0]) == c.cma);
		CHECK(totalcma_pages == 0x4000000 / PAGE_SIZE);

		// cma= replaces the default pool (Linux's "bypass"): its memory goes back to memblock.
		reset();
		r = boot(b, dtb, 0x200000, KERNEL_SIZE, 40, "cma=32M");
		CHECK(has(r.log, "cma: Reserved memory: bypass linux,cma node, using cmdline CMA params instead\n"));
		CHECK(has(r.log, "OF: reserved mem: node linux,cma compatible matching fail\n"));
		CHECK(res() == Rgns{{0, 0x1000}, {0x200000, KERNEL_SIZE}, {dtb, fdt_totalsize(b.data())}});
		CHECK(dt_cma_areas().empty());
		CHECK(cma_area_count == 0);
		CHECK(totalcma_pages == 0);
	}
}

// ---- the command line -------------------------------------------------------------------

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: mem=, memmap= and memblock=debug")
{
	Blob b;
	REQUIRE(dttest::load_fixture("virt-1g", b));

	SUBCASE("mem=512M keeps the first 512 MiB")
	{
		Run r = boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44, "mem=512M");
		CHECK(has(r.log, "Memory limited to 512MB\n"));
		CHECK(dt_memory_limit() == 0x20000000);
		CHECK(mem() == Rgns{{0x40000000, 0x20000000}});
		CHECK(res() == Rgns{kernel_rgn(), {0x48000000, 0x100000}});
	}
	SUBCASE("mem=64M drops the DTB's reservation with the memory above it (Linux)")
	{
		Run r = boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44, "mem=64M");
		CHECK(mem() == Rgns{{0x40000000, 0x4000000}});
		CHECK(res() == Rgns{kernel_rgn()});
	}
	SUBCASE("mem= below the kernel adds the kernel back")
	{
		Run r = boot(b, 0x48000000, 0x7f000000, 0x200000, 44, "mem=16M");
		CHECK(mem() == Rgns{{0x40000000, 0x1000000}, {0x7f000000, 0x200000}});
		CHECK(res() == Rgns{{0x7f000000, 0x200000}});
	}
	SUBCASE("memmap=nn$ss holes, several and comma-separated, page-rounded outward")
	{
		Run r = boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44,
			     "memmap=256M$0x50000000 memmap=4K$0x60000000,0x800$0x70000100");
		CHECK(has(r.log, "memmap: 0x0000000050000000-0x000000005fffffff excluded from memory\n"));
		CHECK(mem() == Rgns{{0x40000000, 0x10000000},
				    {0x60001000, 0x0ffff000},
				    {0x70001000, 0x0ffff000}});
	}
	SUBCASE("memmap= and mem= together: the limit counts the memory left")
	{
		boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44, "memmap=128M$0x44000000 mem=256M");
		CHECK(mem() == Rgns{{0x40000000, 0x4000000}, {0x4c000000, 0xc000000}});
	}
	SUBCASE("malformed values are reported like Linux and change nothing")
	{
		Run r = boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44,
			     "mem=lots mem mem=0 memmap=1G@0x50000000 memmap=1G$ memmap=0$0x1000 memmap");
		CHECK(mbtest::count_of(r.log, "Malformed early option 'mem'\n") == 3);
		CHECK(mbtest::count_of(r.log, "Malformed early option 'memmap'\n") == 4);
		CHECK(has(r.log, "memmap: only the nn[KMG]$ss[KMG] form is supported, not '1G@0x50000000'"));
		CHECK(mem() == Rgns{{0x40000000, 0x40000000}});
	}
	SUBCASE("memmap= over all memory is an error for the caller")
	{
		Run r = boot(b, 0x48000000, 0, 0, 44, "memmap=1G$0x40000000");
		CHECK(r.commit.error().code() == Errno::ENOENT);
		CHECK(has(r.log, "OF: fdt: No memory left after memmap=/mem=\n"));
	}
	SUBCASE("too many memmap= ranges")
	{
		std::string line;
		for (int i = 0; i < 17; i++)
			line += "memmap=4K$" + std::to_string(0x50000000 + i * 0x2000) + " ";
		Run r = boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44, line.c_str());
		CHECK(has(r.log, "memmap: more than 16 ranges, 0x50020000-0x50020fff ignored"));
		CHECK(memblock.memory.cnt == 17);
	}
	SUBCASE("memblock=debug")
	{
		CHECK(!memblock_debug);
		boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44, "memblock=debug");
		CHECK(memblock_debug);
		memblock_debug = false;
	}
}

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: bootargs, built-in command line and initrd")
{
	Blob base;
	REQUIRE(dttest::load_fixture("virt-1g", base));
	Blob b = dttest::open_into(base);
	int chosen = fdt_path_offset(b.data(), "/chosen");
	REQUIRE(chosen >= 0);
	REQUIRE(fdt_setprop_string(b.data(), chosen, "bootargs", "mem=768M loglevel=8") == 0);

	SUBCASE("initrd reserved in whole pages, merged with the DTB")
	{
		REQUIRE(fdt_setprop_u32(b.data(), chosen, "linux,initrd-start", 0x48100800) == 0);
		REQUIRE(fdt_setprop_u64(b.data(), chosen, "linux,initrd-end", 0x48200100) == 0);
		auto info = early_init_dt_scan(b.data(), b.size, 44);
		REQUIRE(!info.is_error());
		CHECK(info.value().bootargs_from_dt);
		CHECK(std::string(info.value().bootargs) == "mem=768M loglevel=8");
		CHECK(info.value().has_initrd);
		CHECK(info.value().initrd_start == 0x48100800);
		CHECK(info.value().initrd_size == 0xff900);
		parse_early_params(boot_command_line());
		ArchMemblockInfo arch;
		arch.dt_phys = 0x48000000;
		arch.kernel_start = KERNEL_BASE;
		arch.kernel_size = KERNEL_SIZE;
		REQUIRE(!early_init_dt_memblock(info.value(), arch).is_error());
		CHECK(mem() == Rgns{{0x40000000, 0x30000000}});
		CHECK(res() == Rgns{kernel_rgn(), {0x48000000, 0x201000}});
	}
	SUBCASE("an initrd above mem= is added back (Linux), one below DRAM is dropped")
	{
		REQUIRE(fdt_setprop_u32(b.data(), chosen, "linux,initrd-start", 0x7ff00000) == 0);
		REQUIRE(fdt_setprop_u32(b.data(), chosen, "linux,initrd-end", 0x7ff10000) == 0);
		Run r = boot(b, 0x48000000);
		CHECK(mem() == Rgns{{0x40000000, 0x30000000}, {0x7ff00000, 0x10000}});
		const u64 dtb_size = fdt_totalsize(b.data());
		CHECK(res() == Rgns{kernel_rgn(), {0x48000000, dtb_size}, {0x7ff00000, 0x10000}});

		reset();
		REQUIRE(fdt_setprop_u32(b.data(), chosen, "linux,initrd-start", 0x1000) == 0);
		REQUIRE(fdt_setprop_u32(b.data(), chosen, "linux,initrd-end", 0x2000) == 0);
		r = boot(b, 0x48000000);
		CHECK(has(r.log, "initrd not fully accessible via the linear mapping"));
		CHECK(res() == Rgns{kernel_rgn(), {0x48000000, dtb_size}});
	}
	SUBCASE("no bootargs: the built-in command line")
	{
		REQUIRE(fdt_delprop(b.data(), chosen, "bootargs") == 0);
		auto info = early_init_dt_scan(b.data(), b.size, 44);
		REQUIRE(!info.is_error());
		CHECK(!info.value().bootargs_from_dt);
		CHECK(std::string(info.value().bootargs) == CONFIG_CMDLINE);
		CHECK(info.value().has_stdout);
		CHECK(std::string(info.value().stdout_path.node.name()) == "pl011@9000000");
		CHECK(info.value().has_kaslr_seed);
		CHECK(info.value().rng_seed.size() == 32);
	}
}

// ---- hostile memory nodes ---------------------------------------------------------------

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: hostile /memory nodes")
{
	struct Case {
		const char *what;
		Blob blob;
		unsigned pa_bits;
		Errno scan_err;
		Rgns memory;
		std::vector<const char *> msgs;
	};
	std::vector<Case> cases;
	cases.push_back({"no memory node", tree([](FdtBuilder &) {}), 44, Errno::ENOENT, {},
			 {"OF: fdt: No memory found in device tree\n"}});
	cases.push_back({"only a disabled node",
			 tree([](FdtBuilder &b) {
				 b.begin("memory@40000000").str("device_type", "memory").str("status", "disabled");
				 b.cellv("reg", dttest::regs22({{0x40000000, 0x1000000}})).end();
			 }),
			 44, Errno::ENOENT, {},
			 {"memory node memory@40000000 is disabled, skipped", "No memory found in device tree"}});
	cases.push_back({"device_type other than memory, and a memory node without reg",
			 tree([](FdtBuilder &b) {
				 b.begin("ram@0").str("device_type", "ram").cellv("reg", dttest::regs22({{0, 0x1000000}})).end();
				 b.begin("memory@1").str("device_type", "memory").end();
			 }),
			 44, Errno::ENOENT, {}, {"memory node memory@1 has no reg, skipped"}});
	cases.push_back({"size 0 entries skipped",
			 tree([](FdtBuilder &b) { b.memory("memory@0", {{0x40000000, 0}, {0x50000000, 0x100000}}); }),
			 44, Errno::OK, {{0x50000000, 0x100000}},
			 {"memory node memory@0: entry 0 has size 0, skipped"}});
	cases.push_back({"only size 0", tree([](FdtBuilder &b) { b.memory("memory@0", {{0x40000000, 0}}); }),
			 44, Errno::ENOENT, {}, {"No memory found in device tree"}});
	cases.push_back({"sub-page and unaligned regions trimmed to whole pages",
			 tree([](FdtBuilder &b) {
				 b.memory("memory@0", {{0x40000100, 0x800}, {0x40010800, 0x10000}, {0x40100000, 0x1fff}, {0x40200fff, 0x1002}});
			 }),
			 44, Errno::OK, {{0x40011000, 0xf000}, {0x40100000, 0x1000}, {0x40201000, 0x1000}},
			 {"OF: fdt: Ignoring memory block 0x40000100 - 0x40000900\n",
			  "OF: fdt: memory 0x40010800 - 0x40020800 trimmed to whole pages 0x40011000 - 0x40020000\n",
			  "OF: fdt: memory 0x40100000 - 0x40101fff trimmed to whole pages 0x40100000 - 0x40101000\n"}});
	cases.push_back({"regions beyond the PA range dropped or clipped",
			 tree([](FdtBuilder &b) {
				 b.memory("memory@0", {{0x10000000000, 0x1000}, {0xff00000000, 0x200000000}, {0x40000000, 0x1000}});
				 b.memory("memory@1", {{0xfffffffffffff000, 0x2000}, {0xffffffff00000000, 0xffffffffffffffff}});
			 }),
			 40, Errno::OK, {{0x40000000, 0x1000}, {0xff00000000, 0x100000000}},
			 {"OF: fdt: Ignoring memory block 0x10000000000 - 0x10000001000\n",
			  "OF: fdt: Ignoring memory range 0x10000000000 - 0x10100000000\n",
			  "OF: fdt: Ignoring memory block 0xfffffffffffff000 - 0xffffffffffffffff\n"}});
	cases.push_back({"overlapping and duplicate regions merge",
			 tree([](FdtBuilder &b) {
				 b.memory("memory@40000000", {{0x40000000, 0x10000000}, {0x48000000, 0x10000000}});
				 b.memory("memory@40000001", {{0x40000000, 0x10000000}, {0x58000000, 0x1000}});
			 }),
			 44, Errno::OK, {{0x40000000, 0x18001000}}, {}});
	cases.push_back({"root #address-cells 3 rejected",
			 tree([](FdtBuilder &b) { b.memory("memory@0", {{0x40000000, 0x1000000}}); }, {}, 3, 2),
			 44, Errno::EINVAL, {},
			 {"OF: fdt: /: #address-cells = 3 is unsupported (must be 1 or 2)\n",
			  "root #address-cells/#size-cells unusable"}});
	cases.push_back({"root #address-cells 0 rejected",
			 tree([](FdtBuilder &b) { b.memory("memory@0", {{0x40000000, 0x1000000}}); }, {}, 0, 2),
			 44, Errno::EINVAL, {}, {"#address-cells = 0 is unsupported"}});
	cases.push_back({"root #size-cells 0 rejected",
			 tree([](FdtBuilder &b) { b.memory("memory@0", {{0x40000000, 0x1000000}}); }, {}, 2, 0),
			 44, Errno::EINVAL, {}, {"/: #size-cells = 0 is unsupported (must be 1 or 2)"}});
	cases.push_back({"root #size-cells 3 rejected",
			 tree([](FdtBuilder &b) { b.memory("memory@0", {{0x40000000, 0x1000000}}); }, {}, 2, 3),
			 44, Errno::EINVAL, {}, {"/: #size-cells = 3 is unsupported"}});
	cases.push_back({"1/1 cells and a reg tail",
			 tree([](FdtBuilder &b) {
				 b.begin("memory@0").str("device_type", "memory").cells("reg", {0x0, 0x1000000, 0x40000000}).end();
			 }, {}, 1, 1),
			 44, Errno::OK, {{0, 0x1000000}},
			 {"OF: fdt: memory node memory@0: reg length 12 is not a multiple of 8 bytes, last 4 bytes ignored\n"}});
	cases.push_back({"linux,usable-memory overrides reg; numa-node-id; hotpluggable ignored",
			 tree([](FdtBuilder &b) {
				 b.begin("memory@40000000").str("device_type", "memory");
				 b.cellv("reg", dttest::regs22({{0x40000000, 0x40000000}}));
				 b.cellv("linux,usable-memory", dttest::regs22({{0x40000000, 0x1000000}}));
				 b.u32p("numa-node-id", 1).empty("hotpluggable").end();
				 b.begin("memory@80000000").str("device_type", "memory");
				 b.cellv("reg", dttest::regs22({{0x80000000, 0x1000000}})).u32p("numa-node-id", 9).end();
			 }),
			 44, Errno::OK,
			 {{0x40000000, 0x1000000, MEMBLOCK_NONE, 1}, {0x80000000, 0x1000000}},
			 {"memory node memory@80000000: numa-node-id 9 exceeds the maximum 3, ignored"}});
	cases.push_back({"PA bits out of range", one_gib(), 64, Errno::EINVAL, {},
			 {"physical address size of 64 bits is outside 32..52"}});

	for (Case &c : cases) {
		CAPTURE(c.what);
		reset();
		auto info = early_init_dt_scan(c.blob.data(), c.blob.size, c.pa_bits);
		CHECK(info.is_error() == (c.scan_err != Errno::OK));
		if (info.is_error()) {
			CHECK(info.error().code() == c.scan_err);
		} else {
			ArchMemblockInfo arch;
			arch.dt_phys = DT_PHYS;
			CHECK(!early_init_dt_memblock(info.value(), arch).is_error());
		}
		std::string log = host_take_log();
		CAPTURE(log);
		CHECK(mem() == c.memory);
		for (const char *m : c.msgs)
			CHECK_MESSAGE(has(log, m), m);
		mbtest::check_all_invariants();
	}
	CHECK(std::string(early_init_dt_strerror(Errno::ENOENT)) == "No memory found in device tree");
	CHECK(std::string(early_init_dt_strerror(Errno::EINVAL)) == "Invalid device tree");
}

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: broken blobs never reach memblock")
{
	Blob good = one_gib();
	struct Case {
		const char *what;
		std::function<void(Blob &, usize &)> patch;
		const char *msg;
	};
	const Case cases[] = {
		{"bad magic", [](Blob &b, usize &) { fdt_set_magic(b.data(), 0); }, "bad magic 0x00000000"},
		{"bad version", [](Blob &b, usize &) { fdt_set_version(b.data(), 3); }, "version 3 is older"},
		{"totalsize > buffer", [](Blob &b, usize &m) { m = 64; }, "exceeds the 64 bytes available"},
		{"totalsize > 2 MiB", [](Blob &b, usize &m) { fdt_set_totalsize(b.data(), 0x300000); m = 0x400000; },
		 "exceeds the maximum"},
		{"strings out of bounds", [](Blob &b, usize &) { fdt_set_off_dt_strings(b.data(), 0x10000); },
		 "strings block 0x10000"},
		{"struct out of bounds", [](Blob &b, usize &) { fdt_set_off_dt_struct(b.data(), 0x10000); },
		 "struct block 0x10000"},
	};
	for (const Case &c : cases) {
		CAPTURE(c.what);
		reset();
		Blob b = good;
		usize mapped = b.size;
		c.patch(b, mapped);
		if (mapped > b.size) {
			Blob big;
			big.resize(mapped);
			memcpy(big.data(), b.data(), b.size);
			b = big;
		}
		auto info = early_init_dt_scan(b.data(), mapped, 44);
		std::string log = host_take_log();
		CAPTURE(log);
		REQUIRE(info.is_error());
		CHECK(std::string(early_init_dt_strerror(info.error())) == "Invalid device tree");
		CHECK(has(log, c.msg));
		CHECK(mem().empty());
		CHECK(!of::boot_tree().valid());
	}
}

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: more regions than memblock's static array")
{
	std::vector<u32> c;
	// 200 disjoint 16 KiB regions 4 KiB apart: none merge.
	for (u64 i = 0; i < 200; i++) {
		auto r = dttest::regs22({{0x40000000 + i * 0x5000, 0x4000}});
		c.insert(c.end(), r.begin(), r.end());
	}
	Blob b = tree([&](FdtBuilder &f) {
		f.begin("memory@40000000").str("device_type", "memory").cellv("reg", c).end();
	});

	SUBCASE("before the linear map: the first 128 are kept, the rest reported (Linux)")
	{
		auto info = early_init_dt_scan(b.data(), b.size, 44);
		REQUIRE(!info.is_error());
		std::string log = host_take_log();
		CHECK(memblock.memory.cnt == INIT_MEMBLOCK_REGIONS);
		CHECK(mbtest::count_of(log, "not added: memblock.memory is full") == 200 - INIT_MEMBLOCK_REGIONS);
		CHECK(has(log, "OF: fdt: memory 0x40280000 - 0x40284000 not added: memblock.memory is full (-12)"));
	}
	SUBCASE("with resizing allowed the array grows")
	{
		mbtest::FakeRam ram(0x40000000, 200 * 0x5000);
		memblock_allow_resize();
		auto info = early_init_dt_scan(b.data(), b.size, 44);
		REQUIRE(!info.is_error());
		std::string log = host_take_log();
		CHECK(memblock.memory.cnt == 200);
		CHECK(memblock.memory.max == 256);
		CHECK(!has(log, "not added"));
		mbtest::check_all_invariants();
		memblock_reset_for_test();
	}
}

// ---- reserved memory --------------------------------------------------------------------

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: /memreserve/ and /reserved-memory")
{
	auto rm = [](FdtBuilder &b, const std::function<void(FdtBuilder &)> &kids) {
		b.memory("memory@40000000", {{0x40000000, 0x40000000}});
		b.begin("reserved-memory").u32p("#address-cells", 2).u32p("#size-cells", 2).empty("ranges");
		kids(b);
		b.end();
	};
	const Rgn dtb_rgn{DT_PHYS, 0}; // size filled per blob

	SUBCASE("static regions: map, no-map, outside memory, memreserve")
	{
		Blob b = tree([&](FdtBuilder &f) {
			rm(f, [](FdtBuilder &k) {
				k.begin("fw@41000000").cellv("reg", dttest::regs22({{0x41000000, 0x100000}})).end();
				k.begin("secmon@42000000").cellv("reg", dttest::regs22({{0x42000000, 0x200000}})).empty("no-map").u32p("phandle", 5).end();
				k.begin("edge@7ff00000").cellv("reg", dttest::regs22({{0x7ff00000, 0x200000}})).end();
				k.begin("off@0").cellv("reg", dttest::regs22({{0x1000, 0x1000}})).str("status", "disabled").end();
			});
		}, {{0x10000000, 0x1000}, {0x40000000, 0x1000}});
		Run r = boot(b, DT_PHYS);
		CAPTURE(r.log);
		CHECK(mem() == Rgns{{0x40000000, 0x2000000}, {0x42000000, 0x200000, NOMAP}, {0x42200000, 0x3de00000}});
		CHECK(res() == Rgns{{0x10000000, 0x1000}, {0x40000000, 0x1000}, kernel_rgn(), {0x41000000, 0x100000},
				    {DT_PHYS, fdt_totalsize(b.data())}, {0x7ff00000, 0x200000}});
		CHECK(has(r.log, "OF: fdt: /memreserve/ entry 0x0000000010000000..0x0000000010000fff lies entirely outside memory\n"));
		CHECK(has(r.log, "OF: reserved mem: node 'edge@7ff00000' 0x000000007ff00000..0x00000000800fffff lies partly outside memory\n"));
		CHECK(has(r.log, "OF: reserved mem: 0x0000000042000000..0x00000000421fffff (2048 KiB) nomap non-reusable secmon@42000000\n"));
		REQUIRE(reserved_mem_regions().size() == 3);
		CHECK(reserved_mem_regions()[1].phandle == 5);
		CHECK(reserved_mem_regions()[1].nomap);
	}
	SUBCASE("no-map ranges cover whole pages")
	{
		Blob b = tree([&](FdtBuilder &f) {
			rm(f, [](FdtBuilder &k) {
				k.begin("odd@41000010").cellv("reg", dttest::regs22({{0x41000010, 0x2000}})).empty("no-map").end();
				k.begin("dyn").cells("size", {0, 0x1001}).empty("no-map");
				k.cellv("alloc-ranges", dttest::regs22({{0x60000000, 0x100000}})).end();
			});
		});
		Run r = boot(b, DT_PHYS);
		CAPTURE(r.log);
		CHECK(has(r.log, "OF: reserved mem: no-map range 0x41000010 - 0x41002010 widened to whole pages 0x41000000 - 0x41003000\n"));
		CHECK(has(r.log, "OF: reserved mem: no-map size 0x1001 of 'dyn' rounded up to whole pages\n"));
		CHECK(mem() == Rgns{{0x40000000, 0x1000000}, {0x41000000, 0x3000, NOMAP}, {0x41003000, 0x1f0fb000},
				    {0x600fe000, 0x2000, NOMAP}, {0x60100000, 0x1ff00000}});
		CHECK(res() == Rgns{kernel_rgn(), {DT_PHYS, fdt_totalsize(b.data())}, {0x600fe000, 0x2000}});
	}
	SUBCASE("no-map over an existing reservation fails with EBUSY (Linux)")
	{
		Blob b = tree([&](FdtBuilder &f) {
			rm(f, [](FdtBuilder &k) {
				k.begin("k@40200000").cellv("reg", dttest::regs22({{0x40200000, 0x1000}})).empty("no-map").end();
			});
		});
		Run r = boot(b, DT_PHYS);
		CHECK(has(r.log, "OF: reserved mem: Reserved memory: failed to reserve memory for node 'k@40200000': base 0x0000000040200000, size 0 MiB\n"));
		CHECK(mem() == Rgns{{0x40000000, 0x40000000}});
	}
	SUBCASE("dynamic regions: alignment, alloc-ranges, no-map, CMA")
	{
		Blob b = tree([&](FdtBuilder &f) {
			rm(f, [](FdtBuilder &k) {
				k.begin("pool").cells("size", {0, 0x100000}).cells("alignment", {0, 0x100000});
				k.cellv("alloc-ranges", dttest::regs22({{0x30000000, 0x1000000}, {0x50000000, 0x10000000}})).end();
				k.begin("nomap-pool").cells("size", {0, 0x4000}).empty("no-map");
				k.cellv("alloc-ranges", dttest::regs22({{0x60000000, 0x100000}})).end();
				k.begin("linux,cma").str("compatible", "shared-dma-pool").cells("size", {0, 0x1000000});
				k.empty("reusable").empty("linux,cma-default").cells("alignment", {0, 0x1000});
				k.cellv("alloc-ranges", dttest::regs22({{0x40000000, 0x8000000}})).end();
				k.begin("dma").str("compatible", "shared-dma-pool").cells("size", {0, 0x10000}).end();
			});
		});
		Run r = boot(b, DT_PHYS);
		CAPTURE(r.log);
		u64 dt_size = fdt_totalsize(b.data());
		CHECK(mem() == Rgns{{0x40000000, 0x200fc000}, {0x600fc000, 0x4000, NOMAP}, {0x60100000, 0x1ff00000}});
		CHECK(res() == Rgns{kernel_rgn(), {0x47000000, 0x1000000}, {DT_PHYS, dt_size},
				    {0x5ff00000, 0x100000}, {0x600fc000, 0x4000}, {0x7fff0000, 0x10000}});
		REQUIRE(dt_cma_areas().size() == 1);
		CHECK(dt_cma_areas()[0].base == 0x47000000);
		CHECK(dt_cma_areas()[0].is_default);
		CHECK(has(r.log, "Reserved memory: created DMA memory pool at 0x000000007fff0000, size 0 MiB"));
		CHECK(has(r.log, "OF: reserved mem: initialized node linux,cma, compatible id shared-dma-pool"));
		CHECK(has(r.log, "OF: reserved mem: 0x0000000047000000..0x0000000047ffffff (16384 KiB) map reusable linux,cma\n"));
	}
	SUBCASE("broken reserved-memory children")
	{
		Blob b = tree([&](FdtBuilder &f) {
			rm(f, [](FdtBuilder &k) {
				k.begin("badreg").cells("reg", {0, 0x41000000, 0}).end();
				k.begin("badsize").cells("size", {0x100000}).end();
				k.begin("badalign").cells("size", {0, 0x1000}).cells("alignment", {0x1000}).end();
				k.begin("npot").cells("size", {0, 0x1000}).cells("alignment", {0, 0x3000}).end();
				k.begin("zero").cells("size", {0, 0}).end();
				k.begin("badranges").cells("size", {0, 0x1000}).cells("alloc-ranges", {0, 0x1000}).end();
				k.begin("huge").cells("size", {0x1, 0}).end();
				k.begin("cma-nomap").str("compatible", "shared-dma-pool").cells("size", {0, 0x200000}).empty("reusable").empty("no-map").end();
				k.begin("cma-unaligned").str("compatible", "shared-dma-pool").empty("reusable");
				k.cellv("reg", dttest::regs22({{0x41001000, 0x200000}})).end();
				k.begin("a@45000000").cellv("reg", dttest::regs22({{0x45000000, 0x2000}})).end();
				k.begin("b@45001000").cellv("reg", dttest::regs22({{0x45001000, 0x2000}})).end();
			});
		});
		Run r = boot(b, DT_PHYS);
		CAPTURE(r.log);
		const char *msgs[] = {
			"OF: reserved mem: Reserved memory: invalid reg property in 'badreg', skipping node.\n",
			"OF: reserved mem: invalid size property in 'badsize' node.\n",
			"OF: reserved mem: invalid alignment property in 'badalign' node.\n",
			"OF: reserved mem: alignment 0x3000 of 'npot' is not a power of two\n",
			"OF: reserved mem: size 0 in 'zero' node, nothing to allocate\n",
			"OF: reserved mem: invalid alloc-ranges property in 'badranges', skipping node.\n",
			"OF: reserved mem: failed to allocate memory for node 'huge': size 4096 MiB\n",
			"OF: reserved mem: node cma-nomap compatible matching fail\n",
			"cma: Reserved memory: incorrect alignment of CMA region\n",
			"OF: reserved mem: node cma-unaligned compatible matching fail\n",
			"OF: reserved mem: OVERLAP DETECTED!\na@45000000 (0x0000000045000000--0x0000000045002000) overlaps with b@45001000 (0x0000000045001000--0x0000000045003000)\n",
		};
		for (const char *m : msgs)
			CHECK_MESSAGE(has(r.log, m), m);
		CHECK(dt_cma_areas().empty());
		// cma-nomap: allocated, marked nomap, then (Linux) only the nomap flag is undone;
		// cma-unaligned: its static reservation is released.
		CHECK(mem() == Rgns{{0x40000000, 0x40000000}});
		CHECK(res() == Rgns{kernel_rgn(), {0x45000000, 0x3000}, {DT_PHYS, fdt_totalsize(b.data())},
				    {0x7fe00000, 0x200000}});
	}
	SUBCASE("an unsupported /reserved-memory node is ignored")
	{
		Blob b = tree([](FdtBuilder &f) {
			f.memory("memory@40000000", {{0x40000000, 0x40000000}});
			f.begin("reserved-memory").u32p("#address-cells", 1).u32p("#size-cells", 1).empty("ranges");
			f.begin("x@41000000").cells("reg", {0x41000000, 0x1000}).end();
			f.end();
		});
		Run r = boot(b, DT_PHYS);
		CHECK(has(r.log, "OF: reserved mem: Reserved memory: unsupported node format, ignoring\n"));
		CHECK(res() == Rgns{kernel_rgn(), {DT_PHYS, fdt_totalsize(b.data())}});
	}
	SUBCASE("more children than MAX_RESERVED_REGIONS")
	{
		Blob b = tree([&](FdtBuilder &f) {
			rm(f, [](FdtBuilder &k) {
				for (int i = 0; i < 70; i++) {
					std::string n = "r@" + std::to_string(i);
					k.begin(n.c_str()).cellv("reg", dttest::regs22({{0x60000000 + u64(i) * 0x2000, 0x1000}})).end();
				}
			});
		});
		Run r = boot(b, DT_PHYS);
		CHECK(mbtest::count_of(r.log, "OF: reserved mem: not enough space for all defined regions.\n") == 6);
		CHECK(reserved_mem_regions().size() == MAX_RESERVED_REGIONS);
		CHECK(memblock.reserved.cnt == 2 + 70);
	}
	(void)dtb_rgn;
}

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: linear map limit (arm64_memblock_init)")
{
	Blob b = tree([](FdtBuilder &f) { f.memory("memory@40000000", {{0x40000000, 0x100000000}}); });
	Run r = boot(b, 0x48000000, KERNEL_BASE, KERNEL_SIZE, 44, "", 0x80000000);
	CHECK(has(r.log, "Memory doesn't fit in the linear mapping, VA_BITS too small\n"));
	CHECK(mem() == Rgns{{0x40000000, 0x80000000}});

	// The kernel above the window keeps its memory; the window then ends there (Linux).
	reset();
	r = boot(b, 0x48000000, 0x120000000, KERNEL_SIZE, 44, "", 0x80000000);
	CHECK(mem() == Rgns{{0xc0000000, 0x60800000}});
}

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: a DTB that does not lie in memory is reported")
{
	Blob b = one_gib();
	const u64 size = fdt_totalsize(b.data());
	char want[128];
	snprintf(want, sizeof(want), "OF: fdt: DTB 0x000000007fffff80..0x%016llx lies partly outside memory\n",
		 (unsigned long long)(0x7fffff80 + size - 1));
	Run r = boot(b, 0x7fffff80);
	CAPTURE(r.log);
	CHECK(has(r.log, want));
	reset();
	r = boot(b, 0x1000);
	snprintf(want, sizeof(want), "OF: fdt: DTB 0x0000000000001000..0x%016llx lies entirely outside memory\n",
		 (unsigned long long)(0x1000 + size - 1));
	CHECK(has(r.log, want));
	CHECK(res() == Rgns{{0x1000, size}, kernel_rgn()});
}

TEST_CASE("dt_memory: PA bits from ID_AA64MMFR0_EL1.PARange")
{
	static_assert(pa_bits_from_mmfr0(0x0) == 32);
	static_assert(pa_bits_from_mmfr0(0x1) == 36);
	static_assert(pa_bits_from_mmfr0(0x2) == 40);
	static_assert(pa_bits_from_mmfr0(0x3) == 42);
	static_assert(pa_bits_from_mmfr0(0x4) == 44); // Cortex-A72 (QEMU)
	static_assert(pa_bits_from_mmfr0(0x5) == 48);
	static_assert(pa_bits_from_mmfr0(0x6) == 52);
	static_assert(pa_bits_from_mmfr0(0x7) == 48);
	CHECK(pa_bits_from_mmfr0(0x1122) == 40); // Cortex-A53 value: only bits [3:0] count
}

// ---- fuzzer regressions -----------------------------------------------------------------

TEST_CASE_FIXTURE(DtMemTest, "dt_memory: fuzzer regression inputs replay cleanly")
{
	const char *dir = "tests/fuzz/regressions";
	DIR *d = opendir(dir);
	REQUIRE_MESSAGE(d != nullptr, "tests/fuzz/regressions missing");
	int n = 0;
	while (dirent *e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		std::string path = std::string(dir) + "/" + e->d_name;
		FILE *f = fopen(path.c_str(), "rb");
		REQUIRE(f);
		std::vector<u8> data;
		int ch;
		while ((ch = fgetc(f)) != EOF)
			data.push_back(u8(ch));
		fclose(f);
		CAPTURE(path);
		host_take_log();
		CHECK_NOTHROW(dt_fuzz_one(data.data(), data.size()));
		// The fuzz build aborts on WARN; the host seam only logs it.
		CHECK(host_take_log().find("WARNING: at") == std::string::npos);
		n++;
	}
	closedir(d);
	MESSAGE(n, " regression input(s) replayed");
	reset();
}
