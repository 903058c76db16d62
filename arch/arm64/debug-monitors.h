// AArch64 self-hosted debug for the kernel debugger (Linux's arch/arm64/kernel/debug-monitors.c,
// hw_breakpoint.c and kgdb.c, reduced to what kernel/debug/ needs): the debug exceptions taken
// from EL1, software single step, hardware breakpoints and watchpoints, and writing a BRK into
// kernel text.
//
// Contract:
// - Debug exceptions from EL1 (BRK #KGDB_*_BRK_IMM, hardware breakpoint, software step,
//   watchpoint) go to arm64_debug_hook when it is set; it returns true when it handled the
//   exception (the context in regs then resumes). traps.cpp calls arm64_debug_exception().
// - A hardware breakpoint, watchpoint or step only fires in a context that runs with
//   PSTATE.D clear and after debug_monitors_init() (OS lock released, MDSCR_EL1.KDE/MDE
//   set). Exception handlers run with D set: nothing fires inside them (or inside the stub).
// - All of this is per CPU state; callers run with interrupts masked.
#pragma once

#include <asm/ptrace.h>

#include "kstd/result.h"
#include "kstd/types.h"

// BRK immediates (Linux's asm/brk-imm.h): a breakpoint gdb planted, and kgdb_breakpoint().
inline constexpr u32 KGDB_DYN_DBG_BRK_IMM = 0x400;
inline constexpr u32 KGDB_COMPILED_DBG_BRK_IMM = 0x401;
// The instruction a software breakpoint writes: brk #KGDB_DYN_DBG_BRK_IMM.
inline constexpr u32 AARCH64_BREAK_KGDB_DYN_DBG = 0xd4200000u | (KGDB_DYN_DBG_BRK_IMM << 5);

// ESR_ELx.EC values of the debug exceptions taken from the current EL.
inline constexpr unsigned ESR_ELx_EC_BREAKPT_CUR = 0x31;
inline constexpr unsigned ESR_ELx_EC_SOFTSTP_CUR = 0x33;
inline constexpr unsigned ESR_ELx_EC_WATCHPT_CUR = 0x35;

// PSTATE/SPSR bits the debugger changes.
inline constexpr u64 DBG_SPSR_SS = 1ull << 21; // software step: one instruction, then the exception
inline constexpr u64 PSR_D_BIT = 1ull << 9;    // debug exceptions masked

enum class DebugEvent { Brk, CompiledBrk, HwBreakpoint, Step, Watchpoint };

// Set by the kernel debugger (kernel/debug/kgdb.cpp); nullptr: debug exceptions oops as before.
extern bool (*arm64_debug_hook)(pt_regs *regs, DebugEvent ev, u64 esr, u64 far);
// traps.cpp: true when the exception was a debug event the hook handled.
bool arm64_debug_exception(pt_regs *regs, u64 esr);

// Releases the OS lock and sets MDSCR_EL1.MDE and KDE (this CPU), so that breakpoint,
// watchpoint and step exceptions can be taken at EL1. Idempotent.
void debug_monitors_init();

// Software step of the context in regs: the next eret executes one instruction, then a step
// exception is taken. IRQs stay masked for that instruction (the step would otherwise land in
// the interrupt handler); kernel_disable_single_step gives the context its own I bit back.
void kernel_enable_single_step(pt_regs *regs);
void kernel_disable_single_step(pt_regs *regs);
bool kernel_single_step_active();

// Hardware breakpoints and watchpoints: as many as ID_AA64DFR0_EL1 says (BRPs, WRPs).
unsigned hw_breakpoint_slots();
unsigned hw_watchpoint_slots();
enum class WatchType : u32 { Load = 1, Store = 2, Access = 3 }; // DBGWCR.LSC
// Programs slot n to fire for EL1 execution at addr (4-byte aligned), or clears it (enable false).
void hw_breakpoint_set(unsigned n, u64 addr, bool enable);
// Programs slot n to fire on type accesses to [addr, addr + len). EINVAL when the range cannot
// be expressed (within one doubleword with BAS, or a naturally aligned power of two from 8 bytes
// to 2 GiB with MASK).
[[nodiscard]] Result hw_watchpoint_set(unsigned n, u64 addr, u64 len, WatchType type);
void hw_watchpoint_clear(unsigned n);

// Writes one instruction into kernel text through a temporary writable alias of its page (the
// fixmap's page-table window, free once paging_init is done), then makes it visible to
// instruction fetch (D-cache clean to PoU, I-cache invalidate). EFAULT for an address outside
// the kernel image's text.
[[nodiscard]] Result aarch64_insn_patch_text(void *addr, u32 insn);
bool kernel_text_address(u64 addr);

// Byte accesses that may fault: 0 or -EFAULT (arch/arm64/kgdb_probe.S, through the extable).
extern "C" long __kgdb_probe_read8(u8 *dst, const void *addr);
extern "C" long __kgdb_probe_write8(void *addr, u8 val);
