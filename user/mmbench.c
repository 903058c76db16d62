/* The mm benchmark (issue 7 item 8): one static binary, raw syscalls, that runs unmodified
 * on this kernel and on Linux, timed with the generic timer's virtual counter (CNTVCT_EL0,
 * readable at EL0 when CNTKCTL_EL1.EL0VCTEN is set, as Linux sets it). Under QEMU with
 * `-icount shift=0` the counter advances with executed instructions, so figures are
 * deterministic instruction budgets rather than host-dependent times.
 *
 * One line per figure, machine-readable:
 *     MMBENCH <name> ns_per_op=<n.n> ops=<N> total_ns=<T>
 * and first of all
 *     MMBENCH boot_to_main ns=<T> cntfrq=<F>
 * (the counter's value on entry to main: time since the machine started, on QEMU virt, where
 * CNTVCT starts at 0 and no firmware runs). Ends with "MMBENCH done".
 * As pid 1 (Linux's /init) it powers the machine off afterwards, since init may not exit.
 * Options: --pages=N (default 16384 = 64 MiB) for the per-page figures, --iters=N (default
 * 10000) for the others. */
#include "lib/ulib.h"

static uint64_t freq;
static unsigned long npages = 16384;
static unsigned long iters = 10000;
static int failures;

static uint64_t ticks_to_ns(uint64_t t) { return t / freq * 1000000000UL + t % freq * 1000000000UL / freq; }

static void report(const char *name, uint64_t ticks, unsigned long ops)
{
	uint64_t ns = ticks_to_ns(ticks);
	uint64_t tenths = ns * 10 / ops;
	printf("MMBENCH %s ns_per_op=%lu.%lu ops=%lu total_ns=%lu\n", name, tenths / 10, tenths % 10, ops, ns);
}

static void fail(const char *what, long r)
{
	printf("MMBENCH error %s: %ld\n", what, r);
	failures++;
}

static char *map_region(unsigned long len)
{
	long r = sys_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(r)) {
		fail("mmap", r);
		return 0;
	}
	/* 4 KiB faults on Linux too: no transparent huge pages for the measured region. */
	sys_madvise((void *)r, len, MADV_NOHUGEPAGE);
	return (char *)r;
}

static void bench_write_fault_and_munmap(void)
{
	unsigned long len = npages * PAGE_SIZE;
	volatile char *p = map_region(len);
	if (!p)
		return;
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < npages; i++)
		p[i * PAGE_SIZE] = 1;
	uint64_t t1 = read_cntvct();
	report("write_fault_per_page", t1 - t0, npages);

	/* munmap one populated page per call (the VMA shrinks from its start). */
	t0 = read_cntvct();
	for (unsigned long i = 0; i < npages / 2; i++) {
		long r = sys_munmap((void *)(p + i * PAGE_SIZE), PAGE_SIZE);
		if (r) {
			fail("munmap", r);
			return;
		}
	}
	t1 = read_cntvct();
	report("munmap_per_page", t1 - t0, npages / 2);
	/* And the other half in one call: the per-page cost of tearing down a range. */
	t0 = read_cntvct();
	long r = sys_munmap((void *)(p + npages / 2 * PAGE_SIZE), len - npages / 2 * PAGE_SIZE);
	t1 = read_cntvct();
	if (r)
		fail("munmap range", r);
	report("munmap_range_per_page", t1 - t0, npages - npages / 2);
}

static void bench_read_fault_and_cow(void)
{
	unsigned long len = npages * PAGE_SIZE;
	volatile char *p = map_region(len);
	if (!p)
		return;
	long sum = 0;
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < npages; i++)
		sum += p[i * PAGE_SIZE];
	uint64_t t1 = read_cntvct();
	if (sum)
		fail("zero page not zero", sum);
	report("read_fault_zero_page_per_page", t1 - t0, npages);
	t0 = read_cntvct();
	for (unsigned long i = 0; i < npages; i++)
		p[i * PAGE_SIZE] = 2;
	t1 = read_cntvct();
	report("cow_from_zero_page_per_page", t1 - t0, npages);
	long r = sys_munmap((void *)p, len);
	if (r)
		fail("munmap", r);
}

static void bench_brk(void)
{
	long b0 = sys_brk(0);
	if (is_err(b0)) {
		fail("brk(0)", b0);
		return;
	}
	unsigned long cur = ((unsigned long)b0 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (sys_brk((void *)cur) != (long)cur) {
		fail("brk align", 0);
		return;
	}
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < iters; i++) {
		cur += PAGE_SIZE;
		if (sys_brk((void *)cur) != (long)cur) {
			fail("brk grow", (long)i);
			return;
		}
	}
	uint64_t t1 = read_cntvct();
	report("brk_grow_per_4k_step", t1 - t0, iters);
	if (sys_brk((void *)b0) != b0)
		fail("brk shrink", 0);
}

static void bench_mmap_touch_munmap(void)
{
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < iters; i++) {
		long r = sys_mmap(0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (is_err(r)) {
			fail("mmap 16k", r);
			return;
		}
		volatile char *p = (volatile char *)r;
		p[0] = 1;
		p[PAGE_SIZE] = 1;
		p[2 * PAGE_SIZE] = 1;
		p[3 * PAGE_SIZE] = 1;
		r = sys_munmap((void *)p, 4 * PAGE_SIZE);
		if (r) {
			fail("munmap 16k", r);
			return;
		}
	}
	uint64_t t1 = read_cntvct();
	report("mmap_touch_munmap_16k", t1 - t0, iters);
}

static void bench_getpid(void)
{
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < iters; i++)
		sys_getpid();
	uint64_t t1 = read_cntvct();
	report("getpid", t1 - t0, iters);
}

int main(int argc, char **argv, char **envp)
{
	uint64_t at_main = read_cntvct();
	freq = read_cntfrq();
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--pages=", 8) == 0)
			npages = strtoul(argv[i] + 8, 0, 0);
		else if (strncmp(argv[i], "--iters=", 8) == 0)
			iters = strtoul(argv[i] + 8, 0, 0);
	}
	if (!freq || npages < 2 || !iters) {
		printf("MMBENCH error bad setup: cntfrq=%lu pages=%lu iters=%lu\n", freq, npages, iters);
		return 1;
	}
	printf("MMBENCH boot_to_main ns=%lu cntfrq=%lu\n", ticks_to_ns(at_main), freq);
	bench_write_fault_and_munmap();
	bench_read_fault_and_cow();
	bench_brk();
	bench_mmap_touch_munmap();
	bench_getpid();
	printf("MMBENCH done failures=%d\n", failures);
	if (sys_getpid() == 1) {
		/* LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_POWER_OFF */
		syscall4(__NR_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
	}
	return failures ? 1 : 0;
}
