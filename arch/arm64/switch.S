/*
 * Context switch and the first return of a new task (Linux's cpu_switch_to and ret_from_fork
 * in arch/arm64/kernel/entry.S).
 *
 * Only the AAPCS64 callee-saved state is switched here: x19-x28, fp, sp and the return address
 * (cpu_context, asm/processor.h). The caller-saved registers are dead across the call by the
 * ABI, user registers are in each task's pt_regs, and the user FP/SIMD and thread-pointer
 * registers are switched in C before (kernel/sched.cpp fpsimd_thread_switch).
 */
#include <asm/assembler.h>
#include <asm/processor.h>

/* Offsets in task_struct (kernel/sched.h checks them with static_asserts). */
#define TSK_THREAD 16

	.text
/*
 * task_struct *cpu_switch_to(task_struct *prev, task_struct *next)
 * x0 = prev, x1 = next. Saves prev's context, loads next's and makes next current (SP_EL0,
 * which is `current` while at EL1). Returns: x0 = prev, on next's stack (next returns from its
 * own earlier call to cpu_switch_to, or starts at ret_from_fork).
 * Corrupts: x8-x10 (caller-saved), and every callee-saved register becomes next's.
 */
ENTRY(cpu_switch_to)
	add	x8, x0, #TSK_THREAD + CPU_CONTEXT_X19
	mov	x9, sp
	stp	x19, x20, [x8], #16
	stp	x21, x22, [x8], #16
	stp	x23, x24, [x8], #16
	stp	x25, x26, [x8], #16
	stp	x27, x28, [x8], #16
	stp	x29, x9, [x8], #16	/* fp, sp */
	str	x30, [x8]		/* pc: where prev resumes */
	add	x8, x1, #TSK_THREAD + CPU_CONTEXT_X19
	ldp	x19, x20, [x8], #16
	ldp	x21, x22, [x8], #16
	ldp	x23, x24, [x8], #16
	ldp	x25, x26, [x8], #16
	ldp	x27, x28, [x8], #16
	ldp	x29, x10, [x8], #16
	ldr	x30, [x8]
	mov	sp, x10
	msr	sp_el0, x1		/* current = next */
	ret
END(cpu_switch_to)

/*
 * A new task's first instructions (cpu_context.pc of a task create_task made).
 * x0 = the task switched away from (cpu_switch_to's return), x19 = fn or 0, x20 = its argument;
 * sp = the pt_regs at the top of the task's stack.
 * A kernel thread's fn never returns. A user task's fn fills the pt_regs (kernel_execve) and
 * returns 0 with sp back at them; ret_to_user then enters EL0 from them.
 */
ENTRY(ret_from_fork)
	bl	schedule_tail
	cbz	x19, 1f
	mov	x0, x20
	blr	x19
1:	b	ret_to_user
END(ret_from_fork)
