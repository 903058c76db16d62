// Interrupt masking on the local CPU through PSTATE.DAIF (Linux's arch_local_irq_*).
// The host test build shadows this header with tests/host/include/asm/irqflags.h.
#pragma once

#include "kstd/types.h"

using irqflags_t = u64;

static inline irqflags_t arch_local_save_flags()
{
	irqflags_t f;
	asm volatile("mrs %0, daif" : "=r"(f));
	return f;
}
// Masks IRQ and FIQ (I and F) and returns the previous DAIF; the "memory" clobber makes it a
// compiler barrier so accesses under the lock are not hoisted out of the critical section.
static inline irqflags_t arch_local_irq_save()
{
	irqflags_t f = arch_local_save_flags();
	asm volatile("msr daifset, #3" ::: "memory");
	return f;
}
static inline void arch_local_irq_restore(irqflags_t f) { asm volatile("msr daif, %0" ::"r"(f) : "memory"); }
static inline void arch_local_irq_enable() { asm volatile("msr daifclr, #3" ::: "memory"); }
static inline void arch_local_irq_disable() { asm volatile("msr daifset, #3" ::: "memory"); }
static inline bool arch_irqs_disabled_flags(irqflags_t f) { return (f & (1u << 7)) != 0; }
static inline bool arch_irqs_disabled() { return arch_irqs_disabled_flags(arch_local_save_flags()); }
