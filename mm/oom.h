// The OOM killer's policy and the allocator's seam to it (Linux's include/linux/oom.h and the
// arithmetic of mm/oom_kill.c).
//
// Split: mm/ owns what can be decided from numbers alone (oom_badness, the victim choice over a
// stream of candidates, the oom_control the allocator fills) and the hook the page allocator
// calls when it has run out; kernel/oom.cpp owns everything that needs tasks (walking the task
// list, the report, the kill, waiting for a victim, the oom_reaper thread) and registers its
// functions here at boot (mm/ never includes kernel/).
//
// Contract of the hook (register_oom_hooks):
// - reserves_allowed(): current is an OOM victim and not in an interrupt: its allocations may go
//   below the min watermark (ALLOC_OOM: down to half of it), as Linux's oom_reserves_allowed.
// - out_of_memory(oc): called by __alloc_pages_slowpath, for a request that may sleep
//   (__GFP_DIRECT_RECLAIM) and may OOM (Linux's __alloc_pages_may_oom rules: not __GFP_NORETRY,
//   not __GFP_RETRY_MAYFAIL, not __GFP_THISNODE, order <= PAGE_ALLOC_COSTLY_ORDER, highest zone
//   >= ZONE_NORMAL), after its own retries failed. It may sleep (it is the only place where the
//   allocator ever sleeps). true: progress was made (a victim was killed, or one already
//   killed has exited or been reaped since), so the allocation is retried; false: nothing can
//   be done and the allocation fails.
#pragma once

#include "kstd/types.h"
#include "mm/gfp.h"

inline constexpr int OOM_SCORE_ADJ_MIN = -1000;
inline constexpr int OOM_SCORE_ADJ_MAX = 1000;
inline constexpr long OOM_POINTS_MIN = -__LONG_MAX__ - 1; // LONG_MIN: "never choose"

enum oom_constraint { CONSTRAINT_NONE, CONSTRAINT_CPUSET, CONSTRAINT_MEMORY_POLICY, CONSTRAINT_MEMCG };

// One OOM invocation (Linux's struct oom_control, without memcg/nodemask: there are neither).
struct oom_control {
	gfp_t gfp_mask;
	int order;
	int highest_zoneidx;
	unsigned long totalpages; // RAM + swap the badness is normalised to
	oom_constraint constraint;
};

// What the badness of one process is computed from (Linux reads them from the task and its mm
// under task_lock).
struct oom_candidate {
	bool unkillable;     // a kernel thread (PF_KTHREAD)
	bool is_init;        // PID 1 (is_global_init)
	bool has_mm;         // find_lock_task_mm found a thread with an mm
	bool victim;         // already an OOM victim (tsk_is_oom_victim)
	bool victim_skip;    // ... that has been reaped or has exited (MMF_OOM_SKIP)
	bool in_vfork;       // a vfork child on its parent's mm (killing it would not free it)
	int oom_score_adj;   // OOM_SCORE_ADJ_MIN..OOM_SCORE_ADJ_MAX
	unsigned long rss;            // MM_ANONPAGES + MM_FILEPAGES (pages)
	unsigned long swapents;       // MM_SWAPENTS (no swap yet: 0)
	unsigned long pgtables_bytes; // page-table pages below the pgd, in bytes
};

// Linux 6.1's oom_badness for a killable process with an mm: rss + swap entries + page-table
// pages, plus oom_score_adj in units of totalpages/1000 (the division first, as Linux).
// OOM_SCORE_ADJ_MIN, a reaped victim and a vfork child return OOM_POINTS_MIN (never chosen).
long oom_badness_points(const oom_candidate &c, unsigned long totalpages);

// Linux's select_bad_process over for_each_process, one candidate at a time in task-list
// order: the highest badness wins, and on a tie the later one (Linux replaces the choice unless
// points < chosen_points). A victim still on its way out aborts the scan (Linux's
// oom_evaluate_task: nobody else is killed while a victim holds the reserves); one that was
// reaped or has exited is passed over. PID 1 is considered only when no other process is
// (this kernel's rule: Linux never kills it and panics instead; here init is the last resort),
// which the caller gets by feeding init again to a second scan with init_pass set when the
// first chose nothing.
struct oom_selection {
	long chosen_points = OOM_POINTS_MIN;
	int chosen = -1;   // index of the choice, -1: none
	bool abort = false;
	bool init_pass = false;
};
// Feeds one candidate (index idx); returns true when the scan must stop (abort).
bool oom_evaluate(oom_selection *sel, const oom_candidate &c, int idx, unsigned long totalpages);

// --- the seam to kernel/oom.cpp ---------------------------------------------------------------
struct oom_hooks {
	bool (*reserves_allowed)();
	bool (*out_of_memory)(oom_control *oc);
};
// kernel/oom.cpp at boot; nullptr (the host suite, early boot) means no OOM killer: the
// allocator fails as it did before.
void register_oom_hooks(const oom_hooks *h);
const oom_hooks *registered_oom_hooks();
