// The allocators' failure points (Linux's fail_page_alloc and failslab): include/core/
// fault_inject.h has the mechanism. Each has Linux's attributes and filters, with Linux's
// defaults: fail_page_alloc ignores allocations that may reclaim (ignore-gfp-wait), highmem
// ones and orders below 1; failslab ignores those that may reclaim. Boot: Linux's
// `fail_page_alloc=<interval>,<probability>,<space>,<times>` and `failslab=...`; the filters
// as `fail_page_alloc.ignore-gfp-wait=`, `.ignore-gfp-highmem=`, `.min-order=`,
// `failslab.ignore-gfp-wait=` (Linux's debugfs names).
#pragma once

#include "core/fault_inject.h"
#include "mm/gfp.h"

struct kmem_cache;

struct fail_page_alloc_cfg {
	fault_attr attr;
	bool ignore_gfp_reclaim;
	bool ignore_gfp_highmem;
	unsigned min_order;
};
struct failslab_cfg {
	fault_attr attr;
	bool ignore_gfp_reclaim;
};
extern fail_page_alloc_cfg fail_page_alloc;
extern failslab_cfg failslab;

bool should_fail_alloc_page(gfp_t gfp, unsigned order);
bool should_failslab(kmem_cache *s, gfp_t gfp);
// The allocators' reaction to arming and disarming (their per-CPU fast paths step aside).
void mm_fault_inject_changed();
