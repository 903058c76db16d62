/* File-mapping benchmark (issue 14's "first-touch read of a 64 MiB file mapping"): one static
 * binary, raw syscalls, run as /init on this kernel and on Debian's Linux under
 * `-icount shift=0` (BENCH_ONLY=fmapbench make bench), timed with CNTVCT_EL0 as user/mmbench.c.
 * A 64 MiB tmpfs file is written, then mapped and read one byte per page:
 *     FMAPBENCH <name> ns_per_op=<n.n> ops=<N> total_ns=<T> faults=<F>
 * read_shared_per_page and read_private_per_page are per page (the page-cache pages are
 * mapped, fault-around maps 16 per fault); *_per_fault divide by the faults getrusage saw.
 * write_private_per_page is the copy-on-write from the page cache. dyn_fork_exec_exit_wait is
 * fork + execve of the dynamically linked glibc hello (/bin/glibc/dynamic/hello, its stdout
 * closed) + wait4, per run: ld.so and libc.so.6 come from the page cache. Ends with
 * "FMAPBENCH done failures=N"; as pid 1 it powers off. */
#include "lib/ulib.h"

#define __NR_unlinkat 35
#define __NR_clone 220
#define __NR_execve 221
#define __NR_wait4 260
#define __NR_close 57
#define __NR_pwrite64 68
#define __NR_pread64 67
#define AT_FDCWD -100

static uint64_t freq;
static unsigned long npages = 16384;
static int failures;

static uint64_t ticks_to_ns(uint64_t t) { return t / freq * 1000000000UL + t % freq * 1000000000UL / freq; }
static long minflt(void)
{
	struct rusage ru;
	sys_getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}
static void report(const char *name, uint64_t ticks, unsigned long ops, long faults)
{
	uint64_t ns = ticks_to_ns(ticks), tenths = ns * 10 / ops;
	printf("FMAPBENCH %s ns_per_op=%lu.%lu ops=%lu total_ns=%lu faults=%ld\n", name, tenths / 10, tenths % 10, ops,
	       ns, faults);
}
static void fail(const char *what, long r)
{
	printf("FMAPBENCH error %s: %ld\n", what, r);
	failures++;
}

static void bench_read(long fd, int flags, const char *per_page, const char *per_fault, const char *write_name)
{
	unsigned long len = npages * PAGE_SIZE;
	long r = sys_mmap(0, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (is_err(r)) {
		fail("mmap", r);
		return;
	}
	volatile unsigned char *p = (volatile unsigned char *)r;
	unsigned sum = 0;
	long f0 = minflt();
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < npages; i++)
		sum += p[i * PAGE_SIZE];
	uint64_t t1 = read_cntvct();
	long faults = minflt() - f0;
	if (sum != 0)
		fail("contents", (long)sum);
	report(per_page, t1 - t0, npages, faults);
	if (faults > 0)
		report(per_fault, t1 - t0, (unsigned long)faults, faults);
	if (write_name) {
		f0 = minflt();
		t0 = read_cntvct();
		for (unsigned long i = 0; i < npages; i++)
			p[i * PAGE_SIZE] = 1;
		t1 = read_cntvct();
		report(write_name, t1 - t0, npages, minflt() - f0);
	}
	sys_munmap((void *)p, len);
}

/* read(2) of the whole 64 MiB tmpfs file in 64 KiB chunks (issue 14's "read() of a 64 MiB
 * tmpfs file"), per KiB: the page-cache lookup and the copy to user memory. */
static void bench_file_read(long fd)
{
	static unsigned char buf[65536];
	unsigned long len = npages * PAGE_SIZE, done = 0;
	uint64_t t0 = read_cntvct();
	while (done < len) {
		long r = syscall4(__NR_pread64, fd, buf, sizeof(buf), done);
		if (r <= 0) {
			fail("pread", r);
			return;
		}
		done += (unsigned long)r;
	}
	uint64_t t1 = read_cntvct();
	report("read_64k_chunks_per_kib", t1 - t0, len / 1024, 0);
}

static void bench_dynamic_exec(const char *path, unsigned long runs)
{
	/* One run first: the programs' pages are in the cache, and so on both kernels. */
	uint64_t t0 = 0;
	for (unsigned long i = 0; i <= runs; i++) {
		if (i == 1)
			t0 = read_cntvct();
		long pid = syscall5(__NR_clone, 17 /* SIGCHLD */, 0, 0, 0, 0);
		if (pid == 0) {
			const char *av[] = {path, 0};
			const char *ev[] = {0};
			syscall1(__NR_close, 1);
			syscall3(__NR_execve, path, av, ev);
			syscall1(__NR_exit_group, 127);
		}
		int st = -1;
		if (pid < 0 || syscall4(__NR_wait4, pid, &st, 0, 0) != pid || st != 0) {
			fail("dynamic hello", st);
			return;
		}
	}
	report("dyn_fork_exec_exit_wait", read_cntvct() - t0, runs, 0);
}

int main(int argc, char **argv, char **envp)
{
	freq = read_cntfrq();
	int only_dyn = 0;
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--pages=", 8) == 0)
			npages = strtoul(argv[i] + 8, 0, 0);
		else if (strcmp(argv[i], "--only-dyn") == 0)
			only_dyn = 1; /* for tools/profile_boot.py */
	}
	long fd = only_dyn ? -1 : syscall4(__NR_openat, AT_FDCWD, "/fmapbench.dat", 0102 /* O_RDWR|O_CREAT */, 0600);
	if (only_dyn) {
	} else if (fd < 0) {
		fail("open", fd);
	} else {
		static unsigned char zeros[65536];
		for (unsigned long off = 0; off < npages * PAGE_SIZE; off += sizeof(zeros)) {
			long w = syscall4(__NR_pwrite64, fd, zeros, sizeof(zeros), off);
			if (w != (long)sizeof(zeros)) {
				fail("pwrite", w);
				break;
			}
		}
		bench_file_read(fd);
		bench_read(fd, MAP_SHARED, "read_shared_per_page", "read_shared_per_fault", 0);
		bench_read(fd, MAP_PRIVATE, "read_private_per_page", "read_private_per_fault", "write_private_cow_per_page");
		syscall1(__NR_close, fd);
		syscall3(__NR_unlinkat, AT_FDCWD, "/fmapbench.dat", 0);
	}
	bench_dynamic_exec("/bin/glibc/dynamic/hello", 20);
	printf("FMAPBENCH done failures=%d\n", failures);
	if (sys_getpid() == 1)
		syscall4(__NR_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
	return failures ? 1 : 0;
}
