// Which CPUs run (Linux's cpu_online_mask, reduced to one word: NR_CPUS <= 64). The boot CPU
// (logical 0, TPIDR_EL1 = 0) is online from the start; SMP bring-up calls set_cpu_online() as
// each secondary comes up (and down), then refresh_zone_stat_thresholds() and
// page_alloc_set_online_cpus() so that per-CPU thresholds and pcp sizes follow. Readers use
// for_each_online_cpu; per-CPU state of every possible CPU is still summed where exactness
// needs it (a CPU's pending counter deltas survive it going offline until folded).
#pragma once

#include <asm/smp.h>

static_assert(NR_CPUS <= 64, "the online mask is one word");

inline unsigned long __cpu_online_mask = 1UL;

inline bool cpu_online(unsigned cpu) { return cpu < NR_CPUS && ((__atomic_load_n(&__cpu_online_mask, __ATOMIC_RELAXED) >> cpu) & 1); }
inline void set_cpu_online(unsigned cpu, bool online)
{
	if (online)
		__atomic_fetch_or(&__cpu_online_mask, 1UL << cpu, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&__cpu_online_mask, ~(1UL << cpu), __ATOMIC_RELAXED);
}
inline unsigned num_online_cpus() { return static_cast<unsigned>(__builtin_popcountl(__atomic_load_n(&__cpu_online_mask, __ATOMIC_RELAXED))); }

#define for_each_possible_cpu(cpu) for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
#define for_each_online_cpu(cpu) for_each_possible_cpu(cpu) if (cpu_online(cpu))
