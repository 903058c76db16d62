/*
 * Per-task CPU state that is not in pt_regs (Linux's arch/arm64/include/asm/processor.h):
 * what cpu_switch_to saves for a task that is switched out, its user FP/SIMD registers and its
 * two user thread pointers. Layouts are shared with arch/arm64/switch.S and fpsimd.S: the
 * THREAD_* / FPSIMD_* offsets below are what the assembly uses, and static_asserts tie them to
 * the structs.
 */
#pragma once

/* cpu_context: callee-saved registers of a task that called cpu_switch_to (AAPCS64: x19-x28,
 * fp, sp, and pc = the return address). A new task's pc is ret_from_fork. */
#define CPU_CONTEXT_X19 0
#define CPU_CONTEXT_FP (10 * 8)
#define CPU_CONTEXT_SP (11 * 8)
#define CPU_CONTEXT_PC (12 * 8)
#define CPU_CONTEXT_SIZE (13 * 8)

/* user_fpsimd_state: v0-v31 (16 bytes each), then fpsr and fpcr, as Linux's (the layout the
 * signal frame's fpsimd_context copies). */
#define FPSIMD_VREGS 0
#define FPSIMD_FPSR (32 * 16)
#define FPSIMD_FPCR (32 * 16 + 4)
#define FPSIMD_STATE_SIZE (32 * 16 + 16)

#ifndef __ASSEMBLY__
#include <stddef.h>

#include "kstd/types.h"

struct cpu_context {
	u64 x19_x28[10];
	u64 fp;
	u64 sp;
	u64 pc;
};
static_assert(offsetof(cpu_context, x19_x28) == CPU_CONTEXT_X19);
static_assert(offsetof(cpu_context, fp) == CPU_CONTEXT_FP);
static_assert(offsetof(cpu_context, sp) == CPU_CONTEXT_SP);
static_assert(offsetof(cpu_context, pc) == CPU_CONTEXT_PC);
static_assert(sizeof(cpu_context) == CPU_CONTEXT_SIZE);

struct alignas(16) user_fpsimd_state {
	u64 vregs[32][2]; /* __uint128_t in Linux; two halves here (no FP in kernel C++) */
	u32 fpsr;
	u32 fpcr;
	u32 __reserved[2];
};
static_assert(offsetof(user_fpsimd_state, vregs) == FPSIMD_VREGS);
static_assert(offsetof(user_fpsimd_state, fpsr) == FPSIMD_FPSR);
static_assert(offsetof(user_fpsimd_state, fpcr) == FPSIMD_FPCR);
static_assert(sizeof(user_fpsimd_state) == FPSIMD_STATE_SIZE);

struct thread_struct {
	cpu_context cpu_context; /* must stay first: switch.S addresses it from the task */
	user_fpsimd_state uw_fpsimd;
	/* Which CPU's registers hold uw_fpsimd right now (NR_CPUS: none). Lets a task that is
	 * switched back in on the CPU it left skip reloading its FP/SIMD registers when nothing
	 * else used them meanwhile (Linux's fpsimd_last_state / thread.fpsimd_cpu). */
	unsigned fpsimd_cpu;
	u64 tp_value;  /* TPIDR_EL0 */
	u64 tp2_value; /* TPIDRRO_EL0 */
};

extern "C" {
/* arch/arm64/fpsimd.S. Save or load v0-v31, FPSR and FPCR. */
void fpsimd_save_state(user_fpsimd_state *st);
void fpsimd_load_state(const user_fpsimd_state *st);
}
#endif
