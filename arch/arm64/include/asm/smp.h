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
// Which CPUs are up (cpu_online, for_each_online_cpu): include/core/cpumask.h.

static inline void cpu_relax() { asm volatile("yield" ::: "memory"); }
