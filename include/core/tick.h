// What the tick drives (Linux's update_process_times in kernel/time/timer.c): the clock-event
// driver calls it once per tick from its interrupt handler; the scheduler's accounting and the
// timer list run from it. Declared here so drivers/ need not include kernel/.
#pragma once

#include "kstd/types.h"

// jiffies: the tick count after this tick (the driver's own counter, which may have advanced by
// more than one when ticks were lost). IRQ context, IRQs masked.
void update_process_times(u64 jiffies);
