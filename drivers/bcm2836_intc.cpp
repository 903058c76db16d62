// Raspberry Pi 3 interrupt controllers (Linux irq-bcm2836.c and irq-bcm2835.c):
//
// - the BCM2836 "ARM local" controller (brcm,bcm2836-l1-intc), one bank per core: the four
//   generic-timer interrupts (enabled in the per-core timer control register), four mailboxes,
//   the GPU interrupt (everything from ARMCTRL) and the PMU. It is the root controller.
//   hwirq = bit in the core's IRQ source register: 0 CNTPS, 1 CNTPNS, 2 CNTHP, 3 CNTV,
//   4-7 mailbox 0-3, 8 GPU, 9 PMU. The mailboxes are the soft hwirqs (writing a mailbox's
//   set register raises it; its handler path clears it).
// - the BCM2835 ARMCTRL (brcm,bcm2836-armctrl-ic chained to the local controller's GPU
//   interrupt; brcm,bcm2835-armctrl-ic is the root on a BCM2835): hwirq = bank * 32 + bit,
//   bank 0 = ARM basic (8 sources), bank 1 = GPU IRQs 0-31, bank 2 = GPU IRQs 32-63.
//
// Registers from "BCM2836 ARM-local peripherals" (QA7) and the BCM2835 ARM Peripherals
// manual, section 7. Register addresses come only from the DT.
#include <asm/fixmap.h>
#include <asm/smp.h>
#include <asm/sysreg.h>

#include "kernel/irq.h"
#include "core/printk.h"

namespace {

inline u32 rd32(volatile u8 *b, u32 off) { return *reinterpret_cast<volatile u32 *>(b + off); }
inline void wr32(volatile u8 *b, u32 off, u32 v) { *reinterpret_cast<volatile u32 *>(b + off) = v; }

ErrorOr<volatile u8 *> map_node(of::Node node, const char *who)
{
	auto r = node.reg_translated(0);
	if (r.is_error()) {
		pr_err("%s: no usable reg (%s)\n", who, r.error().name());
		return r.error();
	}
	void *p = early_ioremap(PhysAddr(r.value().address), r.value().size ? r.value().size : PAGE_SIZE);
	if (!p)
		return Errno::ENOMEM;
	return static_cast<volatile u8 *>(p);
}

ErrorOr<IrqSpec> type_from_cell(u32 hwirq, u32 cell)
{
	switch (cell & 0xf) {
	case 0: return IrqSpec{hwirq, IrqType::None};
	case 1: return IrqSpec{hwirq, IrqType::EdgeRising};
	case 2: return IrqSpec{hwirq, IrqType::EdgeFalling};
	case 4: return IrqSpec{hwirq, IrqType::LevelHigh};
	case 8: return IrqSpec{hwirq, IrqType::LevelLow};
	default: return Errno::EINVAL;
	}
}

// ---- BCM2836 local controller ---------------------------------------------------------------

enum LocalReg : u32 {
	LOCAL_GPU_ROUTING = 0x0c,
	LOCAL_PM_ROUTING_SET = 0x10,
	LOCAL_PM_ROUTING_CLR = 0x14,
	LOCAL_TIMER_INT_CONTROL0 = 0x40,
	LOCAL_MAILBOX_INT_CONTROL0 = 0x50,
	LOCAL_IRQ_PENDING0 = 0x60,
	LOCAL_MAILBOX0_SET0 = 0x80,
	LOCAL_MAILBOX0_CLR0 = 0xc0,
};
constexpr u32 LOCAL_IRQ_CNTVIRQ = 3, LOCAL_IRQ_MAILBOX0 = 4, LOCAL_IRQ_GPU_FAST = 8, LOCAL_IRQ_PMU_FAST = 9;
constexpr u32 LOCAL_NR_IRQS = 10;

struct LocalIntc {
	volatile u8 *base;
	u32 cpu; // MPIDR Aff0 of the boot CPU (the GPU routing's core)
	IrqDomain *domain;
	// Timer interrupts a secondary core masked through the IRQ core's lazy disable (they
	// arrived while the boot core had them disabled): the boot core's unmask sets them again
	// in those cores' timer control registers, which any core may write.
	u32 lazy_masked[4];
} local;

// The per-core registers are addressed by core, not banked: every access goes to the bank of
// the core that makes it (MPIDR Aff0 = core number 0-3 on the BCM2836/7/2711).
u32 this_core() { return static_cast<u32>(read_sysreg(mpidr_el1) & 3); }
u32 local_reg(u32 reg0, u32 stride) { return reg0 + this_core() * stride; }

void local_mask_unmask(u32 hwirq, bool unmask)
{
	u32 reg;
	u32 bit;
	if (hwirq <= LOCAL_IRQ_CNTVIRQ) {
		reg = local_reg(LOCAL_TIMER_INT_CONTROL0, 4);
		bit = 1u << hwirq;
	} else if (hwirq < LOCAL_IRQ_GPU_FAST) {
		reg = local_reg(LOCAL_MAILBOX_INT_CONTROL0, 4);
		bit = 1u << (hwirq - LOCAL_IRQ_MAILBOX0);
	} else if (hwirq == LOCAL_IRQ_PMU_FAST) {
		wr32(local.base, unmask ? LOCAL_PM_ROUTING_SET : LOCAL_PM_ROUTING_CLR, 1u << this_core());
		return;
	} else {
		// The GPU interrupt has no enable here: ARMCTRL masks its sources individually.
		return;
	}
	u32 v = rd32(local.base, reg);
	wr32(local.base, reg, unmask ? v | bit : v & ~bit);
	if (hwirq > LOCAL_IRQ_CNTVIRQ)
		return;
	if (this_core() != local.cpu) {
		if (!unmask)
			__atomic_fetch_or(&local.lazy_masked[this_core()], bit, __ATOMIC_RELAXED);
		return;
	}
	if (!unmask)
		return;
	for (u32 core = 0; core < 4; core++)
		if (core != local.cpu && (__atomic_fetch_and(&local.lazy_masked[core], ~bit, __ATOMIC_RELAXED) & bit)) {
			u32 r = LOCAL_TIMER_INT_CONTROL0 + 4 * core;
			wr32(local.base, r, rd32(local.base, r) | bit);
		}
}
void local_mask(void *, u32 hwirq) { local_mask_unmask(hwirq, false); }
void local_unmask(void *, u32 hwirq) { local_mask_unmask(hwirq, true); }

ErrorOr<IrqSpec> local_xlate(void *, const u32 *c, u32 n)
{
	if (n < 1 || c[0] >= LOCAL_NR_IRQS)
		return Errno::EINVAL;
	return type_from_cell(c[0], n > 1 ? c[1] : 0);
}

Result local_raise(void *, u32 hwirq)
{
	if (hwirq < LOCAL_IRQ_MAILBOX0 || hwirq >= LOCAL_IRQ_GPU_FAST)
		return Errno::EINVAL;
	dsb(ishst); // the handler must see the stores made before the raise
	wr32(local.base, local_reg(LOCAL_MAILBOX0_SET0, 16) + 4 * (hwirq - LOCAL_IRQ_MAILBOX0), 1);
	return {};
}

// Linux's irq-bcm2836.c gives the per-CPU timers, the GPU (ARMCTRL) cascade and the PMU chips
// of their own and the mailboxes to its IPI domain; /proc/interrupts names them so.
static const char *local_chip_name(u32 hwirq)
{
	if (hwirq <= 3)
		return "bcm2836-timer";
	if (hwirq <= 7)
		return "IPI";
	return hwirq == 8 ? "bcm2836-gpu" : hwirq == 9 ? "bcm2836-pmu" : "bcm2836-dummy";
}
const IrqChip local_chip = {"bcm2836-l1", local_mask, local_unmask, local_xlate, nullptr, local_raise, local_chip_name};

void local_handle_irq(pt_regs *)
{
	u32 pending_reg = local_reg(LOCAL_IRQ_PENDING0, 4);
	u32 stat = rd32(local.base, pending_reg) & ((1u << LOCAL_NR_IRQS) - 1);
	if (!stat) {
		irq_note_spurious();
		return;
	}
	// Bounded: a source that stays asserted after its handler (and that the core could not
	// mask, such as the GPU line) must not lock the CPU in here; it comes straight back.
	for (int i = 0; stat && i < 16; i++) {
		u32 hwirq = static_cast<u32>(__builtin_ctz(stat));
		if (hwirq >= LOCAL_IRQ_MAILBOX0 && hwirq < LOCAL_IRQ_GPU_FAST) {
			// Mailboxes are write-1-to-clear: consume the message before handling it so a
			// new raise from the handler is not lost.
			u32 clr = local_reg(LOCAL_MAILBOX0_CLR0, 16) + 4 * (hwirq - LOCAL_IRQ_MAILBOX0);
			wr32(local.base, clr, rd32(local.base, clr));
		}
		generic_handle_domain_irq(local.domain, hwirq);
		stat = rd32(local.base, pending_reg) & ((1u << LOCAL_NR_IRQS) - 1);
	}
}

// A secondary core's bank (CPUHP_AP_IRQ_BCM2836_STARTING): no mailbox interrupt and no
// stale message (IPIs come later), and the same generic-timer interrupts enabled as the boot
// core has. Linux's arch timer driver enables its per-CPU interrupt on each core itself; the
// IRQ core here has no per-CPU enable yet, so the controller mirrors the boot core's (its
// timer control register is readable from any core).
Result local_starting_cpu(unsigned)
{
	u32 core = this_core();
	if (core == local.cpu)
		return Errno::EINVAL; // not a secondary
	wr32(local.base, local_reg(LOCAL_MAILBOX_INT_CONTROL0, 4), 0);
	for (u32 m = 0; m < 4; m++) {
		u32 clr = local_reg(LOCAL_MAILBOX0_CLR0, 16) + 4 * m;
		wr32(local.base, clr, rd32(local.base, clr));
	}
	u32 timers = rd32(local.base, LOCAL_TIMER_INT_CONTROL0 + 4 * local.cpu) & 0xf;
	wr32(local.base, local_reg(LOCAL_TIMER_INT_CONTROL0, 4), timers);
	return {};
}

Result local_intc_init(of::Node node, of::Node parent)
{
	if (local.domain)
		return Errno::EBUSY;
	if (parent.valid()) {
		pr_err("bcm2836-l1-intc: expected to be the root controller\n");
		return Errno::EINVAL;
	}
	local.base = TRY(map_node(node, "bcm2836-l1-intc"));
	local.cpu = read_sysreg(mpidr_el1) & 0xff;
	if (local.cpu > 3) {
		pr_err("bcm2836-l1-intc: boot CPU %u has no bank\n", local.cpu);
		return Errno::ENODEV;
	}
	// Start from a known state: no timer or mailbox interrupt of ours enabled, no stale
	// mailbox message. The core-timer prescaler and the GPU routing (core 0) are the
	// firmware's: they also govern the counter frequency, which must not change under us.
	wr32(local.base, local_reg(LOCAL_TIMER_INT_CONTROL0, 4), 0);
	wr32(local.base, local_reg(LOCAL_MAILBOX_INT_CONTROL0, 4), 0);
	for (u32 m = 0; m < 4; m++) {
		u32 clr = local_reg(LOCAL_MAILBOX0_CLR0, 16) + 4 * m;
		wr32(local.base, clr, rd32(local.base, clr));
	}
	u32 routing = rd32(local.base, LOCAL_GPU_ROUTING);
	if ((routing & 3) != local.cpu)
		pr_warn("bcm2836-l1-intc: GPU interrupts are routed to core %u, not boot core %u\n", routing & 3,
			local.cpu);
	local.domain = irq_domain_add(node, &local_chip, &local, LOCAL_NR_IRQS);
	if (!local.domain)
		return Errno::ENOMEM;
	irq_set_soft_hwirqs(local.domain, LOCAL_IRQ_MAILBOX0, 4);
	TRY(set_handle_irq(local_handle_irq));
	if (cpuhp_setup_state("irqchip/bcm2836:starting", nullptr, local_starting_cpu).is_error())
		pr_warn("bcm2836-l1-intc: no CPU hotplug slot: secondary CPUs get no interrupts\n");
	pr_info("bcm2836-l1-intc: ARM local interrupt controller at %#lx, core %u\n",
		(unsigned long)node.reg_translated(0).value().address, local.cpu);
	return {};
}

// ---- BCM2835 ARMCTRL ------------------------------------------------------------------------

constexpr u32 ARMCTRL_NR_IRQS = 96;
constexpr u32 ARMCTRL_BANK0_MASK = 0xff; // basic pending bits 0-7 are bank 0's sources
// Per bank: pending, enable, disable.
constexpr u32 armctrl_pending[3] = {0x00, 0x04, 0x08};
constexpr u32 armctrl_enable[3] = {0x18, 0x10, 0x14};
constexpr u32 armctrl_disable[3] = {0x24, 0x1c, 0x20};

struct Armctrl {
	volatile u8 *base;
	IrqDomain *domain;
	u32 enabled[3]; // shadow of the enables: pending bits of masked sources are ignored
} armctrl;

void armctrl_mask(void *, u32 hwirq)
{
	u32 bank = hwirq / 32, bit = 1u << (hwirq % 32);
	wr32(armctrl.base, armctrl_disable[bank], bit);
	armctrl.enabled[bank] &= ~bit;
}
void armctrl_unmask(void *, u32 hwirq)
{
	u32 bank = hwirq / 32, bit = 1u << (hwirq % 32);
	armctrl.enabled[bank] |= bit;
	wr32(armctrl.base, armctrl_enable[bank], bit);
}

ErrorOr<IrqSpec> armctrl_xlate(void *, const u32 *c, u32 n)
{
	if (n < 2 || c[0] > 2 || c[1] >= 32 || (c[0] == 0 && c[1] >= 8))
		return Errno::EINVAL;
	return IrqSpec{c[0] * 32 + c[1], IrqType::LevelHigh};
}

const IrqChip armctrl_chip = {"ARMCTRL-level", armctrl_mask, armctrl_unmask, armctrl_xlate, nullptr, nullptr};

// The next pending enabled source, or -1.
int armctrl_next()
{
	u32 b0 = rd32(armctrl.base, armctrl_pending[0]) & ARMCTRL_BANK0_MASK & armctrl.enabled[0];
	if (b0)
		return __builtin_ctz(b0);
	for (u32 bank = 1; bank < 3; bank++) {
		u32 p = rd32(armctrl.base, armctrl_pending[bank]) & armctrl.enabled[bank];
		if (p)
			return static_cast<int>(bank * 32 + __builtin_ctz(p));
	}
	return -1;
}

void armctrl_dispatch(bool count_spurious)
{
	int hwirq = armctrl_next();
	if (hwirq < 0) {
		if (count_spurious)
			irq_note_spurious();
		return;
	}
	for (int i = 0; hwirq >= 0 && i < 32; i++) {
		generic_handle_domain_irq(armctrl.domain, static_cast<u32>(hwirq));
		hwirq = armctrl_next();
	}
}

IrqReturn armctrl_cascade(unsigned, void *)
{
	armctrl_dispatch(true);
	return IrqReturn::Handled;
}
void armctrl_handle_irq(pt_regs *) { armctrl_dispatch(true); }

Result armctrl_init(of::Node node, of::Node parent)
{
	if (armctrl.domain)
		return Errno::EBUSY;
	armctrl.base = TRY(map_node(node, "bcm2835-armctrl"));
	for (u32 b = 0; b < 3; b++) {
		wr32(armctrl.base, armctrl_disable[b], ~0u);
		armctrl.enabled[b] = 0;
	}
	armctrl.domain = irq_domain_add(node, &armctrl_chip, &armctrl, ARMCTRL_NR_IRQS);
	if (!armctrl.domain)
		return Errno::ENOMEM;
	if (parent.valid()) {
		unsigned virq = TRY(irq_of_parse_and_map(node, 0));
		TRY(request_irq(virq, armctrl_cascade, "bcm2835-armctrl cascade", &armctrl));
		pr_info("bcm2835-armctrl: at %#lx, chained to virq %u\n",
			(unsigned long)node.reg_translated(0).value().address, virq);
	} else {
		TRY(set_handle_irq(armctrl_handle_irq));
		pr_info("bcm2835-armctrl: at %#lx, root controller\n",
			(unsigned long)node.reg_translated(0).value().address);
	}
	return {};
}

} // namespace

IRQCHIP_DECLARE(bcm2836_l1_intc, "brcm,bcm2836-l1-intc", local_intc_init);
IRQCHIP_DECLARE(bcm2836_armctrl, "brcm,bcm2836-armctrl-ic", armctrl_init);
IRQCHIP_DECLARE(bcm2835_armctrl, "brcm,bcm2835-armctrl-ic", armctrl_init);
