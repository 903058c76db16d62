// fork, vfork, clone and clone3 (Linux's kernel/fork.c copy_process and kernel_clone).
//
// The child is a copy of the calling thread: its pt_regs (returning 0 from the syscall),
// its FP/SIMD registers and thread pointers, its signal mask, and, as the flags say, a copy
// or a share of the address space (CLONE_VM), the signal handlers (CLONE_SIGHAND) and the
// process itself (CLONE_THREAD: same tgid, shared signal_struct). An address space is
// copied by dup_mm (mm/mmap.cpp): every private page is shared copy-on-write.
//
// CLONE_FS and CLONE_FILES are accepted and change nothing yet: there is no per-process file
// table or cwd until the Files issue (the console descriptors are the same for everyone).
// Namespaces, pidfds and cgroups are refused with EINVAL.
#include <asm/memory.h>
#include <asm/uaccess.h>

#include "core/printk.h"
#include "kernel/exit.h"
#include "kernel/fork.h"
#include "fs/fs.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"

namespace {

constexpr long EINVAL_ = -22, EFAULT_ = -14;

// Linux's clone flags (uapi/linux/sched.h). Accepted with no effect yet: CLONE_FS and
// CLONE_FILES (see above), CLONE_PTRACE and CLONE_UNTRACED (no ptrace), CLONE_SYSVSEM (no
// SysV semaphores), CLONE_IO (no I/O contexts).
constexpr u64 CSIGNAL = 0xff, CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_SIGHAND = 0x800, CLONE_PIDFD = 0x1000,
	      CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000, CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000,
	      CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000,
	      CLONE_DETACHED = 0x400000, CLONE_CHILD_SETTID = 0x1000000, CLONE_NEWCGROUP = 0x2000000,
	      CLONE_NEWUTS = 0x4000000, CLONE_NEWIPC = 0x8000000, CLONE_NEWUSER = 0x10000000,
	      CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_CLEAR_SIGHAND = 0x100000000ull,
	      CLONE_INTO_CGROUP = 0x200000000ull, CLONE_NEWTIME = 0x80;
constexpr u64 CLONE_NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
				 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME;

struct kernel_clone_args {
	u64 flags;
	int exit_signal;
	u64 stack, stack_size;
	u64 parent_tid, child_tid, tls;
};

// Linux's max_threads (set_max_threads): no more tasks than an eighth of memory can hold
// stacks for, and RLIMIT_NPROC's default is half of that.
unsigned long max_threads()
{
	unsigned long m = totalram_pages() * PAGE_SIZE / (8 * THREAD_SIZE);
	return m < 20 ? 20 : m > 0x3fffffff ? 0x3fffffff : m;
}

long check_flags(u64 flags)
{
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return EINVAL_;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return EINVAL_;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return EINVAL_;
	// PID 1 has no parent to share (Linux refuses CLONE_PARENT for the unkillable init).
	if ((flags & CLONE_PARENT) && current->tgid == 1)
		return EINVAL_;
	if ((flags & CLONE_CLEAR_SIGHAND) && (flags & CLONE_SIGHAND))
		return EINVAL_;
	if (flags & (CLONE_NAMESPACES | CLONE_PIDFD | CLONE_INTO_CGROUP))
		return EINVAL_;
	return 0;
}

// Linux's copy_process. The new task is linked and counted, not yet runnable.
ErrorOr<task_struct *> copy_process(const kernel_clone_args &args)
{
	task_struct *cur = current;
	u64 flags = args.flags;
	if (long e = check_flags(flags))
		return Errno(-e);
	if (nr_tasks_alive() >= max_threads() || nr_tasks_alive() >= cur->signal->rlim_nproc)
		return Errno::EAGAIN;

	// The child's copy of the live FP/SIMD registers and thread pointers.
	fpsimd_preserve_current_state();
	task_struct *p = alloc_task(cur->comm, nullptr, nullptr, 0);
	if (!p)
		return Errno::ENOMEM;
	p->flags |= PF_FORKNOEXEC; // setpgid may move it until it execs (kernel/pgrp.cpp)
	p->nice = cur->nice;
	p->se.weight = cur->se.weight;
	p->cpus_allowed = cur->cpus_allowed;
	p->thread.uw_fpsimd = cur->thread.uw_fpsimd;
	p->thread.tp_value = (flags & CLONE_SETTLS) ? args.tls : cur->thread.tp_value;
	p->thread.tp2_value = cur->thread.tp2_value;
	p->blocked = cur->blocked;
	// A thread sharing the stack-less parent's memory gets no alternate stack (Linux's
	// sas_ss_reset for CLONE_VM without CLONE_VFORK).
	if (!((flags & CLONE_VM) && !(flags & CLONE_VFORK))) {
		p->sas_ss_sp = cur->sas_ss_sp;
		p->sas_ss_size = cur->sas_ss_size;
		p->sas_ss_flags = cur->sas_ss_flags;
	}
	p->set_child_tid = (flags & CLONE_CHILD_SETTID) ? args.child_tid : 0;
	p->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? args.child_tid : 0;

	pt_regs *regs = task_pt_regs(p);
	*regs = *task_pt_regs(cur);
	regs->regs[0] = 0; // the child's return value
	if (args.stack)
		regs->sp = args.stack + args.stack_size;

	// The address space.
	if (cur->mm) {
		if (flags & CLONE_VM) {
			mmget(cur->mm);
			p->mm = cur->mm;
		} else {
			// Other threads must not change the mm while it is copied (Linux's
			// mmap_write_lock_killable(oldmm) in dup_mmap).
			mm_struct *nm = nullptr;
			Errno err = Errno::OK;
			{
				WriteGuard g(cur->mm->mmap_lock);
				auto m = dup_mm(cur->mm);
				if (m.is_error())
					err = m.error().code();
				else
					nm = m.value();
			}
			if (!nm) {
				free_unlinked_task(p);
				return err;
			}
			p->mm = nm;
		}
	}
	auto fail = [&](Errno e) -> ErrorOr<task_struct *> {
		exit_files(p);
		if (p->mm)
			mmput(p->mm);
		p->mm = nullptr;
		free_unlinked_task(p);
		return e;
	};

	// Descriptors, root and cwd (CLONE_FILES/CLONE_FS share them).
	p->files = nullptr;
	p->fs = nullptr;
	if (Result r = copy_files(flags, cur, p); r.is_error())
		return fail(r.error().code());

	// Signal handlers and the process.
	if (flags & CLONE_SIGHAND) {
		__atomic_fetch_add(&cur->sighand->count, 1, __ATOMIC_RELAXED);
		p->sighand = cur->sighand;
	} else {
		p->sighand = alloc_sighand(cur->sighand);
		if (!p->sighand)
			return fail(Errno::ENOMEM);
		if (flags & CLONE_CLEAR_SIGHAND)
			flush_signal_handlers(p);
	}
	if (flags & CLONE_THREAD) {
		__atomic_fetch_add(&cur->signal->sig_count, 1, __ATOMIC_RELAXED);
		p->signal = cur->signal;
	} else {
		p->signal = alloc_signal_struct();
		if (!p->signal)
			return fail(Errno::ENOMEM);
		p->signal->pgrp = cur->signal->pgrp;
		p->signal->session = cur->signal->session;
		p->signal->oom_score_adj = cur->signal->oom_score_adj;
		p->signal->rlim_nproc = cur->signal->rlim_nproc;
		p->signal->rlim_nproc_max = cur->signal->rlim_nproc_max;
		p->signal->rlim_nofile = cur->signal->rlim_nofile;
		p->signal->rlim_nofile_max = cur->signal->rlim_nofile_max;
	}

	int pid;
	{
		SpinLockGuard g(tasklist_lock);
		// A fatal signal or a group exit that arrived while we copied wins: the caller
		// dies and the child never existed (Linux's -ERESTARTNOINTR after the recheck).
		bool dying = fatal_signal_pending(cur) || (cur->signal->flags & SIGNAL_GROUP_EXIT);
		pid = dying ? -1 : alloc_pid_locked();
		task_struct *real_parent = (flags & (CLONE_PARENT | CLONE_THREAD)) ? cur->real_parent : cur;
		if (pid > 0 && real_parent) {
			p->pid = pid;
			if (flags & CLONE_THREAD) {
				p->tgid = cur->tgid;
				p->group_leader = cur->group_leader;
				p->exit_signal = -1;
			} else {
				p->tgid = pid;
				p->group_leader = p;
				p->exit_signal = args.exit_signal;
			}
			p->real_parent = p->parent = real_parent;
			p->autoreap = (flags & (CLONE_PARENT | CLONE_THREAD)) ? cur->autoreap : false;
			{
				SpinLockGuard s(cur->sighand->siglock);
				list_add_tail(&p->thread_node, &p->signal->thread_head);
				p->signal->nr_threads++;
				__atomic_fetch_add(&p->signal->live, 1, __ATOMIC_RELAXED);
			}
			// Only group leaders are children (Linux: threads are not on children lists).
			if (p->group_leader == p)
				list_add_tail(&p->sibling, &real_parent->children);
			task_list_add(p);
		} else {
			pid = dying ? -int(ERESTARTNOINTR) : pid < 0 ? -int(Errno::EAGAIN) : -int(Errno::EINVAL);
		}
	}
	if (pid < 0)
		return fail(Errno(-pid));
	return p;
}

} // namespace

long kernel_clone(u64 flags, int exit_signal, u64 stack, u64 stack_size, u64 parent_tid, u64 child_tid, u64 tls)
{
	kernel_clone_args args{flags, exit_signal, stack, stack_size, parent_tid, child_tid, tls};
	auto r = copy_process(args);
	if (r.is_error())
		return r.error().neg();
	task_struct *p = r.value();
	int pid = p->pid;
	if (flags & CLONE_PARENT_SETTID)
		(void)copy_to_user(reinterpret_cast<void *>(parent_tid), &pid, sizeof(pid));
	completion vfork;
	if (flags & CLONE_VFORK) {
		p->vfork_done = &vfork;
		get_task_struct(p);
	}
	wake_up_new_task(p);
	if (flags & CLONE_VFORK) {
		// The parent sleeps until the child execs or exits (mm_release). A fatal signal may
		// end the wait; the child must then not complete a completion that is gone.
		if (wait_for_completion_killable(&vfork)) {
			if (__atomic_exchange_n(&p->vfork_done, nullptr, __ATOMIC_ACQ_REL) == nullptr)
				wait_for_completion(&vfork); // the child is completing it right now
		}
		put_task_struct(p);
	}
	return pid;
}

long sys_clone(u64 flags, u64 newsp, u64 parent_tid, u64 tls, u64 child_tid, u64)
{
	// arm64's clone (CONFIG_CLONE_BACKWARDS): flags, stack, parent_tid, tls, child_tid. The
	// low byte is the exit signal; the 64-bit-only flags exist only for clone3.
	u64 f = flags & ~CSIGNAL & 0xffffffffull;
	int sig = int(flags & CSIGNAL);
	if (sig > _NSIG)
		return EINVAL_;
	// CLONE_DETACHED is ignored by the legacy clone, as in Linux.
	f &= ~CLONE_DETACHED;
	return kernel_clone(f, sig, newsp, 0, parent_tid, child_tid, tls);
}

long sys_clone3(u64 uargs, u64 size, u64, u64, u64, u64)
{
	// struct clone_args (Linux's uapi/linux/sched.h): VER0 is 64 bytes, VER1 adds set_tid,
	// VER2 the cgroup fd.
	struct {
		u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
			set_tid_size, cgroup;
	} a{};
	if (size < 64 || size > 4096)
		return EINVAL_;
	usize n = size < sizeof(a) ? usize(size) : sizeof(a);
	if (copy_from_user(&a, reinterpret_cast<const void *>(uargs), n))
		return EFAULT_;
	// Bytes beyond what this kernel knows must be zero (Linux's copy_struct_from_user).
	for (u64 off = sizeof(a); off < size; off++) {
		u8 b;
		if (copy_from_user(&b, reinterpret_cast<const void *>(uargs + off), 1))
			return EFAULT_;
		if (b)
			return -7; // E2BIG
	}
	if (a.set_tid || a.set_tid_size)
		return EINVAL_; // choosing pids needs pid namespaces
	if (a.exit_signal & ~CSIGNAL || a.exit_signal > u64(_NSIG))
		return EINVAL_;
	if ((a.flags & CSIGNAL) || (a.flags & CLONE_DETACHED))
		return EINVAL_;
	if ((a.stack == 0) != (a.stack_size == 0))
		return EINVAL_;
	return kernel_clone(a.flags, int(a.exit_signal), a.stack, a.stack_size, a.parent_tid, a.child_tid, a.tls);
}

void fork_init()
{
	// init_task's RLIMIT_NPROC (Linux's fork_init): half of max_threads, inherited by all.
	init_signals.rlim_nproc = init_signals.rlim_nproc_max = max_threads() / 2;
}
