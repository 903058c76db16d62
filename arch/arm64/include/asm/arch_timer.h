// The ARM generic timer's counter: the clock for printk timestamps and delays.
#pragma once

#include "kstd/types.h"

static inline u64 arch_counter_get_cntpct()
{
	u64 v;
	// ISB: without it the counter read may be speculated ahead of earlier instructions.
	asm volatile("isb; mrs %0, cntpct_el0" : "=r"(v)::"memory");
	return v;
}
static inline u64 arch_timer_get_cntfrq()
{
	u64 v;
	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}
