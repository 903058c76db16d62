// The OOM killer's task side (Linux's mm/oom_kill.c outside the arithmetic, which is mm/oom.h).
//
// When the page allocator has run out for a request that may sleep and may OOM (mm/oom.h
// says which), it calls out_of_memory(): the victim is the process with the highest
// oom_badness among those with an address space (kernel threads, oom_score_adj -1000 and, while
// any other is eligible, PID 1 are never chosen), the report is Linux 6.1's (the
// "invoked oom-killer" line, a stack dump, Mem-Info, the task table, the oom-kill summary and
// "Out of memory: Killed process ..."), and the victim gets SIGKILL and the OOM reserves.
// While a victim still holds its memory nobody else is killed: an allocator that runs out again
// sleeps until the victim has exited or was reaped, then retries.
//
// The oom_reaper kernel thread watches every victim: one that has not exited after
// OOM_REAPER_DELAY (2 s, Linux's) has the pages of its private mappings unmapped, provided
// every task using its mm is blocked (asleep, off every CPU, not inside the allocator), which
// is what this kernel has instead of mmap_read_trylock: nothing else can touch the page tables
// then. It retries 10 times, HZ/10 apart, as Linux's; then it gives up with Linux's
// "oom_reaper: unable to reap" line. Either way the victim no longer stops the next OOM kill.
//
// oom_score_adj: the `oom_score_adj PID [VAL]` console command and oom_set_score_adj() (Linux's
// /proc/PID/oom_score_adj: there is no /proc). It is per process (signal_struct).
#pragma once

#include "kernel/sched.h"

// Starts the oom_reaper thread and registers the allocator hooks (mm/oom.h). Once, from PID 1
// before anything that may run out of memory.
void oom_init();

// From exit_mm, after the task let go of its mm (Linux's exit_oom_victim there): when t's
// process is an OOM victim and no thread of it has the mm any more, it no longer holds memory,
// so allocators waiting for it retry and the next OOM may choose another process; the
// oom_reaper forgets t. Takes tasklist_lock.
void exit_oom_victim(task_struct *t);

// Linux's pagefault_out_of_memory, for a user fault that ended in VM_FAULT_OOM: true when the
// task has a fatal signal pending (the OOM killer chose it, or something else is killing it)
// and only has to return to user mode to die. false: the allocation failed without a kill
// (Linux retries the fault here; this kernel's caller ends the task instead of faulting
// forever, see arch/arm64/mm/fault.cpp).
bool pagefault_out_of_memory();

// Sets the oom_score_adj of the process with this pid (OOM_SCORE_ADJ_MIN..MAX): 0, -ESRCH,
// -EINVAL (Linux's /proc/PID/oom_score_adj write).
int oom_set_score_adj(int pid, int adj);
// /proc/PID/oom_score (Linux 6.1's proc_oom_score): the badness the OOM killer would give the
// process, scaled to 0..2000 * 2/3; 0 for what it never chooses (kernel threads, PID 1,
// OOM_SCORE_ADJ_MIN, a process without an mm).
unsigned long oom_score_of(task_struct *p);

// Victims killed and reaped since boot (tests).
struct oom_stats {
	unsigned long kills;
	unsigned long reaped;
	unsigned long reap_failed;
	unsigned long waits; // allocations that slept for a victim
};
oom_stats oom_get_stats();
// Blocks until the reaper has nothing queued (tests: every victim dealt with).
void oom_reaper_wait_idle();
