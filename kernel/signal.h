// Signals (Linux's kernel/signal.c and include/linux/sched/signal.h).
//
// A signal is sent to a thread (tkill, tgkill, a fault) or to a process (kill, a child's
// SIGCHLD, the tty's ^C): it is added to the thread's `pending` or the group's
// `shared_pending`, and a thread that does not block it gets TIF_SIGPENDING and is woken from
// an interruptible sleep. A fatal signal (SIGKILL, or one whose default action terminates and
// that has no handler) starts a group exit at once: every thread gets SIGKILL, as Linux's
// complete_signal does. The thread acts on pending signals on its way back to EL0
// (exit_to_user_mode -> do_signal): it runs the handler in a signal frame, or the default
// action.
//
// Locking: sighand->siglock guards the pending sets, the masks, the actions and
// signal->flags; it is taken with IRQs off (timers send SIGALRM from the tick).
#pragma once

#include <asm/ptrace.h>

#include "kernel/sched.h"
#include "kstd/result.h"

// si_code values the kernel sends (Linux's asm-generic/siginfo.h).
inline constexpr int SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_TKILL = -6;
inline constexpr int SEGV_MAPERR = 1, SEGV_ACCERR = 2;
inline constexpr int BUS_ADRALN = 1, BUS_ADRERR = 2, BUS_OBJERR = 3;
inline constexpr int ILL_ILLOPC = 1, TRAP_BRKPT = 1;
inline constexpr int FPE_FLTDIV = 3, FPE_FLTOVF = 4, FPE_FLTUND = 5, FPE_FLTRES = 6, FPE_FLTINV = 7,
		     FPE_FLTUNK = 14;
inline constexpr int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

// sigaction handler values and sa_flags (Linux's asm-generic/signal.h).
inline constexpr u64 SIG_DFL = 0, SIG_IGN = 1;
inline constexpr u64 SA_NOCLDSTOP = 0x1, SA_NOCLDWAIT = 0x2, SA_SIGINFO = 0x4, SA_RESTORER = 0x04000000,
		     SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000,
		     SA_RESETHAND = 0x80000000;
// sigaltstack ss_flags.
inline constexpr int SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;

// The kernel's siginfo (Linux's kernel_siginfo: the 48 bytes of siginfo_t that carry data; the
// rest of the user's 128 bytes is zero). Field offsets are those of the user siginfo_t.
struct kernel_siginfo {
	int si_signo, si_errno, si_code;
	int __pad0;
	union {
		struct {
			int pid;
			u32 uid;
			u64 value; // rt: sigval
		} kill;
		struct {
			int pid;
			u32 uid;
			int status;
			int __pad;
			i64 utime, stime;
		} sigchld;
		struct {
			u64 addr;
		} sigfault;
	} f;
};
static_assert(sizeof(kernel_siginfo) == 48);

// A signal picked for delivery with a handler (Linux's struct ksignal).
struct ksignal {
	k_sigaction ka;
	kernel_siginfo info;
	int sig;
};

static inline bool signal_pending(const task_struct *t)
{
	return __atomic_load_n(&t->ti_flags, __ATOMIC_ACQUIRE) & (1ul << TIF_SIGPENDING);
}
// SIGKILL is pending for t (a group exit in progress included).
bool fatal_signal_pending(const task_struct *t);

// --- sending (0 or -errno as kill(2)) ---------------------------------------------------------
// The general form: sig with info (nullptr: SI_KERNEL from the kernel) to t's process (group) or
// to the thread t alone. Classic signals coalesce; real-time ones queue (-EAGAIN when the
// queue limit is reached for a user-sent rt signal, as Linux's RLIMIT_SIGPENDING).
int send_signal_info(int sig, const kernel_siginfo *info, task_struct *t, bool group);
// A synchronous fault signal to current (Linux's force_sig_fault): an ignored or blocked one is
// unblocked and reset to SIG_DFL first, so that it cannot be lost. addr is si_addr.
void force_sig_fault_info(int sig, int code, u64 addr);
// The arm64 fault path (arch/arm64, Linux's arm64_force_sig_fault; the caller recorded
// current->fault_address/fault_code for the frame first): a signal with no handler (SIG_DFL or
// SIG_IGN) prints Linux's arm64_show_signal report and kills (force_sig_kill, does not return);
// otherwise it is queued for the handler with si_code `code` and si_addr `addr`.
void force_sig_fault(int sig, int code, u64 addr, const char *reason, u64 esr, const pt_regs *regs);
// Drops sig from the group's and every thread's pending sets (its action became "ignore").
// siglock held.
void discard_pending_signal_locked(task_struct *t, int sig);
// SIGSEGV because a signal frame could not be written or read back (Linux's force_sigsegv).
void force_sigsegv(int sig);
// To the process p belongs to (kill(2)); priv: from the kernel (SI_KERNEL), else from current
// (SI_USER with its pid).
int send_sig(int sig, task_struct *p, bool priv);
// To one thread (tkill/tgkill: SI_TKILL).
int send_sig_to_thread(int sig, task_struct *t);
// To every process of process group pgrp (kill(-pgrp), the tty's ^C). -ESRCH when none.
int kill_pgrp(int pgrp, int sig, bool priv);
// The same for any pgrp >= 0 (kill(0, sig) from a task still in process group 0).
int kill_pgrp_info(int pgrp, int sig, bool priv);
// A child's end reported to its parent (exit_signal, normally SIGCHLD, with CLD_* info).
// Returns true when the parent ignores SIGCHLD (SA_NOCLDWAIT or SIG_IGN), in which case the
// child reaps itself (Linux's do_notify_parent).
bool do_notify_parent(task_struct *tsk, int sig);
// Sets TIF_SIGPENDING on t and wakes it from an interruptible (fatal: also killable) sleep.
void signal_wake_up(task_struct *t, bool fatal);
// Recomputes current's TIF_SIGPENDING from its pending sets and mask (siglock held).
void recalc_sigpending();

// --- delivery -----------------------------------------------------------------------------------
// On the way back to EL0 with TIF_SIGPENDING (IRQs on): restarts or fails an interrupted
// syscall and sets up a handler's frame (arch/arm64/signal.cpp, Linux's do_signal).
void do_signal(pt_regs *regs);
// Dequeues signals, running default actions (ignore, stop, terminate: the last does not
// return), until one has a handler: true with it in *ksig (Linux's get_signal). SA_RESETHAND
// is applied here.
bool get_signal(ksignal *ksig);
// After the frame for ksig was written (failed: SIGSEGV instead): blocks sa_mask and the
// signal itself unless SA_NODEFER (Linux's signal_setup_done).
void signal_setup_done(bool failed, const ksignal *ksig);
// The mask a frame saves: saved_sigmask after rt_sigsuspend, else blocked.
ksigset_t sigmask_to_save();
// Puts back saved_sigmask when rt_sigsuspend's restore is still due (no handler ran).
void restore_saved_sigmask();
// Sets current's mask (SIGKILL and SIGSTOP cannot be blocked), rechecking what is pending.
void set_current_blocked(ksigset_t set);
// Fills a user siginfo_t (128 bytes) from info: 0 or -EFAULT.
int copy_siginfo_to_user(u64 uaddr, const kernel_siginfo *info);
// sigaltstack: whether sp is on current's alternate stack, the stack a handler with
// SA_ONSTACK starts on (Linux's sigsp), and the uc_stack a frame saves/restores.
bool on_sig_stack(u64 sp);
u64 sigsp(u64 sp, const ksignal *ksig);
int save_altstack(u64 uaddr, u64 sp);
int restore_altstack(u64 uaddr);
// The next pending signal of current not in mask, taken off its queue with its info; 0: none
// (rt_sigtimedwait).
int dequeue_signal_mask(ksigset_t mask, kernel_siginfo *info);
struct user_stack_t;
// save_altstack in two halves, for a frame written in one copy: the uc_stack to write, then
// (once it is written) SS_AUTODISARM's reset.
user_stack_t altstack_to_save(u64 sp);
void altstack_saved();
// sigaltstack(2) and rt_sigreturn's uc_stack (Linux's do_sigaltstack): 0 or -errno. sp is the
// user SP at the call.
int do_sigaltstack(const user_stack_t *ss, user_stack_t *oss, u64 sp);
// SIGALRM was dequeued: an interval timer re-arms (kernel/itimer.cpp; siglock held).
void itimer_real_rearm(signal_struct *sig);
// ITIMER_REAL stops for good (the process is going away; kernel/itimer.cpp).
void exit_itimers(signal_struct *sig);

// --- lifetime (fork and exit) -----------------------------------------------------------------
// A new signal_struct (one thread, nothing pending) or a copy of the actions; nullptr: ENOMEM.
signal_struct *alloc_signal_struct();
sighand_struct *alloc_sighand(const sighand_struct *copy_from);
void put_signal_struct(signal_struct *sig);
void put_sighand(sighand_struct *sh);
// Frees every queued signal of a pending set.
void flush_sigqueue(sigpending *p);
// Exec: handlers back to SIG_DFL (ignored ones stay ignored), as Linux's flush_signal_handlers.
void flush_signal_handlers(task_struct *t);
void init_sigpending(sigpending *p);
void signals_init();

// The boot task's (and every kernel thread's first) signal state.
extern signal_struct init_signals;
extern sighand_struct init_sighand;
