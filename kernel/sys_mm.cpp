// Memory syscalls and resource queries: thin wrappers over mm/mmap.cpp for the current task.
#include <asm/arch_timer.h>
#include <asm/uaccess.h>

#include "core/rwsem.h"
#include "kernel/process.h"
#include "kernel/syscalls.h"
#include "kstd/string.h"
#include "mm/mm_struct.h"

static constexpr long EFAULT_ = -14, EINVAL_ = -22, ESRCH_ = -3;

static mm_struct *cur_mm() { return current_task()->mm; }

// Every address-space syscall holds mmap_lock for writing: other threads of the process
// fault and map in the same mm (Linux takes it for reading in madvise and a few others;
// exclusive is the conservative choice until faults run in parallel with SMP).
long sys_brk(u64 brk, u64, u64, u64, u64, u64)
{
	mm_struct *mm = cur_mm();
	WriteGuard g(mm->mmap_lock);
	return static_cast<long>(ksys_brk(mm, brk));
}
long sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
	mm_struct *mm = cur_mm();
	WriteGuard g(mm->mmap_lock);
	return ksys_mmap(mm, addr, len, prot, flags, fd, off);
}
long sys_munmap(u64 addr, u64 len, u64, u64, u64, u64)
{
	mm_struct *mm = cur_mm();
	WriteGuard g(mm->mmap_lock);
	return ksys_munmap(mm, addr, len);
}
long sys_mprotect(u64 start, u64 len, u64 prot, u64, u64, u64)
{
	mm_struct *mm = cur_mm();
	WriteGuard g(mm->mmap_lock);
	return ksys_mprotect(mm, start, len, prot);
}
long sys_mremap(u64 addr, u64 old_len, u64 new_len, u64 flags, u64 new_addr, u64)
{
	mm_struct *mm = cur_mm();
	WriteGuard g(mm->mmap_lock);
	return ksys_mremap(mm, addr, old_len, new_len, flags, new_addr);
}
long sys_madvise(u64 start, u64 len, u64 behavior, u64, u64, u64)
{
	mm_struct *mm = cur_mm();
	WriteGuard g(mm->mmap_lock);
	return ksys_madvise(mm, start, len, static_cast<int>(behavior));
}

// struct rusage (asm-generic): two timevals then 14 longs.
struct k_rusage {
	struct tv {
		long sec, usec;
	} utime, stime;
	long maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv, nsignals, nvcsw,
		nivcsw;
};
static_assert(sizeof(k_rusage) == 144);

static k_rusage::tv ns_to_tv(u64 ns) { return {long(ns / 1000000000), long(ns % 1000000000 / 1000)}; }

// Linux's getrusage: RUSAGE_THREAD the caller, RUSAGE_SELF every thread of the process (the
// live ones and what the dead ones left in signal_struct), RUSAGE_CHILDREN the reaped
// children and their reaped descendants.
long sys_getrusage(u64 who, u64 uru, u64, u64, u64, u64)
{
	long w = static_cast<long>(who);
	if (w != 0 && w != -1 && w != 1) // RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD
		return EINVAL_;
	k_rusage ru{};
	task_struct *t = current_task();
	signal_struct *sig = t->signal;
	u64 ut = 0, st = 0;
	if (w == -1) {
		ut = sig->cutime_ns;
		st = sig->cstime_ns;
		ru.maxrss = long(sig->cmaxrss_kb);
		ru.minflt = long(sig->cmin_flt);
		ru.majflt = long(sig->cmaj_flt);
		ru.nvcsw = long(sig->cnvcsw);
		ru.nivcsw = long(sig->cnivcsw);
	} else if (w == 1) {
		ut = t->utime_ns;
		st = t->stime_ns;
		ru.minflt = long(t->min_flt);
		ru.majflt = long(t->maj_flt);
		ru.nvcsw = long(t->nvcsw);
		ru.nivcsw = long(t->nivcsw);
	} else {
		SpinLockGuard g(t->sighand->siglock);
		ut = sig->utime_ns;
		st = sig->stime_ns;
		ru.minflt = long(sig->min_flt);
		ru.majflt = long(sig->maj_flt);
		ru.nvcsw = long(sig->nvcsw);
		ru.nivcsw = long(sig->nivcsw);
		list_for_each(pos, &sig->thread_head) {
			task_struct *c = list_entry(pos, task_struct, thread_node);
			ut += c->utime_ns;
			st += c->stime_ns;
			ru.minflt += long(c->min_flt);
			ru.majflt += long(c->maj_flt);
			ru.nvcsw += long(c->nvcsw);
			ru.nivcsw += long(c->nivcsw);
		}
	}
	if (w != -1 && t->mm)
		ru.maxrss = static_cast<long>(t->mm->hiwater_rss * (PAGE_SIZE / 1024));
	ru.utime = ns_to_tv(ut);
	ru.stime = ns_to_tv(st);
	if (copy_to_user(reinterpret_cast<void *>(uru), &ru, sizeof(ru)))
		return EFAULT_;
	return 0;
}

// times(2): clock ticks (USER_HZ 100) of the process and its reaped children, and the
// uptime in ticks as the result.
long sys_times(u64 ubuf, u64, u64, u64, u64, u64)
{
	task_struct *t = current_task();
	signal_struct *sig = t->signal;
	struct {
		long utime, stime, cutime, cstime;
	} tms{};
	u64 ut = sig->utime_ns, st = sig->stime_ns;
	{
		SpinLockGuard g(t->sighand->siglock);
		list_for_each(pos, &sig->thread_head) {
			task_struct *c = list_entry(pos, task_struct, thread_node);
			ut += c->utime_ns;
			st += c->stime_ns;
		}
	}
	constexpr u64 NS_PER_TICK = 10000000;
	tms.utime = long(ut / NS_PER_TICK);
	tms.stime = long(st / NS_PER_TICK);
	tms.cutime = long(sig->cutime_ns / NS_PER_TICK);
	tms.cstime = long(sig->cstime_ns / NS_PER_TICK);
	if (ubuf && copy_to_user(reinterpret_cast<void *>(ubuf), &tms, sizeof(tms)))
		return EFAULT_;
	// Linux returns its jiffies as clock_t, and jiffies start at INITIAL_JIFFIES (5 minutes
	// before a 32-bit wrap); only differences are meaningful. This kernel counts from boot.
	return long(arch_counter_get_cntpct() / (arch_timer_get_cntfrq() / 100));
}

// Resource limits: RLIMIT_STACK is real (stack growth obeys it); the others report what this
// kernel enforces (nothing: RLIM_INFINITY) except RLIMIT_NOFILE.
static constexpr unsigned RLIMIT_STACK = 3, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIM_NLIMITS = 16;
static constexpr u64 RLIM_INFINITY = ~0ull;
struct k_rlimit {
	u64 cur, max;
};

static k_rlimit get_limit(unsigned res)
{
	if (res == RLIMIT_STACK)
		return {cur_mm()->rlimit_stack, RLIM_INFINITY};
	if (res == RLIMIT_NOFILE)
		return {current_task()->signal->rlim_nofile, current_task()->signal->rlim_nofile_max};
	if (res == RLIMIT_NPROC) // per process (signal_struct), checked by fork
		return {current_task()->signal->rlim_nproc, current_task()->signal->rlim_nproc_max};
	return {RLIM_INFINITY, RLIM_INFINITY};
}

static long do_prlimit(unsigned res, const k_rlimit *nw, k_rlimit *old)
{
	if (res >= RLIM_NLIMITS)
		return EINVAL_;
	if (nw) {
		if (nw->cur > nw->max)
			return EINVAL_;
		// fs.nr_open (1048576): no descriptor table grows beyond it (Linux's EPERM).
		if (res == RLIMIT_NOFILE && nw->max > 1048576)
			return -1; // EPERM
		// Programs run as root (CAP_SYS_RESOURCE): any hard limit may be set. Only the
		// soft stack limit is kept (per address space); hard limits read back as infinite.
	}
	if (old)
		*old = get_limit(res);
	if (nw && res == RLIMIT_STACK)
		cur_mm()->rlimit_stack = nw->cur;
	if (nw && res == RLIMIT_NOFILE) {
		current_task()->signal->rlim_nofile = nw->cur;
		current_task()->signal->rlim_nofile_max = nw->max;
	}
	if (nw && res == RLIMIT_NPROC) {
		current_task()->signal->rlim_nproc = nw->cur;
		current_task()->signal->rlim_nproc_max = nw->max;
	}
	return 0;
}

long sys_getrlimit(u64 res, u64 urlim, u64, u64, u64, u64)
{
	k_rlimit old;
	long r = do_prlimit(static_cast<unsigned>(res > RLIM_NLIMITS ? RLIM_NLIMITS : res), nullptr, &old);
	if (r)
		return r;
	return copy_to_user(reinterpret_cast<void *>(urlim), &old, sizeof(old)) ? EFAULT_ : 0;
}

long sys_setrlimit(u64 res, u64 urlim, u64, u64, u64, u64)
{
	k_rlimit nw;
	if (copy_from_user(&nw, reinterpret_cast<const void *>(urlim), sizeof(nw)))
		return EFAULT_;
	return do_prlimit(static_cast<unsigned>(res > RLIM_NLIMITS ? RLIM_NLIMITS : res), &nw, nullptr);
}

long sys_prlimit64(u64 pid, u64 res, u64 unew, u64 uold, u64, u64)
{
	if (pid != 0 && static_cast<int>(pid) != current_task()->tgid)
		return ESRCH_;
	k_rlimit nw, old;
	if (unew && copy_from_user(&nw, reinterpret_cast<const void *>(unew), sizeof(nw)))
		return EFAULT_;
	if (res >= RLIM_NLIMITS)
		return EINVAL_;
	if (uold) {
		old = get_limit(static_cast<unsigned>(res));
		if (!access_ok(reinterpret_cast<void *>(uold), sizeof(old)))
			return EFAULT_;
	}
	long r = do_prlimit(static_cast<unsigned>(res), unew ? &nw : nullptr, nullptr);
	if (r)
		return r;
	if (uold && copy_to_user(reinterpret_cast<void *>(uold), &old, sizeof(old)))
		return EFAULT_;
	return 0;
}
