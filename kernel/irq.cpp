// The interrupt core: see kernel/irq.h for the contract.
#include "kernel/irq.h"

#include <asm/irqflags.h>
#include <asm/traps.h>

#include "kernel/console.h"
#include "core/cpumask.h"
#include "core/printk.h"
#include "kernel/shell.h"
#include "kstd/string.h"
#include "lib/seq_file.h"

extern "C" const IrqchipDriver __start_irqchip_drivers[], __stop_irqchip_drivers[];

namespace {

constexpr u32 MAX_HWIRQS = 1024;
constexpr unsigned MAX_DOMAINS = 4;
// Unexpected interrupts are reported this many times, then only counted.
constexpr unsigned UNEXPECTED_REPORTS = 5;

} // namespace

struct IrqDomain {
	of::Node node;
	const IrqChip *chip;
	void *data;
	u32 hwirq_count;
	u32 soft_first, soft_count;
	u16 revmap[MAX_HWIRQS]; // hwirq -> virq, 0 = unmapped
};

namespace {

struct IrqDesc {
	IrqDomain *domain; // nullptr: virq free
	u32 hwirq;
	IrqType type;
	irq_handler_t handler;
	void *dev;
	const char *name;
	u64 count[NR_CPUS]; // handler runs per CPU (Linux's kstat_irqs)
	unsigned depth; // disable_irq nesting; masked while > 0 or without a handler
	bool pending;   // arrived while disabled; replayed by enable_irq (edge/soft only)
};

IrqDomain domains[MAX_DOMAINS];
unsigned nr_domains;
IrqDesc descs[NR_IRQS];
IrqDomain *root_domain;
u64 err_count, spurious_count;
unsigned unexpected_reported;
bool handler_installed;

IrqDesc *desc_of(unsigned virq)
{
	if (virq == 0 || virq >= NR_IRQS || !descs[virq].domain)
		return nullptr;
	return &descs[virq];
}

IrqDomain *domain_for(of::Node n)
{
	for (unsigned i = 0; i < nr_domains; i++)
		if (domains[i].node == n)
			return &domains[i];
	return nullptr;
}

// Linux of_irq_find_parent: follow `interrupt-parent`, else the tree parent, until a node
// with #interrupt-cells. Bounded: a phandle loop in a hostile DT must not hang the boot.
of::Node find_interrupt_parent(of::DeviceTree dt, of::Node n)
{
	for (int depth = 0; depth < of::FDT_MAX_DEPTH && n.valid(); depth++) {
		if (auto ph = n.read_u32("interrupt-parent"))
			n = dt.find_by_phandle(ph.value());
		else
			n = n.parent();
		if (n.valid() && n.has_property("#interrupt-cells"))
			return n;
	}
	return of::Node();
}

void node_path(of::Node n, char *buf, usize len)
{
	if (n.path(buf, len).is_error())
		kstd::strlcpy(buf, n.name(), len);
}

const char *type_name(IrqType t)
{
	switch (t) {
	case IrqType::EdgeRising:
	case IrqType::EdgeFalling: return "Edge";
	case IrqType::LevelHigh:
	case IrqType::LevelLow: return "Level";
	default: return "Edge"; // Linux: whatever is not level shows as Edge
	}
}

} // namespace

IrqDomain *irq_domain_add(of::Node node, const IrqChip *chip, void *data, u32 hwirq_count)
{
	if (nr_domains == MAX_DOMAINS || hwirq_count > MAX_HWIRQS) {
		pr_err("irq: cannot register %s: %s\n", chip->name,
		       nr_domains == MAX_DOMAINS ? "domain table full" : "too many hwirqs");
		return nullptr;
	}
	IrqDomain *d = &domains[nr_domains++];
	d->node = node;
	d->chip = chip;
	d->data = data;
	d->hwirq_count = hwirq_count;
	d->soft_first = d->soft_count = 0;
	memset(d->revmap, 0, sizeof(d->revmap));
	return d;
}

ErrorOr<unsigned> irq_create_mapping(IrqDomain *d, u32 hwirq)
{
	if (hwirq >= d->hwirq_count)
		return Errno::ERANGE;
	if (d->revmap[hwirq])
		return static_cast<unsigned>(d->revmap[hwirq]);
	irqflags_t f = arch_local_irq_save();
	for (unsigned v = 1; v < NR_IRQS; v++)
		if (!descs[v].domain) {
			descs[v] = IrqDesc{d, hwirq, IrqType::None, nullptr, nullptr, nullptr, {}, 1, false};
			d->revmap[hwirq] = static_cast<u16>(v);
			arch_local_irq_restore(f);
			return v;
		}
	arch_local_irq_restore(f);
	pr_err("irq: no free virq for %s hwirq %u (NR_IRQS %u)\n", d->chip->name, hwirq, NR_IRQS);
	return Errno::ENOSPC;
}

Result set_handle_irq(void (*handler)(pt_regs *regs))
{
	if (handler_installed)
		return Errno::EBUSY;
	handle_arch_irq = handler;
	handler_installed = true;
	return {};
}

bool irq_controller_ready() { return handler_installed; }

void irq_set_soft_hwirqs(IrqDomain *d, u32 first, u32 count)
{
	d->soft_first = first;
	d->soft_count = count;
}

bool generic_handle_domain_irq(IrqDomain *d, u32 hwirq)
{
	unsigned virq = hwirq < d->hwirq_count ? d->revmap[hwirq] : 0;
	IrqDesc *desc = virq ? &descs[virq] : nullptr;
	if (!desc || !desc->handler) {
		err_count++;
		if (unexpected_reported < UNEXPECTED_REPORTS) {
			unexpected_reported++;
			pr_warn("irq: unexpected IRQ trap: %s hwirq %u (virq %u) has no handler; masking it\n",
				d->chip->name, hwirq, virq);
		}
		if (hwirq < d->hwirq_count)
			d->chip->mask(d->data, hwirq);
		return false;
	}
	if (desc->depth) {
		// Lazy disable (Linux): some lines cannot be masked at the controller (GICv2 SGIs
		// may be always enabled), so a disabled interrupt can still arrive. Keep it for
		// enable_irq and mask it where the hardware can.
		desc->pending = true;
		d->chip->mask(d->data, hwirq);
		return true;
	}
	desc->count[smp_processor_id()]++;
	desc->handler(virq, desc->dev);
	return true;
}

void irq_note_spurious() { spurious_count++; }

ErrorOr<unsigned> irq_of_parse_and_map(of::Node dev, usize index)
{
	of::DeviceTree dt = of::boot_tree();
	char path[96];
	of::Node ctrl;
	const u8 *spec = nullptr;
	u32 ncells = 0;

	if (auto ext = dev.property("interrupts-extended")) {
		// <phandle cells...>, each entry sized by its controller's #interrupt-cells.
		auto p = ext.value();
		usize off = 0;
		for (usize i = 0;; i++) {
			if (off + 4 > p.size())
				return Errno::ENOENT;
			ctrl = dt.find_by_phandle(of::be32_at(p.data() + off));
			auto c = ctrl.read_u32("#interrupt-cells");
			if (c.is_error() || c.value() > 4 || off + 4 + 4 * c.value() > p.size()) {
				node_path(dev, path, sizeof(path));
				pr_err("irq: %s: malformed interrupts-extended\n", path);
				return Errno::EINVAL;
			}
			if (i == index) {
				spec = p.data() + off + 4;
				ncells = c.value();
				break;
			}
			off += 4 + 4 * c.value();
		}
	} else {
		auto prop = dev.property("interrupts");
		if (prop.is_error())
			return Errno::ENOENT;
		ctrl = find_interrupt_parent(dt, dev);
		auto c = ctrl.read_u32("#interrupt-cells");
		if (c.is_error() || c.value() == 0 || c.value() > 4) {
			node_path(dev, path, sizeof(path));
			pr_err("irq: %s: interrupt parent missing or without a usable #interrupt-cells\n", path);
			return Errno::EINVAL;
		}
		ncells = c.value();
		if ((index + 1) * ncells * 4 > prop.value().size())
			return Errno::ENOENT;
		spec = prop.value().data() + index * ncells * 4;
	}

	IrqDomain *d = domain_for(ctrl);
	if (!d) {
		node_path(dev, path, sizeof(path));
		char cpath[96];
		node_path(ctrl, cpath, sizeof(cpath));
		pr_err("irq: %s: interrupt controller %s has no driver\n", path, cpath);
		return Errno::ENODEV;
	}
	u32 cells[4];
	for (u32 i = 0; i < ncells; i++)
		cells[i] = of::be32_at(spec + 4 * i);
	auto s = d->chip->xlate(d->data, cells, ncells);
	if (s.is_error()) {
		node_path(dev, path, sizeof(path));
		pr_err("irq: %s: bad interrupt specifier %zu for %s\n", path, index, d->chip->name);
		return s.error();
	}
	unsigned virq = TRY(irq_create_mapping(d, s.value().hwirq));
	IrqDesc &desc = descs[virq];
	if (s.value().type != IrqType::None && desc.type != s.value().type) {
		if (d->chip->set_type && d->chip->set_type(d->data, s.value().hwirq, s.value().type).is_error()) {
			node_path(dev, path, sizeof(path));
			pr_warn("irq: %s: %s cannot use trigger %s for hwirq %u; keeping the current one\n", path,
				d->chip->name, type_name(s.value().type), s.value().hwirq);
		} else
			desc.type = s.value().type;
	}
	return virq;
}

Result request_irq(unsigned virq, irq_handler_t handler, const char *name, void *dev)
{
	IrqDesc *d = desc_of(virq);
	if (!d || !handler)
		return Errno::EINVAL;
	irqflags_t f = arch_local_irq_save();
	if (d->handler) {
		arch_local_irq_restore(f);
		return Errno::EBUSY;
	}
	d->handler = handler;
	d->dev = dev;
	d->name = name;
	d->depth = 0;
	d->pending = false;
	d->domain->chip->unmask(d->domain->data, d->hwirq);
	arch_local_irq_restore(f);
	return {};
}

void free_irq(unsigned virq, void *dev)
{
	IrqDesc *d = desc_of(virq);
	if (!d || !d->handler || d->dev != dev) {
		pr_warn("irq: free_irq(%u) of an interrupt not requested with this cookie\n", virq);
		return;
	}
	irqflags_t f = arch_local_irq_save();
	d->domain->chip->mask(d->domain->data, d->hwirq);
	d->handler = nullptr;
	d->dev = nullptr;
	d->name = nullptr;
	d->depth = 1;
	arch_local_irq_restore(f);
}

void disable_irq(unsigned virq)
{
	IrqDesc *d = desc_of(virq);
	if (!d)
		return;
	irqflags_t f = arch_local_irq_save();
	if (d->depth++ == 0)
		d->domain->chip->mask(d->domain->data, d->hwirq);
	arch_local_irq_restore(f);
}

void enable_irq(unsigned virq)
{
	IrqDesc *d = desc_of(virq);
	if (!d)
		return;
	irqflags_t f = arch_local_irq_save();
	if (d->depth == 0)
		pr_warn("irq: unbalanced enable_irq(%u)\n", virq);
	else if (--d->depth == 0 && d->handler) {
		d->domain->chip->unmask(d->domain->data, d->hwirq);
		// A level-triggered line is still asserted and comes back by itself; an edge or a
		// software-raised one is gone from the controller and is raised again.
		bool edge = d->type == IrqType::EdgeRising || d->type == IrqType::EdgeFalling;
		if (d->pending && d->domain->chip->raise)
			(void)d->domain->chip->raise(d->domain->data, d->hwirq);
		else if (d->pending && edge) {
			// No hardware retrigger: run the handler here, IRQs still masked as in an
			// interrupt (Linux's software resend).
			d->count[smp_processor_id()]++;
			d->handler(virq, d->dev);
		}
		d->pending = false;
	}
	arch_local_irq_restore(f);
}

Result irq_raise(unsigned virq)
{
	IrqDesc *d = desc_of(virq);
	if (!d || !d->domain->chip->raise)
		return Errno::EINVAL;
	return d->domain->chip->raise(d->domain->data, d->hwirq);
}

Result irq_unmask_unrequested(unsigned virq)
{
	IrqDesc *d = desc_of(virq);
	if (!d)
		return Errno::EINVAL;
	if (d->handler)
		return Errno::EBUSY;
	d->domain->chip->unmask(d->domain->data, d->hwirq);
	return {};
}

u64 irq_count_cpu(unsigned virq, unsigned cpu)
{
	IrqDesc *d = desc_of(virq);
	return d && cpu < NR_CPUS ? __atomic_load_n(&d->count[cpu], __ATOMIC_RELAXED) : 0;
}
u64 irq_count(unsigned virq)
{
	u64 n = 0;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		n += irq_count_cpu(virq, cpu);
	return n;
}

static IpiStat *ipi_stats;
static unsigned nr_ipi_stats;
void irq_register_ipis(IpiStat *ipis, unsigned n)
{
	ipi_stats = ipis;
	nr_ipi_stats = n;
}
u64 irq_err_count() { return __atomic_load_n(&err_count, __ATOMIC_RELAXED); }
u64 irq_spurious_count() { return __atomic_load_n(&spurious_count, __ATOMIC_RELAXED); }

ErrorOr<unsigned> irq_soft_virq(unsigned n)
{
	if (!root_domain || root_domain->soft_count == 0)
		return Errno::ENODEV;
	if (n >= root_domain->soft_count)
		return Errno::ERANGE;
	return irq_create_mapping(root_domain, root_domain->soft_first + n);
}

Result irq_init(of::DeviceTree dt)
{
	struct Candidate {
		of::Node node, parent;
		const IrqchipDriver *drv;
		bool done;
	};
	constexpr unsigned MAX_CANDIDATES = 8;
	Candidate cand[MAX_CANDIDATES];
	unsigned n = 0;
	char path[96];

	for (const IrqchipDriver *drv = __start_irqchip_drivers; drv < __stop_irqchip_drivers; drv++)
		for (of::Node node : dt.compatible_nodes(drv->compatible)) {
			if (!node.is_available() || !node.has_property("interrupt-controller"))
				continue;
			bool dup = false;
			for (unsigned i = 0; i < n; i++)
				dup |= cand[i].node == node;
			if (dup)
				continue;
			if (n == MAX_CANDIDATES) {
				node_path(node, path, sizeof(path));
				pr_warn("irq: too many interrupt controllers, ignoring %s\n", path);
				continue;
			}
			of::Node parent = find_interrupt_parent(dt, node);
			if (parent == node)
				parent = of::Node();
			cand[n++] = {node, parent, drv, false};
		}

	// Parents first: a controller is initialised once its parent has a domain.
	for (bool progress = true; progress;) {
		progress = false;
		for (unsigned i = 0; i < n; i++) {
			Candidate &c = cand[i];
			if (c.done || (c.parent.valid() && !domain_for(c.parent)))
				continue;
			c.done = progress = true;
			node_path(c.node, path, sizeof(path));
			if (auto r = c.drv->init(c.node, c.parent); r.is_error()) {
				pr_err("irq: %s (%s): init failed: %s\n", path, c.drv->compatible, r.error().name());
				continue;
			}
			if (!c.parent.valid() && !root_domain)
				root_domain = domain_for(c.node);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (!cand[i].done) {
			node_path(cand[i].node, path, sizeof(path));
			pr_warn("irq: %s: its interrupt parent never came up; not initialised\n", path);
		}
	if (!handler_installed) {
		pr_err("irq: no root interrupt controller in the device tree has a driver; IRQs stay off\n");
		return Errno::ENODEV;
	}
	return {};
}

// Linux's /proc/interrupts (kernel/irq/proc.c show_interrupts, then arm64's
// arch_show_interrupts): a CPUn column per online CPU; per line the virq, the per-CPU counts,
// the chip, the hwirq, the trigger and the action's name; the IPI lines; Err.
void show_interrupts(seq_file *m)
{
	int prec = 3;
	for (unsigned j = 1000; prec < 10 && j <= NR_IRQS; j *= 10)
		prec++;
	seq_printf(m, "%*s", prec + 8, "");
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		if (cpu_online(cpu))
			seq_printf(m, "CPU%-8u", cpu);
	seq_putc(m, '\n');
	for (unsigned v = 1; v < NR_IRQS; v++) {
		IrqDesc *d = desc_of(v);
		if (!d || !d->handler)
			continue;
		seq_printf(m, "%*u: ", prec, v);
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			if (cpu_online(cpu))
				seq_printf(m, "%10lu ", (unsigned long)irq_count_cpu(v, cpu));
		const IrqChip *chip = d->domain->chip;
		seq_printf(m, " %8s %*u %-8s  %s\n", chip->hwirq_chip_name ? chip->hwirq_chip_name(d->hwirq) : chip->name,
			       prec, d->hwirq, type_name(d->type),
			       d->name ? d->name : "");
	}
	for (unsigned i = 0; i < nr_ipi_stats; i++) {
		seq_printf(m, "%*s%u:%s", prec - 1, "IPI", i, prec >= 4 ? " " : "");
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			if (cpu_online(cpu))
				seq_printf(m, "%10lu ", (unsigned long)__atomic_load_n(&ipi_stats[i].count[cpu], __ATOMIC_RELAXED));
		seq_printf(m, "      %s\n", ipi_stats[i].name);
	}
	seq_printf(m, "%*s: %10lu\n", prec, "Err", (unsigned long)irq_err_count());
}
static int cmd_interrupts(int, char **)
{
	seq_show_to_sink(console_printf, static_cast<void (*)(seq_file *)>(show_interrupts));
	return 0;
}
CONSOLE_CMD(cmd_interrupts_rec, "interrupts", "interrupt counts per virq (as /proc/interrupts)", cmd_interrupts);
