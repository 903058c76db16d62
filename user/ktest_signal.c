/* Signals with Linux's AArch64 ABI, as a KTAP suite that runs both on this kernel (ktest=el0,
 * initramfs_programs) and as init on Debian's Linux 6.1 (tools/run_tests.py linux_tests):
 * handlers with siginfo (si_signo, si_code, si_pid, si_addr), the rt_sigframe and its
 * context records, a SIGSEGV handler that repairs the mapping and returns, SIGTRAP/SIGILL
 * handlers that step over the instruction through uc_mcontext.pc, masks and pending sets,
 * SA_RESETHAND, SA_NODEFER, sigaltstack, rt_sigtimedwait with rt queueing and classic
 * coalescing, FP/SIMD registers across a handler that clobbers them, kill(0)/tgkill, SIGALRM
 * from setitimer interrupting rt_sigsuspend, and nanosleep's -EINTR with the time left.
 * Raw syscalls; no libc. The C code is general-regs-only: only fp_fill/fp_check touch FP. */
#include "lib/ktap.h"

#define __NR_getitimer 102
#define __NR_setitimer 103
#define __NR_tkill 130
#define __NR_tgkill 131
#define __NR_sigaltstack 132
#define __NR_rt_sigsuspend 133
#define __NR_rt_sigpending 136
#define __NR_rt_sigtimedwait 137
#define __NR_rt_sigreturn 139
#define EAGAIN 11
#define ECHILD 10
#define __NR_clone 220
#define __NR_wait4 260
#define __NR_getppid 173

#define SIGILL 4
#define SIGTRAP 5
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGALRM 14
#define SIGCHLD 17
#define SIGCONT 18
#define SIGKILL 9
#define SIGRT1 35

#define SA_SIGINFO 0x4
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SA_UNSUPPORTED 0x400
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 5120

#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL -6
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define ILL_ILLOPC 1
#define TRAP_BRKPT 1

#define FPSIMD_MAGIC 0x46508001u
#define ESR_MAGIC 0x45535201u

#define M(sig) (1ul << ((sig)-1))

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

typedef struct {
	int si_signo, si_errno, si_code, pad;
	union {
		struct {
			int pid;
			unsigned uid;
		} kill;
		struct {
			void *addr;
		} fault;
		char pad[112];
	} f;
} ksiginfo_t;

struct kstack {
	void *ss_sp;
	int ss_flags;
	unsigned long ss_size;
};

struct ctx_head {
	unsigned magic, size;
};

struct kucontext {
	unsigned long uc_flags;
	void *uc_link;
	struct kstack uc_stack;
	unsigned long uc_sigmask;
	unsigned char unused[120];
	unsigned long align;
	/* sigcontext */
	unsigned long fault_address;
	unsigned long regs[31];
	unsigned long sp, pc, pstate;
	unsigned char reserved[4096] __attribute__((aligned(16)));
};

struct kitimerval {
	long isec, iusec, vsec, vusec;
};

/* sa_restorer: what glibc's __restore_rt does. */
void sig_restorer(void);
__asm__(".text\n.globl sig_restorer\nsig_restorer:\n\tmov x8, #139\n\tsvc #0\n\tbrk #0x3e8\n");

long fp_fill(unsigned long seed);
long fp_check(unsigned long seed);
__asm__(".text\n"
	".arch_extension fp\n"
	".arch_extension simd\n"
	".globl fp_fill\n"
	"fp_fill:\n"
	"	mov	x9, x0\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	dup	v\\n\\().2d, x9\n"
	"	add	x9, x9, #1\n"
	".endr\n"
	"	and	x10, x0, #3\n"
	"	lsl	x10, x10, #22\n"
	"	msr	fpcr, x10\n"
	"	and	x10, x0, #0x1f\n"
	"	msr	fpsr, x10\n"
	"	mov	x0, #0\n"
	"	ret\n"
	".globl fp_check\n"
	"fp_check:\n"
	"	mov	x9, x0\n"
	"	mov	x11, #0\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	umov	x10, v\\n\\().d[0]\n"
	"	cmp	x10, x9\n"
	"	cinc	x11, x11, ne\n"
	"	umov	x10, v\\n\\().d[1]\n"
	"	cmp	x10, x9\n"
	"	cinc	x11, x11, ne\n"
	"	add	x9, x9, #1\n"
	".endr\n"
	"	mrs	x10, fpcr\n"
	"	and	x12, x0, #3\n"
	"	lsl	x12, x12, #22\n"
	"	cmp	x10, x12\n"
	"	cinc	x11, x11, ne\n"
	"	mrs	x10, fpsr\n"
	"	and	x12, x0, #0x1f\n"
	"	cmp	x10, x12\n"
	"	cinc	x11, x11, ne\n"
	"	mov	x0, x11\n"
	"	ret\n");

static int linux_mode;

static long sigaction_(int sig, void *handler, unsigned long flags, unsigned long mask, struct ksigaction *old)
{
	struct ksigaction a = {handler, flags | SA_RESTORER, (void *)sig_restorer, mask};
	return syscall4(__NR_rt_sigaction, sig, handler ? &a : 0, old, 8);
}
static long sigprocmask_(int how, unsigned long set, unsigned long *old)
{
	return syscall4(__NR_rt_sigprocmask, how, &set, old, 8);
}
static unsigned long blocked_now(void)
{
	unsigned long old = 0;
	syscall4(__NR_rt_sigprocmask, SIG_BLOCK, 0, &old, 8);
	return old;
}
static long kill_(long pid, int sig) { return syscall2(__NR_kill, pid, sig); }
static long raise_(int sig) { return syscall3(__NR_tgkill, sys_getpid(), sys_gettid(), sig); }
static long setitimer_ms(long ms)
{
	struct kitimerval v = {0, 0, ms / 1000, (ms % 1000) * 1000};
	return syscall3(__NR_setitimer, 0, &v, 0);
}

/* What the last handler saw. */
static volatile int hits, last_sig, last_code, last_pid, max_depth, depth;
static volatile unsigned long last_addr, last_mask_in_handler, last_sp;
static volatile unsigned long frame_fp_magic, frame_fp_size, frame_fp_v5, frame_esr_magic, frame_esr, frame_term;
static volatile unsigned long uc_fault_address;
static volatile int alt_flags_in_handler;
static volatile long alt_set_in_handler;

static void record(int sig, ksiginfo_t *si, struct kucontext *uc)
{
	hits++;
	last_sig = sig;
	if (si) {
		last_code = si->si_code;
		last_pid = si->f.kill.pid;
		last_addr = (unsigned long)si->f.fault.addr;
	}
	last_mask_in_handler = blocked_now();
	if (uc) {
		const unsigned char *r = uc->reserved;
		const struct ctx_head *h = (const void *)r;
		frame_fp_magic = h->magic;
		frame_fp_size = h->size;
		frame_fp_v5 = *(const unsigned long *)(r + 16 + 5 * 16);
		const struct ctx_head *n = (const void *)(r + h->size);
		frame_esr_magic = n->magic;
		frame_esr = n->magic == ESR_MAGIC ? *(const unsigned long *)(n + 1) : 0;
		if (n->magic == ESR_MAGIC)
			n = (const void *)((const unsigned char *)n + n->size);
		frame_term = ((unsigned long)n->magic << 32) | n->size;
		uc_fault_address = uc->fault_address;
	}
}

static void info_handler(int sig, ksiginfo_t *si, void *uc) { record(sig, si, uc); }
static void plain_handler(int sig) { record(sig, 0, 0); }

static void reset(void)
{
	hits = last_sig = last_code = last_pid = 0;
	last_addr = 0;
	frame_fp_magic = frame_esr_magic = 0;
}

static void test_siginfo_kill(void)
{
	reset();
	ASSERT_EQ(sigaction_(SIGUSR1, info_handler, SA_SIGINFO, 0, 0), 0);
	EXPECT_EQ(kill_(sys_getpid(), SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_sig, SIGUSR1);
	EXPECT_EQ(last_code, SI_USER);
	EXPECT_EQ(last_pid, sys_getpid());
	/* The handler ran with its own signal blocked; it is unblocked again now. */
	EXPECT(last_mask_in_handler & M(SIGUSR1));
	EXPECT(!(blocked_now() & M(SIGUSR1)));
	/* The frame: fpsimd_context first, then the terminator (no fault so far in this test,
	 * unless an earlier case faulted: Linux keeps the last fault's ESR). */
	EXPECT_EQ(frame_fp_magic, FPSIMD_MAGIC);
	EXPECT_EQ(frame_fp_size, 528);
	EXPECT_EQ(frame_term, 0);
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
}

static void test_tgkill_tkill_kill0(void)
{
	reset();
	ASSERT_EQ(sigaction_(SIGUSR2, info_handler, SA_SIGINFO, 0, 0), 0);
	EXPECT_EQ(syscall3(__NR_tgkill, sys_getpid(), sys_gettid(), SIGUSR2), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_code, SI_TKILL);
	EXPECT_EQ(last_pid, sys_getpid());
	EXPECT_EQ(syscall2(__NR_tkill, sys_gettid(), SIGUSR2), 0);
	EXPECT_EQ(hits, 2);
	EXPECT_EQ(last_code, SI_TKILL);
	/* kill(0): the caller's process group, which includes the caller. */
	EXPECT_EQ(kill_(0, SIGUSR2), 0);
	EXPECT_EQ(hits, 3);
	EXPECT_EQ(last_code, SI_USER);
	/* Errors: a wrong tgid, a bad signal, bad ids. */
	EXPECT_EQ(syscall3(__NR_tgkill, sys_getpid() + 1000, sys_gettid(), SIGUSR2), -ESRCH);
	EXPECT_EQ(syscall3(__NR_tgkill, 0, sys_gettid(), SIGUSR2), -EINVAL);
	EXPECT_EQ(kill_(sys_getpid(), 65), -EINVAL);
	EXPECT_EQ(kill_(sys_getpid(), 0), 0);
	EXPECT_EQ(kill_(0x3fffffff, 0), -ESRCH);
	EXPECT_EQ(hits, 3);
	sigaction_(SIGUSR2, (void *)0, 0, 0, 0);
}

static void test_sigaction_errors(void)
{
	struct ksigaction old;
	EXPECT_EQ(sigaction_(SIGKILL, plain_handler, 0, 0, 0), -EINVAL);
	EXPECT_EQ(sigaction_(0, plain_handler, 0, 0, 0), -EINVAL);
	EXPECT_EQ(sigaction_(65, plain_handler, 0, 0, 0), -EINVAL);
	EXPECT_EQ(syscall4(__NR_rt_sigaction, SIGUSR1, 0, &old, 4), -EINVAL);
	/* Unknown flag bits are dropped, so user space can see they are not supported; SIGKILL
	 * and SIGSTOP never stay in sa_mask. */
	ASSERT_EQ(sigaction_(SIGUSR1, plain_handler, SA_UNSUPPORTED, M(SIGKILL) | M(SIGUSR2), 0), 0);
	ASSERT_EQ(syscall4(__NR_rt_sigaction, SIGUSR1, 0, &old, 8), 0);
	EXPECT_EQ(old.handler, (void *)plain_handler);
	EXPECT_EQ(old.flags, SA_RESTORER);
	EXPECT_EQ(old.mask, M(SIGUSR2));
	EXPECT_EQ(old.restorer, (void *)sig_restorer);
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
}

static void test_mask_and_pending(void)
{
	reset();
	unsigned long pend = 0, old = 0;
	ASSERT_EQ(sigaction_(SIGUSR1, plain_handler, 0, 0, 0), 0);
	ASSERT_EQ(sigprocmask_(SIG_BLOCK, M(SIGUSR1), &old), 0);
	EXPECT_EQ(kill_(sys_getpid(), SIGUSR1), 0);
	EXPECT_EQ(kill_(sys_getpid(), SIGUSR1), 0);
	EXPECT_EQ(hits, 0);
	EXPECT_EQ(syscall2(__NR_rt_sigpending, &pend, 8), 0);
	EXPECT_EQ(pend & M(SIGUSR1), M(SIGUSR1));
	/* SIGKILL and SIGSTOP cannot be blocked. */
	EXPECT_EQ(sigprocmask_(SIG_BLOCK, M(SIGKILL) | M(19), 0), 0);
	EXPECT(!(blocked_now() & (M(SIGKILL) | M(19))));
	EXPECT_EQ(sigprocmask_(7, M(SIGUSR2), 0), -EINVAL);
	/* Unblocking delivers it on the way out of rt_sigprocmask, once (classic signals
	 * coalesce). */
	EXPECT_EQ(sigprocmask_(SIG_SETMASK, old, 0), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(syscall2(__NR_rt_sigpending, &pend, 8), 0);
	EXPECT_EQ(pend & M(SIGUSR1), 0);
	/* A default-ignored signal and an ignored one are dropped, never pending. */
	EXPECT_EQ(kill_(sys_getpid(), SIGCHLD), 0);
	EXPECT_EQ(kill_(sys_getpid(), SIGCONT), 0);
	sigaction_(SIGUSR1, (void *)1 /* SIG_IGN */, 0, 0, 0);
	EXPECT_EQ(kill_(sys_getpid(), SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
}

static void test_resethand_nodefer(void)
{
	struct ksigaction old;
	reset();
	ASSERT_EQ(sigaction_(SIGUSR1, plain_handler, SA_RESETHAND, 0, 0), 0);
	EXPECT_EQ(raise_(SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	ASSERT_EQ(syscall4(__NR_rt_sigaction, SIGUSR1, 0, &old, 8), 0);
	EXPECT_EQ(old.handler, (void *)0); /* back to SIG_DFL */
	/* SA_NODEFER: the signal is not blocked in its own handler. Without it, it is. */
	ASSERT_EQ(sigaction_(SIGUSR1, plain_handler, SA_NODEFER, M(SIGUSR2), 0), 0);
	EXPECT_EQ(raise_(SIGUSR1), 0);
	EXPECT_EQ(hits, 2);
	EXPECT(!(last_mask_in_handler & M(SIGUSR1)));
	EXPECT(last_mask_in_handler & M(SIGUSR2)); /* sa_mask */
	ASSERT_EQ(sigaction_(SIGUSR1, plain_handler, 0, 0, 0), 0);
	EXPECT_EQ(raise_(SIGUSR1), 0);
	EXPECT_EQ(hits, 3);
	EXPECT(last_mask_in_handler & M(SIGUSR1));
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
}

/* SA_NODEFER lets a handler be re-entered by its own signal. */
static volatile int raises;
static void nest_handler(int sig)
{
	depth++;
	hits++;
	if (depth > max_depth)
		max_depth = depth;
	if (raises < 2) {
		raises++;
		raise_(sig);
	}
	depth--;
}

static void test_nodefer_nesting(void)
{
	depth = max_depth = raises = hits = 0;
	ASSERT_EQ(sigaction_(SIGUSR2, nest_handler, SA_NODEFER, 0, 0), 0);
	EXPECT_EQ(raise_(SIGUSR2), 0);
	EXPECT_EQ(hits, 3);
	EXPECT_EQ(max_depth, 3);
	/* Without SA_NODEFER the raise inside waits until the handler returns: no nesting. */
	depth = max_depth = raises = hits = 0;
	ASSERT_EQ(sigaction_(SIGUSR2, nest_handler, 0, 0, 0), 0);
	EXPECT_EQ(raise_(SIGUSR2), 0);
	EXPECT_EQ(hits, 3);
	EXPECT_EQ(max_depth, 1);
	sigaction_(SIGUSR2, (void *)0, 0, 0, 0);
}

static char *alt_base;
static void alt_handler(int sig)
{
	int here;
	struct kstack cur, nw = {alt_base, 0, 65536};
	last_sp = (unsigned long)&here;
	syscall2(__NR_sigaltstack, 0, &cur);
	alt_flags_in_handler = cur.ss_flags;
	alt_set_in_handler = syscall2(__NR_sigaltstack, &nw, 0);
	hits++;
}

static void test_sigaltstack(void)
{
	struct kstack ss, old;
	reset();
	long m = sys_mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(!is_err(m));
	alt_base = (char *)m;
	ss.ss_sp = alt_base;
	ss.ss_flags = 0;
	ss.ss_size = MINSIGSTKSZ - 1;
	EXPECT_EQ(syscall2(__NR_sigaltstack, &ss, 0), -ENOMEM);
	ss.ss_flags = 7;
	ss.ss_size = 65536;
	EXPECT_EQ(syscall2(__NR_sigaltstack, &ss, 0), -EINVAL);
	ss.ss_flags = 0;
	ASSERT_EQ(syscall2(__NR_sigaltstack, &ss, &old), 0);
	EXPECT_EQ(old.ss_flags, SS_DISABLE);
	ASSERT_EQ(sigaction_(SIGUSR1, alt_handler, SA_ONSTACK, 0, 0), 0);
	EXPECT_EQ(raise_(SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	EXPECT(last_sp > (unsigned long)alt_base && last_sp < (unsigned long)alt_base + 65536);
	EXPECT_EQ(alt_flags_in_handler, SS_ONSTACK);
	EXPECT_EQ(alt_set_in_handler, -EPERM);
	/* Outside the handler: configured, not in use. */
	ASSERT_EQ(syscall2(__NR_sigaltstack, 0, &old), 0);
	EXPECT_EQ(old.ss_flags, 0);
	EXPECT_EQ(old.ss_sp, alt_base);
	EXPECT_EQ(old.ss_size, 65536);
	/* Without SA_ONSTACK the handler stays on the normal stack. */
	ASSERT_EQ(sigaction_(SIGUSR1, alt_handler, 0, 0, 0), 0);
	EXPECT_EQ(raise_(SIGUSR1), 0);
	EXPECT(!(last_sp > (unsigned long)alt_base && last_sp < (unsigned long)alt_base + 65536));
	EXPECT_EQ(alt_flags_in_handler, 0);
	ss.ss_flags = SS_DISABLE;
	EXPECT_EQ(syscall2(__NR_sigaltstack, &ss, 0), 0);
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
	sys_munmap(alt_base, 65536);
}

/* SIGSEGV: the handler makes the page accessible (or maps it) and returns; the faulting store
 * runs again and succeeds. */
static volatile char *segv_page;
static volatile int segv_fix; /* 1: mprotect, 2: mmap MAP_FIXED */
static void segv_handler(int sig, ksiginfo_t *si, void *uc)
{
	record(sig, si, uc);
	if (segv_fix == 1)
		sys_mprotect((void *)segv_page, PAGE_SIZE, PROT_READ | PROT_WRITE);
	else
		sys_mmap((void *)segv_page, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0);
}

static void test_sigsegv_repair(void)
{
	reset();
	long m = sys_mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(!is_err(m));
	segv_page = (volatile char *)m;
	ASSERT_EQ(sigaction_(SIGSEGV, segv_handler, SA_SIGINFO, 0, 0), 0);
	segv_fix = 1;
	segv_page[100] = 42; /* read-only: SEGV_ACCERR */
	EXPECT_EQ(segv_page[100], 42);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_sig, SIGSEGV);
	EXPECT_EQ(last_code, SEGV_ACCERR);
	EXPECT_EQ(last_addr, m + 100);
	EXPECT_EQ(uc_fault_address, m + 100);
	EXPECT_EQ(frame_fp_magic, FPSIMD_MAGIC);
	EXPECT_EQ(frame_esr_magic, ESR_MAGIC);
	EXPECT_EQ(frame_esr >> 26, 0x24); /* a data abort from EL0 */
	EXPECT(frame_esr & (1 << 6));     /* a write */
	EXPECT_EQ(frame_term, 0);
	/* An unmapped address: SEGV_MAPERR; the handler maps it. */
	reset();
	ASSERT_EQ(sys_munmap((void *)m, PAGE_SIZE), 0);
	segv_fix = 2;
	segv_page[8] = 7;
	EXPECT_EQ(segv_page[8], 7);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_code, SEGV_MAPERR);
	EXPECT_EQ(last_addr, m + 8);
	sys_munmap((void *)m, PAGE_SIZE);
	sigaction_(SIGSEGV, (void *)0, 0, 0, 0);
}

/* SIGTRAP (brk) and SIGILL (udf): the handler moves uc_mcontext.pc past the instruction and
 * changes x19 in the frame, which rt_sigreturn must restore. */
static void skip_handler(int sig, ksiginfo_t *si, void *ucv)
{
	struct kucontext *uc = ucv;
	record(sig, si, uc);
	uc->pc += 4;
	uc->regs[19] = 0x1234;
}

static long brk_then_x19(void)
{
	register long x19 __asm__("x19") = 5;
	__asm__ volatile("brk #0x7\n" : "+r"(x19) : : "memory");
	return x19;
}
static long udf_then_x19(void)
{
	register long x19 __asm__("x19") = 5;
	__asm__ volatile(".inst 0x00000000\n" : "+r"(x19) : : "memory");
	return x19;
}

static void test_sigtrap_sigill(void)
{
	reset();
	ASSERT_EQ(sigaction_(SIGTRAP, skip_handler, SA_SIGINFO, 0, 0), 0);
	EXPECT_EQ(brk_then_x19(), 0x1234);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_code, TRAP_BRKPT);
	reset();
	ASSERT_EQ(sigaction_(SIGILL, skip_handler, SA_SIGINFO, 0, 0), 0);
	EXPECT_EQ(udf_then_x19(), 0x1234);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_code, ILL_ILLOPC);
	sigaction_(SIGTRAP, (void *)0, 0, 0, 0);
	sigaction_(SIGILL, (void *)0, 0, 0, 0);
}

static void sigtimedwait_case(void)
{
	reset();
	ksiginfo_t si;
	struct timespec zero = {0, 0}, short_ts = {0, 20000000};
	unsigned long set = M(SIGUSR1) | M(SIGUSR2) | M(SIGRT1), old;
	ASSERT_EQ(sigaction_(SIGUSR1, plain_handler, 0, 0, 0), 0);
	ASSERT_EQ(sigprocmask_(SIG_BLOCK, set, &old), 0);
	EXPECT_EQ(syscall4(__NR_rt_sigtimedwait, &set, &si, &zero, 8), -EAGAIN);
	EXPECT_EQ(syscall4(__NR_rt_sigtimedwait, &set, &si, &short_ts, 8), -EAGAIN);
	/* A real-time signal queues every instance; a classic one coalesces. */
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(kill_(sys_getpid(), SIGRT1), 0);
		EXPECT_EQ(kill_(sys_getpid(), SIGUSR2), 0);
	}
	EXPECT_EQ(kill_(sys_getpid(), SIGUSR1), 0);
	int rt = 0, usr2 = 0, usr1 = 0;
	for (int i = 0; i < 10; i++) {
		long r = syscall4(__NR_rt_sigtimedwait, &set, &si, &zero, 8);
		if (r < 0)
			break;
		EXPECT_EQ(si.si_signo, r);
		EXPECT_EQ(si.si_code, SI_USER);
		EXPECT_EQ(si.f.kill.pid, sys_getpid());
		rt += r == SIGRT1;
		usr2 += r == SIGUSR2;
		usr1 += r == SIGUSR1;
	}
	EXPECT_EQ(rt, 3);
	EXPECT_EQ(usr2, 1);
	EXPECT_EQ(usr1, 1);
	EXPECT_EQ(hits, 0); /* taken, not delivered */
	EXPECT_EQ(syscall4(__NR_rt_sigtimedwait, &set, &si, &zero, 4), -EINVAL);
	struct timespec bad = {0, 1000000000};
	EXPECT_EQ(syscall4(__NR_rt_sigtimedwait, &set, &si, &bad, 8), -EINVAL);
	sigprocmask_(SIG_SETMASK, old, 0);
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
}

/* FP/SIMD: the handler sees the interrupted registers in its frame, clobbers every register,
 * FPCR and FPSR, and the interrupted code finds its own values back after rt_sigreturn. */
static volatile long fp_in_handler;
static void fp_handler(int sig, ksiginfo_t *si, void *uc)
{
	record(sig, si, uc);
	fp_in_handler = fp_check(0x5000); /* the live registers are the interrupted ones */
	fp_fill(0x9999);
}

static void test_fpsimd_preserved(void)
{
	reset();
	ASSERT_EQ(sigaction_(SIGUSR1, fp_handler, SA_SIGINFO, 0, 0), 0);
	fp_fill(0x5000);
	syscall3(__NR_tgkill, sys_getpid(), sys_gettid(), SIGUSR1);
	long bad = fp_check(0x5000);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(fp_in_handler, 0);
	EXPECT_EQ(frame_fp_magic, FPSIMD_MAGIC);
	EXPECT_EQ(frame_fp_v5, 0x5005);
	fp_fill(0);
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
}

/* SIGALRM from setitimer ends rt_sigsuspend (pause) with -EINTR after its handler ran; the
 * mask from before the call is back afterwards. */
static void test_alarm_sigsuspend(void)
{
	reset();
	unsigned long old, empty = 0;
	struct kitimerval v;
	ASSERT_EQ(sigaction_(SIGALRM, plain_handler, 0, 0, 0), 0);
	ASSERT_EQ(sigprocmask_(SIG_BLOCK, M(SIGALRM), &old), 0);
	ASSERT_EQ(setitimer_ms(10000), 0);
	ASSERT_EQ(syscall3(__NR_getitimer, 0, &v, 0), 0);
	long left_us = v.vsec * 1000000 + v.vusec;
	EXPECT(left_us > 0 && left_us <= 10000000);
	EXPECT(v.isec == 0 && v.iusec == 0);
	ASSERT_EQ(setitimer_ms(30), 0);
	EXPECT_EQ(syscall2(__NR_rt_sigsuspend, &empty, 8), -EINTR);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_sig, SIGALRM);
	EXPECT(blocked_now() & M(SIGALRM));
	ASSERT_EQ(syscall3(__NR_getitimer, 0, &v, 0), 0);
	EXPECT(v.vsec == 0 && v.vusec == 0);
	/* An interval timer keeps firing; disarming returns the time left. */
	ASSERT_EQ(sigprocmask_(SIG_UNBLOCK, M(SIGALRM), 0), 0);
	struct kitimerval iv = {0, 10000, 0, 10000}, ov;
	hits = 0;
	ASSERT_EQ(syscall3(__NR_setitimer, 0, &iv, 0), 0);
	while (hits < 3)
		syscall2(__NR_rt_sigsuspend, &empty, 8);
	struct kitimerval off = {0, 0, 0, 0};
	ASSERT_EQ(syscall3(__NR_setitimer, 0, &off, &ov), 0);
	EXPECT_EQ(ov.isec, 0);
	EXPECT_EQ(ov.iusec, 10000);
	EXPECT(ov.vsec == 0 && ov.vusec > 0 && ov.vusec <= 10000);
	EXPECT_EQ(syscall3(__NR_setitimer, 5, &off, 0), -EINVAL);
	struct kitimerval badv = {0, 0, 0, 1000000};
	EXPECT_EQ(syscall3(__NR_setitimer, 0, &badv, 0), -EINVAL);
	sigprocmask_(SIG_SETMASK, old, 0);
	sigaction_(SIGALRM, (void *)0, 0, 0, 0);
}

/* nanosleep interrupted by a handled signal returns -EINTR and the time left, with or without
 * SA_RESTART (Linux never restarts nanosleep after a handler). */
static void test_nanosleep_eintr(void)
{
	for (int restart = 0; restart < 2; restart++) {
		reset();
		ASSERT_EQ(sigaction_(SIGALRM, plain_handler, restart ? SA_RESTART : 0, 0, 0), 0);
		ASSERT_EQ(setitimer_ms(30), 0);
		/* 1000 s: the 30 ms alarm always comes first, however slow the host. */
		struct timespec req = {1000, 0}, rem = {-1, -1};
		EXPECT_EQ(syscall2(__NR_nanosleep, &req, &rem), -EINTR);
		EXPECT_EQ(hits, 1);
		EXPECT(rem.tv_sec >= 0 && rem.tv_sec < 1000 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
		EXPECT(rem.tv_sec > 0 || rem.tv_nsec > 0);
		/* clock_nanosleep, absolute: -EINTR too, and rem is not written. */
		ASSERT_EQ(setitimer_ms(30), 0);
		struct timespec now, abs;
		sys_clock_gettime(CLOCK_MONOTONIC, &now);
		abs.tv_sec = now.tv_sec + 1000;
		abs.tv_nsec = now.tv_nsec;
		rem.tv_sec = -1;
		EXPECT_EQ(syscall4(__NR_clock_nanosleep, CLOCK_MONOTONIC, 1, &abs, &rem), -EINTR);
		EXPECT_EQ(rem.tv_sec, -1);
		EXPECT_EQ(hits, 2);
	}
	sigaction_(SIGALRM, (void *)0, 0, 0, 0);
}

static long fork_(void) { return syscall5(__NR_clone, SIGCHLD, 0, 0, 0, 0); }
static long wait4_(long pid, int *st) { return syscall4(__NR_wait4, pid, st, 0, 0); }
static void child_exit(int code) { syscall1(__NR_exit_group, code); }

/* SIGCHLD carries the child's end: CLD_EXITED with the exit status, CLD_KILLED with the
 * signal (no CLD_DUMPED and no core bit in the wait status: nothing is dumped). */
static void test_sigchld_info(void)
{
	unsigned long set = M(SIGCHLD), old;
	struct timespec forever = {1000, 0};
	ksiginfo_t si;
	int st = -1;
	ASSERT_EQ(sigprocmask_(SIG_BLOCK, set, &old), 0);
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0)
		child_exit(3);
	EXPECT_EQ(syscall4(__NR_rt_sigtimedwait, &set, &si, &forever, 8), SIGCHLD);
	EXPECT_EQ(si.si_code, 1); /* CLD_EXITED */
	EXPECT_EQ(si.f.kill.pid, pid);
	EXPECT_EQ(*(int *)((char *)&si + 24), 3); /* si_status */
	EXPECT_EQ(wait4_(pid, &st), pid);
	EXPECT_EQ(st, 3 << 8);
	for (int k = 0; k < 2; k++) {
		int sig = k ? 3 /* SIGQUIT: "core" */ : 15;
		pid = fork_();
		ASSERT(pid >= 0);
		if (pid == 0) {
			kill_(sys_getpid(), sig);
			child_exit(9);
		}
		EXPECT_EQ(syscall4(__NR_rt_sigtimedwait, &set, &si, &forever, 8), SIGCHLD);
		EXPECT_EQ(si.si_code, 2); /* CLD_KILLED */
		EXPECT_EQ(si.f.kill.pid, pid);
		EXPECT_EQ(*(int *)((char *)&si + 24), sig);
		EXPECT_EQ(wait4_(pid, &st), pid);
		EXPECT_EQ(st, sig); /* WIFSIGNALED, no WCOREDUMP */
	}
	sigprocmask_(SIG_SETMASK, old, 0);
}

/* SA_RESTART: a wait4 interrupted by a handled signal is restarted (pc back on the svc, x0 =
 * the pid again) and reaps the child; without it, wait4 returns -EINTR. The child keeps
 * signalling until the handler sees it interrupted the parent's wait4, and only then does
 * the handler kill it: the outcome does not depend on timing. */
static volatile long victim;
static volatile int restart_seen, eintr_seen;
static void restart_handler(int sig, ksiginfo_t *si, void *ucv)
{
	struct kucontext *uc = ucv;
	if (uc->regs[8] != __NR_wait4 || !victim)
		return;
	if (uc->regs[0] == (unsigned long)victim && *(unsigned *)uc->pc == 0xd4000001) /* at the svc again */
		restart_seen++;
	if (uc->regs[0] == (unsigned long)-EINTR)
		eintr_seen++;
	kill_(victim, SIGKILL);
	victim = 0;
}

static void test_sa_restart_wait4(void)
{
	for (int restart = 1; restart >= 0; restart--) {
		restart_seen = eintr_seen = 0;
		ASSERT_EQ(sigaction_(SIGUSR1, restart_handler, SA_SIGINFO | (restart ? SA_RESTART : 0), 0, 0), 0);
		long parent = sys_getpid();
		long pid = fork_();
		ASSERT(pid >= 0);
		if (pid == 0) {
			struct timespec ms = {0, 1000000};
			for (;;) {
				kill_(parent, SIGUSR1);
				syscall2(__NR_nanosleep, &ms, 0);
			}
		}
		victim = pid;
		int st = -1;
		long r = wait4_(pid, &st);
		if (restart) {
			EXPECT_EQ(r, pid);
			EXPECT_EQ(restart_seen, 1);
		} else {
			EXPECT_EQ(r, -EINTR);
			EXPECT_EQ(eintr_seen, 1);
			EXPECT_EQ(wait4_(pid, &st), pid);
		}
		EXPECT_EQ(st, SIGKILL);
		sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
	}
}

/* kill(-1): every process but init and the caller. A forked child (which inherits the
 * handler and only waits) gets it and exits 5; the caller does not. */
static volatile long kill_all_parent;
static void kill_all_handler(int sig)
{
	if (sys_getpid() != kill_all_parent)
		child_exit(5);
	hits++;
}

static void test_kill_minus_one(void)
{
	reset();
	unsigned long old, none = 0;
	kill_all_parent = sys_getpid();
	ASSERT_EQ(sigaction_(SIGUSR2, kill_all_handler, 0, 0, 0), 0);
	/* Blocked across fork, so that the child cannot miss it before it waits. */
	ASSERT_EQ(sigprocmask_(SIG_BLOCK, M(SIGUSR2), &old), 0);
	long pid = fork_();
	ASSERT(pid >= 0);
	if (pid == 0) {
		for (;;)
			syscall2(__NR_rt_sigsuspend, &none, 8);
	}
	EXPECT_EQ(kill_(-1, SIGUSR2), 0);
	int st = -1;
	EXPECT_EQ(wait4_(pid, &st), pid);
	EXPECT_EQ(st, 5 << 8);
	sigprocmask_(SIG_SETMASK, old, 0);
	EXPECT_EQ(hits, 0);
	sigaction_(SIGUSR2, (void *)0, 0, 0, 0);
}

/* Without SA_RESTORER (glibc on arm64 never sets it) the handler returns through the kernel's
 * trampoline: Linux's vDSO __kernel_rt_sigreturn, this kernel's trampoline page. */
static void test_no_restorer(void)
{
	reset();
	struct ksigaction a = {(void *)info_handler, SA_SIGINFO, 0, 0};
	ASSERT_EQ(syscall4(__NR_rt_sigaction, SIGUSR1, &a, 0, 8), 0);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(raise_(SIGUSR1), 0);
	EXPECT_EQ(hits, 3);
	EXPECT_EQ(last_code, SI_TKILL);
	sigaction_(SIGUSR1, (void *)0, 0, 0, 0);
}

static const struct ktest_case signal_cases[] = {
	{"siginfo_kill", test_siginfo_kill},
	{"tgkill_tkill_kill0", test_tgkill_tkill_kill0},
	{"sigaction_errors", test_sigaction_errors},
	{"mask_and_pending", test_mask_and_pending},
	{"resethand_nodefer", test_resethand_nodefer},
	{"nodefer_nesting", test_nodefer_nesting},
	{"sigaltstack", test_sigaltstack},
	{"sigsegv_repair", test_sigsegv_repair},
	{"sigtrap_sigill", test_sigtrap_sigill},
	{"sigtimedwait", sigtimedwait_case},
	{"fpsimd_preserved", test_fpsimd_preserved},
	{"alarm_sigsuspend", test_alarm_sigsuspend},
	{"nanosleep_eintr", test_nanosleep_eintr},
	{"no_restorer", test_no_restorer},
	{"sigchld_info", test_sigchld_info},
	{"sa_restart_wait4", test_sa_restart_wait4},
	{"kill_minus_one", test_kill_minus_one},
};
static const struct ktest_suite suites[] = {KTEST_SUITE("signal", signal_cases)};

/* Child modes for the kernel's own signal suite (tests/target/signal_test.cpp), which sends
 * signals from outside and checks how the program ended. */
static int child(const char *mode)
{
	if (strcmp(mode, "term") == 0) {
		kill_(sys_getpid(), 15); /* SIGTERM, default action: terminate */
		return 10;
	}
	if (strcmp(mode, "quit") == 0) {
		kill_(sys_getpid(), 3); /* SIGQUIT: "core", but no core file: the status has no 0x80 */
		return 10;
	}
	if (strcmp(mode, "blocked-segv") == 0) {
		/* A synchronous signal cannot be blocked: it is unblocked, reset and kills. */
		sigaction_(SIGSEGV, segv_handler, SA_SIGINFO, 0, 0);
		sigprocmask_(SIG_BLOCK, M(SIGSEGV), 0);
		*(volatile int *)0 = 1;
		return 10;
	}
	if (strcmp(mode, "ignored-segv") == 0) {
		sigaction_(SIGSEGV, (void *)1, 0, 0, 0);
		*(volatile int *)0 = 1;
		return 10;
	}
	if (strcmp(mode, "stop-restart") == 0) {
		/* Stopped and continued in the middle of the sleep, which has no handler: the sleep
		 * goes on through restart_syscall for the time left and returns 0. */
		struct timespec a, b, req = {2, 0};
		sys_clock_gettime(CLOCK_MONOTONIC, &a);
		long r = syscall2(__NR_nanosleep, &req, 0);
		sys_clock_gettime(CLOCK_MONOTONIC, &b);
		if (r != 0)
			return r == -EINTR ? 2 : 4;
		long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
		return ms >= 2000 ? 0 : 3;
	}
	if (strcmp(mode, "stop-self") == 0) {
		kill_(sys_getpid(), 19); /* SIGSTOP: only SIGKILL or SIGCONT gets it going */
		return 7;
	}
	return 99;
}

int main(int argc, char **argv, char **envp)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--linux") == 0)
			linux_mode = 1;
		else if (strncmp(argv[i], "--child=", 8) == 0)
			return child(argv[i] + 8);
	}
	return ktap_run(suites, (int)(sizeof(suites) / sizeof(suites[0])));
}
