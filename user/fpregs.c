/* FP/SIMD, general-purpose and thread-pointer state across context switches: fills v0-v31,
 * FPCR, FPSR and TPIDR_EL0 with a pattern from its thread id, then yields and spins many
 * times while other copies of itself do the same with their own patterns, checking every
 * register after each switch; between yields it also spins with x1-x28 holding a pattern,
 * long enough for the tick to preempt it, and checks those. Exits 0 when every check passed,
 * 1 at the first mismatch (with the count of bad registers).
 *
 * `fpregs --threads N` runs the same loop in N threads of one process (raw clone with
 * CLONE_VM|CLONE_THREAD, each with its own TPIDR_EL0 via CLONE_SETTLS), so that switches
 * between threads of one address space are checked too.
 * The C code is -mgeneral-regs-only: only fp_fill/fp_check below touch the FP registers. */
#include "lib/ulib.h"

long fp_fill(unsigned long seed);
long fp_check(unsigned long seed);

__asm__(".text\n"
	".arch_extension fp\n"
	".arch_extension simd\n" /* the C code is general-regs-only; this code is not */
	".globl fp_fill\n"
	"fp_fill:\n"
	"	mov	x9, x0\n"
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	dup	v\\n\\().2d, x9\n"
	"	add	x9, x9, #1\n"
	".endr\n"
	"	and	x10, x0, #3\n"
	"	lsl	x10, x10, #22\n" /* FPCR.RMode */
	"	msr	fpcr, x10\n"
	"	and	x10, x0, #0x1f\n" /* FPSR cumulative exception bits */
	"	orr	x10, x10, #(1 << 27)\n" /* FPSR.QC */
	"	msr	fpsr, x10\n"
	"	msr	tpidr_el0, x0\n"
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
	"	orr	x12, x12, #(1 << 27)\n"
	"	cmp	x10, x12\n"
	"	cinc	x11, x11, ne\n"
	"	mrs	x10, tpidr_el0\n"
	"	cmp	x10, x0\n"
	"	cinc	x11, x11, ne\n"
	"	mov	x0, x11\n"
	"	ret\n");

/* x1-x28 hold seed+n while x0 counts down from iters; returns how many differ after. */
long gp_spin_check(unsigned long seed, unsigned long iters);
__asm__(".text\n"
	".globl gp_spin_check\n"
	"gp_spin_check:\n"
	"	stp	x29, x30, [sp, #-96]!\n"
	"	stp	x19, x20, [sp, #16]\n"
	"	stp	x21, x22, [sp, #32]\n"
	"	stp	x23, x24, [sp, #48]\n"
	"	stp	x25, x26, [sp, #64]\n"
	"	stp	x27, x28, [sp, #80]\n"
	"	mov	x29, x0\n" /* seed */
	"	mov	x0, x1\n"  /* iterations */
	".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28\n"
	"	add	x\\n, x29, #\\n\n"
	".endr\n"
	"1:	subs	x0, x0, #1\n"
	"	b.ne	1b\n"
	"	mov	x30, #0\n"
	".irp n,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28\n"
	"	sub	x\\n, x\\n, x29\n"
	"	cmp	x\\n, #\\n\n"
	"	cinc	x30, x30, ne\n"
	".endr\n"
	"	mov	x0, x30\n"
	"	ldp	x19, x20, [sp, #16]\n"
	"	ldp	x21, x22, [sp, #32]\n"
	"	ldp	x23, x24, [sp, #48]\n"
	"	ldp	x25, x26, [sp, #64]\n"
	"	ldp	x27, x28, [sp, #80]\n"
	"	ldp	x29, x30, [sp], #96\n"
	"	ret\n");

static int rounds = 300;
static volatile int failures;

static int run_checks(void)
{
	unsigned long seed = (unsigned long)syscall0(__NR_gettid) * 0x10001ul + 0x5a5a0000ul;
	fp_fill(seed);
	for (int i = 0; i < rounds; i++) {
		syscall0(__NR_sched_yield);
		long bad = gp_spin_check(seed, 100000);
		if (bad) {
			printf("fpregs: %ld general registers wrong after round %d\n", bad, i);
			return 1;
		}
		bad = fp_check(seed);
		if (bad) {
			printf("fpregs: %ld registers wrong after round %d\n", bad, i);
			return 1;
		}
	}
	return 0;
}

#define CLONE_THREADS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x80000 | 0x200000) /* VM FS FILES SIGHAND THREAD SETTLS CHILD_CLEARTID */

static int thread_main(void *arg)
{
	(void)arg;
	if (run_checks())
		failures = 1;
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	int threads = 0;
	if (argc == 3 && strcmp(argv[1], "--threads") == 0)
		threads = (int)strtoul(argv[2], 0, 10);
	if (threads <= 0) {
		if (run_checks())
			return 1;
		printf("fpregs: %d rounds ok\n", rounds);
		return 0;
	}
	if (threads > 8)
		threads = 8;
	static int ctid[8];
	size_t sz = 8 * 16 * PAGE_SIZE;
	char *stacks = (char *)sys_mmap(0, sz, 3, 0x22, -1, 0);
	if (is_err((long)stacks))
		return 2;
	for (int i = 0; i < threads; i++) {
		ctid[i] = -1;
		if (raw_clone(CLONE_THREADS, stacks + (i + 1) * 16 * PAGE_SIZE, 0, 0, &ctid[i], thread_main, 0) <= 0)
			return 3;
	}
	int bad = run_checks();
	/* CLONE_CHILD_CLEARTID: each word goes to 0 when its thread is gone. */
	for (int i = 0; i < threads; i++)
		while (__atomic_load_n(&ctid[i], __ATOMIC_ACQUIRE) != 0)
			syscall0(__NR_sched_yield);
	if (bad || failures)
		return 1;
	printf("fpregs: %d threads x %d rounds ok\n", threads + 1, rounds);
	return 0;
}
