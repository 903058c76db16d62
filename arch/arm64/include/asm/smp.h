// Identity of the running CPU and the SMP bring-up seam (Linux's asm/smp.h, asm/smp_plat.h and
// the CPU hotplug "starting" states, reduced). TPIDR_EL1 holds the logical CPU number (set by
// the boot path for every CPU: head.S for CPU 0, secondary_entry for the others), so per-CPU
// data is an array index away and stays correct under SMP.
#pragma once

// Shared with boot/head.S: secondary_data[NR_CPUS] entries are 1 << SECONDARY_DATA_SHIFT bytes,
// holding the stack top and the idle task at these offsets; __cpu_logical_map[] holds MPIDRs.
#define SECONDARY_DATA_SHIFT 5
#define SECONDARY_DATA_STACK 0
#define SECONDARY_DATA_TASK 8
#define MPIDR_HWID_BITMASK 0xff00ffffff
#define NR_CPUS_ASM 4

#ifndef __ASSEMBLY__
#include "kstd/result.h"
#include "kstd/types.h"

inline constexpr unsigned NR_CPUS = NR_CPUS_ASM;

static inline unsigned smp_processor_id()
{
	u64 v;
	asm volatile("mrs %0, tpidr_el1" : "=r"(v));
	// Lets the compiler use the register as an array index without zero-extending it.
	__builtin_assume(v < NR_CPUS);
	return static_cast<unsigned>(v);
}
// Which CPUs are up (cpu_online, for_each_online_cpu): include/core/cpumask.h.

static inline void cpu_relax() { asm volatile("yield" ::: "memory"); }

// MPIDR_EL1 affinity (Aff3..Aff0) of each logical CPU, INVALID_HWID where none (Linux's
// __cpu_logical_map). Filled by smp_init from the DT's /cpus; head.S searches it to learn a
// secondary's logical number.
inline constexpr u64 INVALID_HWID = ~u64(0);
extern "C" u64 __cpu_logical_map[NR_CPUS];
inline u64 cpu_logical_map(unsigned cpu) { return __cpu_logical_map[cpu]; }

// What head.S's secondary_entry reads for logical CPU n once its MMU is on (Linux's
// secondary_data, one per CPU so that a CPU arriving after its bring-up timed out can never
// take the next CPU's stack): the top of its idle task's stack and the task itself.
struct secondary_data_t {
	u64 stack;  // 0: not released (secondary_entry parks the CPU)
	u64 task;
	u64 pad[2];
};
static_assert(sizeof(secondary_data_t) == 1u << SECONDARY_DATA_SHIFT);
static_assert(__builtin_offsetof(secondary_data_t, stack) == SECONDARY_DATA_STACK);
static_assert(__builtin_offsetof(secondary_data_t, task) == SECONDARY_DATA_TASK);

// CPU bring-up callbacks (Linux's cpuhp_setup_state for the CPUHP_BP_PREPARE_* and
// CPUHP_AP_*_STARTING states): the interrupt controller and the timer register once, when they
// initialise on the boot CPU, and are then called for every secondary in registration order.
// prepare runs on the boot CPU before the secondary is started (it may allocate and map; an
// error keeps that CPU offline); starting runs on the new CPU itself with IRQs masked, before
// it is marked online, and must touch only that CPU's state: no allocation, no printk (its
// error is reported by the boot CPU). Either may be null. ENOSPC when the table is full.
struct cpuhp_step {
	const char *name;
	Result (*prepare)(unsigned cpu, u64 mpidr);
	Result (*starting)(unsigned cpu);
};
Result cpuhp_setup_state(const char *name, Result (*prepare)(unsigned cpu, u64 mpidr),
			 Result (*starting)(unsigned cpu));

// /proc/cpuinfo (Linux's arch/arm64/kernel/cpuinfo.c c_show): a block per online CPU.
struct seq_file;
void show_cpuinfo(seq_file *m);

// Boots the secondary CPUs the DT describes (Linux's smp_init), honouring nosmp and maxcpus=.
// Called once on the boot CPU from kernel_init, after the interrupt controller and the tick.
void smp_init();
#endif
