// panic() and the pieces every report shares (Linux's kernel/panic.c and lib/dump_stack.c):
// the taint flags, "CPU: n PID: n Comm: ... Not tainted <release> #1", "Hardware name:" and the
// end-of-trace marker.
#include "core/panic.h"

#include <asm/irqflags.h>
#include <asm/smp.h>
#include <asm/traps.h>

#include <asm/arch_timer.h>
#include <asm/ptrace.h>

#include "core/cpumask.h"
#include "core/params.h"
#include "core/printk.h"
#include "fs/fs.h"
#include "fs/proc/format.h"
#include "kernel/crash.h"
#include "kernel/debug/kgdb.h"
#include "kernel/printk_internal.h"
#include "kernel/sched.h"
#include "mm/mm_struct.h"
#include "mm/vmstat.h"
#include "kernel/process.h"
#include "kernel/reboot.h"
#include "kernel/version.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "lib/parse.h"
#include "lib/seq_file.h"

static unsigned long tainted_mask;
static char arch_desc[96];

void add_taint(Taint t) { __atomic_fetch_or(&tainted_mask, 1ul << static_cast<unsigned>(t), __ATOMIC_RELAXED); }

// Linux 6.1's print_tainted: "Not tainted", or "Tainted: " and one column per flag (P/G F S R
// M B U D A W C I O E L K X T), a space where a flag is clear except G for "no proprietary module".
static const char *print_tainted(char *buf, usize n)
{
	static const char c_true[] = "PFSRMBUDAWCIOELKXT";
	unsigned long mask = __atomic_load_n(&tainted_mask, __ATOMIC_RELAXED);
	if (!mask)
		return "Not tainted";
	usize p = kstd::scnprintf(buf, n, "Tainted: ");
	for (unsigned i = 0; i < sizeof(c_true) - 1 && p + 1 < n; i++)
		buf[p++] = (mask >> i) & 1 ? c_true[i] : i == 0 ? 'G' : ' ';
	buf[p] = 0;
	return buf;
}

void dump_stack()
{
	dump_stack_print_info(KERN_DEFAULT);
	dump_backtrace(nullptr);
}

void dump_stack_set_arch_desc(const char *model) { kstd::snprintf(arch_desc, sizeof(arch_desc), "%s (DT)", model); }

void dump_stack_print_info(const char *log_lvl)
{
	char comm[20], taint[32];
	current_comm(comm, sizeof(comm));
	// Linux prints the version up to its first space: "#1".
	usize vlen = 0;
	while (kernel_uts_version[vlen] && kernel_uts_version[vlen] != ' ')
		vlen++;
	printk("%sCPU: %u PID: %d Comm: %.20s %s %s %.*s\n", log_lvl, smp_processor_id(), current_pid(), comm,
	       print_tainted(taint, sizeof(taint)), kernel_release, static_cast<int>(vlen), kernel_uts_version);
	if (arch_desc[0])
		printk("%sHardware name: %s\n", log_lvl, arch_desc);
}

void print_oops_end_marker() { pr_warn("---[ end trace %016llx ]---\n", 0ull); }

// --- panic=, oops=panic, panic_on_warn (Linux's kernel/panic.c) -----------------------------------

// panic=N: seconds before the panic reboots; 0 stays halted; negative reboots at once. Unset
// (the default here, unlike Linux's 0): power off with status 1, which QEMU's semihosting turns
// into its exit status, so that a test run ends instead of hanging.
static int panic_timeout;
static bool panic_timeout_set;
bool panic_on_oops;
bool panic_on_warn;

static Result set_panic_timeout(const char *v)
{
	if (!v)
		return Errno::EINVAL;
	bool neg = *v == '-';
	u64 n = TRY(kstd::kstrtou64(neg ? v + 1 : v, 10));
	if (n > 0x7fffffff)
		return Errno::ERANGE;
	panic_timeout = neg ? -static_cast<int>(n) : static_cast<int>(n);
	panic_timeout_set = true;
	return {};
}
EARLY_PARAM("panic", set_panic_timeout);

// Linux's oops_setup: only "oops=panic" means something.
static Result set_oops(const char *v)
{
	if (!v || strcmp(v, "panic") != 0)
		return Errno::EINVAL;
	panic_on_oops = true;
	return {};
}
EARLY_PARAM("oops", set_oops);

// panic_on_warn=<int> (Linux's core_param); a bare word is taken as 1.
static Result set_panic_on_warn(const char *v)
{
	if (!v) {
		panic_on_warn = true;
		return {};
	}
	panic_on_warn = TRY(kstd::kstrtou64(v, 0)) != 0;
	return {};
}
EARLY_PARAM("panic_on_warn", set_panic_on_warn);

// Linux's check_panic_on_warn, called by every WARN after its registers: the warning becomes a
// panic. Cleared first so that a WARN on the way down does not panic again.
void check_panic_on_warn()
{
	if (!panic_on_warn)
		return;
	panic_on_warn = false;
	panic("panic_on_warn set ...");
}

// --- the crash report's additions ------------------------------------------------------------------

// Where the crash began in the log and what the console showed before console_verbose():
// oops_begin() (die) records it so that panic() after an oops looks back from the oops.
// One CPU reports at a time (Linux's die_lock): crash_owner is the reporting CPU, -1 when
// none; a crash inside the report on the same CPU goes on (a panic after an oops).
static int crash_owner = -1;
static unsigned crash_depth;
static u64 crash_mark;
static int crash_saved_loglevel = -1;

void oops_begin()
{
	int self = static_cast<int>(smp_processor_id());
	for (;;) {
		int expected = -1;
		if (__atomic_compare_exchange_n(&crash_owner, &expected, self, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) ||
		    expected == self)
			break;
		cpu_relax(); // another CPU's report: wait for its end
	}
	if (crash_depth++ == 0) {
		crash_mark = printk_log_mark();
		crash_saved_loglevel = printk_console_filtered(6 /* KERN_INFO */) ? console_loglevel : -1;
	}
	console_verbose();
}

void oops_end()
{
	if (crash_depth && --crash_depth == 0) {
		crash_saved_loglevel = -1;
		__atomic_store_n(&crash_owner, -1, __ATOMIC_RELEASE);
	}
}

// A printf sink for the meminfo generator that keeps the summary lines.
static int meminfo_summary_sink(const char *fmt, ...)
{
	static const char *const keep[] = {"MemTotal:", "MemFree:", "MemAvailable:", "Cached:", "Slab:",
					   "SReclaimable:", "SUnreclaim:", "KernelStack:", "PageTables:", "VmallocUsed:",
					   "CmaTotal:", "CmaFree:"};
	static char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *line = buf; line < buf + n;) {
		char *nl = static_cast<char *>(memchr(line, '\n', usize(buf + n - line)));
		usize len = nl ? usize(nl - line) : usize(buf + n - line);
		for (const char *k : keep)
			if (len >= strlen(k) && strncmp(line, k, strlen(k)) == 0)
				printk(KERN_EMERG "%.*s\n", static_cast<int>(len), line);
		line += len + 1;
	}
	return n;
}

static int printk_emerg_sink(const char *fmt, ...)
{
	static char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "%s", buf);
	return n;
}

// The crashing task's VMAs as /proc/<pid>/maps prints them (its show_map_vma), walked without
// mmap_lock (it sleeps; the crash runs with IRQs off) unless a writer holds it, when the tree
// may be half changed. A file mapping shows its dentry's name, not a d_path (which locks).
static void show_task_vmas()
{
	char comm[20];
	current_comm(comm, sizeof(comm));
	task_struct *t = current_task();
	mm_struct *mm = t ? t->mm : nullptr;
	if (!mm) {
		pr_emerg("VMAs of %s[%d]: none (a kernel thread has no user address space)\n", comm, current_pid());
		return;
	}
	if (mm->mmap_lock.count() < 0) {
		pr_emerg("VMAs of %s[%d]: not shown, mmap_lock is held for writing\n", comm, current_pid());
		return;
	}
	pr_emerg("VMAs of %s[%d]:\n", comm, current_pid());
	seq_show_to_sink(printk_emerg_sink, [](seq_file *m, void *arg) {
		auto *mm = static_cast<mm_struct *>(arg);
		unsigned n = 0;
		for (vm_area_struct *v = vma_first(mm); v && n < 64; v = vma_next(v), n++) {
			proc_vma_info i{};
			i.start = v->vm_start;
			i.end = v->vm_end;
			i.vm_flags = v->vm_flags | (v->vm_flags & VM_SHARED ? 0x80 : 0); // VM_MAYSHARE: 's'
			if (v->vm_file) {
				i.pgoff_bytes = static_cast<unsigned long long>(v->vm_pgoff) << 12;
				if (inode *ino = v->vm_file->f_inode) {
					i.ino = ino->i_ino;
					if (ino->i_sb) {
						i.dev_major = MAJOR(ino->i_sb->s_dev);
						i.dev_minor = MINOR(ino->i_sb->s_dev);
					}
				}
				i.name = v->vm_file->f_path.dentry ? v->vm_file->f_path.dentry->d_name.name : nullptr;
			} else if (v->vm_start <= mm->brk && v->vm_end >= mm->start_brk) {
				i.name = "[heap]";
			} else if (v->vm_start <= mm->start_stack && v->vm_end >= mm->start_stack) {
				i.name = "[stack]";
			}
			show_map_vma(m, i);
		}
		return 0;
	}, mm);
}

// The look back, every CPU, memory and the task: what a report from a board with only a serial
// line needs (Linux spreads these over panic_print=, sysrq l/m and show_mem).
void crash_report_extras()
{
	// Every online CPU's backtrace (Linux's trigger_all_cpu_backtrace): this CPU's is the call
	// trace above; the others have to be stopped by an IPI first, which SMP bring-up adds.
	unsigned self = smp_processor_id();
	for_each_online_cpu(cpu) {
		if (cpu == self)
			pr_emerg("NMI backtrace for cpu %u: this CPU, the call trace above\n", cpu);
		else
			pr_emerg("NMI backtrace for cpu %u: skipped, no IPI stops other CPUs yet\n", cpu);
	}
	// The console hid lower levels (quiet, loglevel=): the last lines it did not show.
	if (crash_saved_loglevel >= 0) {
		pr_emerg("---[ last log lines (the console showed levels below %d only) ]---\n", crash_saved_loglevel);
		printk_replay_tail(crash_mark, 20);
		pr_emerg("---[ end of last log lines ]---\n");
	}
	// Lock-free first: buddyinfo reads the free counts, the VMA walk takes no lock.
	pr_emerg("buddyinfo (/proc/buddyinfo):\n");
	show_buddyinfo(printk_emerg_sink);
	show_task_vmas();
	// Memory through the /proc/meminfo generator, last: its VmallocUsed takes vmap_area_lock,
	// a spinlock (as Linux's show_mem takes the zone locks), which the crashed code might hold.
	// Committed_AS walks every task's mm under locks that sleep: it reads as 0 here.
	auto committed = __atomic_exchange_n(&meminfo_committed_as, nullptr, __ATOMIC_ACQ_REL);
	pr_emerg("Mem-Info (/proc/meminfo summary):\n");
	show_meminfo(meminfo_summary_sink);
	__atomic_store_n(&meminfo_committed_as, committed, __ATOMIC_RELEASE);
}

// Linux's panic() waits with mdelay(); the generic counter keeps time with IRQs off.
static void panic_delay_seconds(int s)
{
	u64 freq = arch_timer_get_cntfrq();
	u64 end = arch_counter_get_cntpct() + static_cast<u64>(s) * (freq ? freq : 62500000);
	while (arch_counter_get_cntpct() < end)
		asm volatile("yield");
}

// A WARNING for a site known only by file and line (the lock checks' caller, handed down by
// __builtin_FILE/LINE), in the shape the BRK handler gives a WARN_ON: the cut-here line,
// "WARNING: CPU: n PID: n at file:line caller", the modules line, who and where, the call
// trace and the end marker; then it continues with taint W (Linux's __warn without regs).
extern "C" void __warn(const char *file, int line, const char *cond)
{
	printk(KERN_DEFAULT "------------[ cut here ]------------\n");
	pr_warn("WARNING: CPU: %u PID: %d at %s:%d %pS\n", smp_processor_id(), current_pid(), file, line,
		__builtin_return_address(0));
	if (cond)
		pr_warn("%s\n", cond);
	printk(KERN_DEFAULT "Modules linked in:\n");
	dump_stack_print_info(KERN_DEFAULT);
	check_panic_on_warn();
	dump_backtrace(nullptr);
	print_oops_end_marker();
	add_taint(Taint::Warn);
}

// Linux's crash_setup_regs (arm64 asm/kexec.h, what panic hands kdump): the registers as
// panic() was entered, x0..x30 and sp, with pc at the capture and PSTATE's NZCV, DAIF,
// CurrentEL and SPSel. Callee-saved registers still hold the caller's values.
static inline void crash_setup_regs(pt_regs *r)
{
	asm volatile("stp x0, x1, [%0, #0]\n stp x2, x3, [%0, #16]\n stp x4, x5, [%0, #32]\n"
		     "stp x6, x7, [%0, #48]\n stp x8, x9, [%0, #64]\n stp x10, x11, [%0, #80]\n"
		     "stp x12, x13, [%0, #96]\n stp x14, x15, [%0, #112]\n stp x16, x17, [%0, #128]\n"
		     "stp x18, x19, [%0, #144]\n stp x20, x21, [%0, #160]\n stp x22, x23, [%0, #176]\n"
		     "stp x24, x25, [%0, #192]\n stp x26, x27, [%0, #208]\n stp x28, x29, [%0, #224]\n"
		     "mov x9, sp\n stp x30, x9, [%0, #240]\n"
		     "adr x9, 1f\n1: str x9, [%0, #256]\n"
		     "mrs x9, nzcv\n mrs x10, daif\n orr x9, x9, x10\n mrs x10, CurrentEL\n orr x9, x9, x10\n"
		     "mrs x10, SPSel\n orr x9, x9, x10\n str x9, [%0, #264]\n"
		     :
		     : "r"(r)
		     : "x9", "x10", "memory");
}
static_assert(__builtin_offsetof(pt_regs, sp) == 248 && __builtin_offsetof(pt_regs, pc) == 256 &&
	      __builtin_offsetof(pt_regs, pstate) == 264);

extern "C" void panic(const char *fmt, ...)
{
	static pt_regs panic_regs[NR_CPUS];
	crash_setup_regs(&panic_regs[smp_processor_id()]);
	// Linux's panic_cpu: the first CPU to panic reports; another that panics meanwhile stops,
	// and a fault while panicking goes straight down instead of recursing.
	static int panic_cpu = -1;
	arch_local_irq_disable();
	int self = static_cast<int>(smp_processor_id()), old = -1;
	if (!__atomic_compare_exchange_n(&panic_cpu, &old, self, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		if (old != self)
			for (;;)
				asm volatile("wfi");
		machine_power_off(1);
	}
	printk_bust_locks();
	bool after_oops = crash_depth > 0 && __atomic_load_n(&crash_owner, __ATOMIC_ACQUIRE) == self;
	oops_begin(); // after an oops: already done there, the look back starts at the oops

	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_emerg("Kernel panic - not syncing: %s\n", buf);
	// After an oops its registers were printed; a panic of its own shows panic()'s.
	if (after_oops)
		dump_stack_print_info(KERN_DEFAULT);
	else
		__show_regs(&panic_regs[self]);
	dump_backtrace(nullptr);
	crash_report_extras();
	kgdb_panic(buf); // with kgdboc= set, gdb gets a look before the machine goes down (Linux's)
	if (panic_timeout > 0) {
		pr_emerg("Rebooting in %d seconds..\n", panic_timeout);
		panic_delay_seconds(panic_timeout);
	}
	if (panic_timeout != 0) // Linux's emergency_restart: PSCI SYSTEM_RESET, the Pis' watchdog
		machine_restart();
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", buf);
	if (!panic_timeout_set)
		machine_power_off(1);
	// panic=0: stay, as Linux's default (a developer reads the screen; the watchdog is off).
	for (;;)
		asm volatile("wfi");
}
