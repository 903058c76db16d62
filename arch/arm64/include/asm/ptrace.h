/*
 * The exception frame saved by arch/arm64/entry.S. Its layout is shared with assembly:
 * the S_* offsets below are what entry.S uses, and the static_asserts tie them to the struct.
 */
#pragma once

#define S_X0 0
#define S_LR (30 * 8)
#define S_SP (31 * 8)
#define S_PC (32 * 8)
#define S_PSTATE (33 * 8)
#define S_ESR (34 * 8)
#define S_FAR (35 * 8)
#define S_ORIG_X0 (36 * 8)
#define S_SYSCALLNO (37 * 8)
#define S_STACKFRAME (38 * 8)
#define PT_REGS_SIZE (40 * 8)
/* syscallno of an exception that is not a syscall (Linux's NO_SYSCALL). */
#define NO_SYSCALL (-1)

#ifndef __ASSEMBLY__
#include <stddef.h>

#include "kstd/types.h"

struct pt_regs {
	u64 regs[31]; /* x0..x30 */
	u64 sp;       /* SP at the time of the exception (SP_EL0 for EL0) */
	u64 pc;       /* ELR_EL1 */
	u64 pstate;   /* SPSR_EL1 */
	u64 esr;      /* ESR_EL1 */
	u64 far;      /* FAR_EL1 */
	/* A syscall's first argument and number (Linux's orig_x0/syscallno): x0 is overwritten by
	 * the result, and a syscall restarted after a signal (-ERESTARTSYS and friends) runs
	 * again with the original x0. syscallno is NO_SYSCALL for every other exception. */
	u64 orig_x0;
	i64 syscallno;
	u64 stackframe[2]; /* frame record {fp, pc} that links the exception into backtraces */
};

static_assert(offsetof(pt_regs, regs) == S_X0);
static_assert(offsetof(pt_regs, regs[30]) == S_LR);
static_assert(offsetof(pt_regs, sp) == S_SP);
static_assert(offsetof(pt_regs, pc) == S_PC);
static_assert(offsetof(pt_regs, pstate) == S_PSTATE);
static_assert(offsetof(pt_regs, esr) == S_ESR);
static_assert(offsetof(pt_regs, far) == S_FAR);
static_assert(offsetof(pt_regs, orig_x0) == S_ORIG_X0);
static_assert(offsetof(pt_regs, syscallno) == S_SYSCALLNO);
static_assert(offsetof(pt_regs, stackframe) == S_STACKFRAME);
static_assert(sizeof(pt_regs) == PT_REGS_SIZE && PT_REGS_SIZE % 16 == 0);

static inline bool user_mode(const pt_regs *r) { return (r->pstate & 0xf) == 0; }
#endif
