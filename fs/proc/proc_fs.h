// /proc: the table of files and their generators (Linux's proc_create_single entries, sysctl
// tables and the pid_entry tables of fs/proc/base.c), shared by the procfs file system and the
// console commands that print the same text.
//
// Every file is one generator (a seq_show_t) run into a seq_file: the procfs read path runs it
// into a buffer (lib/seq_file.h seq_single_prepare), the console streams it to the console.
// Writable files take the whole write as one buffer (Linux's proc_dointvec and friends parse
// the same way) and return the bytes consumed or -errno.
#pragma once

// Includes nothing from the VFS: the tick and uname include it too.

#include "kstd/result.h"
#include "kstd/types.h"
#include "lib/seq_file.h"

struct task_struct;

// A file of the /proc tree: path relative to /proc ("meminfo", "sys/vm/min_free_kbytes").
// For per-process files (proc_pid_entries), show and write get the pid as their argument.
struct proc_entry {
	const char *name;
	u16 mode; // S_IFREG | permissions (S_IFLNK for self): fs/fs.h umode_t
	seq_show_t show;
	long (*write)(void *arg, const char *buf, usize len);
};

// The system-wide files, in the order readdir lists them.
extern const proc_entry proc_root_entries[];
extern const unsigned nr_proc_root_entries;
// The files of /proc/<pid>/.
extern const proc_entry proc_pid_entries[];
extern const unsigned nr_proc_pid_entries;
// The entry at path (relative to /proc, no leading slash), or nullptr.
const proc_entry *proc_find_root_entry(const char *path);
const proc_entry *proc_find_pid_entry(const char *name);

// Resolves a /proc path for the console and tests: "meminfo", "sys/kernel/pid_max",
// "1/status", "self/maps" (self: the caller's tgid). *arg gets the pid for pid entries.
// nullptr when no such file exists (or the pid does not).
const proc_entry *proc_lookup_path(const char *path, void **arg);

// The tick's cputime (Linux's account_process_tick into kernel_cpustat): charges one tick of
// the interrupted context to this CPU's user/nice/system/idle time, and every LOAD_FREQ ticks
// folds the number of running and uninterruptible tasks into the load averages (Linux's
// calc_global_load). Called from update_process_times, IRQ context.
void proc_account_tick();

// A task was linked into the task list (tasklist_lock held): Linux's total_forks++ (/proc/stat
// processes) and the last pid handed out (the last field of /proc/loadavg).
void proc_task_linked(const task_struct *t);

// Copies the node name (uname -n, /proc/sys/kernel/hostname; "(none)" until set, at most 64
// bytes) into buf, NUL-terminated.
void utsname_nodename(char buf[65]);

// Registers the "proc" file system type (fs/proc/root.cpp); vfs_init calls it, then mounts
// proc on /proc.
[[nodiscard]] Result proc_root_init();
