// The kernel's string routines (lib/string_impl.h, exported by lib/string.cpp) against libc,
// at every alignment and overlap that matters; number parsing (lib/parse.cpp); errno_name.
// Project headers first: kstd/result.h names its Errno enumerators ENOMEM, EINVAL, ..., which
// the host's <errno.h> (pulled in by standard headers) defines as macros. For the same reason
// the tests below name errors by number and check them through errno_name().
#include "kstd/result.h"
#include "lib/parse.h"
#include "lib/string_impl.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace si = kstd::strimpl;

namespace {

constexpr size_t GUARD = 64;
constexpr u8 GUARD_BYTE = 0xa5;

// A heap buffer with guard zones on both sides: an access outside [data, data + size) is an
// ASan error, a stray write inside the slack shows up in guards_intact().
struct Buffer {
	std::vector<u8> raw;
	size_t size;
	explicit Buffer(size_t n) : raw(n + 2 * GUARD, GUARD_BYTE), size(n) {}
	u8 *data() { return raw.data() + GUARD; }
	bool guards_intact() const
	{
		for (size_t i = 0; i < GUARD; i++)
			if (raw[i] != GUARD_BYTE || raw[GUARD + size + i] != GUARD_BYTE)
				return false;
		return true;
	}
};

void fill_pattern(u8 *p, size_t n, u32 seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = static_cast<u8>((i * 131 + seed * 7 + 1) ^ (i >> 8));
}

const size_t LENGTHS[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 257, 1000, 4097};

int sign(int v) { return (v > 0) - (v < 0); }

} // namespace

TEST_CASE("string: memcpy at every source/destination alignment")
{
	for (size_t len : LENGTHS)
		for (size_t so = 0; so < 16; so++)
			for (size_t doff = 0; doff < 16; doff++) {
				Buffer src(len + 16), dst(len + 16), ref(len + 16);
				fill_pattern(src.data(), len + 16, static_cast<u32>(len + so));
				memset(dst.data(), 0xcc, len + 16);
				memset(ref.data(), 0xcc, len + 16);
				void *r = si::mem_copy(dst.data() + doff, src.data() + so, len);
				memcpy(ref.data() + doff, src.data() + so, len);
				REQUIRE(r == dst.data() + doff);
				REQUIRE_MESSAGE(memcmp(dst.data(), ref.data(), len + 16) == 0,
						"len " << len << " src+" << so << " dst+" << doff);
				REQUIRE(dst.guards_intact());
			}
}

TEST_CASE("string: memmove with every overlap in both directions")
{
	for (size_t len : {0, 1, 5, 8, 13, 16, 31, 32, 33, 64, 100, 257, 1000})
		for (long shift = -40; shift <= 40; shift++)
			for (size_t base = 0; base < 8; base++) {
				size_t total = len + 100;
				Buffer buf(total), ref(total);
				fill_pattern(buf.data(), total, static_cast<u32>(len));
				fill_pattern(ref.data(), total, static_cast<u32>(len));
				size_t src = 45 + base;
				size_t dst = static_cast<size_t>(static_cast<long>(src) + shift);
				void *r = si::mem_move(buf.data() + dst, buf.data() + src, len);
				memmove(ref.data() + dst, ref.data() + src, len);
				REQUIRE(r == buf.data() + dst);
				REQUIRE_MESSAGE(memcmp(buf.data(), ref.data(), total) == 0,
						"len " << len << " shift " << shift << " base " << base);
				REQUIRE(buf.guards_intact());
			}
}

TEST_CASE("string: memset at every alignment, any int value")
{
	for (size_t len : LENGTHS)
		for (size_t off = 0; off < 16; off++)
			for (int c : {0, 0x5a, 0xff, -1, 0x1ab, -128}) {
				Buffer buf(len + 16), ref(len + 16);
				fill_pattern(buf.data(), len + 16, 3);
				fill_pattern(ref.data(), len + 16, 3);
				REQUIRE(si::mem_set(buf.data() + off, c, len) == buf.data() + off);
				memset(ref.data() + off, c, len);
				REQUIRE_MESSAGE(memcmp(buf.data(), ref.data(), len + 16) == 0, "len " << len << " off " << off << " c " << c);
				REQUIRE(buf.guards_intact());
			}
}

TEST_CASE("string: memcmp finds the first difference with the right sign")
{
	for (size_t len : {0, 1, 7, 8, 9, 16, 33, 100})
		for (size_t ao = 0; ao < 8; ao++)
			for (size_t bo = 0; bo < 8; bo++) {
				Buffer a(len + 8), b(len + 8);
				fill_pattern(a.data() + ao, len, 9);
				fill_pattern(b.data() + bo, len, 9);
				REQUIRE(si::mem_cmp(a.data() + ao, b.data() + bo, len) == 0);
				for (size_t pos = 0; pos < len; pos++) {
					u8 saved = b.data()[bo + pos];
					for (u8 v : {u8(saved + 1), u8(saved - 1), u8(0x80), u8(0x7f)}) {
						if (v == saved)
							continue;
						b.data()[bo + pos] = v;
						int ours = si::mem_cmp(a.data() + ao, b.data() + bo, len);
						int theirs = memcmp(a.data() + ao, b.data() + bo, len);
						REQUIRE_MESSAGE(sign(ours) == sign(theirs), "len " << len << " pos " << pos);
						// A difference past n is invisible.
						REQUIRE(si::mem_cmp(a.data() + ao, b.data() + bo, pos) == 0);
					}
					b.data()[bo + pos] = saved;
				}
			}
}

TEST_CASE("string: memchr at every position, alignment and limit")
{
	for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 40, 100})
		for (size_t off = 0; off < 8; off++) {
			Buffer buf(len + 8);
			u8 *p = buf.data() + off;
			memset(p, 'x', len);
			REQUIRE(si::mem_chr(p, 'y', len) == nullptr);
			for (size_t pos = 0; pos < len; pos++) {
				p[pos] = 0xfe;
				REQUIRE(si::mem_chr(p, 0xfe, len) == p + pos);
				REQUIRE(si::mem_chr(p, 0x1fe, len) == p + pos); // c is converted to unsigned char
				REQUIRE(si::mem_chr(p, -2, len) == p + pos);
				REQUIRE(si::mem_chr(p, 0xfe, pos) == nullptr);	// beyond n
				REQUIRE(si::mem_chr(p, 0xfe, pos + 1) == p + pos);
				p[pos] = 'x';
			}
		}
}

TEST_CASE("string: strlen and strnlen at every alignment and length")
{
	for (size_t len = 0; len < 70; len++)
		for (size_t off = 0; off < 8; off++) {
			// Exactly sized heap block: the terminator is the last byte.
			std::vector<char> v(off + len + 1, 'a');
			v[off + len] = '\0';
			const char *s = v.data() + off;
			REQUIRE(si::str_len(s) == len);
			REQUIRE(si::str_nlen(s, ~size_t{0}) == len);
			for (size_t max : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, len, len + 1, len / 2})
				REQUIRE_MESSAGE(si::str_nlen(s, max) == std::min(len, max), "len " << len << " off " << off << " max " << max);
		}
	// High-bit bytes must not look like terminators.
	const char hi[] = "\x80\xff\x81\x01\xfe\x7f\x80\x80\x80\x80";
	CHECK(si::str_len(hi) == strlen(hi));
	// strnlen must not read past max when there is no terminator at all.
	std::vector<char> unterminated(13, 'z');
	CHECK(si::str_nlen(unterminated.data(), unterminated.size()) == unterminated.size());
}

TEST_CASE("string: strcmp/strncmp compare as unsigned char")
{
	const char *words[] = {"", "a", "b", "ab", "abc", "abd", "abcd", "\x80", "\xff", "a\x80", "a\x7f", "ABC", "abc "};
	for (const char *a : words)
		for (const char *b : words) {
			CHECK_MESSAGE(sign(si::str_cmp(a, b)) == sign(strcmp(a, b)), '"' << a << "\" vs \"" << b << '"');
			for (size_t n = 0; n < 6; n++)
				CHECK(sign(si::str_ncmp(a, b, n)) == sign(strncmp(a, b, n)));
		}
}

TEST_CASE("string: strchr and strrchr, including the terminator")
{
	const char *s = "hello, world";
	for (int c : {int{'h'}, int{'l'}, int{'o'}, int{'d'}, int{','}, int{'z'}, 0, 'l' + 256})
	{
		CHECK(si::str_chr(s, c) == strchr(s, c));
		CHECK(si::str_rchr(s, c) == strrchr(s, c));
	}
	const char *empty = "";
	CHECK(si::str_chr(empty, 0) == empty);
	CHECK(si::str_rchr(empty, 'a') == nullptr);
}

TEST_CASE("string: strtoull matches libc, end pointers included")
{
	const char *inputs[] = {"0",      "123",	   "  42abc",	  "\t\n+17",    "-1",	   "-0x10",     "0x1F",
				"0X1f",   "0x",		   "0xg",	  "077",	"08",	   "0b101",     "z",
				"",	  "   ",	   "+",		  "-",		"+-5",	   "18446744073709551615",
				"18446744073709551616", "99999999999999999999999", "-18446744073709551615",
				"0xffffffffffffffff",	"0x10000000000000000", "1777777777777777777777", "2000000000000000000000",
				"zz",	  "ZZ",		   "1a2b3c"};
	for (const char *in : inputs)
		for (int base : {0, 2, 8, 10, 16, 36}) {
			char *e1 = nullptr, *e2 = nullptr;
			unsigned long long ours = si::str_toull(in, &e1, base);
			unsigned long long theirs = strtoull(in, &e2, base);
			CHECK_MESSAGE(ours == theirs, '"' << in << "\" base " << base);
			CHECK_MESSAGE(e1 == e2, '"' << in << "\" base " << base << ": end +" << (e1 - in) << " vs +" << (e2 - in));
		}
	char *e = nullptr;
	const char *in = "123";
	CHECK(si::str_toull(in, &e, 1) == 0);
	CHECK(e == in);
	CHECK(si::str_toull(in, &e, 37) == 0);
	CHECK(si::str_toull(in, &e, -3) == 0);
	CHECK(si::str_toull("55", nullptr, 10) == 55);
}

TEST_CASE("parse: parse_u64 success, no digits and overflow")
{
	struct Case {
		const char *in;
		unsigned base;
		bool ok;
		u64 value;
		size_t end;
	};
	const Case cases[] = {
		{"0", 0, true, 0, 1},
		{"12345", 10, true, 12345, 5},
		{"12345xyz", 0, true, 12345, 5},
		{"0x1000", 0, true, 0x1000, 6},
		{"0X1000", 16, true, 0x1000, 6},
		{"1000", 16, true, 0x1000, 4},
		{"0x", 0, true, 0, 1},
		{"0xq", 16, true, 0, 1},
		{"017", 0, true, 15, 3},
		{"019", 0, true, 1, 2},
		{"101", 2, true, 5, 3},
		{"zz", 36, true, 35 * 36 + 35, 2},
		{"18446744073709551615", 10, true, ~u64{0}, 20},
		{"0xffffffffffffffff", 0, true, ~u64{0}, 18},
		{"18446744073709551616", 10, false, ~u64{0}, 20},
		{"0x10000000000000000", 0, false, ~u64{0}, 19},
		{"99999999999999999999999,", 10, false, ~u64{0}, 23},
		{"", 10, false, 0, 0},
		{"x", 0, false, 0, 0},
		{" 1", 10, false, 0, 0},
		{"-1", 10, false, 0, 0},
		{"+1", 10, false, 0, 0},
		{"9", 8, false, 0, 0},
		{"1", 1, false, 0, 0},
		{"1", 37, false, 0, 0},
	};
	for (const Case &c : cases) {
		const char *end = nullptr;
		u64 v = 12345678;
		bool ok = kstd::parse_u64(c.in, &end, c.base, &v);
		CHECK_MESSAGE(ok == c.ok, '"' << c.in << "\" base " << c.base);
		CHECK_MESSAGE(v == c.value, '"' << c.in << "\" base " << c.base);
		CHECK_MESSAGE(end == c.in + c.end, '"' << c.in << "\" base " << c.base);
	}
	u64 v;
	CHECK(kstd::parse_u64("77", nullptr, 8, &v));
	CHECK(v == 63);
}

TEST_CASE("parse: memparse and parse_memsize with K/M/G/T/P/E suffixes")
{
	struct Case {
		const char *in;
		bool ok;
		u64 value;
		size_t end;
	};
	const Case cases[] = {
		{"4096", true, 4096, 4},
		{"4K", true, 4 * SZ_1K, 2},
		{"4k", true, 4 * SZ_1K, 2},
		{"512M", true, 512 * SZ_1M, 4},
		{"1G", true, SZ_1G, 2},
		{"2g@0x40000000", true, 2 * SZ_1G, 2},
		{"3T", true, u64{3} << 40, 2},
		{"1P", true, u64{1} << 50, 2},
		{"1E", true, u64{1} << 60, 2},
		{"15E", true, u64{15} << 60, 3},
		{"0x10M", true, 16 * SZ_1M, 5},
		{"010K", true, 8 * SZ_1K, 4},
		{"1Q", true, 1, 1},
		{"0", true, 0, 1},
		{"16E", false, ~u64{0}, 3},
		{"17179869184G", false, ~u64{0}, 12}, // 2^34 GiB = 2^64
		{"17179869183G", true, (u64{17179869183} << 30), 12},
		{"99999999999999999999K", false, ~u64{0}, 20},
		{"K", false, 0, 0},
		{"", false, 0, 0},
		{"-1G", false, 0, 0},
	};
	for (const Case &c : cases) {
		const char *end = nullptr;
		u64 v = 777;
		bool ok = kstd::parse_memsize(c.in, &end, &v);
		CHECK_MESSAGE(ok == c.ok, '"' << c.in << '"');
		CHECK_MESSAGE(v == c.value, '"' << c.in << '"');
		CHECK_MESSAGE(end == c.in + c.end, '"' << c.in << '"');
		const char *end2 = nullptr;
		CHECK(kstd::memparse(c.in, &end2) == c.value);
		CHECK(end2 == end);
	}
	CHECK(kstd::memparse("64M", nullptr) == 64 * SZ_1M);
}

TEST_CASE("parse: kstrtou64 needs the whole string")
{
	auto ok = [](const char *s, unsigned base, u64 want) {
		auto r = kstd::kstrtou64(s, base);
		REQUIRE_MESSAGE(!r.is_error(), '"' << s << '"');
		CHECK(r.value() == want);
	};
	auto fails = [](const char *s, unsigned base, const char *errname) {
		auto r = kstd::kstrtou64(s, base);
		REQUIRE_MESSAGE(r.is_error(), '"' << s << '"');
		CHECK_MESSAGE(std::string(r.error().name()) == errname, '"' << s << '"');
	};
	ok("123", 10, 123);
	ok("+123", 10, 123);
	ok("123\n", 10, 123);
	ok("0x1f", 0, 31);
	ok("0x1f", 16, 31);
	ok("1f", 16, 31);
	ok("010", 0, 8);
	ok("18446744073709551615", 10, ~u64{0});
	fails("", 10, "EINVAL");
	fails("\n", 10, "EINVAL");
	fails("12a", 10, "EINVAL");
	fails("12\n\n", 10, "EINVAL");
	fails(" 12", 10, "EINVAL");
	fails("-1", 10, "EINVAL");
	fails("++1", 10, "EINVAL");
	fails("12", 1, "EINVAL");
	fails("12", 40, "EINVAL");
	fails("18446744073709551616", 10, "ERANGE");
	fails("0x1ffffffffffffffff\n", 0, "ERANGE");
	fails("99999999999999999999x", 10, "EINVAL");
}

TEST_CASE("errno_name: Linux names for every Errno, E? otherwise")
{
	auto name = [](int v) { return std::string(errno_name(static_cast<Errno>(v))); };
	CHECK(name(12) == "ENOMEM");
	CHECK(name(22) == "EINVAL");
	CHECK(name(1) == "EPERM");
	CHECK(name(95) == "ENOTSUP");
	CHECK(name(75) == "EOVERFLOW");
	CHECK(name(34) == "ERANGE");
	CHECK(name(0) == "OK");
	CHECK(name(999) == "E?");
	CHECK(name(-12) == "E?");
	CHECK(name(6) == "ENXIO");
	CHECK(name(110) == "ETIMEDOUT");
	CHECK(name(26) == "E?"); // ETXTBSY: not an Errno
	CHECK(std::string(Error(static_cast<Errno>(16)).name()) == "EBUSY");
	// Names are unique and every known one starts with E (or is OK).
	std::vector<std::string> seen;
	for (int i = 0; i <= 200; i++) {
		std::string n = name(i);
		if (n == "E?")
			continue;
		CHECK((n[0] == 'E' || n == "OK"));
		CHECK(std::find(seen.begin(), seen.end(), n) == seen.end());
		seen.push_back(n);
	}
	CHECK(seen.size() >= 31); // OK and the 30 errors kstd/result.h had when this was written
}

TEST_CASE("parse: kstrtobool takes Linux's spellings and nothing else")
{
	for (const char *s : {"1", "y", "Y", "yes", "t", "true", "on", "ON", "On"}) {
		auto r = kstd::kstrtobool(s);
		REQUIRE_MESSAGE(!r.is_error(), '"' << s << '"');
		CHECK_MESSAGE(r.value() == true, '"' << s << '"');
	}
	for (const char *s : {"0", "n", "N", "no", "f", "false", "off", "OFF", "of"}) {
		auto r = kstd::kstrtobool(s);
		REQUIRE_MESSAGE(!r.is_error(), '"' << s << '"');
		CHECK_MESSAGE(r.value() == false, '"' << s << '"');
	}
	for (const char *s : {"", "o", "maybe", "2", "-1", " y", "enable"})
		CHECK_MESSAGE(kstd::kstrtobool(s).is_error(), '"' << s << '"');
	CHECK(kstd::kstrtobool(nullptr).is_error());
}
