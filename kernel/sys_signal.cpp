// The signal syscalls (Linux's kernel/signal.c syscalls, AArch64 numbers): rt_sigaction,
// rt_sigprocmask, rt_sigpending, rt_sigsuspend, rt_sigtimedwait, sigaltstack, kill, tkill,
// tgkill and restart_syscall. rt_sigreturn is arch/arm64/signal.cpp's, setitimer/getitimer
// kernel/itimer.cpp's. Errors are Linux's, in Linux's order.
#include <asm/arch_timer.h>
#include <asm/sigframe.h>
#include <asm/uaccess.h>

#include "drivers/arch_timer.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/wait.h"
#include "kstd/string.h"

namespace {

constexpr long ESRCH_ = -3, EINTR_ = -4, EAGAIN_ = -11, EFAULT_ = -14, EINVAL_ = -22;
constexpr ksigset_t KERNEL_ONLY = sigmask(SIGKILL) | sigmask(SIGSTOP);
// The sa_flags bits Linux 6.1 keeps (UAPI_SA_FLAGS with arm64's SA_RESTORER and
// SA_EXPOSE_TAGBITS): unknown bits are cleared so that user space can detect them missing.
constexpr u64 SA_EXPOSE_TAGBITS = 0x800;
constexpr u64 UAPI_SA_FLAGS = SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER |
			      SA_RESETHAND | SA_EXPOSE_TAGBITS | SA_RESTORER;

template <typename T> bool get_user(T &dst, u64 uaddr)
{
	return copy_from_user(&dst, reinterpret_cast<const void *>(uaddr), sizeof(T)) == 0;
}
template <typename T> bool put_user(const T &src, u64 uaddr)
{
	return copy_to_user(reinterpret_cast<void *>(uaddr), &src, sizeof(T)) == 0;
}

bool valid_signal(u64 sig) { return sig <= u64(_NSIG); }

bool sig_ignored_by(u64 handler, int sig)
{
	constexpr ksigset_t DEFAULT_IGNORE = sigmask(SIGCHLD) | sigmask(SIGCONT) | sigmask(SIGURG) | sigmask(SIGWINCH);
	return handler == SIG_IGN || (handler == SIG_DFL && sig < SIGRTMIN && (DEFAULT_IGNORE & sigmask(sig)));
}

} // namespace

long sys_rt_sigaction(u64 sig, u64 uact, u64 uoact, u64 sigsetsize, u64, u64)
{
	if (sigsetsize != sizeof(ksigset_t))
		return EINVAL_;
	k_sigaction nw;
	if (uact && !get_user(nw, uact))
		return EFAULT_;
	if (sig < 1 || !valid_signal(sig) || (uact && (KERNEL_ONLY & sigmask(int(sig)))))
		return EINVAL_;
	task_struct *t = current;
	k_sigaction prev;
	{
		sighand_struct *sh = t->sighand;
		SpinLockGuard g(sh->siglock);
		prev = sh->action[sig - 1];
		if (uact) {
			nw.flags &= UAPI_SA_FLAGS;
			nw.mask &= ~KERNEL_ONLY;
			sh->action[sig - 1] = nw;
			// POSIX: setting a pending signal's action to ignore discards it, in every thread.
			if (sig_ignored_by(nw.handler, int(sig)))
				discard_pending_signal_locked(t, int(sig));
		}
	}
	prev.flags &= UAPI_SA_FLAGS;
	if (uoact && !put_user(prev, uoact))
		return EFAULT_;
	return 0;
}

long sys_rt_sigprocmask(u64 how, u64 uset, u64 uoset, u64 sigsetsize, u64, u64)
{
	constexpr u64 SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
	if (sigsetsize != sizeof(ksigset_t))
		return EINVAL_;
	task_struct *t = current;
	ksigset_t old = t->blocked;
	if (uset) {
		ksigset_t set;
		if (!get_user(set, uset))
			return EFAULT_;
		set &= ~KERNEL_ONLY;
		ksigset_t nw;
		switch (how) {
		case SIG_BLOCK:
			nw = old | set;
			break;
		case SIG_UNBLOCK:
			nw = old & ~set;
			break;
		case SIG_SETMASK:
			nw = set;
			break;
		default:
			return EINVAL_;
		}
		set_current_blocked(nw);
	}
	if (uoset && !put_user(old, uoset))
		return EFAULT_;
	return 0;
}

long sys_rt_sigpending(u64 uset, u64 sigsetsize, u64, u64, u64, u64)
{
	if (sigsetsize > sizeof(ksigset_t))
		return EINVAL_;
	task_struct *t = current;
	ksigset_t pend;
	{
		SpinLockGuard g(t->sighand->siglock);
		pend = (t->pending.signal | t->signal->shared_pending.signal) & t->blocked;
	}
	return copy_to_user(reinterpret_cast<void *>(uset), &pend, sigsetsize) ? EFAULT_ : 0;
}

long sys_rt_sigsuspend(u64 uset, u64 sigsetsize, u64, u64, u64, u64)
{
	if (sigsetsize != sizeof(ksigset_t))
		return EINVAL_;
	ksigset_t set;
	if (!get_user(set, uset))
		return EFAULT_;
	task_struct *t = current;
	t->saved_sigmask = t->blocked;
	set_current_blocked(set);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending(t))
			break;
		schedule();
	}
	set_current_state(TASK_RUNNING);
	// The frame of the handler saves the mask from before the call; without a handler
	// do_signal puts it back (restore_saved_sigmask).
	t->restore_sigmask = true;
	return -ERESTARTNOHAND;
}

// rt_sigtimedwait(set, info, timeout, sigsetsize): a signal of set, taken without a handler.
long sys_rt_sigtimedwait(u64 uset, u64 uinfo, u64 uts, u64 sigsetsize, u64, u64)
{
	if (sigsetsize != sizeof(ksigset_t))
		return EINVAL_;
	ksigset_t these;
	if (!get_user(these, uset))
		return EFAULT_;
	struct {
		i64 sec, nsec;
	} ts{};
	long timeout = MAX_SCHEDULE_TIMEOUT;
	if (uts) {
		if (!get_user(ts, uts))
			return EFAULT_;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
			return EINVAL_;
		// Jiffies, rounded up, plus the partial current one: never shorter than asked.
		constexpr u64 NS_PER_JIFFY = 1000000000ull / HZ;
		u64 sec = static_cast<u64>(ts.sec);
		if (sec >= u64(MAX_SCHEDULE_TIMEOUT) / (HZ * 2))
			timeout = MAX_SCHEDULE_TIMEOUT - 1;
		else if (sec || ts.nsec)
			timeout = static_cast<long>(sec * HZ + (static_cast<u64>(ts.nsec) + NS_PER_JIFFY - 1) / NS_PER_JIFFY + 1);
		else
			timeout = 0;
	}
	these &= ~KERNEL_ONLY;
	ksigset_t mask = ~these;
	task_struct *t = current;
	kernel_siginfo info;
	int sig = dequeue_signal_mask(mask, &info);
	bool interrupted = false;
	if (!sig && timeout) {
		// Linux: the waited-for signals are unblocked while waiting (real_blocked keeps the
		// mask), so that their arrival wakes us; they are dequeued, not delivered.
		{
			SpinLockGuard g(t->sighand->siglock);
			t->real_blocked = t->blocked;
			t->blocked &= mask;
			recalc_sigpending();
		}
		set_current_state(TASK_INTERRUPTIBLE);
		long left = signal_pending(t) ? timeout : schedule_timeout(timeout);
		set_current_state(TASK_RUNNING);
		{
			SpinLockGuard g(t->sighand->siglock);
			t->blocked = t->real_blocked;
			t->real_blocked = 0;
			recalc_sigpending();
		}
		interrupted = left != 0;
		sig = dequeue_signal_mask(mask, &info);
	}
	if (sig) {
		if (uinfo && copy_siginfo_to_user(uinfo, &info))
			return EFAULT_;
		return sig;
	}
	return interrupted ? EINTR_ : EAGAIN_;
}

long sys_sigaltstack(u64 uss, u64 uoss, u64, u64, u64, u64)
{
	user_stack_t nw, old;
	if (uss && !get_user(nw, uss))
		return EFAULT_;
	int r = do_sigaltstack(uss ? &nw : nullptr, uoss ? &old : nullptr, task_pt_regs(current)->sp);
	if (r)
		return r;
	if (uoss && !put_user(old, uoss))
		return EFAULT_;
	return 0;
}

// --- sending -------------------------------------------------------------------------------------

namespace {

kernel_siginfo user_info(int sig, int code)
{
	kernel_siginfo info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.f.kill.pid = current->tgid;
	return info;
}

// Every process but init and the caller's own (Linux's kill(-1, sig)).
long kill_all(int sig)
{
	// Sent during the walk under tasklist_lock, as kill_pgrp_info: each process once.
	kernel_siginfo info = user_info(sig, SI_USER);
	int found = 0;
	long err = 0;
	int self = current->tgid;
	SpinLockGuard g(tasklist_lock);
	list_for_each(pos, &task_list) {
		task_struct *p = list_entry(pos, task_struct, tasks);
		// Kernel threads count as on Linux (they take nothing: send_signal_info).
		if (p->exit_state || p->group_leader != p || p->tgid <= 1 || p->tgid == self)
			continue;
		found++;
		if (int r = send_signal_info(sig, &info, p, true))
			err = r;
	}
	return found ? err : ESRCH_;
}

} // namespace

// The signal is an int (SYSCALL_DEFINE2(kill, pid_t, int)): upper bits are dropped. An invalid
// one is refused per target, after the lookup, as Linux's check_kill_permission: ESRCH wins.
long sys_kill(u64 upid, u64 usig, u64, u64, u64, u64)
{
	int pid = static_cast<int>(upid);
	int sig = static_cast<int>(usig);
	if (pid > 0) {
		task_struct *p = find_get_task_by_pid(pid);
		if (!p)
			return ESRCH_;
		kernel_siginfo info = user_info(sig, SI_USER);
		int r = send_signal_info(sig, &info, p, true);
		put_task_struct(p);
		return r;
	}
	if (pid == -1)
		return kill_all(sig);
	if (pid == -2147483647 - 1)
		return ESRCH_; // -INT_MIN is no process group (Linux)
	int pgrp = pid == 0 ? current->signal->pgrp : -pid;
	return kill_pgrp_info(pgrp, sig, false);
}

static long do_tkill(int tgid, int tid, int sig)
{
	task_struct *p = find_get_task_by_pid(tid);
	if (!p)
		return ESRCH_;
	long r = ESRCH_;
	if (tgid <= 0 || p->tgid == tgid) {
		kernel_siginfo info = user_info(sig, SI_TKILL);
		r = send_signal_info(sig, &info, p, false);
	}
	put_task_struct(p);
	return r;
}

long sys_tkill(u64 tid, u64 sig, u64, u64, u64, u64)
{
	if (static_cast<int>(tid) <= 0)
		return EINVAL_;
	return do_tkill(0, static_cast<int>(tid), static_cast<int>(sig));
}

long sys_tgkill(u64 tgid, u64 tid, u64 sig, u64, u64, u64)
{
	if (static_cast<int>(tgid) <= 0 || static_cast<int>(tid) <= 0)
		return EINVAL_;
	return do_tkill(static_cast<int>(tgid), static_cast<int>(tid), static_cast<int>(sig));
}

long sys_restart_syscall(u64, u64, u64, u64, u64, u64)
{
	restart_block *rb = &current->restart;
	if (!rb->fn)
		return EINTR_; // Linux's do_no_restart_syscall
	return rb->fn(rb);
}
