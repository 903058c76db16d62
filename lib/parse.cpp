#include "lib/parse.h"

namespace kstd {

int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

namespace {

// Value of c as a digit in radixes up to 36, or 36 for "not a digit".
constexpr unsigned digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return static_cast<unsigned>(c - '0');
	if (c >= 'a' && c <= 'z')
		return static_cast<unsigned>(c - 'a') + 10;
	if (c >= 'A' && c <= 'Z')
		return static_cast<unsigned>(c - 'A') + 10;
	return 36;
}

constexpr bool is_hex_prefix(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16;
}

} // namespace

bool parse_u64(const char *s, const char **end, unsigned base, u64 *out)
{
	const char *p = s;
	if (base == 0) {
		if (is_hex_prefix(p)) {
			base = 16;
			p += 2;
		} else {
			base = p[0] == '0' ? 8 : 10;
		}
	} else if (base == 16 && is_hex_prefix(p)) {
		p += 2;
	}

	if (base < 2 || base > 36 || digit_value(*p) >= base) {
		if (end)
			*end = s;
		*out = 0;
		return false;
	}

	u64 v = 0;
	bool overflow = false;
	for (unsigned d; (d = digit_value(*p)) < base; p++) {
		// Keep consuming digits after an overflow so *end covers the whole bad number.
		if (!overflow && (__builtin_mul_overflow(v, u64{base}, &v) || __builtin_add_overflow(v, u64{d}, &v)))
			overflow = true;
	}
	if (end)
		*end = p;
	*out = overflow ? ~u64{0} : v;
	return !overflow;
}

bool parse_memsize(const char *s, const char **end, u64 *out)
{
	const char *p;
	u64 v;
	if (!parse_u64(s, &p, 0, &v)) {
		if (end)
			*end = p;
		*out = v;
		return false;
	}

	unsigned shift = 0;
	switch (*p) {
	case 'E':
	case 'e':
		shift += 10;
		[[fallthrough]];
	case 'P':
	case 'p':
		shift += 10;
		[[fallthrough]];
	case 'T':
	case 't':
		shift += 10;
		[[fallthrough]];
	case 'G':
	case 'g':
		shift += 10;
		[[fallthrough]];
	case 'M':
	case 'm':
		shift += 10;
		[[fallthrough]];
	case 'K':
	case 'k':
		shift += 10;
		p++;
		break;
	default:
		break;
	}
	if (end)
		*end = p;
	if (shift && v > (~u64{0} >> shift)) {
		*out = ~u64{0};
		return false;
	}
	*out = v << shift;
	return true;
}

u64 memparse(const char *s, const char **end)
{
	u64 v;
	(void)parse_memsize(s, end, &v);
	return v;
}

ErrorOr<u64> kstrtou64(const char *s, unsigned base)
{
	if (*s == '+')
		s++;
	if (base != 0 && (base < 2 || base > 36))
		return Errno::EINVAL;
	const char *end;
	u64 v;
	bool ok = parse_u64(s, &end, base, &v);
	if (end == s)
		return Errno::EINVAL;
	if (*end == '\n')
		end++;
	if (*end != '\0')
		return Errno::EINVAL;
	if (!ok)
		return Errno::ERANGE;
	return v;
}

ErrorOr<bool> kstrtobool(const char *s)
{
	if (!s)
		return Errno::EINVAL;
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		return true;
	case 'n': case 'N': case 'f': case 'F': case '0':
		return false;
	case 'o': case 'O':
		switch (s[1]) {
		case 'n': case 'N':
			return true;
		case 'f': case 'F':
			return false;
		default:
			break;
		}
		break;
	default:
		break;
	}
	return Errno::EINVAL;
}

} // namespace kstd
