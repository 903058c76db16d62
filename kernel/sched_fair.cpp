// The fair scheduling policy: see kernel/sched_fair.h.
#include "kernel/sched_fair.h"

namespace sched {

// Linux's sched_prio_to_weight: nice 0 is 1024, and each step multiplies by ~1.25 so that a
// task one nice level lower gets ~10% more CPU than its peer.
static constexpr unsigned long prio_to_weight[40] = {
	88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
	9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,
	1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,
	110,   87,    70,    56,    45,    36,    29,    23,    18,    15,
};

unsigned long nice_to_weight(int nice)
{
	if (nice < MIN_NICE)
		nice = MIN_NICE;
	if (nice > MAX_NICE)
		nice = MAX_NICE;
	return prio_to_weight[nice + 20];
}

// delta * NICE_0_LOAD / weight (Linux uses a precomputed inverse; a division is fine at tick
// rate). Exact for any delta below 2^54 ns (208 days of runtime between two updates).
static u64 calc_delta_fair(u64 delta, unsigned long weight)
{
	if (weight == NICE_0_LOAD)
		return delta;
	return delta * NICE_0_LOAD / weight;
}

static bool entity_before(const sched_entity *a, const sched_entity *b)
{
	// Signed difference: vruntimes may wrap after ~584 years of runtime, as in Linux.
	return static_cast<i64>(a->vruntime - b->vruntime) < 0;
}

sched_entity *CfsRq::leftmost() const
{
	rb_node *n = rb_first(&tasks_timeline_);
	return n ? rb_entry(n, sched_entity, run_node) : nullptr;
}

void CfsRq::tree_insert(sched_entity *se)
{
	rb_node **link = &tasks_timeline_.rb_node_, *parent = nullptr;
	// Equal keys go to the right: entities with the same vruntime run in FIFO order.
	while (*link) {
		parent = *link;
		if (entity_before(se, rb_entry(parent, sched_entity, run_node)))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&se->run_node, parent, link);
	rb_insert_color(&se->run_node, &tasks_timeline_);
}

void CfsRq::tree_erase(sched_entity *se) { rb_erase(&se->run_node, &tasks_timeline_); }

// min_vruntime only moves forward: it follows the smaller of curr's and the leftmost's.
void CfsRq::update_min_vruntime()
{
	u64 vr = min_vruntime_;
	const sched_entity *left = leftmost();
	bool have = false;
	if (curr_ && curr_->on_rq) {
		vr = curr_->vruntime;
		have = true;
	}
	if (left) {
		if (!have || entity_before(left, curr_))
			vr = left->vruntime;
		have = true;
	}
	if (have && static_cast<i64>(vr - min_vruntime_) > 0)
		min_vruntime_ = vr;
}

void CfsRq::update_curr(u64 now)
{
	sched_entity *c = curr_;
	if (!c || !c->exec_start)
		return;
	if (static_cast<i64>(now - c->exec_start) <= 0)
		return;
	u64 delta = now - c->exec_start;
	c->exec_start = now;
	c->sum_exec_runtime += delta;
	c->vruntime += calc_delta_fair(delta, c->weight);
	update_min_vruntime();
}

u64 CfsRq::sched_slice(const sched_entity *se) const
{
	unsigned nr = nr_running_ + (se->on_rq ? 0 : 1);
	u64 period = nr > SCHED_NR_LATENCY ? nr * MIN_GRANULARITY_NS : SCHED_LATENCY_NS;
	unsigned long load = load_ + (se->on_rq ? 0 : se->weight);
	if (!load)
		return period;
	u64 slice = period * se->weight / load; // period is milliseconds, weight < 2^17: no overflow
	return slice < MIN_GRANULARITY_NS ? MIN_GRANULARITY_NS : slice;
}

void CfsRq::place_entity(sched_entity *se, bool initial)
{
	u64 vr = min_vruntime_;
	if (initial)
		vr += calc_delta_fair(sched_slice(se), se->weight); // START_DEBIT: a fork waits its turn
	else
		vr -= SCHED_LATENCY_NS / 2; // GENTLE_FAIR_SLEEPERS: a bounded credit for sleeping
	// Never move an entity backwards: sleeping must not gain more than the credit.
	if (static_cast<i64>(se->vruntime - vr) > 0)
		vr = se->vruntime;
	se->vruntime = vr;
}

void CfsRq::enqueue(sched_entity *se, Enqueue how)
{
	if (how == Enqueue::New)
		place_entity(se, true);
	else if (how == Enqueue::Wakeup)
		place_entity(se, false);
	if (se != curr_)
		tree_insert(se);
	se->on_rq = true;
	nr_running_++;
	load_ += se->weight;
	update_min_vruntime();
}

void CfsRq::dequeue(sched_entity *se)
{
	if (se != curr_)
		tree_erase(se);
	se->on_rq = false;
	nr_running_--;
	load_ -= se->weight;
	update_min_vruntime();
}

sched_entity *CfsRq::pick_next(sched_entity *prev, u64 now)
{
	if (prev && prev == curr_) {
		update_curr(now);
		if (prev->on_rq)
			tree_insert(prev);
		prev->exec_start = 0;
		curr_ = nullptr;
	}
	sched_entity *se = leftmost();
	if (!se)
		return nullptr;
	tree_erase(se);
	curr_ = se;
	se->exec_start = now ? now : 1;
	se->prev_sum_exec_runtime = se->sum_exec_runtime;
	update_min_vruntime();
	return se;
}

bool CfsRq::check_preempt_tick(u64 now)
{
	update_curr(now);
	sched_entity *c = curr_;
	if (!c)
		return false;
	u64 ran = c->sum_exec_runtime - c->prev_sum_exec_runtime;
	if (ran > sched_slice(c))
		return true;
	if (ran < MIN_GRANULARITY_NS)
		return false;
	// Linux also preempts once curr is a whole slice ahead of the leftmost.
	const sched_entity *left = leftmost();
	if (!left)
		return false;
	i64 d = static_cast<i64>(c->vruntime - left->vruntime);
	return d > 0 && static_cast<u64>(d) > sched_slice(c);
}

bool CfsRq::check_preempt_wakeup(const sched_entity *se) const
{
	if (!curr_)
		return true;
	i64 d = static_cast<i64>(curr_->vruntime - se->vruntime);
	// wakeup_gran is in se's virtual time (Linux's wakeup_gran(se)).
	return d > 0 && static_cast<u64>(d) > calc_delta_fair(WAKEUP_GRANULARITY_NS, se->weight);
}

void CfsRq::yield_curr()
{
	sched_entity *c = curr_;
	if (!c)
		return;
	rb_node *last = rb_last(&tasks_timeline_);
	if (!last)
		return;
	const sched_entity *r = rb_entry(last, sched_entity, run_node);
	if (entity_before(c, r))
		c->vruntime = r->vruntime;
}

unsigned long CfsRq::check() const
{
	unsigned long bad = 0;
	if (rb_check(&tasks_timeline_) < 0)
		bad++;
	unsigned n = 0;
	unsigned long load = 0;
	const sched_entity *prev = nullptr;
	for (rb_node *p = rb_first(&tasks_timeline_); p; p = rb_next(p)) {
		const sched_entity *se = rb_entry(p, sched_entity, run_node);
		if (!se->on_rq || se == curr_)
			bad++;
		if (prev && entity_before(se, prev))
			bad++;
		prev = se;
		n++;
		load += se->weight;
	}
	if (curr_ && curr_->on_rq) {
		n++;
		load += curr_->weight;
	}
	if (n != nr_running_ || load != load_)
		bad++;
	return bad;
}

} // namespace sched
