// Number parsing for the command line, the device tree and the console: strtoul's core with
// overflow detection, Linux's memparse (mem=, memmap=, crashkernel= sizes), kstrtou64 and
// kstrtobool.
// Compiled into both the kernel and the host test suite; lib/string.cpp builds C's strtoul on
// parse_u64.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"

namespace kstd {

// Parses an unsigned integer at s (no leading whitespace, no sign).
// base 0 picks the radix from the prefix as C and Linux do: "0x"/"0X" followed by a hex digit
// means 16, another leading "0" means 8, anything else 10. base 16 also accepts that "0x"
// prefix. Bases 2..36 are accepted; others fail like "no digits".
// Returns true with *out set on success. On failure returns false and either
//   - no digits: *out = 0 and *end = s, or
//   - overflow:  *out = U64_MAX and *end points past every digit of the too-large number,
// so a caller tells the two apart by *end != s. end may be null. "0x" not followed by a hex
// digit parses as 0 and leaves *end at the 'x'.
// The value of one hex digit (either case), or -1 for anything else.
int hex_digit_value(int c);

bool parse_u64(const char *s, const char **end, unsigned base, u64 *out);

// Linux's memparse: a base-0 number (as parse_u64) optionally followed by one of the binary
// suffixes K, M, G, T, P, E (either case), each a factor of 1024 over the previous.
// Returns false on no digits or when the value or its scaling overflows 64 bits.
// *end (if non-null) points past the suffix on success and as parse_u64 says on failure.
bool parse_memsize(const char *s, const char **end, u64 *out);

// Linux-compatible memparse for callers that only need a value: returns 0 when there is no
// number (with *end = s) and saturates at U64_MAX on overflow instead of wrapping as Linux does.
u64 memparse(const char *s, const char **end);

// Linux's kstrtoull: the whole string must be the number (one leading '+' and one trailing
// newline allowed). EINVAL for empty input, a bad base or junk; ERANGE on overflow.
ErrorOr<u64> kstrtou64(const char *s, unsigned base);

// Linux's kstrtobool: the boolean spellings every boot option and sysctl accepts. The first
// character decides: y/Y/t/T/1 true, n/N/f/F/0 false; "on"/"of[f]" by their second (either
// case). EINVAL for anything else, and for a null or empty string.
ErrorOr<bool> kstrtobool(const char *s);

} // namespace kstd
