/* Assembler macros shared by the .S files (Linux's asm/assembler.h in spirit). */
#pragma once
#ifdef __ASSEMBLY__

/* mov_q: load a 64-bit constant with the shortest movz/movk sequence (no literal pool). */
.macro mov_q, reg, val
	.if (((\val) >> 31) == 0 || ((\val) >> 31) == 0x1ffffffff)
	movz	\reg, :abs_g1_s:\val
	.else
	.if (((\val) >> 47) == 0 || ((\val) >> 47) == 0x1ffff)
	movz	\reg, :abs_g2_s:\val
	.else
	movz	\reg, :abs_g3:\val
	movk	\reg, :abs_g2_nc:\val
	.endif
	movk	\reg, :abs_g1_nc:\val
	.endif
	movk	\reg, :abs_g0_nc:\val
.endm

/* adr_l: PC-relative address of a symbol within +/-4 GiB (works before and after the MMU
 * is on, since it never uses the link-time address). */
.macro adr_l, dst, sym
	adrp	\dst, \sym
	add	\dst, \dst, :lo12:\sym
.endm

/* Exception table entry: a fault at insn resumes at fixup (see kernel/extable.h). */
.macro _asm_extable, insn, fixup
	.pushsection __ex_table, "a"
	.balign	4
	.long	(\insn - .)
	.long	(\fixup - .)
	.popsection
.endm

#define ENTRY(name) .globl name; .type name, %function; name:
#define END(name) .size name, . - name

#endif
