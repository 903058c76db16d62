// The kernel debugger's core (Linux's kernel/debug/debug_core.c and drivers/tty/serial/kgdboc.c):
// entering and leaving the stub, breakpoints, threads, registers, memory and the serial port.
// See kernel/debug/kgdb.h for the contract.
#include "kernel/debug/kgdb.h"

#include <asm/fixmap.h>
#include <asm/irqflags.h>
#include <asm/processor.h>
#include <asm/smp.h>
#include <asm/sysreg.h>

#include "core/params.h"
#include "core/printk.h"
#include "kernel/console.h"
#include "kernel/debug/kgdb_internal.h"
#include "kernel/debug/kgdb_io.h"
#include "kernel/sched.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "lib/parse.h"

namespace {

// GDB's signal numbers in stop replies (the stop reasons, not signals sent to a task).
constexpr int GDB_SIGTRAP = 5, GDB_SIGSEGV = 11;

// --- the serial port (kgdboc) -------------------------------------------------------------

KgdbIo kgdb_io;
bool io_ok;
char io_name[32];
bool connected;
// The CPU in the stub, -1 when none (claimed atomically: with SMP the others wait for it).
int active_cpu = -1;
bool wait_at_boot; // kgdbwait seen before kgdboc=

// Raw text on the console UART, without printk: the stopped code may hold printk's locks.
void console_note(const char *s)
{
	if (Console *c = active_console())
		c->write(s, strlen(s));
}

struct PortDriver {
	const char *compatible;
	Result (*open)(const KgdbPortSetup &, KgdbIo *);
};
const PortDriver port_drivers[] = {
	{"arm,pl011", pl011_kgdb_open},
	{"brcm,bcm2835-aux-uart", mini_uart_kgdb_open},
};

// ttyAMA<n>: the PL011 that alias serial<n> names (Linux's amba-pl011 numbering), else the nth
// PL011 in the tree; ttyS0: the mini UART; anything else: an alias or a path.
of::Node resolve_port(of::DeviceTree dt, const char *name)
{
	u64 n = 0;
	const char *end;
	if (!strncmp(name, "ttyAMA", 6) && kstd::parse_u64(name + 6, &end, 10, &n) && !*end) {
		char alias[16];
		kstd::snprintf(alias, sizeof(alias), "serial%lu", (unsigned long)n);
		of::Node a = dt.find_alias(alias);
		if (a.valid() && a.is_compatible("arm,pl011"))
			return a;
		u64 i = 0;
		for (of::Node p : dt.compatible_nodes("arm,pl011"))
			if (i++ == n)
				return p;
		return of::Node();
	}
	if (!strcmp(name, "ttyS0"))
		return dt.find_compatible("brcm,bcm2835-aux-uart");
	return dt.find_by_path(name);
}

// --- breakpoints --------------------------------------------------------------------------
// The tables below (and the stub's buffers) are used only by the CPU that owns the debugger
// (active_cpu), with interrupts masked: no lock, as the stopped code might hold any of them.

enum class BpState : u8 { Unused, Set, Active };
struct SwBreak {
	u64 addr;
	u32 saved;
	BpState state;
};
constexpr unsigned MAX_SW_BREAKPOINTS = 64;
SwBreak sw_breaks[MAX_SW_BREAKPOINTS];

constexpr unsigned MAX_HW_SLOTS = 16;
struct HwBreak {
	bool used;
	u64 addr, len;
	int type; // 1 breakpoint, 2 write, 3 read, 4 access
};
HwBreak hw_breaks[MAX_HW_SLOTS];  // DBGBCR/DBGBVR slots
HwBreak hw_watches[MAX_HW_SLOTS]; // DBGWCR/DBGWVR slots

unsigned bp_slots() { return kstd::min(hw_breakpoint_slots(), MAX_HW_SLOTS); }
unsigned wp_slots() { return kstd::min(hw_watchpoint_slots(), MAX_HW_SLOTS); }

// Breakpoints are in the text only while the kernel runs (Linux's dbg_activate_sw_breakpoints):
// memory reads in the stub see the real instructions, and a stop never finds its own BRK.
void activate_sw_breakpoints()
{
	for (SwBreak &b : sw_breaks) {
		if (b.state != BpState::Set)
			continue;
		b.saved = *reinterpret_cast<const volatile u32 *>(b.addr);
		if (!aarch64_insn_patch_text(reinterpret_cast<void *>(b.addr), AARCH64_BREAK_KGDB_DYN_DBG).is_error())
			b.state = BpState::Active;
	}
}

void deactivate_sw_breakpoints()
{
	for (SwBreak &b : sw_breaks) {
		if (b.state != BpState::Active)
			continue;
		(void)aarch64_insn_patch_text(reinterpret_cast<void *>(b.addr), b.saved);
		b.state = BpState::Set;
	}
}

bool any_hw_debug()
{
	for (unsigned i = 0; i < bp_slots(); i++)
		if (hw_breaks[i].used)
			return true;
	for (unsigned i = 0; i < wp_slots(); i++)
		if (hw_watches[i].used)
			return true;
	return false;
}

WatchType watch_type(int type) { return type == 2 ? WatchType::Store : type == 3 ? WatchType::Load : WatchType::Access; }

// Programs every slot from the table (the unused ones cleared). Validated when set.
void install_hw_breakpoints()
{
	for (unsigned i = 0; i < bp_slots(); i++)
		hw_breakpoint_set(i, hw_breaks[i].addr, hw_breaks[i].used);
	for (unsigned i = 0; i < wp_slots(); i++) {
		const HwBreak &w = hw_watches[i];
		if (!w.used || hw_watchpoint_set(i, w.addr, w.len, watch_type(w.type)).is_error())
			hw_watchpoint_clear(i);
	}
}

void clear_all_breakpoints()
{
	deactivate_sw_breakpoints();
	for (SwBreak &b : sw_breaks)
		b.state = BpState::Unused;
	for (unsigned i = 0; i < MAX_HW_SLOTS; i++)
		hw_breaks[i].used = hw_watches[i].used = false;
	install_hw_breakpoints();
}

// The watchpoint a data address belongs to: FAR is the accessed address, which for a wide or
// paired access may start below the watched bytes (same doubleword).
const HwBreak *watch_for(u64 far)
{
	for (unsigned i = 0; i < wp_slots(); i++) {
		const HwBreak &w = hw_watches[i];
		if (w.used && far < w.addr + w.len && far + 16 > w.addr)
			return &w;
	}
	return nullptr;
}

// --- entry ----------------------------------------------------------------------------------

bool kgdb_debug_hook(pt_regs *regs, DebugEvent ev, u64 esr, u64 far);

void kgdb_arch_init()
{
	static bool done;
	if (done)
		return;
	done = true;
	debug_monitors_init();
	arm64_debug_hook = kgdb_debug_hook;
}

// Linux's kgdb_cpu_enter, for one CPU: the stub runs with every breakpoint out of the text and
// debug exceptions masked (exception entry set PSTATE.D), so nothing it calls can trap.
bool kgdb_cpu_enter(pt_regs *regs, KgdbStop &stop)
{
	int cpu = static_cast<int>(smp_processor_id());
	bool reentered = __atomic_load_n(&active_cpu, __ATOMIC_RELAXED) == cpu;
	if (reentered || !io_ok) {
		// A trap inside the stub itself, or a debug event with no port to report it on: take
		// every breakpoint out and let the kernel go on (or oops, for the caller to report).
		clear_all_breakpoints();
		kernel_disable_single_step(regs);
		console_note("KGDB: debug exception with no debugger to take it; breakpoints removed\n");
		return !reentered;
	}
	// One CPU owns the line (Linux's kgdb_active): another CPU that traps meanwhile waits here
	// until the owner resumes (with SMP the owner's roundup IPI parks the others the same way).
	for (int expected = -1; !__atomic_compare_exchange_n(&active_cpu, &expected, cpu, false, __ATOMIC_ACQUIRE,
							  __ATOMIC_RELAXED);
	     expected = -1)
		asm volatile("yield");
	kgdb_roundup_cpus();
	deactivate_sw_breakpoints();
	bool reply = connected; // gdb waits for a stop reply after c/s
	if (!connected) {
		char msg[96];
		kstd::snprintf(msg, sizeof(msg), "KGDB: Waiting for connection from remote gdb on %s...\n", io_name);
		console_note(msg);
	}
	KgdbResume how = gdb_serial_stub(stop, reply);
	connected = how != KgdbResume::Detach;
	if (how == KgdbResume::Detach) {
		clear_all_breakpoints();
		kernel_disable_single_step(regs);
		console_note("KGDB: gdb detached; the kernel continues\n");
	} else {
		activate_sw_breakpoints();
		install_hw_breakpoints();
		if (how == KgdbResume::Step)
			kernel_enable_single_step(regs);
		// Hardware breakpoints and watchpoints fire only where PSTATE.D is clear; the kernel
		// otherwise runs with it as exception entry left it.
		if (any_hw_debug())
			regs->pstate &= ~PSR_D_BIT;
	}
	kgdb_release_cpus();
	__atomic_store_n(&active_cpu, -1, __ATOMIC_RELEASE);
	return true;
}

bool kgdb_debug_hook(pt_regs *regs, DebugEvent ev, u64 esr, u64 far)
{
	KgdbStop stop{regs, GDB_SIGTRAP, false, 'w', 0};
	switch (ev) {
	case DebugEvent::CompiledBrk:
		regs->pc += 4; // kgdb_breakpoint(): resume after the brk (Linux's compiled_break)
		break;
	case DebugEvent::Brk:
	case DebugEvent::HwBreakpoint:
		break;
	case DebugEvent::Step:
		kernel_disable_single_step(regs);
		break;
	case DebugEvent::Watchpoint:
		if (const HwBreak *w = watch_for(far)) {
			stop.watch = true;
			stop.watch_kind = w->type == 2 ? 'w' : w->type == 3 ? 'r' : 'a';
			stop.watch_addr = far < w->addr ? w->addr : far;
		}
		break;
	}
	return kgdb_cpu_enter(regs, stop);
}

Result kgdboc_default()
{
	if (io_ok)
		return {};
	Console *c = active_console();
	if (!c)
		return Errno::ENODEV;
	return kgdboc_configure(c->name());
}

// --- parameters ---------------------------------------------------------------------------

Result kgdboc_param(const char *v)
{
	if (!v)
		return Errno::EINVAL;
	TRY(kgdboc_configure(v));
	if (wait_at_boot) {
		wait_at_boot = false;
		kgdb_enter("kgdbwait");
	}
	return {};
}

bool has_kgdboc_word(const char *s)
{
	for (; *s; s++)
		if ((s == boot_command_line() || s[-1] == ' ') && !strncmp(s, "kgdboc=", 7))
			return true;
	return false;
}

// Linux's kgdbwait: stop as soon as the I/O exists. kgdboc= may come after it on the command
// line (its handler then stops); without kgdboc= the console's UART is used.
Result kgdbwait_param(const char *v)
{
	if (v)
		return Errno::EINVAL;
	if (!io_ok && has_kgdboc_word(boot_command_line())) {
		wait_at_boot = true;
		return {};
	}
	kgdb_enter("kgdbwait");
	return {};
}

} // namespace

KERNEL_PARAM("kgdboc", kgdboc_param);
KERNEL_PARAM("kgdbwait", kgdbwait_param);

bool kgdb_io_configured() { return io_ok; }
bool kgdb_connected() { return connected; }

Result kgdboc_configure(const char *spec)
{
	char name[32];
	if (!spec || kstd::strlcpy(name, spec, sizeof(name)) >= sizeof(name))
		return Errno::EINVAL;
	if (char *comma = strchr(name, ','))
		*comma = 0; // ",115200": the UART keeps the rate it runs at
	if (!name[0]) {
		io_ok = false;
		return {};
	}
	of::DeviceTree dt = of::boot_tree();
	of::Node n = resolve_port(dt, name);
	if (!n.valid()) {
		pr_err("KGDB: kgdboc=%s names no UART in the device tree\n", spec);
		return Errno::ENODEV;
	}
	const PortDriver *drv = nullptr;
	for (const PortDriver &d : port_drivers)
		if (n.is_compatible(d.compatible))
			drv = &d;
	auto reg = n.reg_translated(0);
	if (!drv || reg.is_error()) {
		pr_err("KGDB: kgdboc=%s: no polled driver for that UART\n", spec);
		return Errno::ENODEV;
	}
	KgdbPortSetup s{PhysAddr(reg.value().address), reg.value().size ? reg.value().size : PAGE_SIZE, nullptr, n};
	// The console's UART is already mapped by its driver, which then ignores base.
	Console *c = active_console();
	if (!c || strcmp(c->name(), name) != 0) {
		s.base = early_ioremap(s.phys, s.size);
		if (!s.base)
			return Errno::ENOMEM;
	}
	KgdbIo io{};
	if (Result r = drv->open(s, &io); r.is_error()) {
		pr_err("KGDB: kgdboc=%s: %s\n", spec, r.error().name());
		return r;
	}
	kgdb_io = io;
	kstd::strlcpy(io_name, name, sizeof(io_name));
	io_ok = true;
	kgdb_arch_init();
	pr_info("KGDB: Registered I/O driver kgdboc on %s%s\n", io_name, io.is_console ? " (shared with the console)" : "");
	return {};
}

int kgdb_getc()
{
	for (;;) {
		int c = kgdb_io.get_char(kgdb_io.ctx);
		if (c >= 0)
			return c;
		asm volatile("yield");
	}
}

void kgdb_putc(u8 c) { kgdb_io.put_char(kgdb_io.ctx, c); }

void kgdb_roundup_cpus()
{
	// SMP: send the other online CPUs an IPI whose handler saves its regs and spins in
	// kgdb_cpu_enter's wait loop (Linux's kgdb_roundup_cpus/kgdb_nmicallback) until
	// kgdb_release_cpus. With one CPU there is nobody to stop.
}
void kgdb_release_cpus() {}

void kgdb_breakpoint()
{
	if (kgdboc_default().is_error()) {
		pr_err("KGDB: no serial port for the debugger (kgdboc=)\n");
		return;
	}
	asm volatile("brk %0" ::"i"(KGDB_COMPILED_DBG_BRK_IMM) : "memory");
}

void kgdb_enter(const char *reason)
{
	if (kgdboc_default().is_error()) {
		pr_err("KGDB: no serial port for the debugger (kgdboc=)\n");
		return;
	}
	pr_crit("KGDB: Entering KGDB (%s)\n", reason);
	kgdb_breakpoint();
}

// An oops or panic with kgdboc= set: gdb sees the fault where it happened. There is no BRK to
// take, so the stub runs from here on the faulting frame (or, for a panic, on a frame of this
// call made by the breakpoint).
void kgdb_handle_oops(pt_regs *regs, const char *msg)
{
	if (!io_ok || __atomic_load_n(&active_cpu, __ATOMIC_RELAXED) >= 0)
		return;
	irqflags_t f = arch_local_irq_save();
	char note[128];
	kstd::snprintf(note, sizeof(note), "KGDB: %s: entering the debugger\n", msg);
	console_note(note);
	KgdbStop stop{regs, GDB_SIGSEGV, false, 'w', 0};
	kgdb_cpu_enter(regs, stop);
	arch_local_irq_restore(f);
}

void kgdb_panic(const char *msg)
{
	if (!io_ok || __atomic_load_n(&active_cpu, __ATOMIC_RELAXED) >= 0)
		return;
	char note[160];
	kstd::snprintf(note, sizeof(note), "KGDB: panic (%s): entering the debugger\n", msg);
	console_note(note);
	kgdb_breakpoint();
}

// --- memory -------------------------------------------------------------------------------------

usize kgdb_read_mem(u64 addr, u8 *buf, usize len)
{
	for (usize i = 0; i < len; i++)
		if (__kgdb_probe_read8(&buf[i], reinterpret_cast<const void *>(addr + i)) != 0)
			return i;
	return len;
}

Result kgdb_write_mem(u64 addr, const u8 *buf, usize len)
{
	for (usize i = 0; i < len; i++) {
		u64 a = addr + i;
		if (kernel_text_address(a)) {
			// Text is read-only: rewrite the instruction word through the text alias.
			u64 word_addr = a & ~3ull;
			u32 word = *reinterpret_cast<const volatile u32 *>(word_addr);
			unsigned shift = static_cast<unsigned>(a & 3) * 8;
			word = (word & ~(0xffu << shift)) | (static_cast<u32>(buf[i]) << shift);
			TRY(aarch64_insn_patch_text(reinterpret_cast<void *>(word_addr), word));
			continue;
		}
		if (__kgdb_probe_write8(reinterpret_cast<void *>(a), buf[i]) != 0)
			return Errno::EFAULT;
	}
	return {};
}

// --- breakpoints (Z/z) ----------------------------------------------------------------------------

Result kgdb_set_break(int type, u64 addr, u64 len)
{
	if (type == 0) {
		if ((addr & 3) || !kernel_text_address(addr))
			return Errno::EINVAL;
		SwBreak *free = nullptr;
		for (SwBreak &b : sw_breaks) {
			if (b.state != BpState::Unused && b.addr == addr)
				return {}; // already set: gdb may repeat a Z0
			if (b.state == BpState::Unused && !free)
				free = &b;
		}
		if (!free)
			return Errno::ENOSPC;
		*free = {addr, 0, BpState::Set};
		return {};
	}
	if (type == 1) {
		if (addr & 3)
			return Errno::EINVAL;
		for (unsigned i = 0; i < bp_slots(); i++)
			if (!hw_breaks[i].used) {
				hw_breaks[i] = {true, addr, 4, 1};
				return {};
			}
		return Errno::ENOSPC;
	}
	if (type >= 2 && type <= 4) {
		for (unsigned i = 0; i < wp_slots(); i++)
			if (!hw_watches[i].used) {
				// Validate now (the registers are written on resume): a range the hardware
				// cannot express is refused here, so gdb falls back to software watching.
				TRY(hw_watchpoint_set(i, addr, len, watch_type(type)));
				hw_watchpoint_clear(i);
				hw_watches[i] = {true, addr, len, type};
				return {};
			}
		return Errno::ENOSPC;
	}
	return Errno::ENOSYS;
}

Result kgdb_remove_break(int type, u64 addr, u64 len)
{
	if (type == 0) {
		for (SwBreak &b : sw_breaks)
			if (b.state != BpState::Unused && b.addr == addr) {
				b.state = BpState::Unused; // out of the text already (the stub runs)
				return {};
			}
		return Errno::ENOENT;
	}
	HwBreak *table = type == 1 ? hw_breaks : hw_watches;
	unsigned n = type == 1 ? bp_slots() : wp_slots();
	if (type < 1 || type > 4)
		return Errno::ENOSYS;
	for (unsigned i = 0; i < n; i++)
		if (table[i].used && table[i].addr == addr && table[i].type == type && (type == 1 || table[i].len == len)) {
			table[i].used = false;
			return {};
		}
	return Errno::ENOENT;
}

// --- threads --------------------------------------------------------------------------------------

long kgdb_tid(const task_struct *t)
{
	if (t->pid == 0)
		return KGDB_IDLE_TID + t->cpu;
	return t->pid;
}

task_struct *kgdb_current_task() { return current; }

// The kernel is stopped: no task is created, freed or relinked while the stub walks the list,
// and tasklist_lock may be held by the very code that stopped.
// CPU 0's idle task (swapper/0, pid 0) is not on the task list: it is the boot context, and
// the parent of the tasks it created (PID 1 first).
static task_struct *idle_task_cpu0() TA_NO_THREAD_SAFETY_ANALYSIS
{
	static task_struct *idle;
	if (!idle && current->pid == 0)
		idle = current;
	if (!idle)
		list_for_each(pos, &task_list) {
			task_struct *p = list_entry(pos, task_struct, tasks)->real_parent;
			if (p && p->pid == 0) {
				idle = p;
				break;
			}
		}
	return idle;
}

task_struct *kgdb_nth_task(usize n) TA_NO_THREAD_SAFETY_ANALYSIS
{
	task_struct *idle = idle_task_cpu0();
	if (n == 0 && idle)
		return idle;
	if (!idle)
		n++;
	usize i = 1;
	list_for_each(pos, &task_list) {
		if (i++ == n)
			return list_entry(pos, task_struct, tasks);
	}
	return nullptr;
}

task_struct *kgdb_find_task(long tid)
{
	for (usize i = 0;; i++) {
		task_struct *t = kgdb_nth_task(i);
		if (!t)
			return nullptr;
		if (kgdb_tid(t) == tid)
			return t;
	}
}

void kgdb_thread_info(const task_struct *t, char *buf, usize n)
{
	char where[24] = "";
	if (t == current)
		kstd::snprintf(where, sizeof(where), ", on CPU %u now", smp_processor_id());
	kstd::snprintf(buf, n, "%s%.16s%s (pid %d, %c%s)", t->flags & PF_KTHREAD ? "[" : "", t->comm,
		       t->flags & PF_KTHREAD ? "]" : "", t->pid, task_state_char(t), where);
}

// --- registers ------------------------------------------------------------------------------------

bool kgdb_reg_size(int r, usize *size)
{
	if (r < 0 || r >= KGDB_NUM_REGS)
		return false;
	*size = r <= 32 ? 8 : r == 33 ? 4 : r <= 65 ? 16 : 4;
	return true;
}

bool kgdb_get_reg(task_struct *t, const KgdbStop &stop, int r, u8 *buf)
{
	usize size;
	if (!kgdb_reg_size(r, &size))
		return false;
	u64 v = 0;
	if (t == current) {
		const pt_regs *regs = stop.regs;
		if (r <= 30)
			v = regs->regs[r];
		else if (r == 31)
			v = regs->sp;
		else if (r == 32)
			v = regs->pc;
		else if (r == 33)
			v = regs->pstate;
		else {
			// The FP/SIMD registers hold what the CPU has now: the kernel never uses them
			// (-mgeneral-regs-only), so they are the last user task's.
			static user_fpsimd_state fp;
			fpsimd_save_state(&fp);
			if (r <= 65)
				memcpy(buf, fp.vregs[r - 34], 16);
			else
				memcpy(buf, r == 66 ? &fp.fpsr : &fp.fpcr, 4);
			return true;
		}
	} else {
		// Switched out in cpu_switch_to: only the callee-saved registers are known.
		const cpu_context &c = t->thread.cpu_context;
		if (r >= 19 && r <= 28)
			v = c.x19_x28[r - 19];
		else if (r == 29)
			v = c.fp;
		else if (r == 30 || r == 32)
			v = c.pc;
		else if (r == 31)
			v = c.sp;
		else if (r == 33)
			v = PSR_MODE_EL1h;
		else
			return false;
	}
	memcpy(buf, &v, size); // little-endian target
	return true;
}

Result kgdb_set_reg(task_struct *t, KgdbStop &stop, int r, const u8 *buf)
{
	usize size;
	if (!kgdb_reg_size(r, &size))
		return Errno::EINVAL;
	// sp: an EL1 exception returns on the stack it came from (entry.S does not reload it).
	if (t != current || r == 31 || r > 33)
		return Errno::EPERM;
	u64 v = 0;
	memcpy(&v, buf, size);
	pt_regs *regs = stop.regs;
	if (r <= 30)
		regs->regs[r] = v;
	else if (r == 32)
		regs->pc = v;
	else
		regs->pstate = (regs->pstate & ~0xffffffffull) | (v & 0xffffffffull);
	return {};
}
