// First on-target tests: the state head.S promised start_kernel.
#include <asm/memory.h>
#include <asm/setup.h>
#include <asm/sysreg.h>

#include "arch/arm64/ptdump.h"
#include "kernel/extable.h"
#include "kernel/kallsyms.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include <asm/traps.h>
#include "mm/vmalloc.h"
#include "core/params.h"
#include "kstd/result.h"
#include "kstd/string.h"

static unsigned expected_boot_el;
static Result set_expect_boot_el(const char *v)
{
	if (!v || v[0] < '1' || v[0] > '3' || v[1])
		return Errno::EINVAL;
	expected_boot_el = static_cast<unsigned>(v[0] - '0');
	return {};
}
EARLY_PARAM("ktest.expect_boot_el", set_expect_boot_el);

// Never written: must read as zero if head.S cleared BSS.
static u64 bss_probe[64];
static const u64 rodata_word = 0x0123456789abcdefull;
// An AArch64 `ret` in writable data: executing it must fault (W^X).
static u32 data_ret_insn = 0xd65f03c0;
static const u32 rodata_ret_insn = 0xd65f03c0;

extern "C" void ktest_ret_stub();
asm(".text\n.globl ktest_ret_stub\nktest_ret_stub: ret\n");

KTEST(boot, runs_at_high_va)
{
	u64 pc;
	asm volatile("adr %0, ." : "=r"(pc));
	u64 sp = reinterpret_cast<u64>(__builtin_frame_address(0));
	KT_EXPECT_GE(t, pc, (u64)KIMAGE_VADDR);
	KT_EXPECT_LT(t, pc, reinterpret_cast<u64>(_etext));
	// Self-tests run in PID 1, a kernel thread on its own vmalloc'ed stack (the boot stack,
	// init_stack, is the idle task's).
	StackRange st = current_task_stack();
	KT_EXPECT_GE(t, sp, st.low);
	KT_EXPECT_LT(t, sp, st.high);
	KT_EXPECT_EQ(t, current->pid, 1);
	KT_EXPECT_TRUE(t, is_vmalloc_addr(reinterpret_cast<void *>(sp)));
	KT_EXPECT_TRUE(t, st.low != reinterpret_cast<u64>(init_stack));
	KT_EXPECT_EQ(t, kimage_voffset, KIMAGE_VADDR - boot_info.load_pa.value());
}

KTEST(boot, bss_is_zero)
{
	u64 acc = 0;
	for (u64 v : bss_probe)
		acc |= v;
	KT_EXPECT_EQ(t, acc, 0u);
	KT_EXPECT_TRUE(t, reinterpret_cast<u64>(bss_probe) >= reinterpret_cast<u64>(__bss_start) &&
				  reinterpret_cast<u64>(bss_probe + 64) <= reinterpret_cast<u64>(__bss_stop));
}

KTEST(boot, runs_at_el1)
{
	KT_EXPECT_EQ(t, read_sysreg(CurrentEL) >> 2, 1u);
	KT_EXPECT_TRUE(t, boot_info.boot_el >= 1 && boot_info.boot_el <= 3);
	if (expected_boot_el)
		KT_EXPECT_EQ(t, boot_info.boot_el, expected_boot_el);
	t.log("entered at EL%u", boot_info.boot_el);
}

KTEST(boot, fixup_table_catches_faults)
{
	u64 v = 1;
	KT_EXPECT_EQ(t, __probe_read64(&v, nullptr), -14);
	KT_EXPECT_EQ(t, v, 1u); // untouched on failure
	KT_EXPECT_EQ(t, __probe_read64(&v, &rodata_word), 0);
	KT_EXPECT_EQ(t, v, rodata_word);
}

KTEST(boot, text_is_not_writable)
{
	void *target = reinterpret_cast<void *>(&ktest_ret_stub);
	u64 before = *static_cast<volatile u64 *>(target);
	KT_EXPECT_TRUE(t, probe_write(target, 0).is_error());
	KT_EXPECT_EQ(t, *static_cast<volatile u64 *>(target), before);
}

KTEST(boot, rodata_is_not_writable)
{
	KT_EXPECT_TRUE(t, probe_write(const_cast<u64 *>(&rodata_word), 0).is_error());
	KT_EXPECT_EQ(t, rodata_word, 0x0123456789abcdefull);
}

KTEST(boot, data_is_not_executable)
{
	// Control: a `ret` in text runs and returns.
	KT_EXPECT_EQ(t, probe_exec(reinterpret_cast<const void *>(&ktest_ret_stub)), 0);
	KT_EXPECT_EQ(t, probe_exec(&data_ret_insn), -14);
	KT_EXPECT_EQ(t, probe_exec(&rodata_ret_insn), -14);
	KT_EXPECT_EQ(t, probe_exec(bss_probe), -14);
}

KTEST(boot, stack_guard_is_unmapped)
{
	u64 v;
	KT_EXPECT_TRUE(t, probe_read(__stack_guard, &v).is_error());
	KT_EXPECT_FALSE(t, probe_read(init_stack, &v).is_error());
}

KTEST(boot, identity_map_is_gone)
{
	// The boot code's physical address used as a virtual one (TTBR0) no longer translates.
	u64 idmap_va = reinterpret_cast<u64>(__idmap_text_start) - kimage_voffset;
	u64 v;
	KT_EXPECT_TRUE(t, probe_read(reinterpret_cast<void *>(idmap_va), &v).is_error());
	KT_EXPECT_EQ(t, read_sysreg(ttbr0_el1) & PTE_ADDR_MASK, __pa_symbol(reserved_pg_dir).value());
}

KTEST(boot, no_writable_executable_mapping)
{
	PtdumpStats s = ptdump_walk_kernel(false);
	KT_EXPECT_GT(t, s.pages_mapped, 0u);
	KT_EXPECT_EQ(t, s.wx_pages, 0u);
	KT_EXPECT_EQ(t, s.user_pages, 0u);
}

KTEST(boot, kallsyms_names_functions)
{
	KallsymsResult r;
	KT_ASSERT_TRUE(t, kallsyms_lookup(reinterpret_cast<u64>(&ktest_ret_stub), &r));
	KT_EXPECT_EQ(t, strcmp(r.name, "ktest_ret_stub"), 0);
	KT_EXPECT_EQ(t, r.offset, 0u);
	KT_EXPECT_EQ(t, kallsyms_lookup_name("start_kernel") != 0, true);
}

// Proves the runner notices failures: fails only when `ktest.inject_failure` is given, so
// `ktest=all` passes and `ktest=all ktest.inject_failure` must exit with status 1.
static bool inject_failure;
static Result set_inject_failure(const char *) { inject_failure = true; return {}; }
EARLY_PARAM("ktest.inject_failure", set_inject_failure);

KTEST(ktest_self, injected_failure)
{
	KT_EXPECT_FALSE(t, inject_failure);
	// The comparison report's shape (tools/run_tests.py matches it): KUnit's decimal values,
	// the literal side left out.
	int injected_three = inject_failure ? 3 : 4;
	KT_EXPECT_EQ(t, injected_three, 4);
}
