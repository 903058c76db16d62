// Synchronous exceptions, interrupts and the oops report (Linux's traps.c/fault.c, reduced).
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/ptrace.h>
#include <asm/smp.h>
#include <asm/sysreg.h>
#include <asm/traps.h>

#include "arch/arm64/debug-monitors.h"
#include "arch/arm64/ptdump.h"
#include "kernel/crash.h"
#include "kernel/exit.h"
#include "kernel/debug/kgdb.h"
#include "kernel/extable.h"
#include "lib/format.h"
#include <asm/irqflags.h>
#include "core/panic.h"
#include "core/printk.h"
#include "mm/memory_model.h"
#include "mm/mm_struct.h"
#include "kernel/printk_internal.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/task_stack.h"
#include "kstd/result.h"

void (*handle_arch_irq)(pt_regs *regs);
void (*el0_sync_handler)(pt_regs *regs);

// The running task's kernel stack (run_on_stack moves it for the duration of its call).
StackRange current_task_stack()
{
	u64 low = reinterpret_cast<u64>(current->stack);
	return {low, low + THREAD_SIZE};
}
void set_current_task_stack(StackRange r) { current->stack = reinterpret_cast<void *>(r.low); }

extern "C" const void *exec_probe_target[];
extern "C" char __probe_exec_fault[];
extern "C" char overflow_stacks[];
static constexpr u64 OVERFLOW_STACK_SIZE = 4096;

static const char *esr_class_str(unsigned ec)
{
	switch (ec) {
	case 0x00: return "Unknown/Uncategorized";
	case 0x01: return "WFI/WFE";
	case 0x07: return "SIMD/FP";
	case 0x0e: return "PSTATE.IL";
	case 0x15: return "SVC (AArch64)";
	case 0x16: return "HVC (AArch64)";
	case 0x17: return "SMC (AArch64)";
	case 0x18: return "MSR/MRS (AArch64)";
	case 0x19: return "SVE";
	case 0x20: return "IABT (lower EL)";
	case 0x21: return "IABT (current EL)";
	case 0x22: return "PC Alignment";
	case 0x24: return "DABT (lower EL)";
	case 0x25: return "DABT (current EL)";
	case 0x26: return "SP Alignment";
	case 0x2c: return "FP (AArch64)";
	case 0x2f: return "SError";
	case 0x30: return "Breakpoint (lower EL)";
	case 0x31: return "Breakpoint (current EL)";
	case 0x32: return "Software Step (lower EL)";
	case 0x33: return "Software Step (current EL)";
	case 0x34: return "Watchpoint (lower EL)";
	case 0x35: return "Watchpoint (current EL)";
	case 0x3c: return "BRK (AArch64)";
	default: return "UNRECOGNIZED EC";
	}
}

// Fault status codes (DFSC/IFSC) as Linux's fault_info[] names them.
void esr_fsc_str(unsigned fsc, char *buf, usize n)
{
	unsigned lvl = fsc & 3;
	const char *kind = nullptr;
	switch (fsc & 0x3c) {
	case 0x00: kind = "address size fault"; break;
	case 0x04: kind = "translation fault"; break;
	case 0x08: kind = "access flag fault"; break;
	case 0x0c: kind = "permission fault"; break;
	}
	if (kind) {
		kstd::snprintf(buf, n, "level %u %s", lvl, kind);
		return;
	}
	switch (fsc) {
	case 0x10: kstd::snprintf(buf, n, "synchronous external abort"); return;
	case 0x21: kstd::snprintf(buf, n, "alignment fault"); return;
	case 0x30: kstd::snprintf(buf, n, "TLB conflict abort"); return;
	default: kstd::snprintf(buf, n, "unknown %u", fsc);
	}
}

static unsigned esr_ec(u64 esr) { return (esr >> ESR_ELx_EC_SHIFT) & 0x3f; }
const char *esr_get_class_string(u64 esr) { return esr_class_str(esr_ec(esr)); }
static bool esr_is_abort(u64 esr)
{
	unsigned ec = esr_ec(esr);
	return ec == ESR_ELx_EC_DABT_CUR || ec == ESR_ELx_EC_DABT_LOW || ec == ESR_ELx_EC_IABT_CUR ||
	       ec == ESR_ELx_EC_IABT_LOW;
}

static void mem_abort_decode(u64 esr)
{
	unsigned ec = esr_ec(esr);
	char fsc[48];
	esr_fsc_str(esr & 0x3f, fsc, sizeof(fsc));
	pr_alert("Mem abort info:\n");
	pr_alert("  ESR = 0x%016lx\n", (unsigned long)esr);
	pr_alert("  EC = 0x%02x: %s, IL = %u bits\n", ec, esr_class_str(ec), (esr >> 25) & 1 ? 32 : 16);
	pr_alert("  SET = %lu, FnV = %lu\n", (unsigned long)(esr >> 11) & 3, (unsigned long)(esr >> 10) & 1);
	pr_alert("  EA = %lu, S1PTW = %lu\n", (unsigned long)(esr >> 9) & 1, (unsigned long)(esr >> 7) & 1);
	pr_alert("  FSC = 0x%02lx: %s\n", (unsigned long)esr & 0x3f, fsc);
	if (ec == ESR_ELx_EC_DABT_CUR || ec == ESR_ELx_EC_DABT_LOW) {
		pr_alert("Data abort info:\n");
		pr_alert("  ISV = %lu, ISS = 0x%08lx\n", (unsigned long)(esr >> 24) & 1, (unsigned long)esr & 0x1ffffff);
		pr_alert("  CM = %lu, WnR = %lu\n", (unsigned long)(esr >> 8) & 1, (unsigned long)(esr >> 6) & 1);
	}
}

static bool on_stack(u64 sp, u64 size, StackRange r) { return sp >= r.low && sp + size <= r.high && sp + size > sp; }

static StackRange overflow_stack_range()
{
	u64 base = reinterpret_cast<u64>(overflow_stacks) + smp_processor_id() * OVERFLOW_STACK_SIZE;
	return {base, base + OVERFLOW_STACK_SIZE};
}

// Per-CPU IRQ stacks (Linux's irq_stack_ptr): interrupts run their handlers there, so a deep
// handler never eats into the interrupted task's stack. THREAD_SIZE each, vmalloc'ed with the
// same alignment and guard as task stacks, so the vectors' overflow test covers them too.
static void *irq_stacks[NR_CPUS];

extern "C" long __run_on_stack(u64 stack_top, long (*fn)(void *), void *arg);

StackRange irq_stack_range()
{
	u64 low = reinterpret_cast<u64>(irq_stacks[smp_processor_id()]);
	return {low, low ? low + THREAD_SIZE : 0};
}

Result irq_stack_init(unsigned cpu)
{
	if (irq_stacks[cpu])
		return {};
	void *s = alloc_thread_stack(GFP_KERNEL);
	if (!s)
		return Errno::ENOMEM;
	irq_stacks[cpu] = s;
	return {};
}

// A frame record may be on the task stack, this CPU's IRQ stack or its overflow stack;
// anything else ends the walk (a corrupt fp must not turn a report into a second fault).
static bool frame_ok(u64 fp)
{
	if (fp & 0xf)
		return false;
	return on_stack(fp, 16, current_task_stack()) || on_stack(fp, 16, irq_stack_range()) ||
	       on_stack(fp, 16, overflow_stack_range());
}

void dump_backtrace(const pt_regs *regs)
{
	u64 fp, pc;
	if (regs) {
		fp = regs->regs[29];
		pc = regs->pc;
	} else {
		fp = reinterpret_cast<u64>(__builtin_frame_address(0));
		pc = reinterpret_cast<u64>(&&here);
	here:;
	}
	printk(KERN_ALERT "Call trace:\n");
	for (int depth = 0; depth < 64; depth++) {
		printk(KERN_ALERT " %pS\n", reinterpret_cast<void *>(pc));
		if (!fp || !frame_ok(fp))
			break;
		u64 next_fp = reinterpret_cast<u64 *>(fp)[0];
		u64 lr = reinterpret_cast<u64 *>(fp)[1];
		if (!lr)
			break;
		// Linux 6.1 prints the return address itself (a call at a function's very end then
		// names the next symbol, as Linux's traces do).
		pc = lr;
		// Frames only grow upwards on one stack; the IRQ stack's first frame links to the
		// interrupted task's stack, wherever that lies.
		bool stack_change = on_stack(fp, 16, irq_stack_range()) && !on_stack(next_fp, 16, irq_stack_range());
		if (next_fp && next_fp <= fp && !stack_change && !on_stack(next_fp, 16, overflow_stack_range()))
			break;
		fp = next_fp;
	}
}

// Linux's print_pstate (AArch64 tasks): NZCV, DAIF, PAN, UAO, TCO, DIT, SSBS, BTYPE.
static void print_pstate(u64 p)
{
	static const char *const btypes[] = {"--", "jc", "-c", "j-"};
	printk(KERN_DEFAULT "pstate: %08lx (%c%c%c%c %c%c%c%c %cPAN %cUAO %cTCO %cDIT %cSSBS BTYPE=%s)\n",
	       (unsigned long)p, p & (1ul << 31) ? 'N' : 'n', p & (1ul << 30) ? 'Z' : 'z', p & (1ul << 29) ? 'C' : 'c',
	       p & (1ul << 28) ? 'V' : 'v', p & (1 << 9) ? 'D' : 'd', p & (1 << 8) ? 'A' : 'a', p & (1 << 7) ? 'I' : 'i',
	       p & (1 << 6) ? 'F' : 'f', p & PSR_PAN_BIT ? '+' : '-', p & (1ul << 23) ? '+' : '-',
	       p & (1ul << 25) ? '+' : '-', p & (1ul << 24) ? '+' : '-', p & (1ul << 12) ? '+' : '-',
	       btypes[(p >> 10) & 3]);
}

// Linux's __show_regs: who and where, pstate, pc/lr (symbolized in the kernel), sp, then
// x29..x0 three a line.
void __show_regs(const pt_regs *regs)
{
	dump_stack_print_info(KERN_DEFAULT);
	print_pstate(regs->pstate);
	if (user_mode(regs)) {
		printk(KERN_DEFAULT "pc : %016lx\n", (unsigned long)regs->pc);
		printk(KERN_DEFAULT "lr : %016lx\n", (unsigned long)regs->regs[30]);
	} else {
		printk(KERN_DEFAULT "pc : %pS\n", reinterpret_cast<void *>(regs->pc));
		printk(KERN_DEFAULT "lr : %pS\n", reinterpret_cast<void *>(regs->regs[30]));
	}
	printk(KERN_DEFAULT "sp : %016lx\n", (unsigned long)regs->sp);
	char line[96];
	usize n = 0;
	for (int i = 29; i >= 0; i--) {
		n += kstd::scnprintf(line + n, sizeof(line) - n, "x%-2d: %016lx%s", i, (unsigned long)regs->regs[i],
				     i % 3 == 0 ? "" : " ");
		if (i % 3 == 0) {
			printk(KERN_DEFAULT "%s\n", line);
			n = 0;
		}
	}
}

// Linux's show_regs: the registers, then the kernel call trace (none for user mode).
void show_regs(const pt_regs *regs)
{
	__show_regs(regs);
	if (!user_mode(regs))
		dump_backtrace(regs);
}

// Linux's dump_kernel_instr: the four instructions before pc and pc's own in parentheses.
static void dump_kernel_instr(const pt_regs *regs)
{
	if (user_mode(regs))
		return;
	char str[sizeof("00000000 ") * 5 + 2 + 1];
	usize n = 0;
	for (int i = -4; i < 1; i++) {
		u64 addr = regs->pc + 4 * i, word;
		if (probe_read(reinterpret_cast<const void *>(addr & ~7ull), &word).is_error()) {
			n += kstd::scnprintf(str + n, sizeof(str) - n, "bad PC value");
			break;
		}
		u32 val = static_cast<u32>(addr & 4 ? word >> 32 : word);
		n += kstd::scnprintf(str + n, sizeof(str) - n, i == 0 ? "(%08x) " : "%08x ", val);
	}
	printk(KERN_EMERG "Code: %s\n", str);
}

static int die_counter;

// Linux's make_task_dead: the oopsing task ends with SIGSEGV and the kernel carries on (it may
// be unstable: whatever the task held stays held). IRQs and preemption come back on for the
// exit, with Linux's notes.
[[noreturn]] static void make_task_dead(int signr)
{
	char comm[20];
	current_comm(comm, sizeof(comm));
	if (arch_irqs_disabled()) {
		pr_info("note: %s[%d] exited with irqs disabled\n", comm, current_pid());
		arch_local_irq_enable();
	}
	if (current->preempt_count) {
		pr_info("note: %s[%d] exited with preempt_count %u\n", comm, current_pid(), current->preempt_count);
		current->preempt_count = 0;
	}
	do_exit(signr);
}

// Linux's die()/__die(): "Internal error: <what>: <esr> [#n] SMP", the (empty) module list,
// registers, call trace, the code around pc, the end marker. Then Linux's choice: a panic in
// interrupt context, with oops=panic, or when the context is not a task that can be killed
// (the boot context and idle tasks, pid 0, and init, pid 1: Linux panics for those in
// make_task_dead); otherwise the report's additions and the task is killed.
void die(const char *msg, const pt_regs *regs, u64 esr)
{
	printk_bust_locks();
	arch_local_irq_disable();
	oops_begin();
	pr_emerg("Internal error: %s: %016lx [#%d] SMP\n", msg, (unsigned long)esr, ++die_counter);
	printk(KERN_DEFAULT "Modules linked in:\n");
	show_regs(regs);
	dump_kernel_instr(regs);
	print_oops_end_marker();
	// With kgdboc= set gdb gets the faulting context first (Linux's notify_die(DIE_OOPS) to
	// kgdb); it may change the registers only for the report's sake: the task dies anyway.
	kgdb_handle_oops(const_cast<pt_regs *>(regs), msg);
	add_taint(Taint::Die);
	if (!user_mode(regs) && on_stack(regs->sp, 16, irq_stack_range()))
		panic("%s: Fatal exception in interrupt", msg);
	task_struct *t = current_task();
	bool killable = t && !(t->flags & PF_IDLE) && current_pid() > 1 && !user_mode(regs);
	if (panic_on_oops || !killable)
		panic("%s: Fatal exception", msg);
	crash_report_extras();
	oops_end();
	make_task_dead(11); // SIGSEGV
}

// Linux's show_pte: the page-table walk for a faulting address, from the task's tables for a
// user address, the kernel's (swapper) for a kernel one.
static void show_pte(u64 addr)
{
	const u64 *pgdp;
	u64 pgd_pa;
	const char *which;
	if (addr < (1ull << VA_BITS)) {
		task_struct *t = current_task();
		if (!t || !t->mm) {
			pr_alert("[%016lx] user address but active_mm is swapper\n", (unsigned long)addr);
			return;
		}
		pgdp = t->mm->pgd;
		pgd_pa = virt_to_phys(pgdp).value();
		which = "user";
	} else if (addr >= PAGE_OFFSET) {
		pgd_pa = read_sysreg(ttbr1_el1) & PTE_ADDR_MASK;
		pgdp = kernel_table_va(pgd_pa);
		which = "swapper";
	} else {
		pr_alert("[%016lx] address between user and kernel address ranges\n", (unsigned long)addr);
		return;
	}
	pr_alert("%s pgtable: %luk pages, %u-bit VAs, pgdp=%016lx\n", which, (unsigned long)(PAGE_SIZE / 1024),
		 (unsigned)VA_BITS, (unsigned long)pgd_pa);
	if (!pgdp)
		return;
	char line[160];
	static const char *const names[] = {"pud", "pmd", "pte"};
	u64 d = pgdp[(addr >> 39) & 511];
	// The P4D is folded into the PGD (4 levels): Linux prints the same entry twice.
	usize n = kstd::scnprintf(line, sizeof(line), "[%016lx] pgd=%016lx, p4d=%016lx", (unsigned long)addr,
				  (unsigned long)d, (unsigned long)d);
	for (int lvl = 1; lvl <= 3; lvl++) {
		if (!table_present(d))
			break;
		const u64 *t = kernel_table_va(d & PTE_ADDR_MASK);
		if (!t)
			break;
		d = t[(addr >> (39 - 9 * lvl)) & 511];
		n += kstd::scnprintf(line + n, sizeof(line) - n, ", %s=%016lx", names[lvl - 1], (unsigned long)d);
	}
	pr_alert("%s\n", line);
}

const bug_entry *find_bug(unsigned long pc)
{
	extern const bug_entry __start___bug_table[], __stop___bug_table[];
	for (const bug_entry *b = __start___bug_table; b < __stop___bug_table; b++)
		if (reinterpret_cast<unsigned long>(&b->bug_addr_disp) + b->bug_addr_disp == pc)
			return b;
	return nullptr;
}

// Linux's report_bug + __warn (lib/bug.c, kernel/panic.c) and arm64's bug_handler: a WARN
// reports with the site's registers and continues after the brk; a BUG oopses.
static bool bug_handler(pt_regs *regs, u64 esr)
{
	const bug_entry *b = find_bug(regs->pc);
	if (!b)
		return false;
	const char *file = reinterpret_cast<const char *>(reinterpret_cast<uptr>(&b->file_disp) + b->file_disp);
	printk(KERN_DEFAULT "------------[ cut here ]------------\n");
	if (b->flags & BUGFLAG_WARNING) {
		pr_warn("WARNING: CPU: %u PID: %d at %s:%u %pS\n", smp_processor_id(), current_pid(), file, b->line,
			reinterpret_cast<void *>(regs->pc));
		printk(KERN_DEFAULT "Modules linked in:\n");
		show_regs(regs);
		check_panic_on_warn();
		print_oops_end_marker();
		add_taint(Taint::Warn);
		regs->pc += 4;
		return true;
	}
	pr_crit("kernel BUG at %s:%u!\n", file, b->line);
	die("Oops - BUG", regs, esr);
}

static bool fixup_exception(pt_regs *regs)
{
	const exception_table_entry *e = search_exception_tables(regs->pc);
	if (!e)
		return false;
	regs->pc = extable_fixup_addr(e);
	return true;
}

static void do_kernel_fault(pt_regs *regs, u64 esr, u64 far)
{
	unsigned ec = esr_ec(esr);
	// An instruction fetch fault exactly at the target of probe_exec() is its answer.
	if (ec == ESR_ELx_EC_IABT_CUR && exec_probe_target[smp_processor_id()] &&
	    reinterpret_cast<u64>(exec_probe_target[smp_processor_id()]) == regs->pc) {
		regs->pc = reinterpret_cast<u64>(__probe_exec_fault);
		return;
	}
	// A uaccess routine touching a user page that is not there yet (or not writable: CoW) is
	// an ordinary fault of the process, resolved and the access retried; only what the mm
	// cannot resolve takes the fixup.
	if (ec == ESR_ELx_EC_DABT_CUR && far < TASK_SIZE && search_exception_tables(regs->pc) &&
	    do_el1_uaccess_fault(regs, esr, far))
		return;
	if (fixup_exception(regs))
		return;
	printk_bust_locks();
	oops_begin(); // the report starts here: the look back of a panic ends before this line
	// Linux's __do_kernel_fault: what kind of access, then die_kernel_fault.
	unsigned fsc_type = esr & 0x3c;
	const char *what;
	if (fsc_type == 0x0c && (ec == ESR_ELx_EC_DABT_CUR || ec == ESR_ELx_EC_IABT_CUR))
		what = (esr & (1u << 6)) ? "write to read-only memory"
		       : ec == ESR_ELx_EC_IABT_CUR ? "execute from non-executable memory"
						   : "read from unreadable memory";
	else if (far < PAGE_SIZE)
		what = "NULL pointer dereference";
	else
		what = "paging request";
	pr_alert("Unable to handle kernel %s at virtual address %016lx\n", what, (unsigned long)far);
	mem_abort_decode(esr);
	show_pte(far);
	die("Oops", regs, esr);
}

extern "C" void do_el1_sync(pt_regs *regs)
{
	u64 esr = regs->esr;
	// The kernel debugger's BRKs, hardware breakpoints, steps and watchpoints (kernel/debug/).
	if (arm64_debug_exception(regs, esr))
		return;
	switch (esr_ec(esr)) {
	case ESR_ELx_EC_DABT_CUR:
	case ESR_ELx_EC_IABT_CUR:
		do_kernel_fault(regs, esr, regs->far);
		return;
	case ESR_ELx_EC_BRK64:
		if ((esr & 0xffff) == BUG_BRK_IMM && bug_handler(regs, esr))
			return;
		printk_bust_locks();
		pr_emerg("Unexpected kernel BRK exception at EL1 (comment %#lx)\n", (unsigned long)esr & 0xffff);
		die("BRK handler", regs, esr);
	case ESR_ELx_EC_PC_ALIGN:
	case ESR_ELx_EC_SP_ALIGN:
		printk_bust_locks();
		pr_emerg("%s at %016lx\n", esr_class_str(esr_ec(esr)), (unsigned long)regs->far);
		die("Oops - alignment", regs, esr);
	case ESR_ELx_EC_UNKNOWN:
		printk_bust_locks();
		pr_emerg("Undefined instruction at %pS\n", reinterpret_cast<void *>(regs->pc));
		die("Oops - undefined instruction", regs, esr);
	default:
		printk_bust_locks();
		pr_emerg("Unexpected EL1 exception: EC 0x%02x %s\n", esr_ec(esr), esr_class_str(esr_ec(esr)));
		if (esr_is_abort(esr))
			mem_abort_decode(esr);
		die("Oops - bad mode", regs, esr);
	}
}

static long irq_on_stack(void *regs)
{
	handle_arch_irq(static_cast<pt_regs *>(regs));
	return 0;
}

extern "C" void do_el1_irq(pt_regs *regs)
{
	if (!handle_arch_irq)
		die("Oops - IRQ with no interrupt controller", regs, 0);
	StackRange irq = irq_stack_range();
	u64 sp = reinterpret_cast<u64>(__builtin_frame_address(0));
	// Onto this CPU's IRQ stack unless we are already on it (IRQs stay masked in handlers,
	// so that happens only when a handler faults) or it does not exist yet.
	if (irq.low && !on_stack(sp, 16, irq))
		__run_on_stack(irq.high, irq_on_stack, regs);
	else
		handle_arch_irq(regs);
	// Kernel preemption (Linux's arm64_preempt_schedule_irq): the interrupted code had IRQs
	// on and no preempt_disable, so it may be switched away from here. This runs before
	// entry.S rewinds an interrupted restartable sequence, so a sequence that lost the CPU
	// (or moved to another) restarts instead of committing stale per-CPU state.
	if (!(regs->pstate & PSR_I_BIT) && current->preempt_count == 0 && need_resched())
		preempt_schedule_irq();
}

extern "C" void do_el0_sync(pt_regs *regs)
{
	if (el0_sync_handler) {
		el0_sync_handler(regs);
		return;
	}
	printk_bust_locks();
	pr_emerg("Unexpected EL0 exception (no user space): EC 0x%02x %s\n", esr_ec(regs->esr),
		 esr_class_str(esr_ec(regs->esr)));
	die("Oops - bad mode", regs, regs->esr);
}

extern "C" void do_el0_irq(pt_regs *regs)
{
	// The tick charges user time to a task it interrupts at EL0 (Linux's user_mode(regs) in
	// update_process_times).
	current->tick_from_user = true;
	do_el1_irq(regs);
	current->tick_from_user = false;
}

extern "C" void do_serror(pt_regs *regs)
{
	printk_bust_locks();
	pr_emerg("SError Interrupt on CPU%u, code 0x%016lx\n", smp_processor_id(), (unsigned long)regs->esr);
	die("Asynchronous SError Interrupt", regs, regs->esr);
}

static const char *const bad_mode_handler[] = {
	"Synchronous Abort (EL1t)", "IRQ (EL1t)", "FIQ (EL1t)", "SError (EL1t)",
	"Synchronous Abort (EL1h)", "IRQ (EL1h)", "FIQ (EL1h)", "SError (EL1h)",
	"Synchronous Abort (EL0 64-bit)", "IRQ (EL0 64-bit)", "FIQ (EL0 64-bit)", "SError (EL0 64-bit)",
	"Synchronous Abort (EL0 32-bit)", "IRQ (EL0 32-bit)", "FIQ (EL0 32-bit)", "SError (EL0 32-bit)",
};

extern "C" [[noreturn]] void do_bad_mode(pt_regs *regs, int reason)
{
	printk_bust_locks();
	pr_crit("Bad mode in %s handler detected on CPU%u, code 0x%08lx -- %s\n",
		bad_mode_handler[reason & 15], smp_processor_id(), (unsigned long)regs->esr,
		esr_class_str(esr_ec(regs->esr)));
	die("Oops - bad mode", regs, regs->esr);
}

extern "C" [[noreturn]] void handle_bad_stack(pt_regs *regs)
{
	printk_bust_locks();
	oops_begin(); // an oops report: the panic below does not print its own registers again
	StackRange t = current_task_stack(), o = overflow_stack_range();
	char task[20];
	current_comm(task, sizeof(task));
	pr_emerg("Insufficient stack space to handle exception!\n");
	pr_emerg("ESR: 0x%016lx -- %s\n", (unsigned long)regs->esr, esr_class_str(esr_ec(regs->esr)));
	pr_emerg("FAR: 0x%016lx\n", (unsigned long)regs->far);
	pr_emerg("Task stack:     [0x%016lx..0x%016lx]\n", (unsigned long)t.low, (unsigned long)t.high);
	pr_emerg("Overflow stack: [0x%016lx..0x%016lx]\n", (unsigned long)o.low, (unsigned long)o.high);
	// A vmalloc'ed stack (kernel/task_stack.h) faults in the unmapped region below it.
	bool vmap_stack = t.low >= VMALLOC_START && t.low <= VMALLOC_END;
	pr_emerg("kernel stack overflow in task %s: SP %016lx is below its %sstack [0x%016lx..0x%016lx]\n", task,
		 (unsigned long)regs->sp, vmap_stack ? "vmalloc'ed " : "", (unsigned long)t.low, (unsigned long)t.high);
	if (vmap_stack && regs->far < t.low && regs->far >= t.low - THREAD_SIZE)
		pr_emerg("FAR %016lx is in the guard region [0x%016lx..0x%016lx] below the stack\n",
			 (unsigned long)regs->far, (unsigned long)(t.low - THREAD_SIZE), (unsigned long)t.low);
	show_regs(regs);
	panic("kernel stack overflow");
}
