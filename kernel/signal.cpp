// Signals: sending, the pending sets and default actions (see kernel/signal.h).
#include <asm/irqflags.h>

#include "core/panic.h"
#include "core/printk.h"
#include "kernel/exit.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "mm/slab.h"

signal_struct init_signals;
sighand_struct init_sighand;

static kmem_cache *signal_cachep, *sighand_cachep;

void init_sigpending(sigpending *p)
{
	INIT_LIST_HEAD(&p->list);
	p->signal = 0;
}

void flush_sigqueue(sigpending *p)
{
	p->signal = 0;
}

static void init_signal_struct(signal_struct *s)
{
	s->sig_count = 1;
	s->nr_threads = 0;
	s->live = 0;
	INIT_LIST_HEAD(&s->thread_head);
	init_sigpending(&s->shared_pending);
}

void signals_init()
{
	signal_cachep = kmem_cache_create("signal_cache", sizeof(signal_struct), alignof(signal_struct), SLAB_PANIC,
					  nullptr);
	sighand_cachep = kmem_cache_create("sighand_cache", sizeof(sighand_struct), alignof(sighand_struct),
					   SLAB_PANIC, nullptr);
}

signal_struct *alloc_signal_struct()
{
	void *m = kmem_cache_alloc(signal_cachep, GFP_KERNEL);
	if (!m)
		return nullptr;
	auto *s = new (m) signal_struct{};
	init_signal_struct(s);
	return s;
}

void put_signal_struct(signal_struct *s)
{
	if (s == &init_signals || __atomic_sub_fetch(&s->sig_count, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	flush_sigqueue(&s->shared_pending);
	s->~signal_struct();
	kmem_cache_free(signal_cachep, s);
}

// The new sighand is not shared yet: no lock is needed for it.
sighand_struct *alloc_sighand(const sighand_struct *from) TA_NO_THREAD_SAFETY_ANALYSIS
{
	void *m = kmem_cache_alloc(sighand_cachep, GFP_KERNEL);
	if (!m)
		return nullptr;
	auto *sh = new (m) sighand_struct{};
	sh->count = 1;
	if (from) {
		auto *src = const_cast<sighand_struct *>(from);
		SpinLockGuard g(src->siglock);
		for (int i = 0; i < _NSIG; i++)
			sh->action[i] = src->action[i];
	}
	return sh;
}

void put_sighand(sighand_struct *sh)
{
	if (sh == &init_sighand || __atomic_sub_fetch(&sh->count, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	sh->~sighand_struct();
	kmem_cache_free(sighand_cachep, sh);
}

void flush_signal_handlers(task_struct *t)
{
	SpinLockGuard g(t->sighand->siglock);
	for (int i = 0; i < _NSIG; i++) {
		k_sigaction &a = t->sighand->action[i];
		if (a.handler != SIG_IGN)
			a.handler = SIG_DFL;
		a.flags = 0;
		a.restorer = 0;
		a.mask = 0;
	}
}

// --- default actions ---------------------------------------------------------------------------

static constexpr ksigset_t SIG_KERNEL_IGNORE_MASK = sigmask(SIGCHLD) | sigmask(SIGCONT) | sigmask(SIGURG) |
						    sigmask(SIGWINCH);
static constexpr ksigset_t SIG_KERNEL_STOP_MASK = sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) |
						  sigmask(SIGTTOU);

static bool sig_kernel_ignore(int sig) { return sig < SIGRTMIN && (SIG_KERNEL_IGNORE_MASK & sigmask(sig)); }
static bool sig_kernel_stop(int sig) { return sig < SIGRTMIN && (SIG_KERNEL_STOP_MASK & sigmask(sig)); }

static bool sig_handler_ignored(u64 handler, int sig)
{
	return handler == SIG_IGN || (handler == SIG_DFL && sig_kernel_ignore(sig));
}

bool fatal_signal_pending(const task_struct *t)
{
	return signal_pending(t) && (__atomic_load_n(&t->pending.signal, __ATOMIC_RELAXED) & sigmask(SIGKILL));
}

void signal_wake_up(task_struct *t, bool fatal)
{
	__atomic_fetch_or(&t->ti_flags, 1ul << TIF_SIGPENDING, __ATOMIC_RELEASE);
	try_to_wake_up(t, TASK_INTERRUPTIBLE | (fatal ? TASK_WAKEKILL : 0));
}

static bool has_pending(const sigpending *p, ksigset_t blocked) { return p->signal & ~blocked; }

void recalc_sigpending()
{
	task_struct *t = current;
	t->sighand->siglock.assert_held();
	if (has_pending(&t->pending, t->blocked) || has_pending(&t->signal->shared_pending, t->blocked) ||
	    (t->signal->flags & SIGNAL_GROUP_EXIT))
		__atomic_fetch_or(&t->ti_flags, 1ul << TIF_SIGPENDING, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&t->ti_flags, ~(1ul << TIF_SIGPENDING), __ATOMIC_RELEASE);
}

// Whether a thread must be told now (Linux's wants_signal).
static bool wants_signal(int sig, const task_struct *t)
{
	if (t->blocked & sigmask(sig))
		return false;
	if (t->flags & PF_EXITING)
		return false;
	return sig == SIGKILL || !signal_pending(t);
}

// Picks a thread for a signal just queued and starts a group exit when it is fatal
// (Linux's complete_signal). siglock held.
static void complete_signal(int sig, task_struct *p, bool group) TA_NO_THREAD_SAFETY_ANALYSIS
{
	signal_struct *signal = p->signal;
	task_struct *t = nullptr;
	if (wants_signal(sig, p))
		t = p;
	else if (group) {
		list_for_each(pos, &signal->thread_head) {
			task_struct *c = list_entry(pos, task_struct, thread_node);
			if (wants_signal(sig, c)) {
				t = c;
				break;
			}
		}
	}
	if (!t)
		return; // every thread blocks it: it stays pending until one unblocks it
	u64 handler = p->sighand->action[sig - 1].handler;
	bool fatal = sig == SIGKILL || (handler == SIG_DFL && !sig_kernel_ignore(sig) && !sig_kernel_stop(sig) &&
					!(t->blocked & sigmask(sig)));
	if (fatal && !(signal->flags & SIGNAL_GROUP_EXIT)) {
		// The whole group dies: every thread gets SIGKILL and wakes (Linux's complete_signal).
		signal->flags |= SIGNAL_GROUP_EXIT;
		signal->group_exit_code = sig;
		list_for_each(pos, &signal->thread_head) {
			task_struct *c = list_entry(pos, task_struct, thread_node);
			c->pending.signal |= sigmask(SIGKILL);
			signal_wake_up(c, true);
		}
		return;
	}
	signal_wake_up(t, sig == SIGKILL);
}

static int send_signal_locked(int sig, task_struct *t, bool group) TA_NO_THREAD_SAFETY_ANALYSIS
{
	if (t->signal->flags & SIGNAL_GROUP_EXIT)
		return 0; // already dying: nothing more is delivered
	u64 handler = t->sighand->action[sig - 1].handler;
	// An ignored signal is dropped at once unless blocked (it may be unignored before it is
	// unblocked), as Linux's sig_ignored.
	if (sig != SIGKILL && sig_handler_ignored(handler, sig) && !(t->blocked & sigmask(sig)))
		return 0;
	sigpending *pend = group ? &t->signal->shared_pending : &t->pending;
	pend->signal |= sigmask(sig);
	complete_signal(sig, t, group);
	return 0;
}

static int do_send(int sig, task_struct *p, bool group)
{
	if (sig < 0 || sig > _NSIG)
		return -22; // EINVAL
	if (sig == 0)
		return 0;
	if (p->flags & PF_KTHREAD)
		return 0; // kernel threads take no signals (Linux: unless they allow them)
	SpinLockGuard g(p->sighand->siglock);
	return send_signal_locked(sig, p, group);
}

int send_sig(int sig, task_struct *p, bool) { return do_send(sig, p, true); }
int send_sig_to_thread(int sig, task_struct *t) { return do_send(sig, t, false); }

int kill_pgrp(int pgrp, int sig, bool priv)
{
	if (pgrp <= 0)
		return -22;
	// Collect references under tasklist_lock, send outside it (siglock nests inside
	// tasklist_lock in Linux too, but wake-ups are kept out of the list walk here).
	constexpr int MAX = 64;
	int sent = 0, found = 0;
	for (;;) {
		task_struct *batch[MAX];
		int n = 0;
		{
			SpinLockGuard g(tasklist_lock);
			int skip = found;
			list_for_each(pos, &task_list) {
				task_struct *t = list_entry(pos, task_struct, tasks);
				if (t->exit_state || t->group_leader != t || !t->signal || t->signal->pgrp != pgrp)
					continue;
				if (skip > 0) {
					skip--;
					continue;
				}
				if (n == MAX)
					break;
				get_task_struct(t);
				batch[n++] = t;
			}
		}
		for (int i = 0; i < n; i++) {
			if (send_sig(sig, batch[i], priv) == 0)
				sent++;
			put_task_struct(batch[i]);
		}
		found += n;
		if (n < MAX)
			break;
	}
	return found ? 0 : -3; // ESRCH
}

// --- delivery ------------------------------------------------------------------------------------

static int next_signal(const sigpending *p, ksigset_t blocked)
{
	ksigset_t s = p->signal & ~blocked;
	if (!s)
		return 0;
	// Synchronous signals first, as Linux's next_signal (SIGSEGV, SIGBUS, SIGILL, SIGTRAP,
	// SIGFPE, SIGSYS), then the lowest number.
	constexpr ksigset_t SYNCHRONOUS = sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGILL) | sigmask(SIGTRAP) |
					  sigmask(SIGFPE) | sigmask(SIGSYS);
	if (s & SYNCHRONOUS)
		s &= SYNCHRONOUS;
	return __builtin_ctzll(s) + 1;
}

void do_signal(pt_regs *)
{
	task_struct *t = current;
	sighand_struct *sh = t->sighand;
	for (;;) {
		int exit_code = 0;
		bool thread_only = false;
		{
			SpinLockGuard g(sh->siglock);
			if (t->signal->flags & SIGNAL_GROUP_EXIT) {
				exit_code = t->signal->group_exit_code;
			} else {
				sigpending *from = &t->pending;
				int sig = next_signal(from, t->blocked);
				if (!sig) {
					from = &t->signal->shared_pending;
					sig = next_signal(from, t->blocked);
				}
				if (!sig) {
					recalc_sigpending();
					return;
				}
				from->signal &= ~sigmask(sig);
				const k_sigaction &ka = sh->action[sig - 1];
				if (sig_handler_ignored(ka.handler, sig) && sig != SIGKILL)
					continue;
				if (sig_kernel_stop(sig))
					continue; // job control stops come with the tty work
				// An exec in another thread ends this one alone (de_thread).
				task_struct *ex = t->signal->group_exec_task;
				if (sig == SIGKILL && ex && ex != t) {
					exit_code = SIGKILL;
					thread_only = true;
					break;
				}
				// Default action: terminate the group.
				t->signal->flags |= SIGNAL_GROUP_EXIT;
				t->signal->group_exit_code = sig;
				exit_code = sig;
			}
		}
		if (thread_only)
			do_exit(exit_code);
		do_group_exit(exit_code);
	}
}

bool do_notify_parent(task_struct *tsk, int sig)
{
	task_struct *parent = tsk->parent;
	if (!parent)
		return false;
	bool autoreap = false;
	{
		SpinLockGuard g(parent->sighand->siglock);
		const k_sigaction &ka = parent->sighand->action[SIGCHLD - 1];
		constexpr u64 SA_NOCLDWAIT = 2;
		if (ka.handler == SIG_IGN || (ka.flags & SA_NOCLDWAIT))
			autoreap = true;
		// Kernel threads take no signals: one never returns to user space to clear them, so
		// a pending one would end every interruptible sleep it makes.
		if (sig > 0 && !(ka.handler == SIG_IGN && sig == SIGCHLD) && !(parent->flags & PF_KTHREAD))
			send_signal_locked(sig, parent, true);
	}
	wake_up(&parent->signal->wait_chldexit);
	return autoreap;
}
