// PSCI (Arm DEN 0022): power off, reset and, later, CPU_ON for secondary cores. The conduit
// (HVC or SMC) comes from /psci's `method`; there is no PSCI on the Raspberry Pis.
#include "drivers/psci.h"

#include "core/printk.h"
#include "kernel/reboot.h"
#include "kstd/string.h"

namespace {

enum class Conduit { None, Hvc, Smc };
Conduit conduit = Conduit::None;

constexpr u32 PSCI_0_2_FN_PSCI_VERSION = 0x84000000;
constexpr u32 PSCI_0_2_FN_SYSTEM_OFF = 0x84000008;
constexpr u32 PSCI_0_2_FN_SYSTEM_RESET = 0x84000009;
constexpr u32 PSCI_0_2_FN64_CPU_ON = 0xc4000003;

u64 invoke(u64 fn, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0)
{
	register u64 x0 asm("x0") = fn;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;
	if (conduit == Conduit::Hvc)
		asm volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	else
		asm volatile("smc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

void psci_sys_poweroff() { invoke(PSCI_0_2_FN_SYSTEM_OFF); }
void psci_sys_reset() { invoke(PSCI_0_2_FN_SYSTEM_RESET); }
const PowerOps psci_power_ops = {"psci", psci_sys_poweroff, psci_sys_reset};

} // namespace

Result psci_dt_init(of::DeviceTree dt)
{
	of::Node n;
	static const char *const compats[] = {"arm,psci-1.0", "arm,psci-0.2", "arm,psci"};
	for (const char *c : compats) {
		n = dt.find_compatible(c);
		if (n.valid())
			break;
	}
	if (!n.valid() || !n.is_available())
		return Errno::ENODEV;
	auto method = n.read_string("method");
	if (method.is_error()) {
		pr_warn("psci: no method property\n");
		return Errno::EINVAL;
	}
	if (strcmp(method.value(), "hvc") == 0)
		conduit = Conduit::Hvc;
	else if (strcmp(method.value(), "smc") == 0)
		conduit = Conduit::Smc;
	else {
		pr_warn("psci: invalid \"method\" property: %s\n", method.value());
		return Errno::EINVAL;
	}
	u64 ver = invoke(PSCI_0_2_FN_PSCI_VERSION);
	pr_info("psci: PSCIv%lu.%lu detected in firmware (%s conduit)\n", (unsigned long)(ver >> 16),
		(unsigned long)(ver & 0xffff), method.value());
	register_power_ops(&psci_power_ops);
	return {};
}

bool psci_available() { return conduit != Conduit::None; }

long psci_cpu_on(u64 mpidr, PhysAddr entry, u64 context)
{
	if (conduit == Conduit::None)
		return -1;
	return static_cast<long>(invoke(PSCI_0_2_FN64_CPU_ON, mpidr, entry.value(), context));
}
