/*
 * Byte accessors for the kernel debugger (kernel/debug/): gdb may ask for any address, and
 * an unmapped one must give an error reply, never an oops. The exception table resumes a
 * faulting access at its fixup (kernel/extable.h).
 */
#include <asm/assembler.h>

#define EFAULT 14

	.text
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
