// Device-tree test helpers shared by test_of*.cpp and test_dt_memory*.cpp: a builder over
// libfdt's sequential-write API (so hostile blobs are made by the same library the kernel
// reads them with), fixture loading, and header patching.
#pragma once

#include <doctest/doctest.h>
#include <libfdt.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "kstd/types.h"

namespace dttest {

// A blob in 8-byte-aligned storage (the DT layer requires Linux's alignment).
struct Blob {
	std::vector<u64> words;
	usize size = 0;
	void resize(usize n)
	{
		words.assign((n + 7) / 8, 0);
		size = n;
	}
	void *data() { return words.data(); }
	const void *data() const { return words.data(); }
	u8 *bytes() { return reinterpret_cast<u8 *>(words.data()); }
};

class FdtBuilder {
public:
	explicit FdtBuilder(usize cap = 64 * 1024)
	{
		b_.resize(cap);
		REQUIRE(fdt_create(b_.data(), int(cap)) == 0);
	}
	FdtBuilder &rsv(u64 addr, u64 size)
	{
		REQUIRE(!rsv_done_);
		REQUIRE(fdt_add_reservemap_entry(b_.data(), addr, size) == 0);
		return *this;
	}
	FdtBuilder &begin(const char *name)
	{
		finish_rsv();
		REQUIRE(fdt_begin_node(b_.data(), name) == 0);
		return *this;
	}
	FdtBuilder &end()
	{
		REQUIRE(fdt_end_node(b_.data()) == 0);
		return *this;
	}
	FdtBuilder &prop(const char *name, const void *v, usize len)
	{
		REQUIRE(fdt_property(b_.data(), name, v, int(len)) == 0);
		return *this;
	}
	FdtBuilder &empty(const char *name) { return prop(name, nullptr, 0); }
	FdtBuilder &str(const char *name, const char *s) { return prop(name, s, strlen(s) + 1); }
	FdtBuilder &u32p(const char *name, u32 v) { return cells(name, {v}); }
	FdtBuilder &cells(const char *name, std::initializer_list<u32> c)
	{
		std::vector<u8> v;
		for (u32 x : c) {
			v.push_back(u8(x >> 24));
			v.push_back(u8(x >> 16));
			v.push_back(u8(x >> 8));
			v.push_back(u8(x));
		}
		return prop(name, v.data(), v.size());
	}
	FdtBuilder &cellv(const char *name, const std::vector<u32> &c)
	{
		std::vector<u8> v;
		for (u32 x : c) {
			v.push_back(u8(x >> 24));
			v.push_back(u8(x >> 16));
			v.push_back(u8(x >> 8));
			v.push_back(u8(x));
		}
		return prop(name, v.data(), v.size());
	}
	// Root node header: cells, then the caller adds children and calls end() + finish().
	FdtBuilder &root(u32 acells = 2, u32 scells = 2)
	{
		begin("");
		u32p("#address-cells", acells);
		u32p("#size-cells", scells);
		return *this;
	}
	// A memory node with 2/2 cells entries.
	FdtBuilder &memory(const char *name, std::initializer_list<std::pair<u64, u64>> regs)
	{
		std::vector<u32> c;
		for (auto [a, s] : regs) {
			c.push_back(u32(a >> 32));
			c.push_back(u32(a));
			c.push_back(u32(s >> 32));
			c.push_back(u32(s));
		}
		begin(name);
		str("device_type", "memory");
		cellv("reg", c);
		return end();
	}
	Blob finish()
	{
		finish_rsv();
		REQUIRE(fdt_finish(b_.data()) == 0);
		Blob out;
		out.resize(fdt_totalsize(b_.data()));
		memcpy(out.data(), b_.data(), out.size);
		return out;
	}

private:
	void finish_rsv()
	{
		if (!rsv_done_) {
			REQUIRE(fdt_finish_reservemap(b_.data()) == 0);
			rsv_done_ = true;
		}
	}
	Blob b_;
	bool rsv_done_ = false;
};

// 2/2-cell encoding of (addr, size) pairs for reg-like properties.
inline std::vector<u32> regs22(std::initializer_list<std::pair<u64, u64>> regs)
{
	std::vector<u32> c;
	for (auto [a, s] : regs) {
		c.push_back(u32(a >> 32));
		c.push_back(u32(a));
		c.push_back(u32(s >> 32));
		c.push_back(u32(s));
	}
	return c;
}

// A tree whose nodes nest `depth` levels below the root (validation limits depth).
inline Blob nested_blob(int depth)
{
	FdtBuilder b;
	b.root();
	for (int i = 0; i < depth; i++)
		b.begin("n");
	for (int i = 0; i < depth; i++)
		b.end();
	b.end();
	return b.finish();
}

inline const char *fixture_dir() { return "build/fixtures"; }

// Reads build/fixtures/<name>.dtb; false when absent.
inline bool load_fixture(const char *name, Blob &out)
{
	std::string path = std::string(fixture_dir()) + "/" + name + ".dtb";
	std::ifstream f(path, std::ios::binary);
	if (!f)
		return false;
	std::vector<char> v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	out.resize(v.size());
	memcpy(out.data(), v.data(), v.size());
	return true;
}

// Copy with room to grow, for fdt_setprop-style edits of an existing blob.
inline Blob open_into(const Blob &in, usize extra = 64 * 1024)
{
	Blob out;
	out.resize(in.size + extra);
	REQUIRE(fdt_open_into(in.data(), out.data(), int(out.size)) == 0);
	return out;
}

} // namespace dttest
