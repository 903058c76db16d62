// arm64 user page faults (Linux's arch/arm64/mm/fault.c): decodes a data or instruction abort
// from EL0 (or a uaccess fault-in on its behalf) into fault flags, lets the generic fault path
// (do_user_addr_fault in mm/memory.cpp) resolve it, and turns what it cannot resolve into a
// signal with Linux's si_code and si_addr (kernel/signal.h force_sig_fault: a handler runs, or
// the task is killed with Linux's report when there is none).
#include <asm/irqflags.h>
#include <asm/pgtable.h>
#include <asm/ptrace.h>
#include <asm/traps.h>
#include <asm/uaccess.h>

#include "core/panic.h"
#include "core/printk.h"
#include "kernel/oom.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "mm/mm_struct.h"
#include "mm/vmstat.h"

// Fault status names as Linux's fault_info[] (the kill report's reason): the same table the
// oops uses (arch/arm64/traps.cpp).
static void fault_name(u64 esr, char *buf, usize n) { esr_fsc_str(static_cast<unsigned>(esr & 0x3f), buf, n); }

// Retry: resolved without a change (VM_FAULT_SPURIOUS); the access may simply succeed now.
enum class UserFault { Ok, Retry, MapErr, AccErr, Oom, Bus };

// Resolves a user access to addr (from EL0 or from uaccess on its behalf) and accounts it to
// the task, as Linux's mm_account_fault.
static UserFault do_user_fault(task_struct *t, unsigned long addr, unsigned flags)
{
	if (!t->mm)
		return UserFault::MapErr;
	vm_fault_t r;
	{
		// Exclusive for now (see mm/mm_struct.h): another thread of the process may be
		// faulting or unmapping in the same mm.
		WriteGuard g(t->mm->mmap_lock);
		r = do_user_addr_fault(t->mm, addr, flags);
	}
	if (r & VM_FAULT_BADMAP)
		return UserFault::MapErr;
	if (r & (VM_FAULT_BADACCESS | VM_FAULT_SIGSEGV))
		return UserFault::AccErr;
	if (r & VM_FAULT_OOM)
		return UserFault::Oom;
	// A file page beyond EOF (Linux's do_sigbus: SIGBUS, BUS_ADRERR at the address).
	if (r & VM_FAULT_SIGBUS)
		return UserFault::Bus;
	t->min_flt++;
	return (r & VM_FAULT_SPURIOUS) ? UserFault::Retry : UserFault::Ok;
}

// What the signal frame reports of a user fault (Linux's set_thread_esr): the address, and the
// ESR, which for a kernel address keeps only what user space may see (the access kind) with a
// generic fault status.
static void set_thread_esr(task_struct *t, u64 address, u64 esr)
{
	t->fault_address = address;
	if (address >= TASK_SIZE) {
		constexpr u64 EC_MASK = 0x3full << ESR_ELx_EC_SHIFT, IL = 1ull << 25, CM = 1ull << 8, WNR = 1ull << 6,
			      FSC_FAULT = 0x04;
		switch ((esr >> ESR_ELx_EC_SHIFT) & 0x3f) {
		case ESR_ELx_EC_DABT_LOW:
			esr = (esr & (EC_MASK | IL | CM | WNR)) | FSC_FAULT;
			break;
		case ESR_ELx_EC_IABT_LOW:
			esr = (esr & (EC_MASK | IL)) | FSC_FAULT;
			break;
		default:
			esr = 0;
			break;
		}
	}
	t->fault_code = esr;
}

// Linux's "repeated fault" guard shared by EL0 faults and uaccess faults: the very same fault
// (pc, address, syndrome) coming back FAULT_REPEAT_LIMIT times with nothing to change means
// something the page tables do not show refuses it. True once the limit is reached.
static bool fault_repeats_too_often(task_struct *t, const pt_regs *regs, u64 far, u64 esr)
{
	constexpr unsigned FAULT_REPEAT_LIMIT = 1024;
	if (regs->pc == t->last_fault_pc && far == t->last_fault_addr && esr == t->last_fault_esr)
		return ++t->fault_repeats >= FAULT_REPEAT_LIMIT;
	t->last_fault_pc = regs->pc;
	t->last_fault_addr = far;
	t->last_fault_esr = esr;
	t->fault_repeats = 1;
	return false;
}

void do_el0_mem_abort(pt_regs *regs, u64 esr, bool instr)
{
	task_struct *t = current_task();
	u64 far = regs->far;
	unsigned fsc = esr & 0x3f;
	char name[48];
	bool translation_or_perm = (fsc & 0x3c) == 0x04 || (fsc & 0x3c) == 0x08 || (fsc & 0x3c) == 0x0c;
	if (!translation_or_perm) {
		fault_name(esr, name, sizeof(name));
		if (fsc == 0x21) { // alignment fault (Linux's do_alignment_fault -> do_bad_area)
			set_thread_esr(t, far, esr);
			force_sig_fault(SIGBUS, BUS_ADRALN, far, name, esr, regs);
		} else { // external aborts and the rest (Linux's do_bad/do_sea -> arm64_notify_die)
			t->fault_address = 0;
			t->fault_code = esr;
			force_sig_fault(SIGBUS, BUS_OBJERR, far, name, esr, regs);
		}
		return;
	}
	unsigned flags = FAULT_FLAG_USER;
	if (instr)
		flags |= FAULT_FLAG_INSTRUCTION;
	else if ((esr & (1u << 6)) && !(esr & (1u << 8))) // WnR, not a cache maintenance op
		flags |= FAULT_FLAG_WRITE;
	UserFault r = do_user_fault(t, far, flags);
	if (likely(r == UserFault::Ok)) {
		t->fault_repeats = 0;
		return;
	}
	if (r == UserFault::Retry) {
		// The handler found nothing to change. If the very same fault (same pc, address and
		// syndrome) keeps coming back, something the page tables do not show refuses it (a CPU
		// control such as SCTLR_EL1.WXN, a table the handler misreads): report and kill
		// instead of faulting forever with the console dead. A race or a stale TLB entry
		// resolves on the first retry.
		if (fault_repeats_too_often(t, regs, far, esr)) {
			fault_name(esr, name, sizeof(name));
			pr_err("%s[%d]: %s at 0x%016lx (pc 0x%016lx) not resolved after %u retries\n", t->comm, t->pid,
			       name, (unsigned long)far, (unsigned long)regs->pc, t->fault_repeats);
			set_thread_esr(t, far, esr);
			force_sig_fault(SIGSEGV, SEGV_ACCERR, far, "unresolvable fault", esr, regs);
		}
		return;
	}
	fault_name(esr, name, sizeof(name));
	switch (r) {
	case UserFault::Ok:
		return;
	case UserFault::Oom:
		// Linux's pagefault_out_of_memory: the allocator already ran the OOM killer; when it
		// chose this task (or anything else is killing it), returning to EL0 delivers the
		// SIGKILL. When nothing could be killed, Linux retries the fault forever (or has
		// panicked already: "System is deadlocked on memory"); here the task is ended, as
		// an OOM kill of its own.
		if (pagefault_out_of_memory())
			return;
		count_vm_event(OOM_KILL);
		force_sig_kill(SIGKILL, "out of memory", far, esr, regs);
	case UserFault::Bus:
		set_thread_esr(t, far, esr);
		force_sig_fault(SIGBUS, BUS_ADRERR, far, name, esr, regs);
		return;
	case UserFault::MapErr:
		set_thread_esr(t, far, esr);
		force_sig_fault(SIGSEGV, SEGV_MAPERR, far, name, esr, regs);
		return;
	default:
		set_thread_esr(t, far, esr);
		force_sig_fault(SIGSEGV, SEGV_ACCERR, far, name, esr, regs);
		return;
	}
}

bool do_el1_uaccess_fault(pt_regs *regs, u64 esr, u64 far)
{
	task_struct *t = current_task();
	unsigned fsc = esr & 0x3f;
	bool translation_or_perm = (fsc & 0x3c) == 0x04 || (fsc & 0x3c) == 0x08 || (fsc & 0x3c) == 0x0c;
	if (!t || !t->mm || far >= TASK_SIZE || !translation_or_perm || t->pagefault_disabled)
		return false;
	// Linux's faulthandler_disabled(): with IRQs off or preemption disabled the fault cannot
	// sleep (mmap_lock, a page allocation), so the copy comes up short instead. A caller that
	// copies to user memory under a spinlock is a bug: say where, once.
	if (arch_irqs_disabled_flags(static_cast<irqflags_t>(regs->pstate)) || t->preempt_count) {
		static bool warned;
		if (!warned) {
			warned = true;
			pr_warn("uaccess fault at %#lx with IRQs off or preemption disabled (pc %pS): -EFAULT\n",
				(unsigned long)far, reinterpret_cast<void *>(regs->pc));
			dump_stack();
		}
		return false;
	}
	unsigned flags = FAULT_FLAG_USER;
	if ((esr & (1u << 6)) && !(esr & (1u << 8))) // WnR, not a cache maintenance op
		flags |= FAULT_FLAG_WRITE;
	// Linux's local_daif_inherit: the interrupted context (a syscall) had IRQs on, and the
	// fault may sleep; the exception return masks them again before it restores SPSR.
	arch_local_irq_enable();
	UserFault r = do_user_fault(t, far, flags);
	arch_local_irq_disable();
	if (r == UserFault::Ok) {
		t->fault_repeats = 0;
		return true;
	}
	return r == UserFault::Retry && !fault_repeats_too_often(t, regs, far, esr);
}

unsigned long fault_in_user(unsigned long addr, unsigned long n, bool write)
{
	task_struct *t = current_task();
	if (!t || !n)
		return 0;
	unsigned long end = addr + n;
	for (unsigned long a = addr & PAGE_MASK; a < end; a += PAGE_SIZE) {
		u64 *pte = mm_pte_lookup(t->mm, a);
		bool ok = pte && pte_valid(*pte) && (!write || pte_write(*pte));
		UserFault r = ok ? UserFault::Ok : do_user_fault(t, a, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
		if (r != UserFault::Ok && r != UserFault::Retry)
			return a > addr ? a - addr : 0;
	}
	return n;
}

