// prctl (Linux's kernel/sys.c), the options processes use today.
#include <asm/arch_timer.h>
#include <asm/uaccess.h>

#include "kernel/process.h"
#include "kernel/syscalls.h"
#include "kernel/signal.h"
#include "kstd/string.h"
#include "drivers/arch_timer.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

namespace {
constexpr long EINVAL_ = -22, EFAULT_ = -14;
constexpr u64 PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4,
	      PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37,
	      PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;
} // namespace

long sys_prctl(u64 option, u64 arg2, u64 arg3, u64 arg4, u64 arg5, u64)
{
	task_struct *t = current;
	switch (option) {
	case PR_SET_NAME: {
		// Linux copies TASK_COMM_LEN bytes and terminates the name at 15 characters.
		char name[16];
		long n = strncpy_from_user(name, reinterpret_cast<const char *>(arg2), sizeof(name) - 1);
		if (n < 0)
			return EFAULT_;
		name[n] = 0;
		set_comm(t, name);
		return 0;
	}
	case PR_GET_NAME: {
		// Padded with zeros (Linux's strscpy_pad): no kernel stack bytes reach user space.
		char name[16] = {};
		kstd::strlcpy(name, t->comm, sizeof(name));
		if (copy_to_user(reinterpret_cast<void *>(arg2), name, sizeof(name)))
			return EFAULT_;
		return 0;
	}
	case PR_SET_PDEATHSIG:
		if (arg2 > u64(_NSIG))
			return EINVAL_;
		t->pdeath_signal = int(arg2);
		return 0;
	case PR_GET_PDEATHSIG: {
		int sig = t->pdeath_signal;
		if (copy_to_user(reinterpret_cast<void *>(arg2), &sig, sizeof(sig)))
			return EFAULT_;
		return 0;
	}
	case PR_GET_DUMPABLE:
		return 1; // SUID_DUMP_USER: nothing here changes credentials
	case PR_SET_DUMPABLE:
		return arg2 <= 1 ? 0 : EINVAL_;
	case PR_GET_NO_NEW_PRIVS:
		if (arg2 || arg3 || arg4 || arg5)
			return EINVAL_;
		return t->no_new_privs ? 1 : 0;
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || arg3 || arg4 || arg5)
			return EINVAL_;
		t->no_new_privs = true;
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int v = 0; // subreapers are not implemented: orphans always go to PID 1
		if (copy_to_user(reinterpret_cast<void *>(arg2), &v, sizeof(v)))
			return EFAULT_;
		return 0;
	}
	default:
		(void)PR_SET_CHILD_SUBREAPER;
		return EINVAL_;
	}
}

// sysinfo(2) (Linux's do_sysinfo): uptime, memory in mem_unit (1) bytes, the number of
// tasks. There is no load average yet (the loads read 0) and no swap.
long sys_sysinfo(u64 uinfo, u64, u64, u64, u64, u64)
{
	struct {
		i64 uptime;
		u64 loads[3];
		u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		u16 procs, pad;
		u32 pad2;
		u64 totalhigh, freehigh;
		u32 mem_unit;
		char f[4];
	} info{};
	static_assert(sizeof(info) == 112, "struct sysinfo on arm64");
	info.uptime = static_cast<i64>(arch_counter_get_cntpct() / arch_timer_get_cntfrq());
	info.totalram = totalram_pages() * PAGE_SIZE;
	info.freeram = nr_free_pages() * PAGE_SIZE;
	info.sharedram = global_node_page_state_snapshot(NR_SHMEM) * PAGE_SIZE;
	info.procs = static_cast<u16>(nr_tasks_alive());
	info.mem_unit = 1;
	return copy_to_user(reinterpret_cast<void *>(uinfo), &info, sizeof(info)) ? -14 : 0;
}
