/*
 * Exception vectors and entry/exit (Linux's arch/arm64/kernel/entry.S, reduced).
 *
 * Every exception builds a struct pt_regs on the current stack (asm/ptrace.h) and calls a
 * C++ handler with x0 = regs. EL1 entries first check for a kernel stack overflow with
 * Linux's one-bit test (stacks are THREAD_SIZE in size and THREAD_ALIGN = 2 * THREAD_SIZE
 * aligned, so bit THREAD_SHIFT of any in-bounds SP is 0); on overflow they move to a
 * per-CPU overflow stack and report instead of faulting again forever.
 */
#include <asm/assembler.h>
#include <asm/memory.h>
#include <asm/ptrace.h>

/* thread_info offsets in task_struct (kernel/sched.h checks them with static_asserts). */
#define TSK_TI_FLAGS 0
#define _TIF_WORK_MASK 7	/* TIF_SIGPENDING | TIF_NEED_RESCHED | TIF_NOTIFY_RESUME */

#define OVERFLOW_STACK_SIZE 4096

.macro kernel_ventry, el, label
	.align	7
	sub	sp, sp, #PT_REGS_SIZE
	.if \el == 1
	add	sp, sp, x0		// sp' = sp + x0
	sub	x0, sp, x0		// x0' = sp (the frame base), without needing a spare register
	tbnz	x0, #THREAD_SHIFT, 0f
	sub	x0, sp, x0		// x0 = original x0
	sub	sp, sp, x0		// sp = frame base
	b	el1h_\label
0:	msr	tpidr_el0, x0		// stash the overflowing frame base (the kernel is dying)
	sub	x0, sp, x0
	msr	tpidrro_el0, x0		// and the original x0
	b	__bad_stack
	.else
	b	el0_\label
	.endif
.endm

.macro invalid_ventry, name
	.align	7
	sub	sp, sp, #PT_REGS_SIZE
	b	\name
.endm

/* save_x2_x29: store x2..x29 into the frame at sp (x0/x1 are stored by the caller, which
 * may need them as scratch first). */
.macro save_x2_x29
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
.endm

/* kernel_entry: save the interrupted context into the frame at sp.
 * Corrupts: x19-x25 (after saving them); from EL0 also SP_EL0, which becomes `current`.
 * Leaves x29 pointing at the frame record. */
.macro kernel_entry, el
	stp	x0, x1, [sp, #16 * 0]
	save_x2_x29
	.if \el == 0
	mrs	x21, sp_el0
	.else
	add	x21, sp, #PT_REGS_SIZE
	.endif
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x30, x21, [sp, #S_LR]
	stp	x22, x23, [sp, #S_PC]
	mrs	x24, esr_el1
	mrs	x25, far_el1
	stp	x24, x25, [sp, #S_ESR]
	.if \el == 0
	mov	x20, #NO_SYSCALL		// el0_svc records the number; anything else is no syscall
	str	x20, [sp, #S_SYSCALLNO]
	stp	xzr, xzr, [sp, #S_STACKFRAME]	// user frames never continue a kernel backtrace
	/* SP_EL0 held the user SP (saved above); at EL1 it holds `current` (kernel/sched.h),
	 * this CPU's __entry_task, which the context switch keeps up to date. */
	mrs	x20, tpidr_el1
	adr_l	x19, __entry_task
	ldr	x19, [x19, x20, lsl #3]
	msr	sp_el0, x19
	.else
	stp	x29, x22, [sp, #S_STACKFRAME]	// link the interrupted frame into the chain
	.endif
	add	x29, sp, #S_STACKFRAME
.endm

.macro kernel_exit, el
	/* Mask everything first: an interrupt taken between restoring ELR/SPSR and the eret
	 * would overwrite them (and the frame pointer may already be past the frame), so the
	 * eret would return into this sequence instead of to the interrupted context. Handlers
	 * may have enabled IRQs (syscalls and user faults run with them on); the eret restores
	 * the interrupted context's own DAIF from SPSR. */
	msr	daifset, #0xf
	ldp	x22, x23, [sp, #S_PC]
	.if \el == 0
	ldr	x21, [sp, #S_SP]
	msr	sp_el0, x21
	.endif
	msr	elr_el1, x22
	msr	spsr_el1, x23
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #S_LR]
	add	sp, sp, #PT_REGS_SIZE
	eret
.endm

	.text
	.align	11			// VBAR_EL1 needs 2 KiB alignment
ENTRY(vectors)
	invalid_ventry	el1t_sync_invalid	// current EL with SP_EL0: never used
	invalid_ventry	el1t_irq_invalid
	invalid_ventry	el1t_fiq_invalid
	invalid_ventry	el1t_error_invalid

	kernel_ventry	1, sync			// current EL with SP_EL1
	kernel_ventry	1, irq
	invalid_ventry	el1h_fiq_invalid	// FIQs are not used (GIC group 1 is IRQ)
	kernel_ventry	1, error

	kernel_ventry	0, sync			// lower EL, AArch64
	kernel_ventry	0, irq
	invalid_ventry	el0_fiq_invalid
	kernel_ventry	0, error

	invalid_ventry	el0_sync_compat		// lower EL, AArch32: not supported
	invalid_ventry	el0_irq_compat
	invalid_ventry	el0_fiq_compat
	invalid_ventry	el0_error_compat
END(vectors)

/* Handlers with one C++ entry point each. */
.macro entry_handler, el, label, fn
el\el\()\label:
	kernel_entry \el
	mov	x0, sp
	bl	\fn
	.if \el == 0
	b	ret_to_user
	.else
	mov	x0, sp
	bl	rseq_handle_el1_return	// rewind an interrupted restartable sequence (kernel/rseq.h)
	kernel_exit 1
	.endif
.endm

entry_handler 1, h_sync, do_el1_sync
entry_handler 1, h_irq, do_el1_irq
entry_handler 1, h_error, do_serror
entry_handler 0, _sync, do_el0_sync
entry_handler 0, _irq, do_el0_irq
entry_handler 0, _error, do_serror

/* Back to EL0 from the pt_regs at sp: with IRQs masked, reschedule while the task must give up
 * the CPU and deliver pending signals (exit_to_user_mode in kernel/sched.cpp), then restore
 * and eret. */
ENTRY(ret_to_user)
	msr	daifset, #2
	mrs	x0, sp_el0			// current
	ldr	x1, [x0, #TSK_TI_FLAGS]
	tst	x1, #_TIF_WORK_MASK		// the common case takes no call
	b.ne	1f
	kernel_exit 0
1:	mov	x0, sp
	bl	exit_to_user_mode
	kernel_exit 0
END(ret_to_user)

/* Invalid vectors: report which one and die (do_bad_mode does not return). */
.macro invalid_handler, name, reason
\name:
	kernel_entry 1
	mov	x0, sp
	mov	x1, #\reason
	bl	do_bad_mode
.endm
invalid_handler el1t_sync_invalid, 0
invalid_handler el1t_irq_invalid, 1
invalid_handler el1t_fiq_invalid, 2
invalid_handler el1t_error_invalid, 3
invalid_handler el1h_fiq_invalid, 6
invalid_handler el0_fiq_invalid, 10
invalid_handler el0_sync_compat, 12
invalid_handler el0_irq_compat, 13
invalid_handler el0_fiq_compat, 14
invalid_handler el0_error_compat, 15

/*
 * __bad_stack: the kernel stack overflowed. Continue on this CPU's overflow stack, rebuild
 * the frame there (x0 and the frame base were stashed in TPIDRRO_EL0/TPIDR_EL0) and let
 * handle_bad_stack() report the task stack and the overflow stack, then panic.
 */
__bad_stack:
	/* Only x0 and sp are free here (x1-x30 still hold the interrupted context). */
	mrs	x0, tpidr_el1		// CPU number
	add	x0, x0, #1
	lsl	x0, x0, #12		// (cpu + 1) * OVERFLOW_STACK_SIZE
	mov	sp, x0
	adrp	x0, overflow_stacks
	add	x0, x0, :lo12:overflow_stacks
	add	sp, sp, x0		// top of this CPU's overflow stack
	sub	sp, sp, #PT_REGS_SIZE
	mrs	x0, tpidrro_el0		// original x0
	stp	x0, x1, [sp, #16 * 0]
	save_x2_x29
	mrs	x21, tpidr_el0
	add	x21, x21, #PT_REGS_SIZE	// SP at the time of the exception
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x30, x21, [sp, #S_LR]
	stp	x22, x23, [sp, #S_PC]
	mrs	x24, esr_el1
	mrs	x25, far_el1
	stp	x24, x25, [sp, #S_ESR]
	stp	xzr, xzr, [sp, #S_STACKFRAME]	// the overflowed stack cannot be walked safely
	add	x29, sp, #S_STACKFRAME
	mov	x0, sp
	bl	handle_bad_stack
1:	wfe
	b	1b

	.bss
	.align	12
	.globl	overflow_stacks
overflow_stacks:
	.space	OVERFLOW_STACK_SIZE * 4	// one per CPU (NR_CPUS)
