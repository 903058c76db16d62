/*
 * The user-visible signal frame of Linux's AArch64 ABI (uapi/asm/sigcontext.h, uapi/asm/ucontext.h,
 * asm-generic/siginfo.h and arch/arm64/kernel/signal.c's rt_sigframe). A handler finds this on
 * its stack; glibc's ucontext_t, libgcc's unwinder and debuggers read it by these offsets, so
 * every offset is checked below against the numbers of Linux 6.1 (and again by the host test
 * tests/host/test_signal_layout.cpp).
 *
 * Layout, from the new SP upwards:
 *   rt_sigframe { siginfo_t info (128); ucontext uc { uc_flags, uc_link, uc_stack, uc_sigmask,
 *                 __unused[120], uc_mcontext (sigcontext, 16-aligned: fault_address, regs[31],
 *                 sp, pc, pstate, __reserved[4096] holding the context records) } }
 *   frame_record { fp, lr }   (x29 points here: backtraces go through the handler)
 * __reserved holds fpsimd_context, then esr_context when the task took a fault, then a null
 * record (magic 0, size 0) that ends the list.
 */
#pragma once

#include <stddef.h>

#include "kstd/types.h"

/* Context record magics (Linux's FPSIMD_MAGIC, ESR_MAGIC). */
#define FPSIMD_MAGIC 0x46508001u
#define ESR_MAGIC 0x45535201u

/* The user siginfo_t (asm-generic/siginfo.h, 64-bit): 128 bytes, the union at offset 16. */
struct user_siginfo {
	i32 si_signo;
	i32 si_errno;
	i32 si_code;
	i32 __pad0;
	union {
		u8 __pad[128 - 16];
		struct {
			i32 pid;
			u32 uid;
		} kill;
		struct {
			i32 tid;
			i32 overrun;
			u64 sigval;
		} timer;
		struct {
			i32 pid;
			u32 uid;
			u64 sigval;
		} rt;
		struct {
			i32 pid;
			u32 uid;
			i32 status;
			i32 __pad;
			i64 utime;
			i64 stime;
		} sigchld;
		struct {
			u64 addr;
		} sigfault;
	} fields;
};
static_assert(sizeof(user_siginfo) == 128);
static_assert(offsetof(user_siginfo, si_code) == 8);
static_assert(offsetof(user_siginfo, fields.kill.pid) == 16 && offsetof(user_siginfo, fields.kill.uid) == 20);
static_assert(offsetof(user_siginfo, fields.rt.sigval) == 24);
static_assert(offsetof(user_siginfo, fields.sigchld.status) == 24);
static_assert(offsetof(user_siginfo, fields.sigchld.utime) == 32 && offsetof(user_siginfo, fields.sigchld.stime) == 40);
static_assert(offsetof(user_siginfo, fields.sigfault.addr) == 16);

/* stack_t (uapi/asm-generic/signal.h): ss_sp, ss_flags, ss_size. */
struct user_stack_t {
	u64 ss_sp;
	i32 ss_flags;
	i32 __pad;
	u64 ss_size;
};
static_assert(sizeof(user_stack_t) == 24 && offsetof(user_stack_t, ss_flags) == 8 &&
	      offsetof(user_stack_t, ss_size) == 16);

/* The header of every record in sigcontext.__reserved. */
struct _aarch64_ctx {
	u32 magic;
	u32 size;
};

struct alignas(16) fpsimd_context {
	_aarch64_ctx head;
	u32 fpsr;
	u32 fpcr;
	u64 vregs[32][2]; /* __uint128_t vregs[32] */
};
static_assert(sizeof(fpsimd_context) == 528 && offsetof(fpsimd_context, fpsr) == 8 &&
	      offsetof(fpsimd_context, fpcr) == 12 && offsetof(fpsimd_context, vregs) == 16);

struct esr_context {
	_aarch64_ctx head;
	u64 esr;
};
static_assert(sizeof(esr_context) == 16);

struct sigcontext {
	u64 fault_address;
	u64 regs[31];
	u64 sp;
	u64 pc;
	u64 pstate;
	alignas(16) u8 __reserved[4096];
};
static_assert(offsetof(sigcontext, regs) == 8 && offsetof(sigcontext, sp) == 256 &&
	      offsetof(sigcontext, pc) == 264 && offsetof(sigcontext, pstate) == 272 &&
	      offsetof(sigcontext, __reserved) == 288 && sizeof(sigcontext) == 4384);

/* struct ucontext (arch/arm64/include/uapi/asm/ucontext.h): __unused pads the sigset to the
 * 1024-bit glibc sigset_t. */
struct ucontext {
	u64 uc_flags;
	u64 uc_link;
	user_stack_t uc_stack;
	u64 uc_sigmask;
	u8 __unused[1024 / 8 - sizeof(u64)];
	sigcontext uc_mcontext;
};
static_assert(offsetof(ucontext, uc_link) == 8 && offsetof(ucontext, uc_stack) == 16 &&
	      offsetof(ucontext, uc_sigmask) == 40 && offsetof(ucontext, uc_mcontext) == 176 &&
	      sizeof(ucontext) == 4560);

struct rt_sigframe {
	user_siginfo info;
	ucontext uc;
};
static_assert(offsetof(rt_sigframe, uc) == 128 && sizeof(rt_sigframe) == 4688 && alignof(rt_sigframe) == 16);
static_assert(offsetof(rt_sigframe, uc.uc_mcontext.__reserved) == 592);

struct frame_record {
	u64 fp;
	u64 lr;
};

/* Linux's MINSIGSTKSZ and SIGSTKSZ for arm64 (uapi/asm/signal.h). */
#define MINSIGSTKSZ 5120
#define SIGSTKSZ 16384
