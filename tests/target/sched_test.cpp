// Tasks and the scheduler on target: kernel threads, preemption by the tick, wait queues,
// timed sleeps, nice, and the task ledger. Deadlines below are in guest time and only bound a
// broken scheduler (which would otherwise hang the test); no outcome depends on how fast the
// host runs.
#include <asm/arch_timer.h>
#include <asm/irqflags.h>

#include "core/ktest.h"
#include "drivers/arch_timer.h"
#include "kernel/kthread.h"
#include "kernel/sched.h"
#include "kernel/process.h"
#include "kernel/wait.h"
#include "lib/cpio.h"
#include "kstd/string.h"

namespace {

constexpr u64 DEADLINE_S = 20;

u64 deadline()
{
	return arch_counter_get_cntpct() + DEADLINE_S * arch_timer_get_cntfrq();
}
bool before(u64 dl) { return arch_counter_get_cntpct() < dl; }

int return_arg(void *p) { return static_cast<int>(reinterpret_cast<long>(p)); }

int wait_for_stop(void *p)
{
	auto *runs = static_cast<int *>(p);
	__atomic_add_fetch(runs, 1, __ATOMIC_RELAXED);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
			break;
		}
		schedule();
	}
	return 42;
}

} // namespace

KTEST(sched, kthread_run_and_stop)
{
	unsigned long alive = nr_tasks_alive();
	task_struct *k = kthread_run(return_arg, reinterpret_cast<void *>(7L), "ktest-%d", 7);
	KT_ASSERT_TRUE(t, k != nullptr);
	KT_EXPECT_TRUE(t, k->flags & PF_KTHREAD);
	KT_EXPECT_EQ(t, strcmp(k->comm, "ktest-7"), 0);
	// Once it ran to its end, kthread_stop returns what the function returned.
	u64 dl0 = deadline();
	while (__atomic_load_n(&k->exit_state, __ATOMIC_ACQUIRE) != EXIT_ZOMBIE && before(dl0))
		schedule_timeout_uninterruptible(1);
	KT_EXPECT_EQ(t, task_state_char(k), 'Z');
	KT_EXPECT_EQ(t, kthread_stop(k), 7);

	int runs = 0;
	k = kthread_run(wait_for_stop, &runs, "ktest-sleeper");
	KT_ASSERT_TRUE(t, k != nullptr);
	u64 dl = deadline();
	while (__atomic_load_n(&runs, __ATOMIC_RELAXED) == 0 && before(dl))
		schedule_timeout_uninterruptible(1);
	KT_EXPECT_EQ(t, runs, 1);
	KT_EXPECT_EQ(t, kthread_stop(k), 42);

	// Stopped before it ever ran: the function never runs, as Linux's kthread_stop says.
	runs = 0;
	k = kthread_create(wait_for_stop, &runs, "ktest-never");
	KT_ASSERT_TRUE(t, k != nullptr);
	KT_EXPECT_EQ(t, kthread_stop(k), -4);
	KT_EXPECT_EQ(t, runs, 0);
	KT_EXPECT_EQ(t, nr_tasks_alive(), alive);
}

namespace {

struct spin_pair {
	unsigned long count[2];
	u64 deadline;
	int done;
};
spin_pair pair;

// Spins until the other thread made progress too: only preemption by the tick can let the
// other one run, since neither ever sleeps or yields.
unsigned long seen(int i) { return __atomic_load_n(&pair.count[i], __ATOMIC_RELAXED); }

template <int Me> int spinner(void *)
{
	while (seen(1 - Me) < 1000 && before(pair.deadline))
		__atomic_fetch_add(&pair.count[Me], 1, __ATOMIC_RELAXED);
	while (seen(Me) < 1000 && before(pair.deadline))
		__atomic_fetch_add(&pair.count[Me], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pair.done, 1, __ATOMIC_RELEASE);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

} // namespace

KTEST(sched, tick_preempts_spinning_threads)
{
	pair = {};
	pair.deadline = deadline();
	rq_stats s0 = rq_get_stats(0);
	task_struct *a = kthread_run(spinner<0>, nullptr, "spin0");
	task_struct *b = kthread_run(spinner<1>, nullptr, "spin1");
	KT_ASSERT_TRUE(t, a && b);
	while (__atomic_load_n(&pair.done, __ATOMIC_ACQUIRE) < 2 && before(pair.deadline + arch_timer_get_cntfrq()))
		schedule_timeout_uninterruptible(1);
	KT_EXPECT_GE(t, pair.count[0], 1000ul);
	KT_EXPECT_GE(t, pair.count[1], 1000ul);
	KT_EXPECT_GT(t, a->nivcsw + b->nivcsw, 0ul); // they were preempted, not yielding
	kthread_stop(a);
	kthread_stop(b);
	rq_stats s1 = rq_get_stats(0);
	KT_EXPECT_GT(t, s1.nr_switches, s0.nr_switches);
	KT_EXPECT_EQ(t, s1.check_errors, 0ul);
}

namespace {

struct wq_test {
	wait_queue_head wq;
	volatile int stage;
	int seen;
};

int wq_sleeper(void *p)
{
	auto *w = static_cast<wq_test *>(p);
	wait_event(w->wq, w->stage >= 1);
	w->seen = w->stage;
	w->stage = 2;
	wake_up(&w->wq);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

} // namespace

KTEST(sched, wait_queue_wakes_sleeper)
{
	wq_test w{};
	task_struct *k = kthread_run(wq_sleeper, &w, "wq-sleeper");
	KT_ASSERT_TRUE(t, k != nullptr);
	// Let it go to sleep on the queue (it must not busy-wait: it is 'D'/'I', not running).
	u64 dl = deadline();
	while (!waitqueue_active(&w.wq) && before(dl))
		schedule_timeout_uninterruptible(1);
	KT_EXPECT_TRUE(t, waitqueue_active(&w.wq));
	KT_EXPECT_EQ(t, task_state_char(k), 'I');
	w.stage = 1;
	wake_up(&w.wq);
	long left = wait_event_timeout(w.wq, w.stage == 2, static_cast<long>(DEADLINE_S * HZ));
	KT_EXPECT_GT(t, left, 0l);
	KT_EXPECT_EQ(t, w.seen, 1);
	kthread_stop(k);
}

KTEST(sched, schedule_timeout_sleeps_whole_jiffies)
{
	u64 j0 = get_jiffies_64();
	u64 c0 = arch_counter_get_cntpct();
	long left = schedule_timeout_uninterruptible(5);
	u64 j1 = get_jiffies_64();
	KT_EXPECT_EQ(t, left, 0l);
	KT_EXPECT_GE(t, j1 - j0, 5ul);
	// At least 4 full periods of the counter passed (the first jiffy may be partly gone).
	KT_EXPECT_GE(t, arch_counter_get_cntpct() - c0, 4 * arch_timer_info().period);
	// An expired timeout returns at once without sleeping.
	KT_EXPECT_EQ(t, schedule_timeout_uninterruptible(0), 0l);
}

KTEST(sched, nice_reweights_and_idle_is_pid0)
{
	task_struct *k = kthread_create(return_arg, nullptr, "nice-test");
	KT_ASSERT_TRUE(t, k != nullptr);
	set_user_nice(k, 5);
	KT_EXPECT_EQ(t, k->nice, 5);
	KT_EXPECT_EQ(t, k->se.weight, 335ul);
	set_user_nice(k, -40);
	KT_EXPECT_EQ(t, k->nice, -20);
	KT_EXPECT_EQ(t, k->se.weight, 88761ul);
	KT_EXPECT_EQ(t, kthread_stop(k), -4);
	// The test runs in PID 1, a kernel thread; nothing else it knows is running.
	KT_EXPECT_EQ(t, current->pid, 1);
	KT_EXPECT_TRUE(t, current->flags & PF_KTHREAD);
	KT_EXPECT_EQ(t, current->preempt_count, 0u);
	KT_EXPECT_FALSE(t, arch_irqs_disabled());
}

// Four copies of /bin/fpregs fill v0-v31, FPCR, FPSR and TPIDR_EL0 (and, while they spin long
// enough for the tick to preempt them, x1-x28) with their own patterns and check them after
// each of 300 yields while the others run: every switch between user tasks must save and
// restore all of it. Then one process with five threads does the same: switches between
// threads of one address space too.
KTEST(sched, user_tasks_keep_fp_simd_and_tls)
{
	kstd::span<const u8> rd = initramfs_image();
	auto e = cpio::find(rd, "/bin/fpregs");
	if (e.is_error()) {
		t.skip("no /bin/fpregs in the initramfs");
		return;
	}
	const char *argv[] = {"/bin/fpregs"};
	task_struct *tasks[4] = {};
	for (auto &tk : tasks) {
		auto r = spawn_program_image("/bin/fpregs", e.value().data, kstd::span<const char *const>(argv, 1), {});
		KT_EXPECT_FALSE(t, r.is_error());
		if (!r.is_error())
			tk = r.value();
	}
	unsigned long switches = 0;
	for (auto *tk : tasks) {
		if (!tk)
			continue;
		exit_info x = reap_program(tk);
		KT_EXPECT_EQ(t, (int)x.kind, (int)ExitKind::Exited);
		KT_EXPECT_EQ(t, x.status, 0);
		switches += x.nivcsw;
	}
	// Each yield with another copy runnable is a switch (involuntary, as Linux counts it).
	KT_EXPECT_GE(t, switches, 4ul * 100);

	const char *targv[] = {"/bin/fpregs", "--threads", "4"};
	auto r = run_program_image("/bin/fpregs", e.value().data, kstd::span<const char *const>(targv, 3), {});
	KT_ASSERT_TRUE(t, !r.is_error());
	KT_EXPECT_EQ(t, (int)r.value().kind, (int)ExitKind::Exited);
	KT_EXPECT_EQ(t, r.value().status, 0);
}
