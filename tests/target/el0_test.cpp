// EL0 programs on the real MMU: exec, syscalls, demand faults counted exactly, copy-on-write
// from the zero page, hostile programs killed with a report, -EFAULT from syscalls, stack
// growth, brk, out of memory, ASID rollover. After every program the free-page count is
// back exactly where it was.
//
// The programs are tiny static ELF images assembled below (one R+X PT_LOAD at 0x400000), so
// the suite does not depend on the user/ build; when an initramfs is present its /init-style
// programs are run too.
#include <asm/pgtable.h>

#include <asm/sysreg.h>
#include <asm/uaccess.h>

#include "kernel/extable.h"
#include "kernel/ktest.h"
#include "kernel/process.h"
#include "kstd/string.h"
#include "lib/cpio.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/vmstat.h"

void asid_set_bits_for_test(unsigned bits);

asm(R"(
.macro ELF_BEGIN name
	.pushsection .rodata.el0_progs, "a"
	.balign 16
	.globl \name
\name:
	.byte 0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0
	.quad 0
	.hword 2, 183
	.word 1
	.quad 0x400000 + (\name\()_entry - \name)
	.quad 64
	.quad 0
	.word 0
	.hword 64, 56, 1, 64, 0, 0
	.word 1, 5
	.quad 0, 0x400000, 0x400000
	.quad \name\()_end - \name
	.quad \name\()_end - \name
	.quad 0x1000
.endm
.macro ELF_END name
	.balign 4
	.globl \name\()_end
\name\()_end:
	.popsection
.endm
.macro SYS nr
	mov	x8, #\nr
	svc	#0
.endm
.macro EXIT_X0
	SYS 93
.endm

ELF_BEGIN el0_hello
el0_hello_msg:
	.ascii "hello from EL0\n"
el0_hello_msg_end:
	.balign 4
el0_hello_entry:
	mov	x0, #1
	adr	x1, el0_hello_msg
	mov	x2, #(el0_hello_msg_end - el0_hello_msg)
	SYS 64
	cmp	x0, #(el0_hello_msg_end - el0_hello_msg)
	mov	x0, #42
	mov	x1, #1
	csel	x0, x0, x1, eq
	EXIT_X0
ELF_END el0_hello

ELF_BEGIN el0_null
el0_null_entry:
	mov	x0, #0
	ldr	x1, [x0]
	EXIT_X0
ELF_END el0_null

ELF_BEGIN el0_wtext
el0_wtext_entry:
	adr	x0, el0_wtext_entry
	str	wzr, [x0]
	EXIT_X0
ELF_END el0_wtext

ELF_BEGIN el0_xstack
el0_xstack_entry:
	movz	w0, #0x03c0
	movk	w0, #0xd65f, lsl #16	// ret
	str	w0, [sp, #-16]!
	mov	x1, sp
	blr	x1
	mov	x0, #0
	EXIT_X0
ELF_END el0_xstack

ELF_BEGIN el0_kaddr
el0_kaddr_entry:
	movz	x0, #0xffff, lsl #48
	ldr	x1, [x0]
	EXIT_X0
ELF_END el0_kaddr

ELF_BEGIN el0_undef
el0_undef_entry:
	.word	0
	EXIT_X0
ELF_END el0_undef

// Exit status: page faults counted by getrusage around touching 64 fresh pages.
ELF_BEGIN el0_faults
el0_faults_entry:
	sub	sp, sp, #160
	mov	x0, #0
	mov	x1, sp
	SYS 165
	ldr	x19, [sp, #64]
	mov	x0, #0
	mov	x1, #0x40000
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	SYS 222
	mov	x20, x0
	mov	x21, #64
1:	str	x21, [x20]
	add	x20, x20, #4096
	subs	x21, x21, #1
	b.ne	1b
	mov	x0, #0
	mov	x1, sp
	SYS 165
	ldr	x0, [sp, #64]
	sub	x0, x0, x19
	EXIT_X0
ELF_END el0_faults

// Exit status: 10 * faults for read-then-write of a fresh page + the value read first
// (+100 if the written value does not read back).
ELF_BEGIN el0_zero_cow
el0_zero_cow_entry:
	sub	sp, sp, #160
	mov	x0, #0
	mov	x1, #4096
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	SYS 222
	mov	x20, x0
	mov	x0, #0
	mov	x1, sp
	SYS 165
	ldr	x19, [sp, #64]
	ldr	x21, [x20]
	mov	x22, #7
	str	x22, [x20]
	ldr	x23, [x20]
	mov	x0, #0
	mov	x1, sp
	SYS 165
	ldr	x0, [sp, #64]
	sub	x0, x0, x19
	mov	x1, #10
	mul	x0, x0, x1
	add	x0, x0, x21
	add	x1, x0, #100
	cmp	x23, #7
	csel	x0, x0, x1, eq
	EXIT_X0
ELF_END el0_zero_cow

// munmap of the middle page: the outer pages stay, the middle one faults.
ELF_BEGIN el0_split
el0_split_entry:
	mov	x0, #0
	mov	x1, #0x3000
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	SYS 222
	mov	x20, x0
	add	x0, x20, #0x1000
	mov	x1, #0x1000
	SYS 215
	str	xzr, [x20]
	add	x1, x20, #0x2000
	str	xzr, [x1]
	add	x1, x20, #0x1000
	str	xzr, [x1]
	mov	x0, #0
	EXIT_X0
ELF_END el0_split

ELF_BEGIN el0_mprotect
el0_mprotect_entry:
	mov	x0, #0
	mov	x1, #0x1000
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	SYS 222
	mov	x20, x0
	str	xzr, [x20]
	mov	x0, x20
	mov	x1, #0x1000
	mov	x2, #1
	SYS 226
	cbnz	x0, 1f
	str	xzr, [x20]
1:	mov	x0, #1
	EXIT_X0
ELF_END el0_mprotect

// Exit status: -(write with a kernel pointer) - (clock_gettime into a buffer straddling an
// unmapped page) - (an unknown syscall) = 14 + 14 + 38.
ELF_BEGIN el0_efault
el0_efault_entry:
	mov	x0, #1
	movz	x1, #0xffff, lsl #48
	mov	x2, #10
	SYS 64
	neg	x19, x0
	mov	x0, #0
	mov	x1, #0x2000
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	SYS 222
	mov	x20, x0
	add	x0, x20, #0x1000
	mov	x1, #0x1000
	SYS 215
	mov	x0, #0
	add	x1, x20, #4088
	SYS 113
	sub	x19, x19, x0
	mov	x8, #999
	svc	#0
	sub	x0, x19, x0
	EXIT_X0
ELF_END el0_efault

ELF_BEGIN el0_stack
el0_stack_entry:
	mov	x1, #0x100000
	sub	x0, sp, x1
	str	xzr, [x0]
	mov	x0, #0
	EXIT_X0
ELF_END el0_stack

ELF_BEGIN el0_stack_over
el0_stack_over_entry:
	mov	x1, #0x1000000
	sub	x0, sp, x1
	str	xzr, [x0]
	mov	x0, #0
	EXIT_X0
ELF_END el0_stack_over

// brk: grow by 64 KiB, touch, shrink back, touch again (killed).
ELF_BEGIN el0_brk
el0_brk_entry:
	mov	x0, #0
	SYS 214
	mov	x19, x0
	add	x0, x19, #0x10000
	mov	x21, x0
	SYS 214
	cmp	x0, x21
	b.ne	1f
	add	x22, x19, #0xf000
	str	xzr, [x22]
	mov	x0, x19
	SYS 214
	cmp	x0, x19
	b.ne	1f
	str	xzr, [x22]
1:	mov	x0, #1
	EXIT_X0
ELF_END el0_brk

// Exit status: -mmap(1 TiB) (+100 unless brk(+1 TiB) leaves the break unchanged).
ELF_BEGIN el0_enomem
el0_enomem_entry:
	mov	x0, #0
	mov	x1, #0x10000000000
	mov	x2, #3
	mov	x3, #0x22
	mov	x4, #-1
	mov	x5, #0
	SYS 222
	neg	x19, x0
	mov	x0, #0
	SYS 214
	mov	x20, x0
	mov	x1, #0x10000000000
	add	x0, x0, x1
	SYS 214
	add	x1, x19, #100
	cmp	x0, x20
	csel	x0, x19, x1, eq
	EXIT_X0
ELF_END el0_enomem

// Touches 4 GiB of MAP_NORESERVE memory: runs out of RAM and must be killed.
ELF_BEGIN el0_oom
el0_oom_entry:
	mov	x0, #0
	mov	x1, #0x100000000
	mov	x2, #3
	mov	x3, #0x4022
	mov	x4, #-1
	mov	x5, #0
	SYS 222
	mov	x20, x0
	mov	x21, #0x100000
1:	str	x21, [x20]
	add	x20, x20, #4096
	subs	x21, x21, #1
	b.ne	1b
	mov	x0, #0
	EXIT_X0
ELF_END el0_oom
)");

#define EL0_PROG(name) extern "C" const u8 name[], name##_end[];
EL0_PROG(el0_hello)
EL0_PROG(el0_null)
EL0_PROG(el0_wtext)
EL0_PROG(el0_xstack)
EL0_PROG(el0_kaddr)
EL0_PROG(el0_undef)
EL0_PROG(el0_faults)
EL0_PROG(el0_zero_cow)
EL0_PROG(el0_split)
EL0_PROG(el0_mprotect)
EL0_PROG(el0_efault)
EL0_PROG(el0_stack)
EL0_PROG(el0_stack_over)
EL0_PROG(el0_brk)
EL0_PROG(el0_enomem)
EL0_PROG(el0_oom)

namespace {

unsigned long free_pages_now()
{
	kmem_cache_shrink_all(); // empty VMA/mm slabs kept for the next program are not a leak
	return nr_free_pages();
}

// Runs an image and checks the ledger; ok=false when it could not run.
bool run(KTest &t, const char *name, const u8 *start, const u8 *end, exit_info &out)
{
	const char *argv[] = {name, "arg1"};
	const char *envp[] = {"TERM=dumb"};
	unsigned long before = free_pages_now();
	set_user_console_prefix("    # ");
	auto r = run_program_image(name, kstd::span<const u8>(start, static_cast<usize>(end - start)),
				   kstd::span<const char *const>(argv, 2), kstd::span<const char *const>(envp, 1));
	set_user_console_prefix(nullptr);
	unsigned long after = free_pages_now();
	KT_EXPECT_EQ(t, after, before);
	if (r.is_error()) {
		t.fail_at(__FILE__, __LINE__, "%s did not run: %s", name, r.error().name());
		return false;
	}
	out = r.value();
	return true;
}

void expect_exit(KTest &t, const exit_info &e, int status)
{
	KT_EXPECT_EQ(t, (int)e.kind, (int)ExitKind::Exited);
	KT_EXPECT_EQ(t, e.status, status);
}

void expect_kill(KTest &t, const exit_info &e, int sig, const char *reason)
{
	KT_EXPECT_EQ(t, (int)e.kind, (int)ExitKind::Killed);
	KT_EXPECT_EQ(t, e.signal, sig);
	if (reason && strcmp(e.reason, reason) != 0)
		t.fail_at(__FILE__, __LINE__, "kill reason '%s', expected '%s'", e.reason, reason);
}

#define RUN(t, prog, e)                                 \
	exit_info e{};                                       \
	if (!run(t, #prog, prog, prog##_end, e))             \
		return;

} // namespace

KTEST(el0, hello_write_exit)
{
	RUN(t, el0_hello, e);
	expect_exit(t, e, 42);
}

KTEST(el0, null_dereference_killed)
{
	RUN(t, el0_null, e);
	expect_kill(t, e, SIGSEGV, "level 2 translation fault");
	KT_EXPECT_EQ(t, e.addr, 0ul);
	KT_EXPECT_EQ(t, e.esr, 0x92000006ul);
	KT_EXPECT_EQ(t, e.pc, 0x40007cul); // the load after `mov x0, #0` at the entry
}

KTEST(el0, write_to_text_killed)
{
	RUN(t, el0_wtext, e);
	expect_kill(t, e, SIGSEGV, "level 3 permission fault");
	KT_EXPECT_EQ(t, e.addr, 0x400078ul);
}

KTEST(el0, execute_from_stack_killed)
{
	RUN(t, el0_xstack, e);
	expect_kill(t, e, SIGSEGV, "level 3 permission fault");
	KT_EXPECT_EQ(t, e.addr, e.pc);
	KT_EXPECT_EQ(t, (e.esr >> 26) & 0x3f, 0x20ul); // IABT from EL0
}

KTEST(el0, kernel_address_killed)
{
	RUN(t, el0_kaddr, e);
	expect_kill(t, e, SIGSEGV, nullptr);
	KT_EXPECT_EQ(t, e.addr, 0xffff000000000000ul);
}

KTEST(el0, undefined_instruction_killed)
{
	RUN(t, el0_undef, e);
	expect_kill(t, e, SIGILL, "undefined instruction");
}

KTEST(el0, demand_faults_counted_exactly)
{
	unsigned long pgfault0 = global_vm_event(PGFAULT);
	RUN(t, el0_faults, e);
	expect_exit(t, e, 64);
	// vmstat's pgfault counts every fault the program took, as its own getrusage saw them
	// (the exit status counts those of its 64-page loop, ru_minflt all of them).
	t.log("pgfault +%lu, the program's ru_minflt %lu", global_vm_event(PGFAULT) - pgfault0, e.min_flt);
	KT_EXPECT_EQ(t, global_vm_event(PGFAULT) - pgfault0, e.min_flt);
	KT_EXPECT_GE(t, e.min_flt, 64ul);
}

KTEST(el0, zero_page_then_cow)
{
	RUN(t, el0_zero_cow, e);
	expect_exit(t, e, 20);
}

KTEST(el0, munmap_middle_splits)
{
	RUN(t, el0_split, e);
	expect_kill(t, e, SIGSEGV, "level 3 translation fault");
	KT_EXPECT_EQ(t, e.addr & 0xfff, 0ul);
}

KTEST(el0, mprotect_readonly_then_write_killed)
{
	RUN(t, el0_mprotect, e);
	expect_kill(t, e, SIGSEGV, "level 3 permission fault");
}

KTEST(el0, efault_and_enosys)
{
	RUN(t, el0_efault, e);
	expect_exit(t, e, 66);
}

KTEST(el0, stack_grows_within_rlimit)
{
	RUN(t, el0_stack, e);
	expect_exit(t, e, 0);
}

KTEST(el0, stack_beyond_rlimit_killed)
{
	RUN(t, el0_stack_over, e);
	expect_kill(t, e, SIGSEGV, nullptr);
}

KTEST(el0, brk_grow_shrink)
{
	RUN(t, el0_brk, e);
	expect_kill(t, e, SIGSEGV, "level 3 translation fault");
}

KTEST(el0, enomem_from_mmap_and_brk)
{
	RUN(t, el0_enomem, e);
	expect_exit(t, e, 12);
}

KTEST(el0, out_of_memory_killed)
{
	unsigned long oom0 = global_vm_event(OOM_KILL);
	RUN(t, el0_oom, e);
	expect_kill(t, e, SIGKILL, "out of memory");
	KT_EXPECT_EQ(t, global_vm_event(OOM_KILL) - oom0, 1ul);
	KT_EXPECT_GT(t, e.min_flt, 1000ul);
}

KTEST(el0, bad_images_refused)
{
	const char *argv[] = {"x"};
	unsigned long before = free_pages_now();
	u8 junk[64] = {0x7f, 'E', 'L', 'F'};
	auto r = run_program_image("junk", kstd::span<const u8>(junk, sizeof(junk)), kstd::span<const char *const>(argv, 1), {});
	KT_EXPECT_TRUE(t, r.is_error());
	KT_EXPECT_EQ(t, free_pages_now(), before);
}

KTEST(el0, asid_rollover)
{
	asid_stats s0 = asid_get_stats();
	unsigned bits = s0.bits;
	asid_set_bits_for_test(3); // 7 usable ASIDs
	mm_struct *mms[20] = {};
	bool ok = true;
	for (auto &m : mms) {
		auto r = mm_alloc();
		if (r.is_error()) {
			ok = false;
			break;
		}
		m = r.value();
		check_and_switch_context(m);
	}
	KT_EXPECT_TRUE(t, ok);
	KT_EXPECT_GE(t, asid_get_stats().rollovers, s0.rollovers + 2);
	// Contexts of the current generation (the running one's) never share an ASID; older
	// ones get a new ASID when next switched to.
	if (ok) {
		u64 gen = mms[19]->context.id >> 3;
		int in_gen = 0;
		for (int i = 0; i < 20; i++) {
			KT_EXPECT_LE(t, mms[i]->context.id >> 3, gen);
			KT_EXPECT_NE(t, mms[i]->context.id & 7, 0ul);
			if (mms[i]->context.id >> 3 != gen)
				continue;
			in_gen++;
			for (int j = i + 1; j < 20; j++)
				if (mms[j]->context.id >> 3 == gen)
					KT_EXPECT_NE(t, mms[i]->context.id & 7, mms[j]->context.id & 7);
		}
		KT_EXPECT_GE(t, in_gen, 1);
		// Switching back to an old context revalidates it into the current generation.
		check_and_switch_context(mms[0]);
		KT_EXPECT_GE(t, mms[0]->context.id >> 3, gen);
		if (mms[0]->context.id >> 3 == mms[19]->context.id >> 3)
			KT_EXPECT_NE(t, mms[0]->context.id & 7, mms[19]->context.id & 7);
	}
	switch_to_kernel_context();
	for (auto *m : mms)
		if (m)
			mmput(m);
	asid_set_bits_for_test(bits);
}

// The initramfs's programs (user/), when one is present: the EL0 test suite as ET_EXEC
// (/init) and static-PIE, the hostile programs (user/hostile/EXPECT: killed with SIGSEGV, or
// exit 0 after their own KTAP checks) and static glibc. The slow ones (malloc_stress,
// oom_touch) are left to `run` and the user/ runner; el0.out_of_memory_killed covers OOM.
enum class Want { Exit0, Segv };
struct InitramfsProgram {
	const char *path;
	Want want;
};
const InitramfsProgram initramfs_programs[] = {
	{"/init", Want::Exit0},
	{"/bin/ktest_user_pie", Want::Exit0},
	{"/bin/null_deref", Want::Segv},
	{"/bin/write_text", Want::Segv},
	{"/bin/exec_stack", Want::Segv},
	{"/bin/kernel_addr", Want::Segv},
	{"/bin/mprotect_ro", Want::Segv},
	{"/bin/brk_shrink", Want::Segv},
	{"/bin/stack_overflow", Want::Segv},
	{"/bin/stack_guard", Want::Segv},
	{"/bin/efault_kptr", Want::Exit0},
	{"/bin/efault_straddle", Want::Exit0},
	{"/bin/mmap_enomem", Want::Exit0},
	{"/bin/glibc/hello", Want::Exit0},
	{"/bin/ktest_futex", Want::Exit0},
	{"/bin/glibc/pthread_counter", Want::Exit0},
	{"/bin/rwx_exec", Want::Exit0},
	{"/bin/regs_fault", Want::Exit0},
	{"/bin/stack_rlimit0", Want::Segv},
	{"/bin/ktest_proc", Want::Exit0},
	{"/bin/glibc/proc", Want::Exit0},
	{"/bin/ktest_tty", Want::Exit0},
	{"/bin/ktest_signal", Want::Exit0},
	{"/bin/glibc/signals", Want::Exit0},
	{"/bin/ktest_fs", Want::Exit0},
	{"/bin/ktest_fmap", Want::Exit0},
	{"/bin/glibc/dynamic/hello", Want::Exit0},
	{"/bin/ktest_procfs", Want::Exit0},
	{"/bin/ktest_pipe", Want::Exit0},
	{"/bin/glibc/pipes", Want::Exit0},
};

KTEST(el0, initramfs_programs)
{
	kstd::span<const u8> rd = initramfs_image();
	if (rd.empty() || cpio::validate(rd).is_error()) {
		t.skip("no initramfs");
		return;
	}
	int ran = 0;
	for (const InitramfsProgram &p : initramfs_programs) {
		if (cpio::find(rd, p.path).is_error())
			continue;
		const char *argv[] = {p.path};
		unsigned long before = free_pages_now();
		set_user_console_prefix("    # ");
		auto r = run_program(p.path, kstd::span<const char *const>(argv, 1), {});
		set_user_console_prefix(nullptr);
		KT_EXPECT_EQ(t, free_pages_now(), before);
		if (r.is_error()) {
			t.fail_at(__FILE__, __LINE__, "%s: %s", p.path, r.error().name());
			continue;
		}
		const exit_info &e = r.value();
		t.log("%s: %s %d", p.path, e.kind == ExitKind::Exited ? "exit" : "signal",
		      e.kind == ExitKind::Exited ? e.status : e.signal);
		if (p.want == Want::Exit0)
			expect_exit(t, e, 0);
		else
			expect_kill(t, e, SIGSEGV, nullptr);
		ran++;
	}
	if (!ran)
		t.skip("none of the known programs is in the initramfs");
}

// The one way left to make a user fault that the handler resolves but the CPU refuses again:
// SCTLR_EL1.WXN, which makes writable pages execute-never behind the page tables' back (the
// kernel ran with it once, and RWX programs then faulted forever). The task must be killed
// with a report, not loop.
KTEST(el0, unresolvable_fault_is_killed_not_looped)
{
	kstd::span<const u8> rd = initramfs_image();
	auto e = cpio::find(rd, "/bin/rwx_exec");
	if (e.is_error()) {
		t.skip("no /bin/rwx_exec");
		return;
	}
	const char *argv[] = {"/bin/rwx_exec"};
	constexpr u64 WXN = 1ul << 19;
	auto set_wxn = [](bool on) {
		u64 v = read_sysreg(sctlr_el1);
		write_sysreg(on ? v | WXN : v & ~WXN, sctlr_el1);
		// WXN may be cached in TLB entries: drop them all.
		asm volatile("dsb ishst\n tlbi vmalle1\n dsb ish\n isb" ::: "memory");
	};
	set_wxn(true);
	set_user_console_prefix("    # ");
	auto r = run_program("/bin/rwx_exec", kstd::span<const char *const>(argv, 1), {});
	set_user_console_prefix(nullptr);
	set_wxn(false);
	KT_ASSERT_TRUE(t, !r.is_error());
	expect_kill(t, r.value(), SIGSEGV, "unresolvable fault");
	// Without WXN the same program runs (JITs rely on RWX pages, as on Linux).
	auto ok = run_program("/bin/rwx_exec", kstd::span<const char *const>(argv, 1), {});
	KT_ASSERT_TRUE(t, !ok.is_error());
	expect_exit(t, ok.value(), 0);
}

// With PAN the kernel's own loads from user pages fault (fixed up to -EFAULT); uaccess's
// unprivileged loads and stores work and obey the user permissions.
extern bool cpu_has_pan;
KTEST(el0, pan_and_uaccess_permissions)
{
	unsigned long before = free_pages_now();
	auto m = mm_alloc();
	KT_ASSERT_TRUE(t, !m.is_error());
	mm_struct *mm = m.value();
	long a = ksys_mmap(mm, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			   ~0ul, 0);
	KT_EXPECT_GT(t, a, 0l);
	KT_EXPECT_EQ(t, ksys_mprotect(mm, a + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0l);
	check_and_switch_context(mm);
	void *ua = reinterpret_cast<void *>(a);
	u64 v = 0;
	Result pr = probe_read(ua, &v);
	KT_EXPECT_EQ(t, pr.is_error(), cpu_has_pan);
	u64 x = 0x1122334455667788ull;
	KT_EXPECT_EQ(t, __arch_copy_to_user(ua, &x, 8), 0ul);
	KT_EXPECT_EQ(t, __arch_copy_from_user(&v, ua, 8), 0ul);
	KT_EXPECT_EQ(t, v, x);
	// The read-only page refuses an STTR even though the kernel maps it; the copy stops at
	// the page boundary and reports the rest as not copied.
	u8 buf[32] = {};
	KT_EXPECT_EQ(t, __arch_copy_to_user(reinterpret_cast<u8 *>(a) + PAGE_SIZE - 16, buf, 32), 16ul);
	KT_EXPECT_EQ(t, __arch_copy_from_user(buf, reinterpret_cast<u8 *>(a) + PAGE_SIZE - 16, 32), 0ul);
	// Kernel pointers never pass access_ok.
	KT_EXPECT_EQ(t, copy_from_user(buf, buf, 8), 8ul);
	KT_EXPECT_EQ(t, copy_to_user(reinterpret_cast<void *>(0xfffffffffff0ul), buf, 32), 32ul);
	switch_to_kernel_context();
	mmput(mm);
	KT_EXPECT_EQ(t, free_pages_now(), before);
}
