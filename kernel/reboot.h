// Power off and restart. Drivers register how (PSCI, a watchdog); under test, semihosting
// (enabled with the `semihosting` parameter) makes QEMU exit with the kernel's status.
#pragma once

#include "kstd/types.h"

struct PowerOps {
	const char *name;
	void (*power_off)();
	void (*restart)();
};

// Later registrations take precedence for the operations they provide.
void register_power_ops(const PowerOps *ops);
// Status 0 means success; under semihosting it becomes QEMU's exit status.
[[noreturn]] void machine_power_off(int status);
[[noreturn]] void machine_restart();
bool semihosting_exit_enabled();
