// fail_page_alloc and failslab: see mm/fault_inject.h.
#include "mm/fault_inject.h"

#include "core/params.h"
#include "core/printk.h"
#include "lib/kstd/result.h"
#include "lib/parse.h"
#include "mm/mmzone.h"
#include "mm/slab.h"

fail_page_alloc_cfg fail_page_alloc = {{"fail_page_alloc", 0, 1, 1, 0, 2, 0, 10, false}, true, true, 1};
failslab_cfg failslab = {{"failslab", 0, 1, 1, 0, 2, 0, 10, false}, true};

bool should_fail_alloc_page(gfp_t gfp, unsigned order)
{
	if (order < fail_page_alloc.min_order)
		return false;
	if (gfp_has(gfp, __GFP_NOFAIL))
		return false;
	if (fail_page_alloc.ignore_gfp_highmem && gfp_has(gfp, __GFP_HIGHMEM))
		return false;
	if (fail_page_alloc.ignore_gfp_reclaim && gfp_has(gfp, __GFP_DIRECT_RECLAIM))
		return false;
	return should_fail(&fail_page_alloc.attr, long(PAGE_SIZE) << order);
}

bool should_failslab(kmem_cache *s, gfp_t gfp)
{
	if (gfp_has(gfp, __GFP_NOFAIL))
		return false;
	if (failslab.ignore_gfp_reclaim && gfp_has(gfp, __GFP_DIRECT_RECLAIM))
		return false;
	return should_fail(&failslab.attr, long(kmem_cache_size(s)));
}

void mm_fault_inject_changed()
{
	page_alloc_fast_path_update();
	// SLUB: objects on the per-CPU freelists would be handed out without passing the
	// failure point; flushed, they stay off them while anything is armed. (Registered by
	// kmem_cache_init, so the slab allocator is up.)
	kmem_cache_shrink_all();
}

static Result parse_attr(fault_attr *a, const char *v)
{
	if (!v || !setup_fault_attr(a, v))
		return Errno::EINVAL;
	return {};
}
static Result set_bool(bool *b, const char *v)
{
	*b = v ? TRY(kstd::kstrtobool(v)) : true;
	return {};
}
static Result p_fpa(const char *v) { return parse_attr(&fail_page_alloc.attr, v); }
static Result p_fs(const char *v) { return parse_attr(&failslab.attr, v); }
static Result p_fpa_wait(const char *v) { return set_bool(&fail_page_alloc.ignore_gfp_reclaim, v); }
static Result p_fpa_high(const char *v) { return set_bool(&fail_page_alloc.ignore_gfp_highmem, v); }
static Result p_fs_wait(const char *v) { return set_bool(&failslab.ignore_gfp_reclaim, v); }
static Result p_fpa_order(const char *v)
{
	u64 o;
	const char *end;
	if (!v || !kstd::parse_u64(v, &end, 0, &o) || *end || o >= MAX_ORDER)
		return Errno::EINVAL;
	fail_page_alloc.min_order = unsigned(o);
	return {};
}
EARLY_PARAM("fail_page_alloc", p_fpa);
EARLY_PARAM("failslab", p_fs);
EARLY_PARAM("fail_page_alloc.ignore-gfp-wait", p_fpa_wait);
EARLY_PARAM("fail_page_alloc.ignore-gfp-highmem", p_fpa_high);
EARLY_PARAM("fail_page_alloc.min-order", p_fpa_order);
EARLY_PARAM("failslab.ignore-gfp-wait", p_fs_wait);
