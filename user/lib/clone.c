/* raw_clone: see ulib.h. */
#include "ulib.h"

__asm__(".text\n"
	".globl raw_clone\n"
	".type raw_clone, %function\n"
	"raw_clone:\n"
	"	mov	x10, x5\n" /* fn and arg survive the syscall in both threads */
	"	mov	x11, x6\n"
	"	mov	x8, #220\n" /* clone(flags, stack, ptid, tls, ctid): arm64's order */
	"	svc	#0\n"
	"	cbnz	x0, 1f\n"
	"	mov	x0, x11\n" /* the child, on its own stack */
	"	blr	x10\n"
	"	mov	x8, #93\n" /* exit(result): this thread only */
	"	svc	#0\n"
	"	brk	#0\n"
	"1:	ret\n"
	".size raw_clone, . - raw_clone\n");
