// The syscall table and dispatch (Linux's arch/arm64/kernel/syscall.c invoke_syscall).
#include "core/params.h"
#include "core/printk.h"
#include "kernel/process.h"
#include "kernel/syscalls.h"
#include "lib/parse.h"

namespace {
struct Table {
	syscall_fn fn[NR_syscalls] = {};
	constexpr Table()
	{
		fn[__NR_ioctl] = sys_ioctl;
		fn[__NR_sysinfo] = sys_sysinfo;
		fn[__NR_getcwd] = sys_getcwd;
		fn[__NR_dup] = sys_dup;
		fn[__NR_dup3] = sys_dup3;
		fn[__NR_mknodat] = sys_mknodat;
		fn[__NR_mkdirat] = sys_mkdirat;
		fn[__NR_unlinkat] = sys_unlinkat;
		fn[__NR_symlinkat] = sys_symlinkat;
		fn[__NR_linkat] = sys_linkat;
		fn[__NR_renameat] = sys_renameat;
		fn[__NR_renameat2] = sys_renameat2;
		fn[__NR_umount2] = sys_umount2;
		fn[__NR_mount] = sys_mount;
		fn[__NR_statfs] = sys_statfs;
		fn[__NR_fstatfs] = sys_fstatfs;
		fn[__NR_truncate] = sys_truncate;
		fn[__NR_ftruncate] = sys_ftruncate;
		fn[__NR_faccessat] = sys_faccessat;
		fn[__NR_faccessat2] = sys_faccessat2;
		fn[__NR_chdir] = sys_chdir;
		fn[__NR_fchdir] = sys_fchdir;
		fn[__NR_chroot] = sys_chroot;
		fn[__NR_fchmod] = sys_fchmod;
		fn[__NR_fchmodat] = sys_fchmodat;
		fn[__NR_fchownat] = sys_fchownat;
		fn[__NR_fchown] = sys_fchown;
		fn[__NR_getdents64] = sys_getdents64;
		fn[__NR_lseek] = sys_lseek;
		fn[__NR_pread64] = sys_pread64;
		fn[__NR_pwrite64] = sys_pwrite64;
		fn[__NR_preadv] = sys_preadv;
		fn[__NR_pwritev] = sys_pwritev;
		fn[__NR_sendfile] = sys_sendfile;
		fn[__NR_sync] = sys_sync;
		fn[__NR_syncfs] = sys_syncfs;
		fn[__NR_fsync] = sys_fsync;
		fn[__NR_fdatasync] = sys_fdatasync;
		fn[__NR_utimensat] = sys_utimensat;
		fn[__NR_umask] = sys_umask;
		fn[__NR_statx] = sys_statx;
		fn[__NR_close_range] = sys_close_range;
		fn[__NR_close] = sys_close;
		fn[__NR_openat] = sys_openat;
		fn[__NR_readlinkat] = sys_readlinkat;
		fn[__NR_read] = sys_read;
		fn[__NR_write] = sys_write;
		fn[__NR_readv] = sys_readv;
		fn[__NR_writev] = sys_writev;
		fn[__NR_newfstatat] = sys_newfstatat;
		fn[__NR_fstat] = sys_fstat;
		fn[__NR_exit] = sys_exit;
		fn[__NR_exit_group] = sys_exit_group;
		fn[__NR_wait4] = sys_wait4;
		fn[__NR_times] = sys_times;
		fn[__NR_prctl] = sys_prctl;
		fn[__NR_waitid] = sys_waitid;
		fn[__NR_clone] = sys_clone;
		fn[__NR_clone3] = sys_clone3;
		fn[__NR_execve] = sys_execve;
		fn[__NR_set_tid_address] = sys_set_tid_address;
		fn[__NR_futex] = sys_futex;
		fn[__NR_set_robust_list] = sys_set_robust_list;
		fn[__NR_get_robust_list] = sys_get_robust_list;
		fn[__NR_nanosleep] = sys_nanosleep;
		fn[__NR_clock_gettime] = sys_clock_gettime;
		fn[__NR_clock_getres] = sys_clock_getres;
		fn[__NR_clock_nanosleep] = sys_clock_nanosleep;
		fn[__NR_sched_yield] = sys_sched_yield;
		fn[__NR_sched_getaffinity] = sys_sched_getaffinity;
		fn[__NR_sched_setaffinity] = sys_sched_setaffinity;
		fn[__NR_getpriority] = sys_getpriority;
		fn[__NR_setpriority] = sys_setpriority;
		fn[__NR_kill] = sys_kill;
		fn[__NR_tkill] = sys_tkill;
		fn[__NR_tgkill] = sys_tgkill;
		fn[__NR_rt_sigaction] = sys_rt_sigaction;
		fn[__NR_rt_sigprocmask] = sys_rt_sigprocmask;
		fn[__NR_reboot] = sys_reboot;
		fn[__NR_uname] = sys_uname;
		fn[__NR_getrlimit] = sys_getrlimit;
		fn[__NR_setrlimit] = sys_setrlimit;
		fn[__NR_getrusage] = sys_getrusage;
		fn[__NR_gettimeofday] = sys_gettimeofday;
		fn[__NR_getpid] = sys_getpid;
		fn[__NR_getppid] = sys_getppid;
		fn[__NR_getuid] = sys_getuid;
		fn[__NR_geteuid] = sys_getuid;
		fn[__NR_getgid] = sys_getuid;
		fn[__NR_getegid] = sys_getuid;
		fn[__NR_gettid] = sys_gettid;
		fn[__NR_brk] = sys_brk;
		fn[__NR_munmap] = sys_munmap;
		fn[__NR_mremap] = sys_mremap;
		fn[__NR_mmap] = sys_mmap;
		fn[__NR_mprotect] = sys_mprotect;
		fn[__NR_madvise] = sys_madvise;
		fn[__NR_msync] = sys_msync;
		fn[__NR_prlimit64] = sys_prlimit64;
		fn[__NR_getrandom] = sys_getrandom;
		fn[__NR_fcntl] = sys_fcntl;
		fn[__NR_pipe2] = sys_pipe2;
		fn[__NR_pselect6] = sys_pselect6;
		fn[__NR_ppoll] = sys_ppoll;
		fn[__NR_syslog] = sys_syslog;
		fn[__NR_setpgid] = sys_setpgid;
		fn[__NR_getpgid] = sys_getpgid;
		fn[__NR_getsid] = sys_getsid;
		fn[__NR_setsid] = sys_setsid;
		fn[__NR_getitimer] = sys_getitimer;
		fn[__NR_setitimer] = sys_setitimer;
		fn[__NR_restart_syscall] = sys_restart_syscall;
		fn[__NR_sigaltstack] = sys_sigaltstack;
		fn[__NR_rt_sigsuspend] = sys_rt_sigsuspend;
		fn[__NR_rt_sigpending] = sys_rt_sigpending;
		fn[__NR_rt_sigtimedwait] = sys_rt_sigtimedwait;
		fn[__NR_rt_sigreturn] = sys_rt_sigreturn;
		// rseq: -ENOSYS (glibc then runs without restartable sequences).
	}
};
constexpr Table table;
u64 enosys_logged[NR_syscalls / 64];

// An unimplemented syscall returns -ENOSYS and, as on Linux, says nothing: glibc probes rseq
// and others on every start. syscall.log_unknown=1 (this kernel's debug switch, see
// docs/kernel-parameters.md) logs the first call of each such number, naming the program.
bool log_unknown;
Result set_log_unknown(const char *v)
{
	if (!v) { // a bare `syscall.log_unknown`, as Linux's bool parameters
		log_unknown = true;
		return {};
	}
	log_unknown = TRY(kstd::kstrtobool(v));
	return {};
}
} // namespace
KERNEL_PARAM("syscall.log_unknown", set_log_unknown);

long invoke_syscall(u64 nr, pt_regs *regs)
{
	const u64 *a = regs->regs;
	if (nr < NR_syscalls && table.fn[nr])
		return table.fn[nr](a[0], a[1], a[2], a[3], a[4], a[5]);
	u64 bit = nr < NR_syscalls ? nr : NR_syscalls - 1;
	if (log_unknown && !(enosys_logged[bit / 64] & (1ull << (bit % 64)))) {
		enosys_logged[bit / 64] |= 1ull << (bit % 64);
		task_struct *t = current_task();
		pr_info("%s[%d]: syscall %lu not implemented (-ENOSYS)\n", t ? t->comm : "?", t ? t->pid : 0,
			(unsigned long)nr);
	}
	return -38; // ENOSYS
}
