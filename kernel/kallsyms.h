// The embedded symbol table (tools/kallsyms.py): address -> function name for backtraces
// and printk's %pS.
#pragma once

#include "kstd/types.h"

struct KallsymsResult {
	const char *name;
	u64 offset; // addr - symbol start
	u64 size;   // distance to the next symbol
};

// Returns false when addr is outside the kernel's code.
bool kallsyms_lookup(u64 addr, KallsymsResult *out);
// Address of a symbol by exact name, 0 if unknown (tests use it).
u64 kallsyms_lookup_name(const char *name);
void kallsyms_init(); // registers the %pS symbolizer
