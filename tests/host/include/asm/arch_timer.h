// Host seam for the generic timer: a counter that advances by one tick per read at 62.5 MHz
// (QEMU virt's frequency), so timestamps are ordered and deterministic.
#pragma once

#include "kstd/types.h"

inline u64 host_cntpct = 0;
static inline u64 arch_counter_get_cntpct() { return ++host_cntpct; }
static inline u64 arch_timer_get_cntfrq() { return 62500000; }
