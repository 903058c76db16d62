// arm64 user page faults (Linux's arch/arm64/mm/fault.c): decodes a data or instruction abort
// from EL0 (or a uaccess fault-in on its behalf) into fault flags, lets the generic fault path
// (do_user_addr_fault in mm/memory.cpp) resolve it, and turns what it cannot resolve into a
// signal-style kill with a report.
#include <asm/pgtable.h>
#include <asm/ptrace.h>
#include <asm/traps.h>
#include <asm/uaccess.h>

#include "core/printk.h"
#include "kernel/process.h"
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
	t->min_flt++;
	return (r & VM_FAULT_SPURIOUS) ? UserFault::Retry : UserFault::Ok;
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
		force_sig_kill(SIGBUS, name, far, esr, regs);
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
		constexpr unsigned FAULT_REPEAT_LIMIT = 1024;
		if (regs->pc == t->last_fault_pc && far == t->last_fault_addr && esr == t->last_fault_esr) {
			if (++t->fault_repeats >= FAULT_REPEAT_LIMIT) {
				fault_name(esr, name, sizeof(name));
				pr_err("%s[%d]: %s at 0x%016lx (pc 0x%016lx) not resolved after %u retries\n", t->comm, t->pid,
				       name, (unsigned long)far, (unsigned long)regs->pc, FAULT_REPEAT_LIMIT);
				force_sig_kill(SIGSEGV, "unresolvable fault", far, esr, regs);
			}
		} else {
			t->last_fault_pc = regs->pc;
			t->last_fault_addr = far;
			t->last_fault_esr = esr;
			t->fault_repeats = 1;
		}
		return;
	}
	fault_name(esr, name, sizeof(name));
	switch (r) {
	case UserFault::Ok:
		return;
	case UserFault::Oom:
		// The faulting task is the one killed (Linux's pagefault_out_of_memory ends in an
		// OOM kill, counted as oom_kill).
		count_vm_event(OOM_KILL);
		force_sig_kill(SIGKILL, "out of memory", far, esr, regs);
	case UserFault::Bus:
		force_sig_kill(SIGBUS, name, far, esr, regs);
	default:
		force_sig_kill(SIGSEGV, name, far, esr, regs);
	}
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

