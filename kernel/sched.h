// Tasks and the scheduler (Linux's include/linux/sched.h, kernel/sched/core.c).
//
// A task is a kernel stack plus a task_struct: kernel threads run a function on it, user tasks
// enter EL0 from its top. `current` is the running task, kept in SP_EL0 while at EL1 as on
// Linux arm64 (one mrs, and migration-safe: the value belongs to the task, not to the CPU);
// entry.S loads it from this CPU's __entry_task on every exception from EL0.
//
// Every CPU has its own run queue (rq) with its own lock; a task is on at most one. Only CPU 0
// runs today, but nothing here assumes it: wake-ups go to the task's CPU's rq, and the idle
// task, the current task and the rq clock are per CPU.
//
// Lifetimes: a task_struct is reference counted (usage). The scheduler's reference is dropped
// once the dead task has switched away for the last time (finish_task_switch), which is also
// when its stack is freed (never by the task itself: it is still running on it). A parent that
// waits for a child, and kthread_stop, hold their own references.
//
// Preemption: a per-task preempt_count (thread_info, as arm64's THREAD_INFO_IN_TASK) counts
// preempt_disable nesting; IRQ-off sections and spinlocks taken with IRQs off do not preempt
// either. The tick and wake-ups set TIF_NEED_RESCHED; it is acted on when an IRQ returns to EL1
// code with preempt_count 0 and IRQs on, on the way back to EL0, and at preempt_enable.
#pragma once

#include <asm/processor.h>
#include <asm/ptrace.h>
#include <asm/smp.h>

#include "core/spinlock.h"
#include "kernel/sched_fair.h"
#include "kernel/wait_types.h"
#include "kstd/list.h"
#include "kstd/types.h"

struct mm_struct;

// Linux's task states (task_struct.__state) and exit states.
inline constexpr unsigned TASK_RUNNING = 0x0000;
inline constexpr unsigned TASK_INTERRUPTIBLE = 0x0001;
inline constexpr unsigned TASK_UNINTERRUPTIBLE = 0x0002;
inline constexpr unsigned TASK_DEAD = 0x0080;
inline constexpr unsigned TASK_NEW = 0x0800;
inline constexpr unsigned TASK_NORMAL = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;
inline constexpr int EXIT_ZOMBIE = 0x0020;
inline constexpr int EXIT_DEAD = 0x0010;

// task_struct.flags (Linux's PF_*).
inline constexpr unsigned PF_IDLE = 0x00000002;
inline constexpr unsigned PF_EXITING = 0x00000004;
// Forked and not yet exec'ed (setpgid's EACCES rule): fork sets it, exec clears it.
inline constexpr unsigned PF_FORKNOEXEC = 0x00000040;
inline constexpr unsigned PF_KTHREAD = 0x00200000;

// thread_info.flags bits (Linux's arm64 TIF_* numbers). ret_to_user calls exit_to_user_mode
// when any bit of _TIF_WORK_MASK is set.
inline constexpr unsigned TIF_SIGPENDING = 0;
inline constexpr unsigned TIF_NEED_RESCHED = 1;
inline constexpr unsigned TIF_NOTIFY_RESUME = 2;
inline constexpr unsigned long _TIF_WORK_MASK = (1ul << TIF_SIGPENDING) | (1ul << TIF_NEED_RESCHED) |
						(1ul << TIF_NOTIFY_RESUME);
// TASK_WAKEKILL: a sleep a fatal signal may end (TASK_KILLABLE = WAKEKILL | UNINTERRUPTIBLE).
inline constexpr unsigned TASK_WAKEKILL = 0x0100;
inline constexpr unsigned TASK_KILLABLE = TASK_WAKEKILL | 0x0002;

// Linux signal numbers (asm-generic/signal.h).
inline constexpr int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
		     SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
		     SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20,
		     SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26,
		     SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31, SIGRTMIN = 32;
inline constexpr int _NSIG = 64;
// A kernel sigset: bit sig-1 for signal sig (Linux's sigset_t on 64-bit).
using ksigset_t = u64;
inline constexpr ksigset_t sigmask(int sig) { return ksigset_t(1) << (sig - 1); }

enum class ExitKind : u8 { Exited, Killed };

struct exit_info {
	ExitKind kind;
	int status;         // exit status (Exited)
	int signal;         // Killed: the signal whose default action ended it
	char reason[64];    // Killed: "level 2 translation fault", "out of memory", ...
	u64 addr;           // Killed by a fault: the faulting address
	u64 esr;
	u64 pc;
	unsigned long min_flt; // faults resolved for it (ru_minflt)
	unsigned long maxrss_kb;
	unsigned long nvcsw, nivcsw; // voluntary and involuntary context switches (ru_nvcsw/ru_nivcsw)
};

// The sigaction of the rt_sigaction syscall (Linux's arm64 struct sigaction, 32 bytes).
struct k_sigaction {
	u64 handler, flags, restorer, mask;
};

struct kernel_siginfo;

// What restart_syscall(2) resumes after a signal interrupted a sleep that must not start over
// (Linux's struct restart_block: nanosleep's absolute expiry and where the time left goes).
struct restart_block {
	long (*fn)(restart_block *) = nullptr; // nullptr: nothing to restart (-EINTR)
	u64 expires;  // counter value the sleep ends at
	u64 rmtp;     // user timespec for the time left, or 0
	int clockid;
};

// Signals sent and not yet delivered (Linux's struct sigpending): the set, and the queued
// siginfo of each (kernel/signal.cpp owns the queue entries).
struct sigpending {
	list_head list;
	ksigset_t signal;
};

// Signal handlers, shared by CLONE_SIGHAND (Linux's sighand_struct). siglock also guards
// every task's pending set and blocked mask, and the group's shared_pending and flags.
struct sighand_struct {
	int count; // references (atomic)
	SpinLock siglock;
	k_sigaction action[_NSIG] TA_GUARDED(siglock);
};

// signal_struct.flags (Linux's SIGNAL_*).
inline constexpr unsigned SIGNAL_STOP_STOPPED = 0x00000001; // job control stop in effect
inline constexpr unsigned SIGNAL_GROUP_EXIT = 0x00000004;
// A stopped task's state (Linux's __TASK_STOPPED; TASK_STOPPED adds TASK_WAKEKILL below).
inline constexpr unsigned __TASK_STOPPED = 0x0004;

// Per-process (thread-group) state, shared by CLONE_THREAD (Linux's signal_struct).
struct signal_struct {
	int sig_count;  // references (atomic)
	int nr_threads; // threads in thread_head (tasklist_lock)
	int live;       // threads not yet past exit_notify's start (atomic)
	list_head thread_head; // task_struct::thread_node of every thread (tasklist_lock)
	wait_queue_head wait_chldexit; // wait4/waitid sleep here (woken by a child's exit)
	// Group exit: set once (siglock) by exit_group or a fatal signal; group_exit_code is
	// Linux's wait status (exit status << 8, or the signal).
	unsigned flags;
	int group_exit_code;
	task_struct *group_exec_task; // execve killing the other threads, or nullptr
	sigpending shared_pending;    // process-directed signals
	int pgrp, session;            // process group and session ids (pids)
	int oom_score_adj;            // -1000..1000, inherited across fork
	u64 rlim_nproc, rlim_nproc_max; // RLIMIT_NPROC (tasks, checked by fork)
	u64 rlim_nofile = 1024, rlim_nofile_max = 4096; // RLIMIT_NOFILE (Linux's INR_OPEN_CUR/MAX)
	// What reaped children (and their children) used, for RUSAGE_CHILDREN and times().
	u64 cutime_ns, cstime_ns;
	unsigned long cmin_flt, cmaj_flt, cnvcsw, cnivcsw, cmaxrss_kb;
	// What threads that already exited used, for RUSAGE_SELF.
	u64 utime_ns, stime_ns;
	unsigned long min_flt, maj_flt, nvcsw, nivcsw;
	// The OOM killer (kernel/oom.cpp): OOM_VICTIM once killed by it (its threads may use the
	// reserves; no other process is killed while it holds its memory), OOM_VICTIM_SKIP once its
	// memory was reaped or it exited (Linux's signal->oom_mm and MMF_OOM_SKIP).
	int oom_victim;
	// ITIMER_REAL (kernel/itimer.cpp; siglock): the tick timer that sends SIGALRM, its expiry
	// and interval in counter ticks (expires 0: disarmed).
	timer_list real_timer;
	u64 it_real_expires, it_real_incr;
};

// The locks of the task relations: parent, children, sibling, thread_node, the task list and
// pids (Linux's tasklist_lock, a spinlock here: IRQs off, never held across a sleep).
extern SpinLock tasklist_lock;
// Every task but the idle ones, by task_struct::tasks.
extern list_head task_list TA_GUARDED(tasklist_lock);

// Offsets shared with arch/arm64/switch.S and entry.S (checked below).
#define TSK_TI_FLAGS 0
#define TSK_TI_PREEMPT 8
#define TSK_THREAD 16

struct task_struct {
	// thread_info (Linux's THREAD_INFO_IN_TASK): first, at the offsets the assembly uses.
	unsigned long ti_flags;
	u32 preempt_count;
	u32 cpu;
	thread_struct thread;

	unsigned __state; // TASK_*; written with the rq lock held or by the task itself
	unsigned flags;   // PF_*
	int exit_state;   // 0, EXIT_ZOMBIE, EXIT_DEAD
	int usage;        // references (atomic); the last put frees the task
	int on_cpu;       // running on a CPU, or still being switched away from (Linux's on_cpu)
	int pid;  // thread id (gettid)
	int tgid; // process id (getpid): the group leader's pid
	int nice;
	unsigned long cpus_allowed; // sched_setaffinity's mask (bit n: CPU n); honoured once SMP runs
	char comm[16];
	sched::sched_entity se;
	void *stack; // THREAD_SIZE bytes, THREAD_ALIGN aligned (vmalloc'ed, guarded)

	mm_struct *mm;
	// Files (fs/): the descriptor table and root/cwd/umask; nullptr for kernel threads.
	struct files_struct *files;
	struct fs_struct *fs;
	task_struct *real_parent; // who forked it (PID 1 after reparenting)
	task_struct *parent;      // whom it reports to (the same: no ptrace)
	task_struct *group_leader;
	list_head children;    // tasks whose parent this is
	list_head sibling;     // in parent->children
	list_head tasks;       // every task but the idle ones (for ps and the OOM killer)
	list_head thread_node; // in signal->thread_head
	wait_queue_head exit_wait; // woken when this task becomes a zombie
	int exit_code;   // Linux's wait status once exiting
	int exit_signal; // sent to the parent at exit (SIGCHLD, or 0 / -1 for threads)
	bool autoreap;   // an orphan whose new parent (a kernel thread) will not reap it
	int pdeath_signal; // prctl(PR_SET_PDEATHSIG): sent when the parent exits
	int fail_nth;      // fault injection: the failure point that fails (core/fault_inject.h)
	bool no_new_privs;
	signal_struct *signal;
	sighand_struct *sighand;
	sigpending pending;    // thread-directed signals (siglock)
	ksigset_t blocked;     // the signal mask (siglock)
	ksigset_t real_blocked, saved_sigmask;
	u64 sas_ss_sp, sas_ss_size; // sigaltstack
	unsigned sas_ss_flags;
	struct completion *vfork_done; // CLONE_VFORK: the parent waits on it until exec or exit
	u64 set_child_tid;
	u64 utime_ns, stime_ns; // time charged at EL0 and EL1 (ns), a tick at a time
	bool tick_from_user;    // the interrupt being handled came from EL0

	// Kernel threads.
	int (*kthread_fn)(void *);
	void *kthread_data;
	bool kthread_should_stop;
	int kthread_result;

	exit_info exit;
	unsigned long min_flt, maj_flt;
	unsigned long nvcsw, nivcsw; // voluntary and involuntary context switches
	// The last user fault the handler resolved, and how often it came straight back
	// (arch/arm64/mm/fault.cpp kills a task whose fault never resolves).
	u64 last_fault_pc, last_fault_addr, last_fault_esr;
	unsigned fault_repeats;
	// Linux's pagefault_disabled: while raised, a uaccess fault is not resolved but fixed up at
	// once (-EFAULT), for the code that reads user memory under a lock and faults in after
	// dropping it (the futex word under its hash bucket's lock).
	unsigned pagefault_disabled;
	u64 clear_child_tid;
	u64 robust_list, robust_len;
	u64 start_counter;
	// The OOM killer (kernel/oom.cpp): the oom_reaper's queue link, and whether the task sleeps
	// in out_of_memory, i.e. inside the allocator, where its mm is in use and must not be reaped.
	task_struct *oom_reaper_list;
	bool oom_reaper_queued;
	bool in_oom_wait;
	// Linux's wake_q node: a futex waker's queue of tasks to wake once its locks are dropped
	// (kernel/futex.cpp). nullptr when on none; a new task (fork's copy too) must start with it
	// nullptr.
	task_struct *wake_q_next = nullptr;
	// Signals (kernel/signal.cpp, arch/arm64/signal.cpp).
	bool restore_sigmask; // rt_sigsuspend: saved_sigmask goes back once a handler was set up
	// The last user fault's address and syndrome (Linux's thread.fault_address/fault_code):
	// the signal frame's sigcontext.fault_address and esr_context.
	u64 fault_address, fault_code;
	restart_block restart;
	// Where this task last put its signal-return trampoline page (arch/arm64/signal.cpp;
	// checked before each use, so a stale value after exec or fork is harmless).
	u64 sigtramp;
	// Linux's task_lock (alloc_lock): held while ->mm changes (exit_mm, exec) so that another
	// task can take a reference to it (fs/proc's get_task_mm).
	SpinLock alloc_lock;
};
static_assert(__builtin_offsetof(task_struct, ti_flags) == TSK_TI_FLAGS);
static_assert(_TIF_WORK_MASK == 7, "arch/arm64/entry.S tests bits 0-2 of ti_flags");
static_assert(__builtin_offsetof(task_struct, preempt_count) == TSK_TI_PREEMPT);
static_assert(__builtin_offsetof(task_struct, thread) == TSK_THREAD);
static_assert(__builtin_offsetof(thread_struct, cpu_context) == 0);

static inline task_struct *get_current()
{
	u64 t;
	// Not volatile: current does not change under a running task, so the compiler may CSE
	// it (Linux's arm64 get_current is the same mrs, with the same reasoning).
	asm("mrs %0, sp_el0" : "=r"(t));
	return reinterpret_cast<task_struct *>(t);
}
#define current get_current()

// --- the scheduler ----------------------------------------------------------------------------

// Makes the boot context CPU 0's idle task "swapper/0" (pid 0) and sets up the run queues.
// Called before anything else reads current.
void sched_init_early();
// After the allocators are up: the caches tasks come from.
void sched_init();
// The idle task of secondary CPU cpu (Linux's fork_idle + init_idle): "swapper/<cpu>", pid 0,
// PF_IDLE, bound to cpu, on no task list; it becomes cpu's rq->curr and rq->idle. Called on
// the boot CPU before cpu is started (it allocates the task and its stack); nullptr when
// memory runs out. The task lives for good: a CPU that came up late may still run on it.
task_struct *idle_task_create(unsigned cpu);
// The CPU's idle task (nullptr before it has one).
task_struct *idle_task(unsigned cpu);
// The boot context, once setup is done: becomes the idle loop (wfi until something is runnable).
[[noreturn]] void cpu_startup_entry();

// Gives up the CPU: the caller set its state first (TASK_RUNNING just yields to others).
void schedule();
// Wakes p if its state is in `state`; true when it was woken (Linux's try_to_wake_up).
bool try_to_wake_up(task_struct *p, unsigned state);
inline bool wake_up_process(task_struct *p) { return try_to_wake_up(p, TASK_NORMAL); }
// Makes a new task runnable for the first time.
void wake_up_new_task(task_struct *p);
// sched_yield.
void yield();
// The tick (update_process_times, IRQ context): charges current and may set need_resched.
void scheduler_tick();
// Nice: -20..19, clamped as setpriority does. Takes effect at once.
void set_user_nice(task_struct *p, int nice);
// Called from do_el1_irq with IRQs masked before returning to interruptible EL1 code.
void preempt_schedule_irq();

static inline bool test_tsk_need_resched(const task_struct *t)
{
	return __atomic_load_n(&t->ti_flags, __ATOMIC_RELAXED) & (1ul << TIF_NEED_RESCHED);
}
static inline bool need_resched() { return test_tsk_need_resched(current); }
void set_tsk_need_resched(task_struct *t);
void clear_tsk_need_resched(task_struct *t);

static inline void preempt_disable()
{
	current->preempt_count++;
	asm volatile("" ::: "memory"); // the count is raised before the critical section starts
}
void preempt_schedule();
static inline void preempt_enable()
{
	asm volatile("" ::: "memory"); // the critical section ends before the count drops
	task_struct *t = current;
	if (--t->preempt_count == 0 && __builtin_expect(test_tsk_need_resched(t), 0))
		preempt_schedule();
}
static inline void preempt_enable_no_resched()
{
	asm volatile("" ::: "memory");
	current->preempt_count--;
}

static inline void pagefault_disable()
{
	current->pagefault_disabled++;
	asm volatile("" ::: "memory"); // raised before the access it covers
}
static inline void pagefault_enable()
{
	asm volatile("" ::: "memory");
	current->pagefault_disabled--;
}

static inline void set_current_state(unsigned state)
{
	// The store must be visible before the caller re-checks its wait condition, so that a
	// waker that sets the condition and then wakes sees the new state (Linux's smp_store_mb).
	__atomic_store_n(&current->__state, state, __ATOMIC_SEQ_CST);
}

// Exec in a task that was a kernel thread (PID 1 becoming init): its user FP/SIMD state and
// thread pointers start at zero, in the registers now (Linux's fpsimd_flush_thread).
void fpsimd_flush_thread();

// --- tasks ------------------------------------------------------------------------------------

// A new task with a kernel stack, not yet runnable, child of current. It starts in
// ret_from_fork and calls fn(arg) on its stack; a kernel thread's fn must not return (the
// kthread wrapper calls do_exit), a user task's fn returns 0 after it filled the pt_regs at the
// top of its stack (kernel_execve), and the task then enters EL0 from them. nullptr: no memory.
task_struct *create_task(const char *name, int (*fn)(void *), void *arg, unsigned flags);
// fork's pieces (kernel/fork.cpp): a task with a stack and defaults, not linked anywhere and
// without signal state (fn nullptr: it returns to EL0 from the pt_regs the caller fills);
// its release on a failure path; linking it (tasklist_lock); a free pid (tasklist_lock;
// -1 when none is left).
task_struct *alloc_task(const char *name, int (*fn)(void *), void *arg, unsigned flags);
void free_unlinked_task(task_struct *t);
void task_list_add(task_struct *t) TA_REQ(tasklist_lock);
int alloc_pid_locked() TA_REQ(tasklist_lock);
void set_comm(task_struct *t, const char *name);
// Saves current's live FP/SIMD registers and thread pointers into its thread_struct (fork
// copies them, a signal frame records them).
void fpsimd_preserve_current_state();
// The pt_regs a user task enters EL0 with (at the top of its stack).
pt_regs *task_pt_regs(task_struct *t);
void get_task_struct(task_struct *t);
void put_task_struct(task_struct *t);
// Ends current with its exit_code (kernel threads: kernel/exit.h do_exit).
[[noreturn]] void do_task_exit();
// The last step of an exit (kernel/exit.cpp): TASK_DEAD and the final switch away.
[[noreturn]] void do_dead_task_schedule();
// Waits until `child` (a child of current) is a zombie; then unlinks it and drops the parent's
// reference (the caller keeps its own if it took one).
void wait_task_zombie(task_struct *child);
// The task that inherits orphans (PID 1), set when it is created.
void set_child_reaper(task_struct *t);
// The task with this pid (not an idle task), with a reference the caller drops with
// put_task_struct; nullptr when there is none.
task_struct *find_get_task_by_pid(int pid);
// The parent's pid (0 for a task whose parent is gone, and for PID 1's parent, the idle task).
int task_ppid(task_struct *t);
// Number of tasks alive (created and not yet freed), for the ktest ledger.
unsigned long nr_tasks_alive();
// Iterates every task but the idle tasks (for ps): calls fn under the task-list lock.
void for_each_task(void (*fn)(task_struct *t, void *arg), void *arg);
// The name of a state for ps ("R", "S", "D", "Z", "X", "I").
char task_state_char(const task_struct *t);

// Runs fn(arg) with the task list and every run queue locked (IRQs off), if every task t for
// which match(t, arg) is true is blocked: asleep (TASK_NORMAL), off every CPU and run queue, so
// that none of them can run or be woken until fn returns (the OOM reaper's guarantee that the
// victim is not using its mm, Linux's task_call_func on a blocked task). Returns fn's result,
// or false without calling it when one of them could run. fn must not sleep or wake tasks.
bool call_with_tasks_blocked(bool (*match)(task_struct *t, void *arg), bool (*fn)(void *arg), void *arg);

// Per-CPU run-queue statistics for tests and /proc/schedstat-like output.
struct rq_stats {
	unsigned nr_running;
	u64 nr_switches;
	u64 clock_ns;
	unsigned long check_errors; // CfsRq::check()
};
rq_stats rq_get_stats(unsigned cpu);
