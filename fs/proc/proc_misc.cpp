// The system-wide /proc files (Linux's fs/proc/meminfo.c, stat.c, uptime.c, loadavg.c,
// cmdline.c, version.c, kernel/resource.c's /proc/iomem, fs/filesystems.c, kernel/sysctl.c's
// vm and kernel tables) and the table procfs and the console serve them from.
#include <asm/arch_timer.h>
#include <asm/memory.h>
#include <asm/smp.h>

#include "core/cpumask.h"
#include "core/printk.h"
#include "fs/fs.h"
#include "fs/proc/format.h"
#include "fs/proc/internal.h"
#include "fs/proc/proc_fs.h"
#include "kernel/irq.h"
#include "core/params.h"
#include "kernel/sched.h"
#include "kernel/sysrq.h"
#include "kernel/version.h"
#include "kstd/string.h"
#include "lib/parse.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/slab_active.h"
#include "mm/vmalloc.h"
#include "mm/vmstat.h"

// --- cputime and load ------------------------------------------------------------------------------

namespace {

kernel_cpustat cpustat[NR_CPUS];
// Linux's avenrun (FIXED_1 fixed point) and calc_load_update: the next jiffy to sample at.
unsigned long avenrun[3];
u64 load_ticks;
constexpr u64 LOAD_FREQ = 5 * USER_HZ + 1; // Linux's 5 s + 1 tick (HZ is 100 here too)
constexpr u64 TICK_NSEC = 1000000000ull / USER_HZ;

// Tasks for the load average: running (on a run queue or a CPU) or in uninterruptible sleep
// that is not a kernel thread's idle wait (Linux's nr_running + nr_uninterruptible, which
// leaves out TASK_IDLE kernel threads).
struct load_count {
	unsigned running, blocked, threads;
};
void count_task(task_struct *t, void *arg)
{
	auto *c = static_cast<load_count *>(arg);
	c->threads++;
	char s = task_state_char(t);
	if (s == 'R')
		c->running++;
	else if (s == 'D')
		c->blocked++;
}

} // namespace

unsigned long total_forks;
static int last_linked_pid;

void proc_task_linked(const task_struct *t)
{
	total_forks++;
	__atomic_store_n(&last_linked_pid, t->pid, __ATOMIC_RELAXED);
}

void proc_account_tick()
{
	task_struct *c = current;
	unsigned cpu = smp_processor_id();
	u64 *st = cpustat[cpu].cpustat;
	if (c->flags & PF_IDLE)
		st[CPUTIME_IDLE] += TICK_NSEC;
	else if (c->tick_from_user)
		st[c->nice > 0 ? CPUTIME_NICE : CPUTIME_USER] += TICK_NSEC;
	else
		st[CPUTIME_SYSTEM] += TICK_NSEC;
	// One CPU samples the load (Linux's do_timer on the tick CPU).
	if (cpu != 0 || ++load_ticks < LOAD_FREQ)
		return;
	load_ticks = 0;
	load_count n{};
	for_each_task(count_task, &n);
	unsigned long active = static_cast<unsigned long>(n.running + n.blocked) * FIXED_1;
	avenrun[0] = calc_load(avenrun[0], EXP_1, active);
	avenrun[1] = calc_load(avenrun[1], EXP_5, active);
	avenrun[2] = calc_load(avenrun[2], EXP_15, active);
}

u64 proc_uptime_ns()
{
	u64 c = arch_counter_get_cntpct(), f = arch_timer_get_cntfrq();
	return c / f * 1000000000ull + c % f * 1000000000ull / f;
}

// --- generators ------------------------------------------------------------------------------------------
namespace {

int meminfo_show(seq_file *m, void *)
{
	proc_install_hooks();
	show_meminfo(m);
	return 0;
}
int buddyinfo_show(seq_file *m, void *) { return show_buddyinfo(m), 0; }
int pagetypeinfo_show(seq_file *m, void *) { return show_pagetypeinfo(m), 0; }
int zoneinfo_show(seq_file *m, void *) { return show_zoneinfo(m), 0; }
int vmstat_show(seq_file *m, void *) { return show_vmstat(m), 0; }
int slabinfo_show_entry(seq_file *m, void *) { return slabinfo_show(m), 0; }
int vmallocinfo_show(seq_file *m, void *) { return show_vmallocinfo(m), 0; }
int interrupts_show(seq_file *m, void *) { return show_interrupts(m), 0; }
int cpuinfo_show(seq_file *m, void *) { return show_cpuinfo(m), 0; }

int cmdline_show(seq_file *m, void *)
{
	seq_puts(m, boot_command_line());
	seq_putc(m, '\n');
	return 0;
}

// Linux's /proc/version is linux_proc_banner; this kernel's banner (as its boot log prints it).
int version_show(seq_file *m, void *)
{
	seq_puts(m, linux_banner);
	return 0;
}

int uptime_show(seq_file *m, void *)
{
	u64 idle = 0;
	for_each_possible_cpu(cpu)
		idle += __atomic_load_n(&cpustat[cpu].cpustat[CPUTIME_IDLE], __ATOMIC_RELAXED);
	show_uptime(m, proc_uptime_ns(), idle);
	return 0;
}

int loadavg_show(seq_file *m, void *)
{
	load_count n{};
	for_each_task(count_task, &n);
	unsigned long a[3];
	for (int i = 0; i < 3; i++)
		a[i] = __atomic_load_n(&avenrun[i], __ATOMIC_RELAXED);
	show_loadavg(m, a, n.running, n.threads, __atomic_load_n(&last_linked_pid, __ATOMIC_RELAXED));
	return 0;
}

int stat_show(seq_file *m, void *)
{
	unsigned ids[NR_CPUS];
	kernel_cpustat times[NR_CPUS];
	unsigned nr = 0;
	u64 ctxt = 0;
	for_each_online_cpu(cpu) {
		ids[nr] = cpu;
		for (int j = 0; j < NR_STATS; j++)
			times[nr].cpustat[j] = __atomic_load_n(&cpustat[cpu].cpustat[j], __ATOMIC_RELAXED);
		ctxt += rq_get_stats(cpu).nr_switches;
		nr++;
	}
	// Linux lists every irq number below nr_irqs: 0 first, which is never a real one.
	u64 irqs[NR_IRQS];
	for (unsigned v = 0; v < NR_IRQS; v++) {
		irqs[v] = 0;
		if (v)
			for_each_possible_cpu(cpu)
				irqs[v] += irq_count_cpu(v, cpu);
	}
	load_count n{};
	for_each_task(count_task, &n);
	proc_stat_snapshot s{};
	s.nr_cpus = nr;
	s.cpu_ids = ids;
	s.cpu = times;
	s.irqs = irqs;
	s.nr_irqs = NR_IRQS;
	s.ctxt = ctxt;
	s.btime = 0; // CLOCK_REALTIME counts from boot here (no RTC): boot was at time 0
	s.processes = __atomic_load_n(&total_forks, __ATOMIC_RELAXED);
	s.procs_running = n.running;
	s.procs_blocked = n.blocked;
	show_stat(m, s);
	return 0;
}

// /proc/iomem's memory part, as arm64's request_standard_resources builds it: a "System RAM"
// resource per memblock.memory region ("reserved" for NOMAP), with "Kernel code" and "Kernel
// data" and then every memblock.reserved range inside it, split around the kernel's two.
struct iomem_child {
	u64 start, end; // inclusive
	const char *name;
};

void add_split(iomem_child *out, unsigned *n, unsigned max, u64 s, u64 e, const iomem_child *k, unsigned nk)
{
	// Pieces of [s, e] that no kernel resource covers.
	for (unsigned i = 0; i < nk && s <= e; i++) {
		if (k[i].end < s || k[i].start > e)
			continue;
		if (k[i].start > s && *n < max)
			out[(*n)++] = {s, k[i].start - 1, "reserved"};
		s = k[i].end + 1;
	}
	if (s <= e && *n < max)
		out[(*n)++] = {s, e, "reserved"};
}

int iomem_show(seq_file *m, void *)
{
	// The arrays outlive boot only while they are the static ones (memblock_discard frees a
	// grown array, and growing doubles max): otherwise that part is left out rather than read
	// from freed memory.
	bool reserved_ok = memblock.reserved.max == INIT_MEMBLOCK_RESERVED_REGIONS;
	bool memory_ok = memblock.memory.max == INIT_MEMBLOCK_REGIONS;
	if (!memory_ok)
		return 0;
	// Linux's kernel_code is [_stext, __init_begin): text and rodata; this kernel has no init
	// section, so rodata ends where data starts.
	u64 kstart = __pa_symbol(_text).value(), kcode_end = __pa_symbol(_sdata).value() - 1;
	u64 kdata = __pa_symbol(_sdata).value(), kend = __pa_symbol(_end).value() - 1;
	const iomem_child kernel[2] = {{kstart, kcode_end, "Kernel code"}, {kdata, kend, "Kernel data"}};
	for (unsigned long r = 0; r < memblock.memory.cnt; r++) {
		const memblock_region &mr = memblock.memory.regions[r];
		if (!mr.size)
			continue;
		u64 s = mr.base, e = mr.base + mr.size - 1;
		seq_printf(m, "%08llx-%08llx : %s\n", static_cast<unsigned long long>(s), static_cast<unsigned long long>(e),
			   memblock_is_nomap(&mr) ? "reserved" : "System RAM");
		if (memblock_is_nomap(&mr))
			continue;
		constexpr unsigned MAX_CHILDREN = 64;
		iomem_child kids[MAX_CHILDREN];
		unsigned n = 0;
		for (const iomem_child &k : kernel)
			if (k.start >= s && k.end <= e)
				kids[n++] = k;
		unsigned nk = n;
		if (reserved_ok) {
			for (unsigned long i = 0; i < memblock.reserved.cnt; i++) {
				const memblock_region &rr = memblock.reserved.regions[i];
				if (!rr.size)
					continue;
				u64 rs = rr.base > s ? rr.base : s, re = rr.base + rr.size - 1 < e ? rr.base + rr.size - 1 : e;
				if (rs <= re)
					add_split(kids, &n, MAX_CHILDREN, rs, re, kids, nk);
			}
		}
		// Address order (a handful of entries: insertion sort).
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = i; j > 0 && kids[j].start < kids[j - 1].start; j--) {
				iomem_child t = kids[j];
				kids[j] = kids[j - 1];
				kids[j - 1] = t;
			}
		for (unsigned i = 0; i < n; i++)
			seq_printf(m, "  %08llx-%08llx : %s\n", static_cast<unsigned long long>(kids[i].start),
				   static_cast<unsigned long long>(kids[i].end), kids[i].name);
	}
	return 0;
}

// --- /proc/sys --------------------------------------------------------------------------------------------

// Linux's proc_dointvec_minmax for one integer: optional blanks, an optional sign, digits,
// optional trailing blanks/newline; EINVAL for anything else or a value outside [min, max].
ErrorOr<long> parse_sysctl_int(const char *buf, usize len, long min, long max)
{
	char tmp[32];
	if (len >= sizeof(tmp))
		return Errno::EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	const char *p = tmp;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	bool neg = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9')
		return Errno::EINVAL;
	u64 v;
	const char *end;
	if (!kstd::parse_u64(p, &end, 10, &v) || v > 0x7fffffff)
		return Errno::EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (*end)
		return Errno::EINVAL;
	long x = neg ? -static_cast<long>(v) : static_cast<long>(v);
	if (x < min || x > max)
		return Errno::EINVAL;
	return x;
}

int min_free_kbytes_show(seq_file *m, void *)
{
	seq_printf(m, "%d\n", __atomic_load_n(&min_free_kbytes, __ATOMIC_RELAXED));
	return 0;
}
// Linux's min_free_kbytes_sysctl_handler: the value becomes the user's (kept while it exceeds
// the computed one) and the watermarks follow at once.
long min_free_kbytes_write(void *, const char *buf, usize len)
{
	auto v = parse_sysctl_int(buf, len, 0, 0x7fffffff);
	if (v.is_error())
		return v.error().neg();
	min_free_kbytes = static_cast<int>(v.value());
	user_min_free_kbytes = min_free_kbytes;
	setup_per_zone_wmarks();
	return static_cast<long>(len);
}

// Linux's drop_caches_sysctl_handler: 1 drops clean page-cache pages (none here can be dropped:
// tmpfs pages live in memory only, so only the event is counted), 2 frees the slab caches'
// empty slabs, 3 both; 4 only silences the message.
long drop_caches_write(void *, const char *buf, usize len)
{
	auto v = parse_sysctl_int(buf, len, 1, 4);
	if (v.is_error())
		return v.error().neg();
	static bool stfu;
	long x = v.value();
	if (x & 1)
		count_vm_event(DROP_PAGECACHE);
	if (x & 2) {
		list_for_each(pos, &active_slab::caches)
			kmem_cache_shrink(list_entry(pos, kmem_cache, list));
		count_vm_event(DROP_SLAB);
	}
	if (!stfu)
		pr_info("%s (%d): drop_caches: %ld\n", current->comm, current->pid, x);
	stfu |= (x & 4) != 0;
	return static_cast<long>(len);
}

// Heuristic overcommit (0) is the only policy this kernel has: the file reads 0 and is not
// writable until mmap accounts commitments.
int overcommit_show(seq_file *m, void *)
{
	seq_puts(m, "0\n");
	return 0;
}

char nodename[65] = "(none)";
SpinLock uts_lock;

int hostname_show(seq_file *m, void *)
{
	char tmp[65];
	{
		SpinLockGuard g(uts_lock);
		memcpy(tmp, nodename, sizeof(tmp));
	}
	seq_puts(m, tmp);
	seq_putc(m, '\n');
	return 0;
}
// Linux's proc_do_uts_string: the write replaces the name (a trailing newline ends it), at
// most 64 bytes are kept.
long hostname_write(void *, const char *buf, usize len)
{
	usize n = 0;
	while (n < len && n < 64 && buf[n] && buf[n] != '\n')
		n++;
	SpinLockGuard g(uts_lock);
	memcpy(nodename, buf, n);
	nodename[n] = 0;
	return static_cast<long>(len);
}

// The pid allocator's limit is fixed at Linux's default (kernel/sched.cpp PID_MAX).
int pid_max_show(seq_file *m, void *)
{
	seq_puts(m, "32768\n");
	return 0;
}

// console_loglevel, default_message_loglevel, minimum_console_loglevel,
// default_console_loglevel, tab-separated.
int printk_show(seq_file *m, void *)
{
	seq_printf(m, "%d\t%d\t%d\t%d\n", console_loglevel, MESSAGE_LOGLEVEL_DEFAULT, 1, 7);
	return 0;
}
// Only the first value is this kernel's to change (the others are build constants): a write
// sets console_loglevel, as `dmesg -n` does; a second and later value must be what is shown.
long printk_write(void *, const char *buf, usize len)
{
	char tmp[64];
	if (len >= sizeof(tmp))
		return EINVAL_NEG;
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	const long fixed[3] = {MESSAGE_LOGLEVEL_DEFAULT, 1, 7};
	const char *p = tmp;
	long vals[4];
	int n = 0;
	while (n < 4) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		u64 v;
		const char *end;
		if (!kstd::parse_u64(p, &end, 10, &v) || v > 15 || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
			return EINVAL_NEG;
		vals[n++] = static_cast<long>(v);
		p = end;
	}
	if (n == 0)
		return EINVAL_NEG;
	for (int i = 1; i < n; i++)
		if (vals[i] != fixed[i - 1])
			return EINVAL_NEG;
	console_loglevel = static_cast<int>(vals[0]);
	return static_cast<long>(len);
}

// Linux's chrdev_show/blkdev_show: "%3d %s" per region by major, then the (empty) block list.
// Copied out under the device table's lock, printed after it.
struct chrdev_copy {
	struct {
		u32 major;
		char name[32];
	} e[64];
	unsigned n;
};
int devices_show(seq_file *m, void *)
{
	auto *c = static_cast<chrdev_copy *>(kmalloc(sizeof(chrdev_copy), GFP_KERNEL));
	if (!c)
		return -12;
	c->n = 0;
	for_each_chrdev(
		[](void *ctx, u32 major, const char *name) {
			auto *cc = static_cast<chrdev_copy *>(ctx);
			if (cc->n == 64)
				return;
			cc->e[cc->n].major = major;
			kstd::strlcpy(cc->e[cc->n].name, name, sizeof(cc->e[0].name));
			cc->n++;
		},
		c);
	// By major, registration order within one (a stable insertion sort).
	for (unsigned i = 1; i < c->n; i++)
		for (unsigned j = i; j > 0 && c->e[j].major < c->e[j - 1].major; j--) {
			auto t = c->e[j];
			c->e[j] = c->e[j - 1];
			c->e[j - 1] = t;
		}
	seq_puts(m, "Character devices:\n");
	for (unsigned i = 0; i < c->n; i++)
		seq_printf(m, "%3u %s\n", c->e[i].major, c->e[i].name);
	seq_puts(m, "\nBlock devices:\n");
	kfree(c);
	return 0;
}

int filesystems_show(seq_file *m, void *)
{
	for (file_system_type *t = filesystems_list(); t; t = t->next)
		seq_printf(m, "%s\t%s\n", (t->fs_flags & FS_REQUIRES_DEV) ? "" : "nodev", t->name);
	return 0;
}

// Linux's sysrq_sysctl_handler (kernel/sysctl.c): reads show sysrq_mask() (1 with
// sysrq_always_enabled), writes set the bitmask; any non-negative int.
int sysrq_show(seq_file *m, void *)
{
	seq_printf(m, "%d\n", sysrq_mask());
	return 0;
}
long sysrq_write(void *, const char *buf, usize len)
{
	auto v = parse_sysctl_int(buf, len, 0, 0x7fffffff);
	if (v.is_error())
		return v.error().neg();
	sysrq_toggle_support(static_cast<int>(v.value()));
	return static_cast<long>(len);
}

} // namespace

void utsname_nodename(char buf[65])
{
	SpinLockGuard g(uts_lock);
	memcpy(buf, nodename, 65);
}

// Linux's /proc root files, in the order of its readdir for the ones this kernel has.
const proc_entry proc_root_entries[] = {
	{"buddyinfo", S_IFREG | 0444, buddyinfo_show, nullptr},
	{"cmdline", S_IFREG | 0444, cmdline_show, nullptr},
	{"cpuinfo", S_IFREG | 0444, cpuinfo_show, nullptr},
	{"devices", S_IFREG | 0444, devices_show, nullptr},
	{"filesystems", S_IFREG | 0444, filesystems_show, nullptr},
	{"interrupts", S_IFREG | 0444, interrupts_show, nullptr},
	{"iomem", S_IFREG | 0444, iomem_show, nullptr},
	{"loadavg", S_IFREG | 0444, loadavg_show, nullptr},
	{"meminfo", S_IFREG | 0444, meminfo_show, nullptr},
	{"mounts", S_IFLNK | 0777, nullptr, nullptr}, // -> self/mounts
	{"pagetypeinfo", S_IFREG | 0400, pagetypeinfo_show, nullptr},
	{"self", S_IFLNK | 0777, nullptr, nullptr},
	{"slabinfo", S_IFREG | 0400, slabinfo_show_entry, nullptr},
	{"stat", S_IFREG | 0444, stat_show, nullptr},
	{"sysrq-trigger", S_IFREG | 0200, nullptr, sysrq_trigger_write},
	{"uptime", S_IFREG | 0444, uptime_show, nullptr},
	{"version", S_IFREG | 0444, version_show, nullptr},
	{"vmallocinfo", S_IFREG | 0400, vmallocinfo_show, nullptr},
	{"vmstat", S_IFREG | 0444, vmstat_show, nullptr},
	{"zoneinfo", S_IFREG | 0444, zoneinfo_show, nullptr},
	{"sys/kernel/hostname", S_IFREG | 0644, hostname_show, hostname_write},
	{"sys/kernel/pid_max", S_IFREG | 0444, pid_max_show, nullptr},
	{"sys/kernel/printk", S_IFREG | 0644, printk_show, printk_write},
	{"sys/kernel/sysrq", S_IFREG | 0644, sysrq_show, sysrq_write},
	{"sys/vm/drop_caches", S_IFREG | 0200, nullptr, drop_caches_write},
	{"sys/vm/min_free_kbytes", S_IFREG | 0644, min_free_kbytes_show, min_free_kbytes_write},
	{"sys/vm/overcommit_memory", S_IFREG | 0444, overcommit_show, nullptr},
};
const unsigned nr_proc_root_entries = sizeof(proc_root_entries) / sizeof(proc_root_entries[0]);

const proc_entry *proc_find_root_entry(const char *path)
{
	for (const proc_entry &e : proc_root_entries)
		if (strcmp(e.name, path) == 0)
			return &e;
	return nullptr;
}
