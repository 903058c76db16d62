#include "core/panic.h"

#include <asm/irqflags.h>
#include <asm/smp.h>
#include <asm/traps.h>

#include "core/printk.h"
#include "kernel/printk_internal.h"
#include "kernel/reboot.h"
#include "lib/format.h"

extern "C" void panic(const char *fmt, ...)
{
	static bool in_panic;
	arch_local_irq_disable();
	printk_bust_locks();
	if (in_panic) // a fault while panicking: do not recurse, just go down
		machine_power_off(1);
	in_panic = true;

	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_emerg("Kernel panic - not syncing: %s\n", buf);
	pr_emerg("CPU: %u PID: 0 Comm: swapper/%u\n", smp_processor_id(), smp_processor_id());
	dump_backtrace(nullptr);
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", buf);
	machine_power_off(1);
}

extern "C" void __warn(const char *file, int line, const char *cond)
{
	pr_warn("------------[ cut here ]------------\n");
	pr_warn("WARNING: CPU: %u at %s:%d: %s\n", smp_processor_id(), file, line, cond);
	dump_backtrace(nullptr);
	pr_warn("---[ end trace ]---\n");
}
