// Secondary CPU bring-up (Linux's arch/arm64/kernel/smp.c, smp_spin_table.c, psci.c and
// kernel/smp.c's smp_init, reduced to bring-up): every CPU the DT's /cpus lists is started
// with its enable-method, gets its idle task, IRQ stack, interrupt-controller CPU interface and
// timer, is marked online and idles. It runs no task yet (its run queue holds only its idle
// task; nothing migrates or wakes tasks onto it) and takes no IPIs: those come with the SMP
// scheduler. See docs/smp.md for the hazards audited on the secondary's paths.
#include <asm/arch_timer.h>
#include <asm/irqflags.h>
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/fixmap.h>
#include <asm/smp.h>
#include <asm/sysreg.h>
#include <asm/traps.h>

#include "core/console_cmd.h"
#include "core/cpumask.h"
#include "core/ktest.h"
#include "core/params.h"
#include "core/printk.h"
#include "drivers/arch_timer.h"
#include "drivers/psci.h"
#include "kernel/irq.h"
#include "kernel/sched.h"
#include "kstd/string.h"
#include "lib/of/of.h"
#include "lib/format.h"
#include "lib/seq_file.h"
#include "mm/memory_model.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"

extern "C" {
u64 __cpu_logical_map[NR_CPUS] = {INVALID_HWID, INVALID_HWID, INVALID_HWID, INVALID_HWID};
secondary_data_t secondary_data[NR_CPUS];
extern char secondary_entry[]; // boot/head.S (.idmap.text)
[[noreturn]] void secondary_start_kernel(unsigned cpu);
}
static_assert(NR_CPUS == 4, "__cpu_logical_map's initialiser");

namespace {

// --- command line: nosmp, maxcpus= (Linux's kernel/smp.c) ----------------------------------

unsigned setup_max_cpus = NR_CPUS;

Result set_nosmp(const char *v)
{
	if (v)
		return Errno::EINVAL; // a bare word
	setup_max_cpus = 1;
	return {};
}
Result set_maxcpus(const char *v)
{
	if (!v || !*v)
		return Errno::EINVAL;
	unsigned n = 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > 1000)
			return Errno::EINVAL;
		n = n * 10 + unsigned(*p - '0');
	}
	// Linux: maxcpus=0 is nosmp; the boot CPU always runs.
	setup_max_cpus = n == 0 ? 1 : n;
	return {};
}
KERNEL_PARAM("nosmp", set_nosmp);
KERNEL_PARAM("maxcpus", set_maxcpus);

// --- CPU hotplug states --------------------------------------------------------------------

constexpr unsigned MAX_CPUHP_STEPS = 8;
cpuhp_step cpuhp_steps[MAX_CPUHP_STEPS];
unsigned nr_cpuhp_steps;

// --- enable methods --------------------------------------------------------------------------

enum class EnableMethod : u8 { None, Psci, SpinTable };

struct cpu_ops {
	EnableMethod method = EnableMethod::None;
	u64 release_addr = 0; // spin-table
};
cpu_ops cpu_ops_of[NR_CPUS];

// Where the bring-up of each CPU stands (Linux's CPU_BOOT_* in secondary_data.status): the
// secondary moves BOOTING -> ONLINE, the boot CPU BOOTING -> TIMEOUT; whoever comes second
// sees the other's value, so a late CPU never goes online after it was given up.
enum CpuBootStatus : int { CPU_BOOT_IDLE = 0, CPU_BOOTING, CPU_BOOT_ONLINE, CPU_BOOT_TIMEOUT, CPU_BOOT_FAILED };
int boot_status[NR_CPUS];
int boot_error[NR_CPUS];         // the starting step that failed (CPU_BOOT_FAILED), its errno
unsigned boot_error_step[NR_CPUS];
u32 cpu_midr[NR_CPUS];

// Linux's smp_spin_table_cpu_prepare/boot: the entry's PA goes to the release address, cleaned
// to the PoC (the parked CPU reads it with its MMU and caches off), then an event wakes it from
// its wfe.
Result spin_table_boot(unsigned cpu)
{
	u64 addr = cpu_ops_of[cpu].release_addr;
	PhysAddr pa(addr & ~u64(PAGE_SIZE - 1));
	volatile u64 *slot;
	bool cached = pfn_is_map_memory(addr >> PAGE_SHIFT);
	if (cached) {
		slot = static_cast<volatile u64 *>(phys_to_virt(PhysAddr(addr)));
	} else {
		auto *p = static_cast<volatile u8 *>(early_ioremap(pa, PAGE_SIZE));
		if (!p)
			return Errno::ENOMEM;
		slot = reinterpret_cast<volatile u64 *>(p + (addr & (PAGE_SIZE - 1)));
	}
	*slot = __pa_symbol(secondary_entry).value();
	if (cached) // the write sits in our cache; the spinning core reads memory
		asm volatile("dc civac, %0" ::"r"(slot) : "memory");
	dsb(sy); // the release (and its clean) complete before the event
	asm volatile("sev" ::: "memory");
	return {};
}

Result boot_secondary(unsigned cpu)
{
	switch (cpu_ops_of[cpu].method) {
	case EnableMethod::Psci: {
		long r = psci_cpu_on(cpu_logical_map(cpu), __pa_symbol(secondary_entry), cpu);
		if (r != 0) {
			pr_err("psci: failed to boot CPU%u (%ld)\n", cpu, r);
			return Errno::EIO;
		}
		return {};
	}
	case EnableMethod::SpinTable: return spin_table_boot(cpu);
	default: return Errno::ENODEV;
	}
}

// Boot-CPU system register state the secondaries copy (Linux's cpufeature enable callbacks
// run on every CPU): SCTLR_EL1 (PAN's SPAN bit) and CNTKCTL_EL1 (EL0's counter access).
u64 boot_sctlr, boot_cntkctl;

// A generous bound on the wait, in counter time (Linux waits 5 s; twice that here, because
// under TCG a host shared with other work may run the new vCPU late). A wfe round cannot be
// the unit: QEMU treats wfe as a mere yield, so rounds fly by in microseconds.
constexpr u64 BRINGUP_WAIT_SECONDS = 10;

// Linux's __cpu_up: prepare, release, wait. Runs on the boot CPU with IRQs on.
Result cpu_up(unsigned cpu)
{
	task_struct *idle = idle_task_create(cpu);
	if (!idle)
		return Errno::ENOMEM;
	TRY(irq_stack_init(cpu));
	for (unsigned i = 0; i < nr_cpuhp_steps; i++)
		if (cpuhp_steps[i].prepare)
			if (Result r = cpuhp_steps[i].prepare(cpu, cpu_logical_map(cpu)); r.is_error()) {
				pr_err("CPU%u: %s prepare failed: %s\n", cpu, cpuhp_steps[i].name, r.error().name());
				return r;
			}
	__atomic_store_n(&boot_status[cpu], CPU_BOOTING, __ATOMIC_RELAXED);
	secondary_data[cpu].task = reinterpret_cast<u64>(idle);
	// Release: everything above (the idle task, its rq, the controller's per-CPU data) is
	// visible to the secondary before it can see a stack.
	__atomic_store_n(&secondary_data[cpu].stack, reinterpret_cast<u64>(idle->stack) + THREAD_SIZE,
			 __ATOMIC_RELEASE);
	dsb(ish);
	TRY(boot_secondary(cpu));
	u64 start = arch_counter_get_cntpct(), limit = BRINGUP_WAIT_SECONDS * arch_timer_get_cntfrq();
	while (arch_counter_get_cntpct() - start < limit) {
		int s = __atomic_load_n(&boot_status[cpu], __ATOMIC_ACQUIRE);
		if (s == CPU_BOOT_ONLINE || s == CPU_BOOT_FAILED)
			break;
		asm volatile("wfe" ::: "memory"); // woken by the secondary's sev (or any event)
	}
	int expected = CPU_BOOTING;
	if (__atomic_compare_exchange_n(&boot_status[cpu], &expected, CPU_BOOT_TIMEOUT, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return Errno::ETIMEDOUT;
	if (expected == CPU_BOOT_FAILED) {
		unsigned st = boot_error_step[cpu];
		pr_err("CPU%u: %s failed on the CPU: %s\n", cpu, st < nr_cpuhp_steps ? cpuhp_steps[st].name : "?",
		       errno_name(static_cast<Errno>(boot_error[cpu])));
		return Errno::EIO;
	}
	return {};
}

const char *method_name(EnableMethod m) { return m == EnableMethod::Psci ? "psci" : "spin-table"; }

// Reads /cpus: the boot CPU (by MPIDR) is logical 0, the others follow in DT order (Linux's
// of_parse_and_init_cpus). Returns how many CPUs the map holds.
unsigned parse_cpus(of::DeviceTree dt)
{
	u64 boot_hwid = read_sysreg(mpidr_el1) & MPIDR_HWID_BITMASK;
	__cpu_logical_map[0] = boot_hwid;
	of::Node cpus = dt.find_by_path("/cpus");
	if (!cpus.valid())
		return 1;
	auto cells = cpus.child_cells();
	if (cells.is_error() || cells.value().addr == 0 || cells.value().addr > 2)
		return 1;
	unsigned n = 1;
	bool boot_seen = false;
	for (of::Node c : cpus.children()) {
		if (!c.is_type("cpu") || !c.is_available())
			continue;
		auto hw = c.read_cells("reg", cells.value().addr);
		if (hw.is_error()) {
			pr_warn("%s: missing reg property\n", c.name());
			continue;
		}
		u64 hwid = hw.value();
		if (hwid & ~MPIDR_HWID_BITMASK) {
			pr_err("%s: invalid reg property %#lx\n", c.name(), (unsigned long)hwid);
			continue;
		}
		if (hwid == boot_hwid) {
			boot_seen = true;
			continue;
		}
		bool dup = false;
		for (unsigned i = 0; i < n; i++)
			dup |= __cpu_logical_map[i] == hwid;
		if (dup) {
			pr_err("%s: duplicate cpu reg properties in the DT\n", c.name());
			continue;
		}
		if (n == NR_CPUS) {
			pr_warn("smp: more CPUs in the DT than NR_CPUS (%u); ignoring %s\n", NR_CPUS, c.name());
			continue;
		}
		cpu_ops ops;
		auto em = c.read_string("enable-method");
		if (em.is_error()) {
			pr_err("%s: missing enable-method property\n", c.name());
		} else if (strcmp(em.value(), "psci") == 0) {
			ops.method = EnableMethod::Psci;
		} else if (strcmp(em.value(), "spin-table") == 0) {
			// Two cells as the binding says; one cell tolerated as Linux's of_read_number does.
			auto ra2 = c.read_cells("cpu-release-addr", 2);
			auto ra1 = c.read_cells("cpu-release-addr", 1);
			u64 ra = !ra2.is_error() ? ra2.value() : !ra1.is_error() ? ra1.value() : 0;
			if (ra == 0 || (ra & 7))
				pr_err("%s: missing or misaligned cpu-release-addr property\n", c.name());
			else {
				ops.method = EnableMethod::SpinTable;
				ops.release_addr = ra;
			}
		} else {
			// "brcm,bcm2836-smp" and the like: 32-bit methods Linux arm64 does not use.
			pr_warn("%s: unsupported enable-method property: %s\n", c.name(), em.value());
		}
		__cpu_logical_map[n] = hwid;
		cpu_ops_of[n] = ops;
		n++;
	}
	if (!boot_seen)
		pr_warn("smp: boot CPU MPIDR %#lx not in the DT's /cpus\n", (unsigned long)boot_hwid);
	return n;
}

} // namespace

Result cpuhp_setup_state(const char *name, Result (*prepare)(unsigned, u64), Result (*starting)(unsigned))
{
	if (nr_cpuhp_steps == MAX_CPUHP_STEPS)
		return Errno::ENOSPC;
	cpuhp_steps[nr_cpuhp_steps] = {name, prepare, starting};
	// Published before any secondary can walk the table (they start after smp_init's barriers).
	__atomic_store_n(&nr_cpuhp_steps, nr_cpuhp_steps + 1, __ATOMIC_RELEASE);
	return {};
}

void smp_init()
{
	unsigned possible = parse_cpus(of::boot_tree());
	cpu_midr[0] = static_cast<u32>(read_sysreg(midr_el1));
	boot_sctlr = read_sysreg(sctlr_el1);
	boot_cntkctl = read_sysreg(cntkctl_el1);
	pr_info("smp: Bringing up secondary CPUs ...\n");
	for (unsigned cpu = 1; cpu < possible; cpu++) {
		if (num_online_cpus() >= setup_max_cpus)
			break;
		if (cpu_ops_of[cpu].method == EnableMethod::None)
			continue; // reported by parse_cpus
		if (cpu_ops_of[cpu].method == EnableMethod::Psci && !psci_available()) {
			pr_err("CPU%u: psci enable-method without a PSCI node\n", cpu);
			continue;
		}
		Result r = cpu_up(cpu);
		if (r.is_error()) {
			pr_err("CPU%u: failed to come online\n", cpu);
			continue;
		}
		// Printed here rather than on the secondary (as Linux does there): the console and
		// the log are not yet safe to enter from two CPUs at once, and the boot CPU is
		// waiting anyway. Same text as Linux's secondary_start_kernel.
		pr_info("CPU%u: Booted secondary processor 0x%010lx [0x%08x]\n", cpu,
			(unsigned long)cpu_logical_map(cpu), cpu_midr[cpu]);
		// Linux's CPUHP_AP_ONLINE_DYN callbacks page_alloc_cpu_online and vmstat_cpu_online:
		// the pcp high budget is shared by the online CPUs, and the counter thresholds grow
		// with their number. Done here, on the boot CPU: the new CPU never touches its pcp
		// lists or counter deltas (it allocates nothing), so rewriting them is race-free.
		page_alloc_set_online_cpus(num_online_cpus());
		refresh_zone_stat_thresholds();
	}
	unsigned n = num_online_cpus();
	pr_info("smp: Brought up 1 node, %u CPU%s\n", n, n == 1 ? "" : "s");
}

// The secondary's C entry (Linux's secondary_start_kernel), on its idle task's stack with
// current, TPIDR_EL1 and VBAR set and IRQs masked. Touches only this CPU's state: it
// allocates nothing and prints nothing.
extern "C" [[noreturn]] __attribute__((no_stack_protector)) void secondary_start_kernel(unsigned cpu)
{
	write_sysreg(boot_cntkctl, cntkctl_el1);
	write_sysreg(boot_sctlr, sctlr_el1);
	isb();
	if (!(boot_sctlr & SCTLR_EL1_SPAN))
		asm volatile(".inst 0xd500419f" ::: "memory"); // msr pan, #1 (SPAN clear: PAN is there)
	cpu_midr[cpu] = static_cast<u32>(read_sysreg(midr_el1));
	unsigned steps = __atomic_load_n(&nr_cpuhp_steps, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < steps; i++) {
		if (!cpuhp_steps[i].starting)
			continue;
		if (Result r = cpuhp_steps[i].starting(cpu); r.is_error()) {
			boot_error[cpu] = static_cast<int>(r.error().code());
			boot_error_step[cpu] = i;
			int expected = CPU_BOOTING;
			__atomic_compare_exchange_n(&boot_status[cpu], &expected, CPU_BOOT_FAILED, false, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED);
			dsb(ish);
			asm volatile("sev" ::: "memory");
			for (;;)
				asm volatile("wfe" ::: "memory");
		}
	}
	int expected = CPU_BOOTING;
	if (!__atomic_compare_exchange_n(&boot_status[cpu], &expected, CPU_BOOT_ONLINE, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		// The boot CPU gave up on us: stay out of the system (IRQs still masked).
		for (;;)
			asm volatile("wfe" ::: "memory");
	}
	set_cpu_online(cpu, true);
	dsb(ish); // the status and the mask are visible before the event wakes the boot CPU
	asm volatile("sev" ::: "memory");
	arch_local_irq_enable();
	cpu_startup_entry();
}

// Linux's hwcap names for what the ID registers say (the subset an ARMv8.0-8.2 core has; the
// CPU's own registers are read, the cores of one system being alike here).
static void show_features(seq_file *m)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1), isar0 = read_sysreg(id_aa64isar0_el1);
	unsigned fp = (pfr0 >> 16) & 0xf, asimd = (pfr0 >> 20) & 0xf;
	unsigned aes = (isar0 >> 4) & 0xf, sha1 = (isar0 >> 8) & 0xf, sha2 = (isar0 >> 12) & 0xf;
	unsigned crc32 = (isar0 >> 16) & 0xf, atomic = (isar0 >> 20) & 0xf;
	seq_puts(m, "Features\t:");
	if (fp != 0xf)
		seq_puts(m, " fp");
	if (asimd != 0xf)
		seq_puts(m, " asimd");
	if (aes >= 1)
		seq_puts(m, " aes");
	if (aes >= 2)
		seq_puts(m, " pmull");
	if (sha1)
		seq_puts(m, " sha1");
	if (sha2)
		seq_puts(m, " sha2");
	if (crc32)
		seq_puts(m, " crc32");
	if (atomic >= 2)
		seq_puts(m, " atomics");
	seq_puts(m, " cpuid\n");
}

void show_cpuinfo(seq_file *m)
{
	// Linux arm64 derives BogoMIPS from the timer: loops_per_jiffy = rate / HZ, printed as
	// 2 * rate / 1e6 with two decimals.
	u64 freq = arch_timer_get_cntfrq();
	for_each_online_cpu(cpu) {
		u32 midr = cpu_midr[cpu] ? cpu_midr[cpu] : static_cast<u32>(read_sysreg(midr_el1));
		seq_printf(m, "processor\t: %u\n", cpu);
		seq_printf(m, "BogoMIPS\t: %lu.%02lu\n", (unsigned long)(freq * 2 / 1000000),
			   (unsigned long)(freq * 2 / 10000 % 100));
		show_features(m);
		seq_printf(m, "CPU implementer\t: 0x%02x\n", midr >> 24);
		seq_printf(m, "CPU architecture: 8\n");
		seq_printf(m, "CPU variant\t: 0x%x\n", (midr >> 20) & 0xf);
		seq_printf(m, "CPU part\t: 0x%03x\n", (midr >> 4) & 0xfff);
		seq_printf(m, "CPU revision\t: %u\n\n", midr & 0xf);
	}
}

// The online CPUs (Linux prints them in /proc/cpuinfo; `cpus` keeps to one line each).
static int cmd_cpus(int, char **)
{
	console_printf("online: %u of %u possible\n", num_online_cpus(), NR_CPUS);
	for_each_possible_cpu(cpu) {
		if (cpu_logical_map(cpu) == INVALID_HWID)
			continue;
		char midr[16] = "unknown"; // a CPU never started has not said
		if (cpu_midr[cpu])
			kstd::snprintf(midr, sizeof(midr), "0x%08x", cpu_midr[cpu]);
		console_printf("CPU%u: MPIDR 0x%010lx MIDR %s %s%s%s\n", cpu, (unsigned long)cpu_logical_map(cpu), midr,
			       cpu_online(cpu) ? "online" : "offline", cpu == 0 ? " (boot)" : ", ",
			       cpu == 0 ? "" : method_name(cpu_ops_of[cpu].method));
	}
	return 0;
}
CONSOLE_CMD(cmd_cpus_rec, "cpus", "the CPUs: MPIDR, MIDR, online state, enable method", cmd_cpus);

// --- self-tests (ktest=smp; with one CPU online they check the single-CPU state) -------------

namespace {

// Waits (IRQs on, bounded by the counter: a generous 2 s where a tick takes 10 ms) until every
// online CPU's timer count has passed base[cpu]; true when all did.
bool wait_all_ticked(unsigned virq, const u64 *base)
{
	u64 end = arch_counter_get_cntpct() + 2 * arch_timer_get_cntfrq();
	for (;;) {
		bool all = true;
		for_each_online_cpu(cpu)
			all &= irq_count_cpu(virq, cpu) > base[cpu];
		if (all)
			return true;
		if (arch_counter_get_cntpct() >= end)
			return false;
		asm volatile("yield");
	}
}

void snapshot(unsigned virq, u64 *base)
{
	for_each_possible_cpu(cpu)
		base[cpu] = irq_count_cpu(virq, cpu);
}

} // namespace

KTEST(smp, every_online_cpu_takes_its_tick)
{
	unsigned virq = arch_timer_info().virq;
	KT_ASSERT_TRUE(t, virq != 0);
	u64 base[NR_CPUS];
	snapshot(virq, base);
	KT_EXPECT_TRUE(t, wait_all_ticked(virq, base));
	for_each_online_cpu(cpu)
		KT_EXPECT_GT(t, irq_count_cpu(virq, cpu), base[cpu]);
}

// disable_irq of the (per-CPU) timer line on the boot CPU: a secondary whose tick arrives
// meanwhile has the line masked by the IRQ core's lazy disable; enable_irq must give it back
// to every CPU, not only the boot CPU.
KTEST(smp, secondary_ticks_survive_disable_irq)
{
	unsigned virq = arch_timer_info().virq;
	KT_ASSERT_TRUE(t, virq != 0);
	disable_irq(virq);
	u64 end = arch_counter_get_cntpct() + arch_timer_get_cntfrq() / 20; // 5 ticks
	while (arch_counter_get_cntpct() < end)
		asm volatile("yield");
	enable_irq(virq);
	u64 base[NR_CPUS];
	snapshot(virq, base);
	KT_EXPECT_TRUE(t, wait_all_ticked(virq, base));
	for_each_online_cpu(cpu)
		KT_EXPECT_GT(t, irq_count_cpu(virq, cpu), base[cpu]);
}

KTEST(smp, each_cpu_has_its_idle_task)
{
	KT_EXPECT_EQ(t, smp_processor_id(), 0u); // ktests run on the boot CPU for now
	KT_EXPECT_TRUE(t, cpu_online(0));
	for_each_online_cpu(cpu) {
		if (cpu == 0)
			continue;
		task_struct *idle = idle_task(cpu);
		KT_ASSERT_TRUE(t, idle != nullptr);
		char want[16] = "swapper/";
		want[8] = static_cast<char>('0' + cpu);
		want[9] = 0;
		KT_EXPECT_EQ(t, strcmp(idle->comm, want), 0);
		KT_EXPECT_EQ(t, idle->pid, 0);
		KT_EXPECT_TRUE(t, (idle->flags & PF_IDLE) != 0);
		KT_EXPECT_EQ(t, idle->cpu, cpu);
		KT_EXPECT_NE(t, cpu_logical_map(cpu), INVALID_HWID);
		KT_EXPECT_NE(t, cpu_midr[cpu], 0u);
	}
	// Everything the DT lists beyond maxcpus/nosmp stays offline and never got a task.
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu) && cpu != 0)
			KT_EXPECT_TRUE(t, boot_status[cpu] != CPU_BOOT_ONLINE);
}
