#include "kernel/extable.h"

#include <asm/smp.h>

extern "C" const exception_table_entry __start___ex_table[], __stop___ex_table[];
extern "C" long __probe_exec(const void *addr);

static u64 insn_addr(const exception_table_entry *e) { return reinterpret_cast<u64>(&e->insn) + e->insn; }
u64 extable_fixup_addr(const exception_table_entry *e) { return reinterpret_cast<u64>(&e->fixup) + e->fixup; }

// The table is small (a few entries per fault-tolerant helper), so a linear scan is fine and
// avoids sorting at boot.
const exception_table_entry *search_exception_tables(u64 pc)
{
	for (const exception_table_entry *e = __start___ex_table; e < __stop___ex_table; e++)
		if (insn_addr(e) == pc)
			return e;
	return nullptr;
}

// The target of the probe_exec in progress on each CPU: an instruction abort exactly there
// is the expected outcome, resolved by the trap handler (arch/arm64/traps.cpp).
const void *exec_probe_target[NR_CPUS];

long probe_exec(const void *addr)
{
	unsigned cpu = smp_processor_id();
	exec_probe_target[cpu] = addr;
	long r = __probe_exec(addr);
	exec_probe_target[cpu] = nullptr;
	return r;
}

Result probe_read(const void *addr, u64 *val)
{
	return __probe_read64(val, addr) ? Result(Errno::EFAULT) : Result();
}
Result probe_write(void *addr, u64 val)
{
	return __probe_write64(addr, val) ? Result(Errno::EFAULT) : Result();
}
