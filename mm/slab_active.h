// The object allocator this build links (SLUB or SLOB, chosen at build time) as `active_slab`,
// with SLUB's inline fast paths when it is SLUB. The layering is one way: slab_internal.h (the
// common core and both allocators' declarations) <- slub_internal.h (SLUB's structures and
// fast paths) <- this header. The host suite builds both allocators, so it always has SLUB's.
#pragma once

#include "mm/slab_internal.h"
#if defined(HOST_TEST) || !defined(SLAB_SLOB)
#include "mm/slub_internal.h"
#endif

#if defined(SLAB_SLOB)
using active_slab = SlabCommon<slob::Allocator>;
#else
using active_slab = SlabCommon<slub::Allocator>;
#endif
