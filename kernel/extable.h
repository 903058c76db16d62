// Exception fixup table (Linux's __ex_table): kernel code that may fault on purpose (probes,
// later copy_from_user) registers {faulting instruction, fixup} pairs; the fault handler
// resumes at the fixup instead of oopsing.
#pragma once

#include "kstd/result.h"
#include "kstd/types.h"

struct exception_table_entry {
	i32 insn;  // self-relative
	i32 fixup; // self-relative
};
static_assert(sizeof(exception_table_entry) == 8, "entry layout is shared with _asm_extable");

const exception_table_entry *search_exception_tables(u64 pc);
u64 extable_fixup_addr(const exception_table_entry *e);

// Probes: access an address that may not be mapped or may not permit the access.
// Each returns 0 or -EFAULT, never oopses. Implemented in arch/arm64/probe.S.
extern "C" long __probe_read64(u64 *dst, const void *addr);
extern "C" long __probe_write64(void *addr, u64 val);
// Calls addr as a function taking no arguments; -EFAULT if fetching from it faults.
long probe_exec(const void *addr);
Result probe_read(const void *addr, u64 *val);
Result probe_write(void *addr, u64 val);
