#pragma once

#include "kstd/result.h"
#include "lib/of/of.h"

// Finds /psci, selects the conduit and registers power off/reset. ENODEV without PSCI.
Result psci_dt_init(of::DeviceTree dt);
// Whether psci_dt_init found a usable conduit (the "psci" enable-method needs one).
bool psci_available();
// CPU_ON for SMP bring-up: PSCI return code (0 = success), -1 without PSCI.
long psci_cpu_on(u64 mpidr, PhysAddr entry, u64 context);
