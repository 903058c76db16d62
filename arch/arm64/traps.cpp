// Synchronous exceptions, interrupts and the oops report (Linux's traps.c/fault.c, reduced).
#include <asm/memory.h>
#include <asm/ptrace.h>
#include <asm/smp.h>
#include <asm/sysreg.h>
#include <asm/traps.h>

#include "kernel/extable.h"
#include "lib/format.h"
#include <asm/irqflags.h>
#include "core/panic.h"
#include "core/printk.h"
#include "kernel/printk_internal.h"
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
		// The return address points after the call; report the call site like Linux.
		pc = lr - 4;
		// Frames only grow upwards on one stack; the IRQ stack's first frame links to the
		// interrupted task's stack, wherever that lies.
		bool stack_change = on_stack(fp, 16, irq_stack_range()) && !on_stack(next_fp, 16, irq_stack_range());
		if (next_fp && next_fp <= fp && !stack_change && !on_stack(next_fp, 16, overflow_stack_range()))
			break;
		fp = next_fp;
	}
}

static void print_pstate(u64 p)
{
	pr_alert("pstate: %08lx (%c%c%c%c %c%c%c%c %cPAN)\n", (unsigned long)p, p & (1ul << 31) ? 'N' : 'n',
		 p & (1ul << 30) ? 'Z' : 'z', p & (1ul << 29) ? 'C' : 'c', p & (1ul << 28) ? 'V' : 'v',
		 p & (1 << 9) ? 'D' : 'd', p & (1 << 8) ? 'A' : 'a', p & (1 << 7) ? 'I' : 'i',
		 p & (1 << 6) ? 'F' : 'f', p & PSR_PAN_BIT ? '+' : '-');
}

void show_regs(const pt_regs *regs)
{
	print_pstate(regs->pstate);
	if (user_mode(regs)) {
		pr_alert("pc : %016lx\n", (unsigned long)regs->pc);
		pr_alert("lr : %016lx\n", (unsigned long)regs->regs[30]);
	} else {
		pr_alert("pc : %pS\n", reinterpret_cast<void *>(regs->pc));
		pr_alert("lr : %pS\n", reinterpret_cast<void *>(regs->regs[30]));
	}
	pr_alert("sp : %016lx\n", (unsigned long)regs->sp);
	// Three registers a line, highest first, as Linux's __show_regs.
	char line[96];
	usize n = 0;
	for (int i = 29; i >= 0; i--) {
		n += kstd::scnprintf(line + n, sizeof(line) - n, "x%-2d: %016lx%s", i, (unsigned long)regs->regs[i],
				     i % 3 == 0 ? "" : " ");
		if (i % 3 == 0) {
			pr_alert("%s\n", line);
			n = 0;
		}
	}
}

static int die_counter;

void die(const char *msg, const pt_regs *regs, u64 esr)
{
	printk_bust_locks();
	arch_local_irq_disable();
	pr_emerg("Internal error: %s: %016lx [#%d] SMP\n", msg, (unsigned long)esr, ++die_counter);
	pr_emerg("CPU: %u PID: 0 Comm: swapper/%u\n", smp_processor_id(), smp_processor_id());
	show_regs(regs);
	if (!user_mode(regs))
		dump_backtrace(regs);
	panic("%s: Fatal exception", msg);
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
	if (fixup_exception(regs))
		return;
	printk_bust_locks();
	const char *what = far < PAGE_SIZE ? "NULL pointer dereference" : "paging request";
	pr_alert("Unable to handle kernel %s at virtual address %016lx\n", what, (unsigned long)far);
	mem_abort_decode(esr);
	if (far < PAGE_END && far >= PAGE_SIZE && (far >> 48) == 0)
		pr_alert("[%016lx] user address but active_mm is swapper\n", (unsigned long)far);
	die("Oops", regs, esr);
}

extern "C" void do_el1_sync(pt_regs *regs)
{
	u64 esr = regs->esr;
	switch (esr_ec(esr)) {
	case ESR_ELx_EC_DABT_CUR:
	case ESR_ELx_EC_IABT_CUR:
		do_kernel_fault(regs, esr, regs->far);
		return;
	case ESR_ELx_EC_BRK64:
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

extern "C" void do_el0_irq(pt_regs *regs) { do_el1_irq(regs); }

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
	StackRange t = current_task_stack(), o = overflow_stack_range();
	const char *task = current_task_name();
	char swapper[16];
	if (!task) {
		kstd::snprintf(swapper, sizeof(swapper), "swapper/%u", smp_processor_id());
		task = swapper;
	}
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
