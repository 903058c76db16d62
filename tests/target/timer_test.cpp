// The periodic tick: rate against the counter, interrupt delivery, wfi wake-up.
#include <asm/arch_timer.h>
#include <asm/irqflags.h>

#include "drivers/arch_timer.h"
#include "kernel/irq.h"
#include "kernel/ktest.h"

namespace {

constexpr u64 WINDOW_TICKS = 30;

} // namespace

KTEST(timer, period_matches_counter_frequency)
{
	const ArchTimerInfo &ti = arch_timer_info();
	KT_ASSERT_TRUE(t, ti.virq != 0);
	KT_EXPECT_EQ(t, ti.freq, arch_timer_get_cntfrq());
	KT_EXPECT_EQ(t, ti.period, ti.freq / HZ);
	t.log("counter %lu Hz, %lu counts per tick, HZ=%u", (unsigned long)ti.freq, (unsigned long)ti.period, HZ);
}

// Waits (at most 10 periods, for a loaded QEMU host) for the next tick; afterwards jiffies is
// current: the handler accounted every period up to now.
static bool sync_to_tick(const ArchTimerInfo &ti)
{
	u64 j = get_jiffies_64();
	u64 end = arch_timer_read_counter() + 10 * ti.period;
	while (get_jiffies_64() == j)
		if (arch_timer_read_counter() > end)
			return false;
	return true;
}

// jiffies is derived from the counter (a late interrupt accounts every period that passed),
// so between two ticks 30 periods apart it must match the counter to within one tick,
// whatever the interrupt latency: no tolerance beyond the quantisation.
KTEST(timer, jiffies_advance_at_hz)
{
	const ArchTimerInfo &ti = arch_timer_info();
	KT_ASSERT_TRUE(t, ti.virq != 0);
	KT_ASSERT_TRUE(t, sync_to_tick(ti));
	u64 j0 = get_jiffies_64();
	u64 c0 = arch_timer_read_counter();
	while (arch_timer_read_counter() - c0 < WINDOW_TICKS * ti.period)
		asm volatile("yield");
	KT_ASSERT_TRUE(t, sync_to_tick(ti));
	u64 dj = get_jiffies_64() - j0;
	u64 expect = (arch_timer_read_counter() - c0) / ti.period;
	t.log("%lu jiffies over %lu counter periods", (unsigned long)dj, (unsigned long)expect);
	KT_EXPECT_GE(t, dj, expect - 1);
	KT_EXPECT_LE(t, dj, expect + 1);
}

// Every jiffy is accounted exactly once: by its own interrupt or merged into a later one
// (lost). Each tick should be its own interrupt, but under QEMU the timer is a host timer
// and the vCPU thread competes with QEMU's I/O thread and other processes for the host's
// CPUs: on a loaded 2-CPU host single 30-tick windows with only 13 own interrupts were seen,
// on every board, while most windows have 29-30. So a window passes with two thirds of its
// ticks as interrupts of their own, and the test takes the best of three windows: a host
// hiccup spoils one window, a tick that is not re-armed or delivered spoils all of them. On
// hardware every tick is its own interrupt.
KTEST(timer, tick_interrupts_arrive)
{
	const ArchTimerInfo &ti = arch_timer_info();
	KT_ASSERT_TRUE(t, ti.virq != 0);
	u64 best = 0;
	for (int window = 0; window < 3 && best < WINDOW_TICKS * 2 / 3; window++) {
		irqflags_t f = arch_local_irq_save(); // a consistent starting snapshot
		u64 n0 = irq_count(ti.virq), lost0 = ti.lost_ticks, early0 = ti.early_irqs, j0 = get_jiffies_64();
		arch_local_irq_restore(f);
		u64 c0 = arch_timer_read_counter();
		while (arch_timer_read_counter() - c0 < WINDOW_TICKS * ti.period)
			asm volatile("yield");
		f = arch_local_irq_save();
		u64 n = irq_count(ti.virq) - n0, lost = ti.lost_ticks - lost0, early = ti.early_irqs - early0;
		u64 dj = get_jiffies_64() - j0;
		arch_local_irq_restore(f);
		t.log("%lu tick interrupts in %lu periods, %lu ticks merged, %lu early", (unsigned long)n,
		      (unsigned long)WINDOW_TICKS, (unsigned long)lost, (unsigned long)early);
		KT_EXPECT_EQ(t, dj, n - early + lost);
		KT_EXPECT_LE(t, n, WINDOW_TICKS + 1);
		best = n > best ? n : best;
	}
	KT_EXPECT_GE(t, best, WINDOW_TICKS * 2 / 3);
}

// wfi with IRQs unmasked sleeps until the next tick at the latest (the idle loop's basis):
// three wfi take about three periods. The bound allows QEMU's timer latency on a loaded host
// (43 ms seen for three); a wfi that nothing wakes hangs the test instead.
KTEST(timer, wfi_wakes_on_tick)
{
	const ArchTimerInfo &ti = arch_timer_info();
	KT_ASSERT_TRUE(t, ti.virq != 0);
	KT_ASSERT_TRUE(t, !arch_irqs_disabled());
	u64 c0 = arch_timer_read_counter();
	u64 j0 = get_jiffies_64();
	for (int i = 0; i < 3; i++)
		asm volatile("wfi" ::: "memory");
	u64 dc = arch_timer_read_counter() - c0;
	KT_EXPECT_LE(t, dc, 20 * ti.period);
	KT_EXPECT_GE(t, get_jiffies_64(), j0 + 1);
}
