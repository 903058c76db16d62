/* The EL0 test suite (/init of the default initramfs): process start-up ABI, system calls
 * and demand paging, seen from user space. Prints KTAP version 1 like the kernel's ktest and
 * exits with the number of failed suites, so `run /init` reports pass/fail by exit status.
 *
 * Fault and RSS figures come from getrusage(RUSAGE_SELF): ru_minflt (faults handled without
 * I/O, one per page made present by a user access) and ru_maxrss (KiB, high-water mark of
 * resident anonymous + file pages, the shared zero page not counted), as on Linux.
 *
 * Options: --linux relaxes the two checks that only this kernel can make exact: Linux 6.1
 * batches RSS counter updates per task (SPLIT_RSS_COUNTING: a task's cached counts reach the
 * mm only every TASK_RSS_EVENTS_THRESH = 64 faults, and one file fault maps up to 16 pages by
 * fault-around), so ru_maxrss lags; and under qemu-user the host counts QEMU's own faults too.
 * Fault counts stay exact on Linux (one per anonymous page; no fault-around for anonymous
 * memory, no THP after MADV_NOHUGEPAGE). Without --linux every count must be exact: on Linux
 * demand_faults_exact then sees ru_maxrss grow by 1064 KiB for 1024 KiB touched.
 * --qemu-user skips (with the reason, as KTAP SKIP) the checks where qemu-aarch64's user-mode
 * emulation differs from Linux: it ignores setting RLIMIT_STACK, returns ENOSYS for
 * set_robust_list, treats MAP_FIXED_NOREPLACE as a hint, preallocates the stack, and its own
 * allocations show up in ru_minflt. It implies --linux.
 * --expect-argc=N checks that the kernel passed exactly N arguments (argv[0] included). */
#include "lib/ktap.h"

static int linux_mode;
static int qemu_user;

/* True when the check should be skipped under qemu-user; marks the case SKIP with why. */
static int qemu_deviates(const char *why)
{
	if (qemu_user)
		ktap_skip(why);
	return qemu_user;
}

/* ---- helpers -------------------------------------------------------------------------- */

/* Exactly n faults; under qemu-user, whose own page faults (translation buffers, page-flag
 * tracking) land in the same counter, at least n. */
#define EXPECT_FAULTS(delta, n)                                                           \
	do {                                                                              \
		if (qemu_deviates("qemu-user's own faults count in ru_minflt: lower bound")) \
			EXPECT((long)(delta) >= (long)(n));                               \
		else                                                                      \
			EXPECT_EQ(delta, n);                                              \
	} while (0)

static long minflt(void)
{
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	long r = sys_getrusage(RUSAGE_SELF, &ru);
	return r ? -1 : ru.ru_minflt;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	long r = sys_getrusage(RUSAGE_SELF, &ru);
	return r ? -1 : ru.ru_maxrss;
}

static char *map_anon(unsigned long len, int prot, int flags)
{
	long r = sys_mmap(0, len, prot, MAP_ANONYMOUS | flags, -1, 0);
	if (is_err(r))
		return 0;
	/* No transparent huge pages on Linux: one fault per 4 KiB page there too. */
	sys_madvise((void *)r, len, MADV_NOHUGEPAGE);
	return (char *)r;
}

static void __attribute__((noinline)) touch_write(volatile char *p, unsigned long pages, char v)
{
	for (unsigned long i = 0; i < pages; i++)
		p[i * PAGE_SIZE] = v;
}

static long __attribute__((noinline)) touch_read(volatile char *p, unsigned long pages)
{
	long sum = 0;
	for (unsigned long i = 0; i < pages; i++)
		sum += p[i * PAGE_SIZE];
	return sum;
}

/* Runs the touch loops once on a scratch mapping so that the measured run takes no fault on
 * code or stack pages (and, under qemu-user, translates the loops before counting). The
 * mapping stays: unmapping it would leave the RSS below its high-water mark, and
 * demand_faults_exact reads RSS growth from ru_maxrss. */
extern const unsigned char __ehdr_start[] __attribute__((visibility("hidden")));
extern const unsigned char etext[] __attribute__((visibility("hidden")));

static void warm_up(void)
{
	/* Every page of the program's own text, once: the exact fault counts below must not
	 * depend on where the linker happened to put a test's code (a check that straddles into
	 * a text page not run before takes one demand fault more). */
	for (const volatile unsigned char *t = __ehdr_start; t < etext; t += PAGE_SIZE)
		(void)*t;
	char *w = map_anon(4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (!w)
		return;
	touch_read(w, 4);
	touch_write(w, 4, 1);
	minflt();
	maxrss_kb();
}

/* ---- start-up ABI --------------------------------------------------------------------- */

extern void _start(void);

static void t_sp_aligned(void)
{
	EXPECT_EQ(__initial_sp % 16, 0);
	EXPECT_EQ(*(unsigned long *)__initial_sp, (unsigned long)__argc);
}

static void t_argv_envp(void)
{
	ASSERT(__argc >= 1);
	EXPECT(__argv[0] != 0);
	EXPECT(__argv[__argc] == 0);
	for (int i = 0; i < __argc; i++)
		EXPECT(strlen(__argv[i]) < 4096);
	/* envp directly follows argv's NULL; auxv directly follows envp's NULL. */
	EXPECT(__envp == __argv + __argc + 1);
	int n = 0;
	while (__envp[n])
		n++;
	EXPECT((unsigned long *)(__envp + n + 1) == __auxv);
	for (int i = 1; i < __argc; i++) {
		if (strncmp(__argv[i], "--expect-argc=", 14) == 0)
			EXPECT_EQ(__argc, strtoul(__argv[i] + 14, 0, 10));
	}
	/* Strings live above the pointer arrays, on the stack, inside the same mapping. */
	EXPECT((unsigned long)__argv[0] > (unsigned long)__auxv);
}

static void t_auxv_pagesz_clktck(void)
{
	EXPECT_EQ(getauxval(AT_PAGESZ), 4096);
	EXPECT_EQ(getauxval(AT_CLKTCK), 100);
	EXPECT_EQ(getauxval(AT_SECURE), 0);
}

static void t_auxv_ids(void)
{
	EXPECT_EQ(getauxval(AT_UID), syscall0(__NR_getuid));
	EXPECT_EQ(getauxval(AT_EUID), syscall0(__NR_geteuid));
	EXPECT_EQ(getauxval(AT_GID), syscall0(__NR_getgid));
	EXPECT_EQ(getauxval(AT_EGID), syscall0(__NR_getegid));
	int seen = 0;
	for (unsigned long *a = __auxv; a[0] != AT_NULL; a += 2)
		if (a[0] == AT_UID)
			seen = 1;
	EXPECT(seen);
}

static void t_auxv_random(void)
{
	const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
	ASSERT(r != 0);
	/* 16 readable bytes, not all equal (probability 2^-120 of a false failure). */
	int same = 1;
	for (int i = 1; i < 16; i++)
		if (r[i] != r[0])
			same = 0;
	EXPECT(!same);
	EXPECT((unsigned long)r > (unsigned long)__auxv);
}

static void t_auxv_execfn(void)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	ASSERT(fn != 0);
	EXPECT(strcmp(fn, __argv[0]) == 0);
}

static void t_auxv_phdr_entry(void)
{
	/* The program's own ELF header (lld maps it at the start of the first segment). */
	const unsigned char *eh = __ehdr_start;
	unsigned long phoff;
	unsigned short phentsize, phnum;
	memcpy(&phoff, eh + 32, 8);
	memcpy(&phentsize, eh + 54, 2);
	memcpy(&phnum, eh + 56, 2);
	EXPECT_EQ(getauxval(AT_PHDR), (unsigned long)eh + phoff);
	EXPECT_EQ(getauxval(AT_PHENT), phentsize);
	EXPECT_EQ(getauxval(AT_PHENT), 56);
	EXPECT_EQ(getauxval(AT_PHNUM), phnum);
	EXPECT_EQ(getauxval(AT_ENTRY), (unsigned long)_start);
	/* AArch64 Linux always reports FP and ASIMD (HWCAP_FP | HWCAP_ASIMD). */
	EXPECT_EQ(getauxval(AT_HWCAP) & 3, 3);
}

static const struct ktest_case startup_cases[] = {
	{"sp_aligned", t_sp_aligned},	       {"argv_envp", t_argv_envp},	{"auxv_pagesz_clktck", t_auxv_pagesz_clktck},
	{"auxv_ids", t_auxv_ids},	       {"auxv_random", t_auxv_random}, {"auxv_execfn", t_auxv_execfn},
	{"auxv_phdr_entry", t_auxv_phdr_entry},
};

/* ---- system calls --------------------------------------------------------------------- */

static void t_uname(void)
{
	struct utsname u;
	memset(&u, 0x55, sizeof(u));
	ASSERT_EQ(syscall1(__NR_uname, &u), 0);
	EXPECT(strlen(u.sysname) > 0 && strlen(u.sysname) < 65);
	EXPECT(strcmp(u.machine, "aarch64") == 0);
	/* glibc refuses to start on a release older than its minimum (3.7 for aarch64). */
	unsigned long major = strtoul(u.release, 0, 10);
	EXPECT(major >= 4);
	EXPECT(strlen(u.version) < 65);
}

static void t_clock_monotonic(void)
{
	struct timespec a, b, r;
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &a), 0);
	EXPECT(a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
	struct timespec req = {0, 20 * 1000 * 1000};
	EXPECT_EQ(syscall2(__NR_nanosleep, &req, 0), 0);
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &b), 0);
	long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
	EXPECT(ns >= 20 * 1000 * 1000);
	EXPECT(ns < 5L * 1000 * 1000 * 1000);
	EXPECT_EQ(sys_clock_gettime(CLOCK_REALTIME, &r), 0);
	struct timeval tv;
	EXPECT_EQ(syscall2(__NR_gettimeofday, &tv, 0), 0);
	EXPECT(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	EXPECT_EQ(sys_clock_gettime(12345, &a), -EINVAL);
	/* The counter the benchmark uses is readable at EL0 and moves. */
	uint64_t c0 = read_cntvct(), c1;
	do
		c1 = read_cntvct();
	while (c1 == c0);
	EXPECT(c1 > c0);
	EXPECT(read_cntfrq() > 0);
}

static void t_getrandom(void)
{
	unsigned char a[16], b[16];
	memset(a, 0, 16);
	memset(b, 0, 16);
	EXPECT_EQ(syscall3(__NR_getrandom, a, 16, 0), 16);
	EXPECT_EQ(syscall3(__NR_getrandom, b, 16, 0), 16);
	EXPECT(memcmp(a, b, 16) != 0);
	EXPECT_EQ(syscall3(__NR_getrandom, a, 16, 0x80), -EINVAL); /* unknown flag */
}

static void t_write_writev(void)
{
	static const char m1[] = "    # writev: part one, ";
	static const char m2[] = "part two\n";
	struct iovec v[2] = {{m1, sizeof(m1) - 1}, {m2, sizeof(m2) - 1}};
	EXPECT_EQ(sys_writev(1, v, 2), sizeof(m1) - 1 + sizeof(m2) - 1);
	EXPECT_EQ(sys_write(1, "", 0), 0);
	EXPECT_EQ(sys_write(-1, "x", 1), -EBADF);
	EXPECT_EQ(sys_write(1000, "x", 1), -EBADF);
	EXPECT_EQ(sys_writev(1, v, -1), -EINVAL);
}

static void t_ids(void)
{
	EXPECT_EQ(syscall0(__NR_getuid), 0);
	EXPECT_EQ(syscall0(__NR_geteuid), 0);
	EXPECT_EQ(syscall0(__NR_getgid), 0);
	EXPECT_EQ(syscall0(__NR_getegid), 0);
	long pid = sys_getpid();
	EXPECT(pid > 0);
	/* A real parent: the kernel thread or program that started us (Linux: >= 0, not us). */
	long ppid = syscall0(__NR_getppid);
	EXPECT(ppid >= 0 && ppid != pid);
	EXPECT_EQ(sys_gettid(), pid);
	int tidaddr;
	EXPECT_EQ(syscall1(__NR_set_tid_address, &tidaddr), pid);
}

static void t_rlimit_stack(void)
{
	struct rlimit old, cur, set;
	ASSERT_EQ(sys_prlimit64(0, RLIMIT_STACK, 0, &old), 0);
	EXPECT(old.rlim_cur >= 128 * 1024);
	EXPECT(old.rlim_cur <= old.rlim_max);
	struct rlimit g;
	EXPECT_EQ(syscall2(__NR_getrlimit, RLIMIT_STACK, &g), 0);
	EXPECT_EQ(g.rlim_cur, old.rlim_cur);
	if (qemu_deviates("qemu-user ignores setting RLIMIT_STACK"))
		return;
	set.rlim_cur = 4 * 1024 * 1024;
	set.rlim_max = old.rlim_max;
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, &set, &cur), 0);
	EXPECT_EQ(cur.rlim_cur, old.rlim_cur);
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, 0, &cur), 0);
	EXPECT_EQ(cur.rlim_cur, 4 * 1024 * 1024);
	set.rlim_cur = old.rlim_max == ~0UL ? ~0UL : old.rlim_max + 1; /* cur > max */
	set.rlim_max = old.rlim_max == ~0UL ? 1 : old.rlim_max;
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, &set, 0), -EINVAL);
	EXPECT_EQ(sys_prlimit64(0, RLIMIT_STACK, &old, 0), 0);
	EXPECT_EQ(sys_prlimit64(0, 1000, 0, &cur), -EINVAL);
}

static void t_misc(void)
{
	EXPECT_EQ(syscall0(__NR_sched_yield), 0);
	/* Past the end of the table: -ENOSYS, and the process goes on. */
	EXPECT_EQ(syscall0(1999), -ENOSYS);
	unsigned long set = 0, old = 0;
	EXPECT_EQ(syscall4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, &set, &old, 8), 0);
	unsigned long act[4] = {0, 0, 0, 0}; /* SIG_DFL */
	EXPECT_EQ(syscall4(__NR_rt_sigaction, 10 /* SIGUSR1 */, act, 0, 8), 0);
	EXPECT_EQ(syscall4(__NR_rt_sigaction, 9 /* SIGKILL */, act, 0, 8), -EINVAL);
	unsigned char termios[60];
	long r = syscall3(__NR_ioctl, 1, TCGETS, termios);
	EXPECT(r == 0 || r == -ENOTTY);
	EXPECT_EQ(syscall3(__NR_ioctl, 1000, TCGETS, termios), -EBADF);
	unsigned long head[3] = {0, 0, 0};
	if (qemu_deviates("qemu-user has no set_robust_list"))
		return;
	EXPECT_EQ(syscall2(__NR_set_robust_list, head, 24), 0);
	EXPECT_EQ(syscall2(__NR_set_robust_list, head, 23), -EINVAL);
}

static const struct ktest_case syscall_cases[] = {
	{"uname", t_uname},	    {"clock_monotonic", t_clock_monotonic}, {"getrandom", t_getrandom},
	{"write_writev", t_write_writev}, {"ids", t_ids}, {"rlimit_stack", t_rlimit_stack},
	{"misc", t_misc},
};

/* ---- memory --------------------------------------------------------------------------- */

#define N_PAGES 256

static void t_demand_faults_exact(void)
{
	/* First in its suite and before any munmap, so that the RSS high-water mark equals the
	 * current RSS when the measurement starts. */
	char *p = map_anon(N_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT(p != 0);
	long f0 = minflt(), r0 = maxrss_kb();
	EXPECT_EQ(minflt(), f0); /* getrusage itself takes no fault */
	touch_write(p, N_PAGES, 1);
	long f1 = minflt(), r1 = maxrss_kb();
	EXPECT_FAULTS(f1 - f0, N_PAGES);
	if (linux_mode) {
		EXPECT(r1 - r0 >= N_PAGES * 4 - 512 && r1 - r0 <= N_PAGES * 4 + 512);
	} else {
		EXPECT_EQ(r1 - r0, N_PAGES * 4);
	}
	/* Present pages take no further fault. */
	touch_write(p, N_PAGES, 2);
	touch_read(p, N_PAGES);
	EXPECT_FAULTS(minflt() - f1, 0);
	EXPECT_EQ(sys_munmap(p, N_PAGES * PAGE_SIZE), 0);
}

static void t_zero_page_then_cow(void)
{
	char *p = map_anon(N_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT(p != 0);
	long f0 = minflt(), r0 = maxrss_kb();
	EXPECT_EQ(touch_read(p, N_PAGES), 0);
	long f1 = minflt(), r1 = maxrss_kb();
	EXPECT_FAULTS(f1 - f0, N_PAGES); /* one read fault per page: zero page mapped */
	EXPECT_EQ(r1, r0);		/* the zero page is not resident set */
	touch_write(p, N_PAGES, 7);
	long f2 = minflt();
	EXPECT_FAULTS(f2 - f1, N_PAGES); /* one CoW from the zero page per page */
	for (unsigned long i = 0; i < N_PAGES; i++)
		if (p[i * PAGE_SIZE] != 7 || p[i * PAGE_SIZE + 1] != 0) {
			ktap_fail(__FILE__, __LINE__, "page %lu after CoW: %d %d", i, p[i * PAGE_SIZE], p[i * PAGE_SIZE + 1]);
			break;
		}
	EXPECT_EQ(sys_munmap(p, N_PAGES * PAGE_SIZE), 0);
}

static void t_populate(void)
{
	char *p = map_anon(64 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE);
	ASSERT(p != 0);
	long f0 = minflt();
	touch_write(p, 64, 3);
	if (!qemu_deviates("qemu-user drops MAP_POPULATE"))
		EXPECT_EQ(minflt(), f0); /* already present */
	EXPECT_EQ(sys_munmap(p, 64 * PAGE_SIZE), 0);
}

static void t_munmap_middle_splits(void)
{
	char *p = map_anon(8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT(p != 0);
	touch_write(p, 8, 9);
	EXPECT_EQ(sys_munmap(p + 3 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	/* Both remaining parts are mapped with their data; the hole is not (mprotect on an
	 * unmapped range fails with ENOMEM, as on Linux). */
	EXPECT_EQ(touch_read(p, 3), 27);
	EXPECT_EQ(touch_read(p + 5 * PAGE_SIZE, 3), 27);
	EXPECT_EQ(sys_mprotect(p + 3 * PAGE_SIZE, PAGE_SIZE, PROT_READ), -ENOMEM);
	EXPECT_EQ(sys_mprotect(p + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), -ENOMEM);
	EXPECT_EQ(sys_mprotect(p, 3 * PAGE_SIZE, PROT_READ), 0);
	/* The hole can be refilled without MAP_FIXED_NOREPLACE complaining; its neighbours cannot. */
	long r = sys_mmap(p + 3 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT_EQ(r, (long)(p + 3 * PAGE_SIZE));
	EXPECT_EQ(touch_read(p + 3 * PAGE_SIZE, 2), 0);
	if (!qemu_deviates("qemu-user treats MAP_FIXED_NOREPLACE as a hint"))
		EXPECT_EQ(sys_mmap(p + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
	EXPECT_EQ(sys_munmap(p, 8 * PAGE_SIZE), 0);
	EXPECT_EQ(sys_mprotect(p, PAGE_SIZE, PROT_READ), -ENOMEM);
}

static void t_mprotect_ro_rw(void)
{
	char *p = map_anon(4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT(p != 0);
	touch_write(p, 4, 5);
	EXPECT_EQ(sys_mprotect(p + PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), 0);
	EXPECT_EQ(touch_read(p, 4), 20);
	EXPECT_EQ(sys_mprotect(p + PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	touch_write(p, 4, 6);
	EXPECT_EQ(touch_read(p, 4), 24);
	EXPECT_EQ(sys_mprotect(p, PAGE_SIZE, 0x100), -EINVAL);
	EXPECT_EQ(sys_mprotect(p + 1, PAGE_SIZE, PROT_READ), -EINVAL);
	EXPECT_EQ(sys_munmap(p, 4 * PAGE_SIZE), 0);
}

static void t_mmap_flags_and_errors(void)
{
	int rw = PROT_READ | PROT_WRITE;
	EXPECT_EQ(sys_mmap(0, 0, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -EINVAL);
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, rw, MAP_ANONYMOUS, -1, 0), -EINVAL); /* neither private nor shared */
	/* MAP_TYPE 0x0f: neither SHARED (1), PRIVATE (2) nor SHARED_VALIDATE (3). */
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, rw, 0x0f | MAP_ANONYMOUS, -1, 0), -EINVAL);
	EXPECT_EQ(sys_mmap((void *)0x10000123, PAGE_SIZE, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), -EINVAL);
	EXPECT_EQ(sys_mmap((void *)(1UL << 48), PAGE_SIZE, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), -ENOMEM);
	EXPECT_EQ(sys_mmap(0, ~0UL & ~(PAGE_SIZE - 1), rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -ENOMEM);
	EXPECT_EQ(sys_munmap((void *)0x10000123, PAGE_SIZE), -EINVAL);
	EXPECT_EQ(sys_munmap((void *)0x10000000, 0), -EINVAL);

	/* MAP_FIXED replaces what was there: the new pages read as zero. */
	char *p = map_anon(4 * PAGE_SIZE, rw, MAP_PRIVATE);
	ASSERT(p != 0);
	touch_write(p, 4, 1);
	EXPECT_EQ(sys_mmap(p + PAGE_SIZE, PAGE_SIZE, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), (long)(p + PAGE_SIZE));
	EXPECT_EQ(touch_read(p, 4), 3);
	/* MAP_NORESERVE: a large reservation that is never touched costs nothing. */
	long f0 = minflt();
	long big = sys_mmap(0, 1UL << 32, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	EXPECT(!is_err(big));
	if (!qemu_deviates("qemu-user's own allocations count in ru_minflt"))
		EXPECT_EQ(minflt(), f0);
	if (!is_err(big))
		EXPECT_EQ(sys_munmap((void *)big, 1UL << 32), 0);
	EXPECT_EQ(sys_munmap(p, 4 * PAGE_SIZE), 0);
}

static void t_shared_anon(void)
{
	char *p = map_anon(4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT(p != 0);
	touch_write(p, 4, 4);
	EXPECT_EQ(touch_read(p, 4), 16);
	EXPECT_EQ(sys_munmap(p, 4 * PAGE_SIZE), 0);
}

static void t_madvise_dontneed(void)
{
	char *p = map_anon(16 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT(p != 0);
	touch_write(p, 16, 8);
	EXPECT_EQ(sys_madvise(p, 16 * PAGE_SIZE, MADV_DONTNEED), 0);
	long f0 = minflt();
	EXPECT_EQ(touch_read(p, 16), 0); /* private anonymous: zero-filled again */
	EXPECT_FAULTS(minflt() - f0, 16);
	EXPECT_EQ(sys_madvise(p, 16 * PAGE_SIZE, MADV_WILLNEED), 0);
	EXPECT_EQ(sys_madvise(p + 1, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	EXPECT_EQ(sys_munmap(p, 16 * PAGE_SIZE), 0);
}

static void t_mremap(void)
{
	char *p = map_anon(4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ASSERT(p != 0);
	for (int i = 0; i < 4; i++)
		p[i * PAGE_SIZE + 5] = (char)(i + 1);
	long q = sys_mremap(p, 4 * PAGE_SIZE, 64 * PAGE_SIZE, MREMAP_MAYMOVE, 0);
	ASSERT(!is_err(q));
	char *n = (char *)q;
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(n[i * PAGE_SIZE + 5], i + 1);
	EXPECT_EQ(touch_read(n + 4 * PAGE_SIZE, 60), 0);
	q = sys_mremap(n, 64 * PAGE_SIZE, 2 * PAGE_SIZE, 0, 0); /* shrink in place */
	EXPECT_EQ(q, (long)n);
	EXPECT_EQ(n[PAGE_SIZE + 5], 2);
	EXPECT_EQ(sys_munmap(n, 2 * PAGE_SIZE), 0);
}

static void t_brk_grow_shrink(void)
{
	long b0 = sys_brk(0);
	ASSERT(!is_err(b0) && b0 > 0);
	long want = b0 + 64 * PAGE_SIZE;
	ASSERT_EQ(sys_brk((void *)want), want);
	long f0 = minflt();
	unsigned long start = ((unsigned long)b0 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	unsigned long pages = ((unsigned long)want - start) / PAGE_SIZE;
	touch_write((char *)start, pages, 1);
	EXPECT_FAULTS(minflt() - f0, pages);
	/* Shrink: the pages go; growing again gives zeroed memory. */
	EXPECT_EQ(sys_brk((void *)(b0 + 8 * PAGE_SIZE)), b0 + 8 * PAGE_SIZE);
	EXPECT_EQ(sys_brk((void *)want), want);
	EXPECT_EQ(touch_read((char *)start + 8 * PAGE_SIZE, pages - 8), 0);
	/* A break inside another mapping or past the user half is refused: brk returns the old
	 * break unchanged. */
	EXPECT_EQ(sys_brk((void *)(1UL << 50)), want);
	EXPECT_EQ(sys_brk((void *)b0), b0);
	EXPECT_EQ(sys_brk(0), b0);
}

static void __attribute__((noinline)) recurse(int depth, volatile char *prev)
{
	volatile char frame[16 * 1024];
	for (unsigned long i = 0; i < sizeof(frame); i += PAGE_SIZE / 2) /* every page of the frame */
		frame[i] = (char)depth;
	frame[sizeof(frame) - 1] = (char)depth;
	if (depth > 0)
		recurse(depth - 1, frame);
	if (prev)
		EXPECT(frame[0] == (char)depth);
}

static void t_stack_growth(void)
{
	long f0 = minflt();
	recurse(128, 0); /* 2 MiB below the initial stack, within RLIMIT_STACK */
	if (!qemu_deviates("qemu-user preallocates the stack"))
		EXPECT(minflt() - f0 >= (long)(128 * 16 * 1024 / PAGE_SIZE) - 16);
}

static void t_malloc_stress(void)
{
	enum { SLOTS = 512 };
	static char *slot[SLOTS];
	static unsigned long len[SLOTS];
	unsigned long x = 0x9e3779b97f4a7c15UL;
	int ok = 1;
	for (int iter = 0; iter < 20000 && ok; iter++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int s = (int)(x % SLOTS);
		if (slot[s]) {
			for (unsigned long i = 0; i < len[s]; i += 97)
				if (slot[s][i] != (char)(s + i))
					ok = 0;
			free(slot[s]);
			slot[s] = 0;
		} else {
			len[s] = (x >> 20) % ((x & 64) ? 300000 : 2000) + 1;
			slot[s] = malloc(len[s]);
			if (!slot[s]) {
				ok = 0;
				break;
			}
			if ((unsigned long)slot[s] % 16)
				ok = 0;
			for (unsigned long i = 0; i < len[s]; i += 97)
				slot[s][i] = (char)(s + i);
		}
	}
	EXPECT(ok);
	for (int s = 0; s < SLOTS; s++) {
		free(slot[s]);
		slot[s] = 0;
	}
}

static const struct ktest_case mm_cases[] = {
	{"demand_faults_exact", t_demand_faults_exact},
	{"zero_page_then_cow", t_zero_page_then_cow},
	{"populate", t_populate},
	{"munmap_middle_splits", t_munmap_middle_splits},
	{"mprotect_ro_rw", t_mprotect_ro_rw},
	{"mmap_flags_and_errors", t_mmap_flags_and_errors},
	{"shared_anon", t_shared_anon},
	{"madvise_dontneed", t_madvise_dontneed},
	{"mremap", t_mremap},
	{"brk_grow_shrink", t_brk_grow_shrink},
	{"stack_growth", t_stack_growth},
	{"malloc_stress", t_malloc_stress},
};

/* ---- hostile probes (issue 19): the answers Linux gives ------------------------------- */

static void t_sleep_edges(void)
{
	struct timespec neg = {-(1L << 40), 0}, bad_ns = {0, 1000000000L}, now, past;
	/* A negative time or nanoseconds out of range: -EINVAL, relative or absolute. */
	EXPECT_EQ(syscall4(__NR_clock_nanosleep, CLOCK_MONOTONIC, 1 /* TIMER_ABSTIME */, &neg, 0), -EINVAL);
	EXPECT_EQ(syscall4(__NR_clock_nanosleep, CLOCK_MONOTONIC, 0, &neg, 0), -EINVAL);
	EXPECT_EQ(syscall2(__NR_nanosleep, &neg, 0), -EINVAL);
	EXPECT_EQ(syscall2(__NR_nanosleep, &bad_ns, 0), -EINVAL);
	/* An absolute time already past returns at once. */
	ASSERT_EQ(sys_clock_gettime(CLOCK_MONOTONIC, &now), 0);
	past.tv_sec = now.tv_sec > 0 ? now.tv_sec - 1 : 0;
	past.tv_nsec = 0;
	EXPECT_EQ(syscall4(__NR_clock_nanosleep, CLOCK_MONOTONIC, 1, &past, 0), 0);
	struct timespec zero = {0, 0};
	EXPECT_EQ(syscall2(__NR_nanosleep, &zero, 0), 0);
}

static void t_partial_copies(void)
{
	/* A buffer that runs into an unmapped page: getrandom copies and counts what fits before
	 * it (Linux's count depends on its copy routine: 8 of these 10 on 6.1, 10 here). It lies
	 * low in the address space, so that a count far past it is still below TASK_SIZE and only
	 * the missing page stops the copy. */
	char *p = (char *)sys_mmap((void *)0x10000000, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT(p == (char *)0x10000000);
	ASSERT_EQ(sys_munmap(p + PAGE_SIZE, PAGE_SIZE), 0);
	char *edge = p + PAGE_SIZE - 10;
	if (!qemu_deviates("qemu-user locks the whole getrandom buffer first: -EFAULT, not a partial count")) {
		long r = syscall3(__NR_getrandom, edge, 100, 0);
		EXPECT(r > 0 && r <= 10);
	}
	EXPECT_EQ(syscall3(__NR_getrandom, p + PAGE_SIZE, 16, 0), -EFAULT);
	/* write() to the console (a tty) goes in 2048-byte chunks and stops at one it cannot copy
	 * whole: a count far past the mapping (Linux clamps it to MAX_RW_COUNT first) whose first
	 * chunk runs into the hole is -EFAULT, on Linux as here. */
	memcpy(edge, "    #    \n", 10);
	EXPECT_EQ(sys_write(1, edge, 1UL << 40), -EFAULT);
	EXPECT_EQ(sys_write(1, p + PAGE_SIZE, 1), -EFAULT);
	EXPECT_EQ(sys_write(1, edge, 10), 10); /* a whole chunk that fits is written */
	/* A path pointer into unmapped memory is -EFAULT, not a name error. */
	EXPECT_EQ(syscall4(__NR_openat, -100 /* AT_FDCWD */, p + PAGE_SIZE, 0, 0), -EFAULT);
	EXPECT_EQ(syscall4(__NR_openat, -100, (void *)16, 0, 0), -EFAULT);
	EXPECT_EQ(sys_munmap(p, PAGE_SIZE), 0);
}

static void t_priority_and_affinity(void)
{
	/* The raw getpriority returns 20 - nice (1..40); root may raise and lower it; values
	 * beyond the range are clamped (Linux's kernel/sys.c). */
	EXPECT_EQ(syscall2(__NR_getpriority, 0 /* PRIO_PROCESS */, 0), 20);
	EXPECT_EQ(syscall3(__NR_setpriority, 0, 0, 5), 0);
	EXPECT_EQ(syscall2(__NR_getpriority, 0, sys_getpid()), 15);
	EXPECT_EQ(syscall3(__NR_setpriority, 0, 0, 100), 0);
	EXPECT_EQ(syscall2(__NR_getpriority, 0, 0), 1);
	EXPECT_EQ(syscall3(__NR_setpriority, 0, 0, -100), 0);
	EXPECT_EQ(syscall2(__NR_getpriority, 0, 0), 40);
	EXPECT_EQ(syscall3(__NR_setpriority, 0, 0, 0), 0);
	EXPECT_EQ(syscall2(__NR_getpriority, 0, 0), 20);
	EXPECT_EQ(syscall3(__NR_setpriority, 7, 0, 0), -EINVAL);
	EXPECT_EQ(syscall2(__NR_getpriority, 0, 0x7ffffff0), -ESRCH);
	/* One long of CPU mask; the CPU running us is in it; an empty mask is refused. */
	unsigned long mask = 0;
	EXPECT_EQ(syscall3(__NR_sched_getaffinity, 0, sizeof(mask), &mask), (long)sizeof(mask));
	EXPECT(mask & 1);
	EXPECT_EQ(syscall3(__NR_sched_getaffinity, 0, 1, &mask), -EINVAL);
	unsigned long one = 1, none = 0;
	EXPECT_EQ(syscall3(__NR_sched_setaffinity, 0, sizeof(one), &one), 0);
	EXPECT_EQ(syscall3(__NR_sched_setaffinity, 0, sizeof(none), &none), -EINVAL);
	EXPECT_EQ(syscall3(__NR_sched_setaffinity, 0, sizeof(mask), &mask), 0);
}

static const struct ktest_case probe_cases[] = {
	{"priority_and_affinity", t_priority_and_affinity},
	{"sleep_edges", t_sleep_edges},
	{"partial_copies", t_partial_copies},
};

static const struct ktest_suite suites[] = {
	KTEST_SUITE("user_startup", startup_cases),
	KTEST_SUITE("user_syscall", syscall_cases),
	KTEST_SUITE("user_mm", mm_cases),
	KTEST_SUITE("user_probes", probe_cases),
};

int main(int argc, char **argv, char **envp)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--linux") == 0)
			linux_mode = 1;
		else if (strcmp(argv[i], "--qemu-user") == 0)
			linux_mode = qemu_user = 1;
	warm_up();
	return ktap_run(suites, (int)(sizeof(suites) / sizeof(suites[0])));
}
