// The OOM killer's arithmetic (mm/oom_kill.cpp) on the host: Linux 6.1's oom_badness and the
// victim choice of select_bad_process/oom_evaluate_task, against values worked out by hand.
#include <doctest/doctest.h>

#include <vector>

#include "mm/oom.h"

namespace {

oom_candidate proc(unsigned long rss, int adj = 0, unsigned long pgtables_pages = 0)
{
	oom_candidate c{};
	c.has_mm = true;
	c.rss = rss;
	c.oom_score_adj = adj;
	c.pgtables_bytes = pgtables_pages * 4096;
	return c;
}

// Runs the two scans the kernel runs (init only in the second, when the first found nothing).
// Returns the chosen index, -1 for none, -2 for an abort.
int choose(const std::vector<oom_candidate> &cs, unsigned long totalpages)
{
	for (int pass = 0; pass < 2; pass++) {
		oom_selection sel;
		sel.init_pass = pass == 1;
		for (int i = 0; i < static_cast<int>(cs.size()); i++)
			if (oom_evaluate(&sel, cs[i], i, totalpages))
				return sel.abort ? -2 : -3;
		if (sel.chosen >= 0)
			return sel.chosen;
	}
	return -1;
}

} // namespace

TEST_CASE("oom_badness: rss + swap + page tables, adj in thousandths of totalpages (divided first)")
{
	oom_candidate c = proc(1000, 0, 3);
	c.swapents = 7;
	CHECK(oom_badness_points(c, 262144) == 1000 + 7 + 3);
	// A page-table byte count that is not a whole page rounds down, as Linux's division.
	c.pgtables_bytes = 3 * 4096 + 4095;
	CHECK(oom_badness_points(c, 262144) == 1010);
	// adj 500 of 262144 pages: 500 * (262144 / 1000) = 500 * 262, not 262144 * 500 / 1000.
	CHECK(oom_badness_points(proc(1000, 500), 262144) == 1000 + 500 * 262);
	CHECK(oom_badness_points(proc(1000, 500), 262144) != 1000 + 262144 * 500 / 1000);
	// Negative adjustments may go below zero: the score is a long.
	CHECK(oom_badness_points(proc(1000, -500), 262144) == 1000 - 500 * 262);
	// totalpages below 1000: the adjustment has no weight at all.
	CHECK(oom_badness_points(proc(10, 1000), 999) == 10);
	// The extremes.
	CHECK(oom_badness_points(proc(5, OOM_SCORE_ADJ_MAX), 262144) == 5 + 1000 * 262);
	CHECK(oom_badness_points(proc(1ul << 30, OOM_SCORE_ADJ_MIN), 262144) == OOM_POINTS_MIN);
	CHECK(oom_badness_points(proc(1, OOM_SCORE_ADJ_MIN + 1), 262144) == 1 - 999 * 262);
}

TEST_CASE("oom_badness: never for kernel threads, tasks without mm, reaped victims")
{
	oom_candidate k = proc(100000);
	k.unkillable = true;
	CHECK(oom_badness_points(k, 262144) == OOM_POINTS_MIN);
	oom_candidate nomm = proc(100000);
	nomm.has_mm = false;
	CHECK(oom_badness_points(nomm, 262144) == OOM_POINTS_MIN);
	oom_candidate skip = proc(100000);
	skip.victim = skip.victim_skip = true;
	CHECK(oom_badness_points(skip, 262144) == OOM_POINTS_MIN);
	oom_candidate vf = proc(100000);
	vf.in_vfork = true;
	CHECK(oom_badness_points(vf, 262144) == OOM_POINTS_MIN);
	CHECK(choose({vf, proc(1)}, 262144) == 1);
}

TEST_CASE("selection: the highest score; ties go to the later process (Linux keeps replacing)")
{
	CHECK(choose({proc(10), proc(30), proc(20)}, 262144) == 1);
	CHECK(choose({proc(30), proc(30), proc(20)}, 262144) == 1);
	CHECK(choose({proc(30), proc(20), proc(30)}, 262144) == 2);
	// Page tables count: equal rss, more page tables wins.
	CHECK(choose({proc(100, 0, 2), proc(100, 0, 1)}, 262144) == 0);
	// oom_score_adj moves the choice: 1 * 262 outweighs 200 pages.
	CHECK(choose({proc(300), proc(100, 1)}, 262144) == 1);
	CHECK(choose({proc(300), proc(100, 1)}, 999) == 0);
	// -1000 is never chosen however large; others are, however small.
	CHECK(choose({proc(1ul << 20, OOM_SCORE_ADJ_MIN), proc(1)}, 262144) == 1);
	CHECK(choose({proc(1ul << 20, OOM_SCORE_ADJ_MIN)}, 262144) == -1);
	// A negative score is still a choice (chosen_points starts at LONG_MIN).
	CHECK(choose({proc(1, -999)}, 262144) == 0);
	CHECK(choose({proc(1, -999), proc(1, -998)}, 262144) == 1);
	// Nothing at all.
	CHECK(choose({}, 262144) == -1);
}

TEST_CASE("selection: kernel threads and tasks without mm are passed over")
{
	oom_candidate k = proc(1ul << 20);
	k.unkillable = true;
	oom_candidate nomm = proc(1ul << 20);
	nomm.has_mm = false;
	CHECK(choose({k, proc(5), nomm}, 262144) == 1);
	CHECK(choose({k, nomm}, 262144) == -1);
}

TEST_CASE("selection: PID 1 only when it is the last candidate")
{
	oom_candidate init = proc(1ul << 20);
	init.is_init = true;
	CHECK(choose({init, proc(1)}, 262144) == 1);
	CHECK(choose({init}, 262144) == 0);
	oom_candidate k = proc(10);
	k.unkillable = true;
	CHECK(choose({init, k}, 262144) == 0);
	// ... and never with -1000.
	init.oom_score_adj = OOM_SCORE_ADJ_MIN;
	CHECK(choose({init}, 262144) == -1);
}

TEST_CASE("selection: a victim still holding memory aborts; a reaped one is passed over")
{
	oom_candidate v = proc(5);
	v.victim = true;
	CHECK(choose({proc(100), v, proc(200)}, 262144) == -2);
	CHECK(choose({v}, 262144) == -2);
	// Even with -1000 (it was chosen before the change, or is exiting with the reserves).
	v.oom_score_adj = OOM_SCORE_ADJ_MIN;
	CHECK(choose({proc(100), v}, 262144) == -2);
	oom_candidate reaped = proc(1ul << 20);
	reaped.victim = reaped.victim_skip = true;
	CHECK(choose({proc(100), reaped, proc(50)}, 262144) == 0);
	CHECK(choose({reaped}, 262144) == -1);
	// An aborted scan leaves no choice behind.
	oom_selection sel;
	CHECK_FALSE(oom_evaluate(&sel, proc(100), 0, 262144));
	CHECK(sel.chosen == 0);
	oom_candidate v2 = proc(1);
	v2.victim = true;
	CHECK(oom_evaluate(&sel, v2, 1, 262144));
	CHECK(sel.abort);
	CHECK(sel.chosen == -1);
}
