#include "kernel/rseq.h"

namespace {

u64 rel(const i32 *field) { return reinterpret_cast<u64>(field) + static_cast<i64>(*field); }

} // namespace

u64 rseq_fixup_target(const rseq_cs_entry *begin, const rseq_cs_entry *end, u64 pc)
{
	for (const rseq_cs_entry *e = begin; e < end; e++)
		if (pc >= rel(&e->start) && pc <= rel(&e->commit))
			return rel(&e->restart);
	return 0;
}

#if !defined(HOST_TEST)
#include <asm/ptrace.h>
#include <asm/smp.h>

extern "C" const rseq_cs_entry __start___rseq_table[], __stop___rseq_table[];

namespace {

u64 restarts[NR_CPUS];

} // namespace

extern "C" void rseq_handle_el1_return(pt_regs *regs)
{
	if (u64 to = rseq_fixup_target(__start___rseq_table, __stop___rseq_table, regs->pc)) {
		regs->pc = to;
		restarts[smp_processor_id()]++;
	}
}

u64 rseq_restart_count()
{
	u64 n = 0;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		n += __atomic_load_n(&restarts[cpu], __ATOMIC_RELAXED);
	return n;
}
#endif
