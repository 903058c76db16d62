// memblock=debug: per-call log lines with their caller, and memblock_dump_all() in Linux
// 6.1's exact format.
#include "tests/host/test_memblock.h"

#include "core/compiler.h"

using namespace mbtest;

static constexpr phys_addr_t B = 0x40000000;

TEST_CASE_FIXTURE(MemblockTest, "memblock log: the dump matches Linux 6.1 byte for byte")
{
	REQUIRE(memblock_add(0x40000000, 0x40000000) == 0);
	// What arm64's dummy NUMA init does before bootmem_init() dumps memblock.
	REQUIRE(memblock_set_node(0, PHYS_ADDR_MAX, &memblock.memory, 0) == 0);
	REQUIRE(memblock_reserve(0x40080000, 0x800000) == 0);
	REQUIRE(memblock_reserve(0x48000000, 0x200000) == 0);
	REQUIRE(memblock_reserve(0x7fe00000, 0x1b2c3) == 0);
	host_take_log();

	memblock_dump_all(); // only with memblock=debug, as Linux
	CHECK(host_take_log().empty());

	const std::string want =
		"MEMBLOCK configuration:\n"
		" memory size = 0x0000000040000000 reserved size = 0x0000000000a1b2c3\n"
		" memory.cnt  = 0x1\n"
		" memory[0x0]\t[0x0000000040000000-0x000000007fffffff], 0x0000000040000000 bytes on node 0 flags: 0x0\n"
		" reserved.cnt  = 0x3\n"
		" reserved[0x0]\t[0x0000000040080000-0x000000004087ffff], 0x0000000000800000 bytes flags: 0x0\n"
		" reserved[0x1]\t[0x0000000048000000-0x00000000481fffff], 0x0000000000200000 bytes flags: 0x0\n"
		" reserved[0x2]\t[0x000000007fe00000-0x000000007fe1b2c2], 0x000000000001b2c3 bytes flags: 0x0\n";
	memblock_debug = true;
	memblock_dump_all();
	CHECK(host_take_log() == want);
	__memblock_dump_all();
	CHECK(host_take_log() == want);
}

TEST_CASE_FIXTURE(MemblockTest, "memblock log: dump of nodes, flags, unassigned nodes and empty arrays")
{
	REQUIRE(memblock_add_node(0x40000000, 0x10000000, 0, MEMBLOCK_NONE) == 0);
	REQUIRE(memblock_add_node(0x50000000, 0x10000000, 1, MEMBLOCK_NONE) == 0);
	REQUIRE(memblock_mark_nomap(0x58000000, 0x100000) == 0);
	REQUIRE(memblock_add(0x80000000, 0x1000) == 0);
	host_take_log();
	__memblock_dump_all();
	// The never-used reserved array still holds its build-time dummy (node 0 by zero
	// initialisation, as in Linux).
	CHECK(host_take_log() ==
	      "MEMBLOCK configuration:\n"
	      " memory size = 0x0000000020001000 reserved size = 0x0000000000000000\n"
	      " memory.cnt  = 0x5\n"
	      " memory[0x0]\t[0x0000000040000000-0x000000004fffffff], 0x0000000010000000 bytes on node 0 flags: 0x0\n"
	      " memory[0x1]\t[0x0000000050000000-0x0000000057ffffff], 0x0000000008000000 bytes on node 1 flags: 0x0\n"
	      " memory[0x2]\t[0x0000000058000000-0x00000000580fffff], 0x0000000000100000 bytes on node 1 flags: 0x4\n"
	      " memory[0x3]\t[0x0000000058100000-0x000000005fffffff], 0x0000000007f00000 bytes on node 1 flags: 0x0\n"
	      " memory[0x4]\t[0x0000000080000000-0x0000000080000fff], 0x0000000000001000 bytes flags: 0x0\n"
	      " reserved.cnt  = 0x1\n"
	      " reserved[0x0]\t[0x0000000000000000-0xffffffffffffffff], 0x0000000000000000 bytes on node 0 flags: 0x0\n");

	// Emptied by removal, the dummy has no node.
	REQUIRE(memblock_reserve(0x40000000, 0x1000) == 0);
	REQUIRE(memblock_phys_free(0x40000000, 0x1000) == 0);
	for (int i = 0; i < 12; i++)
		REQUIRE(memblock_add_node(0x100000000 + i * 0x2000, 0x1000, 2, MEMBLOCK_HOTPLUG) == 0);
	host_take_log();
	__memblock_dump_all();
	const std::string log = host_take_log();
	CHECK(contains(log, " memory.cnt  = 0x11\n"));
	CHECK(contains(log, " memory[0xf]\t[0x0000000100014000-0x0000000100014fff], 0x0000000000001000 bytes on node 2 flags: 0x1\n"));
	CHECK(contains(log, " memory[0x10]\t[0x0000000100016000-0x0000000100016fff], 0x0000000000001000 bytes on node 2 flags: 0x1\n"));
	CHECK(contains(log, " reserved.cnt  = 0x1\n"
			    " reserved[0x0]\t[0x0000000000000000-0xffffffffffffffff], 0x0000000000000000 bytes flags: 0x0\n"));
}

TEST_CASE("memblock log: early_memblock parses memblock=")
{
	memblock_reset_for_test();
	CHECK(early_memblock(nullptr) == 0);
	CHECK_FALSE(memblock_debug);
	CHECK(early_memblock("") == 0);
	CHECK(early_memblock("on") == 0);
	CHECK(early_memblock("debu") == 0);
	CHECK_FALSE(memblock_debug);
	CHECK(early_memblock("debug") == 0);
	CHECK(memblock_debug);
	memblock_reset_for_test();
	CHECK(early_memblock("foo,debug") == 0);
	CHECK(memblock_debug);
	memblock_reset_for_test();
}

// Callers for the log test. The barrier after each call keeps it out of tail position, so
// the return address memblock logs lies inside these functions.
#define CALLER(name, ret, call)                   \
	__attribute__((noinline)) static ret name()   \
	{                                             \
		ret r = call;                             \
		barrier();                                \
		return r;                                 \
	}
CALLER(call_add, int, memblock_add(B, 16 * SZ_1M))
CALLER(call_add_node, int, memblock_add_node(0x80000000, 0x1000, 1, MEMBLOCK_NOMAP))
CALLER(call_reserve, int, memblock_reserve(B, SZ_1M))
CALLER(call_phys_free, int, memblock_phys_free(B, SZ_4K))
CALLER(call_remove, int, memblock_remove(0x80000000, 0x1000))
CALLER(call_phys_alloc, phys_addr_t, memblock_phys_alloc(SZ_4K, SZ_4K))
CALLER(call_alloc, void *, memblock_alloc(SZ_4K, SZ_4K))
CALLER(call_phys_alloc_range, phys_addr_t,
       memblock_phys_alloc_range(SZ_64K, SZ_64K, B, MEMBLOCK_ALLOC_ANYWHERE))
CALLER(call_alloc_try_nid, void *,
       memblock_alloc_try_nid(100, 8, B + SZ_1M, B + SZ_2M, 1))

static std::vector<std::string> lines_of(const std::string &s)
{
	std::vector<std::string> v;
	size_t p = 0;
	for (size_t nl; (nl = s.find('\n', p)) != std::string::npos; p = nl + 1)
		v.push_back(s.substr(p, nl - p));
	if (p < s.size())
		v.push_back(s.substr(p));
	return v;
}

TEST_CASE_FIXTURE(MemblockTest, "memblock log: memblock=debug logs every call with its caller")
{
	FakeRam ram(B, 16 * SZ_1M);
	REQUIRE(early_memblock("debug") == 0);

	CHECK(call_add() == 0);
	CHECK(call_add_node() == 0);
	CHECK(call_reserve() == 0);
	CHECK(call_phys_free() == 0);
	CHECK(call_remove() == 0);
	CHECK(call_phys_alloc() == B + 16 * SZ_1M - SZ_4K);
	CHECK(call_alloc() == ram.at(B + 16 * SZ_1M - 2 * SZ_4K));
	// The highest 64 KiB-aligned 64 KiB below the two pages just taken.
	CHECK(call_phys_alloc_range() == B + 16 * SZ_1M - 2 * SZ_64K);
	CHECK(call_alloc_try_nid() == ram.at(B + SZ_2M - 104));

	using Fn = uptr;
	const auto fn = [](auto f) { return reinterpret_cast<Fn>(f); };
	struct Want {
		const char *prefix;
		Fn caller; // 0: a memblock function
	};
	const Want want[] = {
		{"memblock_add: [0x0000000040000000-0x0000000040ffffff] ", fn(&call_add)},
		{"memblock_add_node: [0x0000000080000000-0x0000000080000fff] nid=1 flags=4 ", fn(&call_add_node)},
		{"memblock_reserve: [0x0000000040000000-0x00000000400fffff] ", fn(&call_reserve)},
		{"memblock_phys_free: [0x0000000040000000-0x0000000040000fff] ", fn(&call_phys_free)},
		{"memblock_remove: [0x0000000080000000-0x0000000080000fff] ", fn(&call_remove)},
		{"memblock_phys_alloc_range: 4096 bytes align=0x1000 from=0x0000000000000000 max_addr=0x0000000000000000 ",
		 fn(&call_phys_alloc)},
		{"memblock_reserve: [0x0000000040fff000-0x0000000040ffffff] ", 0},
		{"memblock_alloc_try_nid: 4096 bytes align=0x1000 nid=-1 from=0x0000000000000000 max_addr=0x0000000000000000 ",
		 fn(&call_alloc)},
		{"memblock_reserve: [0x0000000040ffe000-0x0000000040ffefff] ", 0},
		{"memblock_phys_alloc_range: 65536 bytes align=0x10000 from=0x0000000040000000 max_addr=0xffffffffffffffff ",
		 fn(&call_phys_alloc_range)},
		{"memblock_reserve: [0x0000000040fe0000-0x0000000040feffff] ", 0},
		{"memblock_alloc_try_nid: 100 bytes align=0x8 nid=1 from=0x0000000040100000 max_addr=0x0000000040200000 ",
		 fn(&call_alloc_try_nid)},
		{"memblock_reserve: [0x00000000401fff98-0x00000000401ffffb] ", 0},
	};

	const std::vector<std::string> lines = lines_of(host_take_log());
	REQUIRE(lines.size() == std::size(want));
	for (size_t i = 0; i < lines.size(); i++) {
		CAPTURE(lines[i]);
		const std::string &l = lines[i];
		const size_t sp = l.rfind(' ');
		REQUIRE(sp != std::string::npos);
		CHECK(l.substr(0, sp + 1) == want[i].prefix);
		// %pS: symbol+offset in the kernel, the address on the host.
		const uptr ip = std::strtoull(l.c_str() + sp + 1, nullptr, 16);
		CHECK(ip != 0);
		if (want[i].caller) {
			CHECK(ip > want[i].caller);
			CHECK(ip < want[i].caller + 256);
		} else {
			for (const Want &w : want)
				CHECK_FALSE((w.caller && ip > w.caller && ip < w.caller + 256));
		}
	}

	// Doubling an array logs where the new one went: the highest free 8 KiB, below the two
	// pages allocated first.
	memblock_allow_resize();
	for (int i = 0; i < 128; i++)
		REQUIRE(memblock_reserve(B + SZ_2M + i * 2 * SZ_4K, SZ_4K) == 0);
	const std::string log = host_take_log();
	CHECK(contains(log, "memblock: reserved is doubled to 256 at [0x0000000040ffc000-0x0000000040ffd7ff]\n"));
}
