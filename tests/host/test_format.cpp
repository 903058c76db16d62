// kstd::vsnprintf against the C library's snprintf for the C conversions (except '#' with hex,
// which is Linux's), and against the documented Linux behaviour for the kernel extensions
// (%pS, %pa, "(null)", scnprintf).
#include <doctest/doctest.h>

#include <climits>
#include <cctype>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lib/format.h"

namespace {

// Hides deliberately bad formats from the compiler's -Wformat checks.
const char *unchecked(const char *fmt) { return fmt; }

// Linux's '#' with hex (lib/vsprintf.c number()): "0x" always, then at least one digit, even
// for 0, where C prints neither. Width, '-', '0' and precision keep their C meaning. Returns
// the expected text of a one-conversion format "[%<flags><width><.prec><length>x]" for 0.
std::string linux_alt_hex_zero(const std::string &fmt)
{
	size_t i = fmt.find('%') + 1;
	bool left = false, zero = false;
	for (; strchr("-0+ #", fmt[i]); i++) {
		left |= fmt[i] == '-';
		zero |= fmt[i] == '0';
	}
	size_t width = 0;
	for (; isdigit(static_cast<unsigned char>(fmt[i])); i++)
		width = width * 10 + (fmt[i] - '0');
	long prec = -1;
	if (fmt[i] == '.') {
		prec = 0;
		for (i++; isdigit(static_cast<unsigned char>(fmt[i])); i++)
			prec = prec * 10 + (fmt[i] - '0');
	}
	while (strchr("hlzjt", fmt[i]))
		i++;
	std::string x = fmt[i] == 'X' ? "0X" : "0x";
	std::string digits(prec > 1 ? prec : 1, '0');
	size_t len = x.size() + digits.size(), pad = width > len ? width - len : 0;
	std::string body;
	if (left)
		body = x + digits + std::string(pad, ' ');
	else if (zero && prec < 0)
		body = x + std::string(pad, '0') + digits;
	else
		body = std::string(pad, ' ') + x + digits;
	return fmt.substr(0, fmt.find('%')) + body + fmt.substr(i + 1);
}

// Whether the one conversion in fmt sees 0 once its length modifier has cut the value
// (%hhx of 0x100 is 0).
template <typename T> bool is_zero_after_length(const std::string &fmt, T value)
{
	size_t end = fmt.size() - 2, start = end;
	while (start > 0 && strchr("hlzjt", fmt[start - 1]))
		start--;
	std::string plain = "%" + fmt.substr(start, end - start) + "x";
	char buf[64];
	::snprintf(buf, sizeof(buf), plain.c_str(), value);
	return strcmp(buf, "0") == 0;
}

// Formats with both implementations; returns a description of the first difference or "".
// The reference is libc, except for '#' hex of 0, where the kernel prints as Linux does.
template <typename T> std::string compare_one(const std::string &fmt, T value)
{
	char ours[512], theirs[512];
	memset(ours, 0x5a, sizeof(ours));
	int a = kstd::snprintf(ours, sizeof(ours), fmt.c_str(), value);
	int b = ::snprintf(theirs, sizeof(theirs), fmt.c_str(), value);
	char conv = fmt.size() >= 2 ? fmt[fmt.size() - 2] : 0;
	if (fmt.find('#') != std::string::npos && (conv == 'x' || conv == 'X') && is_zero_after_length(fmt, value)) {
		std::string want = linux_alt_hex_zero(fmt);
		snprintf(theirs, sizeof(theirs), "%s", want.c_str());
		b = static_cast<int>(want.size());
	}
	if (a == b && strcmp(ours, theirs) == 0)
		return "";
	return "fmt \"" + fmt + "\": kstd " + std::to_string(a) + " \"" + ours + "\", libc " + std::to_string(b) + " \"" +
	       theirs + "\"";
}

struct Mismatches {
	size_t checked = 0;
	std::vector<std::string> first;
	size_t count = 0;
	void add(const std::string &m)
	{
		checked++;
		if (m.empty())
			return;
		count++;
		if (first.size() < 20)
			first.push_back(m);
	}
	void report()
	{
		for (const auto &m : first)
			MESSAGE(m);
		CHECK_MESSAGE(count == 0, count << " of " << checked << " formats differ from libc");
	}
};

const char *const FLAG_CHARS = "-0+ #";
const char *const WIDTHS[] = {"", "1", "6", "25"};
const char *const PRECISIONS[] = {"", ".", ".0", ".1", ".7", ".25"};

// Every combination of flags, width and precision for each conversion in convs.
template <typename T> void sweep(Mismatches &mm, const char *length, const char *convs, const std::vector<T> &values)
{
	for (unsigned mask = 0; mask < 32; mask++) {
		std::string flags;
		for (unsigned i = 0; i < 5; i++)
			if (mask & (1u << i))
				flags += FLAG_CHARS[i];
		for (const char *w : WIDTHS)
			for (const char *p : PRECISIONS)
				for (const char *c = convs; *c; c++) {
					std::string fmt = "[%" + flags + w + p + length + *c + "]";
					for (T v : values)
						mm.add(compare_one(fmt, v));
				}
	}
}

std::string fmt_ours(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string fmt_ours(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = kstd::vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	REQUIRE(n >= 0);
	REQUIRE(static_cast<size_t>(n) < sizeof(buf));
	REQUIRE(strlen(buf) == static_cast<size_t>(n));
	return buf;
}

int scn(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int scn(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kstd::vscnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

} // namespace

TEST_CASE("format: integer conversions match libc for all flag/width/precision combinations")
{
	Mismatches mm;
	sweep<int>(mm, "", "diuxXo", {0, 1, -1, 7, 42, -42, 255, 4096, 123456789, INT_MAX, INT_MIN});
	sweep<int>(mm, "hh", "diuxXo", {0, 1, -1, 127, -128, 200, 300, -129, 255});
	sweep<int>(mm, "h", "diuxXo", {0, -1, 32767, -32768, 40000, 65535, 70000});
	sweep<long>(mm, "l", "diuxXo", {0L, -1L, LONG_MAX, LONG_MIN, 1L << 40, -(1L << 33)});
	sweep<long long>(mm, "ll", "diuxXo", {0LL, 1LL, -1LL, LLONG_MAX, LLONG_MIN, 1000000000000LL});
	sweep<unsigned long long>(mm, "ll", "uxXo", {0ULL, ULLONG_MAX, 0x8000000000000000ULL, 0xdeadbeefcafef00dULL});
	sweep<size_t>(mm, "z", "uxXo", {size_t{0}, SIZE_MAX, size_t{4096}});
	sweep<ssize_t>(mm, "z", "di", {ssize_t{0}, ssize_t{-1}, ssize_t{PTRDIFF_MIN}, ssize_t{PTRDIFF_MAX}});
	sweep<ptrdiff_t>(mm, "t", "diuxo", {ptrdiff_t{0}, ptrdiff_t{-5}, PTRDIFF_MAX, PTRDIFF_MIN});
	sweep<intmax_t>(mm, "j", "di", {intmax_t{0}, INTMAX_MIN, INTMAX_MAX});
	sweep<uintmax_t>(mm, "j", "uxo", {uintmax_t{0}, UINTMAX_MAX});
	mm.report();
	CHECK(mm.checked > 100000);
}

TEST_CASE("format: '#' always adds 0x, as Linux's vsprintf")
{
	// Linux's memblock and ptdump lines: [mem 0x0000000000000000-0x000000003fffffff].
	CHECK(fmt_ours("[mem %#018llx-%#018llx]", 0ULL, 0x3fffffffULL) == "[mem 0x0000000000000000-0x000000003fffffff]");
	CHECK(fmt_ours("%#llx", 0ULL) == "0x0");
	CHECK(fmt_ours("%#x", 0u) == "0x0");
	CHECK(fmt_ours("%#.0x", 0u) == "0x0");
	CHECK(fmt_ours("%#X", 0u) == "0X0");
	CHECK(fmt_ours("%#6x|%#-6x|%#06x", 0u, 0u, 0u) == "   0x0|0x0   |0x0000");
	CHECK(fmt_ours("%#.4x", 0u) == "0x0000");
	// An int passed for %hhx on purpose: the length modifier truncates it to 0 first.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
	CHECK(fmt_ours("%#hhx", 0x100) == "0x0");
#pragma clang diagnostic pop
	// Non-zero values and octal are unchanged from C.
	CHECK(fmt_ours("%#x %#o %#o", 0x1fu, 8u, 0u) == "0x1f 010 0");
	CHECK(fmt_ours("%#018llx", 0x40000000ULL) == "0x0000000040000000");
}

TEST_CASE("format: %c and %s match libc")
{
	Mismatches mm;
	for (const char *f : {"%c", "%5c", "%-5c", "%1c", "[%-3c]"})
		for (int c : {int{'a'}, int{'Z'}, int{' '}, 0x7f, 0x141 /* converted to unsigned char */})
			mm.add(compare_one(f, c));
	for (const char *f : {"%s", "%10s", "%-10s", "%.3s", "%.0s", "%.20s", "%10.2s", "%-10.2s", "%1s", "[%s]"})
		for (const char *s : {"", "a", "hello", "hello, world", "exactly10!"})
			mm.add(compare_one(f, s));
	mm.report();
}

TEST_CASE("format: * width and precision, including negative values")
{
	char ours[128], theirs[128];
	struct Case {
		const char *fmt;
		int w, p;
	};
	for (Case c : {Case{"[%*.*d]", 8, 3}, {"[%*.*d]", -8, 3}, {"[%*.*d]", 8, -1}, {"[%*.*d]", 0, 0}, {"[%-*.*d]", 5, 2},
		       {"[%0*.*d]", 7, -3}, {"[%*.*x]", -12, 6}, {"[%0*.*d]", 9, 2}}) {
		int a = kstd::snprintf(ours, sizeof(ours), c.fmt, c.w, c.p, -42);
		int b = ::snprintf(theirs, sizeof(theirs), c.fmt, c.w, c.p, -42);
		CHECK_MESSAGE(std::string(ours) == theirs, c.fmt << " w=" << c.w << " p=" << c.p);
		CHECK(a == b);
	}
	for (int w : {-7, -1, 0, 3, 9}) {
		int a = kstd::snprintf(ours, sizeof(ours), "[%*s|%.*s]", w, "ab", w, "abcdef");
		int b = ::snprintf(theirs, sizeof(theirs), "[%*s|%.*s]", w, "ab", w, "abcdef");
		CHECK(std::string(ours) == theirs);
		CHECK(a == b);
	}
	// INT_MIN as a * width must not overflow when negated.
	CHECK(kstd::snprintf(nullptr, 0, "%*d", INT_MIN, 1) == static_cast<int>(1u << 24));
}

TEST_CASE("format: several conversions in one format consume arguments in order")
{
	char ours[256], theirs[256];
	const char *f = "a=%d b=%lu c=%s d=%c e=%#llx f=%05hd g=%-4zu|%% h=%+.3i";
	int a = kstd::snprintf(ours, sizeof(ours), f, -5, 99ul, "str", 'q', 0xabcULL, (short)-7, (size_t)3, 8);
	int b = ::snprintf(theirs, sizeof(theirs), f, -5, 99ul, "str", 'q', 0xabcULL, (short)-7, (size_t)3, 8);
	CHECK(std::string(ours) == theirs);
	CHECK(a == b);
	CHECK(fmt_ours("plain text, no conversions") == "plain text, no conversions");
	CHECK(fmt_ours("%%") == "%");
	CHECK(fmt_ours("100%% sure") == "100% sure");
	CHECK(fmt_ours("%s", "") == "");
}

TEST_CASE("format: randomized formats match libc (fixed seed)")
{
	std::mt19937_64 rng(0x5eed1234);
	const char *lengths[] = {"", "hh", "h", "l", "ll", "z", "t", "j"};
	const char *convs = "diuoxX";
	Mismatches mm;
	for (int iter = 0; iter < 20000; iter++) {
		std::string fmt = "<%";
		for (int i = 0; i < 5; i++)
			if (rng() & 1)
				fmt += FLAG_CHARS[rng() % 5];
		if (rng() % 3)
			fmt += std::to_string(rng() % 30);
		if (rng() % 2)
			fmt += "." + std::to_string(rng() % 30);
		fmt += lengths[rng() % 8];
		fmt += convs[rng() % 6];
		fmt += ">";
		// Every length modifier's argument fits a 64-bit slot on LP64; pass the matching type
		// (variadic promotion makes int the argument for hh and h).
		u64 v = rng();
		switch (rng() % 4) {
		case 0:
			v &= 0xff;
			break;
		case 1:
			v &= 0xffff;
			break;
		case 2:
			v = static_cast<u64>(static_cast<i64>(static_cast<int>(v)));
			break;
		default:
			break;
		}
		std::string len = fmt.substr(0, fmt.size() - 2);
		bool is64 = len.find('l') != std::string::npos || len.find('z') != std::string::npos ||
			    len.find('t') != std::string::npos || len.find('j') != std::string::npos;
		if (is64)
			mm.add(compare_one(fmt, static_cast<long long>(v)));
		else
			mm.add(compare_one(fmt, static_cast<int>(v)));
	}
	mm.report();
}

TEST_CASE("format: truncation keeps C semantics for every buffer size")
{
	const char *f = "pid %d: %s at %#010x%-6c|";
	char full[128];
	int len = ::snprintf(full, sizeof(full), f, -1234, "truncate me", 0xbeef, 'z');
	REQUIRE(len > 0);
	for (size_t size = 0; size <= static_cast<size_t>(len) + 3; size++) {
		char buf[160];
		memset(buf, 0x7e, sizeof(buf));
		int n = kstd::snprintf(size ? buf : nullptr, size, f, -1234, "truncate me", 0xbeef, 'z');
		CHECK(n == len);
		if (size == 0) {
			CHECK(static_cast<unsigned char>(buf[0]) == 0x7e);
			continue;
		}
		size_t stored = std::min(size - 1, static_cast<size_t>(len));
		CHECK(memcmp(buf, full, stored) == 0);
		CHECK(buf[stored] == '\0');
		for (size_t i = size; i < sizeof(buf); i++)
			REQUIRE_MESSAGE(static_cast<unsigned char>(buf[i]) == 0x7e, "wrote past size " << size << " at " << i);
	}
}

TEST_CASE("format: huge width into a small buffer is counted, not written")
{
	char buf[16];
	memset(buf, 0x7e, sizeof(buf));
	CHECK(kstd::snprintf(buf, 8, "%1000000d", 5) == 1000000);
	CHECK(std::string(buf) == "       ");
	CHECK(buf[8] == 0x7e);
	CHECK(kstd::snprintf(buf, sizeof(buf), "%.100000d", 5) == 100000);
	CHECK(std::string(buf) == "000000000000000");
}

TEST_CASE("format: scnprintf returns what was stored")
{
	char buf[16];
	CHECK(kstd::scnprintf(buf, sizeof(buf), "%s", "abc") == 3);
	CHECK(std::string(buf) == "abc");
	CHECK(kstd::scnprintf(buf, sizeof(buf), "%s", "0123456789abcdefXYZ") == 15);
	CHECK(std::string(buf) == "0123456789abcde");
	CHECK(kstd::scnprintf(buf, 1, "%d", 12345) == 0);
	CHECK(buf[0] == '\0');
	CHECK(kstd::scnprintf(nullptr, 0, "%d", 12345) == 0);
	CHECK(scn(buf, 4, "%x", 0xabcdef) == 3);
	CHECK(std::string(buf) == "abc");

	// The append idiom scnprintf exists for: never runs past the end, however much is added.
	char out[20];
	size_t len = 0;
	for (int i = 0; i < 10; i++)
		len += kstd::scnprintf(out + len, sizeof(out) - len, "%d,", i * 111);
	CHECK(len == sizeof(out) - 1);
	CHECK(std::string(out) == "0,111,222,333,444,5");
}

TEST_CASE("format: %s with NULL and bad pointers (Linux semantics)")
{
	CHECK(fmt_ours("%s", static_cast<char *>(nullptr)) == "(null)");
	CHECK(fmt_ours("[%8s]", static_cast<char *>(nullptr)) == "[  (null)]");
	CHECK(fmt_ours("%.3s", static_cast<char *>(nullptr)) == "(nu");
	CHECK(fmt_ours("%s", reinterpret_cast<char *>(16)) == "(efault)");
	CHECK(fmt_ours("%s", reinterpret_cast<char *>(4095)) == "(efault)");
	CHECK(fmt_ours("%s", reinterpret_cast<char *>(-12L)) == "(efault)"); // ERR_PTR(-ENOMEM)
	CHECK(fmt_ours("%s", reinterpret_cast<char *>(-4095L)) == "(efault)");
}

TEST_CASE("format: %p prints the raw address with 16 hex digits")
{
	void *p = reinterpret_cast<void *>(0xffff800010001234ul);
	CHECK(fmt_ours("%p", p) == "0xffff800010001234");
	CHECK(fmt_ours("%p", static_cast<void *>(nullptr)) == "0x0000000000000000");
	CHECK(fmt_ours("%p", reinterpret_cast<void *>(0x1000)) == "0x0000000000001000");
	CHECK(fmt_ours("[%20p]", reinterpret_cast<void *>(0xab)) == "[  0x00000000000000ab]");
	CHECK(fmt_ours("[%-20p]", reinterpret_cast<void *>(0xab)) == "[0x00000000000000ab  ]");
	CHECK(fmt_ours(unchecked("[%020p]"), reinterpret_cast<void *>(0xab)) == "[  0x00000000000000ab]");
	// %px and %pK are plain %p here; extension letters are swallowed as in Linux.
	CHECK(fmt_ours("%px|%pK", reinterpret_cast<void *>(1), reinterpret_cast<void *>(2)) ==
	      "0x0000000000000001|0x0000000000000002");
	CHECK(fmt_ours("%p, %p.", reinterpret_cast<void *>(1), reinterpret_cast<void *>(2)) ==
	      "0x0000000000000001, 0x0000000000000002.");
	CHECK(fmt_ours("%p%d", reinterpret_cast<void *>(3), 7) == "0x00000000000000037");
}

namespace {
// A fake symbol table: one function "do_thing" at [0x4000, 0x4080).
bool fake_symbolize(unsigned long addr, char *buf, size_t size, bool with_offset)
{
	if (addr < 0x4000 || addr >= 0x4080)
		return false;
	if (with_offset)
		kstd::snprintf(buf, size, "do_thing+%#lx/%#lx", addr - 0x4000, 0x80ul);
	else
		kstd::snprintf(buf, size, "do_thing");
	return true;
}

struct SymbolizerScope {
	explicit SymbolizerScope(kstd::SymbolizeFn fn) { kstd::set_symbolizer(fn); }
	~SymbolizerScope() { kstd::set_symbolizer(nullptr); }
};
} // namespace

TEST_CASE("format: %pS and %ps go through the symbolizer hook")
{
	void *in = reinterpret_cast<void *>(0x401c);
	void *out = reinterpret_cast<void *>(0x9000);

	// No hook yet: raw addresses.
	CHECK(fmt_ours("%pS", in) == "0x000000000000401c");

	SymbolizerScope scope(fake_symbolize);
	CHECK(fmt_ours("%pS", in) == "do_thing+0x1c/0x80");
	CHECK(fmt_ours("%ps", in) == "do_thing");
	// Linux prints the offset with "%#lx" too: dump_backtrace+0x0/0x1e0.
	CHECK(fmt_ours("%pS", reinterpret_cast<void *>(0x4000)) == "do_thing+0x0/0x80");
	CHECK(fmt_ours("%pS", out) == "0x0000000000009000");
	CHECK(fmt_ours("%ps", out) == "0x0000000000009000");
	CHECK(fmt_ours("[%-12ps]", in) == "[do_thing    ]");
	CHECK(fmt_ours("[%12ps]", in) == "[    do_thing]");
	CHECK(fmt_ours("at %pS, called from %pS\n", in, out) == "at do_thing+0x1c/0x80, called from 0x0000000000009000\n");
	// %pB is not implemented: it falls back to the raw address and swallows the 'B'.
	CHECK(fmt_ours("%pB!", in) == "0x000000000000401c!");
}

TEST_CASE("format: %pa prints a phys_addr_t by reference")
{
	phys_addr_t pa = 0x40000000;
	CHECK(fmt_ours("%pa", &pa) == "0x0000000040000000");
	CHECK(fmt_ours("%pap..%pad", &pa, &pa) == "0x0000000040000000..0x0000000040000000");
	phys_addr_t top = ~phys_addr_t{0};
	CHECK(fmt_ours("[%pa]", &top) == "[0xffffffffffffffff]");
	CHECK(fmt_ours("%pa", static_cast<phys_addr_t *>(nullptr)) == "(null)");
}

TEST_CASE("format: unknown conversions stop formatting and show the rest verbatim")
{
	CHECK(fmt_ours(unchecked("a=%d %f b=%d"), 1, 2) == "a=1 %f b=%d");
	CHECK(fmt_ours(unchecked("%lc|%ls"), 'x', "y") == "%lc|%ls");
	CHECK(fmt_ours(unchecked("%n"), 0) == "%n");
	CHECK(fmt_ours(unchecked("trailing %"), 0) == "trailing %");
	CHECK(fmt_ours(unchecked("trailing %-5"), 0) == "trailing %-5");
	CHECK(fmt_ours(unchecked("%ll"), 0) == "%ll");
}
