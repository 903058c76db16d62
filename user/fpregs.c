/* FP/SIMD and thread-pointer state across context switches: fills v0-v31, FPCR, FPSR and
 * TPIDR_EL0 with a pattern from its pid, then yields and spins many times while other copies
 * of itself do the same with their own patterns, checking every register after each switch.
 * Exits 0 when every check passed, 1 at the first mismatch (with the count of bad registers).
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

int main(int argc, char **argv, char **envp)
{
	unsigned long seed = (unsigned long)syscall0(__NR_getpid) * 0x10001ul + 0x5a5a0000ul;
	int rounds = 300;
	fp_fill(seed);
	for (int i = 0; i < rounds; i++) {
		syscall0(__NR_sched_yield);
		for (volatile int s = 0; s < 3000; s++)
			;
		long bad = fp_check(seed);
		if (bad) {
			printf("fpregs: %ld registers wrong after round %d\n", bad, i);
			return 1;
		}
	}
	printf("fpregs: %d rounds ok\n", rounds);
	return 0;
}
