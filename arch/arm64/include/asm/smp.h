// Identity of the running CPU. TPIDR_EL1 holds the logical CPU number (set by the boot path
// for every CPU), so per-CPU data is an array index away and stays correct under SMP.
#pragma once

#include "kstd/types.h"

inline constexpr unsigned NR_CPUS = 4;

static inline unsigned smp_processor_id()
{
	u64 v;
	asm volatile("mrs %0, tpidr_el1" : "=r"(v));
	// Lets the compiler use the register as an array index without zero-extending it.
	__builtin_assume(v < NR_CPUS);
	return static_cast<unsigned>(v);
}
// CPUs that are up, bit n for logical CPU n (Linux's cpu_online_mask): the boot CPU sets its
// bit in start_kernel, secondary CPUs as they come up.
extern unsigned long cpu_online_bits;
static inline bool cpu_online(unsigned cpu) { return cpu < NR_CPUS && ((cpu_online_bits >> cpu) & 1); }
static inline void set_cpu_online(unsigned cpu) { __atomic_fetch_or(&cpu_online_bits, 1ul << cpu, __ATOMIC_RELEASE); }

static inline void cpu_relax() { asm volatile("yield" ::: "memory"); }
