// lib/cpio: newc archives written by Debian's cpio at test time (every entry's name, mode and
// bytes compared with the files it was made from), archives written here field by field, and
// hostile ones: every field corrupted, every truncation, seeded random corruption. Buffers are
// exact-size heap copies so ASan reports any read past the end.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "lib/cpio.h"
#include "tests/host/support/host_support.h"

namespace {

using Bytes = std::vector<u8>;

struct Rec {
	std::string name;
	u32 mode = cpio::S_IFREG | 0755;
	std::string data;
	u32 ino = 0, nlink = 1;
};

std::string hex8(u32 v)
{
	char b[9];
	snprintf(b, sizeof(b), "%08X", v);
	return b;
}

// newc writer, independent of lib/cpio: header, name + NUL padded to 4, data padded to 4.
void put(Bytes &out, const Rec &r, const char *magic = "070701")
{
	u32 check = 0;
	if (strcmp(magic, "070702") == 0)
		for (unsigned char c : r.data)
			check += c;
	std::string h = magic;
	u32 f[13] = {r.ino, r.mode, 0, 0, r.nlink, 0, u32(r.data.size()), 0, 1, 0, 0, u32(r.name.size() + 1), check};
	for (u32 v : f)
		h += hex8(v);
	out.insert(out.end(), h.begin(), h.end());
	out.insert(out.end(), r.name.begin(), r.name.end());
	out.push_back(0);
	while (out.size() % 4)
		out.push_back(0);
	out.insert(out.end(), r.data.begin(), r.data.end());
	while (out.size() % 4)
		out.push_back(0);
}

Bytes archive(const std::vector<Rec> &recs, bool trailer = true)
{
	Bytes out;
	for (const Rec &r : recs)
		put(out, r);
	if (trailer)
		put(out, {"TRAILER!!!", 0, ""});
	return out;
}

kstd::span<const u8> sp(const Bytes &b) { return kstd::span<const u8>(b.data(), b.size()); }

std::string str(kstd::span<const u8> s) { return std::string(reinterpret_cast<const char *>(s.data()), s.size()); }

std::vector<std::string> names(const Bytes &b)
{
	std::vector<std::string> v;
	cpio::Reader r(sp(b));
	cpio::Entry e;
	for (;;) {
		auto n = r.next(e);
		REQUIRE(!n.is_error());
		if (!n.value())
			break;
		CHECK(strlen(e.name) == e.name_len);
		v.push_back(e.name);
	}
	return v;
}

} // namespace

TEST_CASE("cpio: entries, data spans, modes and find() with path normalisation")
{
	Bytes a = archive({
		{".", cpio::S_IFDIR | 0755, ""},
		{"init", cpio::S_IFREG | 0755, "#!init"},
		{"bin", cpio::S_IFDIR | 0755, ""},
		{"bin/a", cpio::S_IFREG | 0644, "a"},
		{"bin/bb", cpio::S_IFREG | 0644, "bb"},
		{"bin/ccc", cpio::S_IFREG | 0644, "ccc"},
		{"bin/dddd", cpio::S_IFREG | 0644, "dddd"},
		{"bin/link", cpio::S_IFLNK | 0777, "a"},
		{"empty", cpio::S_IFREG | 0644, ""},
	});
	CHECK(names(a) == std::vector<std::string>{".", "init", "bin", "bin/a", "bin/bb", "bin/ccc", "bin/dddd", "bin/link", "empty"});
	CHECK(!cpio::validate(sp(a)).is_error());

	for (const char *p : {"/init", "init", "./init", "//init", "././init", "init/"}) {
		CAPTURE(p);
		auto e = cpio::find(sp(a), p);
		REQUIRE(!e.is_error());
		CHECK(str(e.value().data) == "#!init");
		CHECK(e.value().is_reg());
		CHECK(e.value().mode == (cpio::S_IFREG | 0755));
		CHECK(e.value().data.data() >= a.data());
		CHECK(e.value().data.data() + e.value().data.size() <= a.data() + a.size());
	}
	CHECK(str(cpio::find(sp(a), "/bin//ccc").value().data) == "ccc");
	CHECK(str(cpio::find(sp(a), "bin/dddd").value().data) == "dddd");
	CHECK(cpio::find(sp(a), "/bin").value().is_dir());
	CHECK(cpio::find(sp(a), "/").value().is_dir()); // "." is the root
	CHECK(cpio::find(sp(a), "bin/link").value().is_symlink());
	CHECK(cpio::find(sp(a), "empty").value().data.size() == 0);
	CHECK(cpio::find(sp(a), "/ini").error().code() == Errno::ENOENT);
	CHECK(cpio::find(sp(a), "/init2").error().code() == Errno::ENOENT);
	CHECK(cpio::find(sp(a), "bin/a/x").error().code() == Errno::ENOENT);
	CHECK(cpio::find(sp(a), "bin/../init").error().code() == Errno::ENOENT);
	std::string longp(5000, 'x');
	CHECK(cpio::find(sp(a), longp.c_str()).error().code() == Errno::ENAMETOOLONG);

	char buf[16];
	CHECK(cpio::normalize_path("/./bin//x/", 10, buf, sizeof(buf)).value() == 5);
	CHECK(std::string(buf) == "bin/x");
	CHECK(cpio::normalize_path("./", 2, buf, sizeof(buf)).value() == 0);
	CHECK(cpio::normalize_path("abcdefghijklmnopq", 17, buf, sizeof(buf)).error().code() == Errno::ENAMETOOLONG);
	CHECK(host_take_log().empty());
}

TEST_CASE("cpio: last duplicate wins, hard links, concatenated archives, 070702 checksums")
{
	Bytes a = archive({{"x", cpio::S_IFREG | 0644, "old"}, {"x", cpio::S_IFREG | 0644, "new"}});
	CHECK(str(cpio::find(sp(a), "x").value().data) == "new");

	// newc stores hard-linked data once, with the last name.
	Bytes h = archive({{"l1", cpio::S_IFREG | 0644, "", 77, 2}, {"l2", cpio::S_IFREG | 0644, "shared", 77, 2}});
	CHECK(str(cpio::find(sp(h), "l1").value().data) == "shared");
	CHECK(str(cpio::find(sp(h), "l2").value().data) == "shared");

	// Two archives with NUL padding between them, as the boot loader may hand over.
	Bytes c = archive({{"first", cpio::S_IFREG | 0644, "1"}});
	c.insert(c.end(), 512, 0);
	Bytes second = archive({{"second", cpio::S_IFREG | 0644, "2"}});
	c.insert(c.end(), second.begin(), second.end());
	c.insert(c.end(), 100, 0);
	CHECK(names(c) == std::vector<std::string>{"first", "second"});
	CHECK(str(cpio::find(sp(c), "/second").value().data) == "2");

	Bytes k;
	put(k, {"sum", cpio::S_IFREG | 0644, "checksummed"}, "070702");
	put(k, {"TRAILER!!!", 0, ""}, "070702");
	CHECK(str(cpio::find(sp(k), "sum").value().data) == "checksummed");
	k[110 + 4 + 2] ^= 1; // one data byte
	host_take_log();
	CHECK(cpio::find(sp(k), "sum").error().code() == Errno::EINVAL);
	CHECK(host_take_log().find("checksum") != std::string::npos);
}

TEST_CASE("cpio: hostile archives are refused with a message naming the field")
{
	Bytes good = archive({{"init", cpio::S_IFREG | 0755, "hello"}});
	struct Case {
		const char *what;
		void (*mutate)(Bytes &);
		const char *msg;
	};
	const Case cases[] = {
		{"empty buffer", [](Bytes &b) { b.clear(); }, "empty archive"},
		{"bad magic", [](Bytes &b) { b[5] = '7'; }, "bad magic"},
		{"odc magic", [](Bytes &b) { memcpy(b.data(), "070707", 6); }, "bad magic"},
		{"non-hex ino", [](Bytes &b) { b[6] = 'g'; }, "c_ino"},
		{"space in mode", [](Bytes &b) { b[14] = ' '; }, "c_mode"},
		{"sign in filesize", [](Bytes &b) { b[54] = '-'; }, "c_filesize"},
		{"NUL in namesize", [](Bytes &b) { b[94 + 7] = 0; }, "c_namesize"},
		{"0x prefix in check", [](Bytes &b) { b[102] = '0'; b[103] = 'x'; }, "c_check"},
		{"namesize 0", [](Bytes &b) { memcpy(b.data() + 94, "00000000", 8); }, "c_namesize out of range"},
		{"namesize huge", [](Bytes &b) { memcpy(b.data() + 94, "FFFFFFFF", 8); }, "c_namesize out of range"},
		{"namesize 4097", [](Bytes &b) { memcpy(b.data() + 94, "00001001", 8); }, "c_namesize out of range"},
		{"name past end", [](Bytes &b) { memcpy(b.data() + 94, "00000FFF", 8); }, "name runs past"},
		{"name not terminated", [](Bytes &b) { memcpy(b.data() + 94, "00000004", 8); }, "NUL-terminated"},
		{"NUL inside name", [](Bytes &b) { b[111] = 0; }, "NUL-terminated"},
		{"filesize past end", [](Bytes &b) { memcpy(b.data() + 54, "00001000", 8); }, "c_filesize runs past"},
		{"filesize 4 GiB", [](Bytes &b) { memcpy(b.data() + 54, "FFFFFFFF", 8); }, "c_filesize runs past"},
		{"no trailer", [](Bytes &b) { b.resize(b.size() - 124); }, "without a TRAILER"},
		{"truncated header", [](Bytes &b) { b.resize(b.size() - 20); }, "truncated header"},
		{"garbage after trailer", [](Bytes &b) { b.insert(b.end(), 120, 'x'); }, "bad magic"},
		{"short garbage after trailer", [](Bytes &b) { b.insert(b.end(), 4, 'x'); }, "truncated header"},
		{"misaligned second archive", [](Bytes &b) { b.push_back(0); b.push_back(0); b.push_back('0'); }, "4-byte aligned"},
	};
	for (const Case &c : cases) {
		std::string what = c.what;
		CAPTURE(what);
		Bytes b = good;
		c.mutate(b);
		Bytes exact(b); // exact capacity is not guaranteed by copy; shrink for ASan
		exact.shrink_to_fit();
		host_take_log();
		auto r = cpio::validate(sp(exact));
		REQUIRE(r.is_error());
		CHECK(r.error().code() == Errno::EINVAL);
		std::string log = host_take_log();
		CHECK_MESSAGE(log.find(c.msg) != std::string::npos, log);
		CHECK(log.find("cpio: entry at offset ") == 0);
		// find() walks the same way and refuses as well (the bad entry may be the first).
		CHECK(cpio::find(sp(exact), "nonexistent").is_error());
		host_take_log();
	}
}

TEST_CASE("cpio: every truncation and random corruption is handled without stray reads")
{
	Bytes good = archive({{"a", cpio::S_IFREG | 0644, "0123456789"}, {"bb/c", cpio::S_IFREG | 0644, std::string(300, 'z')},
			      {"d", cpio::S_IFDIR | 0755, ""}});
	for (usize n = 0; n < good.size(); n++) {
		CAPTURE(n);
		u8 *p = new u8[n ? n : 1];
		memcpy(p, good.data(), n);
		CHECK(cpio::validate(kstd::span<const u8>(p, n)).is_error());
		delete[] p;
	}
	std::mt19937_64 rng(11);
	int ok = 0;
	for (int i = 0; i < 20000; i++) {
		Bytes b = good;
		int flips = 1 + int(rng() % 3);
		for (int k = 0; k < flips; k++)
			b[rng() % b.size()] = "0123456789abcdefF!\0 "[rng() % 21];
		u8 *p = new u8[b.size()];
		memcpy(p, b.data(), b.size());
		kstd::span<const u8> s(p, b.size());
		cpio::Reader r(s);
		cpio::Entry e;
		for (;;) {
			auto n = r.next(e);
			if (n.is_error() || !n.value())
				break;
			CHECK(e.data.data() >= p);
			CHECK(e.data.data() + e.data.size() <= p + b.size());
			CHECK(strlen(e.name) == e.name_len);
		}
		if (!cpio::validate(s).is_error())
			ok++;
		delete[] p;
	}
	CHECK(ok > 0);
	CHECK(ok < 20000);
	host_take_log();
}

TEST_CASE("cpio: archives written by Debian's cpio -o -H newc")
{
	if (system("cpio --version >/dev/null 2>&1") != 0) {
		MESSAGE("cpio not installed; skipped");
		return;
	}
	char t[] = "/tmp/cpio-test-XXXXXX";
	REQUIRE(mkdtemp(t));
	std::string d = t;
	std::map<std::string, std::string> files = {
		{"init", "init program"},
		{"bin/one", std::string(1, '1')},
		{"bin/three", "333"},
		{"bin/big", std::string(70000, 'b')},
		{"bench/mmbench", std::string(4097, '\x7f')},
		{"empty", ""},
	};
	REQUIRE(system(("mkdir -p " + d + "/root/bin " + d + "/root/bench").c_str()) == 0);
	for (const auto &kv : files) {
		FILE *f = fopen((d + "/root/" + kv.first).c_str(), "wb");
		REQUIRE(f);
		fwrite(kv.second.data(), 1, kv.second.size(), f);
		fclose(f);
	}
	REQUIRE(system(("ln " + d + "/root/bin/three " + d + "/root/bin/hardlink").c_str()) == 0);
	REQUIRE(system(("ln -s one " + d + "/root/bin/sym").c_str()) == 0);
	// Names as "./init", as "init", and absolute ("/tmp/.../root/init").
	const std::string styles[] = {"find .", "find . -mindepth 1 | sed 's|^\\./||'", "find " + d + "/root"};
	for (const std::string &style : styles) {
		CAPTURE(style);
		std::string cmd = "cd " + d + "/root && (" + style + ") | LC_ALL=C sort | cpio --quiet -o -H newc > " + d + "/a.cpio";
		REQUIRE(system(cmd.c_str()) == 0);
		FILE *f = fopen((d + "/a.cpio").c_str(), "rb");
		REQUIRE(f);
		Bytes a;
		int c;
		while ((c = fgetc(f)) != EOF)
			a.push_back(u8(c));
		fclose(f);
		REQUIRE(!cpio::validate(sp(a)).is_error());
		std::string prefix = style.rfind("find /", 0) == 0 ? d + "/root/" : "";
		for (const auto &kv : files) {
			CAPTURE(kv.first);
			auto e = cpio::find(sp(a), (prefix + kv.first).c_str());
			REQUIRE(!e.is_error());
			CHECK(e.value().is_reg());
			CHECK(str(e.value().data) == kv.second);
		}
		// GNU cpio stores the data of a hard-linked file with the last of its names.
		CHECK(str(cpio::find(sp(a), (prefix + "bin/hardlink").c_str()).value().data) == "333");
		CHECK(str(cpio::find(sp(a), (prefix + "bin/three").c_str()).value().data) == "333");
		auto s = cpio::find(sp(a), (prefix + "bin/sym").c_str());
		REQUIRE(!s.is_error());
		CHECK(s.value().is_symlink());
		CHECK(str(s.value().data) == "one");
		CHECK(cpio::find(sp(a), (prefix + "bin").c_str()).value().is_dir());
	}
	REQUIRE(system(("rm -rf " + d).c_str()) == 0);
	CHECK(host_take_log().empty());
}
