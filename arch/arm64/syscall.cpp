// EL0 synchronous exceptions: SVC -> the syscall table (Linux AArch64 ABI: x8 number, x0-x5
// arguments, result in x0), instruction/data aborts -> the fault path (arch/arm64/mm/fault.cpp),
// anything else -> a signal-style kill with a report. Also the CPU features user space needs
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
	regs->regs[0] = static_cast<u64>(invoke_syscall(nr, regs));
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
		force_sig_kill(SIGBUS, "pc alignment fault", regs->far, esr, regs);
	case ESR_ELx_EC_SP_ALIGN:
		force_sig_kill(SIGBUS, "sp alignment fault", regs->sp, esr, regs);
	case ESR_ELx_EC_BRK64:
		force_sig_kill(SIGTRAP, "breakpoint", regs->pc, esr, regs);
	case ESR_ELx_EC_FP_EXC64:
		force_sig_kill(SIGFPE, "floating-point exception", regs->pc, esr, regs);
	case ESR_ELx_EC_UNKNOWN:
	case ESR_ELx_EC_SYS64:
	default:
		force_sig_kill(SIGILL, "undefined instruction", regs->pc, esr, regs);
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
