// The interrupt core (Linux's kernel/irq, reduced): interrupt controllers, the virq number
// space, handlers and per-interrupt statistics.
//
// Contract:
// - Controllers are found from the device tree: every node with `interrupt-controller` whose
//   compatible matches an IRQCHIP_DECLARE record is initialised, parents before children
//   (Linux of_irq_init). A controller whose `interrupt-parent` resolves to itself, or which
//   has none, is a root controller; the first root installs handle_arch_irq.
// - A controller driver registers an IrqDomain: its hardware interrupt numbers (hwirq) and the
//   chip operations. Devices never see hwirqs: irq_of_parse_and_map(node, i) translates the
//   node's i-th `interrupts` specifier through its interrupt parent into a virq, which is what
//   request_irq/enable_irq/disable_irq take. Virq 0 means "no interrupt".
// - Handlers run with IRQs masked at the CPU, on the interrupted stack. An interrupt nobody
//   requested is counted (the ERR line of `interrupts`), reported a few times and masked; an
//   acknowledge that finds nothing pending is counted as spurious. Neither is fatal.
// - Single CPU for now: state is protected by masking IRQs locally (SMP will add a lock).
#pragma once

#include <asm/smp.h>

#include "kstd/result.h"
#include "kstd/types.h"
#include "lib/of/of.h"

struct pt_regs;

// Virqs 1..NR_IRQS-1 exist.
inline constexpr unsigned NR_IRQS = 128;

enum class IrqReturn { None, Handled };
using irq_handler_t = IrqReturn (*)(unsigned virq, void *dev);

enum class IrqType : u8 { None, EdgeRising, EdgeFalling, LevelHigh, LevelLow };

// An interrupt specifier decoded by a domain.
struct IrqSpec {
	u32 hwirq;
	IrqType type;
};

// A controller's operations on its own interrupt numbers. mask/unmask are required; the rest
// may be null. Called with IRQs masked.
struct IrqChip {
	const char *name; // the `interrupts` column, e.g. "GICv2"
	void (*mask)(void *data, u32 hwirq);
	void (*unmask)(void *data, u32 hwirq);
	// Decodes `cells` (#interrupt-cells of the controller); EINVAL for a bad specifier.
	ErrorOr<IrqSpec> (*xlate)(void *data, const u32 *cells, u32 ncells);
	// Programs the trigger of hwirq; EINVAL when the hardware cannot do it.
	Result (*set_type)(void *data, u32 hwirq, IrqType type);
	// Makes hwirq pending by software (GIC SGI, BCM2836 mailbox); EINVAL for other hwirqs.
	Result (*raise)(void *data, u32 hwirq);
	// The `interrupts` chip column for one hwirq where Linux gives parts of a controller
	// chips of their own (bcm2836-timer, bcm2836-gpu, ...); nullptr: `name` for all.
	const char *(*hwirq_chip_name)(u32 hwirq) = nullptr;
};

struct IrqDomain;

// Registers a controller for `node` with hwirqs 0..hwirq_count-1 (at most 1024). nullptr
// (with a message) when the domain table is full. The chip and data must live forever.
IrqDomain *irq_domain_add(of::Node node, const IrqChip *chip, void *data, u32 hwirq_count);
// The virq for hwirq, created on first use. ERANGE for a hwirq outside the domain, ENOSPC when
// every virq is in use.
ErrorOr<unsigned> irq_create_mapping(IrqDomain *d, u32 hwirq);
// Installs the root controller's entry (called by the root irqchip's init). EBUSY when a root
// controller already owns the CPU's IRQ exception.
Result set_handle_irq(void (*handler)(pt_regs *regs));
// For controller drivers: runs the handler of hwirq. Returns false when no handler is
// installed (then the interrupt was counted as unexpected and masked).
bool generic_handle_domain_irq(IrqDomain *d, u32 hwirq);
// For controller drivers: an acknowledge found nothing pending.
void irq_note_spurious();

// The node's index-th interrupt as a virq (Linux irq_of_parse_and_map). ENOENT when the node
// has no such interrupt, ENODEV when its controller has no driver, EINVAL for a malformed
// specifier. Messages name the node.
ErrorOr<unsigned> irq_of_parse_and_map(of::Node dev, usize index);

// Installs handler for virq and unmasks it. EINVAL for a virq without a mapping, EBUSY when it
// already has a handler (no sharing yet). `name` is shown by `interrupts`.
Result request_irq(unsigned virq, irq_handler_t handler, const char *name, void *dev);
// Masks virq and removes its handler (dev must match the one requested).
void free_irq(unsigned virq, void *dev);
// Nesting like Linux: n disable_irq calls need n enable_irq calls to unmask again. Lazy like
// Linux too: an interrupt that still arrives while disabled (a line the controller cannot
// mask, such as an always-enabled GICv2 SGI) is held and replayed by the last enable_irq
// (raised again, or for an edge line without that, handled there); a level line simply stays
// asserted until unmasked.
void disable_irq(unsigned virq);
void enable_irq(unsigned virq);
// Makes virq pending by software where its controller can (see IrqChip::raise).
Result irq_raise(unsigned virq);
// Self-test hook: unmasks virq's line although nobody requested it, so that the path for
// unexpected interrupts can be exercised. EINVAL for an unmapped virq, EBUSY when it has a
// handler.
Result irq_unmask_unrequested(unsigned virq);

// Statistics. irq_count: times virq's handler ran.
u64 irq_count(unsigned virq);
u64 irq_count_cpu(unsigned virq, unsigned cpu);
u64 irq_err_count();      // interrupts without a handler
// /proc/interrupts' generator (the console command and the /proc file).
struct seq_file;
void show_interrupts(seq_file *m);
u64 irq_spurious_count(); // acknowledges that found nothing pending

// Inter-processor interrupts, listed after the device lines as arm64's arch_show_interrupts
// lists them ("IPI0: <counts> Rescheduling interrupts"). The SMP code registers its IPI
// types and counts here; none until secondary CPUs exist.
struct IpiStat {
	const char *name;
	u64 count[NR_CPUS];
};
void irq_register_ipis(IpiStat *ipis, unsigned n);
// The root controller's first software-triggerable hwirqs as virqs (n = 0, 1, ...): test hooks
// that need no device. ENODEV when the root controller has none, ERANGE past the last.
ErrorOr<unsigned> irq_soft_virq(unsigned n);
// True once a root controller took over the IRQ exception.
bool irq_controller_ready();

// The root controller's soft hwirqs: set by its init with irq_set_soft_hwirqs.
void irq_set_soft_hwirqs(IrqDomain *d, u32 first, u32 count);

struct IrqchipDriver {
	const char *compatible;
	// parent is the interrupt parent's node, invalid for a root controller.
	Result (*init)(of::Node node, of::Node parent);
};

#define IRQCHIP_DECLARE(var, compat, fn)                                                    \
	[[gnu::used, gnu::section("irqchip_drivers")]] static const IrqchipDriver var = {compat, fn}

// Initialises every interrupt controller the DT describes (see the contract). Leaves CPU IRQs
// masked: the caller unmasks them once the devices it needs are set up. ENODEV when no root
// controller could be initialised.
Result irq_init(of::DeviceTree dt);
