// The OOM killer's arithmetic and the allocator's hook registry (see mm/oom.h). Compiled into
// the host suite too (tests/host/test_oom.cpp).
#include "mm/oom.h"

long oom_badness_points(const oom_candidate &c, unsigned long totalpages)
{
	if (c.unkillable || !c.has_mm)
		return OOM_POINTS_MIN;
	long adj = c.oom_score_adj;
	// Explicitly unkillable, already reaped (MMF_OOM_SKIP), or in the middle of vfork (its mm
	// is its parent's): never.
	if (adj == OOM_SCORE_ADJ_MIN || c.victim_skip || c.in_vfork)
		return OOM_POINTS_MIN;
	// The baseline is the share of memory the process would give back: its resident pages,
	// its swap entries and its page tables.
	long points = static_cast<long>(c.rss + c.swapents + c.pgtables_bytes / PAGE_SIZE);
	// oom_score_adj is in thousandths of the memory there is (Linux divides first).
	adj *= static_cast<long>(totalpages / 1000);
	return points + adj;
}

bool oom_evaluate(oom_selection *sel, const oom_candidate &c, int idx, unsigned long totalpages)
{
	if (c.unkillable)
		return false;
	if (c.is_init && !sel->init_pass)
		return false;
	// A victim that still holds its memory has the reserves: wait for it instead of killing
	// more. One that was reaped or has exited gives nothing more back: pass it over.
	if (c.victim) {
		if (c.victim_skip)
			return false;
		sel->chosen = -1;
		sel->chosen_points = OOM_POINTS_MIN;
		sel->abort = true;
		return true;
	}
	long points = oom_badness_points(c, totalpages);
	if (points == OOM_POINTS_MIN || points < sel->chosen_points)
		return false;
	sel->chosen = idx;
	sel->chosen_points = points;
	return false;
}

namespace {
const oom_hooks *hooks;
}

void register_oom_hooks(const oom_hooks *h) { __atomic_store_n(&hooks, h, __ATOMIC_RELEASE); }
const oom_hooks *registered_oom_hooks() { return __atomic_load_n(&hooks, __ATOMIC_ACQUIRE); }
