/*
 * User FP/SIMD register save and restore (Linux's arch/arm64/kernel/entry-fpsimd.S). The
 * kernel's C++ is built -mgeneral-regs-only, so a user task's v0-v31, FPSR and FPCR stay live
 * in the registers across every exception; only a context switch to another user task saves
 * and reloads them (kernel/sched.cpp, fpsimd_thread_switch).
 */
#include <asm/assembler.h>
#include <asm/processor.h>

	.text
/*
 * void fpsimd_save_state(struct user_fpsimd_state *st)
 * x0 = st (16-byte aligned). Preserves: v0-v31, FPSR, FPCR. Corrupts: x8, x9.
 */
ENTRY(fpsimd_save_state)
	stp	q0, q1, [x0, #FPSIMD_VREGS + 32 * 0]
	stp	q2, q3, [x0, #FPSIMD_VREGS + 32 * 1]
	stp	q4, q5, [x0, #FPSIMD_VREGS + 32 * 2]
	stp	q6, q7, [x0, #FPSIMD_VREGS + 32 * 3]
	stp	q8, q9, [x0, #FPSIMD_VREGS + 32 * 4]
	stp	q10, q11, [x0, #FPSIMD_VREGS + 32 * 5]
	stp	q12, q13, [x0, #FPSIMD_VREGS + 32 * 6]
	stp	q14, q15, [x0, #FPSIMD_VREGS + 32 * 7]
	stp	q16, q17, [x0, #FPSIMD_VREGS + 32 * 8]
	stp	q18, q19, [x0, #FPSIMD_VREGS + 32 * 9]
	stp	q20, q21, [x0, #FPSIMD_VREGS + 32 * 10]
	stp	q22, q23, [x0, #FPSIMD_VREGS + 32 * 11]
	stp	q24, q25, [x0, #FPSIMD_VREGS + 32 * 12]
	stp	q26, q27, [x0, #FPSIMD_VREGS + 32 * 13]
	stp	q28, q29, [x0, #FPSIMD_VREGS + 32 * 14]
	stp	q30, q31, [x0, #FPSIMD_VREGS + 32 * 15]
	mrs	x8, fpsr
	mrs	x9, fpcr
	str	w8, [x0, #FPSIMD_FPSR]
	str	w9, [x0, #FPSIMD_FPCR]
	ret
END(fpsimd_save_state)

/*
 * void fpsimd_load_state(const struct user_fpsimd_state *st)
 * x0 = st. Corrupts: v0-v31, FPSR, FPCR (loaded from st), x8, x9.
 */
ENTRY(fpsimd_load_state)
	ldp	q0, q1, [x0, #FPSIMD_VREGS + 32 * 0]
	ldp	q2, q3, [x0, #FPSIMD_VREGS + 32 * 1]
	ldp	q4, q5, [x0, #FPSIMD_VREGS + 32 * 2]
	ldp	q6, q7, [x0, #FPSIMD_VREGS + 32 * 3]
	ldp	q8, q9, [x0, #FPSIMD_VREGS + 32 * 4]
	ldp	q10, q11, [x0, #FPSIMD_VREGS + 32 * 5]
	ldp	q12, q13, [x0, #FPSIMD_VREGS + 32 * 6]
	ldp	q14, q15, [x0, #FPSIMD_VREGS + 32 * 7]
	ldp	q16, q17, [x0, #FPSIMD_VREGS + 32 * 8]
	ldp	q18, q19, [x0, #FPSIMD_VREGS + 32 * 9]
	ldp	q20, q21, [x0, #FPSIMD_VREGS + 32 * 10]
	ldp	q22, q23, [x0, #FPSIMD_VREGS + 32 * 11]
	ldp	q24, q25, [x0, #FPSIMD_VREGS + 32 * 12]
	ldp	q26, q27, [x0, #FPSIMD_VREGS + 32 * 13]
	ldp	q28, q29, [x0, #FPSIMD_VREGS + 32 * 14]
	ldp	q30, q31, [x0, #FPSIMD_VREGS + 32 * 15]
	ldr	w8, [x0, #FPSIMD_FPSR]
	ldr	w9, [x0, #FPSIMD_FPCR]
	msr	fpsr, x8
	msr	fpcr, x9
	ret
END(fpsimd_load_state)
