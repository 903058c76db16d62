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

// Maps the device tree (fixmap) and returns its virtual address, or nullptr (reason printed).
void *map_fdt();
// Linux's setup_arch: device tree -> command line -> console -> memblock -> paging_init.
// Returns the validated boot tree; panics (with the console up when possible) when the
// device tree is unusable or describes no memory.
of::DeviceTree setup_arch();
unsigned id_aa64mmfr0_pa_bits();
