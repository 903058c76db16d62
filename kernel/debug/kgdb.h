// The kernel debugger (Linux's kgdb: kernel/debug/debug_core.c and gdbstub.c, with kgdboc's
// polled serial I/O): a GDB remote-serial-protocol stub that stops the whole kernel, on the
// console's UART (shared) or another one chosen with kgdboc=.
//
// Entry points:
// - kgdbwait on the command line stops at boot, as soon as the I/O is set up;
// - kgdb_breakpoint() (the console's `gdb` command, SysRq-g) stops where it is called;
// - a breakpoint, watchpoint or step gdb asked for;
// - kgdb_handle_oops()/kgdb_panic() (die() and panic() call them) when kgdboc= is set.
// The stub runs with interrupts masked, polls the UART and takes no lock that the stopped
// code might hold. One CPU runs today; kgdb_roundup_cpus() is where the others will be
// stopped by IPI once SMP brings them up.
#pragma once

#include <asm/ptrace.h>

#include "kstd/result.h"
#include "kstd/types.h"

// Stops in the debugger here (brk #KGDB_COMPILED_DBG_BRK_IMM). Sets up the I/O on the console
// first when kgdboc= did not; returns when gdb continues or detaches.
void kgdb_breakpoint();
// The same, saying why on the console first ("KGDB: Entering KGDB (reason)").
void kgdb_enter(const char *reason);

// kgdboc=<tty>: ttyAMA<n> (PL011 of DT alias serial<n>), ttyS0 (the mini UART), serial<n>, or a
// DT path; ",<baud>" accepted and ignored (the UART keeps its rate). An empty value unsets it.
[[nodiscard]] Result kgdboc_configure(const char *spec);
bool kgdb_io_configured();
// True between gdb's first packet and its detach (D or k).
bool kgdb_connected();

// An oops (die()) or panic(): with kgdboc= set, gdb gets the faulting context (SIGSEGV, or
// SIGABRT for a panic); when gdb continues, the caller carries on with its report.
void kgdb_handle_oops(pt_regs *regs, const char *msg);
void kgdb_panic(const char *msg);

// The SMP seam: stops every other online CPU (by IPI) before the stub talks to gdb, and lets
// them go after. One CPU runs today, so these do nothing.
void kgdb_roundup_cpus();
void kgdb_release_cpus();
