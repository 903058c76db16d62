// What head.S handed to start_kernel, kept for the banner, self-tests and later stages.
#pragma once

#include "kstd/types.h"
#include "lib/of/of.h"

struct BootInfo {
	PhysAddr fdt_pa;   // x0 at entry
	unsigned boot_el;  // exception level at entry (1, 2 or 3)
	PhysAddr load_pa;  // physical address of _text
	void *fdt;         // the FDT through its fixmap window
	usize fdt_mapped;  // bytes mapped there
	unsigned pa_bits;  // ID_AA64MMFR0_EL1.PARange decoded
};
extern BootInfo boot_info;

// Maps and validates the device tree (fixmap), then records it as the boot tree.
// On failure the reason has been printed and the returned tree is invalid.
of::DeviceTree setup_fdt();
unsigned id_aa64mmfr0_pa_bits();
