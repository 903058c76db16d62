// The formatter behind printk and every snprintf in the kernel. Single pass over the format
// string; output goes through Sink, which counts every character but stores only what fits, so
// truncation and the C return value come out of the same code path.
#include "lib/format.h"

namespace kstd {

namespace {

// Written once at boot by the symbol-table code, read by every %pS: an atomic pointer keeps
// a printk on another CPU from seeing a torn value.
SymbolizeFn symbolizer;

// Large enough for a demangled-length C++ symbol plus "+0x.../0x..."; longer names are cut by
// the symbolizer, not overrun.
constexpr size_t SYMBOL_BUF = 192;

enum : unsigned {
	FLAG_LEFT = 1u << 0,  // '-'
	FLAG_ZERO = 1u << 1,  // '0'
	FLAG_PLUS = 1u << 2,  // '+'
	FLAG_SPACE = 1u << 3, // ' '
	FLAG_ALT = 1u << 4,   // '#'
};

enum class Length { None, HH, H, L, LL, Z, T, J };

struct Spec {
	unsigned flags = 0;
	size_t width = 0;
	int precision = -1; // -1: none given
	Length length = Length::None;
};

// Width and precision beyond this are certainly format bugs; capping keeps the arithmetic
// below in range without changing any output a real caller asks for.
constexpr size_t MAX_FIELD = 1u << 24;

class Sink {
public:
	Sink(char *buf, size_t size) : buf_(buf), size_(size) {}

	void put(char c)
	{
		if (pos_ + 1 < size_)
			buf_[pos_] = c;
		pos_++;
	}
	void fill(char c, size_t n)
	{
		size_t w = room() < n ? room() : n;
		for (size_t i = 0; i < w; i++)
			buf_[pos_ + i] = c;
		pos_ += n;
	}
	void write(const char *s, size_t n)
	{
		size_t w = room() < n ? room() : n;
		for (size_t i = 0; i < w; i++)
			buf_[pos_ + i] = s[i];
		pos_ += n;
	}
	void finish()
	{
		if (size_)
			buf_[pos_ < size_ ? pos_ : size_ - 1] = '\0';
	}
	size_t pos() const { return pos_; }

private:
	// Bytes still storable, keeping one for the terminating NUL.
	size_t room() const { return pos_ + 1 < size_ ? size_ - 1 - pos_ : 0; }

	char *buf_;
	size_t size_;
	size_t pos_ = 0;
};

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Pointers the printer must not dereference: NULL, the rest of the first page (a NULL
// struct's member) and the top 4095 addresses (Linux's ERR_PTR range).
const char *bad_pointer_marker(const void *p)
{
	uptr v = reinterpret_cast<uptr>(p);
	if (v == 0)
		return "(null)";
	if (v < 4096 || v > ~uptr{0} - 4095)
		return "(efault)";
	return nullptr;
}

// A string field: precision already applied by the caller (len), width pads with spaces.
void emit_padded(Sink &out, const char *s, size_t len, const Spec &spec)
{
	size_t pad = spec.width > len ? spec.width - len : 0;
	if (!(spec.flags & FLAG_LEFT))
		out.fill(' ', pad);
	out.write(s, len);
	if (spec.flags & FLAG_LEFT)
		out.fill(' ', pad);
}

void emit_string(Sink &out, const char *s, const Spec &spec)
{
	size_t max = spec.precision < 0 ? ~size_t{0} : static_cast<size_t>(spec.precision);
	size_t len = 0;
	while (len < max && s[len])
		len++;
	emit_padded(out, s, len, spec);
}

// sign is '-', '+', ' ' or 0. Implements C's rules: precision is the minimum digit count
// (precision 0 and value 0 give no digits), '0' pads after sign/prefix only when no precision
// is given, '#' forces a leading 0 for octal. '#' with hex is Linux's (lib/vsprintf.c number()),
// not C's: the 0x/0X prefix is always there and at least one digit follows, so `%#018llx` of 0
// is 0x0000000000000000 (C prints 18 zeros) and `%#x` of 0 is 0x0 (C: 0).
void emit_number(Sink &out, u64 value, char sign, unsigned base, bool upper, const Spec &spec)
{
	static const char lower_digits[] = "0123456789abcdef";
	static const char upper_digits[] = "0123456789ABCDEF";
	const char *set = upper ? upper_digits : lower_digits;

	char digits[24]; // 22 octal digits cover 64 bits
	size_t nd = 0;
	bool hex_prefix = base == 16 && (spec.flags & FLAG_ALT);
	if (!(value == 0 && spec.precision == 0) || hex_prefix) {
		u64 v = value;
		switch (base) {
		case 16:
			do {
				digits[nd++] = set[v & 15];
				v >>= 4;
			} while (v);
			break;
		case 8:
			do {
				digits[nd++] = set[v & 7];
				v >>= 3;
			} while (v);
			break;
		default:
			do {
				digits[nd++] = set[v % 10];
				v /= 10;
			} while (v);
			break;
		}
	}

	size_t prec = spec.precision < 0 ? 0 : static_cast<size_t>(spec.precision);
	size_t zeros = prec > nd ? prec - nd : 0;
	if (base == 8 && (spec.flags & FLAG_ALT) && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
		zeros = 1;

	char prefix[3];
	size_t np = 0;
	if (sign)
		prefix[np++] = sign;
	if (hex_prefix) {
		prefix[np++] = '0';
		prefix[np++] = upper ? 'X' : 'x';
	}

	size_t len = np + zeros + nd;
	size_t pad = spec.width > len ? spec.width - len : 0;
	if (!(spec.flags & FLAG_LEFT)) {
		if ((spec.flags & FLAG_ZERO) && spec.precision < 0)
			zeros += pad;
		else
			out.fill(' ', pad);
		pad = 0;
	}
	out.write(prefix, np);
	out.fill('0', zeros);
	while (nd)
		out.put(digits[--nd]);
	out.fill(' ', pad);
}

// 0x followed by exactly 16 hex digits: one column width for every kernel address.
void emit_hex64(Sink &out, u64 v, const Spec &spec)
{
	char s[18];
	s[0] = '0';
	s[1] = 'x';
	for (int i = 17; i >= 2; i--) {
		s[i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
	emit_padded(out, s, sizeof(s), spec);
}

i64 fetch_signed(va_list *ap, Length len)
{
	switch (len) {
	case Length::HH:
		return static_cast<signed char>(va_arg(*ap, int));
	case Length::H:
		return static_cast<short>(va_arg(*ap, int));
	case Length::L:
		return va_arg(*ap, long);
	case Length::LL:
		return va_arg(*ap, long long);
	case Length::Z: // the signed type corresponding to size_t
	case Length::T:
		return va_arg(*ap, ptrdiff_t);
	case Length::J:
		return va_arg(*ap, intmax_t);
	case Length::None:
		break;
	}
	return va_arg(*ap, int);
}

u64 fetch_unsigned(va_list *ap, Length len)
{
	switch (len) {
	case Length::HH:
		return static_cast<unsigned char>(va_arg(*ap, unsigned int));
	case Length::H:
		return static_cast<unsigned short>(va_arg(*ap, unsigned int));
	case Length::L:
		return va_arg(*ap, unsigned long);
	case Length::LL:
		return va_arg(*ap, unsigned long long);
	case Length::Z:
		return va_arg(*ap, size_t);
	case Length::T: // the unsigned type corresponding to ptrdiff_t
		return static_cast<u64>(va_arg(*ap, ptrdiff_t));
	case Length::J:
		return va_arg(*ap, uintmax_t);
	case Length::None:
		break;
	}
	return va_arg(*ap, unsigned int);
}

// %p and its extensions. *pp points just past the 'p'; on return it points past the
// extension letters, which (as in Linux) are every alphanumeric character that follows.
void emit_pointer(Sink &out, const char **pp, const void *ptr, const Spec &spec)
{
	const char *p = *pp;
	Spec field = spec;
	field.flags &= FLAG_LEFT; // only '-' and the width make sense for a fixed-form address
	field.precision = -1;
	uptr addr = reinterpret_cast<uptr>(ptr);

	switch (*p) {
	case 'S':
	case 's': {
		SymbolizeFn fn = __atomic_load_n(&symbolizer, __ATOMIC_ACQUIRE);
		char sym[SYMBOL_BUF];
		if (fn && fn(addr, sym, sizeof(sym), *p == 'S')) {
			sym[sizeof(sym) - 1] = '\0';
			Spec s = spec;
			s.flags &= FLAG_LEFT;
			emit_string(out, sym, s);
		} else {
			emit_hex64(out, addr, field);
		}
		break;
	}
	case 'a':
		if (const char *marker = bad_pointer_marker(ptr))
			emit_string(out, marker, field);
		else
			emit_hex64(out, *static_cast<const phys_addr_t *>(ptr), field);
		break;
	default: // plain %p, %px, %pK and extensions this kernel does not implement
		emit_hex64(out, addr, field);
		break;
	}
	while (is_alnum(*p))
		p++;
	*pp = p;
}

// Parses a decimal field width or precision, saturating at MAX_FIELD.
size_t parse_field(const char **pp)
{
	const char *p = *pp;
	size_t v = 0;
	while (is_digit(*p)) {
		v = v * 10 + static_cast<size_t>(*p - '0');
		if (v > MAX_FIELD)
			v = MAX_FIELD;
		p++;
	}
	*pp = p;
	return v;
}

} // namespace

void set_symbolizer(SymbolizeFn fn) { __atomic_store_n(&symbolizer, fn, __ATOMIC_RELEASE); }

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	Sink out(buf, size);
	// A local copy so that helpers can take va_list* portably (on x86-64 a va_list parameter
	// is an array that decays to a pointer; on AArch64 it is a struct passed by value).
	va_list args;
	va_copy(args, ap);

	const char *p = fmt;
	while (*p) {
		if (*p != '%') {
			const char *q = p;
			while (*q && *q != '%')
				q++;
			out.write(p, static_cast<size_t>(q - p));
			p = q;
			continue;
		}
		const char *start = p++;
		Spec spec;

		for (;; p++) {
			if (*p == '-')
				spec.flags |= FLAG_LEFT;
			else if (*p == '0')
				spec.flags |= FLAG_ZERO;
			else if (*p == '+')
				spec.flags |= FLAG_PLUS;
			else if (*p == ' ')
				spec.flags |= FLAG_SPACE;
			else if (*p == '#')
				spec.flags |= FLAG_ALT;
			else
				break;
		}

		if (*p == '*') {
			int w = va_arg(args, int);
			if (w < 0)
				spec.flags |= FLAG_LEFT;
			// Through unsigned so that -INT_MIN is not an overflow.
			size_t mag = w < 0 ? 0u - static_cast<unsigned>(w) : static_cast<unsigned>(w);
			spec.width = mag > MAX_FIELD ? MAX_FIELD : mag;
			p++;
		} else {
			spec.width = parse_field(&p);
		}

		if (*p == '.') {
			p++;
			if (*p == '*') {
				int pr = va_arg(args, int);
				spec.precision = pr < 0 ? -1 : (pr > int(MAX_FIELD) ? int(MAX_FIELD) : pr);
				p++;
			} else {
				spec.precision = static_cast<int>(parse_field(&p));
			}
		}

		switch (*p) {
		case 'h':
			if (p[1] == 'h') {
				spec.length = Length::HH;
				p++;
			} else {
				spec.length = Length::H;
			}
			p++;
			break;
		case 'l':
			if (p[1] == 'l') {
				spec.length = Length::LL;
				p++;
			} else {
				spec.length = Length::L;
			}
			p++;
			break;
		case 'z':
			spec.length = Length::Z;
			p++;
			break;
		case 't':
			spec.length = Length::T;
			p++;
			break;
		case 'j':
			spec.length = Length::J;
			p++;
			break;
		default:
			break;
		}

		const char conv = *p;
		const bool plain = spec.length == Length::None;
		switch (conv) {
		case 'd':
		case 'i': {
			i64 v = fetch_signed(&args, spec.length);
			char sign = 0;
			if (v < 0)
				sign = '-';
			else if (spec.flags & FLAG_PLUS)
				sign = '+';
			else if (spec.flags & FLAG_SPACE)
				sign = ' ';
			u64 mag = v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
			emit_number(out, mag, sign, 10, false, spec);
			p++;
			continue;
		}
		case 'u':
			emit_number(out, fetch_unsigned(&args, spec.length), 0, 10, false, spec);
			p++;
			continue;
		case 'o':
			emit_number(out, fetch_unsigned(&args, spec.length), 0, 8, false, spec);
			p++;
			continue;
		case 'x':
		case 'X':
			emit_number(out, fetch_unsigned(&args, spec.length), 0, 16, conv == 'X', spec);
			p++;
			continue;
		case 'c':
			if (!plain)
				break;
			{
				char c = static_cast<char>(va_arg(args, int));
				emit_padded(out, &c, 1, spec);
			}
			p++;
			continue;
		case 's':
			if (!plain)
				break;
			{
				const char *s = va_arg(args, const char *);
				if (const char *marker = bad_pointer_marker(s))
					s = marker;
				emit_string(out, s, spec);
			}
			p++;
			continue;
		case 'p':
			if (!plain)
				break;
			p++;
			emit_pointer(out, &p, va_arg(args, const void *), spec);
			continue;
		case '%':
			out.put('%');
			p++;
			continue;
		default:
			break;
		}

		// Unknown or unsupported conversion (or a '%' ending the string): show the rest of
		// the format as written rather than guessing which argument goes where.
		const char *end = start;
		while (*end)
			end++;
		out.write(start, static_cast<size_t>(end - start));
		break;
	}

	va_end(args);
	out.finish();
	return out.pos() > 0x7fffffff ? 0x7fffffff : static_cast<int>(out.pos());
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	if (size == 0)
		return 0;
	if (static_cast<size_t>(n) < size)
		return n;
	return static_cast<int>(size - 1 > 0x7fffffff ? 0x7fffffff : size - 1);
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vscnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

} // namespace kstd
