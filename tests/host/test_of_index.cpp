// lib/of's node index: every lookup answered through the index must equal libfdt's answer
// and the answer of the same tree once it has fallen back to libfdt (index full, replaced by
// a newer tree, blob edited), on the QEMU and Raspberry Pi fixtures, Linux's Pi DTBs and
// blobs with libfdt's corner cases (NOPs, duplicate and late properties, bad phandles).
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "lib/of/of.h"
#include "tests/host/support/host_support.h"
#include "tests/host/test_of_util.h"

using dttest::Blob;
using dttest::FdtBuilder;

namespace {

std::string hex(u64 v)
{
	char b[32];
	snprintf(b, sizeof(b), "%llx", (unsigned long long)v);
	return b;
}

template <typename T> std::string err_or(const ErrorOr<T> &r, std::string ok)
{
	return r.is_error() ? std::string("E") + r.error().name() : ok;
}

std::string node_str(const void *blob, of::Node n)
{
	if (!n.valid())
		return "-";
	return std::to_string((const u8 *)n.fdt() - (const u8 *)blob) + ":" + std::to_string(n.offset());
}

std::string prop_str(const void *blob, const ErrorOr<kstd::span<const u8>> &p)
{
	if (p.is_error())
		return std::string("E") + p.error().name();
	return std::to_string(p.value().data() - (const u8 *)blob) + "+" + std::to_string(p.value().size());
}

// Offsets of every node in blob order, by libfdt.
std::vector<int> libfdt_nodes(const void *blob)
{
	std::vector<int> v;
	int depth = -1;
	for (int off = fdt_next_node(blob, -1, &depth); off >= 0 && depth >= 0; off = fdt_next_node(blob, off, &depth))
		v.push_back(off);
	return v;
}

// Every node of t in blob order, reached through the API only (so indexed Nodes when t is).
void dfs(of::Node n, std::vector<of::Node> &out)
{
	out.push_back(n);
	for (of::Node c : n.children())
		dfs(c, out);
}

// Every answer the DT layer gives about t, one line per query. Along the way the answers
// libfdt gives directly are checked, so the lines are libfdt's answers whichever path t
// takes; callers compare the lines of an indexed and a fallen-back tree on top.
std::vector<std::string> answers(of::DeviceTree t, Caller at = {})
{
	CALLED_FROM(at);
	const void *blob = t.blob();
	std::vector<std::string> out;
	std::vector<of::Node> nodes;
	dfs(t.root(), nodes);
	std::vector<int> offs = libfdt_nodes(blob);
	REQUIRE(nodes.size() == offs.size());

	std::set<std::string> compats, props, aliases;
	std::set<u32> phandles;
	for (usize i = 0; i < nodes.size(); i++) {
		of::Node n = nodes[i];
		CAPTURE(offs[i]);
		REQUIRE(n.offset() == offs[i]);
		int len = 0;
		const char *cl = static_cast<const char *>(fdt_getprop(blob, offs[i], "compatible", &len));
		for (int k = 0; cl && k < len; k += int(strnlen(cl + k, usize(len - k))) + 1)
			compats.insert(std::string(cl + k, strnlen(cl + k, usize(len - k))));
		int p;
		fdt_for_each_property_offset(p, blob, offs[i]) {
			const char *name = nullptr;
			fdt_getprop_by_offset(blob, p, &name, &len);
			props.insert(name);
			if (i > 0 && std::string(nodes[i].name()) == "aliases")
				aliases.insert(name);
		}
		phandles.insert(fdt_get_phandle(blob, offs[i]));
	}
	compats.insert("vendor,none");
	compats.insert("");
	props.insert("no-such-property");
	aliases.insert("nothing");
	for (u32 ph : std::set<u32>(phandles))
		phandles.insert(ph + 1);
	phandles.insert(0);
	phandles.insert(~u32{0});

	for (usize i = 0; i < nodes.size(); i++) {
		of::Node n = nodes[i];
		int off = offs[i];
		std::string l = node_str(blob, n) + " ";
		CHECK(std::string(n.name()) == fdt_get_name(blob, off, nullptr));
		l += n.name();
		char path[512], lpath[512];
		REQUIRE(fdt_get_path(blob, off, lpath, sizeof(lpath)) == 0);
		REQUIRE(!n.path(path, sizeof(path)).is_error());
		CHECK(std::string(path) == lpath);
		usize plen = strlen(lpath);
		CHECK(n.path(path, plen + 1).is_error() == false);
		CHECK(n.path(path, plen).error().code() == Errno::ENAMETOOLONG);
		CHECK(n.path(path, 1).error().code() == Errno::ENAMETOOLONG);
		// libfdt's answer, not always n: "/bus/dev" finds "dev@1" when it comes first.
		CHECK(t.find_by_path(lpath).offset() == fdt_path_offset(blob, lpath));
		l += std::string(" byPath=") + node_str(blob, t.find_by_path(lpath));
		// libfdt's path rules: repeated and trailing slashes, "name" for "name@unit".
		std::string doubled = std::string("/") + lpath + "/";
		CHECK(t.find_by_path(doubled.c_str()) == t.find_by_path(lpath));
		std::string nounit = lpath;
		if (auto at = nounit.rfind('@'); at != std::string::npos && nounit.find('/', at) == std::string::npos) {
			nounit.resize(at);
			int lo = fdt_path_offset(blob, nounit.c_str());
			CHECK(node_str(blob, t.find_by_path(nounit.c_str())) ==
			      (lo >= 0 ? node_str(blob, of::Node(blob, lo)) : "-"));
			l += " nounit=" + node_str(blob, t.find_by_path(nounit.c_str()));
		}
		int lp = fdt_parent_offset(blob, off);
		CHECK(n.parent().offset() == (off == 0 ? -1 : lp));
		l += " parent=" + node_str(blob, n.parent());
		u32 ph = fdt_get_phandle(blob, off);
		auto nph = n.phandle();
		CHECK(nph.is_error() == (ph == 0 || ph == ~u32{0}));
		if (!nph.is_error())
			CHECK(nph.value() == ph);
		l += " ph=" + err_or(nph, hex(nph.is_error() ? 0 : nph.value()));
		l += std::string(" avail=") + (n.is_available() ? "1" : "0");
		l += std::string(" mem=") + (n.is_type("memory") ? "1" : "0");
		for (const std::string &c : compats) {
			bool lib = fdt_node_check_compatible(blob, off, c.c_str()) == 0;
			CHECK(n.is_compatible(c.c_str()) == lib);
			if (lib)
				l += " c:" + c;
		}
		for (const std::string &pn : props) {
			int plen2 = 0;
			const void *lv = fdt_getprop(blob, off, pn.c_str(), &plen2);
			auto v = n.property(pn.c_str());
			CHECK(v.is_error() == (lv == nullptr));
			if (lv) {
				CHECK(v.value().data() == lv);
				CHECK(v.value().size() == usize(plen2));
				l += " " + pn + "=" + prop_str(blob, v);
			}
		}
		auto cc = n.child_cells();
		l += " cells=" + err_or(cc, cc.is_error() ? "" : hex(cc.value().addr) + "/" + hex(cc.value().size));
		auto reg = n.reg();
		l += " reg=" + err_or(reg, "");
		if (!reg.is_error())
			for (usize k = 0; k < reg.value().size(); k++) {
				auto e = reg.value()[k];
				auto tr = n.reg_translated(k);
				l += hex(e.address) + "," + hex(e.size) + "->" +
				     err_or(tr, tr.is_error() ? "" : hex(tr.value().address)) + ";";
			}
		out.push_back(l);
	}

	for (const std::string &c : compats) {
		std::string l = "compatible " + c + ":";
		int lo = fdt_node_offset_by_compatible(blob, -1, c.c_str());
		for (of::Node n : t.compatible_nodes(c.c_str())) {
			CHECK(n.offset() == lo);
			lo = fdt_node_offset_by_compatible(blob, lo, c.c_str());
			l += " " + node_str(blob, n);
		}
		CHECK(lo < 0);
		// find_compatible from other nodes than the matches (every 7th: all of them would
		// make the fallback's whole-tree scans quadratic times the compatibles).
		for (usize k = 0; k < nodes.size(); k += 7) {
			of::Node from = nodes[k];
			int want = fdt_node_offset_by_compatible(blob, from.offset(), c.c_str());
			CHECK(t.find_compatible(c.c_str(), from).offset() == (want < 0 ? -1 : want));
		}
		out.push_back(l);
	}
	for (u32 ph : phandles) {
		int lo = ph == 0 || ph == ~u32{0} ? -1 : fdt_node_offset_by_phandle(blob, ph);
		of::Node n = t.find_by_phandle(ph);
		CHECK(n.offset() == (lo < 0 ? -1 : lo));
		out.push_back("phandle " + hex(ph) + " " + node_str(blob, n));
	}
	for (const std::string &a : aliases) {
		of::Node n = t.find_alias(a.c_str());
		out.push_back("alias " + a + " " + node_str(blob, n));
		const char *v = fdt_get_alias(blob, a.c_str());
		if (v && v[0] == '/')
			CHECK(n.offset() == fdt_path_offset(blob, v));
		std::string sub = a + "/nothing";
		out.push_back("alias " + sub + " " + node_str(blob, t.find_by_path(sub.c_str())));
	}
	out.push_back("chosen " + node_str(blob, t.chosen()));
	auto ba = t.bootargs();
	out.push_back("bootargs " + err_or(ba, ba.is_error() ? "" : ba.value()));
	auto sp = t.stdout_path();
	out.push_back("stdout " + err_or(sp, sp.is_error() ? "" : node_str(blob, sp.value().node) + " " + sp.value().options));
	auto rd = t.initrd();
	out.push_back("initrd " + err_or(rd, rd.is_error() ? "" : hex(rd.value().address) + "+" + hex(rd.value().size)));
	out.push_back("rng " + prop_str(blob, t.rng_seed()));
	out.push_back("dma " + hex(t.dma_max_cpu_address()));
	return out;
}

// A small tree that `evict` indexes in place of the tree under test.
struct Evictor {
	Blob b;
	Evictor()
	{
		FdtBuilder f;
		f.root();
		f.end();
		b = f.finish();
	}
	void evict() { REQUIRE(!of::DeviceTree::try_create(b.data(), b.size).is_error()); }
};

// The index and libfdt agree on blob, and the tree answers the same after losing its index.
void check_agreement(const Blob &blob, const char *what, Caller at = {})
{
	CALLED_FROM(at);
	std::string name = what;
	CAPTURE(name);
	of::DeviceTree t = of::DeviceTree::try_create(blob.data(), blob.size).value();
	REQUIRE(t.indexed());
	host_take_log();
	std::vector<std::string> indexed = answers(t);
	std::string log_indexed = host_take_log();
	Evictor ev;
	ev.evict();
	REQUIRE(!t.indexed());
	std::vector<std::string> fallback = answers(t);
	CHECK(host_take_log() == log_indexed); // the same messages (bad cells, reg tails)
	REQUIRE(indexed.size() == fallback.size());
	for (usize i = 0; i < indexed.size(); i++)
		CHECK(indexed[i] == fallback[i]);
}

bool load_file(const char *path, Blob &out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	std::vector<u8> v;
	u8 buf[4096];
	usize n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		v.insert(v.end(), buf, buf + n);
	fclose(f);
	out.resize(v.size());
	memcpy(out.data(), v.data(), v.size());
	return true;
}

// libfdt corner cases: NOPs among properties and nodes, a property after a child (invisible
// to fdt_getprop), duplicate properties (the first wins), a 2-byte phandle with a good
// linux,phandle, a list whose last string has no NUL, sibling names that differ only in the
// unit address, aliases to missing and relative paths.
Blob quirky_tree()
{
	FdtBuilder b;
	b.root(1, 1);
	b.begin("aliases").str("a", "/bus@100/dev").str("b", "/bus@100/dev@2/leaf").str("r", "bus@100").str("m", "/missing").end();
	b.begin("chosen").str("bootargs", "x").str("stdout-path", "a:9600").end();
	b.begin("bus@100").u32p("#address-cells", 1).u32p("#size-cells", 1).cells("ranges", {0, 0x100, 0x1000});
	b.str("compatible", "simple-bus").str("compatible", "second,ignored");
	b.begin("dev@1").prop("compatible", "v,a\0v,b", 7).cells("reg", {1, 2}).prop("phandle", "\0\1", 2).u32p("linux,phandle", 9).end();
	b.begin("dev@2").str("compatible", "v,b").cells("reg", {2, 2, 8}).u32p("phandle", 5).u32p("phandle", 6);
	b.begin("leaf").str("status", "disabled").str("compatible", "v,leaf").end();
	b.str("late", "after a child").end();
	b.begin("dev").str("compatible", "v,a").str("status", "ok").end();
	b.end();
	b.begin("memory@0").str("device_type", "memory").cells("reg", {0, 0x1000}).end();
	b.begin("dma").cells("dma-ranges", {0, 0x1000, 0x100}).end();
	b.end();
	Blob t = b.finish();
	// NOP out one property of dev@1 and a whole node, leaving NOP tags for every walk.
	Blob o = dttest::open_into(t, 0);
	int d1 = fdt_path_offset(o.data(), "/bus@100/dev@1");
	REQUIRE(d1 >= 0);
	REQUIRE(fdt_nop_property(o.data(), d1, "reg") == 0);
	int mem = fdt_path_offset(o.data(), "/memory@0");
	REQUIRE(mem >= 0);
	REQUIRE(fdt_nop_node(o.data(), mem) == 0);
	return o;
}

} // namespace

TEST_CASE("of index: lookups agree with libfdt and with the fallback on every fixture")
{
	const char *fixtures[] = {"virt-128m", "virt-1g", "virt-4g", "virt-16g", "virt-numa", "virt-el2",
				  "rpi3b", "rpi4b-1g", "rpi4b-2g", "rpi4b-4g", "rpi4b-8g"};
	int seen = 0;
	for (const char *f : fixtures) {
		Blob b;
		if (!dttest::load_fixture(f, b)) {
			MESSAGE("fixture ", f, " absent: skipped");
			continue;
		}
		check_agreement(b, f);
		seen++;
	}
	CHECK(seen >= 6);
	// Linux's own Pi DTBs (about 250 nodes), when tools/setup.sh fetched them.
	for (const char *f : {"build/deps/linux-dtbs/bcm2711-rpi-4-b.dtb", "build/deps/linux-dtbs/bcm2837-rpi-3-b.dtb"}) {
		Blob b;
		if (!load_file(f, b)) {
			MESSAGE(f, " absent: skipped");
			continue;
		}
		check_agreement(b, f);
	}
}

TEST_CASE("of index: libfdt corner cases")
{
	Blob q = quirky_tree();
	check_agreement(q, "quirky");
	of::DeviceTree t = of::DeviceTree::try_create(q.data(), q.size).value();
	REQUIRE(t.indexed());
	// Spot checks of what libfdt decides, so a change in both paths cannot go unnoticed.
	CHECK(t.find_by_phandle(9).name() == std::string("dev@1"));
	CHECK(t.find_by_phandle(5).name() == std::string("dev@2"));
	CHECK(!t.find_by_phandle(6).valid());
	CHECK(t.find_by_path("/bus@100").read_string("compatible").value() == std::string("simple-bus"));
	CHECK(t.find_by_path("/bus@100/dev@2").property("late").error().code() == Errno::ENOENT);
	CHECK(t.find_by_path("/bus@100/dev@1").is_compatible("v,b")); // unterminated last string
	CHECK(t.find_by_path("/bus@100/dev").name() == std::string("dev@1")); // "dev" matches "dev@1" first
	CHECK(t.find_alias("a").name() == std::string("dev@1"));
	CHECK(t.find_by_path("/bus@100/dev@2/leaf").translate_address(0).is_error());
	CHECK(!t.find_alias("r").valid());
	CHECK(!t.find_alias("m").valid());
	CHECK(!t.find_by_path("/memory@0").valid());
	CHECK(std::string(t.stdout_path().value().options) == "9600");
}

TEST_CASE("of index: too many nodes falls back to libfdt with the same answers")
{
	for (usize n : {of::OF_INDEX_MAX_NODES - 1, of::OF_INDEX_MAX_NODES}) {
		CAPTURE(n);
		// n - 1 children of the root plus the root: exactly n nodes, then one more.
		for (usize total : {n, n + 1}) {
			FdtBuilder b(1 << 20);
			b.root(1, 1);
			for (usize i = 1; i < total; i++) {
				char name[32];
				snprintf(name, sizeof(name), "n@%zx", i);
				b.begin(name).str("compatible", i % 2 ? "odd" : "even").u32p("phandle", u32(i)).cells("reg", {u32(i), 1});
				b.end();
			}
			b.end();
			Blob t = b.finish();
			of::DeviceTree tree = of::DeviceTree::try_create(t.data(), t.size).value();
			CHECK(tree.indexed() == (total <= of::OF_INDEX_MAX_NODES));
			of::Node last = tree.find_by_phandle(u32(total - 1));
			REQUIRE(last.valid());
			char path[64];
			REQUIRE(!last.path(path, sizeof(path)).is_error());
			char want[64];
			snprintf(want, sizeof(want), "/n@%zx", total - 1);
			CHECK(std::string(path) == want);
			CHECK(tree.find_by_path(want) == last);
			CHECK(last.parent() == tree.root());
			usize odd = 0;
			for (of::Node x : tree.compatible_nodes("odd"))
				odd += x.is_compatible("odd");
			CHECK(odd == total / 2);
			CHECK(last.reg_translated(0).value() == of::RegEntry{total - 1, 1});
		}
	}
}

TEST_CASE("of index: stale trees, edited blobs and raw Nodes use libfdt")
{
	Blob v;
	REQUIRE(dttest::load_fixture("virt-1g", v));
	Blob a = dttest::open_into(v);
	of::DeviceTree ta = of::DeviceTree::try_create(a.data(), a.size).value();
	REQUIRE(ta.indexed());
	of::Node uart = ta.find_compatible("arm,pl011");
	REQUIRE(uart.valid());

	// A newer tree takes the index; Nodes of the older one keep answering through libfdt.
	Evictor ev;
	ev.evict();
	CHECK(!ta.indexed());
	CHECK(std::string(uart.name()) == "pl011@9000000");
	CHECK(uart.parent() == ta.root());
	CHECK(uart.reg_translated(0).value() == of::RegEntry{0x9000000, 0x1000});
	CHECK(ta.find_compatible("arm,pl011") == uart);

	// A failed try_create unpublishes the index too (the walk may have overwritten it).
	of::DeviceTree ta2 = of::DeviceTree::try_create(a.data(), a.size).value();
	REQUIRE(ta2.indexed());
	Blob bad = ev.b;
	fdt_set_magic(bad.data(), 0x12345678);
	host_take_log();
	CHECK(of::DeviceTree::try_create(bad.data(), bad.size).is_error());
	CHECK(!ta2.indexed());
	CHECK(ta2.find_compatible("arm,pl011") == uart);

	// fdt_validate alone never touches the index.
	of::DeviceTree ta3 = of::DeviceTree::try_create(a.data(), a.size).value();
	CHECK(!of::fdt_validate(ev.b.data(), ev.b.size).is_error());
	CHECK(ta3.indexed());

	// Editing the blob changes its block sizes: the index is not used for the stale layout.
	int chosen = fdt_path_offset(a.data(), "/chosen");
	REQUIRE(fdt_setprop_string(a.data(), chosen, "bootargs", "edited after indexing") == 0);
	CHECK(!ta3.indexed());
	CHECK(std::string(ta3.bootargs().value()) == "edited after indexing");
	CHECK(std::string(ta3.find_compatible("arm,pl011").name()) == "pl011@9000000");
	// Validating again indexes the edited blob.
	of::DeviceTree ta4 = of::DeviceTree::try_create(a.data(), a.size).value();
	CHECK(ta4.indexed());
	CHECK(std::string(ta4.bootargs().value()) == "edited after indexing");

	// A Node made from a bare offset is never matched against the index.
	of::Node raw(a.data(), ta4.find_compatible("arm,pl011").offset());
	CHECK(std::string(raw.name()) == "pl011@9000000");
	CHECK(raw.parent() == ta4.root());
	CHECK(ta4.find_compatible("arm,pl011", raw) == ta4.find_compatible("arm,pl011", ta4.find_compatible("arm,pl011")));
}

TEST_CASE("of index: malformed blobs are still rejected by try_create, with the message")
{
	host_take_log();
	Blob deep = dttest::nested_blob(of::FDT_MAX_DEPTH + 1);
	CHECK(of::DeviceTree::try_create(deep.data(), deep.size).is_error());
	CHECK(host_take_log().find("DTB: nodes nested deeper than 64 levels") != std::string::npos);

	// Exactly FDT_MAX_DEPTH levels below the root is accepted and indexed.
	FdtBuilder ok;
	ok.root();
	for (int i = 0; i < of::FDT_MAX_DEPTH; i++)
		ok.begin("n");
	for (int i = 0; i < of::FDT_MAX_DEPTH; i++)
		ok.end();
	ok.end();
	Blob okb = ok.finish();
	auto t = of::DeviceTree::try_create(okb.data(), okb.size);
	REQUIRE(!t.is_error());
	CHECK(t.value().indexed());
	std::string p;
	for (int i = 0; i < of::FDT_MAX_DEPTH; i++)
		p += "/n";
	of::Node leaf = t.value().find_by_path(p.c_str());
	REQUIRE(leaf.valid());
	char buf[256];
	REQUIRE(!leaf.path(buf, sizeof(buf)).is_error());
	CHECK(std::string(buf) == p);

	// A structure fdt_check_full rejects never reaches the index walk.
	Blob broken = okb;
	u8 *st = broken.bytes() + fdt_off_dt_struct(broken.data());
	st[3] = 7; // the root's FDT_BEGIN_NODE becomes an unknown tag
	CHECK(of::DeviceTree::try_create(broken.data(), broken.size).is_error());
	CHECK(host_take_log().find("DTB: structure check failed") != std::string::npos);
}
