// lib/of: blob validation against hostile headers, the Node/Property API, cells, reg,
// ranges/dma-ranges translation and the /chosen and /aliases getters, on blobs built with
// libfdt's write API and on the QEMU and Raspberry Pi fixtures.
#include <doctest/doctest.h>

#include <ostream>
#include <string>

#include "lib/of/of.h"
#include "tests/host/support/host_support.h"
#include "tests/host/test_of_util.h"

namespace of {
// Shown by doctest when a comparison of reg entries fails.
inline std::ostream &operator<<(std::ostream &os, const RegEntry &r)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "{address %#llx, size %#llx}", static_cast<unsigned long long>(r.address),
		 static_cast<unsigned long long>(r.size));
	return os << buf;
}
} // namespace of

using dttest::Blob;
using dttest::FdtBuilder;

namespace {

bool log_has(const std::string &log, const char *needle) { return log.find(needle) != std::string::npos; }

Blob small_tree()
{
	FdtBuilder b;
	b.root(2, 2);
	b.str("compatible", "test,board");
	b.begin("aliases").str("serial0", "/soc/serial@1000").str("bad", "relative").end();
	b.begin("chosen").str("bootargs", "console=ttyS0 mem=512M").str("stdout-path", "serial0:115200n8").end();
	b.memory("memory@40000000", {{0x40000000, 0x40000000}});
	b.begin("soc");
	b.u32p("#address-cells", 1).u32p("#size-cells", 1);
	b.cells("ranges", {0x1000, 0x0, 0x9000000, 0x2000}); // bus 0x1000 -> CPU 0x9000000
	b.cells("dma-ranges", {0xc0000000, 0x0, 0x0, 0x40000000});
	b.begin("serial@1000").str("compatible", "arm,pl011").cells("reg", {0x1000, 0x100}).u32p("phandle", 7).end();
	b.begin("serial@1800").prop("compatible", "vendor,x\0arm,pl011", 18).cells("reg", {0x1800, 0x100}).str("status", "disabled").end();
	b.begin("bus@2000");
	b.u32p("#address-cells", 1).u32p("#size-cells", 1);
	b.empty("ranges");
	b.begin("dev@2100").cells("reg", {0x2100, 0x10}).end();
	b.end();
	b.begin("nobus");
	b.u32p("#address-cells", 1).u32p("#size-cells", 1);
	b.begin("dev@5").cells("reg", {0x5, 0x1}).end();
	b.end();
	b.end(); // soc
	b.end();
	return b.finish();
}

} // namespace

TEST_CASE("of: fdt_validate accepts a well-formed blob silently")
{
	Blob t = small_tree();
	host_take_log();
	CHECK(!of::fdt_validate(t.data(), t.size).is_error());
	CHECK(host_take_log().empty());
}

TEST_CASE("of: fdt_validate rejects hostile headers with a message naming the field")
{
	Blob good = small_tree();
	struct Case {
		const char *what;
		void (*patch)(Blob &b, usize &mapped);
		Errno err;
		const char *msg;
	};
	static const Case cases[] = {
		{"bad magic", [](Blob &b, usize &) { fdt_set_magic(b.data(), 0xfeedd00d); }, Errno::ENOEXEC,
		 "OF: fdt: DTB: bad magic 0xfeedd00d (expected 0xd00dfeed)"},
		{"version 15", [](Blob &b, usize &) { fdt_set_version(b.data(), 15); }, Errno::EINVAL,
		 "DTB: version 15 is older than 16"},
		{"last_comp_version 18", [](Blob &b, usize &) { fdt_set_last_comp_version(b.data(), 18); },
		 Errno::EINVAL, "DTB: last_comp_version 18 is newer than the supported 17"},
		{"totalsize > mapped", [](Blob &b, usize &m) { m = fdt_totalsize(b.data()) - 1; },
		 Errno::EINVAL, "exceeds the"},
		{"truncated to the header", [](Blob &, usize &m) { m = 40; }, Errno::EINVAL, "bytes available"},
		{"shorter than a header", [](Blob &, usize &m) { m = 39; }, Errno::EINVAL,
		 "DTB: mapped size 39 is smaller than the 40-byte header"},
		{"totalsize > 2 MiB", [](Blob &b, usize &m) { fdt_set_totalsize(b.data(), 0x200008); m = 0x300000; },
		 Errno::EINVAL, "DTB: totalsize 2097160 exceeds the maximum of 2097152 bytes"},
		{"totalsize < header", [](Blob &b, usize &) { fdt_set_totalsize(b.data(), 16); }, Errno::EINVAL,
		 "DTB: totalsize 16 is smaller than the header"},
		{"struct block out of bounds", [](Blob &b, usize &) { fdt_set_off_dt_struct(b.data(), 0x7ffffff0); },
		 Errno::EINVAL, "DTB: struct block 0x7ffffff0+"},
		{"struct size out of bounds", [](Blob &b, usize &) { fdt_set_size_dt_struct(b.data(), 0xfffffff0); },
		 Errno::EINVAL, "DTB: struct block"},
		{"strings block out of bounds", [](Blob &b, usize &) { fdt_set_off_dt_strings(b.data(), 0xffffff00); },
		 Errno::EINVAL, "DTB: strings block 0xffffff00+"},
		{"strings size out of bounds", [](Blob &b, usize &) { fdt_set_size_dt_strings(b.data(), 0x100000); },
		 Errno::EINVAL, "DTB: strings block"},
		{"rsvmap out of bounds", [](Blob &b, usize &) { fdt_set_off_mem_rsvmap(b.data(), 0x100000); },
		 Errno::EINVAL, "DTB: off_mem_rsvmap 0x100000 outside"},
		{"rsvmap unaligned", [](Blob &b, usize &) { fdt_set_off_mem_rsvmap(b.data(), 0x2c); },
		 Errno::EINVAL, "DTB: off_mem_rsvmap 0x2c"},
		{"rsvmap unterminated",
		 [](Blob &b, usize &) { fdt_set_off_mem_rsvmap(b.data(), (fdt_totalsize(b.data()) - 8) & ~7u); },
		 Errno::EINVAL, "memory reservation map at"},
		{"property name outside strings",
		 [](Blob &b, usize &) {
			 // First property of the root: FDT_BEGIN_NODE, "\0" padded to 4, FDT_PROP, len, nameoff.
			 u8 *p = b.bytes() + fdt_off_dt_struct(b.data()) + 8 + 8;
			 p[0] = p[1] = 0x7f;
		 },
		 Errno::EINVAL, "DTB: structure check failed: "},
		{"bad structure tag",
		 [](Blob &b, usize &) { b.bytes()[fdt_off_dt_struct(b.data()) + 3] = 0x7; },
		 Errno::EINVAL, "DTB: structure check failed: "},
	};
	for (const Case &c : cases) {
		CAPTURE(c.what);
		Blob b = good;
		usize mapped = b.size;
		c.patch(b, mapped);
		if (mapped > b.size) {
			Blob big;
			big.resize(mapped);
			memcpy(big.data(), b.data(), b.size);
			b = big;
		}
		host_take_log();
		Result r = of::fdt_validate(b.data(), mapped);
		std::string log = host_take_log();
		CAPTURE(log);
		REQUIRE(r.is_error());
		CHECK(r.error().code() == c.err);
		CHECK(log_has(log, c.msg));
	}
}

TEST_CASE("of: fdt_validate rejects null, unaligned and over-deep blobs")
{
	host_take_log();
	CHECK(of::fdt_validate(nullptr, 100).error().code() == Errno::EINVAL);
	CHECK(log_has(host_take_log(), "no device tree blob"));

	Blob t = small_tree();
	Blob shifted;
	shifted.resize(t.size + 8);
	memcpy(shifted.bytes() + 4, t.data(), t.size);
	CHECK(of::fdt_validate(shifted.bytes() + 4, t.size).is_error());
	CHECK(log_has(host_take_log(), "is not 8-byte aligned"));

	Blob deep = dttest::nested_blob(of::FDT_MAX_DEPTH + 1);
	CHECK(of::fdt_validate(deep.data(), deep.size).is_error());
	CHECK(log_has(host_take_log(), "DTB: nodes nested deeper than 64 levels"));
}

TEST_CASE("of: nodes, properties and iteration")
{
	Blob t = small_tree();
	auto tr = of::DeviceTree::try_create(t.data(), t.size);
	REQUIRE(!tr.is_error());
	of::DeviceTree tree = tr.value();

	of::Node root = tree.root();
	CHECK(std::string(root.name()) == "");
	CHECK(root.is_compatible("test,board"));
	std::vector<std::string> kids;
	for (of::Node c : root.children())
		kids.push_back(c.name());
	CHECK(kids == std::vector<std::string>{"aliases", "chosen", "memory@40000000", "soc"});

	of::Node s = tree.find_by_path("/soc/serial@1000");
	REQUIRE(s.valid());
	char path[64];
	REQUIRE(!s.path(path, sizeof(path)).is_error());
	CHECK(std::string(path) == "/soc/serial@1000");
	CHECK(s.path(path, 8).error().code() == Errno::ENAMETOOLONG);
	CHECK(s.parent() == tree.find_by_path("/soc"));
	CHECK(!root.parent().valid());
	CHECK(tree.find_by_phandle(7) == s);
	CHECK(s.phandle().value() == 7);
	CHECK(!tree.find_by_phandle(8).valid());
	CHECK(!tree.find_by_path("/soc/none").valid());

	std::vector<std::string> uarts;
	for (of::Node n : tree.compatible_nodes("arm,pl011"))
		uarts.push_back(std::string(n.name()) + (n.is_available() ? "+" : "-"));
	CHECK(uarts == std::vector<std::string>{"serial@1000+", "serial@1800-"});
	CHECK(tree.find_compatible("arm,pl011") == s);
	CHECK(tree.find_compatible("arm,pl011", s).name() == std::string("serial@1800"));
	CHECK(!tree.find_compatible("arm,pl011", tree.find_compatible("arm,pl011", s)).valid());
	CHECK(!tree.find_compatible("vendor,none").valid());

	CHECK(std::string(s.read_string("compatible").value()) == "arm,pl011");
	CHECK(s.read_string("nope").error().code() == Errno::ENOENT);
	CHECK(s.read_u32("phandle").value() == 7);
	CHECK(s.read_u64("reg").value() == 0x0000100000000100ull);
	CHECK(s.read_cells("reg", 1).error().code() == Errno::EINVAL); // 8 bytes, not one cell
	CHECK(s.read_cells("reg", 2).value() == 0x0000100000000100ull);
	CHECK(tree.find_by_path("/chosen").read_u32("nope").error().code() == Errno::ENOENT);

	of::Node invalid;
	CHECK(!invalid.valid());
	CHECK(invalid.property("reg").error().code() == Errno::ENOENT);
	CHECK(std::string(invalid.name()) == "<invalid>");
	CHECK(!(invalid.children().begin() != invalid.children().end()));
}

TEST_CASE("of: malformed property values are EINVAL, not crashes")
{
	FdtBuilder b;
	b.root();
	b.begin("n");
	b.prop("s", "abc", 3); // no NUL
	b.prop("short", "\1\2", 2);
	b.prop("status", "okay", 4); // not terminated: not "okay"
	b.prop("device_type", "memory", 6);
	b.end();
	b.begin("ok1").str("status", "ok").end();
	b.begin("dis").str("status", "disabled").end();
	b.end();
	Blob t = b.finish();
	of::DeviceTree tree = of::DeviceTree::try_create(t.data(), t.size).value();
	of::Node n = tree.find_by_path("/n");
	CHECK(n.read_string("s").error().code() == Errno::EINVAL);
	CHECK(n.read_u32("short").error().code() == Errno::EINVAL);
	CHECK(n.read_u64("short").error().code() == Errno::EINVAL);
	CHECK(!n.is_available());
	CHECK(!n.is_type("memory"));
	CHECK(tree.find_by_path("/ok1").is_available());
	CHECK(!tree.find_by_path("/dis").is_available());
	CHECK(tree.root().is_available());
}

TEST_CASE("of: cells come from the parent, default 2/1, and bad values are rejected")
{
	FdtBuilder b;
	b.begin(""); // no cells: 2/1 by the DT spec
	b.begin("a").cells("reg", {0x1, 0x2, 0x3}).end();
	b.begin("c0").u32p("#address-cells", 0).u32p("#size-cells", 1).begin("x").cells("reg", {1, 2}).end().end();
	b.begin("c3").u32p("#address-cells", 3).u32p("#size-cells", 1).begin("x").cells("reg", {1, 2, 3, 4}).end().end();
	b.begin("s3").u32p("#address-cells", 1).u32p("#size-cells", 3).begin("x").cells("reg", {1, 2, 3, 4}).end().end();
	b.begin("cpus").u32p("#address-cells", 1).u32p("#size-cells", 0).begin("cpu@1").cells("reg", {1}).end().end();
	b.begin("tail").u32p("#address-cells", 1).u32p("#size-cells", 1).begin("x").cells("reg", {1, 2, 3}).end().end();
	b.end();
	Blob t = b.finish();
	of::DeviceTree tree = of::DeviceTree::try_create(t.data(), t.size).value();
	host_take_log();

	of::Cells c = tree.root().child_cells().value();
	CHECK(c.addr == 2);
	CHECK(c.size == 1);
	auto reg = tree.find_by_path("/a").reg();
	REQUIRE(!reg.is_error());
	REQUIRE(reg.value().size() == 1);
	CHECK(reg.value()[0] == of::RegEntry{0x100000002, 0x3});

	CHECK(tree.find_by_path("/c0/x").reg().error().code() == Errno::EINVAL);
	CHECK(log_has(host_take_log(), "OF: fdt: c0: #address-cells = 0 is unsupported (must be 1 or 2)"));
	CHECK(tree.find_by_path("/c3/x").reg().error().code() == Errno::EINVAL);
	CHECK(log_has(host_take_log(), "c3: #address-cells = 3 is unsupported"));
	CHECK(tree.find_by_path("/s3/x").reg().error().code() == Errno::EINVAL);
	CHECK(log_has(host_take_log(), "s3: #size-cells = 3 is unsupported (must be 0, 1 or 2)"));
	CHECK(tree.find_by_path("/cpus").child_cells(false).error().code() == Errno::EINVAL);
	CHECK(log_has(host_take_log(), "cpus: #size-cells = 0 is unsupported (must be 1 or 2)"));

	// #size-cells = 0 is how CPUs are numbered: allowed for generic reg reads.
	auto cpu = tree.find_by_path("/cpus/cpu@1").reg();
	REQUIRE(!cpu.is_error());
	CHECK(cpu.value()[0] == of::RegEntry{1, 0});

	auto tail = tree.find_by_path("/tail/x").reg();
	REQUIRE(!tail.is_error());
	CHECK(tail.value().size() == 1);
	CHECK(tail.value().tail_bytes() == 4);
	CHECK(log_has(host_take_log(), "x: reg length 12 is not a multiple of 8 bytes, last 4 bytes ignored"));
}

TEST_CASE("of: ranges translation follows Linux of_translate_address")
{
	Blob t = small_tree();
	of::DeviceTree tree = of::DeviceTree::try_create(t.data(), t.size).value();
	of::Node s = tree.find_by_path("/soc/serial@1000");
	CHECK(s.translate_address(0x1000).value() == 0x9000000);
	CHECK(s.translate_address(0x2fff).value() == 0x9001fff);
	CHECK(s.translate_address(0x3000).error().code() == Errno::ERANGE);
	CHECK(s.translate_address(0xfff).error().code() == Errno::ERANGE);
	CHECK(s.reg_translated(0).value() == of::RegEntry{0x9000000, 0x100});
	CHECK(s.reg_translated(1).error().code() == Errno::ERANGE);
	// Empty ranges: 1:1 through bus@2000, then soc's ranges.
	CHECK(tree.find_by_path("/soc/bus@2000/dev@2100").reg_translated(0).value() ==
	      of::RegEntry{0x9001100, 0x10});
	// No ranges on the bus: untranslatable.
	CHECK(tree.find_by_path("/soc/nobus/dev@5").reg_translated(0).error().code() == Errno::EINVAL);
	// Children of the root are already CPU addresses.
	CHECK(tree.find_by_path("/memory@40000000").reg_translated(0).value() ==
	      of::RegEntry{0x40000000, 0x40000000});
	CHECK(tree.root().translate_address(0).is_error());

	// dma-ranges: bus 0xc0000000 -> CPU 0, 1 GiB.
	CHECK(tree.dma_max_cpu_address() == 0x3fffffff);
}

TEST_CASE("of: /chosen, /aliases and stdout-path")
{
	Blob t = small_tree();
	of::DeviceTree tree = of::DeviceTree::try_create(t.data(), t.size).value();
	CHECK(std::string(tree.bootargs().value()) == "console=ttyS0 mem=512M");
	auto sp = tree.stdout_path();
	REQUIRE(!sp.is_error());
	CHECK(sp.value().node == tree.find_by_path("/soc/serial@1000"));
	CHECK(std::string(sp.value().options) == "115200n8");
	CHECK(tree.find_alias("serial0") == tree.find_by_path("/soc/serial@1000"));
	CHECK(tree.find_by_path("serial0") == tree.find_by_path("/soc/serial@1000"));
	// An alias must name an absolute path (libfdt would recurse on a relative one).
	CHECK(!tree.find_alias("bad").valid());
	CHECK(!tree.find_alias("missing").valid());
	CHECK(tree.initrd().error().code() == Errno::ENOENT);
	CHECK(tree.kaslr_seed().error().code() == Errno::ENOENT);
	CHECK(tree.rng_seed().error().code() == Errno::ENOENT);
	CHECK(tree.dma_max_cpu_address() == 0x3fffffff);

	// initrd in 32- and 64-bit forms, seeds, and broken variants.
	struct Case {
		std::vector<u32> start, end;
		bool ok;
		u64 base, size;
	};
	const Case cases[] = {
		{{0x48000000}, {0x48100000}, true, 0x48000000, 0x100000},
		{{0x1, 0x0}, {0x1, 0x2000}, true, 0x100000000, 0x2000},
		{{0x48000000}, {0x0, 0x48000800}, true, 0x48000000, 0x800},
		{{0x48100000}, {0x48000000}, false, 0, 0},
		{{0x1, 0x2, 0x3}, {0x48000000}, false, 0, 0},
	};
	for (const Case &c : cases) {
		FdtBuilder b;
		b.root();
		b.begin("chosen").cellv("linux,initrd-start", c.start).cellv("linux,initrd-end", c.end);
		b.cells("kaslr-seed", {0x1234, 0x5678}).cells("rng-seed", {1, 2, 3});
		b.str("stdout-path", "/nowhere:9600").end();
		b.end();
		Blob x = b.finish();
		of::DeviceTree tr = of::DeviceTree::try_create(x.data(), x.size).value();
		host_take_log();
		auto rd = tr.initrd();
		CHECK(rd.is_error() == !c.ok);
		if (c.ok)
			CHECK(rd.value() == of::RegEntry{c.base, c.size});
		else
			CHECK(log_has(host_take_log(), "initrd ignored"));
		CHECK(tr.kaslr_seed().value() == 0x0000123400005678ull);
		CHECK(tr.rng_seed().value().size() == 12);
		CHECK(tr.stdout_path().error().code() == Errno::ENOENT);
		CHECK(tr.dma_max_cpu_address() == ~u64{0});
	}
}

TEST_CASE("of: QEMU virt and Raspberry Pi fixtures")
{
	Blob v;
	REQUIRE_MESSAGE(dttest::load_fixture("virt-1g", v), "run tools/gen_dtb_fixtures.sh (make host-fixtures)");
	of::DeviceTree virt = of::DeviceTree::try_create(v.data(), v.size).value();
	auto sp = virt.stdout_path();
	REQUIRE(!sp.is_error());
	CHECK(std::string(sp.value().node.name()) == "pl011@9000000");
	CHECK(std::string(sp.value().options) == "");
	CHECK(sp.value().node.reg_translated(0).value() == of::RegEntry{0x9000000, 0x1000});
	CHECK(virt.find_compatible("arm,pl011") == sp.value().node);
	CHECK(virt.find_by_path("/psci").read_string("method").value() == std::string("hvc"));
	CHECK(virt.kaslr_seed().is_error() == false);
	CHECK(virt.rng_seed().value().size() == 32);
	CHECK(virt.dma_max_cpu_address() == ~u64{0});

	Blob el2;
	REQUIRE(dttest::load_fixture("virt-el2", el2));
	of::DeviceTree virt2 = of::DeviceTree::try_create(el2.data(), el2.size).value();
	CHECK(virt2.find_by_path("/psci").read_string("method").value() == std::string("smc"));

	struct Pi {
		const char *name;
		u64 uart1;
		u64 dma_max;
	};
	const Pi pis[] = {
		{"rpi3b", 0x3f215040, 0x3effffff},
		{"rpi4b-1g", 0xfe215040, 0x3fffffff},
		{"rpi4b-8g", 0xfe215040, 0x3fffffff},
	};
	for (const Pi &p : pis) {
		CAPTURE(p.name);
		Blob b;
		if (!dttest::load_fixture(p.name, b)) {
			MESSAGE("fixture ", p.name, " absent (board DTS not written yet): skipped");
			continue;
		}
		of::DeviceTree tree = of::DeviceTree::try_create(b.data(), b.size).value();
		auto s = tree.stdout_path();
		REQUIRE(!s.is_error());
		CHECK(std::string(s.value().options) == "115200n8");
		CHECK(s.value().node == tree.find_alias("serial1"));
		auto r = s.value().node.reg_translated(0);
		REQUIRE(!r.is_error());
		CHECK(r.value().address == p.uart1);
		CHECK(tree.dma_max_cpu_address() == p.dma_max);
	}
}

TEST_CASE("of: /chosen@0 is accepted like /chosen")
{
	FdtBuilder b;
	b.root();
	b.begin("chosen@0").str("bootargs", "quiet").end();
	b.end();
	Blob t = b.finish();
	of::DeviceTree tree = of::DeviceTree::try_create(t.data(), t.size).value();
	CHECK(std::string(tree.bootargs().value()) == "quiet");
}

TEST_CASE("of: boot tree handle")
{
	Blob t = small_tree();
	of::DeviceTree tree = of::DeviceTree::try_create(t.data(), t.size).value();
	of::DeviceTree saved = of::boot_tree();
	of::set_boot_tree(tree);
	CHECK(of::boot_tree().blob() == t.data());
	CHECK(of::of_find_compatible("arm,pl011") == tree.find_by_path("/soc/serial@1000"));
	int n = 0;
	for (of::Node u : of::of_compatible_nodes("arm,pl011"))
		n += u.valid();
	CHECK(n == 2);
	CHECK(of::of_find_node_by_phandle(7) == of::of_find_node_by_path("serial0"));
	CHECK(of::boot_tree().total_size() == t.size);
	of::set_boot_tree(saved);
	CHECK(!of::DeviceTree().root().valid());
	CHECK(of::DeviceTree().bootargs().error().code() == Errno::ENOENT);
}
