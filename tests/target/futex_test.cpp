// futex(2) on target with real waiters: kernel threads that share one user address space, as
// Linux's kthread_use_mm lets a kernel thread work on a process's memory (TTBR0 switched to
// the mm, current->mm set), so that WAIT/WAKE/REQUEUE/WAKE_OP/bitsets/timeouts/signals and
// the exit-time robust-list and clear_child_tid handling all run against user pages with
// several sleepers. The suite ledger (pages, slab objects, tasks) must come back exact.
//
// No outcome depends on host speed: the tests wait for "N waiters queued" (futex_nr_waiters)
// rather than for time to pass; the guest-time deadlines only bound a broken kernel, which
// would otherwise hang. Timeout tests check a lower bound only (a futex never wakes early).
#include <asm/arch_timer.h>
#include <asm/futex.h>
#include <asm/pgtable.h>
#include <asm/uaccess.h>

#include "core/ktest.h"
#include "drivers/arch_timer.h"
#include "kernel/futex.h"
#include "kernel/kthread.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/wait.h"
#include "mm/mm_struct.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/sparse.h"

namespace {

constexpr long EAGAIN_ = -11, EFAULT_ = -14, EINVAL_ = -22, ENOSYS_ = -38, ETIMEDOUT_ = -110, ESRCH_ = -3;
constexpr int PRIV = FUTEX_PRIVATE_FLAG;
constexpr u32 INT_MAX_ = 0x7fffffff;

u64 deadline_s(u64 s) { return arch_counter_get_cntpct() + s * arch_timer_get_cntfrq(); }
u64 deadline() { return deadline_s(20); }
bool before(u64 dl) { return arch_counter_get_cntpct() < dl; }
u64 ms_ticks(u64 ms) { return ms * arch_timer_get_cntfrq() / 1000; }

// Linux's kthread_use_mm / kthread_unuse_mm: preemption off so that no switch sees mm set
// with the old TTBR0 (context_switch switches by next->mm). Each user holds mm_users, as a
// CLONE_VM thread does (futex_exit_release's clear_child_tid depends on it).
void use_mm(mm_struct *mm)
{
	mmget(mm);
	preempt_disable();
	current->mm = mm;
	check_and_switch_context(mm);
	preempt_enable();
}
void unuse_mm()
{
	mm_struct *mm = current->mm;
	preempt_disable();
	switch_to_kernel_context();
	current->mm = nullptr;
	preempt_enable();
	mmput(mm);
}

u32 uget(u64 a)
{
	u32 v = 0xdeadbeef;
	(void)copy_from_user(&v, reinterpret_cast<const void *>(a), sizeof(v));
	return v;
}
void uset(u64 a, u32 v) { (void)copy_to_user(reinterpret_cast<void *>(a), &v, sizeof(v)); }
void uset64(u64 a, u64 v) { (void)copy_to_user(reinterpret_cast<void *>(a), &v, sizeof(v)); }

// The test's address space: private pages at priv (8 of them), one MAP_SHARED page at shared,
// one read-only page at ro. The test thread uses it for the whole case.
struct test_mm {
	mm_struct *mm = nullptr;
	u64 priv = 0, shared = 0, ro = 0;
};

bool setup(test_mm &m)
{
	if (current->mm)
		return false; // the runner is a kernel thread without an address space
	auto r = mm_alloc();
	if (r.is_error())
		return false;
	m.mm = r.value();
	long p = ksys_mmap(m.mm, 0, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, ~0ul, 0);
	long s = ksys_mmap(m.mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, ~0ul, 0);
	long o = ksys_mmap(m.mm, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, ~0ul, 0);
	if (p < 0 || s < 0 || o < 0) {
		mmput(m.mm);
		return false;
	}
	m.priv = static_cast<u64>(p);
	m.shared = static_cast<u64>(s);
	m.ro = static_cast<u64>(o);
	use_mm(m.mm);
	return true;
}

void teardown(test_mm &m)
{
	unuse_mm();
	mmput(m.mm);
}

// A kernel thread in the test mm doing one futex call.
struct waiter {
	mm_struct *mm;
	u64 uaddr;
	int op;
	u32 val;
	u32 val3 = FUTEX_BITSET_MATCH_ANY;
	bool timed = false;
	u64 deadline = 0; // absolute counter ticks
	long result = 1;  // not a futex result: "has not returned"
	int done = 0;
	task_struct *task = nullptr;
};

int waiter_fn(void *p)
{
	auto *w = static_cast<waiter *>(p);
	use_mm(w->mm);
	long r = do_futex(w->uaddr, w->op, w->val, w->timed ? &w->deadline : nullptr, 0, 0, w->val3);
	// A test that interrupted the wait with a bare TIF_SIGPENDING takes it back here.
	__atomic_fetch_and(&current->ti_flags, ~(1ul << TIF_SIGPENDING), __ATOMIC_RELAXED);
	unuse_mm();
	w->result = r;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return 0;
}

bool start(waiter &w, mm_struct *mm, u64 uaddr, int op, u32 val)
{
	w.mm = mm;
	w.uaddr = uaddr;
	w.op = op;
	w.val = val;
	w.task = kthread_run(waiter_fn, &w, "futex-w");
	return w.task != nullptr;
}

bool is_done(const waiter &w) { return __atomic_load_n(&w.done, __ATOMIC_ACQUIRE); }

// Waits (bounded) until exactly n waiters are queued on the futex.
long wait_queued(u64 uaddr, int flags, long n)
{
	u64 dl = deadline();
	long q;
	while ((q = futex_nr_waiters(uaddr, flags)) != n && before(dl))
		schedule_timeout_uninterruptible(1);
	return q;
}

int count_done(const waiter *w, int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += is_done(w[i]);
	return c;
}

// Waits (bounded) until n of the waiters returned.
int wait_done(const waiter *w, int nw, int n)
{
	u64 dl = deadline();
	while (count_done(w, nw) < n && before(dl))
		schedule_timeout_uninterruptible(1);
	return count_done(w, nw);
}

// Ends every waiter: one still sleeping (a failed case) is woken on both kinds of key, so the
// suite never hangs and its ledger still balances.
void reap(waiter *w, int n)
{
	for (int i = 0; i < n; i++) {
		if (!w[i].task)
			continue;
		u64 dl = deadline();
		while (!is_done(w[i]) && before(dl)) {
			do_futex(w[i].uaddr, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0);
			do_futex(w[i].uaddr, FUTEX_WAKE, INT_MAX_, nullptr, 0, 0, 0);
			schedule_timeout_uninterruptible(1);
		}
		kthread_stop(w[i].task);
		w[i].task = nullptr;
	}
}

} // namespace

KTEST(futex, errors_match_linux)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv;
	uset(a, 5);
	// Misaligned words, for every op that takes one.
	KT_EXPECT_EQ(t, do_futex(a + 1, FUTEX_WAIT | PRIV, 5, nullptr, 0, 0, 0), EINVAL_);
	KT_EXPECT_EQ(t, do_futex(a + 2, FUTEX_WAKE, 1, nullptr, 0, 0, 0), EINVAL_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_REQUEUE | PRIV, 1, nullptr, a + 1, 1, 0), EINVAL_);
	// The value differs: EAGAIN, nothing queued.
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAIT | PRIV, 4, nullptr, 0, 0, 0), EAGAIN_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAIT, 4, nullptr, 0, 0, 0), EAGAIN_);
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 0l);
	// Unmapped: the wait reads the word (EFAULT); a private wake needs no memory at all (0),
	// a shared one looks the page up (EFAULT). Kernel addresses never pass.
	u64 hole = m.priv + 64 * PAGE_SIZE;
	KT_EXPECT_TRUE(t, find_vma_intersection(m.mm, hole, hole + 4) == nullptr);
	KT_EXPECT_EQ(t, do_futex(hole, FUTEX_WAIT | PRIV, 0, nullptr, 0, 0, 0), EFAULT_);
	KT_EXPECT_EQ(t, do_futex(hole, FUTEX_WAKE | PRIV, 1, nullptr, 0, 0, 0), 0l);
	KT_EXPECT_EQ(t, do_futex(hole, FUTEX_WAKE, 1, nullptr, 0, 0, 0), EFAULT_);
	u64 kaddr = reinterpret_cast<u64>(&m);
	KT_EXPECT_EQ(t, do_futex(kaddr, FUTEX_WAIT | PRIV, 0, nullptr, 0, 0, 0), EFAULT_);
	KT_EXPECT_EQ(t, do_futex(kaddr, FUTEX_WAKE | PRIV, 1, nullptr, 0, 0, 0), EFAULT_);
	// Unknown and unimplemented ops; FUTEX_CLOCK_REALTIME only with the bitset wait.
	KT_EXPECT_EQ(t, do_futex(a, 14 | PRIV, 0, nullptr, 0, 0, 0), ENOSYS_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_FD, 0, nullptr, 0, 0, 0), ENOSYS_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_LOCK_PI | PRIV, 0, nullptr, 0, 0, 0), ENOSYS_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, nullptr, 0, 0, 0), ENOSYS_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, nullptr, 0, 0, 0), ENOSYS_);
	// An empty bitset matches nothing: EINVAL for both directions.
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAIT_BITSET | PRIV, 5, nullptr, 0, 0, 0), EINVAL_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_BITSET | PRIV, 1, nullptr, 0, 0, 0), EINVAL_);
	// Negative counts for requeue; CMP_REQUEUE compares first.
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_REQUEUE | PRIV, u32(-1), nullptr, a + 4, 1, 0), EINVAL_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_CMP_REQUEUE | PRIV, 1, nullptr, a + 4, u32(-1), 5), EINVAL_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_CMP_REQUEUE | PRIV, 1, nullptr, a + 4, 1, 6), EAGAIN_);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_CMP_REQUEUE | PRIV, 1, nullptr, a + 4, 1, 5), 0l);
	// WAKE_OP: an unknown op touches nothing; an unknown comparison comes after the op
	// (Linux applies it, then fails). A read-only word cannot be operated on.
	u64 b = a + 8;
	uset(b, 10);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_OP | PRIV, 1, nullptr, b, 1, FUTEX_OP(5, 1, 0, 0)), ENOSYS_);
	KT_EXPECT_EQ(t, uget(b), 10u);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_OP | PRIV, 1, nullptr, b, 1, FUTEX_OP(FUTEX_OP_ADD, 1, 6, 0)),
		     ENOSYS_);
	KT_EXPECT_EQ(t, uget(b), 11u);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_OP | PRIV, 1, nullptr, m.ro, 1, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)),
		     EFAULT_);
	KT_EXPECT_EQ(t, uget(m.ro), 0u);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_OP | PRIV, 1, nullptr, hole, 1, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)),
		     EFAULT_);
	// A read-only private page: readable for a private wait (the value differs: EAGAIN), but
	// a shared key on read-only anonymous memory is EFAULT, as on Linux.
	KT_EXPECT_EQ(t, do_futex(m.ro, FUTEX_WAIT | PRIV, 1, nullptr, 0, 0, 0), EAGAIN_);
	KT_EXPECT_EQ(t, do_futex(m.ro, FUTEX_WAIT, 1, nullptr, 0, 0, 0), EFAULT_);

	// The syscall's own decoding: the timespec is read for waits only (EFAULT, EINVAL).
	u64 ts = a + 64;
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT | PRIV, 5, hole, 0, 0), EFAULT_);
	uset64(ts, 0);
	uset64(ts + 8, 1000000000);
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT | PRIV, 5, ts, 0, 0), EINVAL_);
	uset64(ts, u64(-1));
	uset64(ts + 8, 0);
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT_BITSET | PRIV, 5, ts, 0, ~0ul), EINVAL_);
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAKE | PRIV, 1, hole, 0, 0), 0l); // not a timespec for WAKE

	// set_robust_list / get_robust_list.
	u64 saved = current->robust_list;
	KT_EXPECT_EQ(t, sys_set_robust_list(a + 128, 23, 0, 0, 0, 0), EINVAL_);
	KT_EXPECT_EQ(t, sys_set_robust_list(a + 128, 24, 0, 0, 0, 0), 0l);
	uset64(a + 200, 0);
	uset64(a + 208, 0);
	KT_EXPECT_EQ(t, sys_get_robust_list(0, a + 200, a + 208, 0, 0, 0), 0l);
	u64 got[2] = {};
	(void)copy_from_user(got, reinterpret_cast<const void *>(a + 200), sizeof(got));
	KT_EXPECT_EQ(t, got[0], a + 128);
	KT_EXPECT_EQ(t, got[1], 24ul);
	KT_EXPECT_EQ(t, sys_get_robust_list(u64(-5), a + 200, a + 208, 0, 0, 0), ESRCH_);
	KT_EXPECT_EQ(t, sys_get_robust_list(0x7ffffff0, a + 200, a + 208, 0, 0, 0), ESRCH_);
	KT_EXPECT_EQ(t, sys_get_robust_list(0, hole, a + 208, 0, 0, 0), EFAULT_);
	current->robust_list = saved;
	teardown(m);
}

KTEST(futex, wait_and_wake_count_exactly)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv;
	uset(a, 0);
	waiter w[3];
	for (auto &x : w)
		KT_ASSERT_TRUE(t, start(x, m.mm, a, FUTEX_WAIT | PRIV, 0));
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 3), 3l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, 1, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 3, 1), 1);
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 2l);
	// Linux wakes one even for a count of 0 (its loop tests after the first wake-up).
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, 0, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 3, 2), 2);
	// Other words, and the same word with a shared key, have nobody.
	KT_EXPECT_EQ(t, do_futex(a + 4, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0), 0l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE, INT_MAX_, nullptr, 0, 0, 0), 0l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 3, 3), 3);
	for (auto &x : w)
		KT_EXPECT_EQ(t, x.result, 0l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0), 0l);
	reap(w, 3);
	teardown(m);
}

KTEST(futex, private_and_shared_keys_differ)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv + PAGE_SIZE + 12;
	uset(a, 7);
	waiter w[2];
	KT_ASSERT_TRUE(t, start(w[0], m.mm, a, FUTEX_WAIT | PRIV, 7));
	KT_ASSERT_TRUE(t, start(w[1], m.mm, a, FUTEX_WAIT, 7));
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 1), 1l);
	KT_EXPECT_EQ(t, wait_queued(a, 0, 1), 1l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE, INT_MAX_, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 2, 1), 1);
	KT_EXPECT_TRUE(t, is_done(w[1]) && !is_done(w[0]));
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 2, 2), 2);
	KT_EXPECT_EQ(t, w[0].result, 0l);
	KT_EXPECT_EQ(t, w[1].result, 0l);
	reap(w, 2);
	teardown(m);
}

KTEST(futex, requeue_and_cmp_requeue)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv, b = m.priv + 2 * PAGE_SIZE;
	uset(a, 1);
	uset(b, 2);
	waiter w[4];
	for (auto &x : w)
		KT_ASSERT_TRUE(t, start(x, m.mm, a, FUTEX_WAIT | PRIV, 1));
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 4), 4l);
	// One woken, two moved to b: the result counts both.
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_REQUEUE | PRIV, 1, nullptr, b, 2, 0), 3l);
	KT_EXPECT_EQ(t, wait_done(w, 4, 1), 1);
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 1l);
	KT_EXPECT_EQ(t, futex_nr_waiters(b, PRIV), 2l);
	// CMP_REQUEUE: the word must still hold val3.
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_CMP_REQUEUE | PRIV, 0, nullptr, b, INT_MAX_, 2), EAGAIN_);
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 1l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_CMP_REQUEUE | PRIV, 0, nullptr, b, INT_MAX_, 1), 1l);
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 0l);
	KT_EXPECT_EQ(t, futex_nr_waiters(b, PRIV), 3l);
	KT_EXPECT_EQ(t, count_done(w, 4), 1);
	// Requeue with no room to move only wakes.
	KT_EXPECT_EQ(t, do_futex(b, FUTEX_REQUEUE | PRIV, 1, nullptr, a, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 4, 2), 2);
	KT_EXPECT_EQ(t, do_futex(b, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0), 2l);
	KT_EXPECT_EQ(t, wait_done(w, 4, 4), 4);
	for (auto &x : w)
		KT_EXPECT_EQ(t, x.result, 0l);
	reap(w, 4);
	teardown(m);
}

namespace {

struct op_case {
	int op, oparg;
	u32 before, after;
};
struct cmp_case {
	int cmp, cmparg;
	u32 oldval;
	bool truth;
};

} // namespace

KTEST(futex, wake_op_every_op_and_comparison)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv, b = m.priv + 3 * PAGE_SIZE + 40;
	// Every op, with oparg's sign extension (-1 is 0xfff) and the shift form.
	const op_case ops[] = {
		{FUTEX_OP_SET, 0x123, 7, 0x123},
		{FUTEX_OP_SET, -1, 7, 0xffffffff},
		{FUTEX_OP_ADD, 5, 10, 15},
		{FUTEX_OP_ADD, -3, 10, 7},
		{FUTEX_OP_OR, 0x30, 0x0f, 0x3f},
		{FUTEX_OP_ANDN, 0x3, 0xff, 0xfc},
		{FUTEX_OP_XOR, 0xff, 0x0f, 0xf0},
		{FUTEX_OP_OPARG_SHIFT | FUTEX_OP_OR, 5, 1, 0x21},
		{FUTEX_OP_OPARG_SHIFT | FUTEX_OP_SET, 31, 0, 0x80000000},
	};
	for (const op_case &c : ops) {
		uset(b, c.before);
		KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_OP | PRIV, 1, nullptr, b, 1, FUTEX_OP(c.op, c.oparg, 0, 0)), 0l);
		KT_EXPECT_EQ(t, uget(b), c.after);
	}
	// Every comparison (signed, on the old value) decides whether b's waiter is woken: one
	// waiter on b stays until a true comparison wakes it, then a new one takes its place.
	const cmp_case cmps[] = {
		{FUTEX_OP_CMP_EQ, 3, 3, true},   {FUTEX_OP_CMP_EQ, 3, 4, false},
		{FUTEX_OP_CMP_NE, 3, 4, true},   {FUTEX_OP_CMP_NE, 3, 3, false},
		{FUTEX_OP_CMP_LT, 3, 2, true},   {FUTEX_OP_CMP_LT, 3, 3, false},
		{FUTEX_OP_CMP_LE, 3, 3, true},   {FUTEX_OP_CMP_LE, 3, 4, false},
		{FUTEX_OP_CMP_GT, 3, 4, true},   {FUTEX_OP_CMP_GT, 3, 3, false},
		{FUTEX_OP_CMP_GE, 3, 3, true},   {FUTEX_OP_CMP_GE, 3, 2, false},
		{FUTEX_OP_CMP_EQ, -1, 0xffffffff, true}, {FUTEX_OP_CMP_LT, 0, 0x80000000, true},
	};
	waiter w[16];
	int nw = 0;
	bool need = true;
	constexpr u32 PARKED = 0x5a5; // waiters on b wait for it; the op sets it back (12-bit oparg)
	for (const cmp_case &c : cmps) {
		if (need) {
			uset(b, PARKED);
			KT_ASSERT_TRUE(t, nw < 16 && start(w[nw], m.mm, b, FUTEX_WAIT | PRIV, PARKED));
			nw++;
			KT_EXPECT_EQ(t, wait_queued(b, PRIV, 1), 1l);
			need = false;
		}
		uset(b, c.oldval);
		// SET PARKED: the next waiter can queue on b without a race on the value.
		long r = do_futex(a, FUTEX_WAKE_OP | PRIV, 1, nullptr, b, 1, FUTEX_OP(FUTEX_OP_SET, PARKED, c.cmp, c.cmparg));
		KT_EXPECT_EQ(t, r, c.truth ? 1l : 0l);
		KT_EXPECT_EQ(t, uget(b), PARKED);
		if (c.truth) {
			KT_EXPECT_EQ(t, wait_done(w, nw, nw), nw);
			need = true;
		}
	}
	// Waiters on both words: nr_wake on the first always, nr_wake2 on the second when true.
	if (need) {
		uset(b, PARKED);
		KT_ASSERT_TRUE(t, start(w[nw], m.mm, b, FUTEX_WAIT | PRIV, PARKED));
		nw++;
	}
	uset(a, 9);
	KT_ASSERT_TRUE(t, start(w[nw], m.mm, a, FUTEX_WAIT | PRIV, 9));
	nw++;
	KT_ASSERT_TRUE(t, start(w[nw], m.mm, a, FUTEX_WAIT | PRIV, 9));
	nw++;
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 2), 2l);
	KT_EXPECT_EQ(t, wait_queued(b, PRIV, 1), 1l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_OP | PRIV, 2, nullptr, b, 1, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, PARKED)),
		     3l);
	KT_EXPECT_EQ(t, uget(b), PARKED + 1);
	KT_EXPECT_EQ(t, wait_done(w, nw, nw), nw);
	for (int i = 0; i < nw; i++)
		KT_EXPECT_EQ(t, w[i].result, 0l);
	reap(w, nw);
	teardown(m);
}

KTEST(futex, bitset_selects_waiters)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv + 100 * 4;
	uset(a, 3);
	waiter w[3];
	w[0].val3 = 0x1;
	w[1].val3 = 0x2;
	w[2].val3 = 0x6;
	for (auto &x : w)
		KT_ASSERT_TRUE(t, start(x, m.mm, a, FUTEX_WAIT_BITSET | PRIV, 3));
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 3), 3l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_BITSET | PRIV, INT_MAX_, nullptr, 0, 0, 0x8), 0l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE_BITSET | PRIV, INT_MAX_, nullptr, 0, 0, 0x2), 2l);
	KT_EXPECT_EQ(t, wait_done(w, 3, 2), 2);
	KT_EXPECT_TRUE(t, !is_done(w[0]) && is_done(w[1]) && is_done(w[2]));
	// Plain FUTEX_WAKE matches any bitset.
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 3, 3), 3);
	for (auto &x : w)
		KT_EXPECT_EQ(t, x.result, 0l);
	reap(w, 3);
	teardown(m);
}

KTEST(futex, timeouts_never_early)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv, ts = m.priv + 256;
	uset(a, 0);
	u64 f = arch_timer_get_cntfrq();
	// FUTEX_WAIT: relative.
	uset64(ts, 0);
	uset64(ts + 8, 30000000); // 30 ms
	u64 t0 = arch_counter_get_cntpct();
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT | PRIV, 0, ts, 0, 0), ETIMEDOUT_);
	KT_EXPECT_GE(t, arch_counter_get_cntpct() - t0, ms_ticks(30));
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 0l);
	// FUTEX_WAIT_BITSET: absolute on CLOCK_MONOTONIC and on CLOCK_REALTIME (both the
	// counter here, as clock_gettime reads them).
	for (int clk : {0, FUTEX_CLOCK_REALTIME}) {
		u64 now = arch_counter_get_cntpct();
		u64 target = now + ms_ticks(25);
		uset64(ts, target / f);
		uset64(ts + 8, (target % f) * 1000000000ull / f);
		KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT_BITSET | PRIV | clk, 0, ts, 0, ~0ul), ETIMEDOUT_);
		KT_EXPECT_GE(t, arch_counter_get_cntpct(), target);
	}
	// An absolute time already past times out at once; a mismatch is reported first.
	uset64(ts, 0);
	uset64(ts + 8, 1);
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT_BITSET | PRIV, 0, ts, 0, ~0ul), ETIMEDOUT_);
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT_BITSET | PRIV, 1, ts, 0, ~0ul), EAGAIN_);
	// The shared (non-private) timed wait takes the same path.
	uset64(ts, 0);
	uset64(ts + 8, 10000000);
	t0 = arch_counter_get_cntpct();
	KT_EXPECT_EQ(t, sys_futex(a, FUTEX_WAIT, 0, ts, 0, 0), ETIMEDOUT_);
	KT_EXPECT_GE(t, arch_counter_get_cntpct() - t0, ms_ticks(10));
	// A timed waiter woken before its timeout returns 0.
	waiter w[1];
	w[0].timed = true;
	w[0].deadline = deadline_s(60);
	KT_ASSERT_TRUE(t, start(w[0], m.mm, a, FUTEX_WAIT | PRIV, 0));
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 1), 1l);
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, 1, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 1, 1), 1);
	KT_EXPECT_EQ(t, w[0].result, 0l);
	reap(w, 1);
	teardown(m);
}

KTEST(futex, signal_ends_the_wait)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.priv + 44;
	uset(a, 1);
	waiter w[2];
	KT_ASSERT_TRUE(t, start(w[0], m.mm, a, FUTEX_WAIT | PRIV, 1));
	w[1].timed = true;
	w[1].deadline = deadline_s(60);
	KT_ASSERT_TRUE(t, start(w[1], m.mm, a, FUTEX_WAIT_BITSET | PRIV, 1));
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 2), 2l);
	// What a signal does to a sleeper (signal_wake_up: TIF_SIGPENDING, then the wake-up).
	signal_wake_up(w[0].task, false);
	KT_EXPECT_EQ(t, wait_done(w, 2, 1), 1);
	KT_EXPECT_EQ(t, w[0].result, -ERESTARTSYS);
	signal_wake_up(w[1].task, false);
	KT_EXPECT_EQ(t, wait_done(w, 2, 2), 2);
	KT_EXPECT_EQ(t, w[1].result, -ERESTARTNOHAND);
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 0l);
	// A spurious wake-up (no signal, no futex wake) does not end a wait.
	waiter s[1];
	KT_ASSERT_TRUE(t, start(s[0], m.mm, a, FUTEX_WAIT | PRIV, 1));
	KT_EXPECT_EQ(t, wait_queued(a, PRIV, 1), 1l);
	wake_up_process(s[0].task);
	schedule_timeout_uninterruptible(2);
	KT_EXPECT_EQ(t, futex_nr_waiters(a, PRIV), 1l);
	KT_EXPECT_FALSE(t, is_done(s[0]));
	KT_EXPECT_EQ(t, do_futex(a, FUTEX_WAKE | PRIV, 1, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(s, 1, 1), 1);
	KT_EXPECT_EQ(t, s[0].result, 0l);
	reap(w, 2);
	reap(s, 1);
	teardown(m);
}

KTEST(futex, shared_mapping_keys_by_page)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 a = m.shared + 16;
	uset(a, 4);
	u64 *pte = mm_pte_lookup(m.mm, m.shared);
	KT_ASSERT_TRUE(t, pte && pte_valid(*pte));
	page *p = pfn_to_page(pte_pfn(*pte));
	int refs = page_count(p);
	waiter w[1];
	KT_ASSERT_TRUE(t, start(w[0], m.mm, a, FUTEX_WAIT, 4));
	KT_EXPECT_EQ(t, wait_queued(a, 0, 1), 1l);
	// The queued waiter pins the page its key names.
	KT_EXPECT_EQ(t, page_count(p), refs + 1);
	// Move the mapping: the page, not the address, is the key, so a wake through the new
	// address finds the waiter (a private key would not).
	u64 dst = m.priv + 16 * PAGE_SIZE;
	KT_EXPECT_TRUE(t, find_vma_intersection(m.mm, dst, dst + PAGE_SIZE) == nullptr);
	long moved;
	{
		WriteGuard g(m.mm->mmap_lock); // as sys_mremap: the waiter's mm is shared
		moved = ksys_mremap(m.mm, m.shared, PAGE_SIZE, PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	}
	KT_EXPECT_EQ(t, moved, static_cast<long>(dst));
	KT_EXPECT_EQ(t, do_futex(dst + 16, FUTEX_WAKE | PRIV, 1, nullptr, 0, 0, 0), 0l);
	KT_EXPECT_EQ(t, futex_nr_waiters(dst + 16, 0), 1l);
	KT_EXPECT_EQ(t, do_futex(dst + 16, FUTEX_WAKE, 1, nullptr, 0, 0, 0), 1l);
	KT_EXPECT_EQ(t, wait_done(w, 1, 1), 1);
	KT_EXPECT_EQ(t, w[0].result, 0l);
	KT_EXPECT_EQ(t, page_count(p), refs);
	reap(w, 1);
	teardown(m);
}

namespace {

// A thread that owns futexes and exits: futex_exit_release on itself, as do_exit calls it.
struct owner_arg {
	mm_struct *mm;
	u64 robust_head, clear_tid;
	int go;
	u64 robust_after, tid_after;
	int done;
};

int owner_fn(void *p)
{
	auto *o = static_cast<owner_arg *>(p);
	use_mm(o->mm);
	current->robust_list = o->robust_head;
	current->robust_len = o->robust_head ? 24 : 0;
	current->clear_child_tid = o->clear_tid;
	futex_exit_release(current);
	o->robust_after = current->robust_list;
	o->tid_after = current->clear_child_tid;
	unuse_mm();
	__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	return 0;
}

bool owner_finished(owner_arg &o)
{
	u64 dl = deadline();
	while (!__atomic_load_n(&o.done, __ATOMIC_ACQUIRE) && before(dl))
		schedule_timeout_uninterruptible(1);
	return __atomic_load_n(&o.done, __ATOMIC_ACQUIRE);
}

} // namespace

KTEST(futex, robust_list_and_clear_child_tid_at_exit)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	owner_arg o{};
	o.mm = m.mm;
	task_struct *k = kthread_create(owner_fn, &o, "futex-owner");
	KT_ASSERT_TRUE(t, k != nullptr);
	u32 tid = static_cast<u32>(k->pid);
	// struct robust_list_head at H; entries E1, E2 with their futex words at +futex_offset;
	// E3 is list_op_pending (not on the list) with owner 0: only woken.
	const u64 H = m.priv + 4 * PAGE_SIZE, E1 = H + 64, E2 = H + 128, E3 = H + 192, E4 = H + 256;
	const i64 off = 32;
	const u64 clear = H + 512;
	uset64(H, E1);
	uset64(H + 8, static_cast<u64>(off));
	uset64(H + 16, E3);
	uset64(E1, E2);
	uset64(E2, E4);
	uset64(E4, H);
	uset(E1 + off, tid | FUTEX_WAITERS); // held by the owner, contended
	uset(E2 + off, 1234);                // someone else's
	uset(E3 + off, 0);                   // unlocked; its unlock was interrupted before the wake
	uset(E4 + off, tid);                 // held, nobody waiting
	uset(clear, tid);
	o.robust_head = H;
	o.clear_tid = clear;
	// Robust mutexes wait with shared ops (exit wakes with one); pthread_join waits on the tid.
	waiter w[3];
	KT_ASSERT_TRUE(t, start(w[0], m.mm, E1 + off, FUTEX_WAIT, tid | FUTEX_WAITERS));
	KT_ASSERT_TRUE(t, start(w[1], m.mm, E3 + off, FUTEX_WAIT, 0));
	KT_ASSERT_TRUE(t, start(w[2], m.mm, clear, FUTEX_WAIT, tid));
	KT_EXPECT_EQ(t, wait_queued(E1 + off, 0, 1), 1l);
	KT_EXPECT_EQ(t, wait_queued(E3 + off, 0, 1), 1l);
	KT_EXPECT_EQ(t, wait_queued(clear, 0, 1), 1l);
	wake_up_process(k);
	KT_EXPECT_TRUE(t, owner_finished(o));
	KT_EXPECT_EQ(t, kthread_stop(k), 0);
	KT_EXPECT_EQ(t, wait_done(w, 3, 3), 3);
	for (auto &x : w)
		KT_EXPECT_EQ(t, x.result, 0l);
	KT_EXPECT_EQ(t, uget(E1 + off), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	KT_EXPECT_EQ(t, uget(E2 + off), 1234u);
	KT_EXPECT_EQ(t, uget(E3 + off), 0u);
	KT_EXPECT_EQ(t, uget(E4 + off), FUTEX_OWNER_DIED);
	KT_EXPECT_EQ(t, uget(clear), 0u);
	KT_EXPECT_EQ(t, o.robust_after, 0ul);
	KT_EXPECT_EQ(t, o.tid_after, 0ul);
	reap(w, 3);

	// A circular list never reaching the head: the walk stops after ROBUST_LIST_LIMIT
	// entries. A list running into unmapped memory stops there. Neither hangs nor faults.
	owner_arg o2{};
	o2.mm = m.mm;
	k = kthread_create(owner_fn, &o2, "futex-owner");
	KT_ASSERT_TRUE(t, k != nullptr);
	tid = static_cast<u32>(k->pid);
	uset64(H, E1);
	uset64(H + 16, 0);
	uset64(E1, E2);
	uset64(E2, E1);
	uset(E1 + off, tid);
	uset(E2 + off, tid);
	o2.robust_head = H;
	wake_up_process(k);
	KT_EXPECT_TRUE(t, owner_finished(o2));
	KT_EXPECT_EQ(t, kthread_stop(k), 0);
	KT_EXPECT_EQ(t, uget(E1 + off), FUTEX_OWNER_DIED);
	KT_EXPECT_EQ(t, uget(E2 + off), FUTEX_OWNER_DIED);

	owner_arg o3{};
	o3.mm = m.mm;
	k = kthread_create(owner_fn, &o3, "futex-owner");
	KT_ASSERT_TRUE(t, k != nullptr);
	tid = static_cast<u32>(k->pid);
	uset64(E1, m.priv + 64 * PAGE_SIZE); // unmapped
	uset(E1 + off, tid);
	uset(clear, tid);
	o3.robust_head = H;
	o3.clear_tid = clear;
	wake_up_process(k);
	KT_EXPECT_TRUE(t, owner_finished(o3));
	KT_EXPECT_EQ(t, kthread_stop(k), 0);
	KT_EXPECT_EQ(t, uget(E1 + off), FUTEX_OWNER_DIED); // handled before its next was read
	KT_EXPECT_EQ(t, uget(clear), 0u);                  // clear_child_tid still done

	// No mm (a kernel thread): nothing to walk, the fields are cleared all the same.
	teardown(m);
	u64 saved_rl = current->robust_list, saved_ct = current->clear_child_tid;
	current->robust_list = 0x1000;
	current->clear_child_tid = 0x2000;
	futex_exit_release(current);
	KT_EXPECT_EQ(t, current->robust_list, 0ul);
	KT_EXPECT_EQ(t, current->clear_child_tid, 0ul);
	current->robust_list = saved_rl;
	current->clear_child_tid = saved_ct;
}

namespace {

// A futex mutex (Drepper's "Futexes Are Tricky", mutex 2) over a user word: 0 unlocked,
// 1 locked, 2 locked with waiters. The counter next to it is plain memory it protects.
struct counter_arg {
	mm_struct *mm;
	u64 lock, counter;
	int iterations;
	int done;
	long errors;
	long waits; // FUTEX_WAITs that slept and were woken (0 returned)
};

u32 cmpxchg_user(u64 uaddr, u32 oldv, u32 newv)
{
	u32 cur;
	for (;;) {
		int r = futex_atomic_cmpxchg_inatomic(&cur, uaddr, oldv, newv);
		if (r == 0)
			return cur;
		if (r == -14 && fault_in_user(uaddr, 4, true) != 4)
			return ~0u;
	}
}

u32 xchg_user(u64 uaddr, u32 v)
{
	for (;;) {
		int old;
		int r = arch_futex_atomic_op_inuser(FUTEX_OP_SET, static_cast<int>(v), &old, uaddr);
		if (r == 0)
			return static_cast<u32>(old);
		if (r == -14 && fault_in_user(uaddr, 4, true) != 4)
			return ~0u;
	}
}

int counter_fn(void *p)
{
	auto *c = static_cast<counter_arg *>(p);
	use_mm(c->mm);
	for (int i = 0; i < c->iterations; i++) {
		u32 v = cmpxchg_user(c->lock, 0, 1);
		if (v != 0) {
			if (v != 2)
				v = xchg_user(c->lock, 2);
			while (v != 0) {
				long r = do_futex(c->lock, FUTEX_WAIT | PRIV, 2, nullptr, 0, 0, 0);
				if (r == 0)
					c->waits++;
				else if (r != EAGAIN_)
					c->errors++;
				v = xchg_user(c->lock, 2);
			}
		}
		u32 n = uget(c->counter);
		if ((i & 7) == 0)
			yield(); // hold the lock across a switch now and then: contention
		uset(c->counter, n + 1);
		if (xchg_user(c->lock, 0) == 2)
			do_futex(c->lock, FUTEX_WAKE | PRIV, 1, nullptr, 0, 0, 0);
	}
	unuse_mm();
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return 0;
}

} // namespace

KTEST(futex, four_threads_one_futex_protected_counter)
{
	test_mm m;
	KT_ASSERT_TRUE(t, setup(m));
	u64 lock = m.priv + 5 * PAGE_SIZE, counter = lock + 4;
	uset(lock, 0);
	uset(counter, 0);
	constexpr int N = 4, ITER = 2000;
	counter_arg c[N];
	task_struct *k[N];
	for (int i = 0; i < N; i++) {
		c[i] = {m.mm, lock, counter, ITER, 0, 0, 0};
		k[i] = kthread_run(counter_fn, &c[i], "futex-ctr%d", i);
		KT_ASSERT_TRUE(t, k[i] != nullptr);
	}
	u64 dl = deadline_s(60);
	for (int i = 0; i < N; i++)
		while (!__atomic_load_n(&c[i].done, __ATOMIC_ACQUIRE) && before(dl))
			schedule_timeout_uninterruptible(1);
	long errors = 0, waits = 0;
	for (int i = 0; i < N; i++) {
		KT_EXPECT_TRUE(t, __atomic_load_n(&c[i].done, __ATOMIC_ACQUIRE));
		// A thread stuck in a lost wake-up (a failed case) is freed so the suite ends.
		while (!__atomic_load_n(&c[i].done, __ATOMIC_ACQUIRE)) {
			do_futex(lock, FUTEX_WAKE | PRIV, INT_MAX_, nullptr, 0, 0, 0);
			schedule_timeout_uninterruptible(1);
		}
		errors += c[i].errors;
		waits += c[i].waits;
		kthread_stop(k[i]);
	}
	t.log("%d threads x %d increments, %ld futex sleeps", N, ITER, waits);
	KT_EXPECT_EQ(t, errors, 0l);
	KT_EXPECT_GT(t, waits, 0l); // the lock was contended: the sleeps and wake-ups were exercised
	KT_EXPECT_EQ(t, uget(counter), static_cast<u32>(N * ITER));
	KT_EXPECT_EQ(t, uget(lock), 0u);
	KT_EXPECT_EQ(t, futex_nr_waiters(lock, PRIV), 0l);
	teardown(m);
}
