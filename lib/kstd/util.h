// Small generic helpers: move/forward, min/max, alignment and bit arithmetic.
#pragma once

#include "types.h"

namespace kstd {

template <typename T> struct remove_reference { using type = T; };
template <typename T> struct remove_reference<T &> { using type = T; };
template <typename T> struct remove_reference<T &&> { using type = T; };
template <typename T> using remove_reference_t = typename remove_reference<T>::type;

template <typename T> constexpr remove_reference_t<T> &&move(T &&t) noexcept
{
	return static_cast<remove_reference_t<T> &&>(t);
}
template <typename T> constexpr T &&forward(remove_reference_t<T> &t) noexcept
{
	return static_cast<T &&>(t);
}
template <typename T> constexpr void swap(T &a, T &b) noexcept
{
	T t = move(a);
	a = move(b);
	b = move(t);
}

template <typename T> constexpr const T &min(const T &a, const T &b) { return b < a ? b : a; }
template <typename T> constexpr const T &max(const T &a, const T &b) { return a < b ? b : a; }
template <typename T> constexpr T clamp(T v, T lo, T hi) { return v < lo ? lo : (hi < v ? hi : v); }

constexpr bool is_power_of_2(u64 v) { return v != 0 && (v & (v - 1)) == 0; }
constexpr u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }
constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }
constexpr u64 div_round_up(u64 n, u64 d) { return (n + d - 1) / d; }

// fls64: 1-based index of the most significant set bit, 0 for 0 (Linux semantics).
constexpr unsigned fls64(u64 v) { return v ? 64 - __builtin_clzll(v) : 0; }
// __ffs64: 0-based index of the least significant set bit; undefined for 0.
constexpr unsigned ffs0_64(u64 v) { return __builtin_ctzll(v); }
// ilog2 of a non-zero value (floor).
constexpr unsigned ilog2(u64 v) { return fls64(v) - 1; }
constexpr u64 roundup_pow_of_two(u64 v) { return v <= 1 ? 1 : u64{1} << fls64(v - 1); }

// Overflow-checked arithmetic: returns true on overflow (like __builtin_*_overflow).
template <typename T> constexpr bool add_overflow(T a, T b, T *out) { return __builtin_add_overflow(a, b, out); }
template <typename T> constexpr bool mul_overflow(T a, T b, T *out) { return __builtin_mul_overflow(a, b, out); }

template <typename T, usize N> constexpr usize array_size(const T (&)[N]) { return N; }

} // namespace kstd

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
