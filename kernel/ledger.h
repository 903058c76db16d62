// The memory ledger: what must be back at its starting value after a test suite or a program
// has run and gone (free pages, live slab objects, tasks, vmalloc areas and their page tables).
// The ktest runner compares it around every suite; the console's `run` around a program.
#pragma once

#include "kstd/types.h"

struct memory_ledger {
	static constexpr int nr = 5;
	u64 v[nr];
};

// Takes the ledger. It shrinks every slab cache and drains the per-CPU page lists first (slabs
// SLUB merely keeps cached are not a change), so it may only be taken while nothing else
// allocates (tests, boot, the console with its program reaped).
memory_ledger memory_ledger_snapshot();

// Prints "<prefix>ledger <name> changed: A -> B" (KERN_INFO) for each entry that differs;
// true when none does.
bool memory_ledger_compare(const memory_ledger &before, const memory_ledger &after, const char *prefix);
