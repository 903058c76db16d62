// Self-tests of the debugger's arch layer (kgdb suite) and the targets of the scripted gdb
// session in tools/run_tests.py (kgdb_gdb_session): a function to break in and step through, a
// variable its watchpoint catches, and a linear-map page with a known pattern for x/16gx.
#include <asm/sysreg.h>

#include "arch/arm64/debug-monitors.h"
#include "core/ktest.h"
#include "kernel/debug/kgdb.h"
#include "mm/slab.h"

// Read and written from gdb by name: extern "C", no mangling, never optimised away.
extern "C" {
[[gnu::used]] volatile u64 kgdb_test_watch;
[[gnu::used]] u64 *volatile kgdb_test_page;
}

// The session breaks here, steps a line, and watches kgdb_test_watch being written.
extern "C" [[gnu::noinline]] int kgdb_test_target(int n)
{
	int sum = n + 1;
	kgdb_test_watch = kgdb_test_watch + 1;
	sum *= 2;
	asm volatile("" ::: "memory");
	return sum;
}

KTEST(kgdb, session_target)
{
	u64 *page = static_cast<u64 *>(kmalloc(4096, GFP_KERNEL));
	KT_ASSERT_TRUE(t, page != nullptr);
	for (unsigned i = 0; i < 512; i++)
		page[i] = 0x0123456789abcdefull ^ (static_cast<u64>(i) * 0x0101010101010101ull);
	kgdb_test_page = page;
	u64 before = kgdb_test_watch;
	KT_EXPECT_EQ(t, kgdb_test_target(20), 42);
	KT_EXPECT_EQ(t, kgdb_test_watch, before + 1);
	kgdb_test_page = nullptr;
	kfree(page);
}

namespace {

// A private hook for the arch tests: records the event and undoes its cause, so that the
// trapped instruction runs normally when the hook returns.
struct Seen {
	int brk, hwbp, step, watch;
	u64 far, pc;
	u32 restore_insn;
	void *restore_at;
};
Seen seen;

bool test_hook(pt_regs *regs, DebugEvent ev, u64, u64 far)
{
	seen.pc = regs->pc;
	switch (ev) {
	case DebugEvent::Brk:
		seen.brk++;
		(void)aarch64_insn_patch_text(seen.restore_at, seen.restore_insn);
		return true;
	case DebugEvent::HwBreakpoint:
		seen.hwbp++;
		hw_breakpoint_set(0, 0, false);
		kernel_enable_single_step(regs); // and step the instruction it stopped at
		return true;
	case DebugEvent::Step:
		seen.step++;
		kernel_disable_single_step(regs);
		return true;
	case DebugEvent::Watchpoint:
		seen.watch++;
		seen.far = far;
		hw_watchpoint_clear(0);
		return true;
	default:
		return false;
	}
}

extern "C" [[gnu::noinline]] int kgdb_test_patch_me(int x)
{
	asm volatile("" ::: "memory");
	return x * 3;
}

// Runs fn with the test hook and PSTATE.D clear (where the kernel's debug exceptions fire),
// unless gdb is attached: its breakpoints then own the debug registers.
template <typename F> bool with_test_hook(F fn)
{
	if (kgdb_connected())
		return false;
	auto old = arm64_debug_hook;
	seen = {};
	debug_monitors_init();
	arm64_debug_hook = test_hook;
	u64 daif = read_sysreg(daif);
	asm volatile("msr daifclr, #8" ::: "memory");
	fn();
	write_sysreg(daif, daif);
	arm64_debug_hook = old;
	return true;
}

} // namespace

KTEST(kgdb, sw_breakpoint_through_text_alias)
{
	void *fn = reinterpret_cast<void *>(&kgdb_test_patch_me);
	u32 orig = *static_cast<const volatile u32 *>(fn);
	if (!with_test_hook([&] {
		    seen.restore_at = fn;
		    seen.restore_insn = orig;
		    KT_EXPECT_FALSE(t, aarch64_insn_patch_text(fn, AARCH64_BREAK_KGDB_DYN_DBG).is_error());
		    KT_EXPECT_EQ(t, *static_cast<const volatile u32 *>(fn), AARCH64_BREAK_KGDB_DYN_DBG);
		    KT_EXPECT_EQ(t, kgdb_test_patch_me(5), 15);
	    }))
		return;
	KT_EXPECT_EQ(t, seen.brk, 1);
	KT_EXPECT_EQ(t, seen.pc, reinterpret_cast<u64>(fn));
	KT_EXPECT_EQ(t, *static_cast<const volatile u32 *>(fn), orig);
	// Outside the text: refused, nothing written.
	static u32 data_word;
	KT_EXPECT_TRUE(t, aarch64_insn_patch_text(&data_word, 0).is_error());
}

KTEST(kgdb, hw_breakpoint_then_step)
{
	KT_EXPECT_GE(t, hw_breakpoint_slots(), 2u);
	if (!with_test_hook([&] {
		    hw_breakpoint_set(0, reinterpret_cast<u64>(&kgdb_test_patch_me), true);
		    KT_EXPECT_EQ(t, kgdb_test_patch_me(7), 21);
	    }))
		return;
	KT_EXPECT_EQ(t, seen.hwbp, 1);
	KT_EXPECT_EQ(t, seen.step, 1);
	// The step stopped after the first instruction of the function.
	KT_EXPECT_EQ(t, seen.pc, reinterpret_cast<u64>(&kgdb_test_patch_me) + 4);
}

KTEST(kgdb, watchpoint_on_store)
{
	KT_EXPECT_GE(t, hw_watchpoint_slots(), 2u);
	static volatile u64 target[2];
	KT_EXPECT_TRUE(t, hw_watchpoint_set(0, reinterpret_cast<u64>(&target[1]) + 1, 8, WatchType::Store).is_error());
	if (!with_test_hook([&] {
		    KT_EXPECT_FALSE(t, hw_watchpoint_set(0, reinterpret_cast<u64>(&target[1]), 8, WatchType::Store).is_error());
		    (void)target[1]; // a load does not fire a store watchpoint
		    target[0] = 1;   // nor a store next to it
		    target[1] = 2;
	    }))
		return;
	hw_watchpoint_clear(0);
	KT_EXPECT_EQ(t, seen.watch, 1);
	KT_EXPECT_EQ(t, seen.far, reinterpret_cast<u64>(&target[1]));
	KT_EXPECT_EQ(t, target[1], 2u);
}
