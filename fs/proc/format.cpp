// /proc text formats of snapshots: see fs/proc/format.h. Each function follows the Linux 6.1
// function named above it, primitive by primitive, so widths and separators are Linux's.
#include "fs/proc/format.h"

#include "kstd/string.h"

// fs/proc/uptime.c uptime_proc_show: seconds with two decimals; idle summed over CPUs.
void show_uptime(seq_file *m, u64 uptime_ns, u64 idle_ns)
{
	constexpr u64 NSEC_PER_SEC = 1000000000ull;
	seq_printf(m, "%lu.%02lu %lu.%02lu\n", static_cast<unsigned long>(uptime_ns / NSEC_PER_SEC),
		   static_cast<unsigned long>(uptime_ns % NSEC_PER_SEC / (NSEC_PER_SEC / 100)),
		   static_cast<unsigned long>(idle_ns / NSEC_PER_SEC),
		   static_cast<unsigned long>(idle_ns % NSEC_PER_SEC / (NSEC_PER_SEC / 100)));
}

// fs/proc/loadavg.c loadavg_proc_show (LOAD_INT/LOAD_FRAC with the FIXED_1/200 rounding).
void show_loadavg(seq_file *m, const unsigned long avenrun[3], unsigned nr_running, unsigned nr_threads, int last_pid)
{
	unsigned long a[3];
	for (int i = 0; i < 3; i++)
		a[i] = avenrun[i] + (FIXED_1 / 200);
	auto li = [](unsigned long x) { return x >> FSHIFT; };
	auto lf = [](unsigned long x) { return ((x & (FIXED_1 - 1)) * 100) >> FSHIFT; };
	seq_printf(m, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%d %d\n", li(a[0]), lf(a[0]), li(a[1]), lf(a[1]), li(a[2]),
		   lf(a[2]), nr_running, static_cast<int>(nr_threads), last_pid);
}

// fs/proc/stat.c show_stat.
void show_stat(seq_file *m, const proc_stat_snapshot &s)
{
	kernel_cpustat sum{};
	for (unsigned i = 0; i < s.nr_cpus; i++)
		for (int j = 0; j < NR_STATS; j++)
			sum.cpustat[j] += s.cpu[i].cpustat[j];
	auto times = [m](const kernel_cpustat &c) {
		static constexpr cpu_usage_stat order[] = {CPUTIME_USER,    CPUTIME_NICE,  CPUTIME_SYSTEM,
							   CPUTIME_IDLE,    CPUTIME_IOWAIT, CPUTIME_IRQ,
							   CPUTIME_SOFTIRQ, CPUTIME_STEAL, CPUTIME_GUEST,
							   CPUTIME_GUEST_NICE};
		for (cpu_usage_stat k : order)
			seq_put_decimal_ull(m, " ", nsec_to_clock_t(c.cpustat[k]));
		seq_putc(m, '\n');
	};
	seq_puts(m, "cpu ");
	times(sum);
	for (unsigned i = 0; i < s.nr_cpus; i++) {
		seq_printf(m, "cpu%u", s.cpu_ids[i]);
		times(s.cpu[i]);
	}
	u64 intr = 0;
	for (unsigned i = 0; i < s.nr_irqs; i++)
		intr += s.irqs[i];
	seq_put_decimal_ull(m, "intr ", intr);
	for (unsigned i = 0; i < s.nr_irqs; i++)
		seq_put_decimal_ull(m, " ", s.irqs[i]);
	seq_printf(m, "\nctxt %llu\nbtime %llu\nprocesses %llu\nprocs_running %u\nprocs_blocked %u\n",
		   static_cast<unsigned long long>(s.ctxt), static_cast<unsigned long long>(s.btime),
		   static_cast<unsigned long long>(s.processes), s.procs_running, s.procs_blocked);
	u64 soft = 0;
	for (u64 v : s.softirq)
		soft += v;
	seq_put_decimal_ull(m, "softirq ", soft);
	for (u64 v : s.softirq)
		seq_put_decimal_ull(m, " ", v);
	seq_putc(m, '\n');
}

// --- per process ------------------------------------------------------------------------------------------

namespace {

// Linux's task_prio for a CFS task: prio - MAX_RT_PRIO = 20 + nice.
int task_prio(const proc_task_snapshot &t) { return 20 + t.nice; }

// Linux's get_task_state strings (task_state_array).
const char *state_name(char c)
{
	switch (c) {
	case 'R': return "R (running)";
	case 'S': return "S (sleeping)";
	case 'D': return "D (disk sleep)";
	case 'T': return "T (stopped)";
	case 't': return "t (tracing stop)";
	case 'X': return "X (dead)";
	case 'Z': return "Z (zombie)";
	case 'P': return "P (parked)";
	case 'I': return "I (idle)";
	}
	return "R (running)";
}

// Linux's bitmap_print_to_pagebuf(false): 32-bit hex chunks, most significant first, comma
// separated; the first chunk has only the digits nr_bits needs.
void put_bitmap(seq_file *m, unsigned long bits, unsigned nr_bits)
{
	if (nr_bits == 0)
		nr_bits = 1;
	int chunks = static_cast<int>((nr_bits + 31) / 32);
	for (int c = chunks - 1; c >= 0; c--) {
		unsigned width = 8;
		if (c == chunks - 1) {
			unsigned rem = nr_bits - static_cast<unsigned>(c) * 32;
			width = (rem + 3) / 4;
		}
		u32 v = c < 2 ? static_cast<u32>(bits >> (32 * c)) : 0;
		if (width < 8)
			v &= (1u << (width * 4)) - 1;
		seq_printf(m, "%s%0*x", c == chunks - 1 ? "" : ",", static_cast<int>(width), v);
	}
}

// Linux's bitmap_print_to_pagebuf(true): ranges "0-3,5".
void put_bitmap_list(seq_file *m, unsigned long bits, unsigned nr_bits)
{
	bool first = true;
	for (unsigned i = 0; i < nr_bits && i < 64; i++) {
		if (!(bits >> i & 1))
			continue;
		unsigned j = i;
		while (j + 1 < nr_bits && j + 1 < 64 && (bits >> (j + 1) & 1))
			j++;
		if (!first)
			seq_putc(m, ',');
		if (j == i)
			seq_printf(m, "%u", i);
		else
			seq_printf(m, "%u-%u", i, j);
		first = false;
		i = j;
	}
}

void seq_put_kb(seq_file *m, const char *name, unsigned long kb)
{
	seq_puts(m, name);
	seq_put_decimal_ull_width(m, nullptr, kb, 8);
	seq_write(m, " kB\n", 4);
}

unsigned long text_bytes(const proc_task_snapshot &t)
{
	constexpr unsigned long PAGE_MASK = ~4095ul;
	unsigned long text = ((t.end_code + 4095) & PAGE_MASK) - (t.start_code & PAGE_MASK);
	unsigned long exec = t.exec_vm << 12;
	return text < exec ? text : exec;
}

} // namespace

// fs/proc/array.c do_task_stat (whole = false: the task's own counters). Code and stack
// addresses are printed as to a permitted reader (every task here is root's); esp/eip are 0
// as Linux prints them for a task that is not dumping core.
void show_pid_stat(seq_file *m, const proc_task_snapshot &t)
{
	seq_put_decimal_ull(m, "", static_cast<unsigned long long>(t.pid));
	seq_puts(m, " (");
	seq_puts(m, t.comm);
	seq_puts(m, ") ");
	seq_putc(m, t.state);
	seq_put_decimal_ll(m, " ", t.ppid);
	seq_put_decimal_ll(m, " ", t.pgrp);
	seq_put_decimal_ll(m, " ", t.session);
	seq_put_decimal_ll(m, " ", t.tty_nr);
	seq_put_decimal_ll(m, " ", t.tpgid);
	seq_put_decimal_ull(m, " ", t.flags);
	seq_put_decimal_ull(m, " ", t.min_flt);
	seq_put_decimal_ull(m, " ", t.cmin_flt);
	seq_put_decimal_ull(m, " ", t.maj_flt);
	seq_put_decimal_ull(m, " ", t.cmaj_flt);
	seq_put_decimal_ull(m, " ", nsec_to_clock_t(t.utime_ns));
	seq_put_decimal_ull(m, " ", nsec_to_clock_t(t.stime_ns));
	seq_put_decimal_ll(m, " ", static_cast<long long>(nsec_to_clock_t(t.cutime_ns)));
	seq_put_decimal_ll(m, " ", static_cast<long long>(nsec_to_clock_t(t.cstime_ns)));
	seq_put_decimal_ll(m, " ", task_prio(t));
	seq_put_decimal_ll(m, " ", t.nice);
	seq_put_decimal_ll(m, " ", t.num_threads);
	seq_put_decimal_ull(m, " ", 0); // itrealvalue, always 0 since 2.6.17
	seq_put_decimal_ull(m, " ", nsec_to_clock_t(t.start_time_ns));
	seq_put_decimal_ull(m, " ", t.has_mm ? t.total_vm << 12 : 0);
	seq_put_decimal_ull(m, " ", t.has_mm ? t.rss_anon + t.rss_file + t.rss_shmem : 0);
	seq_put_decimal_ull(m, " ", ~0ull); // RLIMIT_RSS: RLIM_INFINITY
	seq_put_decimal_ull(m, " ", t.has_mm ? t.start_code : 0);
	seq_put_decimal_ull(m, " ", t.has_mm ? t.end_code : 0);
	seq_put_decimal_ull(m, " ", t.has_mm ? t.start_stack : 0);
	seq_put_decimal_ull(m, " ", 0); // esp
	seq_put_decimal_ull(m, " ", 0); // eip
	// The obsolete signal fields: the first word, without bit 31 (use status).
	seq_put_decimal_ull(m, " ", t.sig_pending & 0x7fffffffUL);
	seq_put_decimal_ull(m, " ", t.sig_blocked & 0x7fffffffUL);
	seq_put_decimal_ull(m, " ", t.sig_ignored & 0x7fffffffUL);
	seq_put_decimal_ull(m, " ", t.sig_caught & 0x7fffffffUL);
	seq_puts(m, t.wchan ? " 1" : " 0"); // Linux 6.1 prints whether it is known, not the address
	seq_put_decimal_ull(m, " ", 0);
	seq_put_decimal_ull(m, " ", 0);
	seq_put_decimal_ll(m, " ", t.exit_signal);
	seq_put_decimal_ll(m, " ", t.cpu);
	seq_put_decimal_ull(m, " ", 0); // rt_priority
	seq_put_decimal_ull(m, " ", 0); // policy: SCHED_NORMAL
	seq_put_decimal_ull(m, " ", 0); // delayacct_blkio_ticks
	seq_put_decimal_ull(m, " ", 0); // guest time
	seq_put_decimal_ll(m, " ", 0);  // children's guest time
	if (t.has_mm) {
		seq_put_decimal_ull(m, " ", t.start_data);
		seq_put_decimal_ull(m, " ", t.end_data);
		seq_put_decimal_ull(m, " ", t.start_brk);
		seq_put_decimal_ull(m, " ", t.arg_start);
		seq_put_decimal_ull(m, " ", t.arg_end);
		seq_put_decimal_ull(m, " ", t.env_start);
		seq_put_decimal_ull(m, " ", t.env_end);
	} else {
		seq_puts(m, " 0 0 0 0 0 0 0");
	}
	seq_put_decimal_ll(m, " ", t.exit_code);
	seq_putc(m, '\n');
}

// fs/proc/array.c proc_pid_status: task_state, task_mem (mm only), task_core_dumping and
// task_thp_status (mm only), task_sig, task_cap, task_seccomp, task_cpus_allowed,
// cpuset_task_status_allowed, task_context_switch_counts.
void show_pid_status(seq_file *m, const proc_task_snapshot &t)
{
	seq_puts(m, "Name:\t");
	// Linux escapes the name (seq_escape_str with ESCAPE_SPACE | ESCAPE_SPECIAL, "\n\\").
	for (const char *p = t.comm; *p; p++) {
		switch (*p) {
		case '\n': seq_puts(m, "\\n"); break;
		case '\t': seq_puts(m, "\\t"); break;
		case '\\': seq_puts(m, "\\\\"); break;
		default: seq_putc(m, *p);
		}
	}
	seq_printf(m, "\nUmask:\t%#04o", t.umask);
	seq_printf(m, "\nState:\t%s", state_name(t.state));
	seq_put_decimal_ull(m, "\nTgid:\t", static_cast<unsigned long long>(t.tgid));
	seq_put_decimal_ull(m, "\nNgid:\t", 0);
	seq_put_decimal_ull(m, "\nPid:\t", static_cast<unsigned long long>(t.pid));
	seq_put_decimal_ull(m, "\nPPid:\t", static_cast<unsigned long long>(t.ppid));
	seq_put_decimal_ull(m, "\nTracerPid:\t", 0);
	seq_puts(m, "\nUid:\t0\t0\t0\t0");
	seq_puts(m, "\nGid:\t0\t0\t0\t0");
	seq_put_decimal_ull(m, "\nFDSize:\t", static_cast<unsigned long long>(t.fdsize));
	seq_puts(m, "\nGroups:\t");
	seq_putc(m, ' ');
	seq_puts(m, "\nNStgid:");
	seq_put_decimal_ull(m, "\t", static_cast<unsigned long long>(t.tgid));
	seq_puts(m, "\nNSpid:");
	seq_put_decimal_ull(m, "\t", static_cast<unsigned long long>(t.pid));
	seq_puts(m, "\nNSpgid:");
	seq_put_decimal_ull(m, "\t", static_cast<unsigned long long>(t.pgrp));
	seq_puts(m, "\nNSsid:");
	seq_put_decimal_ull(m, "\t", static_cast<unsigned long long>(t.session));
	seq_putc(m, '\n');
	if (t.has_mm) {
		// task_mem: the peaks are at least the current values.
		unsigned long rss = t.rss_anon + t.rss_file + t.rss_shmem;
		unsigned long hiwater_vm = t.hiwater_vm > t.total_vm ? t.hiwater_vm : t.total_vm;
		unsigned long hiwater_rss = t.hiwater_rss > rss ? t.hiwater_rss : rss;
		unsigned long text = text_bytes(t);
		unsigned long lib = (t.exec_vm << 12) - text;
		seq_put_kb(m, "VmPeak:\t", hiwater_vm << 2);
		seq_put_kb(m, "VmSize:\t", t.total_vm << 2);
		seq_put_kb(m, "VmLck:\t", t.locked_vm << 2);
		seq_put_kb(m, "VmPin:\t", t.pinned_vm << 2);
		seq_put_kb(m, "VmHWM:\t", hiwater_rss << 2);
		seq_put_kb(m, "VmRSS:\t", rss << 2);
		seq_put_kb(m, "RssAnon:\t", t.rss_anon << 2);
		seq_put_kb(m, "RssFile:\t", t.rss_file << 2);
		seq_put_kb(m, "RssShmem:\t", t.rss_shmem << 2);
		seq_put_kb(m, "VmData:\t", t.data_vm << 2);
		seq_put_kb(m, "VmStk:\t", t.stack_vm << 2);
		seq_put_decimal_ull_width(m, "VmExe:\t", text >> 10, 8);
		seq_write(m, " kB\n", 4);
		seq_put_decimal_ull_width(m, "VmLib:\t", lib >> 10, 8);
		seq_write(m, " kB\n", 4);
		seq_put_decimal_ull_width(m, "VmPTE:\t", t.pgtables_bytes >> 10, 8);
		seq_write(m, " kB\n", 4);
		seq_put_kb(m, "VmSwap:\t", 0);
		seq_printf(m, "HugetlbPages:\t%8lu kB\n", 0ul);
		seq_puts(m, "CoreDumping:\t0\n");
		seq_puts(m, "THP_enabled:\t1\n");
	}
	seq_put_decimal_ull(m, "Threads:\t", static_cast<unsigned long long>(t.num_threads));
	seq_put_decimal_ull(m, "\nSigQ:\t", t.sigq_queued);
	seq_put_decimal_ull(m, "/", t.sigq_limit);
	seq_printf(m, "\nSigPnd:\t%016llx", static_cast<unsigned long long>(t.sig_pending));
	seq_printf(m, "\nShdPnd:\t%016llx", static_cast<unsigned long long>(t.sig_shared_pending));
	seq_printf(m, "\nSigBlk:\t%016llx", static_cast<unsigned long long>(t.sig_blocked));
	seq_printf(m, "\nSigIgn:\t%016llx", static_cast<unsigned long long>(t.sig_ignored));
	seq_printf(m, "\nSigCgt:\t%016llx\n", static_cast<unsigned long long>(t.sig_caught));
	// task_cap: every task is root with the full set (CAP_LAST_CAP 40).
	seq_puts(m, "CapInh:\t0000000000000000\n"
		    "CapPrm:\t000001ffffffffff\n"
		    "CapEff:\t000001ffffffffff\n"
		    "CapBnd:\t000001ffffffffff\n"
		    "CapAmb:\t0000000000000000\n");
	seq_put_decimal_ull(m, "NoNewPrivs:\t", t.no_new_privs ? 1 : 0);
	seq_put_decimal_ull(m, "\nSeccomp:\t", 0);
	seq_put_decimal_ull(m, "\nSeccomp_filters:\t", 0);
	// What Linux reports for a Cortex-A72 (no SSBS, no firmware mitigation call).
	seq_puts(m, "\nSpeculation_Store_Bypass:\tvulnerable");
	seq_puts(m, "\nSpeculationIndirectBranch:\tunknown");
	seq_puts(m, "\nCpus_allowed:\t");
	put_bitmap(m, t.cpus_allowed, t.nr_cpu_ids);
	seq_puts(m, "\nCpus_allowed_list:\t");
	put_bitmap_list(m, t.cpus_allowed, t.nr_cpu_ids);
	seq_putc(m, '\n');
	// One memory node, printed over MAX_NUMNODES bits as Linux does (16 for Debian's arm64
	// NODES_SHIFT 4: four hex digits).
	seq_puts(m, "Mems_allowed:\t0001\nMems_allowed_list:\t0\n");
	seq_put_decimal_ull(m, "voluntary_ctxt_switches:\t", t.nvcsw);
	seq_put_decimal_ull(m, "\nnonvoluntary_ctxt_switches:\t", t.nivcsw);
	seq_putc(m, '\n');
}

// fs/proc/array.c proc_pid_statm (task_statm): size resident shared text lib(0) data dt(0).
void show_pid_statm(seq_file *m, const proc_task_snapshot &t)
{
	if (!t.has_mm) {
		seq_puts(m, "0 0 0 0 0 0 0\n");
		return;
	}
	constexpr unsigned long PAGE_MASK = ~4095ul;
	unsigned long text = (((t.end_code + 4095) & PAGE_MASK) - (t.start_code & PAGE_MASK)) >> 12;
	seq_put_decimal_ull(m, "", t.total_vm);
	seq_put_decimal_ull(m, " ", t.rss_anon + t.rss_file + t.rss_shmem);
	seq_put_decimal_ull(m, " ", t.rss_file + t.rss_shmem);
	seq_put_decimal_ull(m, " ", text);
	seq_put_decimal_ull(m, " ", 0);
	seq_put_decimal_ull(m, " ", t.data_vm + t.stack_vm);
	seq_puts(m, " 0\n");
}

// --- maps, smaps ----------------------------------------------------------------------------------------------
namespace {
constexpr unsigned long F_READ = 0x1, F_WRITE = 0x2, F_EXEC = 0x4, F_MAYSHARE = 0x80;
} // namespace

// fs/proc/task_mmu.c show_vma_header_prefix + show_map_vma.
void show_map_vma(seq_file *m, const proc_vma_info &v)
{
	seq_setwidth(m, 25 + sizeof(void *) * 6 - 1);
	seq_put_hex_ll(m, nullptr, v.start, 8);
	seq_put_hex_ll(m, "-", v.end, 8);
	seq_putc(m, ' ');
	seq_putc(m, v.vm_flags & F_READ ? 'r' : '-');
	seq_putc(m, v.vm_flags & F_WRITE ? 'w' : '-');
	seq_putc(m, v.vm_flags & F_EXEC ? 'x' : '-');
	seq_putc(m, v.vm_flags & F_MAYSHARE ? 's' : 'p');
	seq_put_hex_ll(m, " ", v.pgoff_bytes, 8);
	seq_put_hex_ll(m, " ", v.dev_major, 2);
	seq_put_hex_ll(m, ":", v.dev_minor, 2);
	seq_put_decimal_ull(m, " ", v.ino);
	seq_putc(m, ' ');
	if (v.name) {
		seq_pad(m, ' ');
		seq_puts(m, v.name);
	}
	seq_putc(m, '\n');
}

// fs/proc/task_mmu.c show_smap_vma_flags: a mnemonic per set bit, in bit order.
void show_smap_vma_flags(seq_file *m, unsigned long vm_flags)
{
	static const char mnemonics[64][3] = {
		"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "", "uw", "lo", "io", "sr",
		"rr", "dc", "de", "", "ac", "nr", "ht", "sf", "bt", "wf", "dd", "", "mm", "hg", "nh", "mg",
		"mt", "",
	};
	seq_puts(m, "VmFlags: ");
	for (unsigned i = 0; i < 64; i++) {
		if ((vm_flags >> i & 1) && mnemonics[i][0]) {
			seq_putc(m, mnemonics[i][0]);
			seq_putc(m, mnemonics[i][1]);
			seq_putc(m, ' ');
		}
	}
	seq_putc(m, '\n');
}

namespace {
void smap_kb(seq_file *m, const char *name, unsigned long bytes)
{
	seq_puts(m, name);
	seq_put_decimal_ull_width(m, nullptr, bytes >> 10, 8);
	seq_write(m, " kB\n", 4);
}
} // namespace

// fs/proc/task_mmu.c __show_smap (SEQ_PUT_DEC with the names padded as Linux's strings).
void show_smap_stats(seq_file *m, const mem_size_stats &mss, bool rollup)
{
	smap_kb(m, "Rss:            ", mss.resident);
	smap_kb(m, "Pss:            ", static_cast<unsigned long>(mss.pss >> PSS_SHIFT));
	smap_kb(m, "Pss_Dirty:      ", static_cast<unsigned long>(mss.pss_dirty >> PSS_SHIFT));
	if (rollup) {
		// These lines are only in smaps_rollup: in smaps they would be one of Pss.
		smap_kb(m, "Pss_Anon:       ", static_cast<unsigned long>(mss.pss_anon >> PSS_SHIFT));
		smap_kb(m, "Pss_File:       ", static_cast<unsigned long>(mss.pss_file >> PSS_SHIFT));
		smap_kb(m, "Pss_Shmem:      ", static_cast<unsigned long>(mss.pss_shmem >> PSS_SHIFT));
	}
	smap_kb(m, "Shared_Clean:   ", mss.shared_clean);
	smap_kb(m, "Shared_Dirty:   ", mss.shared_dirty);
	smap_kb(m, "Private_Clean:  ", mss.private_clean);
	smap_kb(m, "Private_Dirty:  ", mss.private_dirty);
	smap_kb(m, "Referenced:     ", mss.referenced);
	smap_kb(m, "Anonymous:      ", mss.anonymous);
	smap_kb(m, "LazyFree:       ", mss.lazyfree);
	smap_kb(m, "AnonHugePages:  ", mss.anonymous_thp);
	smap_kb(m, "ShmemPmdMapped: ", mss.shmem_thp);
	smap_kb(m, "FilePmdMapped:  ", mss.file_thp);
	seq_printf(m, "Shared_Hugetlb: %8lu kB\n", mss.shared_hugetlb >> 10);
	seq_printf(m, "Private_Hugetlb: %7lu kB\n", mss.private_hugetlb >> 10);
	smap_kb(m, "Swap:           ", mss.swap);
	smap_kb(m, "SwapPss:        ", static_cast<unsigned long>(mss.swap_pss >> PSS_SHIFT));
	smap_kb(m, "Locked:         ", static_cast<unsigned long>(mss.pss_locked >> PSS_SHIFT));
}

// fs/proc/task_mmu.c show_smap.
void show_smap(seq_file *m, const proc_vma_info &v, const mem_size_stats &mss)
{
	show_map_vma(m, v);
	smap_kb(m, "Size:           ", v.end - v.start);
	smap_kb(m, "KernelPageSize: ", 4096);
	smap_kb(m, "MMUPageSize:    ", 4096);
	show_smap_stats(m, mss, false);
	// THP is never used for these mappings.
	seq_printf(m, "THPeligible:    %d\n", 0);
	show_smap_vma_flags(m, v.vm_flags);
}

// fs/proc/task_mmu.c show_smaps_rollup: the header of a VMA named [rollup] with no
// permissions spanning the first to the last VMA.
void show_smaps_rollup(seq_file *m, unsigned long start, unsigned long end, const mem_size_stats &mss)
{
	proc_vma_info v{};
	v.start = start;
	v.end = end;
	v.name = "[rollup]";
	show_map_vma(m, v);
	show_smap_stats(m, mss, true);
}
