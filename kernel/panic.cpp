// panic() and the pieces every report shares (Linux's kernel/panic.c and lib/dump_stack.c):
// the taint flags, "CPU: n PID: n Comm: ... Not tainted <release> #1", "Hardware name:" and the
// end-of-trace marker.
#include "core/panic.h"

#include <asm/irqflags.h>
#include <asm/smp.h>
#include <asm/traps.h>

#include "core/printk.h"
#include "kernel/printk_internal.h"
#include "kernel/process.h"
#include "kernel/reboot.h"
#include "kernel/version.h"
#include "kstd/string.h"
#include "lib/format.h"

static unsigned long tainted_mask;
static char arch_desc[96];

void add_taint(Taint t) { __atomic_fetch_or(&tainted_mask, 1ul << static_cast<unsigned>(t), __ATOMIC_RELAXED); }

// Linux 6.1's print_tainted: "Not tainted", or "Tainted: " and one column per flag (P/G F S R
// M B U D A W C I O E L K X T), a space where a flag is clear except G for "no proprietary module".
static const char *print_tainted(char *buf, usize n)
{
	static const char c_true[] = "PFSRMBUDAWCIOELKXT";
	unsigned long mask = __atomic_load_n(&tainted_mask, __ATOMIC_RELAXED);
	if (!mask)
		return "Not tainted";
	usize p = kstd::scnprintf(buf, n, "Tainted: ");
	for (unsigned i = 0; i < sizeof(c_true) - 1 && p + 1 < n; i++)
		buf[p++] = (mask >> i) & 1 ? c_true[i] : i == 0 ? 'G' : ' ';
	buf[p] = 0;
	return buf;
}

void dump_stack()
{
	dump_stack_print_info(KERN_DEFAULT);
	dump_backtrace(nullptr);
}

void dump_stack_set_arch_desc(const char *model) { kstd::snprintf(arch_desc, sizeof(arch_desc), "%s (DT)", model); }

void dump_stack_print_info(const char *log_lvl)
{
	char comm[20], taint[32];
	current_comm(comm, sizeof(comm));
	// Linux prints the version up to its first space: "#1".
	usize vlen = 0;
	while (kernel_uts_version[vlen] && kernel_uts_version[vlen] != ' ')
		vlen++;
	printk("%sCPU: %u PID: %d Comm: %.20s %s %s %.*s\n", log_lvl, smp_processor_id(), current_pid(), comm,
	       print_tainted(taint, sizeof(taint)), kernel_release, static_cast<int>(vlen), kernel_uts_version);
	if (arch_desc[0])
		printk("%sHardware name: %s\n", log_lvl, arch_desc);
}

void print_oops_end_marker() { pr_warn("---[ end trace %016llx ]---\n", 0ull); }

// A WARNING for a site known only by file and line (the lock checks' caller, handed down by
// __builtin_FILE/LINE), in the shape the BRK handler gives a WARN_ON: the cut-here line,
// "WARNING: CPU: n PID: n at file:line caller", the modules line, who and where, the call
// trace and the end marker; then it continues with taint W (Linux's __warn without regs).
extern "C" void __warn(const char *file, int line, const char *cond)
{
	printk(KERN_DEFAULT "------------[ cut here ]------------\n");
	pr_warn("WARNING: CPU: %u PID: %d at %s:%d %pS\n", smp_processor_id(), current_pid(), file, line,
		__builtin_return_address(0));
	if (cond)
		pr_warn("%s\n", cond);
	printk(KERN_DEFAULT "Modules linked in:\n");
	dump_stack_print_info(KERN_DEFAULT);
	dump_backtrace(nullptr);
	print_oops_end_marker();
	add_taint(Taint::Warn);
}

extern "C" void panic(const char *fmt, ...)
{
	static bool in_panic;
	arch_local_irq_disable();
	printk_bust_locks();
	if (in_panic) // a fault while panicking: do not recurse, just go down
		machine_power_off(1);
	in_panic = true;
	console_verbose();

	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_emerg("Kernel panic - not syncing: %s\n", buf);
	dump_stack_print_info(KERN_DEFAULT);
	dump_backtrace(nullptr);
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", buf);
	machine_power_off(1);
}
