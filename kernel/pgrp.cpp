// Process groups and sessions: setpgid, getpgid, getsid, setsid (Linux's kernel/sys.c) and
// the lookups the tty's job control shares (kernel/tty.h).
//
// A thread group's process group and session ids live in its signal_struct and change under
// tasklist_lock; a new process inherits its creator's. A reaped process is gone from these
// lookups (EXIT_DEAD); a zombie still counts, as Linux's pid links stay until release_task.
#include "kernel/process.h"
#include "kernel/syscalls.h"
#include "kernel/tty.h"

namespace {
constexpr long EPERM_ = -1, ESRCH_ = -3, EACCES_ = -13, EINVAL_ = -22;

bool listed(const task_struct *t) { return t->exit_state != EXIT_DEAD && t->signal; }

// pid_t arguments are ints: the upper half of the register is ignored, as Linux's pid_t.
int as_pid(u64 v) { return static_cast<int>(static_cast<u32>(v)); }

// Linux's find_task_by_vpid: any thread by its id.
task_struct *find_thread_locked(int pid) TA_REQ(tasklist_lock)
{
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (t->pid == pid && listed(t))
			return t;
	}
	return nullptr;
}
} // namespace

task_struct *find_process_locked(int pid)
{
	task_struct *t = find_thread_locked(pid);
	return t && t->group_leader == t ? t : nullptr;
}

bool pgrp_exists_locked(int pgrp)
{
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (t->group_leader == t && listed(t) && t->signal->pgrp == pgrp)
			return true;
	}
	return false;
}

int session_of_pgrp_locked(int pgrp)
{
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (t->group_leader == t && listed(t) && t->signal->pgrp == pgrp)
			return t->signal->session;
	}
	task_struct *p = find_thread_locked(pgrp);
	return p ? p->signal->session : -1;
}

void set_own_pgrp(task_struct *p)
{
	SpinLockGuard g(tasklist_lock);
	p->signal->pgrp = p->tgid;
}

long sys_setpgid(u64 upid, u64 upgid, u64, u64, u64, u64)
{
	task_struct *group_leader = current->group_leader;
	int pid = as_pid(upid), pgid = as_pid(upgid);
	if (!pid)
		pid = group_leader->tgid;
	if (!pgid)
		pgid = pid;
	if (pgid < 0)
		return EINVAL_;
	SpinLockGuard g(tasklist_lock);
	task_struct *p = find_thread_locked(pid);
	if (!p)
		return ESRCH_;
	if (p->group_leader != p)
		return EINVAL_;
	if (p->real_parent && p->real_parent->tgid == group_leader->tgid) {
		// A child: only in our session, and only until it execs.
		if (p->signal->session != group_leader->signal->session)
			return EPERM_;
		if (!(p->flags & PF_FORKNOEXEC))
			return EACCES_;
	} else if (p != group_leader) {
		return ESRCH_;
	}
	if (is_session_leader(p))
		return EPERM_;
	if (pgid != pid) {
		// Joining an existing group: it must be in our session.
		bool found = false;
		list_for_each(pos, &task_list) {
			task_struct *t = list_entry(pos, task_struct, tasks);
			if (t->group_leader == t && listed(t) && t->signal->pgrp == pgid) {
				found = t->signal->session == group_leader->signal->session;
				break;
			}
		}
		if (!found)
			return EPERM_;
	}
	p->signal->pgrp = pgid;
	return 0;
}

long sys_getpgid(u64 upid, u64, u64, u64, u64, u64)
{
	int pid = as_pid(upid);
	SpinLockGuard g(tasklist_lock);
	task_struct *p = pid ? find_thread_locked(pid) : current;
	return p ? p->signal->pgrp : ESRCH_;
}

long sys_getsid(u64 upid, u64, u64, u64, u64, u64)
{
	int pid = as_pid(upid);
	SpinLockGuard g(tasklist_lock);
	task_struct *p = pid ? find_thread_locked(pid) : current;
	return p ? p->signal->session : ESRCH_;
}

// ksys_setsid: a new session and process group, both the caller's pid, without a
// controlling tty (the console's session is another one now).
long sys_setsid(u64, u64, u64, u64, u64, u64)
{
	task_struct *group_leader = current->group_leader;
	int sid = group_leader->tgid;
	SpinLockGuard g(tasklist_lock);
	if (is_session_leader(group_leader))
		return EPERM_;
	if (pgrp_exists_locked(sid))
		return EPERM_;
	group_leader->signal->session = sid;
	group_leader->signal->pgrp = sid;
	return sid;
}
