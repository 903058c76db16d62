// Restartable sequences (kernel/rseq.h) under fire: the SLUB fast paths run without masking
// IRQs, so an interrupt handler that allocates and frees on the same cache must never see or
// leave a torn per-CPU freelist. A second generic timer (the one the tick does not use) fires
// every few microseconds while the test loop allocates and frees; the handler keeps a ring of
// objects it owns across interrupts, so that an interrupted fast path that reused a stale
// head would hand the same object to both sides (caught by the owner tags) or corrupt the
// freelist (caught by validate and the ledger).
#include <asm/arch_timer.h>
#include <asm/irqflags.h>
#include <asm/sysreg.h>

#include "drivers/arch_timer.h"
#include "kernel/irq.h"
#include "kernel/ktest.h"
#include "kernel/rseq.h"
#include "lib/of/of.h"
#include "mm/slab.h"

// The test's machinery, for the restartable fast paths only SLUB has.
#if !defined(SLAB_SLOB)
namespace {

constexpr unsigned OBJ_SIZE = 64, RING = 8;
constexpr u64 TIMER_IDX_PHYS_NONSECURE = 1, TIMER_IDX_VIRT = 2;
constexpr u64 CTL_ENABLE = 1, CTL_IMASK = 2;

struct Hammer {
	kmem_cache *s;
	bool phys; // programming CNTP (the tick is on CNTV), else CNTV
	u64 interval;
	u64 *ring[RING];
	unsigned next;
	u64 fires, torn;
};
Hammer hammer;

void fill(u64 *p, u64 tag)
{
	for (unsigned i = 0; i < OBJ_SIZE / 8; i++)
		p[i] = tag;
}
bool intact(const u64 *p, u64 tag)
{
	for (unsigned i = 0; i < OBJ_SIZE / 8; i++)
		if (p[i] != tag)
			return false;
	return true;
}

void arm(const Hammer &h, u64 ctl)
{
	if (h.phys) {
		write_sysreg(h.interval, cntp_tval_el0);
		write_sysreg(ctl, cntp_ctl_el0);
	} else {
		write_sysreg(h.interval, cntv_tval_el0);
		write_sysreg(ctl, cntv_ctl_el0);
	}
	asm volatile("isb");
}

u64 irq_tag(unsigned slot) { return 0x1e9d000000000000ull | slot; }

IrqReturn hammer_irq(unsigned, void *dev)
{
	Hammer &h = *static_cast<Hammer *>(dev);
	unsigned i = h.next++ % RING;
	// Allocate before freeing the slot's old object: the handler then takes the head the
	// interrupted fast path may have read and leaves a different one (freeing first would
	// hand the same object straight back and change nothing).
	u64 *old = h.ring[i];
	h.ring[i] = static_cast<u64 *>(kmem_cache_alloc(h.s, GFP_ATOMIC));
	if (h.ring[i])
		fill(h.ring[i], irq_tag(i));
	if (old) {
		if (!intact(old, irq_tag(i)))
			h.torn++;
		kmem_cache_free(h.s, old);
	}
	h.fires++;
	arm(h, CTL_ENABLE); // new TVAL: deasserts the level line until the next expiry
	return IrqReturn::Handled;
}

} // namespace
#endif

KTEST(rseq, slab_fast_paths_survive_irq_alloc_free)
{
#if defined(SLAB_SLOB)
	t.skip("SLOB has no restartable fast paths");
	return;
#else
	const ArchTimerInfo &ti = arch_timer_info();
	KT_ASSERT_TRUE(t, ti.virq != 0);
	of::Node node = of::boot_tree().find_compatible("arm,armv8-timer");
	if (!node.valid())
		node = of::boot_tree().find_compatible("arm,armv7-timer");
	KT_ASSERT_TRUE(t, node.valid());
	// The tick owns one timer; the other one is free for this test.
	auto virq = irq_of_parse_and_map(node, ti.virtual_timer ? TIMER_IDX_PHYS_NONSECURE : TIMER_IDX_VIRT);
	KT_ASSERT_TRUE(t, !virq.is_error());

	Hammer &h = hammer;
	h = {};
	h.s = kmem_cache_create("rseq_test", OBJ_SIZE, 0, SLAB_NONE, nullptr);
	KT_ASSERT_TRUE(t, h.s != nullptr);
	h.phys = ti.virtual_timer;
	h.interval = ti.freq / 200000 + 1; // 5 us
	unsigned long live0 = kmem_cache_live_objects(h.s);
	unsigned long errors0 = slab_errors;
	u64 restarts0 = rseq_restart_count();

	arm(h, CTL_IMASK);
	KT_ASSERT_TRUE(t, !request_irq(virq.value(), hammer_irq, "ktest rseq", &h).is_error());
	arm(h, CTL_ENABLE);

	// Counts to targets, not for a time: QEMU takes interrupts only between its translation
	// blocks, so how many interrupts fire, and how many land inside a sequence, per loop
	// iteration or per second depends on how fast (and how loaded) the host is. The loop runs
	// until the handler fired TARGET_FIRES times and TARGET_RESTARTS restarts were taken; a
	// deadline in guest time, far beyond what an idle host needs (well under a second), ends it
	// with a failure that says how far it got instead of hanging.
	constexpr u64 TARGET_FIRES = 1000, TARGET_RESTARTS = 16, DEADLINE_S = 60;
	u64 start = arch_counter_get_cntpct();
	u64 iters = 0, torn = 0, failed = 0;
	bool deadline_passed = false;
	for (;;) {
		u64 fires = __atomic_load_n(&h.fires, __ATOMIC_RELAXED);
		if (fires >= TARGET_FIRES && rseq_restart_count() - restarts0 >= TARGET_RESTARTS)
			break;
		if (arch_counter_get_cntpct() - start >= DEADLINE_S * ti.freq) {
			deadline_passed = true;
			break;
		}
		for (unsigned k = 0; k < 256; k++, iters++) {
			auto *p = static_cast<u64 *>(kmem_cache_alloc(h.s, GFP_KERNEL));
			if (!p) {
				failed++;
				continue;
			}
			u64 tag = 0x3a11000000000000ull | (iters & 0xffffffffffffull);
			fill(p, tag);
			if (!intact(p, tag))
				torn++;
			kmem_cache_free(h.s, p);
		}
	}
	u64 elapsed_ms = (arch_counter_get_cntpct() - start) * 1000 / ti.freq;

	arm(h, CTL_IMASK);
	free_irq(virq.value(), &h);
	for (unsigned i = 0; i < RING; i++)
		if (h.ring[i]) {
			if (!intact(h.ring[i], irq_tag(i)))
				torn++;
			kmem_cache_free(h.s, h.ring[i]);
		}
	u64 restarts = rseq_restart_count() - restarts0;
	t.log("%lu loop iterations, %lu interrupts, %lu restarts in %lu ms", (unsigned long)iters, (unsigned long)h.fires,
	      (unsigned long)restarts, (unsigned long)elapsed_ms);
	if (deadline_passed)
		t.fail_at(__FILE__, __LINE__,
			  "deadline of %lu s (guest time) passed with %lu of %lu interrupts and %lu of %lu restarts",
			  (unsigned long)DEADLINE_S, (unsigned long)h.fires, (unsigned long)TARGET_FIRES,
			  (unsigned long)restarts, (unsigned long)TARGET_RESTARTS);
	KT_EXPECT_EQ(t, failed, 0u);
	KT_EXPECT_EQ(t, torn + h.torn, 0u);
	KT_EXPECT_EQ(t, kmem_cache_live_objects(h.s), live0);
	validate_slab_cache(h.s);
	KT_EXPECT_EQ(t, slab_errors, errors0);
	KT_EXPECT_GE(t, h.fires, TARGET_FIRES);
	// Without restarts taken the test proved nothing about the rewind.
	KT_EXPECT_GE(t, restarts, TARGET_RESTARTS);
	kmem_cache_destroy(h.s);
#endif
}
