// Exception handling entry points and oops reporting.
#pragma once

#include <asm/ptrace.h>

#include "kstd/result.h"
#include "kstd/types.h"

// Prints "Call trace:" by walking frame records from fp (0 = the caller's frame).
void dump_backtrace(const pt_regs *regs);
// Linux's show_regs: __show_regs (CPU/Comm/Hardware name, pstate, pc, lr, sp, x29..x0), then
// the call trace for a kernel context.
void show_regs(const pt_regs *regs);
void __show_regs(const pt_regs *regs);
// The exception class's name in Linux's words ("DABT (lower EL)"), esr_get_class_string.
const char *esr_get_class_string(u64 esr);
// Names a data/instruction abort's fault status code ("level 3 translation fault"), as Linux's
// fault_info[] does.
void esr_fsc_str(unsigned fsc, char *buf, usize n);
// Linux's die(): reports an oops for regs and panics.
[[noreturn]] void die(const char *msg, const pt_regs *regs, u64 esr);

// The stack the current context runs on, for the unwinder and overflow reports. Tasks will
// set it on context switch; until then it is the boot stack.
struct StackRange {
	u64 low, high;
};
StackRange current_task_stack();
void set_current_task_stack(StackRange r);

// Allocates cpu's IRQ stack (before its interrupts are unmasked); ENOMEM leaves the CPU taking
// interrupts on the interrupted task's stack.
Result irq_stack_init(unsigned cpu);
// This CPU's IRQ stack ({0, 0} before irq_stack_init).
StackRange irq_stack_range();

// Interrupt handling root installed by the interrupt controller driver.
extern void (*handle_arch_irq)(pt_regs *regs);
// A data (instr false) or instruction abort from EL0 (arch/arm64/mm/fault.cpp); returns when
// the fault was resolved, otherwise kills the task with a report.
void do_el0_mem_abort(pt_regs *regs, u64 esr, bool instr);
// A data abort at EL1 on a user address by an instruction with an exception-table entry (the
// uaccess routines): resolved as the user's own fault would be (Linux's do_page_fault from
// EL1). True: retry the instruction; false: take the fixup (a short copy, -EFAULT).
bool do_el1_uaccess_fault(pt_regs *regs, u64 esr, u64 far);
// EL0 synchronous exceptions (syscalls, user faults) are routed here once user space exists.
extern void (*el0_sync_handler)(pt_regs *regs);
