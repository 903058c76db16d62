// The algorithms behind the kernel's C string functions (lib/string.cpp exports them with C
// linkage). They live in a header so the host suite can test the very same code against libc
// without the names colliding.
//
// Copies and fills move 8-byte words once the destination is aligned. Loads from the source
// may then be unaligned, which is fine on Normal memory (the kernel runs with the MMU on); with
// the MMU off, only mutually aligned memcpy/memmove and any memset are safe, since those issue
// aligned accesses only.
//
// strlen/strnlen/memchr read whole aligned words, so they may look at up to 7 bytes past the
// terminator or the match. An aligned word never crosses a page, so this cannot fault; it is
// invisible to the program but not to AddressSanitizer, hence WORD_READER.
#pragma once

#include "kstd/types.h"
#include "lib/parse.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "word-at-a-time string routines assume a little-endian CPU"
#endif

// no_builtin: the optimiser must not recognise these loops as memcpy/memset and emit a call,
// which inside memcpy itself would recurse forever. The kernel's -ffreestanding already implies
// it; the attribute makes the file safe whatever the flags.
#define STRIMPL inline __attribute__((no_builtin))
#define STRIMPL_WORD_READER STRIMPL __attribute__((no_sanitize("address", "object-size")))

namespace kstd::strimpl {

using uword = u64;
typedef u64 unaligned_word __attribute__((aligned(1), may_alias));
typedef u64 aligned_word __attribute__((may_alias));

inline constexpr uword ONES = 0x0101010101010101ull;
inline constexpr uword HIGHS = 0x8080808080808080ull;
inline constexpr size_t WORD = sizeof(uword);
// Below this many bytes the alignment prologue costs more than words save.
inline constexpr size_t WORD_THRESHOLD = 2 * WORD;

STRIMPL uword load_unaligned(const void *p) { return *static_cast<const unaligned_word *>(p); }
STRIMPL_WORD_READER uword load_aligned(const void *p) { return *static_cast<const aligned_word *>(p); }
STRIMPL void store_aligned(void *p, uword v) { *static_cast<aligned_word *>(p) = v; }
STRIMPL bool misaligned(const void *p) { return reinterpret_cast<uptr>(p) & (WORD - 1); }

// Non-zero iff some byte of v is zero; the lowest set bit marks the first zero byte exactly
// (a borrow can only flag bytes above a real zero).
constexpr uword zero_bytes(uword v) { return (v - ONES) & ~v & HIGHS; }
constexpr size_t first_flagged_byte(uword z) { return static_cast<size_t>(__builtin_ctzll(z)) / 8; }

// Ascending copy. Also correct for overlapping buffers with d < s: a store to d + i can only
// land on source bytes below s + i + 8, and each block is loaded before it is stored, so only
// bytes already read get overwritten.
STRIMPL void copy_forward(u8 *d, const u8 *s, size_t n)
{
	if (n >= WORD_THRESHOLD) {
		while (misaligned(d)) {
			*d++ = *s++;
			n--;
		}
		while (n >= 4 * WORD) {
			uword a = load_unaligned(s);
			uword b = load_unaligned(s + WORD);
			uword c = load_unaligned(s + 2 * WORD);
			uword e = load_unaligned(s + 3 * WORD);
			store_aligned(d, a);
			store_aligned(d + WORD, b);
			store_aligned(d + 2 * WORD, c);
			store_aligned(d + 3 * WORD, e);
			d += 4 * WORD;
			s += 4 * WORD;
			n -= 4 * WORD;
		}
		while (n >= WORD) {
			store_aligned(d, load_unaligned(s));
			d += WORD;
			s += WORD;
			n -= WORD;
		}
	}
	while (n) {
		*d++ = *s++;
		n--;
	}
}

// Descending copy of the n bytes ending at d_end/s_end: the mirror image of copy_forward,
// correct for overlap with d > s.
STRIMPL void copy_backward(u8 *d_end, const u8 *s_end, size_t n)
{
	if (n >= WORD_THRESHOLD) {
		while (misaligned(d_end)) {
			*--d_end = *--s_end;
			n--;
		}
		while (n >= 4 * WORD) {
			d_end -= 4 * WORD;
			s_end -= 4 * WORD;
			uword e = load_unaligned(s_end + 3 * WORD);
			uword c = load_unaligned(s_end + 2 * WORD);
			uword b = load_unaligned(s_end + WORD);
			uword a = load_unaligned(s_end);
			store_aligned(d_end + 3 * WORD, e);
			store_aligned(d_end + 2 * WORD, c);
			store_aligned(d_end + WORD, b);
			store_aligned(d_end, a);
			n -= 4 * WORD;
		}
		while (n >= WORD) {
			d_end -= WORD;
			s_end -= WORD;
			store_aligned(d_end, load_unaligned(s_end));
			n -= WORD;
		}
	}
	while (n) {
		*--d_end = *--s_end;
		n--;
	}
}

STRIMPL void *mem_copy(void *dst, const void *src, size_t n)
{
	copy_forward(static_cast<u8 *>(dst), static_cast<const u8 *>(src), n);
	return dst;
}

STRIMPL void *mem_move(void *dst, const void *src, size_t n)
{
	uptr d = reinterpret_cast<uptr>(dst);
	uptr s = reinterpret_cast<uptr>(src);
	if (d == s || n == 0)
		return dst;
	// Only a destination that starts inside the source needs the descending copy.
	if (d - s >= n)
		copy_forward(static_cast<u8 *>(dst), static_cast<const u8 *>(src), n);
	else
		copy_backward(static_cast<u8 *>(dst) + n, static_cast<const u8 *>(src) + n, n);
	return dst;
}

STRIMPL void *mem_set(void *dst, int c, size_t n)
{
	u8 *d = static_cast<u8 *>(dst);
	const u8 b = static_cast<u8>(c);
	if (n >= WORD_THRESHOLD) {
		const uword w = ONES * b;
		while (misaligned(d)) {
			*d++ = b;
			n--;
		}
		while (n >= 4 * WORD) {
			store_aligned(d, w);
			store_aligned(d + WORD, w);
			store_aligned(d + 2 * WORD, w);
			store_aligned(d + 3 * WORD, w);
			d += 4 * WORD;
			n -= 4 * WORD;
		}
		while (n >= WORD) {
			store_aligned(d, w);
			d += WORD;
			n -= WORD;
		}
	}
	while (n) {
		*d++ = b;
		n--;
	}
	return dst;
}

STRIMPL int mem_cmp(const void *a_, const void *b_, size_t n)
{
	const u8 *a = static_cast<const u8 *>(a_);
	const u8 *b = static_cast<const u8 *>(b_);
	// Skip equal words; the first differing word (if any) is resolved bytewise below, where
	// n >= WORD still holds, so the difference is found within it.
	while (n >= WORD && load_unaligned(a) == load_unaligned(b)) {
		a += WORD;
		b += WORD;
		n -= WORD;
	}
	for (; n; a++, b++, n--) {
		if (*a != *b)
			return *a < *b ? -1 : 1;
	}
	return 0;
}

STRIMPL_WORD_READER void *mem_chr(const void *s, int c, size_t n)
{
	const u8 *p = static_cast<const u8 *>(s);
	const u8 b = static_cast<u8>(c);
	for (; n && misaligned(p); p++, n--) {
		if (*p == b)
			return const_cast<u8 *>(p);
	}
	const uword pattern = ONES * b;
	for (; n >= WORD; p += WORD, n -= WORD) {
		if (zero_bytes(load_aligned(p) ^ pattern))
			break;
	}
	for (; n; p++, n--) {
		if (*p == b)
			return const_cast<u8 *>(p);
	}
	return nullptr;
}

STRIMPL_WORD_READER size_t str_len(const char *s)
{
	const char *p = s;
	for (; misaligned(p); p++) {
		if (!*p)
			return static_cast<size_t>(p - s);
	}
	for (;; p += WORD) {
		if (uword z = zero_bytes(load_aligned(p)))
			return static_cast<size_t>(p - s) + first_flagged_byte(z);
	}
}

STRIMPL_WORD_READER size_t str_nlen(const char *s, size_t max)
{
	size_t i = 0;
	for (; i < max && misaligned(s + i); i++) {
		if (!s[i])
			return i;
	}
	for (; max - i >= WORD; i += WORD) {
		if (uword z = zero_bytes(load_aligned(s + i)))
			return i + first_flagged_byte(z);
	}
	while (i < max && s[i])
		i++;
	return i;
}

STRIMPL int str_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		u8 x = static_cast<u8>(*a), y = static_cast<u8>(*b);
		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			return 0;
	}
}

STRIMPL int str_ncmp(const char *a, const char *b, size_t n)
{
	for (; n; a++, b++, n--) {
		u8 x = static_cast<u8>(*a), y = static_cast<u8>(*b);
		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			return 0;
	}
	return 0;
}

// strchr(s, '\0') finds the terminator, as C requires.
STRIMPL char *str_chr(const char *s, int c)
{
	const char ch = static_cast<char>(c);
	for (;; s++) {
		if (*s == ch)
			return const_cast<char *>(s);
		if (!*s)
			return nullptr;
	}
}

STRIMPL char *str_rchr(const char *s, int c)
{
	const char ch = static_cast<char>(c);
	const char *last = nullptr;
	for (;; s++) {
		if (*s == ch)
			last = s;
		if (!*s)
			return const_cast<char *>(last);
	}
}

// C's strtoull: leading whitespace, an optional sign (a '-' negates in unsigned arithmetic),
// then parse_u64. No digits: returns 0 with *end = s. Overflow: ULLONG_MAX. An invalid base
// returns 0 with *end = s (C leaves that case to errno, which the kernel does not have).
STRIMPL unsigned long long str_toull(const char *s, char **end, int base)
{
	const char *p = s;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	bool negative = false;
	if (*p == '+' || *p == '-') {
		negative = *p == '-';
		p++;
	}
	const char *e = p;
	u64 v = 0;
	bool ok = base >= 0 && parse_u64(p, &e, static_cast<unsigned>(base), &v);
	if (e == p) {
		if (end)
			*end = const_cast<char *>(s);
		return 0;
	}
	if (end)
		*end = const_cast<char *>(e);
	if (!ok)
		return ~0ull;
	return negative ? 0 - v : v;
}

} // namespace kstd::strimpl
