// Fixed-width integers and the strong address types shared by every layer.
// Freestanding: only the compiler's own <stdint.h>/<stddef.h> are used, so the same header
// compiles into the kernel (--target=aarch64-none-elf) and into the host test suite.
#pragma once

#include <stddef.h>
#include <stdint.h>

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;
using isize = ptrdiff_t;
using uptr = uintptr_t;

// 4 KiB granule everywhere (Image header flags say so; the MMU code assumes it).
inline constexpr unsigned PAGE_SHIFT = 12;
inline constexpr u64 PAGE_SIZE = u64{1} << PAGE_SHIFT;
inline constexpr u64 PAGE_MASK = ~(PAGE_SIZE - 1);

inline constexpr u64 SZ_1K = 1024;
inline constexpr u64 SZ_4K = 4 * SZ_1K;
inline constexpr u64 SZ_64K = 64 * SZ_1K;
inline constexpr u64 SZ_1M = 1024 * SZ_1K;
inline constexpr u64 SZ_2M = 2 * SZ_1M;
inline constexpr u64 SZ_128M = 128 * SZ_1M;
inline constexpr u64 SZ_1G = 1024 * SZ_1M;
inline constexpr u64 SZ_4G = 4 * SZ_1G;

namespace kstd {

// A strongly typed integer: addresses of different spaces and frame numbers do not mix
// implicitly. Arithmetic with plain offsets is allowed; mixing two kinds is a compile error.
template <typename Tag, typename Rep = u64>
class Strong {
public:
	constexpr Strong() = default;
	constexpr explicit Strong(Rep v) : v_(v) {}
	[[nodiscard]] constexpr Rep value() const { return v_; }
	constexpr Strong operator+(Rep off) const { return Strong(v_ + off); }
	constexpr Strong operator-(Rep off) const { return Strong(v_ - off); }
	constexpr Rep operator-(Strong o) const { return v_ - o.v_; }
	constexpr Strong &operator+=(Rep off) { v_ += off; return *this; }
	constexpr Strong &operator-=(Rep off) { v_ -= off; return *this; }
	// Explicit comparisons: operator<=> would need <compare> (std::strong_ordering).
	constexpr bool operator==(const Strong &o) const { return v_ == o.v_; }
	constexpr bool operator!=(const Strong &o) const { return v_ != o.v_; }
	constexpr bool operator<(const Strong &o) const { return v_ < o.v_; }
	constexpr bool operator<=(const Strong &o) const { return v_ <= o.v_; }
	constexpr bool operator>(const Strong &o) const { return v_ > o.v_; }
	constexpr bool operator>=(const Strong &o) const { return v_ >= o.v_; }
	constexpr bool is_aligned(Rep a) const { return (v_ & (a - 1)) == 0; }
	constexpr Strong align_down(Rep a) const { return Strong(v_ & ~(a - 1)); }
	constexpr Strong align_up(Rep a) const { return Strong((v_ + a - 1) & ~(a - 1)); }

private:
	Rep v_ = 0;
};

} // namespace kstd

struct PhysAddrTag {};
struct VirtAddrTag {};
struct PfnTag {};
using PhysAddr = kstd::Strong<PhysAddrTag>;
using VirtAddr = kstd::Strong<VirtAddrTag>;
using Pfn = kstd::Strong<PfnTag>;

// phys_addr_t as Linux spells it, for code that mirrors Linux interfaces (memblock) where a
// plain integer keeps the arithmetic readable. Conversions to the strong types are explicit.
using phys_addr_t = u64;

constexpr Pfn phys_to_pfn(PhysAddr pa) { return Pfn(pa.value() >> PAGE_SHIFT); }
constexpr PhysAddr pfn_to_phys(Pfn pfn) { return PhysAddr(pfn.value() << PAGE_SHIFT); }

static_assert(sizeof(PhysAddr) == 8 && sizeof(VirtAddr) == 8 && sizeof(Pfn) == 8);
