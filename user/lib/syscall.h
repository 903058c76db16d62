/* Raw Linux AArch64 system calls: svc #0 with the number in x8, arguments in x0-x5, the
 * result (or -errno) in x0. Numbers are from Linux's include/uapi/asm-generic/unistd.h. */
#pragma once

#define __NR_ioctl 29
#define __NR_openat 56
#define __NR_read 63
#define __NR_write 64
#define __NR_writev 66
#define __NR_exit 93
#define __NR_exit_group 94
#define __NR_set_tid_address 96
#define __NR_set_robust_list 99
#define __NR_nanosleep 101
#define __NR_clock_gettime 113
#define __NR_clock_nanosleep 115
#define __NR_sched_setaffinity 122
#define __NR_sched_getaffinity 123
#define __NR_sched_yield 124
#define __NR_kill 129
#define __NR_rt_sigaction 134
#define __NR_rt_sigprocmask 135
#define __NR_setpriority 140
#define __NR_getpriority 141
#define __NR_reboot 142
#define __NR_uname 160
#define __NR_getrlimit 163
#define __NR_getrusage 165
#define __NR_gettimeofday 169
#define __NR_getpid 172
#define __NR_getppid 173
#define __NR_getuid 174
#define __NR_geteuid 175
#define __NR_getgid 176
#define __NR_getegid 177
#define __NR_gettid 178
#define __NR_brk 214
#define __NR_munmap 215
#define __NR_mremap 216
#define __NR_mmap 222
#define __NR_mprotect 226
#define __NR_madvise 233
#define __NR_prlimit64 261
#define __NR_getrandom 278
#define __NR_rseq 293

static inline long __syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#define syscall0(n) __syscall6((n), 0, 0, 0, 0, 0, 0)
#define syscall1(n, a) __syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b) __syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c) __syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define syscall4(n, a, b, c, d) __syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define syscall5(n, a, b, c, d, e) __syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define syscall6(n, a, b, c, d, e, f) \
	__syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
