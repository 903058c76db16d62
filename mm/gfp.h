// GFP ("get free pages") flags: what an allocation may do and where it may come from. Bit
// values and composite masks are Linux 6.1's, so a logged mode:0x... decodes with Linux's
// tables. gfp_t is a typed bitmask: it mixes only with itself.
#pragma once

#include "kstd/types.h"

enum class gfp_t : u32 {};

constexpr gfp_t operator|(gfp_t a, gfp_t b) { return gfp_t(u32(a) | u32(b)); }
constexpr gfp_t operator&(gfp_t a, gfp_t b) { return gfp_t(u32(a) & u32(b)); }
constexpr gfp_t operator~(gfp_t a) { return gfp_t(~u32(a)); }
constexpr gfp_t &operator|=(gfp_t &a, gfp_t b) { return a = a | b; }
constexpr gfp_t &operator&=(gfp_t &a, gfp_t b) { return a = a & b; }
constexpr bool operator!(gfp_t a) { return u32(a) == 0; }
// True if any bit of `bits` is set in `g`.
constexpr bool gfp_has(gfp_t g, gfp_t bits) { return (u32(g) & u32(bits)) != 0; }
constexpr u32 gfp_raw(gfp_t g) { return u32(g); }

// Zone modifiers (bottom 4 bits; gfp_zone() maps them).
inline constexpr gfp_t __GFP_DMA = gfp_t(0x01u);
inline constexpr gfp_t __GFP_HIGHMEM = gfp_t(0x02u);
inline constexpr gfp_t __GFP_DMA32 = gfp_t(0x04u);
inline constexpr gfp_t __GFP_MOVABLE = gfp_t(0x08u);
// Mobility grouping (with __GFP_MOVABLE: the migratetype, see gfp_migratetype()).
inline constexpr gfp_t __GFP_RECLAIMABLE = gfp_t(0x10u);
// Watermark modifiers.
inline constexpr gfp_t __GFP_HIGH = gfp_t(0x20u);      // may use half the min reserve
inline constexpr gfp_t __GFP_IO = gfp_t(0x40u);
inline constexpr gfp_t __GFP_FS = gfp_t(0x80u);
inline constexpr gfp_t __GFP_ZERO = gfp_t(0x100u);
inline constexpr gfp_t __GFP_ATOMIC = gfp_t(0x200u);   // cannot sleep: may dip into reserves, highatomic
inline constexpr gfp_t __GFP_DIRECT_RECLAIM = gfp_t(0x400u);
inline constexpr gfp_t __GFP_KSWAPD_RECLAIM = gfp_t(0x800u);
inline constexpr gfp_t __GFP_WRITE = gfp_t(0x1000u);
inline constexpr gfp_t __GFP_NOWARN = gfp_t(0x2000u);
inline constexpr gfp_t __GFP_RETRY_MAYFAIL = gfp_t(0x4000u);
inline constexpr gfp_t __GFP_NOFAIL = gfp_t(0x8000u);
inline constexpr gfp_t __GFP_NORETRY = gfp_t(0x10000u);
inline constexpr gfp_t __GFP_MEMALLOC = gfp_t(0x20000u);
inline constexpr gfp_t __GFP_COMP = gfp_t(0x40000u);
inline constexpr gfp_t __GFP_NOMEMALLOC = gfp_t(0x80000u);
inline constexpr gfp_t __GFP_HARDWALL = gfp_t(0x100000u);
inline constexpr gfp_t __GFP_THISNODE = gfp_t(0x200000u);
inline constexpr gfp_t __GFP_ACCOUNT = gfp_t(0x400000u);

inline constexpr gfp_t __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;
inline constexpr gfp_t GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;
inline constexpr gfp_t GFP_MOVABLE_MASK = __GFP_RECLAIMABLE | __GFP_MOVABLE;
inline constexpr unsigned GFP_MOVABLE_SHIFT = 3;

inline constexpr gfp_t GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
inline constexpr gfp_t GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
inline constexpr gfp_t GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
inline constexpr gfp_t GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
inline constexpr gfp_t GFP_NOIO = __GFP_RECLAIM;
inline constexpr gfp_t GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
inline constexpr gfp_t GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
inline constexpr gfp_t GFP_DMA = __GFP_DMA;
inline constexpr gfp_t GFP_DMA32 = __GFP_DMA32;
inline constexpr gfp_t GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
inline constexpr gfp_t GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;

// Formats gfp as Linux's %pGg: composite names first ("GFP_KERNEL|__GFP_ZERO"), unknown bits
// as hex, "0x0" for none. Returns chars written.
int format_gfp_flags(char *buf, usize size, gfp_t gfp);
