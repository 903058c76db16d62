/* File-backed memory on Linux's ABI: MAP_SHARED of a tmpfs file between processes (writes
 * seen both ways and by read()), MAP_PRIVATE copy-on-write from the page cache, SIGBUS
 * beyond EOF (BUS_ADRERR at the address), mmap/mprotect/msync errno, shared anonymous
 * memory across fork, two instances of one program sharing their text pages, and
 * /proc/meminfo's Cached/Shmem/Mapped moving by exactly what the test did. The same binary
 * runs on this kernel (/bin/ktest_fmap) and on Debian's Linux 6.1 as /init
 * (tools/run_tests.py LINUX_USER_SUITES). Files go in the root, a tmpfs on both.
 *
 * `ktest_fmap --sit` is one instance for the text-sharing case: it maps /fmap_sync, counts
 * itself in, and waits there until told to go. */
#include "lib/ktap.h"
#include "lib/syscall.h"
#include "lib/ulib.h"

#define __NR_mkdirat 34
#define __NR_unlinkat 35
#define __NR_mount 40
#define __NR_ftruncate 46
#define __NR_close 57
#define __NR_pread64 67
#define __NR_pwrite64 68
#define __NR_clone 220
#define __NR_execve 221
#define __NR_msync 227
#define __NR_wait4 260

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_DIRECTORY 040000
#define AT_FDCWD -100
#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4
#define MAP_SHARED_VALIDATE 0x03
#define SIGCHLD 17
#define SIGBUS 7
#define SIGSEGV 11
#define SA_SIGINFO 0x4
#define SA_RESTORER 0x04000000
#define BUS_ADRERR 2
#define EACCES 13
#define ENODEV 19
#define EOVERFLOW 75
#define PROT_RW (PROT_READ | PROT_WRITE)
#define PT_LOAD 1
#define PF_W 2

#define WIFEXITED(s) (((s)&0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s)&0x7f)

static const char *self_path;

static long f_open(const char *p, int flags, int mode) { return syscall4(__NR_openat, AT_FDCWD, p, flags, mode); }
static long f_close(long fd) { return syscall1(__NR_close, fd); }
static long f_pread(long fd, void *b, size_t n, long off) { return syscall4(__NR_pread64, fd, b, n, off); }
static long f_pwrite(long fd, const void *b, size_t n, long off) { return syscall4(__NR_pwrite64, fd, b, n, off); }
static long f_unlink(const char *p) { return syscall3(__NR_unlinkat, AT_FDCWD, p, 0); }
static long f_ftruncate(long fd, long len) { return syscall2(__NR_ftruncate, fd, len); }
static long sys_msync(void *a, size_t len, int flags) { return syscall3(__NR_msync, a, len, flags); }
static long sys_fork(void) { return syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0); }
static __attribute__((noreturn)) void p_exit(int code)
{
	syscall1(__NR_exit_group, code);
	for (;;)
		;
}
static int reap(long pid)
{
	int st = -1;
	long r = syscall4(__NR_wait4, pid, &st, 0, 0);
	EXPECT_EQ(r, pid);
	return st;
}
static void nap(void)
{
	struct timespec ts = {0, 1000000};
	syscall2(__NR_nanosleep, &ts, 0);
}

/* A new tmpfs file of `pages` pages, page i filled with (seed + i); its descriptor. */
static long make_file(const char *path, int pages, int seed)
{
	long fd = f_open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0)
		return fd;
	static unsigned char buf[4096];
	for (int i = 0; i < pages; i++) {
		memset(buf, seed + i, sizeof(buf));
		if (f_pwrite(fd, buf, sizeof(buf), (long)i * 4096) != 4096)
			return -EFAULT;
	}
	return fd;
}

static unsigned char *map(long len, int prot, int flags, long fd, long off)
{
	long r = sys_mmap(0, len, prot, flags, fd, off);
	return is_err(r) ? 0 : (unsigned char *)r;
}

static void t_shared_file_between_processes(void)
{
	long fd = make_file("/fmap_shared", 2, 'a');
	ASSERT(fd >= 0);
	unsigned char *m = map(2 * PAGE_SIZE, PROT_RW, MAP_SHARED, fd, 0);
	ASSERT(m);
	EXPECT_EQ(m[0], 'a');
	EXPECT_EQ(m[PAGE_SIZE + 7], 'b');
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		/* The child's own mapping of the same file, and the inherited one. */
		unsigned char *c = map(2 * PAGE_SIZE, PROT_RW, MAP_SHARED, fd, 0);
		if (!c)
			p_exit(10);
		c[100] = 'C';
		m[PAGE_SIZE + 1] = 'D';
		p_exit(0);
	}
	EXPECT_EQ(reap(pid), 0);
	/* Seen through the parent's mapping and by read(). */
	EXPECT_EQ(m[100], 'C');
	EXPECT_EQ(m[PAGE_SIZE + 1], 'D');
	unsigned char b[2] = {0, 0};
	EXPECT_EQ(f_pread(fd, b, 1, 100), 1);
	EXPECT_EQ(b[0], 'C');
	/* The other way: the parent writes through its mapping and with write(); a new child
	 * reads both through a mapping and read(). */
	m[200] = 'P';
	EXPECT_EQ(f_pwrite(fd, "W", 1, PAGE_SIZE + 300), 1);
	EXPECT_EQ(m[PAGE_SIZE + 300], 'W');
	pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		unsigned char *c = map(2 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		unsigned char r = 0;
		if (!c || c[200] != 'P' || c[PAGE_SIZE + 300] != 'W')
			p_exit(11);
		if (f_pread(fd, &r, 1, 200) != 1 || r != 'P')
			p_exit(12);
		p_exit(0);
	}
	EXPECT_EQ(reap(pid), 0);
	EXPECT_EQ(sys_msync(m, 2 * PAGE_SIZE, MS_SYNC), 0);
	EXPECT_EQ(sys_munmap(m, 2 * PAGE_SIZE), 0);
	f_close(fd);
	EXPECT_EQ(f_unlink("/fmap_shared"), 0);
}

static void t_private_cow_from_page_cache(void)
{
	long fd = make_file("/fmap_private", 3, 'k');
	ASSERT(fd >= 0);
	unsigned char *p = map(3 * PAGE_SIZE, PROT_RW, MAP_PRIVATE, fd, 0);
	ASSERT(p);
	EXPECT_EQ(p[5], 'k');
	EXPECT_EQ(p[2 * PAGE_SIZE], 'm');
	p[5] = 'X';
	/* The file keeps its contents; the private page keeps the write. */
	unsigned char b = 0;
	EXPECT_EQ(f_pread(fd, &b, 1, 5), 1);
	EXPECT_EQ(b, 'k');
	EXPECT_EQ(p[5], 'X');
	EXPECT_EQ(p[6], 'k');
	/* A later write() to the file shows in pages the mapping has not copied (Linux maps the
	 * page-cache page itself), not in the copied one. */
	EXPECT_EQ(f_pwrite(fd, "Y", 1, PAGE_SIZE + 9), 1);
	EXPECT_EQ(f_pwrite(fd, "Z", 1, 6), 1);
	EXPECT_EQ(p[PAGE_SIZE + 9], 'Y');
	EXPECT_EQ(p[6], 'k');
	/* fork: the child's private view is the parent's; its writes stay its own. */
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		if (p[5] != 'X' || p[PAGE_SIZE + 9] != 'Y')
			p_exit(20);
		p[5] = 'c';
		p[2 * PAGE_SIZE + 1] = 'c';
		p_exit(0);
	}
	EXPECT_EQ(reap(pid), 0);
	EXPECT_EQ(p[5], 'X');
	EXPECT_EQ(p[2 * PAGE_SIZE + 1], 'm');
	EXPECT_EQ(f_pread(fd, &b, 1, 2 * PAGE_SIZE + 1), 1);
	EXPECT_EQ(b, 'm');
	EXPECT_EQ(sys_munmap(p, 3 * PAGE_SIZE), 0);
	f_close(fd);
	EXPECT_EQ(f_unlink("/fmap_private"), 0);
}

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};
struct ksiginfo {
	int si_signo, si_errno, si_code, pad;
	unsigned long si_addr;
};
static volatile unsigned long *bus_report;
static void bus_handler(int sig, struct ksiginfo *si, void *uc)
{
	bus_report[0] = (unsigned long)sig;
	bus_report[1] = (unsigned long)si->si_code;
	bus_report[2] = si->si_addr;
	p_exit(0);
}
void fmap_restorer(void);
__asm__(".text\n.globl fmap_restorer\nfmap_restorer:\n\tmov x8, #139\n\tsvc #0\n\tbrk #0x3e8\n");

/* In a child: touches addr with a SIGBUS handler; returns what the handler saw. */
static void expect_sigbus(unsigned char *addr, int write)
{
	bus_report = (volatile unsigned long *)map(PAGE_SIZE, PROT_RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(bus_report);
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		struct ksigaction a = {(void *)bus_handler, SA_SIGINFO | SA_RESTORER, (void *)fmap_restorer, 0};
		syscall4(__NR_rt_sigaction, SIGBUS, &a, 0, 8);
		if (write)
			*(volatile unsigned char *)addr = 1;
		else
			(void)*(volatile unsigned char *)addr;
		p_exit(30); /* no signal */
	}
	EXPECT_EQ(reap(pid), 0);
	EXPECT_EQ(bus_report[0], SIGBUS);
	EXPECT_EQ(bus_report[1], BUS_ADRERR);
	EXPECT_EQ(bus_report[2], (unsigned long)addr);
	sys_munmap((void *)bus_report, PAGE_SIZE);
}

static void t_sigbus_beyond_eof(void)
{
	long fd = make_file("/fmap_short", 1, 's');
	ASSERT(fd >= 0);
	EXPECT_EQ(f_pwrite(fd, "tt", 2, PAGE_SIZE), 2); /* EOF 2 bytes into page 1 */
	unsigned char *m = map(4 * PAGE_SIZE, PROT_RW, MAP_SHARED, fd, 0);
	ASSERT(m);
	/* The page holding EOF is mapped whole; past EOF it reads zero. */
	EXPECT_EQ(m[PAGE_SIZE + 1], 't');
	EXPECT_EQ(m[PAGE_SIZE + 2], 0);
	EXPECT_EQ(m[2 * PAGE_SIZE - 1], 0);
	expect_sigbus(m + 2 * PAGE_SIZE, 0);
	expect_sigbus(m + 3 * PAGE_SIZE + 8, 1);
	/* A private mapping too, and after ftruncate the truncated pages are gone. */
	unsigned char *p = map(2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT(p);
	EXPECT_EQ(p[PAGE_SIZE], 't');
	EXPECT_EQ(f_ftruncate(fd, 16), 0);
	expect_sigbus(m + PAGE_SIZE, 0);
	expect_sigbus(p + PAGE_SIZE + 4, 0);
	EXPECT_EQ(m[15], 's');
	EXPECT_EQ(m[16], 0);
	/* read() into a buffer beyond EOF of a mapping: EFAULT, not a signal. */
	EXPECT_EQ(f_pread(fd, m + 2 * PAGE_SIZE, 4, 0), -EFAULT);
	sys_munmap(m, 4 * PAGE_SIZE);
	sys_munmap(p, 2 * PAGE_SIZE);
	f_close(fd);
	EXPECT_EQ(f_unlink("/fmap_short"), 0);
}

static void t_mmap_mprotect_msync_errors(void)
{
	long fd = make_file("/fmap_err", 2, 'e');
	ASSERT(fd >= 0);
	long ro = f_open("/fmap_err", O_RDONLY, 0), wo = f_open("/fmap_err", O_WRONLY, 0);
	ASSERT(ro >= 0 && wo >= 0);
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, PROT_RW, MAP_SHARED, ro, 0), -EACCES);
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, wo, 0), -EACCES);
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_SHARED, 999, 0), -EBADF);
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 100), -EINVAL);
	EXPECT_EQ(sys_mmap(0, 0, PROT_READ, MAP_SHARED, fd, 0), -EINVAL);
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, PROT_READ, 0, fd, 0), -EINVAL);
	EXPECT_EQ(sys_mmap(0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0x7ffffffffffff000l), -EOVERFLOW);
	long dir = f_open("/", O_RDONLY | O_DIRECTORY, 0);
	ASSERT(dir >= 0);
	EXPECT_EQ(sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, dir, 0), -ENODEV);
	f_close(dir);
	/* A read-only descriptor: private writable is fine, a shared mapping never writable. */
	unsigned char *pv = map(PAGE_SIZE, PROT_RW, MAP_PRIVATE, ro, 0);
	EXPECT(pv != 0);
	unsigned char *sh = map(PAGE_SIZE, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT(sh);
	EXPECT_EQ(sys_mprotect(sh, PAGE_SIZE, PROT_RW), -EACCES);
	EXPECT_EQ(sh[0], 'e');
	unsigned char *w = map(2 * PAGE_SIZE, PROT_RW, MAP_SHARED, fd, 0);
	ASSERT(w);
	EXPECT_EQ(sys_msync(w + 1, PAGE_SIZE, MS_SYNC), -EINVAL);
	EXPECT_EQ(sys_msync(w, PAGE_SIZE, MS_SYNC | MS_ASYNC), -EINVAL);
	EXPECT_EQ(sys_msync(w, PAGE_SIZE, 8), -EINVAL);
	EXPECT_EQ(sys_msync(w, 0, MS_SYNC), 0);
	EXPECT_EQ(sys_msync(w, 2 * PAGE_SIZE, MS_ASYNC), 0);
	EXPECT_EQ(sys_msync(w, 2 * PAGE_SIZE, MS_INVALIDATE), 0);
	EXPECT_EQ(sys_msync(w, 2 * PAGE_SIZE, MS_SYNC), 0);
	/* Past the mapping into unmapped space: ENOMEM. */
	EXPECT_EQ(sys_munmap(w + PAGE_SIZE, PAGE_SIZE), 0);
	EXPECT_EQ(sys_msync(w, 2 * PAGE_SIZE, MS_SYNC), -ENOMEM);
	EXPECT_EQ(sys_msync(w, 2 * PAGE_SIZE, MS_ASYNC), -ENOMEM);
	EXPECT_EQ(sys_msync(w + PAGE_SIZE, PAGE_SIZE, MS_SYNC), -ENOMEM);
	sys_munmap(w, PAGE_SIZE);
	sys_munmap(sh, PAGE_SIZE);
	if (pv)
		sys_munmap(pv, PAGE_SIZE);
	f_close(ro);
	f_close(wo);
	f_close(fd);
	EXPECT_EQ(f_unlink("/fmap_err"), 0);
}

static void t_shared_anonymous_across_fork(void)
{
	volatile unsigned char *s = map(3 * PAGE_SIZE, PROT_RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(s);
	s[0] = 1;
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		/* Pages neither side touched before the fork are shared too (it is one shmem file). */
		s[2 * PAGE_SIZE] = 7;
		p_exit(s[0] == 1 ? 0 : 40);
	}
	EXPECT_EQ(reap(pid), 0);
	EXPECT_EQ(s[2 * PAGE_SIZE], 7);
	EXPECT_EQ(sys_munmap((void *)s, 3 * PAGE_SIZE), 0);
}

/* --- /proc-based cases ---------------------------------------------------------------------- */

/* The value of `field:` in /proc/meminfo (kB), or -1. */
static long meminfo(const char *field)
{
	static char buf[8192];
	long fd = f_open("/proc/meminfo", O_RDONLY, 0);
	if (fd < 0)
		return -1;
	long n = sys_read(fd, buf, sizeof(buf) - 1);
	f_close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	size_t fl = strlen(field);
	for (char *l = buf; *l;) {
		if (!strncmp(l, field, fl) && l[fl] == ':') {
			char *p = l + fl + 1;
			while (*p == ' ')
				p++;
			return (long)strtoul(p, 0, 10);
		}
		char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	return -1;
}

/* Linux folds its per-CPU counters lazily; writing stat_refresh folds them now (a kernel
 * whose counters are always exact may not have the file). */
static void stat_refresh(void)
{
	long fd = f_open("/proc/sys/vm/stat_refresh", O_WRONLY, 0);
	if (fd >= 0) {
		sys_write(fd, "1", 1);
		f_close(fd);
	}
}

/* Faults in every page of this program: text and rodata read, data and bss written (copied
 * now), so that later first executions of code or first writes of globals do not move Mapped
 * in the middle of a measurement. */
struct phdr {
	unsigned int type, flags;
	unsigned long offset, vaddr, paddr, filesz, memsz, align;
};
static void touch_own_image(void)
{
	const struct phdr *ph = (const struct phdr *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);
	unsigned long bias = 0; /* ET_EXEC */
	for (unsigned long i = 0; ph && i < n; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		unsigned long s = (ph[i].vaddr + bias) & ~(PAGE_SIZE - 1), e = ph[i].vaddr + bias + ph[i].memsz;
		for (unsigned long a = s; a < e; a += PAGE_SIZE) {
			volatile unsigned char *p = (volatile unsigned char *)a;
			unsigned char v = *p;
			if (ph[i].flags & PF_W)
				*p = v;
		}
	}
}

/* The stack this case will use, faulted in before the first reading. */
static __attribute__((noinline)) void touch_stack(void)
{
	volatile unsigned char deep[32 * 1024];
	for (unsigned i = 0; i < sizeof(deep); i += PAGE_SIZE)
		deep[i] = 0;
}

static void t_meminfo_counters_move_exactly(void)
{
	if (meminfo("Cached") < 0) {
		ktap_skip("no /proc/meminfo");
		return;
	}
	enum { N = 64 };
	touch_own_image();
	touch_stack();
	stat_refresh();
	meminfo("Mapped");
	stat_refresh();
	long c0 = meminfo("Cached"), s0 = meminfo("Shmem"), m0 = meminfo("Mapped");
	long fd = make_file("/fmap_count", N, 'q');
	ASSERT(fd >= 0);
	stat_refresh();
	EXPECT_EQ(meminfo("Cached") - c0, N * 4);
	EXPECT_EQ(meminfo("Shmem") - s0, N * 4);
	EXPECT_EQ(meminfo("Mapped") - m0, 0);
	volatile unsigned char *m = map(N * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT(m);
	unsigned sum = 0;
	for (int i = 0; i < N; i++)
		sum += m[i * PAGE_SIZE];
	EXPECT_EQ(sum, N * 'q' + N * (N - 1) / 2);
	stat_refresh();
	EXPECT_EQ(meminfo("Mapped") - m0, N * 4);
	EXPECT_EQ(meminfo("Cached") - c0, N * 4);
	/* A private writable mapping of the same file: its reads add nothing (the pages are
	 * mapped already), its writes copy: Mapped stays, AnonPages grows by what was written. */
	long a0 = meminfo("AnonPages");
	volatile unsigned char *p = map(N * PAGE_SIZE, PROT_RW, MAP_PRIVATE, fd, 0);
	ASSERT(p);
	for (int i = 0; i < N; i++)
		sum += p[i * PAGE_SIZE];
	for (int i = 0; i < 8; i++)
		p[i * PAGE_SIZE] = 0;
	stat_refresh();
	EXPECT_EQ(meminfo("Mapped") - m0, N * 4);
	EXPECT_EQ(meminfo("AnonPages") - a0, 8 * 4);
	sys_munmap((void *)p, N * PAGE_SIZE);
	sys_munmap((void *)m, N * PAGE_SIZE);
	stat_refresh();
	EXPECT_EQ(meminfo("Mapped") - m0, 0);
	EXPECT_EQ(meminfo("AnonPages") - a0, 0);
	f_close(fd);
	EXPECT_EQ(f_unlink("/fmap_count"), 0);
	stat_refresh();
	EXPECT_EQ(meminfo("Cached") - c0, 0);
	EXPECT_EQ(meminfo("Shmem") - s0, 0);
}

/* One instance: counts itself in sync[9] and waits for sync[1]; the last to leave unlinks. */
static int sit(void)
{
	long fd = f_open("/fmap_sync", O_RDWR, 0);
	if (fd < 0)
		return 50;
	volatile long *sync = (volatile long *)map(PAGE_SIZE, PROT_RW, MAP_SHARED, fd, 0);
	if (!sync)
		return 51;
	__atomic_fetch_add(&sync[9], 1, __ATOMIC_SEQ_CST);
	while (!sync[1])
		nap();
	/* The last one out removes the file (the kernel's own test starts sitters too). */
	if (__atomic_sub_fetch(&sync[9], 1, __ATOMIC_SEQ_CST) == 0 && f_unlink("/fmap_sync") != 0)
		return 52;
	return 0;
}

static long spawn_sitter(void)
{
	long pid = sys_fork();
	if (pid == 0) {
		const char *argv[] = {self_path, "--sit", 0};
		const char *envp[] = {0};
		syscall3(__NR_execve, self_path, argv, envp);
		p_exit(60);
	}
	return pid;
}

static void t_two_instances_share_text(void)
{
	if (meminfo("Mapped") < 0) {
		ktap_skip("no /proc/meminfo");
		return;
	}
	long fd = make_file("/fmap_sync", 1, 0);
	ASSERT(fd >= 0);
	volatile long *sync = (volatile long *)map(PAGE_SIZE, PROT_RW, MAP_SHARED, fd, 0);
	ASSERT(sync);
	memset((void *)sync, 0, 64);
	touch_own_image();
	long a = spawn_sitter();
	ASSERT(a > 0);
	while (sync[9] < 1)
		nap();
	stat_refresh();
	meminfo("Mapped");
	stat_refresh();
	long m1 = meminfo("Mapped");
	long b = spawn_sitter();
	ASSERT(b > 0);
	while (sync[9] < 2)
		nap();
	stat_refresh();
	long m2 = meminfo("Mapped");
	/* The second instance maps only pages the first one maps already: its text (and the
	 * clean file pages) are the page cache's, shared. (Copies would count as anonymous or,
	 * here before the page cache, in Mapped as well.) */
	EXPECT_EQ(m2 - m1, 0);
	sync[1] = 1;
	EXPECT_EQ(reap(a), 0);
	EXPECT_EQ(reap(b), 0);
	sys_munmap((void *)sync, PAGE_SIZE);
	f_close(fd);
	EXPECT_EQ(f_open("/fmap_sync", O_RDONLY, 0), -ENOENT);
}

static const struct ktest_case fmap_cases[] = {
	{"shared_file_between_processes", t_shared_file_between_processes},
	{"private_cow_from_page_cache", t_private_cow_from_page_cache},
	{"sigbus_beyond_eof", t_sigbus_beyond_eof},
	{"mmap_mprotect_msync_errors", t_mmap_mprotect_msync_errors},
	{"shared_anonymous_across_fork", t_shared_anonymous_across_fork},
	{"meminfo_counters_move_exactly", t_meminfo_counters_move_exactly},
	{"two_instances_share_text", t_two_instances_share_text},
};
static const struct ktest_suite suites[] = {KTEST_SUITE("fmap", fmap_cases)};

/* As /init on Linux nothing has mounted /proc yet: mount it (where the kernel has no proc
 * file system, the /proc cases skip). */
static void mount_proc(void)
{
	long fd = f_open("/proc/meminfo", O_RDONLY, 0);
	if (fd >= 0) {
		f_close(fd);
		return;
	}
	long made = syscall3(__NR_mkdirat, AT_FDCWD, "/proc", 0555);
	/* Leave nothing behind when there is no proc file system (the ledger counts dentries). */
	if (syscall5(__NR_mount, "proc", "/proc", "proc", 0, 0) != 0 && made == 0)
		syscall3(__NR_unlinkat, AT_FDCWD, "/proc", 0x200 /* AT_REMOVEDIR */);
}

int main(int argc, char **argv, char **envp)
{
	self_path = argv[0];
	if (argc > 1 && !strcmp(argv[1], "--sit"))
		return sit();
	mount_proc();
	return ktap_run(suites, 1) ? 1 : 0;
}
