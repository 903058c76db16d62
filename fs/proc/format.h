// The /proc text formats that are pure formatting of a snapshot (Linux 6.1's fs/proc/array.c,
// task_mmu.c, stat.c, uptime.c, loadavg.c): the kernel side (fs/proc/base.cpp, proc_misc.cpp)
// fills the snapshot from the live tasks and address spaces, these functions print it. They
// include nothing from the kernel, so the host suite runs them against recorded Linux output.
#pragma once

#include "kstd/types.h"
#include "lib/seq_file.h"

// USER_HZ: /proc's clock ticks (Linux's nsec_to_clock_t with USER_HZ 100).
inline constexpr u64 USER_HZ = 100;
constexpr u64 nsec_to_clock_t(u64 ns) { return ns / (1000000000ull / USER_HZ); }

// --- /proc/uptime, /proc/loadavg --------------------------------------------------------------------
void show_uptime(seq_file *m, u64 uptime_ns, u64 idle_ns);
// Linux's fixed-point load averages (FSHIFT 11).
inline constexpr unsigned FSHIFT = 11;
inline constexpr unsigned long FIXED_1 = 1ul << FSHIFT;
inline constexpr unsigned long EXP_1 = 1884, EXP_5 = 2014, EXP_15 = 2037;
// Linux's calc_load: one step of the exponential average; active is tasks << FSHIFT.
constexpr unsigned long calc_load(unsigned long load, unsigned long exp, unsigned long active)
{
	unsigned long newload = load * exp + active * (FIXED_1 - exp);
	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}
void show_loadavg(seq_file *m, const unsigned long avenrun[3], unsigned nr_running, unsigned nr_threads, int last_pid);

// --- /proc/stat -----------------------------------------------------------------------------------------
enum cpu_usage_stat { CPUTIME_USER, CPUTIME_NICE, CPUTIME_SYSTEM, CPUTIME_SOFTIRQ, CPUTIME_IRQ, CPUTIME_IDLE,
		      CPUTIME_IOWAIT, CPUTIME_STEAL, CPUTIME_GUEST, CPUTIME_GUEST_NICE, NR_STATS };
struct kernel_cpustat {
	u64 cpustat[NR_STATS]; // ns
};
inline constexpr unsigned NR_SOFTIRQS = 10;
struct proc_stat_snapshot {
	unsigned nr_cpus;             // entries in cpu[] (online CPUs, in order)
	const unsigned *cpu_ids;      // their numbers
	const kernel_cpustat *cpu;    // their times
	const u64 *irqs;              // per-irq totals, irqs[0..nr_irqs)
	unsigned nr_irqs;
	u64 ctxt, btime, processes;
	unsigned procs_running, procs_blocked;
	u64 softirq[NR_SOFTIRQS];
};
void show_stat(seq_file *m, const proc_stat_snapshot &s);

// --- per process -------------------------------------------------------------------------------------------
// What /proc/<pid>/stat, status and statm print, read from the task and its mm at one time.
struct proc_task_snapshot {
	int pid, tgid, ppid, pgrp, session, tty_nr, tpgid;
	char comm[16];
	char state;           // task_state_char: R S D Z X I T
	bool wchan;           // asleep somewhere (Linux's get_wchan found a caller)
	unsigned flags;       // PF_*
	unsigned long min_flt, cmin_flt, maj_flt, cmaj_flt;
	u64 utime_ns, stime_ns, cutime_ns, cstime_ns;
	int nice;
	int num_threads;
	u64 start_time_ns;    // since boot
	int exit_signal;
	unsigned cpu;
	int exit_code;
	unsigned umask;
	u64 sig_pending, sig_shared_pending, sig_blocked, sig_ignored, sig_caught; // bit n-1: signal n
	unsigned long sigq_queued, sigq_limit;
	unsigned long cpus_allowed; // bit n: CPU n
	unsigned nr_cpu_ids;        // bits of the masks Linux prints
	unsigned long nvcsw, nivcsw;
	int fdsize;
	bool no_new_privs;
	// The address space (has_mm false for kernel threads: the Vm lines are left out).
	bool has_mm;
	unsigned long total_vm, hiwater_vm, locked_vm, pinned_vm; // pages
	unsigned long rss_anon, rss_file, rss_shmem, hiwater_rss;   // pages
	unsigned long data_vm, exec_vm, stack_vm;                   // pages (Linux's vm_stat_account)
	unsigned long pgtables_bytes;
	unsigned long start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	unsigned long arg_start, arg_end, env_start, env_end;
};
void show_pid_stat(seq_file *m, const proc_task_snapshot &t);
void show_pid_status(seq_file *m, const proc_task_snapshot &t);
void show_pid_statm(seq_file *m, const proc_task_snapshot &t);

// --- maps, smaps --------------------------------------------------------------------------------------------
struct proc_vma_info {
	unsigned long start, end;
	unsigned long vm_flags; // VM_* (mm/mm_struct.h values)
	unsigned long long pgoff_bytes;
	u32 dev_major, dev_minor;
	u64 ino;
	const char *name; // path, [heap], [stack], [vdso], or nullptr
};
// One maps line (Linux's show_map_vma).
void show_map_vma(seq_file *m, const proc_vma_info &v);
// smaps' per-VMA (or rollup) memory figures, in bytes (pss: bytes << PSS_SHIFT as Linux's).
inline constexpr unsigned PSS_SHIFT = 12;
struct mem_size_stats {
	unsigned long resident, shared_clean, shared_dirty, private_clean, private_dirty, referenced, anonymous,
		lazyfree, anonymous_thp, shmem_thp, file_thp, swap, shared_hugetlb, private_hugetlb;
	u64 pss, pss_anon, pss_file, pss_shmem, pss_dirty, pss_locked, swap_pss;
};
// The block after an smaps header line; rollup leaves out the per-VMA size lines and adds
// the Pss_Anon/File/Shmem lines (Linux's __show_smap with rollup).
void show_smap_stats(seq_file *m, const mem_size_stats &mss, bool rollup);
// Per VMA: header, Size/KernelPageSize/MMUPageSize, stats, THPeligible, VmFlags.
void show_smap(seq_file *m, const proc_vma_info &v, const mem_size_stats &mss);
// The rollup header covers [first start, last end).
void show_smaps_rollup(seq_file *m, unsigned long start, unsigned long end, const mem_size_stats &mss);
// "VmFlags: rd wr ...\n" (Linux's show_smap_vma_flags).
void show_smap_vma_flags(seq_file *m, unsigned long vm_flags);
