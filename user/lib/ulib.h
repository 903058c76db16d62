/* The tiny runtime of the user programs: start-up (argc/argv/envp/auxv as the Linux ABI lays
 * them out), raw system call wrappers returning -errno (no errno variable), string functions,
 * printf to fd 1, and malloc on brk (small) and mmap (large). Freestanding: no libc. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "syscall.h"

typedef long ssize_t;
typedef long off_t;

/* errno values (Linux's). */
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EBADF 9
#define ENOMEM 12
#define ESRCH 3
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22
#define ENOTTY 25
#define ENOSYS 38

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_FAILED_MAX 4095 /* results in [-4095, -1] are errors */
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_NOHUGEPAGE 15
#define MREMAP_MAYMOVE 1

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define RLIMIT_STACK 3
#define RUSAGE_SELF 0
#define TCGETS 0x5401

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31

#define PAGE_SIZE 4096UL

struct timespec {
	long tv_sec;
	long tv_nsec;
};
struct timeval {
	long tv_sec;
	long tv_usec;
};
struct iovec {
	const void *iov_base;
	size_t iov_len;
};
struct rlimit {
	unsigned long rlim_cur;
	unsigned long rlim_max;
};
struct rusage {
	struct timeval ru_utime;
	struct timeval ru_stime;
	long ru_maxrss; /* KiB */
	long ru_ixrss, ru_idrss, ru_isrss;
	long ru_minflt;
	long ru_majflt;
	long ru_nswap, ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* Start-up state, filled by start.c before main. */
extern int __argc;
extern char **__argv;
extern char **__envp;
extern unsigned long *__auxv;
extern unsigned long __initial_sp;
unsigned long getauxval(unsigned long type); /* 0 when absent */
int main(int argc, char **argv, char **envp);
/* clone(2) with the child running fn(arg) on `stack` (its top) and exiting (exit, not
 * exit_group) with fn's result; only the calling thread's registers are copied, so the child
 * must not return into the parent's frames. The tid (or -errno) in the parent. */
long raw_clone(unsigned long flags, void *stack, volatile int *ptid, unsigned long tls, volatile int *ctid,
	       int (*fn)(void *), void *arg);

/* System calls: return the kernel's value, -errno on failure. */
static inline ssize_t sys_write(int fd, const void *p, size_t n) { return syscall3(__NR_write, fd, p, n); }
static inline ssize_t sys_read(int fd, void *p, size_t n) { return syscall3(__NR_read, fd, p, n); }
static inline ssize_t sys_writev(int fd, const struct iovec *v, int n) { return syscall3(__NR_writev, fd, v, n); }
__attribute__((noreturn)) void sys_exit_group(int status);
static inline long sys_brk(void *p) { return syscall1(__NR_brk, p); }
static inline long sys_mmap(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
	return syscall6(__NR_mmap, a, len, prot, flags, fd, off);
}
static inline long sys_munmap(void *a, size_t len) { return syscall2(__NR_munmap, a, len); }
static inline long sys_mprotect(void *a, size_t len, int prot) { return syscall3(__NR_mprotect, a, len, prot); }
static inline long sys_madvise(void *a, size_t len, int adv) { return syscall3(__NR_madvise, a, len, adv); }
static inline long sys_mremap(void *a, size_t o, size_t n, int flags, void *na)
{
	return syscall5(__NR_mremap, a, o, n, flags, na);
}
static inline long sys_getpid(void) { return syscall0(__NR_getpid); }
static inline long sys_gettid(void) { return syscall0(__NR_gettid); }
static inline long sys_clock_gettime(int clk, struct timespec *ts) { return syscall2(__NR_clock_gettime, clk, ts); }
static inline long sys_getrusage(int who, struct rusage *ru) { return syscall2(__NR_getrusage, who, ru); }
static inline long sys_prlimit64(int pid, int res, const struct rlimit *n, struct rlimit *o)
{
	return syscall4(__NR_prlimit64, pid, res, n, o);
}
static inline int is_err(long r) { return r < 0 && r >= -MAP_FAILED_MAX; }

/* Strings and memory. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *__restrict d, const void *__restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
unsigned long strtoul(const char *s, char **end, int base);

/* Output: printf writes to fd 1 with one write per call (lines from different programs do
 * not interleave mid-line). */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int puts(const char *s);

/* Heap: malloc on brk for requests below MMAP_THRESHOLD, mmap above. NULL when out of memory. */
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);

/* The generic timer's virtual count (CNTVCT_EL0) and frequency, readable at EL0 when the
 * kernel sets CNTKCTL_EL1.EL0VCTEN (Linux does). */
static inline uint64_t read_cntvct(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}
static inline uint64_t read_cntfrq(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}
