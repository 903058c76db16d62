// EL0 synchronous exceptions: SVC -> the syscall table (Linux AArch64 ABI: x8 number, x0-x5
// arguments, result in x0), instruction/data aborts -> the fault path (arch/arm64/mm/fault.cpp),
// anything else -> a synchronous signal (SIGBUS, SIGTRAP, SIGFPE, SIGILL) with Linux's si_code
// and si_addr: a handler runs, or the task is killed with Linux's report. Also the CPU features user space needs
// (PAN, EL0 counter access) and strncpy_from_user.
#include <asm/arch_timer.h>
#include <asm/irqflags.h>
#include <asm/pgtable.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>
#include <asm/traps.h>
#include <asm/uaccess.h>

#include "core/panic.h"
#include "kstd/util.h"
#include "lib/format.h"
#include "core/printk.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "mm/mm_struct.h"

void asid_init(); // arch/arm64/user_pgtable.cpp

bool cpu_has_pan;

static unsigned esr_ec(u64 esr) { return (esr >> ESR_ELx_EC_SHIFT) & 0x3f; }

long strncpy_from_user(char *dst, const char *src, long count)
{
	if (count <= 0)
		return 0;
	unsigned long a = reinterpret_cast<unsigned long>(src);
	if (a >= USER_DS_LIMIT)
		return -14;
	unsigned long max = USER_DS_LIMIT - a;
	if (static_cast<unsigned long>(count) > max)
		count = static_cast<long>(max);
	// Fault in page by page: the string may end long before an unmapped page.
	long done = 0;
	while (done < count) {
		unsigned long chunk = PAGE_SIZE - ((a + done) & (PAGE_SIZE - 1));
		if (chunk > static_cast<unsigned long>(count - done))
			chunk = count - done;
		if (fault_in_user(a + done, chunk, false) != chunk)
			return -14;
		long r = __arch_strncpy_from_user(dst + done, src + done, static_cast<long>(chunk));
		if (r < 0)
			return r;
		if (r < static_cast<long>(chunk))
			return done + r;
		done += chunk;
	}
	return count;
}

static void el0_svc(pt_regs *regs)
{
	u64 nr = regs->regs[8];
	// Kept for a restart after a signal (arch/arm64/signal.cpp do_signal), as Linux's el0_svc.
	regs->orig_x0 = regs->regs[0];
	regs->syscallno = static_cast<i64>(nr);
	regs->regs[0] = static_cast<u64>(invoke_syscall(nr, regs));
}

// Linux's arm64_notify_die for a fault from EL0: the frame gets no fault address and this ESR.
// frame_esr: what esr_context gets; the kill report prints the exception's own ESR as before.
static void notify_fault(pt_regs *regs, int sig, int code, u64 addr, const char *reason, u64 esr, u64 frame_esr)
{
	task_struct *t = current;
	t->fault_address = 0;
	t->fault_code = frame_esr;
	force_sig_fault(sig, code, addr, reason, esr, regs);
}

// SIGFPE's si_code from a trapped floating-point exception's syndrome (Linux's do_fpsimd_exc).
static int fpe_code(u64 esr)
{
	constexpr u64 TFV = 1u << 23, IOF = 1, DZF = 2, OFF = 4, UFF = 8, IXF = 16;
	if (!(esr & TFV))
		return FPE_FLTUNK;
	if (esr & IOF)
		return FPE_FLTINV;
	if (esr & DZF)
		return FPE_FLTDIV;
	if (esr & OFF)
		return FPE_FLTOVF;
	if (esr & UFF)
		return FPE_FLTUND;
	if (esr & IXF)
		return FPE_FLTRES;
	return FPE_FLTUNK;
}

static void el0_sync(pt_regs *regs)
{
	u64 esr = regs->esr;
	// Syscalls and faults run with interrupts on, as Linux's process context: a console
	// read or nanosleep waits with the tick and the receive interrupt working. They are
	// masked again before kernel_exit rewrites ELR/SPSR.
	switch (esr_ec(esr)) {
	case ESR_ELx_EC_SVC64:
		arch_local_irq_enable();
		el0_svc(regs);
		arch_local_irq_disable();
		return;
	case ESR_ELx_EC_DABT_LOW:
		arch_local_irq_enable();
		do_el0_mem_abort(regs, esr, false);
		arch_local_irq_disable();
		return;
	case ESR_ELx_EC_IABT_LOW:
		arch_local_irq_enable();
		do_el0_mem_abort(regs, esr, true);
		arch_local_irq_disable();
		return;
	case ESR_ELx_EC_PC_ALIGN:
		notify_fault(regs, SIGBUS, BUS_ADRALN, regs->far, "pc alignment fault", esr, esr);
		return;
	case ESR_ELx_EC_SP_ALIGN:
		notify_fault(regs, SIGBUS, BUS_ADRALN, regs->sp, "sp alignment fault", esr, esr);
		return;
	case ESR_ELx_EC_BRK64:
		// Linux's brk_handler -> send_user_sigtrap: the frame's fault fields stay as they were.
		force_sig_fault(SIGTRAP, TRAP_BRKPT, regs->pc, "breakpoint", esr, regs);
		return;
	case ESR_ELx_EC_FP_EXC64:
		force_sig_fault(SIGFPE, fpe_code(esr), regs->pc, "floating-point exception", esr, regs);
		return;
	case ESR_ELx_EC_UNKNOWN:
	case ESR_ELx_EC_SYS64:
	default:
		// Linux's do_undefinstr/do_sysinstr -> force_signal_inject: ESR 0 in the frame.
		notify_fault(regs, SIGILL, ILL_ILLOPC, regs->pc, "undefined instruction", esr, 0);
		return;
	}
}

// CPU setup for user space; call once after mm_core_init().
void el0_init()
{
	if (Result r = zero_page_init(); r.is_error())
		panic("el0_init: no memory for the zero page");
	if (Result r = mmap_init(); r.is_error())
		panic("el0_init: cannot create the VMA and mm_struct caches");
	asid_init();
	// CNTKCTL_EL1.EL0VCTEN (bit 1): EL0 reads CNTVCT_EL0 (clock_gettime without a syscall,
	// the benchmark's timer); EL0PCTEN stays clear as on Linux.
	write_sysreg(read_sysreg(cntkctl_el1) | (1ul << 1), cntkctl_el1);
	// PAN (ARMv8.1): privileged accesses to user pages fault; uaccess uses LDTR/STTR, which
	// PAN does not restrict. SPAN=0 makes every exception entry set PSTATE.PAN.
	u64 mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	cpu_has_pan = ((mmfr1 >> 20) & 0xf) != 0;
	if (cpu_has_pan) {
		write_sysreg(read_sysreg(sctlr_el1) & ~u64(SCTLR_EL1_SPAN), sctlr_el1);
		isb();
		asm volatile(".inst 0xd500419f" ::: "memory"); // msr pan, #1
	}
	el0_sync_handler = el0_sync;
	pr_info("EL0: PAN %s, ASIDs %u bits, user VA %#lx-%#lx\n", cpu_has_pan ? "on" : "not supported",
		asid_get_stats().bits, mmap_min_addr, TASK_SIZE - 1);
}
