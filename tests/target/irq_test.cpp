// Interrupt core and controller self-tests, on whatever controller the DT names (GICv2,
// GICv3, BCM2836 local + ARMCTRL). Software-raised interrupts (GIC SGIs, BCM2836 mailboxes)
// exercise the controller's enable, acknowledge and end-of-interrupt paths without a device;
// the timer test exercises masking of a level-triggered hardware line.
#include <asm/arch_timer.h>
#include <asm/irqflags.h>
#include <asm/traps.h>

#include "drivers/arch_timer.h"
#include "kernel/irq.h"
#include "kernel/ktest.h"

namespace {

u64 soft_hits;
IrqReturn soft_handler(unsigned, void *dev)
{
	__atomic_fetch_add(static_cast<u64 *>(dev), 1, __ATOMIC_RELAXED);
	return IrqReturn::Handled;
}

// Spins (IRQs on) until *p reaches want or ms pass; returns the last value seen.
u64 wait_for(const u64 *p, u64 want, u64 ms)
{
	u64 end = arch_counter_get_cntpct() + arch_timer_get_cntfrq() * ms / 1000;
	u64 v;
	while ((v = __atomic_load_n(p, __ATOMIC_RELAXED)) < want && arch_counter_get_cntpct() < end)
		asm volatile("yield");
	return v;
}

void spin_ms(u64 ms)
{
	u64 end = arch_counter_get_cntpct() + arch_timer_get_cntfrq() * ms / 1000;
	while (arch_counter_get_cntpct() < end)
		asm volatile("yield");
}

} // namespace

KTEST(irq, controller_ready_and_irqs_on)
{
	KT_EXPECT_TRUE(t, irq_controller_ready());
	KT_EXPECT_FALSE(t, arch_irqs_disabled());
}

namespace {
u64 handler_sp;
IrqReturn sp_handler(unsigned, void *dev)
{
	__atomic_store_n(&handler_sp, reinterpret_cast<u64>(__builtin_frame_address(0)), __ATOMIC_RELAXED);
	__atomic_fetch_add(static_cast<u64 *>(dev), 1, __ATOMIC_RELAXED);
	return IrqReturn::Handled;
}
} // namespace

// Handlers run on this CPU's IRQ stack, not on the interrupted task's.
KTEST(irq, handlers_run_on_the_irq_stack)
{
	StackRange irq = irq_stack_range(), task = current_task_stack();
	KT_ASSERT_TRUE(t, irq.low != 0);
	auto v = irq_soft_virq(0);
	KT_ASSERT_TRUE(t, !v.is_error());
	u64 hits = 0;
	handler_sp = 0;
	KT_ASSERT_TRUE(t, !request_irq(v.value(), sp_handler, "ktest irq stack", &hits).is_error());
	KT_EXPECT_TRUE(t, !irq_raise(v.value()).is_error());
	KT_EXPECT_EQ(t, wait_for(&hits, 1, 1000), 1u);
	free_irq(v.value(), &hits);
	u64 sp = __atomic_load_n(&handler_sp, __ATOMIC_RELAXED);
	KT_EXPECT_TRUE(t, sp >= irq.low && sp < irq.high);
	KT_EXPECT_FALSE(t, sp >= task.low && sp < task.high);
}

KTEST(irq, soft_irq_delivered)
{
	auto v = irq_soft_virq(0);
	KT_ASSERT_TRUE(t, !v.is_error());
	soft_hits = 0;
	KT_ASSERT_TRUE(t, !request_irq(v.value(), soft_handler, "ktest soft", &soft_hits).is_error());
	u64 before = irq_count(v.value());
	KT_EXPECT_TRUE(t, !irq_raise(v.value()).is_error());
	KT_EXPECT_EQ(t, wait_for(&soft_hits, 1, 100), 1u);
	KT_EXPECT_TRUE(t, !irq_raise(v.value()).is_error());
	KT_EXPECT_EQ(t, wait_for(&soft_hits, 2, 100), 2u);
	KT_EXPECT_EQ(t, irq_count(v.value()) - before, 2u);
	// A second handler on the same line is refused, not chained.
	KT_EXPECT_TRUE(t, request_irq(v.value(), soft_handler, "ktest dup", &soft_hits).is_error());
	free_irq(v.value(), &soft_hits);
}

// The tick line is level-triggered: while it is masked the timer condition stays asserted
// and no handler runs; unmasking delivers it at once, and jiffies catches up the periods
// that passed (the ticks are counted as lost, not dropped from jiffies).
KTEST(irq, mask_and_unmask_hardware_line)
{
	const ArchTimerInfo &ti = arch_timer_info();
	KT_ASSERT_TRUE(t, ti.virq != 0);
	disable_irq(ti.virq);
	// CPU 0's line: the timer is per CPU, and the secondaries' (test smp) count apart.
	u64 c0 = irq_count_cpu(ti.virq, 0), j0 = get_jiffies_64();
	spin_ms(5 * 1000 / HZ);
	KT_EXPECT_EQ(t, irq_count_cpu(ti.virq, 0), c0);
	KT_EXPECT_EQ(t, get_jiffies_64(), j0);
	enable_irq(ti.virq);
	// Delivery is immediate on hardware; QEMU's latency on a loaded host is the bound.
	u64 end = arch_counter_get_cntpct() + arch_timer_get_cntfrq() / 10;
	while (irq_count_cpu(ti.virq, 0) == c0 && arch_counter_get_cntpct() < end)
		asm volatile("yield");
	KT_EXPECT_GE(t, irq_count_cpu(ti.virq, 0), c0 + 1);
	KT_EXPECT_GE(t, get_jiffies_64(), j0 + 5);
}

// Nested disable_irq needs as many enable_irq: a soft interrupt raised while masked waits.
KTEST(irq, masked_soft_irq_waits_for_unmask)
{
	auto v = irq_soft_virq(1);
	KT_ASSERT_TRUE(t, !v.is_error());
	soft_hits = 0;
	KT_ASSERT_TRUE(t, !request_irq(v.value(), soft_handler, "ktest masked", &soft_hits).is_error());
	disable_irq(v.value());
	disable_irq(v.value());
	KT_EXPECT_TRUE(t, !irq_raise(v.value()).is_error());
	KT_EXPECT_EQ(t, wait_for(&soft_hits, 1, 20), 0u);
	enable_irq(v.value());
	KT_EXPECT_EQ(t, wait_for(&soft_hits, 1, 20), 0u);
	enable_irq(v.value());
	KT_EXPECT_EQ(t, wait_for(&soft_hits, 1, 100), 1u);
	free_irq(v.value(), &soft_hits);
}

// An interrupt nobody requested is counted, reported and masked; the kernel carries on.
KTEST(irq, unexpected_irq_is_not_fatal)
{
	auto v = irq_soft_virq(2);
	KT_ASSERT_TRUE(t, !v.is_error());
	u64 err0 = irq_err_count();
	KT_ASSERT_TRUE(t, !irq_unmask_unrequested(v.value()).is_error());
	KT_EXPECT_TRUE(t, !irq_raise(v.value()).is_error());
	u64 end = arch_counter_get_cntpct() + arch_timer_get_cntfrq() / 10;
	while (irq_err_count() == err0 && arch_counter_get_cntpct() < end)
		asm volatile("yield");
	KT_EXPECT_EQ(t, irq_err_count(), err0 + 1);
	KT_EXPECT_EQ(t, irq_count(v.value()), 0u);
	// Still alive and ticking.
	u64 j0 = get_jiffies_64();
	end = arch_counter_get_cntpct() + arch_timer_get_cntfrq() / 2;
	while (get_jiffies_64() == j0 && arch_counter_get_cntpct() < end)
		asm volatile("yield");
	KT_EXPECT_GT(t, get_jiffies_64(), j0);
}

// An IRQ exception that finds nothing to acknowledge (GIC INTID 1023, an empty BCM2836
// source register) is counted as spurious and returns.
KTEST(irq, spurious_irq_is_counted)
{
	u64 s0 = irq_spurious_count();
	irqflags_t f = arch_local_irq_save();
	// Each call first acknowledges whatever is really pending (the tick): a few tries
	// reach the empty state.
	for (int i = 0; i < 8 && irq_spurious_count() == s0; i++)
		handle_arch_irq(nullptr);
	arch_local_irq_restore(f);
	KT_EXPECT_EQ(t, irq_spurious_count(), s0 + 1);
}

KTEST(irq, bad_requests_are_refused)
{
	KT_EXPECT_TRUE(t, request_irq(0, soft_handler, "none", nullptr).is_error());
	KT_EXPECT_TRUE(t, request_irq(NR_IRQS, soft_handler, "none", nullptr).is_error());
	KT_EXPECT_TRUE(t, irq_raise(arch_timer_info().virq).is_error()); // not software-raisable
	KT_EXPECT_TRUE(t, irq_soft_virq(1000).is_error());
}
