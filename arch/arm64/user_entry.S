/*
 * Entering a user program and coming back (no scheduler yet: the kernel context that started
 * the program is parked in a kernel_ctx, kernel/process.h, until the program ends).
 */
#include <asm/assembler.h>

	.text
/*
 * long __enter_user(pt_regs *regs, kernel_ctx *ctx)
 * regs lies at the top of the task's kernel stack; ERET to EL0 with it leaves SP_EL1 just
 * above it, where every exception from EL0 builds its frame.
 * Saves: x19-x30, sp, DAIF into ctx.  Returns: the value given to __exit_user.
 */
ENTRY(__enter_user)
	stp	x19, x20, [x1, #0]
	stp	x21, x22, [x1, #16]
	stp	x23, x24, [x1, #32]
	stp	x25, x26, [x1, #48]
	stp	x27, x28, [x1, #64]
	stp	x29, x30, [x1, #80]
	mov	x9, sp
	mrs	x10, daif
	stp	x9, x10, [x1, #96]
	mov	sp, x0
	b	ret_to_user
END(__enter_user)

/*
 * void __exit_user(kernel_ctx *ctx, long ret): abandons the task's kernel stack (whatever
 * exception or syscall frames are on it) and returns ret from __enter_user.
 */
ENTRY(__exit_user)
	ldp	x9, x10, [x0, #96]
	mov	sp, x9
	msr	daif, x10
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	mov	x0, x1
	ret
END(__exit_user)

/*
 * void __user_state_reset(void): a new program starts with zeroed FP/SIMD registers, FPSR and
 * FPCR, and zero thread pointers (glibc sets TPIDR_EL0 itself), so nothing leaks from the
 * previous program. Corrupts: v0-v31, FP state.
 */
ENTRY(__user_state_reset)
	movi	v0.16b, #0
	movi	v1.16b, #0
	movi	v2.16b, #0
	movi	v3.16b, #0
	movi	v4.16b, #0
	movi	v5.16b, #0
	movi	v6.16b, #0
	movi	v7.16b, #0
	movi	v8.16b, #0
	movi	v9.16b, #0
	movi	v10.16b, #0
	movi	v11.16b, #0
	movi	v12.16b, #0
	movi	v13.16b, #0
	movi	v14.16b, #0
	movi	v15.16b, #0
	movi	v16.16b, #0
	movi	v17.16b, #0
	movi	v18.16b, #0
	movi	v19.16b, #0
	movi	v20.16b, #0
	movi	v21.16b, #0
	movi	v22.16b, #0
	movi	v23.16b, #0
	movi	v24.16b, #0
	movi	v25.16b, #0
	movi	v26.16b, #0
	movi	v27.16b, #0
	movi	v28.16b, #0
	movi	v29.16b, #0
	movi	v30.16b, #0
	movi	v31.16b, #0
	msr	fpsr, xzr
	msr	fpcr, xzr
	msr	tpidr_el0, xzr
	msr	tpidrro_el0, xzr
	ret
END(__user_state_reset)
