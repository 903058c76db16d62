/* Threads and futexes from user space (KTAP): raw clone(CLONE_VM|CLONE_THREAD...) threads,
 * the way a libc makes them, checked on this kernel (ktest=el0's initramfs_programs) and on
 * Debian's Linux 6.1 (tools/run_tests.py), so both kernels must agree on every result.
 *
 * - 4 threads increment one counter under a futex mutex to an exact total;
 * - CLONE_PARENT_SETTID / CLONE_CHILD_CLEARTID: the tid is stored, then cleared and woken
 *   at thread exit (what pthread_join waits for);
 * - a thread dying with a robust mutex held: the kernel marks it FUTEX_OWNER_DIED and wakes
 *   the waiter; list_op_pending is honoured; get_robust_list reports the list;
 * - FUTEX_CMP_REQUEUE of real waiters from one word to another, and FUTEX_WAKE_OP;
 * - errno values: EAGAIN, EINVAL, EFAULT, ETIMEDOUT (a timeout never ends early), ENOSYS.
 * Nothing depends on timing: waiters are counted through the futex results themselves. */
#include "lib/ktap.h"

#define __NR_futex 98
#define __NR_get_robust_list 100
#define __NR_clone 220

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define FUTEX_OP(op, oparg, cmp, cmparg) \
	(((unsigned)(op) << 28) | ((unsigned)(cmp) << 24) | (((unsigned)(oparg) & 0xfff) << 12) | ((unsigned)(cmparg) & 0xfff))
#define EAGAIN 11
#define ETIMEDOUT 110

#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
/* glibc's pthread_create flags, less CLONE_SETTLS (these threads use no TLS). */
#define THREAD_FLAGS                                                                            \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |       \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

static long futex(volatile unsigned *uaddr, int op, unsigned val, const void *timeout_or_val2,
		  volatile unsigned *uaddr2, unsigned val3)
{
	return syscall6(__NR_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}


#define STACK_SIZE (64 * 1024)

struct thread {
	volatile int tid;  /* CLONE_PARENT_SETTID and CLONE_CHILD_CLEARTID */
	int ptid_ret;      /* clone's result */
	void *stack;
};

static int spawn(struct thread *t, int (*fn)(void *), void *arg)
{
	long m = sys_mmap(0, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(m))
		return 0;
	t->stack = (void *)m;
	t->tid = -1;
	long r = raw_clone(THREAD_FLAGS, (char *)m + STACK_SIZE, &t->tid, 0, &t->tid, fn, arg);
	t->ptid_ret = (int)r;
	if (r < 0) {
		ktap_log("clone: %ld", r);
		sys_munmap(t->stack, STACK_SIZE);
		t->stack = 0;
		return 0;
	}
	return 1;
}

/* pthread_join's wait: until the kernel cleared the tid word at the thread's exit (a shared
 * futex wait: CLONE_CHILD_CLEARTID wakes with a shared FUTEX_WAKE). */
static void join(struct thread *t)
{
	int v;
	while ((v = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE)) != 0)
		futex((volatile unsigned *)&t->tid, FUTEX_WAIT, (unsigned)v, 0, 0, 0);
	/* The stack stays mapped until the exit is complete: the tid is cleared by the kernel
	 * after the thread's last user instruction. */
	sys_munmap(t->stack, STACK_SIZE);
}

/* ---- a futex mutex (Drepper's "Futexes Are Tricky", mutex 2) --------------------------------- */

/* Exclusive-pair atomics (ARMv8.0, no LSE; the runtime has no libgcc for clang's outlined
 * __aarch64_* helpers). Both are full barriers as the mutex needs: acquire and release. */
static unsigned xchg32(volatile unsigned *p, unsigned v)
{
	unsigned old, fail;
	__asm__ volatile("1:	ldaxr	%w0, [%2]\n"
			 "	stlxr	%w1, %w3, [%2]\n"
			 "	cbnz	%w1, 1b\n"
			 : "=&r"(old), "=&r"(fail)
			 : "r"(p), "r"(v)
			 : "memory");
	return old;
}

/* Stores desired if *p == expected; returns the value found. */
static unsigned cmpxchg32(volatile unsigned *p, unsigned expected, unsigned desired)
{
	unsigned old, fail;
	__asm__ volatile("1:	ldaxr	%w0, [%2]\n"
			 "	cmp	%w0, %w3\n"
			 "	b.ne	2f\n"
			 "	stlxr	%w1, %w4, [%2]\n"
			 "	cbnz	%w1, 1b\n"
			 "2:\n"
			 : "=&r"(old), "=&r"(fail)
			 : "r"(p), "r"(expected), "r"(desired)
			 : "memory", "cc");
	return old;
}

static void mutex_lock(volatile unsigned *m, long *sleeps)
{
	unsigned c = cmpxchg32(m, 0, 1);
	if (c == 0)
		return;
	if (c != 2)
		c = xchg32(m, 2);
	while (c != 0) {
		if (futex(m, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 2, 0, 0, 0) == 0)
			(*sleeps)++;
		c = xchg32(m, 2);
	}
}

static void mutex_unlock(volatile unsigned *m)
{
	if (xchg32(m, 0) == 2)
		futex(m, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0);
}

#define NTHREADS 4
#define ITERATIONS 20000

static volatile unsigned counter_lock;
static volatile unsigned long counter;
static long sleeps[NTHREADS]; /* per thread: plain stores, summed after the joins */

static int counter_thread(void *arg)
{
	long *my_sleeps = arg;
	for (int i = 0; i < ITERATIONS; i++) {
		mutex_lock(&counter_lock, my_sleeps);
		unsigned long v = counter;
		if ((i & 255) == 0)
			syscall0(__NR_sched_yield); /* hold the lock across a switch: contention */
		counter = v + 1;
		mutex_unlock(&counter_lock);
	}
	return 0;
}

static void test_counter(void)
{
	struct thread t[NTHREADS];
	counter = 0;
	counter_lock = 0;
	int n = 0;
	for (; n < NTHREADS; n++) {
		sleeps[n] = 0;
		if (!spawn(&t[n], counter_thread, &sleeps[n]))
			break;
	}
	EXPECT_EQ(n, NTHREADS);
	for (int i = 0; i < n; i++) {
		EXPECT(t[i].ptid_ret > 0);
		join(&t[i]);
	}
	EXPECT_EQ(counter, (unsigned long)n * ITERATIONS);
	EXPECT_EQ(counter_lock, 0);
	long total = 0;
	for (int i = 0; i < n; i++)
		total += sleeps[i];
	ktap_log("%d threads x %d increments: %lu, %ld futex sleeps", n, ITERATIONS, counter, total);
}

/* ---- CLONE_PARENT_SETTID / CLONE_CHILD_CLEARTID ------------------------------------------ */

static volatile int seen_tid;

static int tid_thread(void *arg)
{
	(void)arg;
	seen_tid = (int)sys_gettid();
	return 0;
}

static void test_settid_cleartid(void)
{
	struct thread t;
	seen_tid = 0;
	ASSERT(spawn(&t, tid_thread, 0));
	join(&t);
	EXPECT(t.ptid_ret > 0);
	EXPECT_EQ(seen_tid, t.ptid_ret);
	EXPECT_EQ(t.tid, 0);
	EXPECT(t.ptid_ret != sys_getpid());
}

/* ---- robust futexes ------------------------------------------------------------------------ */

struct robust_list {
	struct robust_list *next;
};
struct robust_list_head {
	struct robust_list list;
	long futex_offset;
	struct robust_list *list_op_pending;
};
/* A robust mutex as glibc lays one out: the list node, then the lock word. */
struct robust_mutex {
	struct robust_list node;
	volatile unsigned lock;
};

static struct robust_list_head rhead;
static struct robust_mutex rm_held, rm_pending;
static volatile unsigned ready, go;
static volatile long head_seen, len_seen;

static int robust_owner(void *arg)
{
	(void)arg;
	unsigned tid = (unsigned)sys_gettid();
	rhead.list.next = &rm_held.node;
	rm_held.node.next = &rhead.list;
	rhead.futex_offset = (long)__builtin_offsetof(struct robust_mutex, lock);
	/* An unlock of rm_pending interrupted after the owner was cleared, before the wake. */
	rhead.list_op_pending = &rm_pending.node;
	rm_held.lock = tid | FUTEX_WAITERS; /* held, and someone waits */
	rm_pending.lock = 0;
	if (syscall2(__NR_set_robust_list, &rhead, sizeof(rhead)) != 0)
		return 1;
	long len = 0;
	void *h = 0;
	syscall3(__NR_get_robust_list, 0, &h, &len);
	head_seen = (long)h;
	len_seen = len;
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	futex(&ready, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		futex(&go, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0);
	return 0; /* dies holding rm_held */
}

static volatile long pending_wait_result = 1;

static int pending_waiter(void *arg)
{
	(void)arg;
	/* Robust mutex waiters use shared futex ops: the exit-time wake is a shared one. */
	pending_wait_result = futex(&rm_pending.lock, FUTEX_WAIT, 0, 0, 0, 0);
	return 0;
}

static void test_robust_owner_death(void)
{
	struct thread owner, pw;
	ready = go = 0;
	head_seen = len_seen = 0;
	pending_wait_result = 1;
	ASSERT(spawn(&owner, robust_owner, 0));
	while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		futex(&ready, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0);
	EXPECT_EQ(head_seen, (long)&rhead);
	EXPECT_EQ(len_seen, (long)sizeof(rhead));
	long len = 0;
	void *h = 0;
	EXPECT_EQ(syscall3(__NR_get_robust_list, owner.ptid_ret, &h, &len), 0);
	EXPECT_EQ((long)h, (long)&rhead);
	EXPECT_EQ(syscall3(__NR_get_robust_list, -1, &h, &len), -ESRCH);
	EXPECT_EQ(syscall2(__NR_set_robust_list, &rhead, sizeof(rhead) - 1), -EINVAL);

	/* A waiter on the pending word, woken by the exit although the word says unlocked. The
	 * owner may die only once it sleeps: CMP_REQUEUE of the word onto itself counts the
	 * waiter once it is queued (and leaves it asleep). */
	ASSERT(spawn(&pw, pending_waiter, 0));
	unsigned owner_tid = (unsigned)owner.ptid_ret;
	long queued = 0;
	for (int spins = 0; queued == 0 && spins < 1000000; spins++) {
		queued = futex(&rm_pending.lock, FUTEX_CMP_REQUEUE, 0, (void *)1L, &rm_pending.lock, 0);
		if (queued == 0)
			syscall0(__NR_sched_yield);
	}
	EXPECT_EQ(queued, 1);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	futex(&go, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0);
	/* The contended lock: wait as a robust waiter would until the owner's death shows. */
	unsigned v;
	while (((v = rm_held.lock) & FUTEX_TID_MASK) == owner_tid)
		futex(&rm_held.lock, FUTEX_WAIT, v, 0, 0, 0);
	join(&owner);
	join(&pw);
	EXPECT_EQ(rm_held.lock, FUTEX_WAITERS | FUTEX_OWNER_DIED);
	EXPECT_EQ(rm_pending.lock, 0);
	EXPECT_EQ(pending_wait_result, 0);
}

/* ---- requeue and wake_op with real waiters ------------------------------------------------ */

static volatile unsigned word_a, word_b;
static volatile long waiter_results[2];

static int a_waiter(void *arg)
{
	long i = (long)arg;
	waiter_results[i] = futex(&word_a, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0);
	return 0;
}

static void test_requeue_and_wake_op(void)
{
	struct thread t[2];
	word_a = 0;
	word_b = 0;
	waiter_results[0] = waiter_results[1] = 1;
	ASSERT(spawn(&t[0], a_waiter, (void *)0L));
	ASSERT(spawn(&t[1], a_waiter, (void *)1L));
	/* Move both waiters from a to b as they arrive: CMP_REQUEUE with nr_wake 0 wakes
	 * nobody and counts the waiters it moved, so the loop ends once both were queued. */
	long moved = 0;
	for (int spins = 0; moved < 2 && spins < 1000000; spins++) {
		long r = futex(&word_a, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)2L, &word_b, 0);
		EXPECT(r >= 0);
		if (r < 0)
			break;
		moved += r;
		if (moved < 2)
			syscall0(__NR_sched_yield);
	}
	EXPECT_EQ(moved, 2);
	/* Nobody on a any more; CMP_REQUEUE with a stale value is EAGAIN. */
	EXPECT_EQ(futex(&word_a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, 0, 0, 0), 0);
	EXPECT_EQ(futex(&word_a, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, (void *)1L, &word_b, 5), -EAGAIN);
	/* WAKE_OP: b += 1 (old value 0 == 0: true), wake 1 on a (none) and 1 on b; then the
	 * comparison fails (old 1 != 0): only a's waiters, none. */
	EXPECT_EQ(futex(&word_a, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1L, &word_b, FUTEX_OP(1, 1, 0, 0)), 1);
	EXPECT_EQ(word_b, 1);
	EXPECT_EQ(futex(&word_a, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1L, &word_b, FUTEX_OP(1, 1, 0, 0)), 0);
	EXPECT_EQ(word_b, 2);
	EXPECT_EQ(futex(&word_b, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 10, 0, 0, 0), 1);
	join(&t[0]);
	join(&t[1]);
	EXPECT_EQ(waiter_results[0], 0);
	EXPECT_EQ(waiter_results[1], 0);
}

/* ---- errno values ------------------------------------------------------------------------- */

static long ns_since(const struct timespec *a)
{
	struct timespec b;
	sys_clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000000000L + (b.tv_nsec - a->tv_nsec);
}

static void test_errors(void)
{
	static volatile unsigned w[4];
	w[0] = 1;
	EXPECT_EQ(futex(&w[0], FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 2, 0, 0, 0), -EAGAIN);
	EXPECT_EQ(futex((volatile unsigned *)((char *)&w[0] + 1), FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0), -EINVAL);
	EXPECT_EQ(futex((volatile unsigned *)((char *)&w[0] + 2), FUTEX_WAKE, 1, 0, 0, 0), -EINVAL);
	EXPECT_EQ(futex(&w[0], FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0), 0);
	EXPECT_EQ(futex(&w[0], FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0), -EINVAL);
	EXPECT_EQ(futex(&w[0], FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(futex(&w[0], 14, 0, 0, 0, 0), -ENOSYS);
	EXPECT_EQ(futex((volatile unsigned *)8, FUTEX_WAIT, 0, 0, 0, 0), -EFAULT);
	EXPECT_EQ(futex((volatile unsigned *)8, FUTEX_WAKE, 1, 0, 0, 0), -EFAULT);
	EXPECT_EQ(futex((volatile unsigned *)8, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0), 0);
	EXPECT_EQ(futex(&w[0], FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, (void *)8, 0, 0), -EFAULT);
	struct timespec bad = {0, 1000000000};
	EXPECT_EQ(futex(&w[0], FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, &bad, 0, 0), -EINVAL);
	EXPECT_EQ(futex(&w[0], FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, (unsigned)-1, (void *)1L, &w[1], 0), -EINVAL);
	EXPECT_EQ(futex(&w[0], FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1L, &w[1], FUTEX_OP(6, 0, 0, 0)), -ENOSYS);
	/* Timeouts: relative for WAIT, absolute for WAIT_BITSET; never early. */
	struct timespec t0, rel = {0, 20000000};
	sys_clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(futex(&w[0], FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, &rel, 0, 0), -ETIMEDOUT);
	EXPECT(ns_since(&t0) >= 20000000L);
	struct timespec abs;
	sys_clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 15000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_nsec -= 1000000000;
		abs.tv_sec++;
	}
	EXPECT_EQ(futex(&w[0], FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 1, &abs, 0, 0xffffffff), -ETIMEDOUT);
	struct timespec now;
	sys_clock_gettime(CLOCK_MONOTONIC, &now);
	EXPECT(now.tv_sec > abs.tv_sec || (now.tv_sec == abs.tv_sec && now.tv_nsec >= abs.tv_nsec));
	struct timespec past = {0, 1};
	EXPECT_EQ(futex(&w[0], FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 1, &past, 0, 0xffffffff),
		  -ETIMEDOUT);
}

static const struct ktest_case futex_cases[] = {
	{"errors_match_linux", test_errors},
	{"four_threads_futex_counter", test_counter},
	{"settid_and_cleartid_join", test_settid_cleartid},
	{"robust_list_owner_death", test_robust_owner_death},
	{"requeue_and_wake_op_with_threads", test_requeue_and_wake_op},
};

static const struct ktest_suite suites[] = {
	KTEST_SUITE("futex_user", futex_cases),
};

int main(int argc, char **argv, char **envp)
{
	return ktap_run(suites, (int)(sizeof(suites) / sizeof(suites[0])));
}
