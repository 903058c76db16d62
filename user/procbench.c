/* The process benchmark (issue 13): one static binary, raw syscalls, that runs unmodified as
 * /init on this kernel and on Linux (tools/bench.py boots both under QEMU with -icount shift=0,
 * so CNTVCT_EL0 advances with executed instructions and figures are instruction budgets).
 * A program of its own rather than more of mmbench: it forks, execs itself, makes threads and
 * takes signals, any of which may be missing on a kernel under construction, and mmbench's
 * figures must not depend on that; its exec target is itself (`procbench --exit`), so both
 * kernels run exactly the same file and Linux's initramfs needs nothing else.
 *
 * Figures, one line each, machine-readable (lmbench lat_proc / lat_ctx / lat_sig in spirit):
 *     PROCBENCH <name> ns_per_op=<n.n> ops=<N> total_ns=<T>
 *     PROCBENCH <name> unsupported reason=<word>     (the kernel lacks what it needs)
 *     PROCBENCH-INFO <name> <counter>_per_op=<n.n> ...  (where the time goes: faults, switches)
 * and at the end "PROCBENCH done failures=<n>". Names:
 *     fork_exit_wait_64m   fork of a parent with 64 MiB of touched anonymous memory, the child
 *                          exits at once, the parent reaps it (per fork+exit+wait)
 *     fork_exec_exit_wait  fork, the child execs this binary with --exit, which exits at once
 *     sched_yield_pingpong two processes on one CPU pass a turn in shared memory with
 *                          sched_yield (per round trip: two switches)
 *     futex_pingpong       two threads pass a turn with FUTEX_WAIT/FUTEX_WAKE (per round trip)
 *     signal_roundtrip     kill(getpid(), SIGUSR1) into a handler that returns through an
 *                          SA_RESTORER trampoline calling rt_sigreturn (per signal)
 *     pipe_pingpong        two processes on one CPU pass one byte back and forth through two
 *                          pipes with blocking read/write (per round trip; issue 14)
 * Before the futex and signal figures a probe runs in a child process with a watchdog: a
 * kernel that lacks the feature (ENOSYS, EDEADLK for a wait nobody could end, a handler that
 * is never called, a signal that kills instead) is reported as unsupported, never measured.
 * As pid 1 it powers the machine off at the end. Options: --forks=N (default 100) for the two
 * fork figures, --iters=N (default 10000) for the others, --only=<name> for one figure (to
 * profile it: tools/profile_boot.py --all); `--exit` exits 0 at once. */
#include "lib/ulib.h"

#define __NR_futex 98
#define __NR_rt_sigreturn 139
#define __NR_clone 220
#define __NR_execve 221
#define __NR_wait4 260

#define SIGKILL 9
#define SIGUSR1 10
#define SIGCHLD 17
#define SA_RESTORER 0x04000000UL
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_CHILD_CLEARTID 0x200000
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define WNOHANG 1
#define EAGAIN 11
#define EDEADLK 35
#define ETIMEDOUT 110
#define RUSAGE_CHILDREN (-1)

static uint64_t freq;
static unsigned long forks = 100;
static unsigned long iters = 10000;
static int failures;
static const char *only;

static uint64_t ticks_to_ns(uint64_t t) { return t / freq * 1000000000UL + t % freq * 1000000000UL / freq; }

static void report(const char *name, uint64_t ticks, unsigned long ops)
{
	uint64_t ns = ticks_to_ns(ticks);
	uint64_t tenths = ns * 10 / ops;
	printf("PROCBENCH %s ns_per_op=%lu.%lu ops=%lu total_ns=%lu\n", name, tenths / 10, tenths % 10, ops, ns);
}

static void unsupported(const char *name, const char *reason, long value)
{
	printf("PROCBENCH %s unsupported reason=%s_%ld\n", name, reason, value);
}

static void fail(const char *what, long r)
{
	printf("PROCBENCH error %s: %ld\n", what, r);
	failures++;
}

static long sys_fork(void) { return syscall2(__NR_clone, SIGCHLD, 0); }
static long sys_wait4(long pid, int *st, long options) { return syscall4(__NR_wait4, pid, st, options, 0); }
static long sys_futex(volatile int *w, int op, int val, const struct timespec *ts)
{
	return syscall6(__NR_futex, w, op, val, ts, 0, 0);
}
static long sys_sched_yield(void) { return syscall0(__NR_sched_yield); }
static __attribute__((noreturn)) void p_exit_group(int code)
{
	for (;;)
		syscall1(__NR_exit_group, code);
}
static void nap_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000};
	syscall2(__NR_nanosleep, &ts, 0);
}

/* Per-operation counters that say where the instructions go: page faults and context
 * switches of this process and of its reaped children (getrusage), as "n.n per op". */
struct usage {
	long minflt, csw, cminflt, ccsw;
};
static struct usage usage_now(void)
{
	struct rusage self, kids;
	memset(&self, 0, sizeof(self));
	memset(&kids, 0, sizeof(kids));
	sys_getrusage(RUSAGE_SELF, &self);
	sys_getrusage(RUSAGE_CHILDREN, &kids);
	struct usage u = {self.ru_minflt, self.ru_nvcsw + self.ru_nivcsw, kids.ru_minflt, kids.ru_nvcsw + kids.ru_nivcsw};
	return u;
}
static void per_op(char *buf, size_t n, const char *what, long count, unsigned long ops)
{
	long tenths = count * 10 / (long)ops;
	size_t len = strlen(buf);
	snprintf(buf + len, n - len, " %s_per_op=%ld.%ld", what, tenths / 10, tenths % 10);
}
static void info(const char *name, struct usage a, struct usage b, unsigned long ops)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "PROCBENCH-INFO %s", name);
	per_op(buf, sizeof(buf), "minflt", b.minflt - a.minflt, ops);
	per_op(buf, sizeof(buf), "csw", b.csw - a.csw, ops);
	per_op(buf, sizeof(buf), "child_minflt", b.cminflt - a.cminflt, ops);
	per_op(buf, sizeof(buf), "child_csw", b.ccsw - a.ccsw, ops);
	printf("%s\n", buf);
}

/* One fork whose child exits at once; 1 when it was reaped with status 0. */
static int fork_exit_wait_once(void)
{
	long pid = sys_fork();
	if (pid == 0)
		p_exit_group(0);
	int st = -1;
	return pid > 0 && sys_wait4(pid, &st, 0) == pid && st == 0;
}

static void bench_fork_exit_wait_64m(void)
{
	const char *name = "fork_exit_wait_64m";
	unsigned long len = 64UL << 20;
	long r = sys_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(r)) {
		fail("mmap 64 MiB", r);
		return;
	}
	volatile char *p = (volatile char *)r;
	/* 4 KiB pages on Linux too (no THP): both kernels copy 16384 PTEs per fork. */
	sys_madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (unsigned long off = 0; off < len; off += PAGE_SIZE)
		p[off] = 1;
	/* One fork first: it write-protects the parent's PTEs; the loop measures the steady state
	 * (lmbench warms up the same way). */
	if (!fork_exit_wait_once()) {
		fail("fork warm-up", 0);
		return;
	}
	struct usage u0 = usage_now();
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < forks; i++)
		if (!fork_exit_wait_once()) {
			fail(name, (long)i);
			return;
		}
	uint64_t t1 = read_cntvct();
	struct usage u1 = usage_now();
	report(name, t1 - t0, forks);
	info(name, u0, u1, forks);
	for (unsigned long off = 0; off < len; off += PAGE_SIZE)
		if (p[off] != 1) {
			fail("64 MiB contents after forks", (long)off);
			break;
		}
	sys_munmap((void *)p, len);
}

static int fork_exec_once(void)
{
	long pid = sys_fork();
	if (pid == 0) {
		char *argv[] = {__argv[0], "--exit", 0};
		char *envp[] = {0};
		syscall3(__NR_execve, __argv[0], argv, envp);
		p_exit_group(127);
	}
	int st = -1;
	return pid > 0 && sys_wait4(pid, &st, 0) == pid && st == 0;
}

static void bench_fork_exec_exit_wait(void)
{
	const char *name = "fork_exec_exit_wait";
	if (!fork_exec_once()) {
		fail("fork+exec warm-up", 0);
		return;
	}
	struct usage u0 = usage_now();
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < forks; i++)
		if (!fork_exec_once()) {
			fail(name, (long)i);
			return;
		}
	uint64_t t1 = read_cntvct();
	struct usage u1 = usage_now();
	report(name, t1 - t0, forks);
	info(name, u0, u1, forks);
}

/* The turn passed between the two sides of a ping-pong, and what each side counted. */
struct pingpong {
	volatile int turn;  /* 0: the parent (or main thread) plays, 1: the other side */
	volatile int ready; /* the other side is running */
	volatile long calls[2];
};

static void bench_sched_yield_pingpong(void)
{
	const char *name = "sched_yield_pingpong";
	long r = sys_mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (is_err(r)) {
		fail("mmap shared", r);
		return;
	}
	struct pingpong *pp = (struct pingpong *)r;
	long pid = sys_fork();
	if (pid < 0) {
		fail("fork", pid);
		return;
	}
	if (pid == 0) {
		long yields = 0;
		pp->ready = 1;
		for (unsigned long i = 0; i < iters; i++) {
			while (__atomic_load_n(&pp->turn, __ATOMIC_ACQUIRE) != 1) {
				sys_sched_yield();
				yields++;
			}
			__atomic_store_n(&pp->turn, 0, __ATOMIC_RELEASE);
		}
		pp->calls[1] = yields;
		p_exit_group(0);
	}
	while (!__atomic_load_n(&pp->ready, __ATOMIC_ACQUIRE))
		sys_sched_yield();
	long yields = 0;
	struct usage u0 = usage_now();
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < iters; i++) {
		__atomic_store_n(&pp->turn, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&pp->turn, __ATOMIC_ACQUIRE) != 0) {
			sys_sched_yield();
			yields++;
		}
	}
	uint64_t t1 = read_cntvct();
	int st = -1;
	if (sys_wait4(pid, &st, 0) != pid || st != 0) {
		fail("sched_yield child", st);
		return;
	}
	struct usage u1 = usage_now();
	report(name, t1 - t0, iters);
	char buf[128] = "";
	snprintf(buf, sizeof(buf), "PROCBENCH-INFO %s", name);
	per_op(buf, sizeof(buf), "yields", yields + pp->calls[1], iters);
	per_op(buf, sizeof(buf), "csw", u1.csw - u0.csw + u1.ccsw - u0.ccsw, iters);
	printf("%s\n", buf);
	sys_munmap(pp, PAGE_SIZE);
}

/* lmbench's lat_pipe: a byte to the child through one pipe and back through another. */
static void bench_pipe_pingpong(void)
{
	const char *name = "pipe_pingpong";
	int to[2], from[2];
	long r = syscall2(59 /* pipe2 */, to, 0);
	if (r == -ENOSYS) {
		printf("PROCBENCH %s unsupported reason=pipe2_ENOSYS\n", name);
		return;
	}
	if (r || (r = syscall2(59, from, 0))) {
		fail("pipe2", r);
		return;
	}
	long pid = sys_fork();
	if (pid < 0) {
		fail("fork", pid);
		return;
	}
	char c = 0;
	if (pid == 0) {
		for (unsigned long i = 0; i <= iters; i++)
			if (sys_read(to[0], &c, 1) != 1 || sys_write(from[1], &c, 1) != 1)
				p_exit_group(1);
		p_exit_group(0);
	}
	/* One round trip first: the child is running and its pages are in. */
	if (sys_write(to[1], &c, 1) != 1 || sys_read(from[0], &c, 1) != 1) {
		fail("pipe warm-up", 0);
		return;
	}
	struct usage u0 = usage_now();
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < iters; i++)
		if (sys_write(to[1], &c, 1) != 1 || sys_read(from[0], &c, 1) != 1) {
			fail("pipe round trip", (long)i);
			break;
		}
	uint64_t t1 = read_cntvct();
	int st = -1;
	if (sys_wait4(pid, &st, 0) != pid || st != 0) {
		fail("pipe child", st);
		return;
	}
	struct usage u1 = usage_now();
	for (int i = 0; i < 2; i++) {
		syscall1(57 /* close */, to[i]);
		syscall1(57, from[i]);
	}
	report(name, t1 - t0, iters);
	char buf[128] = "";
	snprintf(buf, sizeof(buf), "PROCBENCH-INFO %s", name);
	per_op(buf, sizeof(buf), "csw", u1.csw - u0.csw + u1.ccsw - u0.ccsw, iters);
	printf("%s\n", buf);
}

/* Runs fn in a child process with a watchdog: its wait status, or -1 when it had not ended
 * after about a second (a wait the kernel never ends; the child is then killed if it can be). */
static int probe(int (*fn)(void))
{
	long pid = sys_fork();
	if (pid < 0)
		return -2;
	if (pid == 0)
		p_exit_group(fn());
	int st = -1;
	for (int i = 0; i < 1000; i++) {
		long r = sys_wait4(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -2;
		nap_ms(1);
	}
	if (syscall2(__NR_kill, pid, SIGKILL) == 0)
		sys_wait4(pid, &st, 0);
	return -1;
}

/* What probe()'s status means: 0 supported; a child that found the feature missing printed
 * why and exited 3; anything else is reported here. */
static int probe_ok(const char *name, int st)
{
	if (st == 0)
		return 1;
	if (st == -1)
		unsupported(name, "probe_hung", 0);
	else if (st == -2)
		fail("probe fork/wait", 0);
	else if ((st & 0x7f) != 0)
		unsupported(name, "probe_killed_by_signal", st & 0x7f);
	else if ((st >> 8) != 3)
		unsupported(name, "probe_exit", st >> 8);
	return 0;
}

static volatile int futex_word;

/* Linux's FUTEX_WAIT/FUTEX_WAKE, for real: a wake with no waiter wakes 0, a wait on a changed
 * value is EAGAIN, a wait on an unchanged value sleeps until its timeout (ETIMEDOUT). */
static int futex_probe(void)
{
	const char *name = "futex_pingpong";
	futex_word = 7;
	long r = sys_futex(&futex_word, FUTEX_WAKE_PRIVATE, 1, 0);
	if (r != 0) {
		unsupported(name, "futex_wake_returned", r);
		return 3;
	}
	r = sys_futex(&futex_word, FUTEX_WAIT_PRIVATE, 8, 0);
	if (r != -EAGAIN) {
		unsupported(name, "futex_wait_changed_value_returned", r);
		return 3;
	}
	struct timespec ts = {0, 1000000};
	r = sys_futex(&futex_word, FUTEX_WAIT_PRIVATE, 7, &ts);
	if (r != -ETIMEDOUT) {
		unsupported(name, r == -EDEADLK ? "futex_wait_refused_EDEADLK" : "futex_wait_timeout_returned", r);
		return 3;
	}
	return 0;
}


static struct pingpong fpp;

/* The other thread: waits for turn 1, hands turn 0 back and wakes the main thread. */
static int futex_partner(void *arg)
{
	(void)arg;
	long waits = 0;
	__atomic_store_n(&fpp.ready, 1, __ATOMIC_RELEASE);
	for (unsigned long i = 0; i < iters; i++) {
		while (__atomic_load_n(&fpp.turn, __ATOMIC_ACQUIRE) != 1) {
			sys_futex(&fpp.turn, FUTEX_WAIT_PRIVATE, 0, 0);
			waits++;
		}
		__atomic_store_n(&fpp.turn, 0, __ATOMIC_RELEASE);
		sys_futex(&fpp.turn, FUTEX_WAKE_PRIVATE, 1, 0);
	}
	fpp.calls[1] = waits;
	return 0;
}

static void bench_futex_pingpong(void)
{
	const char *name = "futex_pingpong";
	if (!probe_ok(name, probe(futex_probe)))
		return;
	size_t sz = 16 * PAGE_SIZE;
	long r = sys_mmap(0, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(r)) {
		fail("mmap thread stack", r);
		return;
	}
	char *stack = (char *)r;
	static volatile int ctid;
	ctid = -1;
	fpp.turn = 0;
	fpp.ready = 0;
	long tid = raw_clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
				     CLONE_CHILD_CLEARTID,
			     stack + sz, 0, 0, &ctid, futex_partner, 0);
	if (tid < 0) {
		fail("clone thread", tid);
		sys_munmap(stack, sz);
		return;
	}
	while (!__atomic_load_n(&fpp.ready, __ATOMIC_ACQUIRE))
		sys_sched_yield();
	long waits = 0;
	struct usage u0 = usage_now();
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < iters; i++) {
		__atomic_store_n(&fpp.turn, 1, __ATOMIC_RELEASE);
		sys_futex(&fpp.turn, FUTEX_WAKE_PRIVATE, 1, 0);
		while (__atomic_load_n(&fpp.turn, __ATOMIC_ACQUIRE) != 0) {
			sys_futex(&fpp.turn, FUTEX_WAIT_PRIVATE, 1, 0);
			waits++;
		}
	}
	uint64_t t1 = read_cntvct();
	struct usage u1 = usage_now();
	/* Joined by its CLONE_CHILD_CLEARTID word, polled: the exit wake is not what is measured. */
	for (long i = 0; __atomic_load_n(&ctid, __ATOMIC_ACQUIRE) != 0; i++) {
		if (i == 1000000) {
			fail("futex partner thread did not exit", ctid);
			return; /* its stack stays mapped: it may still run */
		}
		sys_sched_yield();
	}
	sys_munmap(stack, sz);
	report(name, t1 - t0, iters);
	char buf[128] = "";
	snprintf(buf, sizeof(buf), "PROCBENCH-INFO %s", name);
	per_op(buf, sizeof(buf), "waits", waits + fpp.calls[1], iters);
	per_op(buf, sizeof(buf), "csw", u1.csw - u0.csw, iters);
	printf("%s\n", buf);
}

/* The restorer: the handler returns here and rt_sigreturn restores the interrupted context
 * from the frame (glibc's __default_rt_sa_restorer does the same). */
__asm__(".text\n"
	".balign 4\n"
	".globl procbench_sigreturn\n"
	".hidden procbench_sigreturn\n"
	".type procbench_sigreturn, %function\n"
	"procbench_sigreturn:\n"
	"	mov x8, #139\n" /* __NR_rt_sigreturn */
	"	svc #0\n"
	".size procbench_sigreturn, .-procbench_sigreturn\n");
void procbench_sigreturn(void);

struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

static volatile long caught;
static void on_usr1(int sig)
{
	if (sig == SIGUSR1)
		caught++;
}

static long install_usr1(void)
{
	struct k_sigaction sa = {on_usr1, SA_RESTORER, procbench_sigreturn, 0};
	return syscall4(__NR_rt_sigaction, SIGUSR1, &sa, 0, 8);
}

/* A handler that runs on the kill's return to user space and returns into the program. */
static int signal_probe(void)
{
	const char *name = "signal_roundtrip";
	long r = install_usr1();
	if (r) {
		unsupported(name, "rt_sigaction_returned", r);
		return 3;
	}
	caught = 0;
	for (int i = 0; i < 3; i++) {
		r = syscall2(__NR_kill, sys_getpid(), SIGUSR1);
		if (r) {
			unsupported(name, "kill_returned", r);
			return 3;
		}
		if (caught != i + 1) {
			unsupported(name, "handler_not_run_caught", caught);
			return 3;
		}
	}
	return 0;
}

static void bench_signal_roundtrip(void)
{
	const char *name = "signal_roundtrip";
	if (!probe_ok(name, probe(signal_probe)))
		return;
	long r = install_usr1();
	if (r) {
		fail("rt_sigaction", r);
		return;
	}
	long pid = sys_getpid();
	caught = 0;
	struct usage u0 = usage_now();
	uint64_t t0 = read_cntvct();
	for (unsigned long i = 0; i < iters; i++)
		syscall2(__NR_kill, pid, SIGUSR1);
	uint64_t t1 = read_cntvct();
	struct usage u1 = usage_now();
	if (caught != (long)iters) {
		fail("signals caught", caught);
		return;
	}
	report(name, t1 - t0, iters);
	info(name, u0, u1, iters);
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc >= 2 && strcmp(argv[1], "--exit") == 0)
		return 0; /* the exec target of fork_exec_exit_wait */
	freq = read_cntfrq();
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--forks=", 8) == 0)
			forks = strtoul(argv[i] + 8, 0, 0);
		else if (strncmp(argv[i], "--iters=", 8) == 0)
			iters = strtoul(argv[i] + 8, 0, 0);
		else if (strncmp(argv[i], "--only=", 7) == 0)
			only = argv[i] + 7;
	}
	if (!freq || !forks || !iters) {
		printf("PROCBENCH error bad setup: cntfrq=%lu forks=%lu iters=%lu\n", freq, forks, iters);
		return 1;
	}
	/* Everything on CPU 0 (inherited by the children and the thread): the ping-pongs must
	 * really switch on one CPU, however many the machine has. */
	unsigned long cpu0 = 1;
	long r = syscall3(__NR_sched_setaffinity, 0, sizeof(cpu0), &cpu0);
	if (r)
		fail("sched_setaffinity", r);
	printf("PROCBENCH start pid=%ld\n", sys_getpid());
	static const struct {
		const char *name;
		void (*fn)(void);
	} benches[] = {
		{"fork_exec_exit_wait", bench_fork_exec_exit_wait},
		{"fork_exit_wait_64m", bench_fork_exit_wait_64m},
		{"sched_yield_pingpong", bench_sched_yield_pingpong},
		{"pipe_pingpong", bench_pipe_pingpong},
		/* The two that need futex and signal handlers come last: a kernel whose support
		 * is partial can only hang these, after the others have been printed. */
		{"futex_pingpong", bench_futex_pingpong},
		{"signal_roundtrip", bench_signal_roundtrip},
	};
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (!only || strcmp(only, benches[i].name) == 0)
			benches[i].fn();
	printf("PROCBENCH done failures=%d\n", failures);
	if (sys_getpid() == 1) {
		/* LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_POWER_OFF */
		syscall4(__NR_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
	}
	return failures ? 1 : 0;
}
