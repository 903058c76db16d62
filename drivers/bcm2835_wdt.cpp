// BCM2835 power-management watchdog ("brcm,bcm2835-pm-wdt"): restart and power off the Pi
// the way Linux's bcm2835_wdt.c does. There is no PSCI on the Pis; the watchdog is the only
// way to reset, and "power off" is a reset into partition 63, which the firmware reads from
// PM_RSTS as "halt": it stops in a low-power state until the power is cycled. Under QEMU
// (bcm2835_powermgt) the reset request, with -no-reboot, ends QEMU with status 0.
#include <asm/arch_timer.h>
#include <asm/fixmap.h>

#include "core/printk.h"
#include "kernel/reboot.h"
#include "lib/of/of.h"

namespace {

constexpr u32 PM_RSTC = 0x1c, PM_RSTS = 0x20, PM_WDOG = 0x24;
constexpr u32 PM_PASSWORD = 0x5a000000;
constexpr u32 PM_RSTC_WRCFG_CLR = 0xffffffcf, PM_RSTC_WRCFG_FULL_RESET = 0x00000020;
constexpr u32 PM_RSTS_PARTITION_CLR = 0xfffffaaa;
constexpr u32 PARTITION_HALT = 63;
// 10 watchdog ticks (16 us each): the reset follows almost at once.
constexpr u32 WDOG_TICKS = 10;

volatile u8 *pm;

u32 rd(u32 off) { return *reinterpret_cast<volatile u32 *>(pm + off); }
void wr(u32 off, u32 v) { *reinterpret_cast<volatile u32 *>(pm + off) = v; }

void restart_to_partition(u32 partition)
{
	// The partition number's six bits sit in the even bit positions of PM_RSTS.
	u32 rsts = 0;
	for (u32 b = 0; b < 6; b++)
		rsts |= ((partition >> b) & 1) << (2 * b);
	wr(PM_RSTS, (rd(PM_RSTS) & PM_RSTS_PARTITION_CLR) | PM_PASSWORD | rsts);
	wr(PM_WDOG, WDOG_TICKS | PM_PASSWORD);
	wr(PM_RSTC, (rd(PM_RSTC) & PM_RSTC_WRCFG_CLR) | PM_PASSWORD | PM_RSTC_WRCFG_FULL_RESET);
	// Give the watchdog 10 ms; machine_restart reports failure if we are still here.
	u64 end = arch_counter_get_cntpct() + arch_timer_get_cntfrq() / 100;
	while (arch_counter_get_cntpct() < end)
		;
}

void wdt_restart() { restart_to_partition(0); }
void wdt_power_off() { restart_to_partition(PARTITION_HALT); }

const PowerOps wdt_reset_ops = {"bcm2835-wdt", nullptr, wdt_restart};
const PowerOps wdt_full_ops = {"bcm2835-wdt", wdt_power_off, wdt_restart};

} // namespace

// Registers restart, and power off when the PM node is the system power controller (Linux
// checks the same property).
Result bcm2835_wdt_init(of::DeviceTree dt)
{
	of::Node n = dt.find_compatible("brcm,bcm2835-pm-wdt");
	if (!n.valid() || !n.is_available())
		return Errno::ENODEV;
	auto reg = n.reg_translated(0); // "pm" is the first reg entry in both bindings
	if (reg.is_error()) {
		pr_err("bcm2835-wdt: no usable reg (%s)\n", reg.error().name());
		return reg.error();
	}
	if (reg.value().size < PM_WDOG + 4) {
		pr_err("bcm2835-wdt: reg too small for PM_WDOG (%#lx bytes)\n", (unsigned long)reg.value().size);
		return Errno::EINVAL;
	}
	void *p = early_ioremap(PhysAddr(reg.value().address), reg.value().size);
	if (!p)
		return Errno::ENOMEM;
	pm = static_cast<volatile u8 *>(p);
	bool poweroff = n.has_property("system-power-controller");
	register_power_ops(poweroff ? &wdt_full_ops : &wdt_reset_ops);
	pr_info("bcm2835-wdt: watchdog at %#lx: restart%s\n", (unsigned long)reg.value().address,
		poweroff ? " and power off (halt partition 63)" : "");
	return {};
}
