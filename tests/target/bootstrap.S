/*
 * A minimal stand-in for a boot loader, used only by the load-address tests: QEMU's generic
 * loader starts the CPU here (at EL3 with secure=on, else at the machine's highest EL), and
 * this enters the kernel as the arm64 boot protocol says: x0 = DTB, x1-x3 = 0, MMU off.
 * DTB_ADDR and KERNEL_ADDR are given by the test runner on the assembler command line.
 */
	.globl	_start
_start:
	ldr	x0, =DTB_ADDR
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	ldr	x4, =KERNEL_ADDR
	br	x4
	.ltorg
