// ARM generic timer tick: see drivers/arch_timer.h.
#include "drivers/arch_timer.h"

#include <asm/arch_timer.h>
#include <asm/smp.h>
#include <asm/sysreg.h>

#include "fs/proc/proc_fs.h"
#include "kernel/irq.h"
#include "kernel/sched.h"
#include "kernel/wait.h"
#include "core/params.h"
#include "core/printk.h"
#include "core/console_cmd.h"
#include "core/tick.h"
#include "lib/of/of.h"
#include "kstd/string.h"

namespace {

constexpr u64 CNTx_CTL_ENABLE = 1u << 0, CNTx_CTL_IMASK = 1u << 1;
// Timer node `interrupts` order (arm,armv8-timer binding).
constexpr usize TIMER_IDX_PHYS_NONSECURE = 1, TIMER_IDX_VIRT = 2;

ArchTimerInfo info;
u64 jiffies_64;
// Compare value of each CPU's next tick: the timer is per CPU (its PPI fires on each).
u64 next_cval[NR_CPUS];
// Linux's tick_do_timer_cpu: the one CPU that advances jiffies and runs the global tick work.
constexpr unsigned TICK_DO_TIMER_CPU = 0;
// The other CPUs' own tick statistics (info's are the tick CPU's).
u64 cpu_lost_ticks[NR_CPUS], cpu_early_irqs[NR_CPUS];
bool want_phys;

Result set_arch_timer(const char *v)
{
	if (v && strcmp(v, "phys") == 0)
		want_phys = true;
	else if (v && strcmp(v, "virt") == 0)
		want_phys = false;
	else
		return Errno::EINVAL;
	return {};
}
EARLY_PARAM("arch_timer", set_arch_timer);

u64 read_counter()
{
	u64 v;
	if (info.virtual_timer)
		asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	else
		asm volatile("isb; mrs %0, cntpct_el0" : "=r"(v)::"memory");
	return v;
}

void write_ctl(u64 v)
{
	if (info.virtual_timer)
		write_sysreg(v, cntv_ctl_el0);
	else
		write_sysreg(v, cntp_ctl_el0);
	isb();
}

void write_cval(u64 v)
{
	if (info.virtual_timer)
		write_sysreg(v, cntv_cval_el0);
	else
		write_sysreg(v, cntp_cval_el0);
	isb();
}

// A secondary's tick (Linux's update_process_times on a CPU that is not tick_do_timer_cpu),
// touching only this CPU's state: its timer list (empty: nothing adds timers there yet), its
// run queue (only its idle task: the tick never finds work there) and its /proc/stat cputime.
// printk_tick is left to the tick CPU: its wake-up would reach into CPU 0's run queue, which
// needs the reschedule IPI that does not exist yet.
void secondary_tick(u64 jiffies)
{
	run_local_timers(jiffies);
	scheduler_tick();
	proc_account_tick();
}

IrqReturn timer_tick(unsigned, void *)
{
	unsigned cpu = smp_processor_id();
	u64 now = read_counter();
	if (now < next_cval[cpu]) {
		// The condition was seen before the counter reached the compare value (a
		// model's rounding, or a stale level): nothing to account.
		if (cpu == TICK_DO_TIMER_CPU)
			info.early_irqs++;
		else
			cpu_early_irqs[cpu]++;
		return IrqReturn::None;
	}
	u64 n = (now - next_cval[cpu]) / info.period + 1;
	next_cval[cpu] += n * info.period;
	write_cval(next_cval[cpu]); // deasserts the level interrupt
	if (cpu != TICK_DO_TIMER_CPU) {
		cpu_lost_ticks[cpu] += n - 1;
		secondary_tick(__atomic_load_n(&jiffies_64, __ATOMIC_ACQUIRE));
		return IrqReturn::Handled;
	}
	__atomic_store_n(&jiffies_64, jiffies_64 + n, __ATOMIC_RELEASE);
	info.lost_ticks += n - 1;
	update_process_times(jiffies_64);
	return IrqReturn::Handled;
}

// CPUHP_AP_ARM_ARCH_TIMER_STARTING: this CPU's timer, ticking at the same rate (its PPI was
// enabled on this CPU by the interrupt controller's starting step).
Result arch_timer_starting_cpu(unsigned cpu)
{
	write_ctl(CNTx_CTL_IMASK);
	next_cval[cpu] = read_counter() + info.period;
	write_cval(next_cval[cpu]);
	write_ctl(CNTx_CTL_ENABLE);
	return {};
}

} // namespace

u64 get_jiffies_64() { return __atomic_load_n(&jiffies_64, __ATOMIC_ACQUIRE); }
const ArchTimerInfo &arch_timer_info() { return info; }
u64 arch_timer_read_counter() { return read_counter(); }

Result arch_timer_init(of::DeviceTree dt)
{
	of::Node node = dt.find_compatible("arm,armv8-timer");
	if (!node.valid())
		node = dt.find_compatible("arm,armv7-timer");
	if (!node.valid() || !node.is_available()) {
		pr_err("arch_timer: no arm,armv8-timer node in the device tree; no tick\n");
		return Errno::ENODEV;
	}
	info.freq = arch_timer_get_cntfrq();
	if (auto f = node.read_u32("clock-frequency"); f && f.value() != info.freq) {
		// Linux honours the DT over a CNTFRQ the firmware forgot to program.
		pr_warn("arch_timer: DT clock-frequency %u Hz overrides CNTFRQ_EL0 %lu Hz\n", f.value(),
			(unsigned long)info.freq);
		info.freq = f.value();
	}
	if (info.freq < HZ) {
		pr_err("arch_timer: counter frequency %lu Hz is unusable\n", (unsigned long)info.freq);
		return Errno::EINVAL;
	}
	info.period = info.freq / HZ;
	info.virtual_timer = !want_phys;

	auto virq = irq_of_parse_and_map(node, info.virtual_timer ? TIMER_IDX_VIRT : TIMER_IDX_PHYS_NONSECURE);
	if (virq.is_error()) {
		pr_err("arch_timer: no %s timer interrupt in the DT (%s)\n", info.virtual_timer ? "virtual" : "physical",
		       virq.error().name());
		return virq.error();
	}
	info.virq = virq.value();
	write_ctl(CNTx_CTL_IMASK); // quiet while the interrupt is wired up
	info.jiffies_origin = read_counter();
	next_cval[TICK_DO_TIMER_CPU] = info.jiffies_origin + info.period;
	write_cval(next_cval[TICK_DO_TIMER_CPU]);
	write_ctl(CNTx_CTL_ENABLE);
	if (auto r = request_irq(info.virq, timer_tick, "arch_timer", &info); r.is_error()) {
		write_ctl(CNTx_CTL_IMASK);
		pr_err("arch_timer: cannot request virq %u: %s\n", info.virq, r.error().name());
		info.virq = 0;
		return r;
	}
	if (cpuhp_setup_state("clockevents/arm/arch_timer:starting", nullptr, arch_timer_starting_cpu).is_error())
		pr_warn("arch_timer: no CPU hotplug slot: secondary CPUs get no tick\n");
	pr_info("arch_timer: cp15 timer(s) running at %lu.%02luMHz (%s), HZ=%u, period %lu ticks%s\n",
		(unsigned long)(info.freq / 1000000), (unsigned long)(info.freq / 10000 % 100),
		info.virtual_timer ? "virt" : "phys", HZ, (unsigned long)info.period,
		info.freq % HZ ? " (frequency not a multiple of HZ: jiffies drift)" : "");
	return {};
}

static int cmd_timer(int, char **)
{
	u64 j = get_jiffies_64();
	console_printf("arch_timer: %s timer, %lu Hz, HZ=%u, virq %u\n", info.virtual_timer ? "virtual" : "physical",
		       (unsigned long)info.freq, HZ, info.virq);
	console_printf("jiffies %lu (%lu.%02lu s), tick interrupts %lu, lost ticks %lu, early interrupts %lu\n",
		       (unsigned long)j, (unsigned long)(j / HZ), (unsigned long)(j % HZ),
		       (unsigned long)irq_count_cpu(info.virq, TICK_DO_TIMER_CPU), (unsigned long)info.lost_ticks,
		       (unsigned long)info.early_irqs);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		if (cpu != TICK_DO_TIMER_CPU && irq_count_cpu(info.virq, cpu))
			console_printf("CPU%u: tick interrupts %lu, lost ticks %lu, early interrupts %lu\n", cpu,
				       (unsigned long)irq_count_cpu(info.virq, cpu),
				       (unsigned long)__atomic_load_n(&cpu_lost_ticks[cpu], __ATOMIC_RELAXED),
				       (unsigned long)__atomic_load_n(&cpu_early_irqs[cpu], __ATOMIC_RELAXED));
	return 0;
}
CONSOLE_CMD(cmd_timer_rec, "timer", "generic timer tick: frequency, jiffies, interrupt counts", cmd_timer);
