// Signals: sending, the pending sets with their queued siginfo, default actions, masks and
// the alternate stack (see kernel/signal.h). The frame itself is arch/arm64/signal.cpp's.
#include <asm/irqflags.h>
#include <asm/sigframe.h>
#include <asm/uaccess.h>

#include "core/panic.h"
#include "core/printk.h"
#include "kernel/exit.h"
#include "kernel/process.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "mm/slab.h"

signal_struct init_signals;
sighand_struct init_sighand;

static kmem_cache *signal_cachep, *sighand_cachep, *sigqueue_cachep;

// A queued signal's siginfo (Linux's struct sigqueue), on sigpending.list in send order.
struct sigqueue {
	list_head list;
	kernel_siginfo info;
};

// Queued siginfo entries in the system. Linux bounds them per user by RLIMIT_SIGPENDING
// (about 3.8k on a 1 GiB machine); every task here is uid 0, so one global count is that
// per-user count. Classic signals from the kernel or kill(2) may go over it (Linux's
// override_rlimit): they coalesce, so they can never pile up.
static constexpr long SIGQUEUE_MAX = 4096;
static long nr_sigqueued;

static sigqueue *sigqueue_alloc(bool override_limit)
{
	long n = __atomic_add_fetch(&nr_sigqueued, 1, __ATOMIC_RELAXED);
	if (n > SIGQUEUE_MAX && !override_limit) {
		__atomic_sub_fetch(&nr_sigqueued, 1, __ATOMIC_RELAXED);
		return nullptr;
	}
	// Senders include the tick (SIGALRM) and callers holding siglock: never sleep.
	void *m = kmem_cache_alloc(sigqueue_cachep, GFP_ATOMIC);
	if (!m) {
		__atomic_sub_fetch(&nr_sigqueued, 1, __ATOMIC_RELAXED);
		return nullptr;
	}
	auto *q = new (m) sigqueue{};
	INIT_LIST_HEAD(&q->list);
	return q;
}

static void sigqueue_free(sigqueue *q)
{
	q->~sigqueue();
	kmem_cache_free(sigqueue_cachep, q);
	__atomic_sub_fetch(&nr_sigqueued, 1, __ATOMIC_RELAXED);
}

void init_sigpending(sigpending *p)
{
	INIT_LIST_HEAD(&p->list);
	p->signal = 0;
}

void flush_sigqueue(sigpending *p)
{
	p->signal = 0;
	while (!list_empty(&p->list)) {
		sigqueue *q = list_first_entry(&p->list, sigqueue, list);
		list_del_init(&q->list);
		sigqueue_free(q);
	}
}

// Drops every pending instance of the signals in mask from p (Linux's flush_sigqueue_mask).
static void flush_sigqueue_mask(ksigset_t mask, sigpending *p)
{
	if (!(p->signal & mask))
		return;
	p->signal &= ~mask;
	list_head *pos = p->list.next;
	while (pos != &p->list) {
		sigqueue *q = list_entry(pos, sigqueue, list);
		pos = pos->next;
		if (mask & sigmask(q->info.si_signo)) {
			list_del_init(&q->list);
			sigqueue_free(q);
		}
	}
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
	sigqueue_cachep = kmem_cache_create("sigqueue", sizeof(sigqueue), alignof(sigqueue), SLAB_PANIC, nullptr);
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
	exit_itimers(s); // nothing may fire into a freed signal_struct
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
static constexpr ksigset_t SIG_KERNEL_ONLY_MASK = sigmask(SIGKILL) | sigmask(SIGSTOP);

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

// Whether t has something to act on: an unblocked signal, a group exit or a group stop.
static bool task_sigpending_locked(const task_struct *t) TA_NO_THREAD_SAFETY_ANALYSIS
{
	return has_pending(&t->pending, t->blocked) || has_pending(&t->signal->shared_pending, t->blocked) ||
	       (t->signal->flags & (SIGNAL_GROUP_EXIT | SIGNAL_STOP_STOPPED));
}

void recalc_sigpending()
{
	task_struct *t = current;
	t->sighand->siglock.assert_held();
	if (task_sigpending_locked(t))
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

// Every live thread of the group but `skip` gets SIGKILL and wakes (Linux's
// zap_other_threads; complete_signal skips nobody: the sender may be the victim, which must
// see the SIGKILL on its way out). siglock held.
static void zap_threads(signal_struct *signal, int code, task_struct *skip) TA_NO_THREAD_SAFETY_ANALYSIS
{
	signal->flags = (signal->flags & ~SIGNAL_STOP_STOPPED) | SIGNAL_GROUP_EXIT;
	signal->group_exit_code = code;
	list_for_each(pos, &signal->thread_head) {
		task_struct *c = list_entry(pos, task_struct, thread_node);
		if (c == skip || c->exit_state)
			continue;
		c->pending.signal |= sigmask(SIGKILL);
		signal_wake_up(c, true);
	}
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
					!(t->real_blocked & sigmask(sig)));
	if (fatal && !(signal->flags & SIGNAL_GROUP_EXIT)) {
		zap_threads(signal, sig, nullptr); // the whole group dies at once
		return;
	}
	signal_wake_up(t, sig == SIGKILL);
}

// Job control side effects of sending (Linux's prepare_signal): a stop signal cancels a pending
// SIGCONT and SIGCONT cancels pending stops and resumes a stopped group, even when SIGCONT
// itself is then ignored. siglock held.
static void prepare_signal(int sig, task_struct *p) TA_NO_THREAD_SAFETY_ANALYSIS
{
	signal_struct *signal = p->signal;
	if (sig_kernel_stop(sig)) {
		flush_sigqueue_mask(sigmask(SIGCONT), &signal->shared_pending);
		list_for_each(pos, &signal->thread_head)
			flush_sigqueue_mask(sigmask(SIGCONT), &list_entry(pos, task_struct, thread_node)->pending);
	} else if (sig == SIGCONT) {
		flush_sigqueue_mask(SIG_KERNEL_STOP_MASK, &signal->shared_pending);
		list_for_each(pos, &signal->thread_head) {
			task_struct *c = list_entry(pos, task_struct, thread_node);
			flush_sigqueue_mask(SIG_KERNEL_STOP_MASK, &c->pending);
			if (signal->flags & SIGNAL_STOP_STOPPED)
				try_to_wake_up(c, __TASK_STOPPED);
		}
		signal->flags &= ~SIGNAL_STOP_STOPPED;
	}
}

void discard_pending_signal_locked(task_struct *t, int sig) TA_NO_THREAD_SAFETY_ANALYSIS
{
	signal_struct *signal = t->signal;
	flush_sigqueue_mask(sigmask(sig), &signal->shared_pending);
	list_for_each(pos, &signal->thread_head)
		flush_sigqueue_mask(sigmask(sig), &list_entry(pos, task_struct, thread_node)->pending);
}

static void fill_kill_info(kernel_siginfo *info, int sig, int code)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = code;
	if (code != SI_KERNEL)
		info->f.kill.pid = current->tgid;
}

static int send_signal_locked(int sig, const kernel_siginfo *info, task_struct *t, bool group)
	TA_NO_THREAD_SAFETY_ANALYSIS
{
	if (t->signal->flags & SIGNAL_GROUP_EXIT)
		return 0; // already dying: nothing more is delivered
	prepare_signal(sig, t);
	u64 handler = t->sighand->action[sig - 1].handler;
	// An ignored signal is dropped at once unless blocked (it may be unignored before it is
	// unblocked), as Linux's sig_ignored.
	if (sig != SIGKILL && sig_handler_ignored(handler, sig) && !((t->blocked | t->real_blocked) & sigmask(sig)))
		return 0;
	sigpending *pend = group ? &t->signal->shared_pending : &t->pending;
	// Classic signals coalesce: one pending instance (Linux's legacy_queue).
	if (sig < SIGRTMIN && (pend->signal & sigmask(sig)))
		return 0;
	kernel_siginfo kinfo;
	if (!info) {
		fill_kill_info(&kinfo, sig, SI_KERNEL);
		info = &kinfo;
	}
	bool override_limit = sig < SIGRTMIN && info->si_code >= 0;
	if (sigqueue *q = sigqueue_alloc(override_limit)) {
		q->info = *info;
		list_add_tail(&q->list, &pend->list);
	} else if (sig >= SIGRTMIN && info->si_code != SI_USER) {
		return -11; // EAGAIN: an rt signal that carries data must not lose it
	}
	// Otherwise (no memory, or a kill(2) over the limit) the signal goes without its info, as
	// Linux's "silent loss of information": it is delivered as SI_USER from pid 0.
	pend->signal |= sigmask(sig);
	complete_signal(sig, t, group);
	return 0;
}

int send_signal_info(int sig, const kernel_siginfo *info, task_struct *p, bool group)
{
	if (sig < 0 || sig > _NSIG)
		return -22; // EINVAL
	if (sig == 0)
		return 0;
	if (p->flags & PF_KTHREAD)
		return 0; // kernel threads take no signals (Linux: unless they allow them)
	SpinLockGuard g(p->sighand->siglock);
	return send_signal_locked(sig, info, p, group);
}

int send_sig(int sig, task_struct *p, bool priv)
{
	kernel_siginfo info;
	fill_kill_info(&info, sig, priv ? SI_KERNEL : SI_USER);
	return send_signal_info(sig, &info, p, true);
}

int send_sig_to_thread(int sig, task_struct *t)
{
	kernel_siginfo info;
	fill_kill_info(&info, sig, SI_TKILL);
	return send_signal_info(sig, &info, t, false);
}

int kill_pgrp(int pgrp, int sig, bool priv)
{
	if (pgrp <= 0)
		return -22;
	return kill_pgrp_info(pgrp, sig, priv);
}

// Also process group 0: the kernel's own, which PID 1 and everything it starts are in until
// they call setsid/setpgid (as on Linux, where init's pgrp is pid 0's).
int kill_pgrp_info(int pgrp, int sig, bool priv)
{
	// Sent during the walk, under tasklist_lock (siglock and the run-queue locks nest inside
	// it, as in exit_notify), so that every member is seen exactly once while the group
	// changes (Linux's __kill_pgrp_info under the tasklist read lock).
	kernel_siginfo info;
	fill_kill_info(&info, sig, priv ? SI_KERNEL : SI_USER);
	int found = 0, err = 0;
	SpinLockGuard g(tasklist_lock);
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (t->exit_state || t->group_leader != t || !t->signal || t->signal->pgrp != pgrp)
			continue;
		found++;
		if (int r = send_signal_info(sig, &info, t, true))
			err = r;
	}
	// -ESRCH when the group is empty, else the last error (0 when every send succeeded).
	return found ? err : -3;
}

void force_sig_fault_info(int sig, int code, u64 addr)
{
	task_struct *t = current;
	kernel_siginfo info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.f.sigfault.addr = addr;
	SpinLockGuard g(t->sighand->siglock);
	// Linux's force_sig_info_to_task: a synchronous signal cannot wait or be ignored (the
	// instruction would fault again at once): blocked or ignored, it goes back to SIG_DFL and
	// is unblocked, so that it kills.
	k_sigaction &ka = t->sighand->action[sig - 1];
	bool blocked = t->blocked & sigmask(sig);
	if (blocked || ka.handler == SIG_IGN) {
		ka.handler = SIG_DFL;
		if (blocked) {
			t->blocked &= ~sigmask(sig);
			recalc_sigpending();
		}
	}
	send_signal_locked(sig, &info, t, false);
}

void force_sig_fault(int sig, int code, u64 addr, const char *reason, u64 esr, const pt_regs *regs)
{
	task_struct *t = current;
	u64 handler;
	{
		SpinLockGuard g(t->sighand->siglock);
		handler = t->sighand->action[sig - 1].handler;
	}
	// Linux's arm64_force_sig_fault prints arm64_show_signal only for an unhandled signal
	// (unhandled_signal: SIG_DFL or SIG_IGN); such a signal kills, which force_sig_kill does
	// with the same report as before signals had handlers.
	if (handler == SIG_DFL || handler == SIG_IGN)
		force_sig_kill(sig, reason, addr, esr, regs);
	force_sig_fault_info(sig, code, addr);
}

void force_sigsegv(int sig)
{
	task_struct *t = current;
	if (sig == SIGSEGV) {
		// The SIGSEGV handler itself could not be entered: the next SIGSEGV must kill.
		SpinLockGuard g(t->sighand->siglock);
		t->sighand->action[SIGSEGV - 1].handler = SIG_DFL;
	}
	kernel_siginfo info;
	fill_kill_info(&info, SIGSEGV, SI_KERNEL);
	SpinLockGuard g(t->sighand->siglock);
	k_sigaction &ka = t->sighand->action[SIGSEGV - 1];
	if ((t->blocked & sigmask(SIGSEGV)) || ka.handler == SIG_IGN) {
		ka.handler = SIG_DFL;
		t->blocked &= ~sigmask(SIGSEGV);
		recalc_sigpending();
	}
	send_signal_locked(SIGSEGV, &info, t, false);
}

// --- masks ---------------------------------------------------------------------------------------

void set_current_blocked(ksigset_t set)
{
	task_struct *t = current;
	SpinLockGuard g(t->sighand->siglock);
	ksigset_t newly_blocked = set & ~SIG_KERNEL_ONLY_MASK & ~t->blocked;
	t->blocked = set & ~SIG_KERNEL_ONLY_MASK;
	recalc_sigpending();
	// Process-directed signals this thread may have been picked for and now blocks go to a
	// thread that does not block them (Linux's retarget_shared_pending).
	ksigset_t retarget = t->signal->shared_pending.signal & newly_blocked;
	if (!retarget)
		return;
	list_for_each(pos, &t->signal->thread_head) {
		task_struct *c = list_entry(pos, task_struct, thread_node);
		if (c != t && !(c->flags & PF_EXITING) && (retarget & ~c->blocked))
			signal_wake_up(c, false);
	}
}

ksigset_t sigmask_to_save()
{
	task_struct *t = current;
	return t->restore_sigmask ? t->saved_sigmask : t->blocked;
}

void restore_saved_sigmask()
{
	task_struct *t = current;
	if (!t->restore_sigmask)
		return;
	t->restore_sigmask = false;
	set_current_blocked(t->saved_sigmask);
}

// --- siginfo -------------------------------------------------------------------------------------

int copy_siginfo_to_user(u64 uaddr, const kernel_siginfo *info)
{
	static_assert(sizeof(kernel_siginfo) <= sizeof(user_siginfo));
	static_assert(__builtin_offsetof(kernel_siginfo, f) == __builtin_offsetof(user_siginfo, fields));
	static_assert(__builtin_offsetof(kernel_siginfo, f.sigchld.status) ==
		      __builtin_offsetof(user_siginfo, fields.sigchld.status));
	static_assert(__builtin_offsetof(kernel_siginfo, f.sigchld.stime) ==
		      __builtin_offsetof(user_siginfo, fields.sigchld.stime));
	static_assert(__builtin_offsetof(kernel_siginfo, f.kill.value) ==
		      __builtin_offsetof(user_siginfo, fields.rt.sigval));
	user_siginfo u;
	memset(&u, 0, sizeof(u));
	memcpy(&u, info, sizeof(*info));
	return copy_to_user(reinterpret_cast<void *>(uaddr), &u, sizeof(u)) ? -14 : 0;
}

// --- the alternate signal stack ------------------------------------------------------------------

bool on_sig_stack(u64 sp)
{
	task_struct *t = current;
	if (t->sas_ss_flags & u32(SS_AUTODISARM))
		return false;
	// The stack grows down: its top (sp + size) belongs to it, its base does not.
	return sp > t->sas_ss_sp && sp - t->sas_ss_sp <= t->sas_ss_size;
}

static int sas_ss_flags(u64 sp)
{
	if (!current->sas_ss_size)
		return SS_DISABLE;
	return on_sig_stack(sp) ? SS_ONSTACK : 0;
}

u64 sigsp(u64 sp, const ksignal *ksig)
{
	if ((ksig->ka.flags & SA_ONSTACK) && !sas_ss_flags(sp))
		return current->sas_ss_sp + current->sas_ss_size;
	return sp;
}

user_stack_t altstack_to_save(u64 sp)
{
	task_struct *t = current;
	user_stack_t st{};
	st.ss_sp = t->sas_ss_sp;
	st.ss_flags = sas_ss_flags(sp) | int(t->sas_ss_flags & u32(SS_AUTODISARM));
	st.ss_size = t->sas_ss_size;
	return st;
}

void altstack_saved()
{
	task_struct *t = current;
	if (t->sas_ss_flags & u32(SS_AUTODISARM)) { // Linux's sas_ss_reset
		t->sas_ss_sp = t->sas_ss_size = 0;
		t->sas_ss_flags = SS_DISABLE;
	}
}

int save_altstack(u64 uaddr, u64 sp)
{
	user_stack_t st = altstack_to_save(sp);
	if (copy_to_user(reinterpret_cast<void *>(uaddr), &st, sizeof(st)))
		return -14;
	altstack_saved();
	return 0;
}

// Linux's do_sigaltstack, for sigaltstack(2) and rt_sigreturn. sp: the user SP now.
int do_sigaltstack(const user_stack_t *ss, user_stack_t *oss, u64 sp)
{
	task_struct *t = current;
	if (oss) {
		*oss = {};
		oss->ss_sp = t->sas_ss_sp;
		oss->ss_size = t->sas_ss_size;
		oss->ss_flags = sas_ss_flags(sp) | int(t->sas_ss_flags & u32(SS_AUTODISARM));
	}
	if (!ss)
		return 0;
	if (on_sig_stack(sp))
		return -1; // EPERM: the stack in use cannot change under the handler
	int mode = ss->ss_flags & ~SS_AUTODISARM;
	if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
		return -22;
	u64 ss_sp = ss->ss_sp, ss_size = ss->ss_size;
	if (t->sas_ss_sp == ss_sp && t->sas_ss_size == ss_size && t->sas_ss_flags == u32(ss->ss_flags))
		return 0;
	if (mode == SS_DISABLE) {
		ss_sp = 0;
		ss_size = 0;
	} else if (ss_size < MINSIGSTKSZ) {
		return -12; // ENOMEM
	}
	t->sas_ss_sp = ss_sp;
	t->sas_ss_size = ss_size;
	t->sas_ss_flags = u32(ss->ss_flags);
	return 0;
}

int restore_altstack(u64 uaddr)
{
	user_stack_t st;
	if (copy_from_user(&st, reinterpret_cast<const void *>(uaddr), sizeof(st)))
		return -14;
	// Linux squashes every error but EFAULT here: a frame's uc_stack that cannot be applied
	// leaves the stack as it is.
	do_sigaltstack(&st, nullptr, task_pt_regs(current)->sp);
	return 0;
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

// Takes one instance of sig off p, with its info (Linux's collect_signal). The bit stays while
// another instance is queued.
static void collect_signal(int sig, sigpending *p, kernel_siginfo *info)
{
	sigqueue *first = nullptr;
	bool more = false;
	list_for_each(pos, &p->list) {
		sigqueue *q = list_entry(pos, sigqueue, list);
		if (q->info.si_signo != sig)
			continue;
		if (first) {
			more = true;
			break;
		}
		first = q;
	}
	if (!more)
		p->signal &= ~sigmask(sig);
	if (first) {
		list_del_init(&first->list);
		*info = first->info;
		sigqueue_free(first);
	} else {
		// Sent without info (no memory): Linux reports it as SI_USER from pid 0.
		memset(info, 0, sizeof(*info));
		info->si_signo = sig;
		info->si_code = SI_USER;
	}
}

// The next signal not in mask, thread-directed ones first (Linux's dequeue_signal). siglock held.
static int dequeue_signal(task_struct *t, ksigset_t mask, kernel_siginfo *info) TA_NO_THREAD_SAFETY_ANALYSIS
{
	sigpending *from = &t->pending;
	int sig = next_signal(from, mask);
	if (!sig) {
		from = &t->signal->shared_pending;
		sig = next_signal(from, mask);
	}
	if (!sig) {
		recalc_sigpending(); // nothing deliverable: TIF_SIGPENDING must not stay set
		return 0;
	}
	collect_signal(sig, from, info);
	if (sig == SIGALRM)
		itimer_real_rearm(t->signal); // as Linux: the interval restarts when its signal is taken
	recalc_sigpending();
	return sig;
}

int dequeue_signal_mask(ksigset_t mask, kernel_siginfo *info)
{
	task_struct *t = current;
	SpinLockGuard g(t->sighand->siglock);
	return dequeue_signal(t, mask, info);
}

bool get_signal(ksignal *ksig)
{
	task_struct *t = current;
	sighand_struct *sh = t->sighand;
	for (;;) {
		int exit_code;
		bool stop = false, thread_only = false;
		{
			SpinLockGuard g(sh->siglock);
			signal_struct *signal = t->signal;
			if (signal->flags & SIGNAL_GROUP_EXIT) {
				exit_code = signal->group_exit_code;
			} else if (signal->flags & SIGNAL_STOP_STOPPED) {
				// Job-control stop: sleep until SIGCONT (which clears the flag under siglock,
				// then wakes __TASK_STOPPED) or SIGKILL (TASK_WAKEKILL). The state is set before
				// the lock goes, so neither wake-up can be missed.
				set_current_state(__TASK_STOPPED | TASK_WAKEKILL);
				stop = true;
			} else {
				kernel_siginfo info;
				int sig = dequeue_signal(t, t->blocked, &info);
				if (!sig)
					return false;
				k_sigaction &ka = sh->action[sig - 1];
				if (ka.handler == SIG_IGN)
					continue;
				if (ka.handler != SIG_DFL) {
					ksig->ka = ka;
					ksig->info = info;
					ksig->sig = sig;
					if (ka.flags & SA_RESETHAND)
						ka.handler = SIG_DFL;
					return true;
				}
				if (sig_kernel_ignore(sig))
					continue;
				if (sig_kernel_stop(sig)) {
					// The whole group stops (Linux's do_signal_stop); the other threads see the
					// flag on their way out. Parents are not told (no CLD_STOPPED/WUNTRACED yet).
					signal->flags |= SIGNAL_STOP_STOPPED;
					list_for_each(pos, &signal->thread_head) {
						task_struct *c = list_entry(pos, task_struct, thread_node);
						if (c != t)
							signal_wake_up(c, false);
					}
					continue;
				}
				task_struct *ex = signal->group_exec_task;
				if (sig == SIGKILL && ex && ex != t) {
					// An exec in another thread ends this one alone (de_thread).
					exit_code = SIGKILL;
					thread_only = true;
				} else {
					// Terminate (core-dumping signals too: no core file is written, as with
					// Linux's RLIMIT_CORE 0, so the status has no 0x80 bit).
					zap_threads(signal, sig, t);
					exit_code = sig;
				}
			}
		}
		if (stop) {
			schedule();
			continue;
		}
		if (thread_only)
			do_exit(exit_code);
		do_group_exit(exit_code);
	}
}

void signal_setup_done(bool failed, const ksignal *ksig)
{
	task_struct *t = current;
	if (failed) {
		force_sigsegv(ksig->sig);
		return;
	}
	// The handler runs with sa_mask and (unless SA_NODEFER) its own signal blocked; the frame
	// saved the mask to return to, so rt_sigsuspend's restore is done.
	t->restore_sigmask = false;
	ksigset_t blocked = t->blocked | ksig->ka.mask;
	if (!(ksig->ka.flags & SA_NODEFER))
		blocked |= sigmask(ksig->sig);
	set_current_blocked(blocked);
}

bool do_notify_parent(task_struct *tsk, int sig)
{
	task_struct *parent = tsk->parent;
	if (!parent)
		return false;
	// The child's end as its parent's SIGCHLD siginfo (Linux's do_notify_parent): CLD_EXITED
	// with the exit status, or CLD_KILLED/CLD_DUMPED with the signal; times in clock ticks.
	kernel_siginfo info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.f.sigchld.pid = tsk->tgid;
	int code = tsk->exit_code;
	if (code & 0x80) {
		info.si_code = CLD_DUMPED;
		info.f.sigchld.status = code & 0x7f;
	} else if (code & 0x7f) {
		info.si_code = CLD_KILLED;
		info.f.sigchld.status = code & 0x7f;
	} else {
		info.si_code = CLD_EXITED;
		info.f.sigchld.status = (code >> 8) & 0xff;
	}
	constexpr u64 NSEC_PER_USER_TICK = 10000000; // USER_HZ 100
	info.f.sigchld.utime = static_cast<i64>(tsk->utime_ns / NSEC_PER_USER_TICK);
	info.f.sigchld.stime = static_cast<i64>(tsk->stime_ns / NSEC_PER_USER_TICK);
	bool autoreap = false;
	{
		SpinLockGuard g(parent->sighand->siglock);
		const k_sigaction &ka = parent->sighand->action[SIGCHLD - 1];
		if (sig == SIGCHLD && (ka.handler == SIG_IGN || (ka.flags & SA_NOCLDWAIT))) {
			// The parent does not want zombies: the child reaps itself, and a SIG_IGN parent
			// gets no SIGCHLD either.
			autoreap = true;
			if (ka.handler == SIG_IGN)
				sig = 0;
		}
		// Kernel threads take no signals (send_signal_info's rule): nothing is queued for a
		// kernel parent such as the test runner, which waits on wait_chldexit instead.
		if (sig > 0 && sig <= _NSIG && !(parent->flags & PF_KTHREAD))
			send_signal_locked(sig, &info, parent, true);
	}
	wake_up(&parent->signal->wait_chldexit);
	return autoreap;
}
