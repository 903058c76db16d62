/* Process entry. The kernel (or Linux) starts us with sp -> argc, argv[], NULL, envp[], NULL,
 * auxv pairs, AT_NULL; x0 is unspecified (Linux passes 0; a dynamic loader would pass a
 * finaliser). The frame chain is terminated so that backtraces stop here. */
	.text
	.globl _start
	.type _start, %function
_start:
	mov	x29, #0
	mov	x30, #0
	mov	x0, sp
	bl	__start_c
	brk	#0x3e8		/* __start_c does not return */
	.size _start, . - _start
	.section .note.GNU-stack,"",%progbits
