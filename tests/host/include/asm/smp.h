// Host seam: tests may switch the "current CPU" to exercise per-CPU structures.
#pragma once

inline constexpr unsigned NR_CPUS = 4;
inline unsigned host_current_cpu = 0;
static inline unsigned smp_processor_id() { return host_current_cpu; }
static inline void cpu_relax() {}
