// Between the debugger core (kernel/debug/kgdb.cpp: entry, breakpoints, threads, I/O) and the
// remote-protocol stub (kernel/debug/gdbstub.cpp), as Linux's debug_core.h.
#pragma once

#include <asm/ptrace.h>

#include "arch/arm64/debug-monitors.h"
#include "kstd/result.h"
#include "kstd/types.h"

struct task_struct;

// Why the CPU stopped, as the stop reply says it.
struct KgdbStop {
	pt_regs *regs;   // the stopped context of the current task
	int signo;       // SIGTRAP (5), SIGSEGV (11) for an oops, SIGABRT (6) for a panic
	bool watch;      // a watchpoint fired: watch_kind at watch_addr
	char watch_kind; // 'w' (watch), 'r' (rwatch), 'a' (awatch)
	u64 watch_addr;
};

enum class KgdbResume { Continue, Step, Detach };

// The stub: talks to gdb until it resumes the kernel (gdbstub.cpp). Sends the stop reply first
// when gdb is waiting for one.
KgdbResume gdb_serial_stub(KgdbStop &stop, bool send_stop_reply);

// Polled I/O on the configured UART (blocking get).
int kgdb_getc();
void kgdb_putc(u8 c);

// Breakpoints as gdb's Z/z packets ask (type 0 software, 1 hardware, 2 write, 3 read, 4 access
// watchpoint). They take effect when the kernel resumes. EINVAL for a bad address or length,
// ENOSPC when the slots are used up, ENOENT for z of nothing.
[[nodiscard]] Result kgdb_set_break(int type, u64 addr, u64 len);
[[nodiscard]] Result kgdb_remove_break(int type, u64 addr, u64 len);

// Memory: every byte through a probe (an unmapped byte is EFAULT); writes to kernel text go
// through the text alias. Returns the bytes done (0 with EFAULT when the first failed).
usize kgdb_read_mem(u64 addr, u8 *buf, usize len);
[[nodiscard]] Result kgdb_write_mem(u64 addr, const u8 *buf, usize len);

// Threads: gdb's thread ids are pids; CPU n's idle task (pid 0) is KGDB_IDLE_TID + n.
inline constexpr long KGDB_IDLE_TID = 32769; // pid_max + 1: no process has it
long kgdb_tid(const task_struct *t);
task_struct *kgdb_find_task(long tid);  // nullptr when there is none
task_struct *kgdb_current_task();
// The nth task (0: CPU 0's idle task, then the task list), nullptr past the end. No lock: the
// kernel is stopped, and the stopped code may hold tasklist_lock.
task_struct *kgdb_nth_task(usize n);
// "comm (pid n, state, CPU n)" for qThreadExtraInfo.
void kgdb_thread_info(const task_struct *t, char *buf, usize n);

// Registers in gdb's numbering: x0-x30 (0-30), sp 31, pc 32, cpsr 33, v0-v31 34-65, fpsr 66,
// fpcr 67. For the current task they are the stopped context's; for a task switched out,
// what cpu_switch_to saved (x19-x29, sp, pc; the rest unavailable).
inline constexpr int KGDB_NUM_REGS = 68;
inline constexpr usize KGDB_GDB_REGS_BYTES = 33 * 8 + 4 + 32 * 16 + 8;
// Size in bytes of register r; false for a register number gdb does not have.
bool kgdb_reg_size(int r, usize *size);
// Reads register r of t into buf (size bytes, target order); false when unavailable.
bool kgdb_get_reg(task_struct *t, const KgdbStop &stop, int r, u8 *buf);
// Writes it: only the current task's general registers, sp, pc and cpsr can change.
[[nodiscard]] Result kgdb_set_reg(task_struct *t, KgdbStop &stop, int r, const u8 *buf);
