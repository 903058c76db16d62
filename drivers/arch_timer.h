// The ARM generic timer as the periodic tick (Linux's arm_arch_timer + jiffies, reduced).
//
// The tick runs at HZ from the EL1 virtual timer (CNTV), as Linux arm64 uses it without VHE:
// head.S sets CNTVOFF_EL2 = 0 when it drops from EL2, and a hypervisor, when there is one,
// always leaves the virtual timer to EL1. `arch_timer=phys` selects the EL1 physical timer
// (CNTP) instead, which head.S also opens to EL1 through CNTHCTL_EL2. The interrupt comes from
// the timer node's `interrupts` (index 2 virtual, 1 non-secure physical) through whatever
// controller the DT names: a GIC PPI on virt and the Pi 4, the BCM2836 per-core timer
// control on the Pi 3.
//
// jiffies counts periods of the counter, not interrupts: a late interrupt (a long
// IRQs-off section, a descheduled QEMU vCPU) advances it by every period that passed, and
// the difference is counted as lost ticks.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"
#include "lib/of/of.h"

inline constexpr u32 HZ = 100;

struct ArchTimerInfo {
	u64 freq;          // counter frequency (CNTFRQ_EL0), Hz
	u64 period;        // counter ticks per jiffy: freq / HZ
	unsigned virq;     // the tick interrupt, 0 before init
	bool virtual_timer;
	u64 lost_ticks;    // jiffies advanced without an interrupt of their own
	u64 early_irqs;    // interrupts taken before the compare value was reached
	// The counter value where jiffy 0 began: after the tick handler ran at counter c,
	// jiffies == (c - jiffies_origin) / period exactly, however late the interrupt came.
	u64 jiffies_origin;
};

// Finds the timer node, requests its interrupt and starts the tick. The CPU's IRQ mask is
// left as it is. ENODEV without an "arm,armv8-timer"/"arm,armv7-timer" node, EINVAL when the
// counter frequency is unusable (below HZ).
Result arch_timer_init(of::DeviceTree dt);
u64 get_jiffies_64();
const ArchTimerInfo &arch_timer_info();
// The counter the tick compares against (CNTVCT or CNTPCT).
u64 arch_timer_read_counter();
