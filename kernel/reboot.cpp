#include "kernel/reboot.h"

#include <asm/irqflags.h>

#include "core/params.h"
#include "core/printk.h"

static const PowerOps *power_ops[4];
static bool semihosting_exit;

void register_power_ops(const PowerOps *ops)
{
	for (auto &slot : power_ops)
		if (!slot) {
			slot = ops;
			return;
		}
	pr_warn("reboot: too many power handlers, ignoring %s\n", ops->name);
}

bool semihosting_exit_enabled() { return semihosting_exit; }

static Result set_semihosting(const char *v)
{
	semihosting_exit = true;
	return {};
}
EARLY_PARAM("semihosting", set_semihosting);

// Semihosting SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit (0x20026): QEMU exits
// with `code`. `hlt #0xf000` is an undefined instruction unless QEMU was started with
// -semihosting-config enable=on, hence the opt-in parameter.
[[noreturn]] static void semihosting_exit_with(int code)
{
	u64 block[2] = {0x20026, static_cast<u64>(static_cast<u32>(code))};
	register u64 x0 asm("x0") = 0x20;
	register u64 x1 asm("x1") = reinterpret_cast<u64>(block);
	asm volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	for (;;)
		asm volatile("wfe");
}

[[noreturn]] static void halt(const char *what)
{
	pr_emerg("reboot: %s failed, system halted\n", what);
	arch_local_irq_disable();
	for (;;)
		asm volatile("wfi");
}

void machine_power_off(int status)
{
	arch_local_irq_disable();
	pr_emerg("reboot: Power down (status %d)\n", status);
	if (semihosting_exit)
		semihosting_exit_with(status);
	for (int i = 3; i >= 0; i--)
		if (power_ops[i] && power_ops[i]->power_off)
			power_ops[i]->power_off();
	halt("power off");
}

void machine_restart()
{
	arch_local_irq_disable();
	pr_emerg("reboot: Restarting system\n");
	for (int i = 3; i >= 0; i--)
		if (power_ops[i] && power_ops[i]->restart)
			power_ops[i]->restart();
	halt("restart");
}
