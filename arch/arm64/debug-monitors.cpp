// AArch64 self-hosted debug for the kernel debugger: see arch/arm64/debug-monitors.h.
// Register layouts from the Arm ARM (D13.3: DBGBCR<n>_EL1, DBGWCR<n>_EL1, MDSCR_EL1).
#include "arch/arm64/debug-monitors.h"

#include <asm/fixmap.h>
#include <asm/memory.h>
#include <asm/smp.h>
#include <asm/sysreg.h>

bool (*arm64_debug_hook)(pt_regs *regs, DebugEvent ev, u64 esr, u64 far);
extern bool linear_map_ready; // arch/arm64/ptdump.cpp: the fixmap's table windows are free after it

namespace {

constexpr u64 MDSCR_SS = 1ull << 0;
constexpr u64 MDSCR_KDE = 1ull << 13;
constexpr u64 MDSCR_MDE = 1ull << 15;

// DBGBCR/DBGWCR fields: E, PMC = EL1 only (0b01), BAS for a whole A64 instruction.
constexpr u32 DBG_CTRL_ENABLE = 1u << 0;
constexpr u32 DBG_CTRL_EL1 = 1u << 1;
constexpr u32 DBGBCR_BAS_A64 = 0xfu << 5;

// Per CPU: the I bit a stepped context had before the step masked IRQs.
struct StepState {
	bool active;
	u64 saved_i;
};
StepState step_state[NR_CPUS];

// mrs/msr need the register number in the instruction: one case per slot (16 at most).
#define DBG_REG_CASES(op, reg) \
	op(reg, 0) op(reg, 1) op(reg, 2) op(reg, 3) op(reg, 4) op(reg, 5) op(reg, 6) op(reg, 7) op(reg, 8) \
	op(reg, 9) op(reg, 10) op(reg, 11) op(reg, 12) op(reg, 13) op(reg, 14) op(reg, 15)
#define DBG_WRITE_CASE(reg, n)                                        \
	case n:                                                       \
		asm volatile("msr " #reg #n "_el1, %0" ::"r"(val)); \
		break;

void write_dbgbcr(unsigned n, u64 val)
{
	switch (n) { DBG_REG_CASES(DBG_WRITE_CASE, dbgbcr) }
}
void write_dbgbvr(unsigned n, u64 val)
{
	switch (n) { DBG_REG_CASES(DBG_WRITE_CASE, dbgbvr) }
}
void write_dbgwcr(unsigned n, u64 val)
{
	switch (n) { DBG_REG_CASES(DBG_WRITE_CASE, dbgwcr) }
}
void write_dbgwvr(unsigned n, u64 val)
{
	switch (n) { DBG_REG_CASES(DBG_WRITE_CASE, dbgwvr) }
}

} // namespace

void debug_monitors_init()
{
	// The OS lock is set at cold reset on real cores and blocks every debug exception but
	// BRK (Linux's clear_os_lock); the double lock likewise.
	write_sysreg(0, oslar_el1);
	write_sysreg(0, osdlr_el1);
	isb();
	write_sysreg(read_sysreg(mdscr_el1) | MDSCR_KDE | MDSCR_MDE, mdscr_el1);
	isb();
}

void kernel_enable_single_step(pt_regs *regs)
{
	StepState &s = step_state[smp_processor_id()];
	if (!s.active)
		s.saved_i = regs->pstate & PSR_I_BIT;
	s.active = true;
	// Step exceptions are taken from the stepped context only with D clear; IRQs masked for
	// the one instruction so that the step lands after it, not in the interrupt vector.
	regs->pstate = (regs->pstate | DBG_SPSR_SS | PSR_I_BIT) & ~PSR_D_BIT;
	write_sysreg(read_sysreg(mdscr_el1) | MDSCR_SS | MDSCR_KDE, mdscr_el1);
	isb();
}

void kernel_disable_single_step(pt_regs *regs)
{
	StepState &s = step_state[smp_processor_id()];
	write_sysreg(read_sysreg(mdscr_el1) & ~MDSCR_SS, mdscr_el1);
	isb();
	regs->pstate &= ~DBG_SPSR_SS;
	if (s.active)
		regs->pstate = (regs->pstate & ~PSR_I_BIT) | s.saved_i;
	s.active = false;
}

bool kernel_single_step_active() { return step_state[smp_processor_id()].active; }

// ID_AA64DFR0_EL1.BRPs [15:12] and WRPs [23:20] hold the count minus one.
unsigned hw_breakpoint_slots() { return ((read_sysreg(id_aa64dfr0_el1) >> 12) & 0xf) + 1; }
unsigned hw_watchpoint_slots() { return ((read_sysreg(id_aa64dfr0_el1) >> 20) & 0xf) + 1; }

void hw_breakpoint_set(unsigned n, u64 addr, bool enable)
{
	if (n >= hw_breakpoint_slots())
		return;
	write_dbgbcr(n, 0); // disabled while the value changes
	isb();
	if (enable) {
		write_dbgbvr(n, addr & ~3ull);
		write_dbgbcr(n, DBGBCR_BAS_A64 | DBG_CTRL_EL1 | DBG_CTRL_ENABLE);
	}
	isb();
}

Result hw_watchpoint_set(unsigned n, u64 addr, u64 len, WatchType type)
{
	if (n >= hw_watchpoint_slots() || len == 0)
		return Errno::EINVAL;
	u64 ctrl = (static_cast<u64>(type) << 3) | DBG_CTRL_EL1 | DBG_CTRL_ENABLE, base;
	u64 offset = addr & 7;
	if (offset + len <= 8) {
		// Byte address select within one doubleword.
		base = addr & ~7ull;
		ctrl |= ((1ull << len) - 1) << (offset + 5);
	} else if ((len & (len - 1)) == 0 && (addr & (len - 1)) == 0 && len >= 8 && len <= (1ull << 31)) {
		// MASK: the low log2(len) address bits are ignored (BAS must then be all ones).
		base = addr;
		ctrl |= (0xffull << 5) | (static_cast<u64>(__builtin_ctzll(len)) << 24);
	} else {
		return Errno::EINVAL;
	}
	write_dbgwcr(n, 0);
	isb();
	write_dbgwvr(n, base);
	write_dbgwcr(n, ctrl);
	isb();
	return {};
}

void hw_watchpoint_clear(unsigned n)
{
	if (n >= hw_watchpoint_slots())
		return;
	write_dbgwcr(n, 0);
	isb();
}

bool kernel_text_address(u64 addr)
{
	return addr >= reinterpret_cast<u64>(_text) && addr < reinterpret_cast<u64>(_etext);
}

Result aarch64_insn_patch_text(void *addr, u32 insn)
{
	u64 va = reinterpret_cast<u64>(addr);
	if ((va & 3) || !kernel_text_address(va) || !kernel_text_address(va + 3) || !linear_map_ready)
		return Errno::EFAULT;
	// The text is mapped read-only (W^X): write through a writable alias of the same page.
	PhysAddr pa = __pa_symbol(addr);
	__set_fixmap(FixSlot::Pte, pa.align_down(PAGE_SIZE), FixProt::Normal);
	u64 alias = fix_to_virt(FixSlot::Pte) + (pa.value() & (PAGE_SIZE - 1));
	__atomic_store_n(reinterpret_cast<u32 *>(alias), insn, __ATOMIC_RELAXED);
	// The new instruction reaches the point of unification before the I-cache line for the
	// text VA is invalidated; the isb refetches (Linux's __flush_icache_range).
	asm volatile("dc cvau, %0" ::"r"(alias) : "memory");
	dsb(ish);
	asm volatile("ic ivau, %0" ::"r"(va) : "memory");
	dsb(ish);
	isb();
	clear_fixmap(FixSlot::Pte);
	return {};
}

bool arm64_debug_exception(pt_regs *regs, u64 esr)
{
	if (!arm64_debug_hook)
		return false;
	DebugEvent ev;
	switch ((esr >> ESR_ELx_EC_SHIFT) & 0x3f) {
	case ESR_ELx_EC_BRK64:
		if ((esr & 0xffff) == KGDB_DYN_DBG_BRK_IMM)
			ev = DebugEvent::Brk;
		else if ((esr & 0xffff) == KGDB_COMPILED_DBG_BRK_IMM)
			ev = DebugEvent::CompiledBrk;
		else
			return false;
		break;
	case ESR_ELx_EC_BREAKPT_CUR: ev = DebugEvent::HwBreakpoint; break;
	case ESR_ELx_EC_SOFTSTP_CUR: ev = DebugEvent::Step; break;
	case ESR_ELx_EC_WATCHPT_CUR: ev = DebugEvent::Watchpoint; break;
	default: return false;
	}
	return arm64_debug_hook(regs, ev, esr, regs->far);
}
