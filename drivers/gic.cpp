// Arm Generic Interrupt Controller, v2 (QEMU virt's default, the Pi 4's GIC-400) and v3 (virt
// with gic-version=3), as the root interrupt controller of the boot CPU. Register layouts from
// the GICv2 (IHI 0048B) and GICv3 (IHI 0069) architecture specifications; initialisation
// follows Linux's irq-gic.c and irq-gic-v3.c.
//
// hwirq = GIC INTID: SGIs 0-15, PPIs 16-31, SPIs 32-1019. SGIs 8-15 are the soft hwirqs for
// self-tests (Linux keeps 0-7 for IPIs). Every interrupt is configured as non-secure Group 1
// (signalled as IRQ): on hardware the firmware's stub hands the GIC over that way (the Pi 4's
// armstub, TF-A), and QEMU does the same when it boots a kernel directly.
#include <asm/fixmap.h>
#include <asm/ptrace.h>
#include <asm/smp.h>
#include <asm/sysreg.h>

#include "kernel/irq.h"
#include "core/printk.h"

namespace {

constexpr u32 GIC_SPI_BASE = 32, GIC_PPI_BASE = 16, GIC_MAX_INTID = 1020;
constexpr u32 GIC_PRIO_DEFAULT = 0xa0;
constexpr u32 GIC_PMR_ALL = 0xf0; // lets every priority numerically below 0xf0 through
constexpr u32 SOFT_FIRST = 8, SOFT_COUNT = 8;

// Distributor (both versions).
enum Gicd : u32 {
	GICD_CTLR = 0x000,
	GICD_TYPER = 0x004,
	GICD_IGROUPR = 0x080,
	GICD_ISENABLER = 0x100,
	GICD_ICENABLER = 0x180,
	GICD_ICPENDR = 0x280,
	GICD_ICACTIVER = 0x380,
	GICD_IPRIORITYR = 0x400,
	GICD_ITARGETSR = 0x800,
	GICD_ICFGR = 0xc00,
	GICD_SGIR = 0xf00,
	GICD_IROUTER = 0x6000,
};
// GICv2 CPU interface.
enum Gicc : u32 {
	GICC_CTLR = 0x00,
	GICC_PMR = 0x04,
	GICC_BPR = 0x08,
	GICC_IAR = 0x0c,
	GICC_EOIR = 0x10,
};
// GICv3 redistributor: RD_base frame, then SGI_base frame 64 KiB above it.
enum Gicr : u32 {
	GICR_CTLR = 0x0000,
	GICR_TYPER = 0x0008,
	GICR_WAKER = 0x0014,
	GICR_SGI_BASE = 0x10000,
	GICR_FRAME_SIZE = 0x20000,
};
constexpr u32 GICD_CTLR_RWP = 1u << 31;
constexpr u32 GICD_CTLR_ARE_NS = 1u << 4, GICD_CTLR_ENABLE_G1A = 1u << 1, GICD_CTLR_ENABLE_G1 = 1u << 0;
constexpr u32 GICR_CTLR_RWP = 1u << 3;
constexpr u32 GICR_WAKER_PROCESSOR_SLEEP = 1u << 1, GICR_WAKER_CHILDREN_ASLEEP = 1u << 2;
constexpr u64 GICR_TYPER_LAST = 1u << 4, GICR_TYPER_VLPIS = 1u << 1;

inline u32 rd32(volatile u8 *b, u32 off) { return *reinterpret_cast<volatile u32 *>(b + off); }
inline void wr32(volatile u8 *b, u32 off, u32 v) { *reinterpret_cast<volatile u32 *>(b + off) = v; }
inline u64 rd64(volatile u8 *b, u32 off) { return *reinterpret_cast<volatile u64 *>(b + off); }
inline void wr64(volatile u8 *b, u32 off, u64 v) { *reinterpret_cast<volatile u64 *>(b + off) = v; }

// Waits for a register-write-pending bit to clear (GICv3 distributor or redistributor). A
// GIC that never finishes is a broken model or board: report once and carry on.
void wait_rwp(volatile u8 *base, u32 ctlr_off, u32 bit)
{
	for (u32 i = 0; i < 1000000; i++)
		if (!(rd32(base, ctlr_off) & bit))
			return;
	pr_err("GIC: register write still pending after 1000000 polls\n");
}

struct Gic {
	int version;
	volatile u8 *dist;
	volatile u8 *cpu;    // GICv2 CPU interface
	volatile u8 *rd[NR_CPUS]; // GICv3 redistributor (RD_base) of each logical CPU
	u32 nr_irqs;         // INTIDs implemented, below 1020
	IrqDomain *domain;
	// The PPIs enabled through the chip (bit n = INTID 16 + n). Their enables are banked per
	// CPU, and the IRQ core has no per-CPU enable yet (Linux's enable_percpu_irq, which each
	// driver calls on each CPU): a secondary's CPU interface starts with the same PPIs
	// enabled as the boot CPU has, so the timer PPI fires on every CPU.
	u32 ppi_enabled;
	// PPIs a secondary masked through the IRQ core's lazy disable (a per-CPU interrupt that
	// arrived while the boot CPU had it disabled): the boot CPU's unmask re-enables them there
	// (GICv3: through that CPU's redistributor; GICv2, whose PPI enables only their own CPU
	// can write: with GIC_RESYNC_SGI, which makes that CPU reapply ppi_enabled).
	u32 lazy_masked[NR_CPUS];
	u8 cpu_if_mask[NR_CPUS]; // GICv2: each CPU's interface bit (GICD_ITARGETSR/SGIR target)
};
Gic gic;
// The last of the SGIs Linux keeps for IPIs (0-7; 8-15 are the self-tests' soft hwirqs):
// private to this driver until the SMP scheduler's IPIs take the range over.
constexpr u32 GIC_RESYNC_SGI = 7;

ErrorOr<IrqSpec> gic_xlate(void *, const u32 *c, u32 n)
{
	if (n < 3)
		return Errno::EINVAL;
	u32 hwirq;
	if (c[0] == 0 && c[1] < GIC_MAX_INTID - GIC_SPI_BASE)
		hwirq = c[1] + GIC_SPI_BASE;
	else if (c[0] == 1 && c[1] < 16)
		hwirq = c[1] + GIC_PPI_BASE;
	else
		return Errno::EINVAL;
	IrqType t;
	switch (c[2] & 0xf) {
	case 1: t = IrqType::EdgeRising; break;
	case 2: t = IrqType::EdgeFalling; break;
	case 4: t = IrqType::LevelHigh; break;
	case 8: t = IrqType::LevelLow; break;
	default: t = IrqType::None;
	}
	return IrqSpec{hwirq, t};
}

// Enable/disable/config registers of SGIs and PPIs are banked per CPU: in the distributor
// on GICv2, in the redistributor's SGI frame on GICv3.
volatile u8 *bank_base(u32 hwirq)
{
	return gic.version == 3 && hwirq < GIC_SPI_BASE ? gic.rd[smp_processor_id()] + GICR_SGI_BASE : gic.dist;
}

void gic_poke(u32 hwirq, u32 reg)
{
	wr32(bank_base(hwirq), reg + (hwirq / 32) * 4, 1u << (hwirq % 32));
	if (gic.version == 3) {
		if (hwirq < GIC_SPI_BASE)
			wait_rwp(gic.rd[smp_processor_id()], GICR_CTLR, GICR_CTLR_RWP);
		else
			wait_rwp(gic.dist, GICD_CTLR, GICD_CTLR_RWP);
	}
}
// Only the boot CPU's enables feed the shadow: a secondary masks a PPI only through the IRQ
// core's lazy disable (it never calls disable_irq/free_irq itself), which must not take the
// line away from CPUs brought up later.
bool is_ppi(u32 hwirq) { return hwirq >= GIC_PPI_BASE && hwirq < GIC_SPI_BASE; }

void gic_mask(void *, u32 hwirq)
{
	if (is_ppi(hwirq)) {
		u32 bit = 1u << (hwirq - GIC_PPI_BASE);
		if (unsigned cpu = smp_processor_id(); cpu == 0)
			__atomic_fetch_and(&gic.ppi_enabled, ~bit, __ATOMIC_RELAXED);
		else
			__atomic_fetch_or(&gic.lazy_masked[cpu], bit, __ATOMIC_RELAXED);
	}
	gic_poke(hwirq, GICD_ICENABLER);
}

void gicv2_send_sgi(u32 target_mask, u32 sgi)
{
	dsb(ishst); // the state the SGI's handler reads is visible first
	wr32(gic.dist, GICD_SGIR, (target_mask & 0xff) << 16 | sgi); // TargetListFilter 0: the list
}

// The boot CPU re-enabled a PPI: give it back to the secondaries whose lazy disable masked it.
void gic_resync_secondaries(u32 bit)
{
	for (unsigned cpu = 1; cpu < NR_CPUS; cpu++) {
		if (!(__atomic_load_n(&gic.lazy_masked[cpu], __ATOMIC_RELAXED) & bit))
			continue;
		if (gic.version == 3) {
			__atomic_fetch_and(&gic.lazy_masked[cpu], ~bit, __ATOMIC_RELAXED);
			wr32(gic.rd[cpu] + GICR_SGI_BASE, GICD_ISENABLER, bit << GIC_PPI_BASE);
			wait_rwp(gic.rd[cpu], GICR_CTLR, GICR_CTLR_RWP);
		} else {
			gicv2_send_sgi(gic.cpu_if_mask[cpu], GIC_RESYNC_SGI);
		}
	}
}

void gic_unmask(void *, u32 hwirq)
{
	gic_poke(hwirq, GICD_ISENABLER);
	if (is_ppi(hwirq) && smp_processor_id() == 0) {
		u32 bit = 1u << (hwirq - GIC_PPI_BASE);
		__atomic_fetch_or(&gic.ppi_enabled, bit, __ATOMIC_RELAXED);
		gic_resync_secondaries(bit);
	}
}

Result gic_set_type(void *, u32 hwirq, IrqType type)
{
	bool edge = type == IrqType::EdgeRising || type == IrqType::EdgeFalling;
	if (hwirq < GIC_PPI_BASE) // SGIs are always edge-triggered
		return edge ? Result{} : Result{Errno::EINVAL};
	volatile u8 *b = bank_base(hwirq);
	u32 off = GICD_ICFGR + (hwirq / 16) * 4;
	u32 shift = (hwirq % 16) * 2 + 1;
	// The GIC only tells level from edge; polarity is fixed by the wiring. Writes to
	// read-only configuration bits (some PPIs) are ignored by the hardware: read back.
	u32 v = rd32(b, off);
	u32 nv = edge ? v | (1u << shift) : v & ~(1u << shift);
	if (nv == v)
		return {};
	wr32(b, off, nv);
	return ((rd32(b, off) >> shift) & 1) == edge ? Result{} : Result{Errno::EINVAL};
}

// ---- GICv2 -------------------------------------------------------------------------------

Result gicv2_raise(void *, u32 hwirq)
{
	if (hwirq >= 16)
		return Errno::EINVAL;
	// TargetListFilter 0b10: forward only to the requesting CPU.
	dsb(ishst);
	wr32(gic.dist, GICD_SGIR, (2u << 24) | hwirq);
	return {};
}

void gicv2_handle_irq(pt_regs *)
{
	for (bool first = true;; first = false) {
		u32 iar = rd32(gic.cpu, GICC_IAR);
		u32 intid = iar & 0x3ff;
		if (intid >= GIC_MAX_INTID) {
			if (first)
				irq_note_spurious();
			return;
		}
		if (intid == GIC_RESYNC_SGI && smp_processor_id() != 0) {
			// The boot CPU re-enabled PPIs this CPU's lazy disable had masked.
			unsigned cpu = smp_processor_id();
			u32 bits = __atomic_exchange_n(&gic.lazy_masked[cpu], 0, __ATOMIC_RELAXED) &
				   __atomic_load_n(&gic.ppi_enabled, __ATOMIC_RELAXED);
			if (bits)
				wr32(gic.dist, GICD_ISENABLER, bits << GIC_PPI_BASE);
		} else {
			generic_handle_domain_irq(gic.domain, intid);
		}
		wr32(gic.cpu, GICC_EOIR, iar);
	}
}

// "GIC-0": what Linux's gic_irq_print_chip shows for the first GICv2.
const IrqChip gicv2_chip = {"GIC-0", gic_mask, gic_unmask, gic_xlate, gic_set_type, gicv2_raise};

// The byte of GICD_ITARGETSR that names this CPU (banked; reads as its own bit).
u8 gicv2_cpumask()
{
	for (u32 i = 0; i < 32; i += 4) {
		u32 v = rd32(gic.dist, GICD_ITARGETSR + i);
		v |= v >> 16;
		v |= v >> 8;
		if (v & 0xff)
			return static_cast<u8>(v);
	}
	return 1; // a uniprocessor GIC may read as zero: CPU interface 0
}

ErrorOr<volatile u8 *> map_reg(of::Node n, usize index, u64 min_size, const char *what)
{
	auto r = n.reg_translated(index);
	if (r.is_error()) {
		pr_err("GIC: no %s in reg[%zu] (%s)\n", what, index, r.error().name());
		return r.error();
	}
	u64 size = r.value().size < min_size ? min_size : r.value().size;
	void *p = early_ioremap(PhysAddr(r.value().address), size);
	if (!p)
		return Errno::ENOMEM;
	return static_cast<volatile u8 *>(p);
}

void dist_config_spis(u32 reg_stride_irqs_per_word, u32 reg, u32 value)
{
	for (u32 i = GIC_SPI_BASE; i < gic.nr_irqs; i += reg_stride_irqs_per_word)
		wr32(gic.dist, reg + i / reg_stride_irqs_per_word * 4, value);
}

// Banked SGI/PPI state of the calling CPU (Linux's gic_cpu_init): PPIs off until requested,
// SGIs on.
void gicv2_cpu_init()
{
	wr32(gic.dist, GICD_ICACTIVER, ~0u);
	wr32(gic.dist, GICD_ICENABLER, 0xffff0000u);
	wr32(gic.dist, GICD_ISENABLER, 0x0000ffffu);
	for (u32 i = 0; i < 32; i += 4)
		wr32(gic.dist, GICD_IPRIORITYR + i, GIC_PRIO_DEFAULT * 0x01010101u);
}

// The calling CPU's interface (banked at the same address on every CPU).
void gicv2_cpu_if_init()
{
	wr32(gic.cpu, GICC_PMR, GIC_PMR_ALL);
	wr32(gic.cpu, GICC_BPR, 0);
	wr32(gic.cpu, GICC_CTLR, (rd32(gic.cpu, GICC_CTLR) & 0x1e0u) | 1); // keep the bypass bits, EOImode 0
}

// CPUHP_AP_IRQ_GIC_STARTING on a secondary: its banked state, the boot CPU's PPIs, its
// CPU interface.
Result gicv2_starting_cpu(unsigned cpu)
{
	gic.cpu_if_mask[cpu] = gicv2_cpumask();
	gicv2_cpu_init();
	u32 ppis = __atomic_load_n(&gic.ppi_enabled, __ATOMIC_RELAXED);
	if (ppis)
		wr32(gic.dist, GICD_ISENABLER, ppis << GIC_PPI_BASE);
	gicv2_cpu_if_init();
	return {};
}

Result gicv2_init(of::Node node, of::Node parent)
{
	if (gic.domain)
		return Errno::EBUSY; // one GIC per system
	gic.version = 2;
	gic.dist = TRY(map_reg(node, 0, 0x1000, "distributor"));
	gic.cpu = TRY(map_reg(node, 1, 0x1000, "CPU interface"));
	u32 lines = ((rd32(gic.dist, GICD_TYPER) & 0x1f) + 1) * 32;
	gic.nr_irqs = lines < GIC_MAX_INTID ? lines : GIC_MAX_INTID;

	wr32(gic.dist, GICD_CTLR, 0);
	u32 mask = gicv2_cpumask();
	mask |= mask << 8;
	mask |= mask << 16;
	dist_config_spis(16, GICD_ICFGR, 0); // level
	dist_config_spis(4, GICD_ITARGETSR, mask);
	dist_config_spis(4, GICD_IPRIORITYR, GIC_PRIO_DEFAULT * 0x01010101u);
	dist_config_spis(32, GICD_ICACTIVER, ~0u);
	dist_config_spis(32, GICD_ICENABLER, ~0u);
	gicv2_cpu_init();
	wr32(gic.dist, GICD_CTLR, 1);
	gicv2_cpu_if_init();

	gic.domain = irq_domain_add(node, &gicv2_chip, &gic, gic.nr_irqs);
	if (!gic.domain)
		return Errno::ENOMEM;
	irq_set_soft_hwirqs(gic.domain, SOFT_FIRST, SOFT_COUNT);
	TRY(set_handle_irq(gicv2_handle_irq));
	if (cpuhp_setup_state("irqchip/arm/gic:starting", nullptr, gicv2_starting_cpu).is_error())
		pr_warn("GIC: no CPU hotplug slot: secondary CPUs get no interrupts\n");
	auto d = node.reg_translated(0);
	pr_info("GIC: GICv2 at %#lx, %u interrupts, CPU mask %#x\n", (unsigned long)d.value().address,
		gic.nr_irqs, mask & 0xff);
	return {};
}

// ---- GICv3 -------------------------------------------------------------------------------

inline u64 read_icc_iar1() { u64 v; asm volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v)); return v; }
inline void write_icc_eoir1(u64 v) { asm volatile("msr S3_0_C12_C12_1, %0" ::"r"(v)); }
inline u64 read_icc_sre() { u64 v; asm volatile("mrs %0, S3_0_C12_C12_5" : "=r"(v)); return v; }
inline void write_icc_sre(u64 v) { asm volatile("msr S3_0_C12_C12_5, %0" ::"r"(v)); }
inline void write_icc_pmr(u64 v) { asm volatile("msr S3_0_C4_C6_0, %0" ::"r"(v)); }
inline void write_icc_bpr1(u64 v) { asm volatile("msr S3_0_C12_C12_3, %0" ::"r"(v)); }
inline void write_icc_ctlr(u64 v) { asm volatile("msr S3_0_C12_C12_4, %0" ::"r"(v)); }
inline void write_icc_igrpen1(u64 v) { asm volatile("msr S3_0_C12_C12_7, %0" ::"r"(v)); }
inline void write_icc_sgi1r(u64 v) { asm volatile("msr S3_0_C12_C11_5, %0" ::"r"(v)); }

// aff3:aff2:aff1:aff0 of an MPIDR value as in GICR_TYPER[63:32].
u64 mpidr_affinity(u64 m)
{
	return (m & 0xffffff) | ((m >> 32) & 0xff) << 24; // aff3:aff2:aff1:aff0 as in GICR_TYPER
}

Result gicv3_raise(void *, u32 hwirq)
{
	if (hwirq >= 16)
		return Errno::EINVAL;
	u64 m = read_sysreg(mpidr_el1);
	u64 aff0 = m & 0xff;
	if (aff0 >= 16)
		return Errno::EINVAL; // needs the range selector; no such CPU here
	u64 v = (1ull << aff0) | ((m >> 8) & 0xff) << 16 | u64(hwirq) << 24 | ((m >> 16) & 0xff) << 32 |
		((m >> 32) & 0xff) << 48;
	dsb(ishst); // the SGI must not overtake earlier stores its handler reads
	write_icc_sgi1r(v);
	isb();
	return {};
}

void gicv3_handle_irq(pt_regs *)
{
	for (bool first = true;; first = false) {
		u64 iar = read_icc_iar1();
		u32 intid = static_cast<u32>(iar & 0xffffff);
		if (intid >= GIC_MAX_INTID && intid < 8192) {
			if (first)
				irq_note_spurious();
			return;
		}
		generic_handle_domain_irq(gic.domain, intid);
		write_icc_eoir1(iar);
		isb();
	}
}

const IrqChip gicv3_chip = {"GICv3", gic_mask, gic_unmask, gic_xlate, gic_set_type, gicv3_raise};

// Finds this CPU's redistributor: frames are 128 KiB (256 KiB with VLPIs), the last one of a
// region has GICR_TYPER.Last. Only the RD_base page of each probed frame is mapped.
ErrorOr<volatile u8 *> gicv3_find_rd(of::Node node, u64 mpidr)
{
	u32 regions = node.read_u32("#redistributor-regions").value_or(1);
	u64 aff = mpidr_affinity(mpidr);
	for (u32 r = 0; r < regions; r++) {
		auto reg = node.reg_translated(1 + r);
		if (reg.is_error())
			break;
		for (u64 off = 0; off + GICR_FRAME_SIZE <= reg.value().size || off == 0;) {
			PhysAddr pa(reg.value().address + off);
			auto *p = static_cast<volatile u8 *>(early_ioremap(pa, PAGE_SIZE));
			if (!p)
				return Errno::ENOMEM;
			u64 typer = rd64(p, GICR_TYPER);
			if ((typer >> 32) == aff) {
				auto *frame = static_cast<volatile u8 *>(early_ioremap(pa, GICR_FRAME_SIZE));
				if (!frame)
					return Errno::ENOMEM;
				return frame;
			}
			if (typer & GICR_TYPER_LAST)
				break;
			off += (typer & GICR_TYPER_VLPIS) ? 2 * GICR_FRAME_SIZE : GICR_FRAME_SIZE;
		}
	}
	pr_err("GIC: no redistributor for MPIDR affinity %#lx\n", (unsigned long)aff);
	return Errno::ENODEV;
}

// Wakes the calling CPU's redistributor and sets up its SGI/PPI frame (Linux's
// gic_enable_redist + gic_cpu_init): Group 1, PPIs off until requested, SGIs on.
Result gicv3_cpu_init()
{
	volatile u8 *rd = gic.rd[smp_processor_id()];
	wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	for (u32 i = 0; rd32(rd, GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP; i++)
		if (i == 1000000)
			return Errno::ETIMEDOUT; // reported by the caller (the boot CPU for a secondary)
	volatile u8 *sgi = rd + GICR_SGI_BASE;
	wr32(sgi, GICD_IGROUPR, ~0u);
	wr32(sgi, GICD_ICACTIVER, ~0u);
	wr32(sgi, GICD_ICENABLER, 0xffff0000u);
	wr32(sgi, GICD_ISENABLER, 0x0000ffffu);
	for (u32 i = 0; i < 32; i += 4)
		wr32(sgi, GICD_IPRIORITYR + i, GIC_PRIO_DEFAULT * 0x01010101u);
	wait_rwp(rd, GICR_CTLR, GICR_CTLR_RWP);
	return {};
}

// The calling CPU's system-register interface (Linux's gic_cpu_sys_reg_init).
void gicv3_cpu_if_init()
{
	write_icc_sre(read_icc_sre() | 1);
	isb();
	write_icc_pmr(GIC_PMR_ALL);
	write_icc_bpr1(0);
	write_icc_ctlr(0); // EOImode 0: EOI drops priority and deactivates
	write_icc_igrpen1(1);
	isb();
}

of::Node gicv3_node;

// CPUHP_BP_PREPARE on the boot CPU: find (and map) the new CPU's redistributor.
Result gicv3_prepare_cpu(unsigned cpu, u64 mpidr)
{
	if (gic.rd[cpu])
		return {};
	gic.rd[cpu] = TRY(gicv3_find_rd(gicv3_node, mpidr));
	return {};
}

// CPUHP_AP_IRQ_GIC_STARTING on the secondary itself.
Result gicv3_starting_cpu(unsigned cpu)
{
	if (!(read_icc_sre() & 1)) {
		write_icc_sre(read_icc_sre() | 1);
		isb();
		if (!(read_icc_sre() & 1))
			return Errno::ENODEV;
	}
	TRY(gicv3_cpu_init());
	u32 ppis = __atomic_load_n(&gic.ppi_enabled, __ATOMIC_RELAXED);
	if (ppis) {
		wr32(gic.rd[cpu] + GICR_SGI_BASE, GICD_ISENABLER, ppis << GIC_PPI_BASE);
		wait_rwp(gic.rd[cpu], GICR_CTLR, GICR_CTLR_RWP);
	}
	gicv3_cpu_if_init();
	return {};
}

Result gicv3_init(of::Node node, of::Node parent)
{
	if (gic.domain)
		return Errno::EBUSY;
	gic.version = 3;
	gic.dist = TRY(map_reg(node, 0, 0x10000, "distributor"));
	// EL2 (head.S) or the firmware must have allowed the system-register interface.
	write_icc_sre(read_icc_sre() | 1);
	isb();
	if (!(read_icc_sre() & 1)) {
		pr_err("GIC: GICv3 system register interface disabled by a higher exception level\n");
		return Errno::ENODEV;
	}
	u32 lines = ((rd32(gic.dist, GICD_TYPER) & 0x1f) + 1) * 32;
	gic.nr_irqs = lines < GIC_MAX_INTID ? lines : GIC_MAX_INTID;

	wr32(gic.dist, GICD_CTLR, 0);
	wait_rwp(gic.dist, GICD_CTLR, GICD_CTLR_RWP);
	dist_config_spis(32, GICD_IGROUPR, ~0u);
	dist_config_spis(16, GICD_ICFGR, 0);
	dist_config_spis(4, GICD_IPRIORITYR, GIC_PRIO_DEFAULT * 0x01010101u);
	dist_config_spis(32, GICD_ICACTIVER, ~0u);
	dist_config_spis(32, GICD_ICENABLER, ~0u);
	wait_rwp(gic.dist, GICD_CTLR, GICD_CTLR_RWP);
	wr32(gic.dist, GICD_CTLR, GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A | GICD_CTLR_ENABLE_G1);
	wait_rwp(gic.dist, GICD_CTLR, GICD_CTLR_RWP);
	u64 m = read_sysreg(mpidr_el1);
	u64 route = (m & 0xffffff) | ((m >> 32) & 0xff) << 32;
	for (u32 i = GIC_SPI_BASE; i < gic.nr_irqs; i++)
		wr64(gic.dist, GICD_IROUTER + i * 8, route);

	gic.rd[0] = TRY(gicv3_find_rd(node, read_sysreg(mpidr_el1)));
	if (Result r = gicv3_cpu_init(); r.is_error()) {
		pr_err("GIC: redistributor did not wake up\n");
		return r;
	}
	gicv3_cpu_if_init();

	gic.domain = irq_domain_add(node, &gicv3_chip, &gic, gic.nr_irqs);
	if (!gic.domain)
		return Errno::ENOMEM;
	irq_set_soft_hwirqs(gic.domain, SOFT_FIRST, SOFT_COUNT);
	TRY(set_handle_irq(gicv3_handle_irq));
	gicv3_node = node;
	if (cpuhp_setup_state("irqchip/arm/gicv3:starting", gicv3_prepare_cpu, gicv3_starting_cpu).is_error())
		pr_warn("GIC: no CPU hotplug slot: secondary CPUs get no interrupts\n");
	auto d = node.reg_translated(0);
	pr_info("GIC: GICv3 at %#lx, %u SPIs, redistributor for affinity %#lx\n", (unsigned long)d.value().address,
		gic.nr_irqs - GIC_SPI_BASE, (unsigned long)mpidr_affinity(read_sysreg(mpidr_el1)));
	return {};
}

} // namespace

IRQCHIP_DECLARE(gic400, "arm,gic-400", gicv2_init);
IRQCHIP_DECLARE(cortex_a15_gic, "arm,cortex-a15-gic", gicv2_init);
IRQCHIP_DECLARE(cortex_a9_gic, "arm,cortex-a9-gic", gicv2_init);
IRQCHIP_DECLARE(cortex_a7_gic, "arm,cortex-a7-gic", gicv2_init);
IRQCHIP_DECLARE(gic_v3, "arm,gic-v3", gicv3_init);
