/* Fault-tolerant accessors for self-tests and diagnostics (see kernel/extable.h). */
#include <asm/assembler.h>

#define EFAULT 14

	.text
/* long __probe_read64(u64 *dst, const void *addr): 0, or -EFAULT if the load faults. */
ENTRY(__probe_read64)
1:	ldr	x2, [x1]
	str	x2, [x0]
	mov	x0, #0
	ret
9:	mov	x0, #-EFAULT
	ret
	_asm_extable 1b, 9b
END(__probe_read64)

/* long __probe_write64(void *addr, u64 val): 0, or -EFAULT if the store faults. */
ENTRY(__probe_write64)
1:	str	x1, [x0]
	mov	x0, #0
	ret
9:	mov	x0, #-EFAULT
	ret
	_asm_extable 1b, 9b
END(__probe_write64)

/*
 * long __probe_exec(const void *addr): branch-and-link to addr. If the instruction fetch
 * faults, the trap handler sees ELR == exec_probe_target[cpu] and resumes at
 * __probe_exec_fault with the frame intact; otherwise the callee returns here.
 */
ENTRY(__probe_exec)
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	blr	x0
	mov	x0, #0
	ldp	x29, x30, [sp], #16
	ret
	.globl	__probe_exec_fault
__probe_exec_fault:
	mov	x0, #-EFAULT
	ldp	x29, x30, [sp], #16
	ret
END(__probe_exec)

/* Byte accessors for the kernel debugger (kernel/debug/): gdb may ask for any address, and
 * an unmapped one must give an error reply, never an oops. */
/* long __kgdb_probe_read8(u8 *dst, const void *addr): 0, or -EFAULT if the load faults.
 * Corrupts: x2. */
ENTRY(__kgdb_probe_read8)
1:	ldrb	w2, [x1]
	strb	w2, [x0]
	mov	x0, #0
	ret
9:	mov	x0, #-EFAULT
	ret
	_asm_extable 1b, 9b
END(__kgdb_probe_read8)

/* long __kgdb_probe_write8(void *addr, u8 val): 0, or -EFAULT if the store faults. */
ENTRY(__kgdb_probe_write8)
1:	strb	w1, [x0]
	mov	x0, #0
	ret
9:	mov	x0, #-EFAULT
	ret
	_asm_extable 1b, 9b
END(__kgdb_probe_write8)
