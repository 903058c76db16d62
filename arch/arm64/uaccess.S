/*
 * User memory access for the kernel (Linux's arch/arm64/lib/copy_*_user.S, simplified).
 *
 * Every user access is an unprivileged LDTR/STTR: the MMU checks it with EL0's permissions,
 * so the kernel can neither read a page user space cannot read nor write a read-only one,
 * and PSTATE.PAN (which only restricts privileged accesses) can stay set throughout. Each
 * user access has an exception-table entry: a fault resumes at the fixup, which returns how
 * much was left, never an oops. Callers check the range with access_ok() first
 * (asm/uaccess.h), so a kernel address never reaches these.
 *
 * Register use: x0 destination, x1 source, x2 count; x3-x5 scratch. No stack.
 */
#include <asm/assembler.h>

#define EFAULT 14

	.text
/* unsigned long __arch_copy_from_user(void *to, const void __user *from, unsigned long n)
 * Returns: bytes not copied (0 on success). */
ENTRY(__arch_copy_from_user)
	cbz	x2, 3f
	tst	x1, #7			// 8 bytes at a time when the user side is aligned
	b.ne	2f
1:	cmp	x2, #8
	b.lo	2f
10:	ldtr	x4, [x1]
	str	x4, [x0], #8
	add	x1, x1, #8
	sub	x2, x2, #8
	b	1b
2:	cbz	x2, 3f
11:	ldtrb	w4, [x1]
	strb	w4, [x0], #1
	add	x1, x1, #1
	sub	x2, x2, #1
	b	2b
3:	mov	x0, #0
	ret
9:	mov	x0, x2
	ret
	_asm_extable 10b, 9b
	_asm_extable 11b, 9b
END(__arch_copy_from_user)

/* unsigned long __arch_copy_to_user(void __user *to, const void *from, unsigned long n)
 * Returns: bytes not copied. */
ENTRY(__arch_copy_to_user)
	cbz	x2, 3f
	tst	x0, #7
	b.ne	2f
1:	cmp	x2, #8
	b.lo	2f
	ldr	x4, [x1], #8
10:	sttr	x4, [x0]
	add	x0, x0, #8
	sub	x2, x2, #8
	b	1b
2:	cbz	x2, 3f
	ldrb	w4, [x1], #1
11:	sttrb	w4, [x0]
	add	x0, x0, #1
	sub	x2, x2, #1
	b	2b
3:	mov	x0, #0
	ret
9:	mov	x0, x2
	ret
	_asm_extable 10b, 9b
	_asm_extable 11b, 9b
END(__arch_copy_to_user)

/* long __arch_strncpy_from_user(char *dst, const char __user *src, long count)
 * Returns: the string's length (NUL copied, not counted), count if no NUL came within count
 * bytes (then dst is not terminated), or -EFAULT. */
ENTRY(__arch_strncpy_from_user)
	mov	x3, #0
1:	cmp	x3, x2
	b.ge	3f
	add	x5, x1, x3
10:	ldtrb	w4, [x5]
	strb	w4, [x0, x3]
	cbz	w4, 3f
	add	x3, x3, #1
	b	1b
3:	mov	x0, x3
	ret
9:	mov	x0, #-EFAULT
	ret
	_asm_extable 10b, 9b
END(__arch_strncpy_from_user)

/* unsigned long __arch_clear_user(void __user *to, unsigned long n): bytes not cleared. */
ENTRY(__arch_clear_user)
	cbz	x1, 3f
10:	sttrb	wzr, [x0]
	add	x0, x0, #1
	subs	x1, x1, #1
	b.ne	10b
3:	mov	x0, #0
	ret
9:	mov	x0, x1
	ret
	_asm_extable 10b, 9b
END(__arch_clear_user)
