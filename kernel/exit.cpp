// Ending tasks and reaping them (Linux's kernel/exit.c): see kernel/exit.h.
//
// The order of an exit is Linux's: PF_EXITING, the robust-futex and clear_child_tid work
// while the mm is still there, the vfork parent released, the mm dropped, then
// exit_notify: children go to a new parent (another live thread of the group, else PID 1),
// and the task becomes a zombie its parent reaps, or reaps itself (a thread, a child of a
// parent that ignores SIGCHLD, an orphan given to a kernel thread). A group leader whose
// threads still run stays an unreported zombie until the last of them is gone.
//
// Reaping (wait4, waitid, and the kernel's own wait_task_zombie) folds the child's resource
// use into the parent's signal_struct (RUSAGE_CHILDREN, times()) and drops the task.
#include "kernel/exit.h"
#include "fs/fs.h"

#include <asm/pgtable.h>
#include <asm/uaccess.h>

#include "core/panic.h"
#include "core/printk.h"
#include "kernel/futex.h"
#include "kernel/oom.h"
#include "kernel/process.h"
#include "kernel/reboot.h"
#include "kernel/signal.h"
#include "kernel/tty.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "mm/mm_struct.h"

#include "kernel/printk_internal.h"

namespace {

bool thread_group_leader(const task_struct *t) { return t->group_leader == t; }

// The thread group has no member but the leader (tasklist_lock).
bool thread_group_empty(const task_struct *leader) { return leader->signal->nr_threads == 1; }

// PID 1 must not end (Linux's "Attempted to kill init!"): there is nothing left to run the
// system. The kernel says so as Linux's panic does and powers off with init's status (the
// exit status, or 128 + the signal), so that QEMU's exit status is init's.
[[noreturn]] void init_exited(int code)
{
	printk_bust_locks();
	pr_emerg("Kernel panic - not syncing: Attempted to kill init! exitcode=0x%08x\n", code);
	machine_power_off(status_exited(code) ? (code >> 8) & 0xff : 128 + status_termsig(code));
}

// Releases the address space of the exiting task (Linux's exit_mm), recording what wait4's
// rusage reports. The mm itself goes when its last user (another thread, a vfork parent)
// lets go.
void exit_mm(task_struct *t)
{
	mm_struct *mm = t->mm;
	t->exit.min_flt = t->min_flt;
	if (!mm)
		return;
	t->exit.maxrss_kb = mm->hiwater_rss * (PAGE_SIZE / 1024);
	switch_to_kernel_context();
	t->mm = nullptr;
	mmput(mm);
	exit_oom_victim(t); // an OOM victim's memory is back: the OOM killer may go on
}

// The user-visible end of the mm's use by t (Linux's mm_release): robust futexes and
// clear_child_tid while the memory is still mapped, then the vfork parent may go on.
void mm_release(task_struct *t)
{
	if (t->mm)
		futex_exit_release(t);
	if (completion *vd = __atomic_exchange_n(&t->vfork_done, nullptr, __ATOMIC_ACQ_REL))
		complete(vd);
}

// The kernel-side record of how the task ended, for the console's reports and the tests.
void record_exit(task_struct *t, int code)
{
	t->exit_code = code;
	if (status_exited(code)) {
		t->exit.kind = ExitKind::Exited;
		t->exit.status = (code >> 8) & 0xff;
	} else {
		t->exit.kind = ExitKind::Killed;
		t->exit.signal = status_termsig(code);
		if (!t->exit.reason[0])
			kstd::strlcpy(t->exit.reason, "killed by signal", sizeof(t->exit.reason));
	}
}

task_struct *child_reaper;

// A new parent for the children of t (Linux's find_new_reaper): a live thread of t's own
// group, else PID 1. nullptr: no user reaper exists (kernel-only configurations).
task_struct *find_new_reaper(task_struct *t) TA_REQ(tasklist_lock)
{
	list_for_each(pos, &t->signal->thread_head) {
		task_struct *c = list_entry(pos, task_struct, thread_node);
		if (c != t && !(c->flags & PF_EXITING))
			return c;
	}
	if (child_reaper && child_reaper != t && !(child_reaper->flags & PF_EXITING))
		return child_reaper;
	return nullptr;
}

// Adds what a reaped child (and its reaped children) used to the parent's totals.
void account_reaped(signal_struct *psig, task_struct *c)
{
	signal_struct *cs = c->signal;
	psig->cutime_ns += c->utime_ns + cs->utime_ns + cs->cutime_ns;
	psig->cstime_ns += c->stime_ns + cs->stime_ns + cs->cstime_ns;
	psig->cmin_flt += c->min_flt + cs->min_flt + cs->cmin_flt;
	psig->cmaj_flt += c->maj_flt + cs->maj_flt + cs->cmaj_flt;
	psig->cnvcsw += c->nvcsw + cs->nvcsw + cs->cnvcsw;
	psig->cnivcsw += c->nivcsw + cs->nivcsw + cs->cnivcsw;
	unsigned long m = c->exit.maxrss_kb > cs->cmaxrss_kb ? c->exit.maxrss_kb : cs->cmaxrss_kb;
	if (m > psig->cmaxrss_kb)
		psig->cmaxrss_kb = m;
}

// Takes a dead thread out of its group and its parent's children (Linux's __exit_signal +
// __unhash_process). tasklist_lock held. Returns the group leader when this was the last
// other thread of a zombie leader, which must now be reported to its parent.
task_struct *unhash_task(task_struct *t) TA_REQ(tasklist_lock)
{
	signal_struct *sig = t->signal;
	task_struct *leader = nullptr;
	{
		SpinLockGuard g(t->sighand->siglock);
		if (!list_empty(&t->thread_node)) {
			list_del_init(&t->thread_node);
			sig->nr_threads--;
		}
		// A dead thread's use stays with its process (RUSAGE_SELF).
		if (!thread_group_leader(t)) {
			sig->utime_ns += t->utime_ns;
			sig->stime_ns += t->stime_ns;
			sig->min_flt += t->min_flt;
			sig->maj_flt += t->maj_flt;
			sig->nvcsw += t->nvcsw;
			sig->nivcsw += t->nivcsw;
			task_struct *l = t->group_leader;
			if (l->exit_state == EXIT_ZOMBIE && thread_group_empty(l))
				leader = l;
		}
	}
	if (!list_empty(&t->sibling))
		list_del_init(&t->sibling);
	return leader;
}

// Drops the reaper's reference of a task that is EXIT_DEAD and unhashed. Waits until it is
// off its CPU first, so that everything it had, its stack included, is gone when this
// returns (Linux's wait_task_inactive); it never sleeps again, so this is short.
void free_dead_task(task_struct *t)
{
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		yield();
	put_task_struct(t);
}

// A zombie leader whose last thread just went: report it now (Linux's release_task tail).
// Returns true when the parent ignores SIGCHLD and the leader was released too.
bool notify_delayed_leader(task_struct *leader) TA_REQ(tasklist_lock)
{
	bool autoreap = leader->parent ? do_notify_parent(leader, leader->exit_signal) : true;
	if (autoreap) {
		leader->exit_state = EXIT_DEAD;
		unhash_task(leader);
	}
	return autoreap;
}

// Reparents t's children (Linux's forget_original_parent). Zombies among them are reported
// to the new parent, or released when it will not reap them; those go on `dead`.
void forget_original_parent(task_struct *t, list_head *dead) TA_REQ(tasklist_lock)
{
	if (list_empty(&t->children))
		return;
	task_struct *reaper = find_new_reaper(t);
	while (!list_empty(&t->children)) {
		task_struct *c = list_first_entry(&t->children, task_struct, sibling);
		list_del_init(&c->sibling);
		// Kernel threads are nobody's to reap: their creator (kthread_stop) or they
		// themselves release them; a user task with no reaper left does the same.
		if ((c->flags & PF_KTHREAD) || !reaper) {
			c->parent = c->real_parent = nullptr;
			if (c->exit_state == EXIT_ZOMBIE) {
				c->exit_state = EXIT_DEAD;
				unhash_task(c);
				list_add_tail(&c->sibling, dead);
			}
			continue;
		}
		// Every thread of the child's group reports to the new parent (getppid), and one
		// that asked for it learns of the loss (prctl PR_SET_PDEATHSIG).
		list_for_each(tpos, &c->signal->thread_head) {
			task_struct *th = list_entry(tpos, task_struct, thread_node);
			th->parent = th->real_parent = reaper;
			if (th->pdeath_signal && !c->exit_state)
				send_sig(th->pdeath_signal, th, true);
		}
		c->parent = c->real_parent = reaper;
		// Orphans given to a kernel thread (PID 1 while it runs the self-tests) reap
		// themselves: a kernel thread waits only for the children it made.
		if (reaper->flags & PF_KTHREAD)
			c->autoreap = true;
		list_add_tail(&c->sibling, &reaper->children);
		if (c->exit_state == EXIT_ZOMBIE && thread_group_empty(c)) {
			bool release = c->autoreap || do_notify_parent(c, c->exit_signal);
			if (release) {
				c->exit_state = EXIT_DEAD;
				unhash_task(c);
				list_add_tail(&c->sibling, dead);
			}
		}
	}
}

// Linux's exit_notify: the new parent for our children, then our own zombie state.
void exit_notify(task_struct *t, bool group_dead)
{
	list_head dead = LIST_HEAD_INIT(dead);
	bool release = false;
	task_struct *reported = nullptr; // a zombie leader our exit made reportable
	{
		SpinLockGuard g(tasklist_lock);
		// The last thread of a process whose leader exited first decides the status its
		// parent sees (what Linux 6.1 reports: checked by user/ktest_proc on both kernels).
		if (group_dead && t->group_leader != t)
			t->group_leader->exit_code = t->exit_code;
		forget_original_parent(t, &dead);
		if (thread_group_leader(t)) {
			if (!t->parent) {
				release = true; // nobody will reap us
			} else if (thread_group_empty(t)) {
				release = t->autoreap || do_notify_parent(t, t->exit_signal);
			}
			// else: the last thread of the group reports us (unhash_task).
		} else {
			release = true; // threads reap themselves
		}
		__atomic_store_n(&t->exit_state, release ? EXIT_DEAD : EXIT_ZOMBIE, __ATOMIC_RELEASE);
		if (release) {
			if (task_struct *leader = unhash_task(t)) {
				reported = leader;
				get_task_struct(leader); // alive until its waiters are woken below
				if (notify_delayed_leader(leader))
					list_add_tail(&leader->sibling, &dead);
			}
		}
	}
	// Kernel-side waiters (spawn/run_program, kthread_stop) watch exit_wait; an exec in
	// another thread waits for this one to be gone (de_thread).
	wake_up(&t->exit_wait);
	if (task_struct *ex = __atomic_load_n(&t->signal->group_exec_task, __ATOMIC_ACQUIRE))
		wake_up_process(ex);
	// A kernel-side waiter for the leader (wait_task_zombie) waits for its last thread too.
	if (reported)
		wake_up(&reported->exit_wait);
	while (!list_empty(&dead)) {
		task_struct *c = list_first_entry(&dead, task_struct, sibling);
		list_del_init(&c->sibling);
		free_dead_task(c);
	}
	if (reported)
		put_task_struct(reported);
	if (release)
		put_task_struct(t); // the reaper's reference: we are our own reaper
}

} // namespace

void set_child_reaper(task_struct *t) { child_reaper = t; }

void exec_mm_release(task_struct *t) { mm_release(t); }

void do_exit(long code)
{
	task_struct *t = current;
	BUG_ON(t->flags & PF_EXITING); // a fault in the exit path itself
	BUG_ON(t->flags & PF_IDLE);
	{
		SpinLockGuard g(t->sighand->siglock);
		t->flags |= PF_EXITING; // no more signals are aimed at us (wants_signal)
	}
	bool group_dead = __atomic_sub_fetch(&t->signal->live, 1, __ATOMIC_ACQ_REL) == 0;
	// The status a waiter sees for a group exit is the group's (Linux's wait_task_zombie).
	if (t->signal->flags & SIGNAL_GROUP_EXIT)
		code = t->signal->group_exit_code;
	record_exit(t, int(code));
	if (group_dead && t->tgid == 1 && !(t->flags & PF_KTHREAD)) {
		exit_mm(t);
		init_exited(int(code));
	}
	// A session leader's end hangs up its controlling tty: SIGHUP to the foreground group
	// (Linux's disassociate_ctty(1) in do_exit).
	if (group_dead && !(t->flags & PF_KTHREAD))
		disassociate_ctty(true);
	mm_release(t);
	exit_mm(t);
	exit_files(t);
	// No preemption from here to the last switch: a parent woken below must find us gone or
	// going, never runnable with work left (it waits for on_cpu to clear).
	preempt_disable();
	exit_notify(t, group_dead);
	do_dead_task_schedule();
}

void do_group_exit(int exit_code)
{
	task_struct *t = current;
	signal_struct *sig = t->signal;
	if (__atomic_load_n(&sig->flags, __ATOMIC_ACQUIRE) & SIGNAL_GROUP_EXIT) {
		exit_code = sig->group_exit_code;
	} else if (sig->nr_threads > 1) {
		SpinLockGuard g(t->sighand->siglock);
		if (sig->flags & SIGNAL_GROUP_EXIT) {
			exit_code = sig->group_exit_code; // another thread was first
		} else {
			sig->flags |= SIGNAL_GROUP_EXIT;
			sig->group_exit_code = exit_code;
			// Linux's zap_other_threads: SIGKILL to every other thread.
			list_for_each(pos, &sig->thread_head) {
				task_struct *c = list_entry(pos, task_struct, thread_node);
				if (c == t || c->exit_state)
					continue;
				c->pending.signal |= sigmask(SIGKILL);
				signal_wake_up(c, true);
			}
		}
	}
	do_exit(exit_code);
}

void do_task_exit() { do_exit(current->exit_code); }

void wait_task_zombie(task_struct *child)
{
	// A zombie leader is reaped once its last thread is gone (Linux's delay_group_leader):
	// before that the process still holds tasks and memory.
	wait_event(child->exit_wait, __atomic_load_n(&child->exit_state, __ATOMIC_ACQUIRE) == EXIT_DEAD ||
					     (__atomic_load_n(&child->exit_state, __ATOMIC_ACQUIRE) == EXIT_ZOMBIE &&
					      __atomic_load_n(&child->signal->nr_threads, __ATOMIC_ACQUIRE) == 1));
	bool release = false;
	{
		SpinLockGuard g(tasklist_lock);
		// EXIT_DEAD: it released itself (no parent) and dropped its own reference; only
		// ours (if the caller took one) is left.
		if (child->exit_state == EXIT_ZOMBIE) {
			child->exit_state = EXIT_DEAD;
			unhash_task(child);
			child->parent = nullptr;
			release = true;
		}
	}
	if (release)
		free_dead_task(child);
	else
		while (__atomic_load_n(&child->on_cpu, __ATOMIC_ACQUIRE))
			yield();
}

// --- wait4 / waitid ---------------------------------------------------------------------------

namespace {

constexpr u64 WNOHANG = 0x1, WUNTRACED = 0x2, WEXITED = 0x4, WCONTINUED = 0x8, WNOWAIT = 0x01000000;
constexpr u64 __WNOTHREAD = 0x20000000, __WALL = 0x40000000, __WCLONE = 0x80000000;
constexpr long ECHILD_ = -10, EINVAL_ = -22, EFAULT_ = -14, ESRCH_ = -3;

enum class PidType { All, Pid, Pgid };

struct wait_opts {
	PidType type;
	int pid;
	u64 flags;
	// Results.
	int r_pid, r_code;
	u64 r_utime, r_stime;
	unsigned long r_minflt, r_majflt, r_nvcsw, r_nivcsw, r_maxrss_kb;
};

bool eligible_child(const wait_opts &wo, const task_struct *c)
{
	if (c->flags & PF_KTHREAD)
		return false;
	if (wo.type == PidType::Pid && c->pid != wo.pid)
		return false;
	if (wo.type == PidType::Pgid && c->signal->pgrp != wo.pid)
		return false;
	// __WCLONE selects the children that do not signal SIGCHLD; __WALL takes both.
	if (!(wo.flags & __WALL) && ((c->exit_signal != SIGCHLD) ^ !!(wo.flags & __WCLONE)))
		return false;
	return true;
}

// One pass over the children of the waiting group (or thread): 0 nothing eligible, 1
// eligible ones are still running, 2 one was reaped (or, with WNOWAIT, reported).
int wait_pass(wait_opts &wo, task_struct **reaped) TA_REQ(tasklist_lock)
{
	task_struct *self = current;
	bool found = false;
	auto scan = [&](task_struct *tsk) -> task_struct * {
		list_for_each(pos, &tsk->children) {
			task_struct *c = list_entry(pos, task_struct, sibling);
			if (!eligible_child(wo, c))
				continue;
			found = true;
			if (c->exit_state == EXIT_ZOMBIE && thread_group_empty(c) && (wo.flags & WEXITED))
				return c;
		}
		return nullptr;
	};
	task_struct *z = nullptr;
	if (wo.flags & __WNOTHREAD) {
		z = scan(self);
	} else {
		list_for_each(pos, &self->signal->thread_head) {
			z = scan(list_entry(pos, task_struct, thread_node));
			if (z)
				break;
		}
	}
	if (!z)
		return found ? 1 : 0;
	signal_struct *cs = z->signal;
	wo.r_pid = z->tgid;
	wo.r_code = (cs->flags & SIGNAL_GROUP_EXIT) ? cs->group_exit_code : z->exit_code;
	wo.r_utime = z->utime_ns + cs->utime_ns + cs->cutime_ns;
	wo.r_stime = z->stime_ns + cs->stime_ns + cs->cstime_ns;
	wo.r_minflt = z->min_flt + cs->min_flt + cs->cmin_flt;
	wo.r_majflt = z->maj_flt + cs->maj_flt + cs->cmaj_flt;
	wo.r_nvcsw = z->nvcsw + cs->nvcsw + cs->cnvcsw;
	wo.r_nivcsw = z->nivcsw + cs->nivcsw + cs->cnivcsw;
	wo.r_maxrss_kb = z->exit.maxrss_kb > cs->cmaxrss_kb ? z->exit.maxrss_kb : cs->cmaxrss_kb;
	if (wo.flags & WNOWAIT)
		return 2;
	account_reaped(self->signal, z);
	z->exit_state = EXIT_DEAD;
	unhash_task(z);
	z->parent = nullptr;
	*reaped = z;
	return 2;
}

long do_wait(wait_opts &wo)
{
	task_struct *self = current;
	wait_queue_entry w;
	long ret;
	for (;;) {
		prepare_to_wait(&self->signal->wait_chldexit, &w, TASK_INTERRUPTIBLE);
		task_struct *reaped = nullptr;
		int r;
		{
			SpinLockGuard g(tasklist_lock);
			r = wait_pass(wo, &reaped);
		}
		if (r == 2) {
			ret = wo.r_pid;
			if (reaped)
				free_dead_task(reaped);
			break;
		}
		if (r == 0) {
			ret = ECHILD_;
			break;
		}
		if (wo.flags & WNOHANG) {
			ret = 0;
			break;
		}
		if (signal_pending(self)) {
			ret = -ERESTARTSYS;
			break;
		}
		schedule();
	}
	finish_wait(&self->signal->wait_chldexit, &w);
	return ret;
}

struct k_timeval {
	long sec, usec;
};
struct k_rusage {
	k_timeval utime, stime;
	long maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv, nsignals, nvcsw,
		nivcsw;
};
static_assert(sizeof(k_rusage) == 144);

k_timeval ns_to_tv(u64 ns) { return {long(ns / 1000000000), long(ns % 1000000000 / 1000)}; }

void fill_rusage(k_rusage &ru, const wait_opts &wo)
{
	ru = {};
	ru.utime = ns_to_tv(wo.r_utime);
	ru.stime = ns_to_tv(wo.r_stime);
	ru.maxrss = long(wo.r_maxrss_kb);
	ru.minflt = long(wo.r_minflt);
	ru.majflt = long(wo.r_majflt);
	ru.nvcsw = long(wo.r_nvcsw);
	ru.nivcsw = long(wo.r_nivcsw);
}

} // namespace

long sys_wait4(u64 upid, u64 ustatus, u64 options, u64 uru, u64, u64)
{
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return EINVAL_;
	int pid = int(upid);
	// INT_MIN would be -INT_MIN as a process group: Linux refuses it.
	if (pid == int(0x80000000))
		return ESRCH_;
	wait_opts wo{};
	wo.flags = options | WEXITED;
	if (pid == -1) {
		wo.type = PidType::All;
	} else if (pid < 0) {
		wo.type = PidType::Pgid;
		wo.pid = -pid;
	} else if (pid == 0) {
		wo.type = PidType::Pgid;
		wo.pid = current->signal->pgrp;
	} else {
		wo.type = PidType::Pid;
		wo.pid = pid;
	}
	long r = do_wait(wo);
	if (r > 0) {
		if (ustatus && copy_to_user(reinterpret_cast<void *>(ustatus), &wo.r_code, sizeof(int)))
			return EFAULT_;
		if (uru) {
			k_rusage ru;
			fill_rusage(ru, wo);
			if (copy_to_user(reinterpret_cast<void *>(uru), &ru, sizeof(ru)))
				return EFAULT_;
		}
	}
	return r;
}

long sys_waitid(u64 which, u64 upid, u64 uinfo, u64 options, u64 uru, u64)
{
	constexpr u64 P_ALL = 0, P_PID = 1, P_PGID = 2;
	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return EINVAL_;
	if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
		return EINVAL_;
	wait_opts wo{};
	wo.flags = options;
	int pid = int(upid);
	switch (which) {
	case P_ALL:
		wo.type = PidType::All;
		break;
	case P_PID:
		if (pid <= 0)
			return EINVAL_;
		wo.type = PidType::Pid;
		wo.pid = pid;
		break;
	case P_PGID:
		if (pid < 0)
			return EINVAL_;
		wo.type = PidType::Pgid;
		wo.pid = pid ? pid : current->signal->pgrp;
		break;
	default: // P_PIDFD needs pidfds, which this kernel does not have
		return EINVAL_;
	}
	long r = do_wait(wo);
	if (r < 0)
		return r;
	// siginfo_t as Linux's waitid fills it: zeroes when WNOHANG found nothing.
	struct {
		int signo, errno_, code, pad;
		int pid;
		unsigned uid;
		int status;
		int pad2;
		u64 rest[12];
	} info{};
	static_assert(sizeof(info) == 128);
	if (r > 0) {
		info.signo = SIGCHLD;
		info.pid = wo.r_pid;
		if (status_exited(wo.r_code)) {
			info.code = CLD_EXITED;
			info.status = (wo.r_code >> 8) & 0xff;
		} else {
			info.code = (wo.r_code & 0x80) ? CLD_DUMPED : CLD_KILLED;
			info.status = status_termsig(wo.r_code);
		}
	}
	// Only the fields Linux's waitid stores: signo, errno, code, then pid, uid, status.
	if (uinfo && (copy_to_user(reinterpret_cast<void *>(uinfo), &info, 12) ||
		      copy_to_user(reinterpret_cast<void *>(uinfo + 16), &info.pid, 12)))
		return EFAULT_;
	if (uru && r > 0) {
		k_rusage ru;
		fill_rusage(ru, wo);
		if (copy_to_user(reinterpret_cast<void *>(uru), &ru, sizeof(ru)))
			return EFAULT_;
	}
	return 0;
}

long sys_exit(u64 status, u64, u64, u64, u64, u64) { do_exit(exit_status_code(int(status))); }
long sys_exit_group(u64 status, u64, u64, u64, u64, u64) { do_group_exit(exit_status_code(int(status))); }
