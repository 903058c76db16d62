// Atomic read-modify-write of a user word for futexes (Linux's arch/arm64/include/asm/futex.h).
//
// LDTR/STTR (asm/uaccess.h) have no exclusive forms, so these use privileged LDXR/STLXR on the
// user address with PSTATE.PAN cleared for the few instructions (Linux's
// uaccess_enable_privileged). They never resolve a fault: every user access has an
// exception-table entry, so a missing or read-only page ends the call with -EFAULT and the
// caller faults the page in with no lock held and tries again (Linux's pagefault_disable()
// pattern). That is what lets them run under a futex hash-bucket spinlock with IRQs off.
//
// The caller checked the address with access_ok and alignment (4 bytes); TTBR0 holds the mm
// the address belongs to (current's). The exclusive loop gives up after FUTEX_MAX_LOOPS
// failed store-exclusives with -EAGAIN, as Linux's, so that a word another CPU hammers cannot
// keep a CPU spinning with IRQs off.
#pragma once

#include "kstd/types.h"

extern bool cpu_has_pan; // arch/arm64/syscall.cpp

namespace arm64_futex {

inline constexpr int EFAULT_ = 14, EAGAIN_ = 11, ENOSYS_ = 38;
inline constexpr unsigned FUTEX_MAX_LOOPS = 128;

// msr pan, #0 / msr pan, #1 (ARMv8.1; encoded for assemblers without the feature enabled).
inline void uaccess_enable_privileged()
{
	if (cpu_has_pan)
		asm volatile(".inst 0xd500409f" ::: "memory");
}
inline void uaccess_disable_privileged()
{
	if (cpu_has_pan)
		asm volatile(".inst 0xd500419f" ::: "memory");
}

} // namespace arm64_futex

// One exception-table entry per user access: the fault resumes at `fixup` (label 9 below).
#define FUTEX_ASM_EXTABLE(insn, fixup)                                         \
	"	.pushsection __ex_table, \"a\"\n"                                     \
	"	.balign 4\n"                                                          \
	"	.long (" #insn " - .)\n"                                              \
	"	.long (" #fixup " - .)\n"                                             \
	"	.popsection\n"

// *uaddr = oldval OP oparg atomically; ret: 0, -EFAULT or -EAGAIN. The result register is
// %w3 (tmp); insn computes it from %w1 (oldval) and %w5 (oparg).
#define __futex_atomic_op(insn, ret, oldval, uaddr, oparg)                             \
	do {                                                                               \
		unsigned __loops = arm64_futex::FUTEX_MAX_LOOPS;                               \
		u32 __tmp;                                                                     \
		arm64_futex::uaccess_enable_privileged();                                      \
		asm volatile("	prfm	pstl1strm, [%2]\n"                                     \
			     "1:	ldxr	%w1, [%2]\n" insn "\n"                                 \
			     "2:	stlxr	%w0, %w3, [%2]\n"                                      \
			     "	cbz	%w0, 3f\n"                                             \
			     "	sub	%w4, %w4, %w0\n"                                       \
			     "	cbnz	%w4, 1b\n"                                             \
			     "	mov	%w0, %w6\n"                                            \
			     "	b	3f\n"                                                  \
			     "9:	mov	%w0, %w7\n"                                            \
			     "3:	dmb	ish\n" FUTEX_ASM_EXTABLE(1b, 9b) FUTEX_ASM_EXTABLE(2b, 9b) \
			     : "=&r"(ret), "=&r"(oldval), "+r"(uaddr), "=&r"(__tmp), "+r"(__loops) \
			     : "r"(oparg), "r"(-arm64_futex::EAGAIN_), "r"(-arm64_futex::EFAULT_)  \
			     : "memory");                                                      \
		arm64_futex::uaccess_disable_privileged();                                     \
	} while (0)

// Linux's FUTEX_OP_SET/ADD/OR/ANDN/XOR. 0 with *oval the previous value, -EFAULT, -EAGAIN,
// or -ENOSYS for an unknown op (nothing is touched then).
inline int arch_futex_atomic_op_inuser(int op, int oparg, int *oval, u64 uaddr)
{
	int ret;
	u32 oldval = 0;
	u32 arg = static_cast<u32>(oparg);
	switch (op) {
	case 0: // FUTEX_OP_SET
		__futex_atomic_op("mov	%w3, %w5", ret, oldval, uaddr, arg);
		break;
	case 1: // FUTEX_OP_ADD
		__futex_atomic_op("add	%w3, %w1, %w5", ret, oldval, uaddr, arg);
		break;
	case 2: // FUTEX_OP_OR
		__futex_atomic_op("orr	%w3, %w1, %w5", ret, oldval, uaddr, arg);
		break;
	case 3: // FUTEX_OP_ANDN
		arg = ~arg;
		__futex_atomic_op("and	%w3, %w1, %w5", ret, oldval, uaddr, arg);
		break;
	case 4: // FUTEX_OP_XOR
		__futex_atomic_op("eor	%w3, %w1, %w5", ret, oldval, uaddr, arg);
		break;
	default:
		return -arm64_futex::ENOSYS_;
	}
	if (!ret)
		*oval = static_cast<int>(oldval);
	return ret;
}

// If *uaddr == oldval, stores newval; *uval gets the value found. 0, -EFAULT or -EAGAIN.
inline int futex_atomic_cmpxchg_inatomic(u32 *uval, u64 uaddr, u32 oldval, u32 newval)
{
	int ret = 0;
	unsigned loops = arm64_futex::FUTEX_MAX_LOOPS;
	u32 val, tmp;
	arm64_futex::uaccess_enable_privileged();
	asm volatile("	prfm	pstl1strm, [%2]\n"
		     "1:	ldxr	%w1, [%2]\n"
		     "	sub	%w3, %w1, %w5\n"
		     "	cbnz	%w3, 4f\n"
		     "2:	stlxr	%w3, %w6, [%2]\n"
		     "	cbz	%w3, 3f\n"
		     "	sub	%w4, %w4, %w3\n"
		     "	cbnz	%w4, 1b\n"
		     "	mov	%w0, %w7\n"
		     "	b	3f\n"
		     "9:	mov	%w0, %w8\n"
		     "3:	dmb	ish\n"
		     "4:\n" FUTEX_ASM_EXTABLE(1b, 9b) FUTEX_ASM_EXTABLE(2b, 9b)
		     : "+r"(ret), "=&r"(val), "+r"(uaddr), "=&r"(tmp), "+r"(loops)
		     : "r"(oldval), "r"(newval), "r"(-arm64_futex::EAGAIN_), "r"(-arm64_futex::EFAULT_)
		     : "memory");
	arm64_futex::uaccess_disable_privileged();
	if (!ret)
		*uval = val;
	return ret;
}
