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
 * No stack is used.
 */
#include <asm/assembler.h>

#define EFAULT 14

	.text
/*
 * The copies run in three phases on the *user* side's alignment, so that a fault can only
 * happen on the first access to a page and the count left is exact to the byte: single
 * bytes until the user address is 8-byte aligned, 8-byte words until it is 64-byte aligned,
 * then 64-byte blocks (which never straddle a page: 64 divides 4096), then words and bytes
 * for the tail. The kernel side may be unaligned (normal memory). A fault resumes at 9:,
 * which returns x2, the bytes not yet copied at the start of the faulting access.
 *
 * Register use: x0 destination, x1 source, x2 count left; x4-x11 data.
 */

/* unsigned long __arch_copy_from_user(void *to, const void __user *from, unsigned long n)
 * Returns: bytes not copied (0 on success). */
ENTRY(__arch_copy_from_user)
	cbz	x2, 3f
4:	tst	x1, #7			// bytes until the user side is word aligned
	b.eq	5f
10:	ldtrb	w4, [x1]
	strb	w4, [x0], #1
	add	x1, x1, #1
	subs	x2, x2, #1
	b.ne	4b
	b	3f
5:	tst	x1, #63			// words until it is block aligned
	b.eq	6f
	cmp	x2, #8
	b.lo	2f
11:	ldtr	x4, [x1]
	str	x4, [x0], #8
	add	x1, x1, #8
	sub	x2, x2, #8
	b	5b
6:	cmp	x2, #64			// 64-byte blocks
	b.lo	1f
12:	ldtr	x4, [x1]
	ldtr	x5, [x1, #8]
	ldtr	x6, [x1, #16]
	ldtr	x7, [x1, #24]
	ldtr	x8, [x1, #32]
	ldtr	x9, [x1, #40]
	ldtr	x10, [x1, #48]
	ldtr	x11, [x1, #56]
	stp	x4, x5, [x0]
	stp	x6, x7, [x0, #16]
	stp	x8, x9, [x0, #32]
	stp	x10, x11, [x0, #48]
	add	x0, x0, #64
	add	x1, x1, #64
	sub	x2, x2, #64
	b	6b
1:	cmp	x2, #8			// the tail: words, then bytes
	b.lo	2f
13:	ldtr	x4, [x1]
	str	x4, [x0], #8
	add	x1, x1, #8
	sub	x2, x2, #8
	b	1b
2:	cbz	x2, 3f
14:	ldtrb	w4, [x1]
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
	_asm_extable 12b, 9b
	_asm_extable 13b, 9b
	_asm_extable 14b, 9b
END(__arch_copy_from_user)

/* unsigned long __arch_copy_to_user(void __user *to, const void *from, unsigned long n)
 * Returns: bytes not copied. */
ENTRY(__arch_copy_to_user)
	cbz	x2, 3f
4:	tst	x0, #7			// bytes until the user side is word aligned
	b.eq	5f
	ldrb	w4, [x1]
10:	sttrb	w4, [x0]
	add	x1, x1, #1
	add	x0, x0, #1
	subs	x2, x2, #1
	b.ne	4b
	b	3f
5:	tst	x0, #63			// words until it is block aligned
	b.eq	6f
	cmp	x2, #8
	b.lo	2f
	ldr	x4, [x1]
11:	sttr	x4, [x0]
	add	x1, x1, #8
	add	x0, x0, #8
	sub	x2, x2, #8
	b	5b
6:	subs	x2, x2, #64		// 64-byte blocks; x2 runs 64 behind while they go
	b.lo	7f
	// The first store of a block is the one that can fault (a new page), before any of it
	// is written: x0 is block aligned, so a block never straddles a page. The loads go
	// first with x1 post-incremented, so the loop carries only the store side's add.
8:	ldp	x4, x5, [x1], #64
	ldp	x6, x7, [x1, #-48]
	ldp	x8, x9, [x1, #-32]
	ldp	x10, x11, [x1, #-16]
12:	sttr	x4, [x0]
	sttr	x5, [x0, #8]
	sttr	x6, [x0, #16]
	sttr	x7, [x0, #24]
	sttr	x8, [x0, #32]
	sttr	x9, [x0, #40]
	sttr	x10, [x0, #48]
	sttr	x11, [x0, #56]
	add	x0, x0, #64
	subs	x2, x2, #64
	b.hs	8b
7:	add	x2, x2, #64
1:	cmp	x2, #8			// the tail: words, then bytes
	b.lo	2f
	ldr	x4, [x1]
13:	sttr	x4, [x0]
	add	x1, x1, #8
	add	x0, x0, #8
	sub	x2, x2, #8
	b	1b
2:	cbz	x2, 3f
	ldrb	w4, [x1]
14:	sttrb	w4, [x0]
	add	x1, x1, #1
	add	x0, x0, #1
	sub	x2, x2, #1
	b	2b
3:	mov	x0, #0
	ret
9:	mov	x0, x2
	ret
15:	add	x0, x2, #64		// a fault in a block: x2 ran 64 behind (nothing of it written)
	ret
	_asm_extable 10b, 9b
	_asm_extable 11b, 9b
	_asm_extable 12b, 15b
	_asm_extable 13b, 9b
	_asm_extable 14b, 9b
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
1:	tst	x0, #31		// bytes until block aligned
	b.eq	2f
10:	sttrb	wzr, [x0]
	add	x0, x0, #1
	subs	x1, x1, #1
	b.ne	1b
	b	3f
2:	subs	x1, x1, #32		// 32-byte blocks (x1 runs 32 behind): an exec's bss tail is
	b.lo	5f			// most of a page. A block of the aligned x0 stays in one page,
11:	sttr	xzr, [x0]		// and its first store is the one that faults.
	sttr	xzr, [x0, #8]
	sttr	xzr, [x0, #16]
	sttr	xzr, [x0, #24]
	add	x0, x0, #32
	subs	x1, x1, #32
	b.hs	11b
5:	adds	x1, x1, #32		// the tail: bytes
	b.eq	3f
12:	sttrb	wzr, [x0]
	add	x0, x0, #1
	subs	x1, x1, #1
	b.ne	12b
3:	mov	x0, #0
	ret
9:	mov	x0, x1
	ret
8:	add	x0, x1, #32		// a fault in a block: x1 ran 32 behind
	ret
	_asm_extable 10b, 9b
	_asm_extable 11b, 8b
	_asm_extable 12b, 9b
END(__arch_clear_user)
