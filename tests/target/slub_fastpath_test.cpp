// SLUB's fast paths on target: the cases of tests/shared/slub_fastpath_cases.h, which the host
// suite runs against the C cpu_freelist_pop/push, here against the restartable-sequence asm
// that ships (mm/slub_internal.h). Suite slub_fastpath; skipped on SLOB.
#include "kernel/ktest.h"

#if !defined(SLAB_SLOB)
#include <asm/irqflags.h>
#include <asm/sysreg.h>

#include "tests/shared/slub_fastpath_cases.h"

namespace {

struct TargetFastpathEnv {
	KTest &t;
	void fail(const char *file, int line, const char *text) { t.fail_at(file, line, "%s", text); }
	void fail_op(const char *file, int line, const char *a, const char *op, const char *b, u64 va, u64 vb)
	{
		t.fail_at(file, line, "Expected %s %s %s, but\n        %s == %llu (%#llx)\n        %s == %llu (%#llx)", a, op,
			  b, a, (unsigned long long)va, (unsigned long long)va, b, (unsigned long long)vb,
			  (unsigned long long)vb);
	}
	// Runs f as CPU cpu, as the host suite does with host_current_cpu: TPIDR_EL1 is the CPU
	// number every per-CPU access reads (asm/smp.h), and the fast paths' sequences read it too.
	// IRQs stay masked meanwhile so no handler runs with the borrowed identity; secondary CPUs
	// never enter the kernel yet (no SMP bring-up), so nothing else uses that CPU's data.
	template <class F> bool as_cpu(unsigned cpu, F f)
	{
		irqflags_t flags = arch_local_irq_save();
		u64 saved = read_sysreg(tpidr_el1);
		write_sysreg(u64{cpu}, tpidr_el1);
		f();
		write_sysreg(saved, tpidr_el1);
		arch_local_irq_restore(flags);
		return true;
	}
};

} // namespace

#define SLUB_FASTPATH_TARGET_CASE(name)               \
	KTEST(slub_fastpath, name)                        \
	{                                                 \
		unsigned long errors0 = slab_errors;          \
		TargetFastpathEnv e{t};                       \
		slub_fastpath_cases::name(e);                 \
		KT_EXPECT_EQ(t, slab_errors, errors0);        \
	}
SLUB_FASTPATH_CASES(SLUB_FASTPATH_TARGET_CASE)
#else
KTEST(slub_fastpath, slob_has_no_cpu_freelists)
{
	t.skip("SLOB has no per-CPU fast paths");
}
#endif
