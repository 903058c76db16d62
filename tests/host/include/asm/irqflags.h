// Host seam: a single-threaded test process has no interrupts; the flags value records the
// nesting so tests can assert that save/restore pairs match.
#pragma once

#include "kstd/types.h"

using irqflags_t = u64;
inline int host_irq_disabled_depth = 0;
static inline irqflags_t arch_local_save_flags() { return host_irq_disabled_depth ? 0x80 : 0; }
static inline irqflags_t arch_local_irq_save()
{
	irqflags_t f = arch_local_save_flags();
	host_irq_disabled_depth++;
	return f;
}
static inline void arch_local_irq_restore(irqflags_t) { host_irq_disabled_depth--; }
static inline void arch_local_irq_enable() {}
static inline void arch_local_irq_disable() {}
static inline bool arch_irqs_disabled_flags(irqflags_t f) { return (f & 0x80) != 0; }
static inline bool arch_irqs_disabled() { return host_irq_disabled_depth != 0; }
