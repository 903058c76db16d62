// Interval timers (Linux's kernel/time/itimer.c): setitimer/getitimer with ITIMER_REAL, which
// sends SIGALRM to the process when it expires (arm64 has no alarm syscall: glibc's alarm()
// is setitimer(ITIMER_REAL)). ITIMER_VIRTUAL and ITIMER_PROF are not implemented: -EINVAL.
//
// The expiry is kept exactly, in counter ticks; the signal is sent by a tick timer
// (kernel/timer.cpp) at the first tick at or after it, never before. As on Linux, an interval
// timer re-arms when its SIGALRM is dequeued (dequeue_signal -> itimer_real_rearm), not when it
// fires, so that a process that does not take its signals is not flooded and overruns
// coalesce. State: signal_struct.real_timer/it_real_expires/it_real_incr under
// sighand->siglock; the timer function takes tasklist_lock, then siglock.
#include <asm/arch_timer.h>
#include <asm/uaccess.h>

#include "drivers/arch_timer.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/wait.h"

namespace {

constexpr long EFAULT_ = -14, EINVAL_ = -22;
constexpr u64 ITIMER_REAL = 0;

struct k_timeval {
	i64 sec, usec;
};
struct k_itimerval {
	k_timeval interval, value;
};

u64 tv_to_ticks(const k_timeval &tv)
{
	u64 f = arch_timer_get_cntfrq();
	u64 sec = static_cast<u64>(tv.sec);
	if (sec > ~u64{0} / f / 2)
		return ~u64{0} / 2; // far beyond any uptime: never
	return sec * f + (static_cast<u64>(tv.usec) * f + 999999) / 1000000; // rounded up
}

k_timeval ticks_to_tv(u64 ticks)
{
	u64 f = arch_timer_get_cntfrq();
	return {static_cast<i64>(ticks / f), static_cast<i64>((ticks % f) * 1000000 / f)};
}

// The jiffy whose tick comes at or after counter value `when`.
u64 jiffies_for(u64 when)
{
	u64 now = arch_counter_get_cntpct();
	u64 j = get_jiffies_64();
	if (when <= now)
		return j + 1;
	u64 period = arch_timer_get_cntfrq() / HZ;
	u64 d = (when - now + period - 1) / period;
	// +1: the current jiffy is partly over, its tick may come at once.
	return d > (~u64{0} >> 2) ? ~u64{0} >> 2 : j + d + 1;
}

signal_struct *timer_signal(timer_list *t)
{
	return reinterpret_cast<signal_struct *>(reinterpret_cast<char *>(t) - __builtin_offsetof(signal_struct, real_timer));
}

// The tick's timer function (IRQ context): SIGALRM to the process, from the kernel (SI_KERNEL,
// Linux's SEND_SIG_PRIV).
void it_real_fn(timer_list *tl) TA_NO_THREAD_SAFETY_ANALYSIS
{
	signal_struct *sig = timer_signal(tl);
	// Any live thread will do: the signal is process-directed. The thread list (and every
	// thread on it) cannot go away while tasklist_lock is held.
	SpinLockGuard g(tasklist_lock);
	task_struct *t = nullptr;
	list_for_each(pos, &sig->thread_head) {
		task_struct *c = list_entry(pos, task_struct, thread_node);
		if (!c->exit_state && !(c->flags & PF_EXITING)) {
			t = c;
			break;
		}
	}
	if (!t)
		return;
	{
		SpinLockGuard s(t->sighand->siglock);
		if (!sig->it_real_incr)
			sig->it_real_expires = 0; // one-shot: disarmed now
	}
	send_signal_info(SIGALRM, nullptr, t, true);
}

// Time left of ITIMER_REAL (siglock held). Like Linux, an armed timer whose expiry has just
// passed reads as 1 us, never as "disarmed".
k_itimerval get_real(signal_struct *sig) TA_NO_THREAD_SAFETY_ANALYSIS
{
	k_itimerval v{};
	v.interval = ticks_to_tv(sig->it_real_incr);
	if (sig->it_real_expires) {
		u64 now = arch_counter_get_cntpct();
		v.value = sig->it_real_expires > now ? ticks_to_tv(sig->it_real_expires - now) : k_timeval{0, 1};
		if (v.value.sec == 0 && v.value.usec == 0)
			v.value.usec = 1;
	}
	return v;
}

bool tv_valid(const k_timeval &tv) { return tv.sec >= 0 && tv.usec >= 0 && tv.usec < 1000000; }

} // namespace

void itimer_real_rearm(signal_struct *sig)
{
	if (!sig->it_real_incr || !sig->it_real_expires || sig->real_timer.pending)
		return;
	// Forward past now by whole intervals (Linux's hrtimer_forward): missed periods coalesce.
	u64 now = arch_counter_get_cntpct();
	if (sig->it_real_expires <= now) {
		u64 missed = (now - sig->it_real_expires) / sig->it_real_incr + 1;
		sig->it_real_expires += missed * sig->it_real_incr;
	}
	sig->real_timer.function = it_real_fn;
	sig->real_timer.expires = jiffies_for(sig->it_real_expires);
	add_timer(&sig->real_timer);
}

void exit_itimers(signal_struct *sig)
{
	sig->it_real_incr = 0;
	sig->it_real_expires = 0;
	del_timer_sync(&sig->real_timer);
}

long sys_getitimer(u64 which, u64 uvalue, u64, u64, u64, u64)
{
	if (which != ITIMER_REAL) // ITIMER_VIRTUAL, ITIMER_PROF: not implemented
		return EINVAL_;
	task_struct *t = current;
	k_itimerval v;
	{
		SpinLockGuard g(t->sighand->siglock);
		v = get_real(t->signal);
	}
	return copy_to_user(reinterpret_cast<void *>(uvalue), &v, sizeof(v)) ? EFAULT_ : 0;
}

long sys_setitimer(u64 which, u64 uvalue, u64 uovalue, u64, u64, u64)
{
	k_itimerval nw{};
	// A null new value disarms (a Linux "misfeature" it still supports).
	if (uvalue && copy_from_user(&nw, reinterpret_cast<const void *>(uvalue), sizeof(nw)))
		return EFAULT_;
	if (which != ITIMER_REAL)
		return EINVAL_; // ITIMER_VIRTUAL/ITIMER_PROF: not implemented
	if (!tv_valid(nw.value) || !tv_valid(nw.interval))
		return EINVAL_;
	task_struct *t = current;
	signal_struct *sig = t->signal;
	k_itimerval old;
	{
		// Disarm first: the timer function, if it runs on another CPU right now, finds the
		// timer disarmed; once del_timer_sync returns it is neither pending nor running.
		SpinLockGuard g(t->sighand->siglock);
		old = get_real(sig);
		sig->it_real_expires = 0;
		sig->it_real_incr = 0;
	}
	del_timer_sync(&sig->real_timer);
	{
		SpinLockGuard g(t->sighand->siglock);
		sig->it_real_incr = tv_to_ticks(nw.interval);
		u64 value = tv_to_ticks(nw.value);
		if (value) {
			sig->it_real_expires = arch_counter_get_cntpct() + value;
			sig->real_timer.function = it_real_fn;
			sig->real_timer.expires = jiffies_for(sig->it_real_expires);
			add_timer(&sig->real_timer);
		}
	}
	if (uovalue && copy_to_user(reinterpret_cast<void *>(uovalue), &old, sizeof(old)))
		return EFAULT_;
	return 0;
}
