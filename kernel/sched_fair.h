// The fair scheduling policy (Linux's CFS in kernel/sched/fair.c, reduced to what one run queue
// needs): pure bookkeeping over explicit times, compiled into the kernel and into the host
// suite, which checks it against a reference model.
//
// Why CFS and not a simpler round robin: the memory manager's users are mixed (kswapd and
// kcompactd kernel threads beside user processes of any nice level), and a policy that shares
// the CPU by weight with bounded latency keeps a reclaim thread from starving or hogging the
// CPU without per-thread tuning. The rules are Linux's:
//   - each entity's vruntime advances by its runtime scaled by NICE_0_LOAD / weight, with the
//     weights of sched_prio_to_weight (each nice step is ~10% of CPU);
//   - the run queue is an rb-tree ordered by vruntime; the leftmost entity runs next;
//   - a period of sched_latency (6 ms; nr_running * min_granularity past 8 entities) is shared
//     by weight: the running entity is preempted at the tick once it ran its share;
//   - a waking entity is placed at no less than min_vruntime - sched_latency/2 (a sleeper gets
//     a bounded credit, never an unbounded one), a new one at min_vruntime plus its slice
//     (START_DEBIT), and it preempts the running one when it is wakeup_granularity behind.
//
// Locking: the owner (kernel/sched.cpp's per-CPU rq) holds its rq lock around every call.
#pragma once

#include "kstd/rbtree.h"
#include "kstd/types.h"

namespace sched {

inline constexpr u64 NSEC_PER_MSEC = 1000000;
inline constexpr u64 SCHED_LATENCY_NS = 6 * NSEC_PER_MSEC;
inline constexpr u64 MIN_GRANULARITY_NS = 750000;
inline constexpr u64 WAKEUP_GRANULARITY_NS = 1 * NSEC_PER_MSEC;
inline constexpr unsigned SCHED_NR_LATENCY = 8;
inline constexpr unsigned long NICE_0_LOAD = 1024;
inline constexpr int MIN_NICE = -20, MAX_NICE = 19;

// Linux's sched_prio_to_weight, indexed by nice + 20.
unsigned long nice_to_weight(int nice);

struct sched_entity {
	rb_node run_node;
	unsigned long weight = NICE_0_LOAD;
	u64 vruntime = 0;
	u64 exec_start = 0;       // when it last started running (rq clock), 0: not running
	u64 sum_exec_runtime = 0; // total runtime, ns
	u64 prev_sum_exec_runtime = 0; // sum_exec_runtime when it was last picked
	bool on_rq = false;       // in the tree or running as curr
};

class CfsRq {
public:
	// Entities queued or running (curr counts while it runs and is on_rq).
	unsigned nr_running() const { return nr_running_; }
	unsigned long load() const { return load_; }
	u64 min_vruntime() const { return min_vruntime_; }
	sched_entity *curr() const { return curr_; }

	// Charges the running entity for the time since it last started (now: rq clock, ns).
	void update_curr(u64 now);
	// Adds se (not on_rq). wakeup: it slept (place it with the sleeper credit); otherwise new
	// (place it with START_DEBIT). migrated/renormalised vruntimes are not needed on one CPU.
	enum class Enqueue { New, Wakeup, Requeue };
	void enqueue(sched_entity *se, Enqueue how);
	// Removes se (on_rq; the tree, or curr when it is the running one).
	void dequeue(sched_entity *se);
	// Picks the leftmost entity, makes it curr and takes it out of the tree (curr stays on_rq).
	// prev, when still on_rq, goes back into the tree first. nullptr when nothing is queued.
	sched_entity *pick_next(sched_entity *prev, u64 now);
	// The tick: true when curr has run its slice and should be preempted.
	bool check_preempt_tick(u64 now);
	// A wakeup: true when se should preempt curr.
	bool check_preempt_wakeup(const sched_entity *se) const;
	// sched_yield: curr goes behind every queued entity (Linux's yield_task_fair skips it once;
	// here it takes the rightmost vruntime, which is the same for the next pick).
	void yield_curr();
	// The slice curr is entitled to in this period.
	u64 sched_slice(const sched_entity *se) const;
	// Walks the tree: the number of violations of its invariants (order, counts, load).
	unsigned long check() const;
	sched_entity *leftmost() const;

private:
	void update_min_vruntime();
	void place_entity(sched_entity *se, bool initial);
	void tree_insert(sched_entity *se);
	void tree_erase(sched_entity *se);

	rb_root tasks_timeline_;
	sched_entity *curr_ = nullptr;
	unsigned nr_running_ = 0;
	unsigned long load_ = 0;
	u64 min_vruntime_ = 0;
};

} // namespace sched
