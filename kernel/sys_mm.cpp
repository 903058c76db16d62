// Memory syscalls and resource queries: thin wrappers over mm/mmap.cpp for the current task.
#include <asm/uaccess.h>

#include "kernel/process.h"
#include "kernel/syscalls.h"
#include "kstd/string.h"
#include "mm/mm_struct.h"

static constexpr long EFAULT_ = -14, EINVAL_ = -22, ESRCH_ = -3;

static mm_struct *cur_mm() { return current_task()->mm; }

long sys_brk(u64 brk, u64, u64, u64, u64, u64) { return static_cast<long>(ksys_brk(cur_mm(), brk)); }
long sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
	return ksys_mmap(cur_mm(), addr, len, prot, flags, fd, off);
}
long sys_munmap(u64 addr, u64 len, u64, u64, u64, u64) { return ksys_munmap(cur_mm(), addr, len); }
long sys_mprotect(u64 start, u64 len, u64 prot, u64, u64, u64) { return ksys_mprotect(cur_mm(), start, len, prot); }
long sys_mremap(u64 addr, u64 old_len, u64 new_len, u64 flags, u64 new_addr, u64)
{
	return ksys_mremap(cur_mm(), addr, old_len, new_len, flags, new_addr);
}
long sys_madvise(u64 start, u64 len, u64 behavior, u64, u64, u64)
{
	return ksys_madvise(cur_mm(), start, len, static_cast<int>(behavior));
}

// struct rusage (asm-generic): two timevals then 14 longs.
struct k_rusage {
	long utime_sec, utime_usec, stime_sec, stime_usec;
	long maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv, nsignals, nvcsw,
		nivcsw;
};
static_assert(sizeof(k_rusage) == 144);

long sys_getrusage(u64 who, u64 uru, u64, u64, u64, u64)
{
	long w = static_cast<long>(who);
	if (w != 0 && w != -1 && w != 1) // RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD
		return EINVAL_;
	k_rusage ru{};
	task_struct *t = current_task();
	if (w != -1) {
		ru.maxrss = static_cast<long>(t->mm->hiwater_rss * (PAGE_SIZE / 1024));
		ru.minflt = static_cast<long>(t->min_flt);
		ru.majflt = static_cast<long>(t->maj_flt);
	}
	if (copy_to_user(reinterpret_cast<void *>(uru), &ru, sizeof(ru)))
		return EFAULT_;
	return 0;
}

// Resource limits: RLIMIT_STACK is real (stack growth obeys it); the others report what this
// kernel enforces (nothing: RLIM_INFINITY) except RLIMIT_NOFILE.
static constexpr unsigned RLIMIT_STACK = 3, RLIMIT_NOFILE = 7, RLIM_NLIMITS = 16;
static constexpr u64 RLIM_INFINITY = ~0ull;
struct k_rlimit {
	u64 cur, max;
};

static k_rlimit get_limit(unsigned res)
{
	if (res == RLIMIT_STACK)
		return {cur_mm()->rlimit_stack, RLIM_INFINITY};
	if (res == RLIMIT_NOFILE)
		return {1024, 4096};
	return {RLIM_INFINITY, RLIM_INFINITY};
}

static long do_prlimit(unsigned res, const k_rlimit *nw, k_rlimit *old)
{
	if (res >= RLIM_NLIMITS)
		return EINVAL_;
	if (nw) {
		if (nw->cur > nw->max)
			return EINVAL_;
		// Programs run as root (CAP_SYS_RESOURCE): any hard limit may be set. Only the
		// soft stack limit is kept (per address space); hard limits read back as infinite.
	}
	if (old)
		*old = get_limit(res);
	if (nw && res == RLIMIT_STACK)
		cur_mm()->rlimit_stack = nw->cur;
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
	if (pid != 0 && static_cast<int>(pid) != current_task()->pid)
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
