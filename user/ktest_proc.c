/* Processes on Linux's ABI: fork/vfork/clone, copy-on-write, execve, wait4/waitid status
 * encoding, zombies and reparenting, threads and exit_group. The same binary runs on this
 * kernel (ktest=el0 runs it as /bin/ktest_proc) and on Debian's Linux 6.1 as /init
 * (tools/run_tests.py), so every expectation here is Linux's behaviour.
 *
 * `ktest_proc --child-exit N` exits with N at once: the exec tests run the binary itself. */
#include "lib/ktap.h"
#include "lib/syscall.h"
#include "lib/ulib.h"

#define __NR_waitid 95
#define __NR_clone 220
#define __NR_execve 221
#define __NR_wait4 260
#define __NR_clone3 435
#define __NR_times 153
#define __NR_setrlimit 164

#define SIGCHLD 17
#define SIGKILL 9
#define SIGSEGV 11
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_PARENT 0x8000
#define CLONE_THREAD 0x10000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID 0x1000000
#define WNOHANG 1
#define WEXITED 4
#define WNOWAIT 0x01000000
#define P_PID 1
#define PROT_RW 3
#define MAP_PRIVATE_ANON 0x22
#define MAP_SHARED_ANON 0x21
#define RLIMIT_NPROC 6

#define ECHILD 10
#define ENOENT 2
#define EACCES 13
#define EFAULT 14
#define EINVAL 22
#define E2BIG 7
#define EAGAIN 11

static int on_linux;

static long sys_fork(void) { return syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0); }
static long sys_wait4(long pid, int *status, long options, struct rusage *ru)
{
	return syscall4(__NR_wait4, pid, status, options, ru);
}
static __attribute__((noreturn)) void p_exit_group(int code)
{
	syscall1(__NR_exit_group, code);
	for (;;)
		;
}
static __attribute__((noreturn)) void p_exit_thread(int code)
{
	syscall1(__NR_exit, code);
	for (;;)
		;
}
static long sys_getppid(void) { return syscall0(__NR_getppid); }
static void nap(long ns)
{
	struct timespec ts = {0, ns};
	syscall2(__NR_nanosleep, &ts, 0);
}
static long shared_page(void) { return sys_mmap(0, PAGE_SIZE, PROT_RW, MAP_SHARED_ANON, -1, 0); }

#define WIFEXITED(s) (((s)&0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s)&0x7f)

/* Waits for pid and returns its raw status (-1 and a failure when wait4 fails). */
static int reap(long pid)
{
	int st = -1;
	long r = sys_wait4(pid, &st, 0, 0);
	EXPECT_EQ(r, pid);
	return st;
}

static void t_fork_returns_twice(void)
{
	long parent = sys_getpid();
	volatile long *sh = (volatile long *)shared_page();
	ASSERT(!is_err((long)sh));
	sh[0] = 0;
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		sh[0] = sys_getpid();
		sh[1] = sys_getppid();
		sh[2] = sys_gettid();
		p_exit_group(42);
	}
	int st = reap(pid);
	EXPECT(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 42);
	EXPECT_EQ(sh[0], pid);
	EXPECT_EQ(sh[1], parent);
	EXPECT_EQ(sh[2], pid);
	sys_munmap((void *)sh, PAGE_SIZE);
}

static long minflt(void)
{
	struct rusage ru;
	sys_getrusage(0, &ru);
	return ru.ru_minflt;
}

/* Each page written after fork is copied by the first writer that is not the last holder:
 * the child's writes fault once per page, the parent's own later writes (after the child is
 * gone) fault once per page too and reuse the page in place. Contents never leak. */
#define COW_PAGES 16
static void t_cow_isolation_and_fault_counts(void)
{
	volatile long *sh = (volatile long *)shared_page();
	unsigned char *buf = (unsigned char *)sys_mmap(0, COW_PAGES * PAGE_SIZE, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
	ASSERT(!is_err((long)buf) && !is_err((long)sh));
	for (int i = 0; i < COW_PAGES; i++)
		buf[i * PAGE_SIZE] = (unsigned char)i;
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		minflt(); /* its own stack frame is written (and copied) first */
		long before = minflt();
		for (int i = 0; i < COW_PAGES; i++)
			buf[i * PAGE_SIZE + 1] = 0xee;
		long faults = minflt() - before;
		int same = 1;
		for (int i = 0; i < COW_PAGES; i++)
			same &= buf[i * PAGE_SIZE] == (unsigned char)i;
		sh[0] = faults;
		sh[1] = same;
		p_exit_group(0);
	}
	int st = reap(pid);
	EXPECT_EQ(st, 0);
	EXPECT_EQ(sh[0], COW_PAGES);
	EXPECT_EQ(sh[1], 1);
	int clean = 1;
	for (int i = 0; i < COW_PAGES; i++)
		clean &= buf[i * PAGE_SIZE + 1] == 0;
	EXPECT(clean);
	long before = minflt();
	for (int i = 0; i < COW_PAGES; i++)
		buf[i * PAGE_SIZE + 2] = 0x55;
	EXPECT_EQ(minflt() - before, COW_PAGES);
	sys_munmap(buf, COW_PAGES * PAGE_SIZE);
	sys_munmap((void *)sh, PAGE_SIZE);
}

static void t_wait_status_encoding(void)
{
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0)
		p_exit_group(255);
	EXPECT_EQ(reap(pid), 0xff00);
	pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		syscall2(__NR_kill, sys_getpid(), SIGKILL);
		p_exit_group(1);
	}
	EXPECT_EQ(reap(pid), SIGKILL);
	pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		*(volatile int *)0 = 1; /* SIGSEGV, no handler: killed, no core (RLIMIT_CORE 0) */
		p_exit_group(1);
	}
	int st = reap(pid);
	EXPECT_EQ(WTERMSIG(st), SIGSEGV);
}

static void t_wait_errors(void)
{
	int st;
	EXPECT_EQ(sys_wait4(-1, &st, 0, 0), -ECHILD);
	EXPECT_EQ(sys_wait4(-1, &st, 0x10000000, 0), -EINVAL); /* unknown option bit */
	volatile long *sh = (volatile long *)shared_page();
	ASSERT(!is_err((long)sh));
	sh[0] = 0;
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		while (!sh[0])
			nap(1000000);
		p_exit_group(3);
	}
	EXPECT_EQ(sys_wait4(pid, &st, WNOHANG, 0), 0);
	EXPECT_EQ(sys_wait4(pid + 100000, &st, 0, 0), -ECHILD);
	sh[0] = 1;
	EXPECT_EQ(reap(pid), 3 << 8);
	EXPECT_EQ(sys_wait4(pid, &st, 0, 0), -ECHILD);
	sys_munmap((void *)sh, PAGE_SIZE);
}

struct k_siginfo {
	int si_signo, si_errno, si_code, pad;
	int si_pid;
	unsigned si_uid;
	int si_status;
	int pad2;
	long rest[12];
};

static void t_waitid_siginfo(void)
{
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0)
		p_exit_group(7);
	struct k_siginfo si;
	memset(&si, 0xa5, sizeof(si));
	/* WNOWAIT leaves it to be reaped again. */
	EXPECT_EQ(syscall5(__NR_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, 0), 0);
	EXPECT_EQ(si.si_signo, SIGCHLD);
	EXPECT_EQ(si.si_code, 1); /* CLD_EXITED */
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_status, 7);
	memset(&si, 0, sizeof(si));
	EXPECT_EQ(syscall5(__NR_waitid, P_PID, pid, &si, WEXITED, 0), 0);
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(syscall5(__NR_waitid, P_PID, pid, &si, WEXITED, 0), -ECHILD);
	EXPECT_EQ(syscall5(__NR_waitid, P_PID, pid, &si, 0, 0), -EINVAL);
	pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		syscall2(__NR_kill, sys_getpid(), SIGKILL);
		p_exit_group(1);
	}
	EXPECT_EQ(syscall5(__NR_waitid, P_PID, pid, &si, WEXITED, 0), 0);
	EXPECT_EQ(si.si_code, 2); /* CLD_KILLED */
	EXPECT_EQ(si.si_status, SIGKILL);
}

/* An orphan's new parent is PID 1 (which reaps it: this kernel's PID 1 kernel thread lets
 * orphans reap themselves; on Linux this program is PID 1 and reaps it here). */
static void t_orphan_reparented_to_init(void)
{
	volatile long *sh = (volatile long *)shared_page();
	ASSERT(!is_err((long)sh));
	sh[0] = sh[1] = sh[2] = sh[3] = sh[5] = 0;
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		long g = sys_fork();
		if (g == 0) {
			sh[0] = sys_getppid();
			__atomic_store_n(&sh[5], 1, __ATOMIC_RELEASE);
			while (!sh[2]) /* until the middle one is gone */
				nap(1000000);
			long ppid = 0;
			for (int i = 0; i < 5000 && (ppid = sys_getppid()) != 1; i++)
				nap(1000000);
			sh[1] = ppid;
			__atomic_store_n(&sh[3], 1, __ATOMIC_RELEASE);
			p_exit_group(0);
		}
		sh[4] = g;
		/* Gone only after the grandchild saw it as its parent. */
		for (int i = 0; i < 5000 && !__atomic_load_n(&sh[5], __ATOMIC_ACQUIRE); i++)
			nap(1000000);
		p_exit_group(0);
	}
	EXPECT_EQ(reap(pid), 0);
	sh[2] = 1;
	for (int i = 0; i < 5000 && !__atomic_load_n(&sh[3], __ATOMIC_ACQUIRE); i++)
		nap(1000000);
	EXPECT_EQ(sh[0], pid);
	EXPECT_EQ(sh[1], 1);
	if (sys_getpid() == 1)
		EXPECT_EQ(reap(sh[4]), 0);
	sys_munmap((void *)sh, PAGE_SIZE);
}

/* A tree of 64 processes (each node forks two until the depth runs out): every one reports
 * through the exit status, summed up the tree. */
static int tree(int depth)
{
	if (depth == 0)
		return 1;
	long a = sys_fork();
	if (a == 0)
		p_exit_group(tree(depth - 1));
	long b = sys_fork();
	if (b == 0)
		p_exit_group(tree(depth - 1));
	if (a < 0 || b < 0)
		return 0;
	int sa = 0, sb = 0;
	sys_wait4(a, &sa, 0, 0);
	sys_wait4(b, &sb, 0, 0);
	return 1 + WEXITSTATUS(sa) + WEXITSTATUS(sb);
}

static void t_fork_tree_64(void)
{
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0)
		p_exit_group(tree(5) + 1); /* 63 nodes below, the root itself makes 64 */
	EXPECT_EQ(reap(pid), 64 << 8);
}

static void t_fork_exit_wait_1000(void)
{
	int bad = 0;
	for (int i = 0; i < 1000; i++) {
		long pid = sys_fork();
		if (pid == 0)
			p_exit_group(i & 0x7f);
		int st = -1;
		if (pid < 0 || sys_wait4(pid, &st, 0, 0) != pid || st != (i & 0x7f) << 8)
			bad++;
	}
	EXPECT_EQ(bad, 0);
}

static void t_exec_from_child(void)
{
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		char *argv[] = {__argv[0], "--child-exit", "37", 0};
		char *envp[] = {"A=1", 0};
		syscall3(__NR_execve, __argv[0], argv, envp);
		p_exit_group(99);
	}
	EXPECT_EQ(reap(pid), 37 << 8);
}

static void t_execve_errors(void)
{
	char *argv[] = {"x", 0};
	EXPECT_EQ(syscall3(__NR_execve, "/no/such/file", argv, 0), -ENOENT);
	EXPECT_EQ(syscall3(__NR_execve, (char *)8, argv, 0), -EFAULT);
	EXPECT_EQ(syscall3(__NR_execve, __argv[0], (char **)8, 0), -EFAULT);
	/* A directory is not executable. */
	EXPECT_EQ(syscall3(__NR_execve, "/", argv, 0), -EACCES);
	/* One argument longer than MAX_ARG_STRLEN (32 pages). */
	size_t big = 33 * PAGE_SIZE;
	char *s = (char *)sys_mmap(0, big, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
	ASSERT(!is_err((long)s));
	memset(s, 'a', big - 1);
	s[big - 1] = 0;
	char *bigv[] = {__argv[0], s, 0};
	EXPECT_EQ(syscall3(__NR_execve, __argv[0], bigv, 0), -E2BIG);
	sys_munmap(s, big);
}

/* vfork: the parent sleeps until the child exits, and the child ran in its memory. */
static void t_vfork_shares_memory(void)
{
	volatile int marker = 0;
	long pid = syscall5(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
	ASSERT(pid >= 0);
	if (pid == 0) {
		marker = 1;
		p_exit_thread(5); /* exit, not exit_group: nothing else of ours runs */
	}
	EXPECT_EQ(marker, 1);
	EXPECT_EQ(reap(pid), 5 << 8);
}


struct thread_arg {
	volatile long tid, pid, tls, ran;
};

static int thread_fn(void *p)
{
	struct thread_arg *a = (struct thread_arg *)p;
	unsigned long tp;
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
	a->tid = sys_gettid();
	a->pid = sys_getpid();
	a->tls = (long)tp;
	__atomic_store_n(&a->ran, 1, __ATOMIC_RELEASE);
	return 0;
}

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)

static void t_clone_thread(void)
{
	size_t sz = 16 * PAGE_SIZE;
	char *stack = (char *)sys_mmap(0, sz, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
	ASSERT(!is_err((long)stack));
	static struct thread_arg a;
	memset((void *)&a, 0, sizeof(a));
	static volatile int ptid, ctid;
	ptid = 0;
	ctid = -1;
	long tid = raw_clone(THREAD_FLAGS | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
				stack + sz, &ptid, 0x1234567890ul, &ctid, thread_fn, (void *)&a);
	ASSERT(tid > 0);
	/* clear_child_tid is cleared when the thread is gone. */
	for (int i = 0; i < 100000 && __atomic_load_n(&ctid, __ATOMIC_ACQUIRE) != 0; i++)
		syscall0(__NR_sched_yield);
	EXPECT_EQ(ctid, 0);
	EXPECT_EQ(a.ran, 1);
	EXPECT_EQ(ptid, tid);
	EXPECT_EQ(a.tid, tid);
	EXPECT_EQ(a.pid, sys_getpid());
	EXPECT(a.tid != sys_getpid());
	EXPECT_EQ(a.tls, 0x1234567890l);
	/* A thread is not a child: nothing to wait for. */
	int st;
	EXPECT_EQ(sys_wait4(-1, &st, WNOHANG | 0x40000000, 0), -ECHILD);
	sys_munmap(stack, sz);
}

static int spin_fn(void *p)
{
	(void)p;
	for (;;)
		syscall0(__NR_sched_yield);
}

/* exit_group ends every thread: the process (leader plus a spinning thread) is reaped with
 * the group's status. */
static void t_exit_group_kills_threads(void)
{
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		size_t sz = 16 * PAGE_SIZE;
		char *stack = (char *)sys_mmap(0, sz, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
		for (int i = 0; i < 3; i++)
			raw_clone(THREAD_FLAGS, stack + sz - i * 4 * PAGE_SIZE, 0, 0, 0, spin_fn, 0);
		syscall0(__NR_sched_yield);
		p_exit_group(21);
	}
	EXPECT_EQ(reap(pid), 21 << 8);
}

/* The leader may exit first (exit, not exit_group): the process lives on in its thread and
 * is reported once the last thread is gone, with that thread's exit status (Linux 6.1). */
static int late_exit_fn(void *p)
{
	volatile long *sh = (volatile long *)p;
	while (!sh[0])
		nap(1000000);
	sh[1] = 1;
	return 4; /* this thread's exit status, the process's (see below) */
}

static void t_leader_exits_first(void)
{
	volatile long *sh = (volatile long *)shared_page();
	ASSERT(!is_err((long)sh));
	sh[0] = sh[1] = 0;
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		size_t sz = 16 * PAGE_SIZE;
		char *stack = (char *)sys_mmap(0, sz, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
		raw_clone(THREAD_FLAGS, stack + sz, 0, 0, 0, late_exit_fn, (void *)sh);
		p_exit_thread(9);
	}
	int st;
	nap(20000000);
	EXPECT_EQ(sys_wait4(pid, &st, WNOHANG, 0), 0); /* a thread still runs */
	sh[0] = 1;
	EXPECT_EQ(reap(pid), 4 << 8);
	EXPECT_EQ(sh[1], 1);
	sys_munmap((void *)sh, PAGE_SIZE);
}

/* RUSAGE_CHILDREN holds the faults of reaped children. */
static void t_rusage_children(void)
{
	struct rusage before, after;
	sys_getrusage(-1, &before);
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		char *p = (char *)sys_mmap(0, 64 * PAGE_SIZE, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
		for (int i = 0; i < 64; i++)
			p[i * PAGE_SIZE] = 1;
		p_exit_group(0);
	}
	struct rusage ru;
	int st;
	EXPECT_EQ(sys_wait4(pid, &st, 0, &ru), pid);
	EXPECT(ru.ru_minflt >= 64);
	sys_getrusage(-1, &after);
	EXPECT(after.ru_minflt - before.ru_minflt >= 64);
	EXPECT_EQ(after.ru_minflt - before.ru_minflt, ru.ru_minflt);
}

/* RLIMIT_NPROC bounds fork (Linux exempts root; this kernel has no users and applies it to
 * everyone, so this case runs here only). */
static void t_nproc_limit_bounds_fork_bomb(void)
{
	if (on_linux) {
		ktap_skip("Linux does not apply RLIMIT_NPROC to root");
		return;
	}
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		/* 64 tasks in all: fewer than that run now, so some forks succeed, then EAGAIN. */
		struct rlimit lim = {64, 64};
		if (sys_prlimit64(0, RLIMIT_NPROC, &lim, 0) != 0)
			p_exit_group(90);
		long kids[128];
		long err = 0;
		int n;
		for (n = 0; n < 128; n++) {
			long p = sys_fork();
			if (p == 0) {
				nap(100000000);
				p_exit_group(0);
			}
			if (p < 0) {
				err = p;
				break;
			}
			kids[n] = p;
		}
		int bad = 0;
		for (int i = 0; i < n; i++) {
			int st = -1;
			if (sys_wait4(kids[i], &st, 0, 0) != kids[i] || st != 0)
				bad++;
		}
		p_exit_group(err == -EAGAIN && n > 0 && n < 64 && !bad ? 0 : 1);
	}
	EXPECT_EQ(reap(pid), 0);
}

#define __NR_prctl 167
static void t_prctl_name(void)
{
	char name[16];
	memset(name, 'x', sizeof(name));
	EXPECT_EQ(syscall2(__NR_prctl, 16 /* PR_GET_NAME */, name), 0);
	EXPECT(name[15] == 0);
	EXPECT_EQ(syscall2(__NR_prctl, 15 /* PR_SET_NAME */, "a-very-long-thread-name"), 0);
	EXPECT_EQ(syscall2(__NR_prctl, 16, name), 0);
	EXPECT_EQ(strcmp(name, "a-very-long-thr"), 0); /* 15 characters kept */
	/* A forked child inherits the name; exec sets it from the file. */
	volatile long *sh = (volatile long *)shared_page();
	ASSERT(!is_err((long)sh));
	long pid = sys_fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		char n[16];
		syscall2(__NR_prctl, 16, n);
		sh[0] = strcmp(n, "a-very-long-thr") == 0;
		p_exit_group(0);
	}
	EXPECT_EQ(reap(pid), 0);
	EXPECT_EQ(sh[0], 1);
	EXPECT_EQ(syscall2(__NR_prctl, 16, (char *)8), -EFAULT);
	EXPECT_EQ(syscall2(__NR_prctl, 0x7fff, 0), -EINVAL);
	sys_munmap((void *)sh, PAGE_SIZE);
}

/* sysinfo(2): memory figures in mem_unit bytes, at least this task, EFAULT for a bad buffer. */
static void t_sysinfo(void)
{
	struct {
		long uptime;
		unsigned long loads[3];
		unsigned long totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		unsigned short procs, pad;
		unsigned int pad2;
		unsigned long totalhigh, freehigh;
		unsigned int mem_unit;
		char f[4];
	} si;
	memset(&si, 0xff, sizeof(si));
	EXPECT_EQ(syscall1(179, &si), 0);
	EXPECT_EQ(si.mem_unit, 1);
	EXPECT(si.totalram > (64ul << 20));
	EXPECT(si.freeram > 0 && si.freeram < si.totalram);
	EXPECT(si.procs >= 1);
	EXPECT_EQ(si.totalhigh, 0);
	EXPECT_EQ(syscall1(179, (void *)8), -EFAULT);
}

static const struct ktest_case proc_cases[] = {
	{"sysinfo", t_sysinfo},
	{"fork_returns_twice", t_fork_returns_twice},
	{"cow_isolation_and_fault_counts", t_cow_isolation_and_fault_counts},
	{"wait_status_encoding", t_wait_status_encoding},
	{"wait_errors", t_wait_errors},
	{"waitid_siginfo", t_waitid_siginfo},
	{"orphan_reparented_to_init", t_orphan_reparented_to_init},
	{"fork_tree_64", t_fork_tree_64},
	{"fork_exit_wait_1000", t_fork_exit_wait_1000},
	{"exec_from_child", t_exec_from_child},
	{"execve_errors", t_execve_errors},
	{"vfork_shares_memory", t_vfork_shares_memory},
	{"clone_thread", t_clone_thread},
	{"exit_group_kills_threads", t_exit_group_kills_threads},
	{"leader_exits_first", t_leader_exits_first},
	{"rusage_children", t_rusage_children},
	{"nproc_limit_bounds_fork_bomb", t_nproc_limit_bounds_fork_bomb},
	{"prctl_name", t_prctl_name},
};

static const struct ktest_suite suites[] = {
	KTEST_SUITE("user_proc", proc_cases),
};

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc == 3 && strcmp(argv[1], "--child-exit") == 0)
		return (int)strtoul(argv[2], 0, 10);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--linux") == 0)
			on_linux = 1;
	return ktap_run(suites, (int)(sizeof(suites) / sizeof(suites[0])));
}
