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
inline constexpr int SI_USER = 0, SI_KERNEL = 0x80, SI_TKILL = -6;
inline constexpr int SEGV_MAPERR = 1, SEGV_ACCERR = 2;
inline constexpr int BUS_ADRALN = 1, BUS_ADRERR = 2;
inline constexpr int ILL_ILLOPC = 1, TRAP_BRKPT = 1, FPE_FLTUNK = 14;
inline constexpr int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

// sigaction handler values.
inline constexpr u64 SIG_DFL = 0, SIG_IGN = 1;

static inline bool signal_pending(const task_struct *t)
{
	return __atomic_load_n(&t->ti_flags, __ATOMIC_ACQUIRE) & (1ul << TIF_SIGPENDING);
}
// SIGKILL is pending for t (a group exit in progress included).
bool fatal_signal_pending(const task_struct *t);

// --- sending (0 or -errno as kill(2)) ---------------------------------------------------------
// To the process p belongs to (kill(2)); priv: from the kernel (SI_KERNEL), else from current
// (SI_USER with its pid).
int send_sig(int sig, task_struct *p, bool priv);
// To one thread (tkill/tgkill: SI_TKILL).
int send_sig_to_thread(int sig, task_struct *t);
// To every process of process group pgrp (kill(-pgrp), the tty's ^C). -ESRCH when none.
int kill_pgrp(int pgrp, int sig, bool priv);
// A child's end reported to its parent (exit_signal, normally SIGCHLD, with CLD_* info).
// Returns true when the parent ignores SIGCHLD (SA_NOCLDWAIT or SIG_IGN), in which case the
// child reaps itself (Linux's do_notify_parent).
bool do_notify_parent(task_struct *tsk, int sig);
// Sets TIF_SIGPENDING on t and wakes it from an interruptible (fatal: also killable) sleep.
void signal_wake_up(task_struct *t, bool fatal);
// Recomputes current's TIF_SIGPENDING from its pending sets and mask (siglock held).
void recalc_sigpending();

// --- delivery -----------------------------------------------------------------------------------
// On the way back to EL0 with TIF_SIGPENDING (IRQs on): deliver one signal per call.
void do_signal(pt_regs *regs);

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
