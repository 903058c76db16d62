// Magic SysRq: see kernel/sysrq.h and docs/sysrq.md. The key table, messages and handlers
// follow Linux 6.1's drivers/tty/sysrq.c.
#define pr_fmt(fmt) "sysrq: " fmt

#include "kernel/sysrq.h"
#include "kernel/debug/kgdb.h"

#include <asm/irqflags.h>
#include <asm/memory.h>
#include <asm/ptrace.h>
#include <asm/smp.h>
#include <asm/traps.h>

#include "core/cpumask.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "core/spinlock.h"
#include "drivers/serial_rx.h"
#include "kernel/console.h"
#include "kernel/reboot.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/signal.h"
#include "kstd/string.h"
#include "lib/parse.h"
#include "mm/mmzone.h"
#include "mm/page_alloc.h"

// A named namespace rather than an anonymous one: kallsyms lists external symbols only, and
// the handlers should be named in the traces they print (and in SysRq-c's oops).
namespace sysrq {

// Linux's CONSOLE_LOGLEVEL_DEFAULT and CONSOLE_LOGLEVEL_DEBUG.
constexpr int CONSOLE_LOGLEVEL_DEFAULT = 7;
constexpr int CONSOLE_LOGLEVEL_DEBUG = 10;

int sysrq_enabled = SYSRQ_DEFAULT_ENABLE; // kernel.sysrq
bool sysrq_always_enabled;

Result set_always_enabled(const char *)
{
	sysrq_always_enabled = true;
	pr_info("sysrq always enabled.\n");
	return {};
}
KERNEL_PARAM("sysrq_always_enabled", set_always_enabled);

// Linux sets any sysctl from the command line as sysctl.<path>=<value> (since 5.8).
Result set_sysctl_sysrq(const char *v)
{
	u64 n;
	const char *end;
	if (!v || !kstd::parse_u64(v, &end, 10, &n) || *end || n > 0x7fffffff)
		return Errno::EINVAL;
	sysrq_toggle_support(static_cast<int>(n));
	return {};
}
KERNEL_PARAM("sysctl.kernel.sysrq", set_sysctl_sysrq);

bool sysrq_on_mask(int mask)
{
	int e = __atomic_load_n(&sysrq_enabled, __ATOMIC_RELAXED);
	return sysrq_always_enabled || e == 1 || (e & mask);
}

// --- the interrupted registers -------------------------------------------------------------

// Linux keeps them in a per-CPU variable that the IRQ entry sets (set_irq_regs); here the
// root controller's entry is wrapped once, which leaves arch/ unchanged.
pt_regs *irq_regs[NR_CPUS];
void (*root_handle_irq)(pt_regs *regs);

void handle_irq_with_regs(pt_regs *regs)
{
	unsigned cpu = smp_processor_id();
	pt_regs *old = irq_regs[cpu];
	irq_regs[cpu] = regs;
	root_handle_irq(regs);
	irq_regs[cpu] = old;
}

// --- dumps ---------------------------------------------------------------------------------

bool on_range(u64 fp, u64 lo, u64 hi) { return lo && fp >= lo && fp + 16 <= hi; }

// Linux's show_stack(tsk, NULL, KERN_INFO): "Call trace:" and the return addresses of tsk's
// kernel stack, from the caller's frame for the current task and from where it switched away
// for another. Frames must lie on tsk's stack (or, for current, this CPU's IRQ stack) and grow
// upwards on one stack, so a stale or corrupt frame pointer only ends the walk. A task whose
// stack is gone (a zombie) prints nothing, as Linux's try_get_task_stack.
[[gnu::noinline]] void show_stack(task_struct *t)
{
	if (!t->stack)
		return;
	u64 lo = reinterpret_cast<u64>(t->stack), hi = lo + THREAD_SIZE;
	StackRange irq = t == current ? irq_stack_range() : StackRange{0, 0};
	u64 fp, pc;
	if (t == current) {
		fp = reinterpret_cast<u64>(__builtin_frame_address(0));
		pc = _THIS_IP_;
	} else {
		fp = t->thread.cpu_context.fp;
		pc = t->thread.cpu_context.pc;
	}
	printk(KERN_INFO "Call trace:\n");
	for (int depth = 0; depth < 64; depth++) {
		printk(KERN_INFO " %pS\n", reinterpret_cast<void *>(pc));
		bool on_task = on_range(fp, lo, hi), on_irq = on_range(fp, irq.low, irq.high);
		if ((fp & 15) || !(on_task || on_irq))
			break;
		u64 next_fp = reinterpret_cast<u64 *>(fp)[0], lr = reinterpret_cast<u64 *>(fp)[1];
		if (!lr || !next_fp)
			break;
		if (on_range(next_fp, on_task ? lo : irq.low, on_task ? hi : irq.high) && next_fp <= fp)
			break;
		pc = lr;
		fp = next_fp;
	}
}

// Linux's sched_show_task (without CONFIG_DEBUG_STACK_USAGE: stack 0).
void sched_show_task(task_struct *p)
{
	if (!p->stack)
		return;
	// kernel/sched/core.c's lines: no "sysrq: " prefix.
	printk(KERN_INFO "task:%-15.15s state:%c", p->comm, task_state_char(p));
	if (__atomic_load_n(&p->__state, __ATOMIC_RELAXED) == TASK_RUNNING && !p->exit_state)
		pr_cont("  running task    ");
	pr_cont(" stack:%-5lu pid:%-5d ppid:%-6d flags:0x%08lx\n", 0ul, p->pid, p->real_parent ? p->real_parent->pid : 0,
		__atomic_load_n(&p->ti_flags, __ATOMIC_RELAXED));
	show_stack(p);
}

// Linux's show_state_filter: every task, or those in state_filter. TASK_UNINTERRUPTIBLE leaves
// out idle kernel threads (Linux's TASK_IDLE; task_state_char's 'I').
void show_state_filter(unsigned state_filter)
{
	SpinLockGuard g(tasklist_lock);
	list_for_each(pos, &task_list) {
		task_struct *p = list_entry(pos, task_struct, tasks);
		if (state_filter) {
			if (!(__atomic_load_n(&p->__state, __ATOMIC_RELAXED) & state_filter) || p->exit_state)
				continue;
			if (state_filter == TASK_UNINTERRUPTIBLE && task_state_char(p) == 'I')
				continue;
		}
		sched_show_task(p);
	}
}

// Linux's show_mem (lib/show_mem.c): the free areas, then the page totals.
void show_mem()
{
	show_free_areas();
	unsigned long total = 0, reserved = 0;
	for_each_populated_zone(z) {
		total += z->present_pages;
		reserved += z->present_pages - zone_managed_pages(z);
	}
	printk("%lu pages RAM\n", total);
	printk("%lu pages HighMem/MovableOnly\n", 0ul);
	printk("%lu pages reserved\n", reserved);
	printk("%lu pages cma reserved\n", __atomic_load_n(&totalcma_pages, __ATOMIC_RELAXED));
}

// Linux's send_sig_all: every user process but init. Sent under tasklist_lock (siglock nests
// inside it, as in kill_pgrp_info): nothing here sleeps, so IRQ context is fine, as on Linux.
void send_sig_all(int sig)
{
	SpinLockGuard g(tasklist_lock);
	list_for_each(pos, &task_list) {
		task_struct *p = list_entry(pos, task_struct, tasks);
		if (p->group_leader != p || p->exit_state || (p->flags & PF_KTHREAD) || p->tgid == 1)
			continue;
		(void)send_sig(sig, p, true);
	}
}

// --- the handlers --------------------------------------------------------------------------

void sysrq_handle_loglevel(int key)
{
	int i = key - '0';
	console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;
	pr_info("Loglevel set to %d\n", i);
	console_loglevel = i;
}
const sysrq_key_op sysrq_loglevel_op = {sysrq_handle_loglevel, "loglevel(0-9)", "Changing Loglevel",
					SYSRQ_ENABLE_LOG};

void sysrq_handle_reboot(int) { machine_restart(); } // Linux's emergency_restart: no sync, no shutdown
const sysrq_key_op sysrq_reboot_op = {sysrq_handle_reboot, "reboot(b)", "Resetting", SYSRQ_ENABLE_BOOT};

[[gnu::noinline]] void sysrq_handle_crash(int)
{
	// Linux's: a NULL store the compiler cannot drop, and an oops that panics (here every
	// oops panics).
	char *volatile killer = nullptr;
	*killer = 1;
}
const sysrq_key_op sysrq_crash_op = {sysrq_handle_crash, "crash(c)", "Trigger a crash", SYSRQ_ENABLE_DUMP};

void sysrq_handle_term(int)
{
	send_sig_all(SIGTERM);
	console_loglevel = CONSOLE_LOGLEVEL_DEBUG;
}
const sysrq_key_op sysrq_term_op = {sysrq_handle_term, "terminate-all-tasks(e)", "Terminate All Tasks",
				    SYSRQ_ENABLE_SIGNAL};

void sysrq_handle_kill(int)
{
	send_sig_all(SIGKILL);
	console_loglevel = CONSOLE_LOGLEVEL_DEBUG;
}
const sysrq_key_op sysrq_kill_op = {sysrq_handle_kill, "kill-all-tasks(i)", "Kill All Tasks", SYSRQ_ENABLE_SIGNAL};

// Linux's sysrq_handle_showallcpus without an NMI backtrace (arm64 6.1): this CPU's
// interrupted registers, or its stack from process context. Other online CPUs need an IPI to
// dump themselves; until SMP brings one they are named with the reason.
void sysrq_handle_showallcpus(int)
{
	unsigned self = smp_processor_id();
	for_each_online_cpu(cpu) {
		if (cpu != self) {
			pr_info("CPU%u: backtrace skipped (no backtrace IPI)\n", cpu);
			continue;
		}
		pr_info("CPU%u:\n", cpu);
		if (pt_regs *regs = get_irq_regs())
			show_regs(regs);
		else
			show_stack(current);
	}
}
const sysrq_key_op sysrq_showallcpus_op = {sysrq_handle_showallcpus, "show-backtrace-all-active-cpus(l)",
					   "Show backtrace of all active CPUs", SYSRQ_ENABLE_DUMP};

void sysrq_handle_showmem(int) { show_mem(); }
const sysrq_key_op sysrq_showmem_op = {sysrq_handle_showmem, "show-memory-usage(m)", "Show Memory",
				       SYSRQ_ENABLE_DUMP};

void sysrq_handle_poweroff(int) { machine_power_off(0); }
const sysrq_key_op sysrq_poweroff_op = {sysrq_handle_poweroff, "poweroff(o)", "Power Off", SYSRQ_ENABLE_BOOT};

// Linux's: the interrupted registers when called from an interrupt, nothing otherwise.
void sysrq_handle_showregs(int)
{
	if (pt_regs *regs = get_irq_regs())
		show_regs(regs);
}
const sysrq_key_op sysrq_showregs_op = {sysrq_handle_showregs, "show-registers(p)", "Show Regs", SYSRQ_ENABLE_DUMP};

// Linux's emergency_sync queues a writeback of every superblock and reports it done. The only
// file systems here are in memory (tmpfs, proc): there is nothing to write, so it is done now.
void sysrq_handle_sync(int) { printk(KERN_INFO "Emergency Sync complete\n"); } // fs/sync.c's line
const sysrq_key_op sysrq_sync_op = {sysrq_handle_sync, "sync(s)", "Emergency Sync", SYSRQ_ENABLE_SYNC};

void sysrq_handle_showstate(int) { show_state_filter(0); }
const sysrq_key_op sysrq_showstate_op = {sysrq_handle_showstate, "show-task-states(t)", "Show State",
					 SYSRQ_ENABLE_DUMP};

void sysrq_handle_showstate_blocked(int) { show_state_filter(TASK_UNINTERRUPTIBLE); }
const sysrq_key_op sysrq_showstate_blocked_op = {sysrq_handle_showstate_blocked, "show-blocked-tasks(w)",
						 "Show Blocked State", SYSRQ_ENABLE_DUMP};

// --- 'x': the kernel monitor ---------------------------------------------------------------
//
// Linux's xmon (powerpc) and kdb: the machine stops where it is and a command loop runs in
// the context that took the key, with IRQs masked and the UART polled. Nothing that runs on
// the CPU (a spinning program, a kernel thread, the scheduler) can delay or prevent it, and
// nothing can change what the commands look at. The commands are the console shell's, limited
// to those that only read and print (no sleeping, no allocation that could wait): in IRQ
// context a command that slept would switch away from the interrupt's stack.
const char *const monitor_cmds[] = {"dmesg", "ps", "meminfo", "buddyinfo", "pagetypeinfo", "zoneinfo",
				    "vmstat", "slabinfo", "vmallocinfo", "interrupts", "poweroff", "reboot"};

int monitor_getc()
{
	SerialRx *rx = console_serial_rx();
	return rx && rx->get_raw ? rx->get_raw() : console_getc();
}

void monitor_puts(const char *s) { console_puts(s, strlen(s)); }

// One line, echoed, with backspace; false at ^D on an empty line.
bool monitor_read_line(char *buf, usize size)
{
	usize n = 0;
	for (;;) {
		int c = monitor_getc();
		if (c < 0) {
			asm volatile("yield");
			continue;
		}
		if (c == '\r' || c == '\n') {
			monitor_puts("\n");
			buf[n] = 0;
			return true;
		}
		if (c == 4 && n == 0) {
			monitor_puts("\n");
			return false;
		}
		if ((c == 0x7f || c == 8) && n > 0) {
			n--;
			monitor_puts("\b \b");
		} else if (c >= ' ' && c < 0x7f && n + 1 < size) {
			buf[n++] = static_cast<char>(c);
			char e[2] = {static_cast<char>(c), 0};
			monitor_puts(e);
		}
	}
}

void sysrq_handle_monitor(int)
{
	irqflags_t f = arch_local_irq_save(); // from /proc/sysrq-trigger the same as from the IRQ
	int saved_loglevel = console_loglevel;
	console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;
	char comm[16];
	current_comm(comm, sizeof(comm));
	console_printf("Kernel monitor on CPU%u (current: %s, pid %d); the machine is stopped.\n"
		       "Commands: help, go (or x, or ^D) to resume, and the console's:",
		       smp_processor_id(), comm, current_pid());
	for (const char *c : monitor_cmds)
		console_printf(" %s", c);
	console_printf("\n");
	static char line[128]; // one monitor at a time: IRQs are off and SMP will stop the others
	for (;;) {
		monitor_puts("mon> ");
		if (!monitor_read_line(line, sizeof(line)))
			break;
		char *p = line;
		while (*p == ' ')
			p++;
		usize w = 0;
		while (p[w] && p[w] != ' ')
			w++;
		if (w == 0)
			continue;
		if ((w == 2 && !strncmp(p, "go", 2)) || (w == 1 && p[0] == 'x') || (w == 4 && !strncmp(p, "exit", 4)))
			break;
		if (w == 4 && !strncmp(p, "help", 4)) {
			console_printf("  go, x, exit, ^D  leave the monitor; the machine carries on\n");
			for (const char *c : monitor_cmds)
				console_printf("  %s\n", c);
			continue;
		}
		bool allowed = false;
		for (const char *c : monitor_cmds)
			allowed |= strlen(c) == w && !strncmp(p, c, w);
		if (!allowed) {
			console_printf("%.*s: not available in the monitor (it may sleep); 'help' lists the commands\n",
				       static_cast<int>(w), p);
			continue;
		}
		int r = shell_execute(p);
		if (r > 0)
			console_printf("(status %d)\n", r);
	}
	console_printf("Leaving the kernel monitor\n");
	console_loglevel = saved_loglevel;
	arch_local_irq_restore(f);
}
const sysrq_key_op sysrq_monitor_op = {sysrq_handle_monitor, "kernel-monitor(x)", "Entering the kernel monitor", 0};

// --- the key table -------------------------------------------------------------------------

// 'g': the GDB stub on the kgdboc= port (the console's UART without one), entered from here
// (Linux's sysrq_dbg_op, only with kernel.sysrq = 1 as there).
void sysrq_handle_dbg(int) { kgdb_breakpoint(); }
const sysrq_key_op sysrq_dbg_op = {sysrq_handle_dbg, "debug(g)", "DEBUG", 0};

// Linux's sysrq_key_table: 0-9, a-z, A-Z. Ops are static objects that are never freed, so a
// handler that races with unregister_sysrq_key still runs valid code.
SpinLock sysrq_key_table_lock;
const sysrq_key_op *sysrq_key_table[62] TA_GUARDED(sysrq_key_table_lock) = {
	&sysrq_loglevel_op, &sysrq_loglevel_op, &sysrq_loglevel_op, &sysrq_loglevel_op, &sysrq_loglevel_op,
	&sysrq_loglevel_op, &sysrq_loglevel_op, &sysrq_loglevel_op, &sysrq_loglevel_op, &sysrq_loglevel_op,
	nullptr,                     // a
	&sysrq_reboot_op,            // b
	&sysrq_crash_op,             // c
	nullptr,                     // d: show-all-locks (lockdep)
	&sysrq_term_op,              // e
	nullptr,                     // f: memory-full-oom-kill
	&sysrq_dbg_op,               // g: the GDB stub
	nullptr,                     // h: help
	&sysrq_kill_op,              // i
	nullptr, nullptr,            // j, k
	&sysrq_showallcpus_op,       // l
	&sysrq_showmem_op,           // m
	nullptr,                     // n
	&sysrq_poweroff_op,          // o
	&sysrq_showregs_op,          // p
	nullptr, nullptr,            // q, r
	&sysrq_sync_op,              // s
	&sysrq_showstate_op,         // t
	nullptr, nullptr,            // u, v
	&sysrq_showstate_blocked_op, // w
	&sysrq_monitor_op,           // x: powerpc's xmon key
	nullptr, nullptr,            // y, z
};

int key2index(int key)
{
	if (key >= '0' && key <= '9')
		return key - '0';
	if (key >= 'a' && key <= 'z')
		return key - 'a' + 10;
	if (key >= 'A' && key <= 'Z')
		return key - 'A' + 36;
	return -1;
}

const sysrq_key_op *get_key_op(int key)
{
	int i = key2index(key);
	if (i < 0)
		return nullptr;
	SpinLockGuard g(sysrq_key_table_lock);
	return sysrq_key_table[i];
}

void print_help()
{
	pr_info("HELP : ");
	const sysrq_key_op *ops[62];
	{
		SpinLockGuard g(sysrq_key_table_lock);
		memcpy(ops, sysrq_key_table, sizeof(ops));
	}
	// Each op once (loglevel has ten keys).
	for (int i = 0; i < 62; i++) {
		if (!ops[i])
			continue;
		int j = 0;
		while (ops[j] != ops[i])
			j++;
		if (j == i)
			pr_cont("%s ", ops[i]->help_msg);
	}
	pr_cont("\n");
}

} // namespace sysrq

using namespace sysrq;

[[gnu::noinline]] void __handle_sysrq(int key, bool check_mask)
{
	// Raised so that the header shows whatever the loglevel (Linux's feedback rule); the
	// handler's own output obeys the loglevel again.
	int orig_log_level = console_loglevel;
	console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;
	const sysrq_key_op *op = get_key_op(key);
	if (op) {
		if (!check_mask || sysrq_on_mask(op->enable_mask)) {
			pr_info("%s\n", op->action_msg);
			console_loglevel = orig_log_level;
			op->handler(key);
		} else {
			pr_info("This sysrq operation is disabled.\n");
			console_loglevel = orig_log_level;
		}
	} else {
		print_help();
		console_loglevel = orig_log_level;
	}
}

int sysrq_mask()
{
	if (sysrq_always_enabled)
		return 1;
	return __atomic_load_n(&sysrq_enabled, __ATOMIC_RELAXED);
}

void handle_sysrq(int key)
{
	if (sysrq_mask())
		__handle_sysrq(key, true);
}

void sysrq_toggle_support(int enable_mask) { __atomic_store_n(&sysrq_enabled, enable_mask, __ATOMIC_RELAXED); }

Result register_sysrq_key(int key, const sysrq_key_op *op)
{
	int i = key2index(key);
	if (i < 0 || !op)
		return Errno::EINVAL;
	SpinLockGuard g(sysrq_key_table_lock);
	if (sysrq_key_table[i])
		return Errno::EBUSY;
	sysrq_key_table[i] = op;
	return {};
}

Result unregister_sysrq_key(int key, const sysrq_key_op *op)
{
	int i = key2index(key);
	if (i < 0)
		return Errno::EINVAL;
	SpinLockGuard g(sysrq_key_table_lock);
	if (sysrq_key_table[i] != op)
		return Errno::EBUSY;
	sysrq_key_table[i] = nullptr;
	return {};
}

pt_regs *get_irq_regs() { return irq_regs[smp_processor_id()]; }

void sysrq_irq_regs_init()
{
	irqflags_t f = arch_local_irq_save();
	if (handle_arch_irq && handle_arch_irq != handle_irq_with_regs) {
		root_handle_irq = handle_arch_irq;
		handle_arch_irq = handle_irq_with_regs;
	}
	arch_local_irq_restore(f);
}

// Linux's write_sysrq_trigger (6.1): the first byte is the key; the mask is not consulted.
long sysrq_trigger_write(void *, const char *buf, usize len)
{
	if (len)
		__handle_sysrq(static_cast<u8>(buf[0]), false);
	return static_cast<long>(len);
}

// --- self-tests (ktest=sysrq) ----------------------------------------------------------------

#include "core/ktest.h"

namespace sysrq {

int test_calls, test_key;
void test_handler(int key)
{
	test_calls++;
	test_key = key;
}
const sysrq_key_op test_op = {test_handler, "test(G)", "Self-test key", SYSRQ_ENABLE_DUMP};
const sysrq_key_op other_op = {test_handler, "other(G)", "Other key", SYSRQ_ENABLE_DUMP};

int errno_of(Result r) { return r.is_error() ? r.error().neg() : 0; }

} // namespace sysrq

// The GDB stub's API: a free key takes one op, a taken one refuses a second, only the owner
// unregisters, and the key runs its op with itself as the argument.
KTEST(sysrq, register_unregister)
{
	KT_EXPECT_EQ(t, errno_of(register_sysrq_key('!', &test_op)), -22); // EINVAL: no such slot
	KT_EXPECT_EQ(t, errno_of(register_sysrq_key('G', nullptr)), -22);
	KT_EXPECT_EQ(t, errno_of(register_sysrq_key('b', &test_op)), -16); // EBUSY: reboot's
	KT_ASSERT_TRUE(t, !register_sysrq_key('G', &test_op).is_error());
	KT_EXPECT_EQ(t, errno_of(register_sysrq_key('G', &other_op)), -16);
	test_calls = 0;
	__handle_sysrq('G', false);
	KT_EXPECT_EQ(t, test_calls, 1);
	KT_EXPECT_EQ(t, test_key, 'G');
	KT_EXPECT_EQ(t, errno_of(unregister_sysrq_key('G', &other_op)), -16);
	KT_EXPECT_TRUE(t, !unregister_sysrq_key('G', &test_op).is_error());
	__handle_sysrq('G', false); // the help line now
	KT_EXPECT_EQ(t, test_calls, 1);
	KT_EXPECT_EQ(t, errno_of(unregister_sysrq_key('G', &test_op)), -16);
}

// kernel.sysrq: a group bit enables its keys, 1 all, 0 none; /proc/sysrq-trigger's path
// (check_mask false) runs the key whatever the mask.
KTEST(sysrq, enable_mask)
{
	if (sysrq_always_enabled) {
		t.skip("sysrq_always_enabled overrides the mask");
		return;
	}
	int saved = sysrq_enabled;
	KT_ASSERT_TRUE(t, !register_sysrq_key('G', &test_op).is_error());
	test_calls = 0;
	sysrq_toggle_support(SYSRQ_ENABLE_DUMP);
	handle_sysrq('G');
	KT_EXPECT_EQ(t, test_calls, 1);
	sysrq_toggle_support(SYSRQ_DEFAULT_ENABLE); // 438 has no DUMP bit
	handle_sysrq('G');
	KT_EXPECT_EQ(t, test_calls, 1);
	__handle_sysrq('G', false);
	KT_EXPECT_EQ(t, test_calls, 2);
	sysrq_toggle_support(1);
	handle_sysrq('G');
	KT_EXPECT_EQ(t, test_calls, 3);
	sysrq_toggle_support(0);
	KT_EXPECT_EQ(t, sysrq_mask(), 0);
	handle_sysrq('G');
	KT_EXPECT_EQ(t, test_calls, 3);
	sysrq_toggle_support(saved);
	KT_EXPECT_TRUE(t, !unregister_sysrq_key('G', &test_op).is_error());
}

// Process context has no interrupted registers (SysRq-p then prints none, as Linux's).
KTEST(sysrq, no_irq_regs_in_process_context) { KT_EXPECT_TRUE(t, get_irq_regs() == nullptr); }
