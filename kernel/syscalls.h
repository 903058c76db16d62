// The syscall table: Linux AArch64 (asm-generic unistd.h) numbers, Linux errno semantics.
// Each handler validates all of its arguments before changing any state and returns the
// result or -errno. Numbers without a handler return -ENOSYS and are logged once each.
#pragma once

#include <asm/ptrace.h>

#include "kstd/types.h"

using syscall_fn = long (*)(u64, u64, u64, u64, u64, u64);
inline constexpr unsigned NR_syscalls = 512;

// Linux AArch64 numbers of the implemented calls.
enum : unsigned {
	__NR_ioctl = 29, __NR_openat = 56, __NR_readlinkat = 78, __NR_close = 57, __NR_read = 63, __NR_write = 64, __NR_readv = 65, __NR_writev = 66,
	__NR_newfstatat = 79, __NR_fstat = 80, __NR_exit = 93, __NR_exit_group = 94, __NR_set_tid_address = 96,
	__NR_futex = 98, __NR_set_robust_list = 99, __NR_get_robust_list = 100, __NR_nanosleep = 101, __NR_clock_gettime = 113,
	__NR_clock_getres = 114, __NR_clock_nanosleep = 115, __NR_sched_setaffinity = 122, __NR_sched_getaffinity = 123, __NR_sched_yield = 124, __NR_setpriority = 140, __NR_getpriority = 141, __NR_kill = 129,
	__NR_tkill = 130, __NR_tgkill = 131, __NR_rt_sigaction = 134, __NR_rt_sigprocmask = 135, __NR_reboot = 142,
	__NR_uname = 160, __NR_getrlimit = 163, __NR_setrlimit = 164, __NR_getrusage = 165,
	__NR_gettimeofday = 169, __NR_getpid = 172, __NR_getppid = 173, __NR_getuid = 174, __NR_geteuid = 175,
	__NR_getgid = 176, __NR_getegid = 177, __NR_gettid = 178, __NR_brk = 214, __NR_munmap = 215,
	__NR_mremap = 216, __NR_mmap = 222, __NR_mprotect = 226, __NR_madvise = 233, __NR_prlimit64 = 261,
	__NR_getrandom = 278, __NR_rseq = 293,
	__NR_waitid = 95, __NR_times = 153, __NR_prctl = 167, __NR_clone = 220, __NR_execve = 221, __NR_wait4 = 260, __NR_clone3 = 435,
	__NR_fcntl = 25, __NR_setpgid = 154, __NR_getpgid = 155, __NR_getsid = 156, __NR_setsid = 157,
	// Signals and interval timers (kernel/sys_signal.cpp, kernel/itimer.cpp, arch/arm64/signal.cpp).
	__NR_getitimer = 102, __NR_setitimer = 103, __NR_restart_syscall = 128, __NR_sigaltstack = 132,
	__NR_rt_sigsuspend = 133, __NR_rt_sigpending = 136, __NR_rt_sigtimedwait = 137, __NR_rt_sigreturn = 139,
	// Pipes and polling (fs/pipe.cpp, fs/select.cpp).
	__NR_pipe2 = 59, __NR_pselect6 = 72, __NR_ppoll = 73, __NR_syslog = 116,
	// Files (fs/).
	__NR_getcwd = 17, __NR_dup = 23, __NR_dup3 = 24, __NR_mknodat = 33, __NR_mkdirat = 34, __NR_unlinkat = 35,
	__NR_symlinkat = 36, __NR_linkat = 37, __NR_renameat = 38, __NR_umount2 = 39, __NR_mount = 40,
	__NR_statfs = 43, __NR_fstatfs = 44, __NR_truncate = 45, __NR_ftruncate = 46, __NR_faccessat = 48,
	__NR_chdir = 49, __NR_fchdir = 50, __NR_chroot = 51, __NR_fchmod = 52, __NR_fchmodat = 53,
	__NR_fchownat = 54, __NR_fchown = 55, __NR_getdents64 = 61, __NR_lseek = 62, __NR_pread64 = 67,
	__NR_pwrite64 = 68, __NR_preadv = 69, __NR_pwritev = 70, __NR_sendfile = 71, __NR_sync = 81,
	__NR_fsync = 82, __NR_fdatasync = 83, __NR_utimensat = 88, __NR_umask = 166, __NR_syncfs = 267,
	__NR_renameat2 = 276, __NR_statx = 291, __NR_close_range = 436, __NR_faccessat2 = 439,
	__NR_sysinfo = 179,
	// File-backed memory (kernel/sys_mm.cpp).
	__NR_msync = 227,
};

long invoke_syscall(u64 nr, pt_regs *regs);

// Handlers (kernel/sys_*.cpp).
long sys_brk(u64, u64, u64, u64, u64, u64);
long sys_mmap(u64, u64, u64, u64, u64, u64);
long sys_munmap(u64, u64, u64, u64, u64, u64);
long sys_mprotect(u64, u64, u64, u64, u64, u64);
long sys_mremap(u64, u64, u64, u64, u64, u64);
long sys_madvise(u64, u64, u64, u64, u64, u64);
long sys_msync(u64, u64, u64, u64, u64, u64);
long sys_getrusage(u64, u64, u64, u64, u64, u64);
long sys_getpriority(u64, u64, u64, u64, u64, u64);
long sys_setpriority(u64, u64, u64, u64, u64, u64);
long sys_sched_getaffinity(u64, u64, u64, u64, u64, u64);
long sys_sched_setaffinity(u64, u64, u64, u64, u64, u64);
long sys_getrlimit(u64, u64, u64, u64, u64, u64);
long sys_setrlimit(u64, u64, u64, u64, u64, u64);
long sys_prlimit64(u64, u64, u64, u64, u64, u64);
long sys_read(u64, u64, u64, u64, u64, u64);
long sys_write(u64, u64, u64, u64, u64, u64);
long sys_readv(u64, u64, u64, u64, u64, u64);
long sys_writev(u64, u64, u64, u64, u64, u64);
long sys_ioctl(u64, u64, u64, u64, u64, u64);
long sys_close(u64, u64, u64, u64, u64, u64);
long sys_openat(u64, u64, u64, u64, u64, u64);
long sys_readlinkat(u64, u64, u64, u64, u64, u64);
long sys_fstat(u64, u64, u64, u64, u64, u64);
long sys_newfstatat(u64, u64, u64, u64, u64, u64);
long sys_exit(u64, u64, u64, u64, u64, u64);
long sys_exit_group(u64, u64, u64, u64, u64, u64);
long sys_wait4(u64, u64, u64, u64, u64, u64);
long sys_times(u64, u64, u64, u64, u64, u64);
long sys_prctl(u64, u64, u64, u64, u64, u64);
long sys_waitid(u64, u64, u64, u64, u64, u64);
long sys_clone(u64, u64, u64, u64, u64, u64);
long sys_clone3(u64, u64, u64, u64, u64, u64);
long sys_execve(u64, u64, u64, u64, u64, u64);
long sys_set_tid_address(u64, u64, u64, u64, u64, u64);
long sys_futex(u64, u64, u64, u64, u64, u64);
long sys_set_robust_list(u64, u64, u64, u64, u64, u64);
long sys_get_robust_list(u64, u64, u64, u64, u64, u64);
long sys_nanosleep(u64, u64, u64, u64, u64, u64);
long sys_clock_nanosleep(u64, u64, u64, u64, u64, u64);
long sys_clock_gettime(u64, u64, u64, u64, u64, u64);
long sys_clock_getres(u64, u64, u64, u64, u64, u64);
long sys_gettimeofday(u64, u64, u64, u64, u64, u64);
long sys_sched_yield(u64, u64, u64, u64, u64, u64);
long sys_kill(u64, u64, u64, u64, u64, u64);
long sys_tkill(u64, u64, u64, u64, u64, u64);
long sys_tgkill(u64, u64, u64, u64, u64, u64);
long sys_rt_sigaction(u64, u64, u64, u64, u64, u64);
long sys_rt_sigprocmask(u64, u64, u64, u64, u64, u64);
long sys_reboot(u64, u64, u64, u64, u64, u64);
long sys_uname(u64, u64, u64, u64, u64, u64);
long sys_getpid(u64, u64, u64, u64, u64, u64);
long sys_getppid(u64, u64, u64, u64, u64, u64);
long sys_gettid(u64, u64, u64, u64, u64, u64);
long sys_getuid(u64, u64, u64, u64, u64, u64);
long sys_getrandom(u64, u64, u64, u64, u64, u64);
long sys_fcntl(u64, u64, u64, u64, u64, u64);
long sys_pipe2(u64, u64, u64, u64, u64, u64);
long sys_ppoll(u64, u64, u64, u64, u64, u64);
long sys_pselect6(u64, u64, u64, u64, u64, u64);
long sys_syslog(u64, u64, u64, u64, u64, u64);
long sys_setpgid(u64, u64, u64, u64, u64, u64);
long sys_getpgid(u64, u64, u64, u64, u64, u64);
long sys_getsid(u64, u64, u64, u64, u64, u64);
long sys_setsid(u64, u64, u64, u64, u64, u64);
long sys_getitimer(u64, u64, u64, u64, u64, u64);
long sys_setitimer(u64, u64, u64, u64, u64, u64);
long sys_restart_syscall(u64, u64, u64, u64, u64, u64);
long sys_sigaltstack(u64, u64, u64, u64, u64, u64);
long sys_rt_sigsuspend(u64, u64, u64, u64, u64, u64);
long sys_rt_sigpending(u64, u64, u64, u64, u64, u64);
long sys_rt_sigtimedwait(u64, u64, u64, u64, u64, u64);
long sys_rt_sigreturn(u64, u64, u64, u64, u64, u64);

// Files (fs/open.cpp).
long sys_getcwd(u64, u64, u64, u64, u64, u64);
long sys_dup(u64, u64, u64, u64, u64, u64);
long sys_dup3(u64, u64, u64, u64, u64, u64);
long sys_mknodat(u64, u64, u64, u64, u64, u64);
long sys_mkdirat(u64, u64, u64, u64, u64, u64);
long sys_unlinkat(u64, u64, u64, u64, u64, u64);
long sys_symlinkat(u64, u64, u64, u64, u64, u64);
long sys_linkat(u64, u64, u64, u64, u64, u64);
long sys_renameat(u64, u64, u64, u64, u64, u64);
long sys_renameat2(u64, u64, u64, u64, u64, u64);
long sys_umount2(u64, u64, u64, u64, u64, u64);
long sys_mount(u64, u64, u64, u64, u64, u64);
long sys_statfs(u64, u64, u64, u64, u64, u64);
long sys_fstatfs(u64, u64, u64, u64, u64, u64);
long sys_truncate(u64, u64, u64, u64, u64, u64);
long sys_ftruncate(u64, u64, u64, u64, u64, u64);
long sys_faccessat(u64, u64, u64, u64, u64, u64);
long sys_faccessat2(u64, u64, u64, u64, u64, u64);
long sys_chdir(u64, u64, u64, u64, u64, u64);
long sys_fchdir(u64, u64, u64, u64, u64, u64);
long sys_chroot(u64, u64, u64, u64, u64, u64);
long sys_fchmod(u64, u64, u64, u64, u64, u64);
long sys_fchmodat(u64, u64, u64, u64, u64, u64);
long sys_fchownat(u64, u64, u64, u64, u64, u64);
long sys_fchown(u64, u64, u64, u64, u64, u64);
long sys_getdents64(u64, u64, u64, u64, u64, u64);
long sys_lseek(u64, u64, u64, u64, u64, u64);
long sys_pread64(u64, u64, u64, u64, u64, u64);
long sys_pwrite64(u64, u64, u64, u64, u64, u64);
long sys_preadv(u64, u64, u64, u64, u64, u64);
long sys_pwritev(u64, u64, u64, u64, u64, u64);
long sys_sendfile(u64, u64, u64, u64, u64, u64);
long sys_sync(u64, u64, u64, u64, u64, u64);
long sys_syncfs(u64, u64, u64, u64, u64, u64);
long sys_fsync(u64, u64, u64, u64, u64, u64);
long sys_fdatasync(u64, u64, u64, u64, u64, u64);
long sys_utimensat(u64, u64, u64, u64, u64, u64);
long sys_umask(u64, u64, u64, u64, u64, u64);
long sys_statx(u64, u64, u64, u64, u64, u64);
long sys_close_range(u64, u64, u64, u64, u64, u64);
long sys_sysinfo(u64, u64, u64, u64, u64, u64);
