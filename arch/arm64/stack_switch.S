/* Running a function on another kernel stack (kernel/task_stack.h). */
#include <asm/assembler.h>

	.text
/*
 * long __run_on_stack(u64 stack_top, long (*fn)(void *), void *arg)
 *
 * x0 = top of the new stack (16-byte aligned), x1 = fn, x2 = arg.
 * Pushes a frame record on the current stack, stores the current SP in the top 16 bytes of
 * the new stack, runs fn(arg) there and returns its x0 on the original stack.
 * The new stack's first frame record (stored by fn's prologue) links to ours, so a
 * backtrace from inside fn reaches the caller.
 * Preserves: x19-x29 and SP (AAPCS64). Corrupts: x9 and whatever fn corrupts.
 */
ENTRY(__run_on_stack)
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	mov	x9, sp
	stp	x9, xzr, [x0, #-16]!	// old SP at the top of the new stack
	mov	sp, x0
	mov	x0, x2
	blr	x1
	ldr	x9, [sp]		// back to the original stack
	mov	sp, x9
	ldp	x29, x30, [sp], #16
	ret
END(__run_on_stack)
