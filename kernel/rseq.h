// Restartable kernel sequences (the kernel analogue of Linux's rseq critical sections).
//
// Contract:
// - A restartable sequence is straight-line code from `start` up to and including `commit`,
//   a single store that publishes its result. Everything before the commit only reads, or
//   writes memory that no interrupt handler can reach, so running it again from the start
//   is harmless.
// - When an exception taken at EL1 returns to a PC in [start, commit] the return path moves
//   the PC to `restart` (so far always `start`): the sequence runs again and re-reads
//   everything, including which CPU it is on. A PC past the commit means the sequence is
//   finished. Branches out of the sequence before the commit (to a slow path) are allowed.
// - Sequences register themselves in the __rseq_table section; entries are self-relative,
//   like __ex_table's, so the table needs no relocation.
#pragma once

#include "kstd/types.h"

struct rseq_cs_entry {
	i32 start;   // self-relative: first instruction
	i32 commit;  // self-relative: the committing store (inclusive)
	i32 restart; // self-relative: where an interrupted sequence resumes
};
static_assert(sizeof(rseq_cs_entry) == 12, "entry layout is shared with RSEQ_CS_ENTRY");

// The restart address for pc when it lies inside one of the sequences in [begin, end), 0
// otherwise. A linear scan: the table holds one entry per inlined fast path (a few dozen),
// and the cost is paid once per exception return, never on the fast paths themselves.
u64 rseq_fixup_target(const rseq_cs_entry *begin, const rseq_cs_entry *end, u64 pc);

#if !defined(HOST_TEST)
struct pt_regs;
// Called on every exception return to EL1 (arch/arm64/entry.S): rewinds regs->pc when the
// exception interrupted a restartable sequence, and counts it.
extern "C" void rseq_handle_el1_return(pt_regs *regs);
// Sequences rewound so far, on all CPUs (for self-tests).
u64 rseq_restart_count();
#endif
