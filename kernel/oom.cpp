// The OOM killer: choosing the victim over the task list, Linux 6.1's report, the kill, the
// wait for a victim, the oom_reaper thread and oom_score_adj (see kernel/oom.h, mm/oom.h).
#include <asm/irqflags.h>
#include <asm/traps.h>

#include "core/console_cmd.h"
#include "core/panic.h"
#include "core/printk.h"
#include "drivers/arch_timer.h"
#include "kernel/kthread.h"
#include "kernel/oom.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "mm/mm_struct.h"
#include "mm/oom.h"
#include "mm/page_alloc.h"
#include "mm/vmstat.h"


static inline constexpr int ESRCH_ = static_cast<int>(Errno::ESRCH);
static inline constexpr int EINVAL_ = static_cast<int>(Errno::EINVAL);
static inline constexpr int OOM_VICTIM = 1;
static inline constexpr int OOM_VICTIM_SKIP = 2;
static inline constexpr long OOM_REAPER_DELAY = 2 * HZ;
static inline constexpr int MAX_OOM_REAP_RETRIES = 10;

// Linux's oom_lock: one OOM kill at a time. A sleeping lock (the holder prints and walks the
// task list, and other allocators wait for its outcome rather than spin).
static SpinLock oom_lock_state;
static bool oom_lock_held TA_GUARDED(oom_lock_state);
static wait_queue_head oom_lock_wait;

// Bumped (and oom_victims_wait woken) whenever a victim stops holding memory: it exited or was
// reaped. An allocator waiting for a victim sleeps until it changes.
static u64 oom_victims_gen;
static wait_queue_head oom_victims_wait;

static SpinLock oom_reaper_lock;
static task_struct *oom_reaper_list TA_GUARDED(oom_reaper_lock);
static task_struct *oom_reaper_tail TA_GUARDED(oom_reaper_lock);
static bool oom_reaper_busy TA_GUARDED(oom_reaper_lock);
static wait_queue_head oom_reaper_wait;
static wait_queue_head oom_reaper_idle_wait;
static task_struct *oom_reaper_th;

static oom_stats stats;

// Allocation contexts that may sleep: a task (not the idle loop) with preemption and IRQs on.
// GFP_KERNEL from anywhere else is a caller bug; the OOM killer then stays out of it and the
// allocation fails as it did without one.
static bool can_sleep_here()
{
	task_struct *t = current;
	return !(t->flags & PF_IDLE) && t->preempt_count == 0 && !arch_irqs_disabled();
}

// Sleeps (killable, with the task marked as inside the allocator for the reaper) until cond()
// or timeout jiffies passed.
template <typename Cond> static void oom_sleep(wait_queue_head *wq, long timeout, Cond cond)
{
	task_struct *me = current;
	__atomic_store_n(&me->in_oom_wait, true, __ATOMIC_RELEASE);
	wait_queue_entry w;
	while (timeout > 0 && !cond() && !fatal_signal_pending(me)) {
		prepare_to_wait(wq, &w, TASK_KILLABLE);
		if (cond() || fatal_signal_pending(me))
			break;
		timeout = schedule_timeout(timeout);
	}
	finish_wait(wq, &w);
	__atomic_store_n(&me->in_oom_wait, false, __ATOMIC_RELEASE);
}

static bool oom_trylock()
{
	SpinLockGuard g(oom_lock_state);
	if (oom_lock_held)
		return false;
	oom_lock_held = true;
	return true;
}

static bool oom_lock_free()
{
	SpinLockGuard g(oom_lock_state);
	return !oom_lock_held;
}

static void oom_unlock()
{
	{
		SpinLockGuard g(oom_lock_state);
		oom_lock_held = false;
	}
	wake_up(&oom_lock_wait);
}

static u64 victims_gen() { return __atomic_load_n(&oom_victims_gen, __ATOMIC_ACQUIRE); }

static void victim_done()
{
	__atomic_fetch_add(&oom_victims_gen, 1, __ATOMIC_ACQ_REL);
	wake_up(&oom_victims_wait);
}

// A thread of p's process that still has its mm (Linux's find_lock_task_mm); tasklist_lock.
static task_struct *find_task_mm(task_struct *p) TA_REQ(tasklist_lock)
{
	if (p->mm)
		return p;
	list_for_each(pos, &p->signal->thread_head) {
		task_struct *t = list_entry(pos, task_struct, thread_node);
		if (__atomic_load_n(&t->mm, __ATOMIC_ACQUIRE))
			return t;
	}
	return nullptr;
}

static bool is_process_leader(const task_struct *t) { return t->group_leader == t; }

static bool __task_will_free_mem(const task_struct *t)
{
	// A group exit in progress (a fatal signal started it), or a single thread that exits.
	if (__atomic_load_n(&t->signal->flags, __ATOMIC_RELAXED) & SIGNAL_GROUP_EXIT)
		return true;
	return t->signal->nr_threads <= 1 && (t->flags & PF_EXITING);
}

// Linux's task_will_free_mem: t is on its way out with its mm and will give it back by itself.
static bool task_will_free_mem(task_struct *t) TA_REQ(tasklist_lock)
{
	mm_struct *mm = __atomic_load_n(&t->mm, __ATOMIC_ACQUIRE);
	if (!mm || t->signal->oom_victim == OOM_VICTIM_SKIP || !__task_will_free_mem(t))
		return false;
	// Every other process sharing the mm must be exiting too.
	list_for_each(pos, &task_list) {
		task_struct *p = list_entry(pos, task_struct, tasks);
		if (p->signal == t->signal || p->mm != mm)
			continue;
		if (!__task_will_free_mem(p))
			return false;
	}
	return true;
}

static void queue_oom_reaper(task_struct *t) TA_REQ(tasklist_lock);

// Linux's mark_oom_victim: t's process may use the reserves, and is waited for. The reaper
// gets the thread that holds the mm (each thread leaves the queue in exit_oom_victim).
static void mark_oom_victim(task_struct *t) TA_REQ(tasklist_lock)
{
	if (t->signal->oom_victim)
		return;
	__atomic_store_n(&t->signal->oom_victim, OOM_VICTIM, __ATOMIC_RELEASE);
	if (task_struct *m = find_task_mm(t))
		queue_oom_reaper(m);
}

static oom_candidate candidate_of(task_struct *p, task_struct *mmt) TA_REQ(tasklist_lock)
{
	oom_candidate c{};
	c.unkillable = p->flags & PF_KTHREAD;
	c.is_init = p->tgid == 1;
	c.victim = p->signal->oom_victim != 0;
	// A victim stops holding memory once its last exit_mm's mmput is over (exit_oom_victim) or
	// it was reaped: between clearing ->mm and that it is still giving its pages back (Linux's
	// MMF_OOM_SKIP comes at the end of exit_mmap for the same reason).
	c.victim_skip = p->signal->oom_victim == OOM_VICTIM_SKIP;
	c.oom_score_adj = p->signal->oom_score_adj;
	c.has_mm = mmt != nullptr;
	// Linux's in_vfork: a CLONE_VFORK child still on its parent's mm.
	c.in_vfork = mmt && __atomic_load_n(&mmt->vfork_done, __ATOMIC_ACQUIRE) && mmt->real_parent &&
		     mmt->real_parent->mm == mmt->mm;
	if (mmt) {
		mm_struct *mm = mmt->mm;
		c.rss = get_mm_rss(mm);
		c.swapents = 0;
		c.pgtables_bytes = mm->pgtables * PAGE_SIZE;
	}
	return c;
}

// Linux's select_bad_process (for_each_process: thread-group leaders in task-list order), then,
// when nothing else can be chosen, once more with PID 1 allowed. Returns the choice with a
// reference, nullptr for none, or abort=true when a victim is still in flight.
static task_struct *select_bad_process(oom_control *oc, bool *abort)
{
	SpinLockGuard g(tasklist_lock);
	for (int pass = 0; pass < 2; pass++) {
		oom_selection sel;
		sel.init_pass = pass == 1;
		task_struct *chosen = nullptr;
		int idx = 0;
		list_for_each(pos, &task_list) {
			task_struct *p = list_entry(pos, task_struct, tasks);
			if (!is_process_leader(p))
				continue;
			oom_candidate c = candidate_of(p, find_task_mm(p));
			int before = sel.chosen;
			if (oom_evaluate(&sel, c, idx, oc->totalpages)) {
				*abort = true;
				return nullptr;
			}
			if (sel.chosen != before && sel.chosen == idx)
				chosen = p;
			idx++;
		}
		if (chosen) {
			get_task_struct(chosen);
			return chosen;
		}
	}
	return nullptr;
}

static void dump_task(task_struct *p, task_struct *mmt) TA_REQ(tasklist_lock)
{
	mm_struct *mm = mmt->mm;
	pr_info("[%7d] %5d %5d %8lu %8lu %8ld %8lu         %5hd %s\n", mmt->pid, 0, mmt->tgid, mm->total_vm,
		get_mm_rss(mm), static_cast<long>(mm->pgtables * PAGE_SIZE), 0ul,
		static_cast<short>(p->signal->oom_score_adj), mmt->comm);
}

// Linux's dump_tasks: every process with an mm but kernel threads (PID 1 included: this
// kernel may choose it).
static void dump_tasks()
{
	pr_info("Tasks state (memory values in pages):\n");
	pr_info("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name\n");
	SpinLockGuard g(tasklist_lock);
	list_for_each(pos, &task_list) {
		task_struct *p = list_entry(pos, task_struct, tasks);
		if (!is_process_leader(p) || (p->flags & PF_KTHREAD))
			continue;
		if (task_struct *mmt = find_task_mm(p))
			dump_task(p, mmt);
	}
}

// Linux's dump_header: the trigger, the stack, Mem-Info, the tasks and the one-line summary
// (without cpuset and memcg fields: neither exists, as in a kernel built without them).
static void dump_header(const oom_control *oc, task_struct *victim)
{
	char names[160];
	format_gfp_flags(names, sizeof(names), oc->gfp_mask);
	pr_warn("%s invoked oom-killer: gfp_mask=%#x(%s), order=%d, oom_score_adj=%hd\n", current->comm,
		gfp_raw(oc->gfp_mask), names, oc->order, static_cast<short>(current->signal->oom_score_adj));
	dump_stack_print_info(KERN_DEFAULT);
	dump_backtrace(nullptr);
	show_free_areas();
	dump_tasks();
	if (victim)
		pr_info("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),task=%s,pid=%d,uid=0\n", victim->comm,
			victim->pid);
}

// Linux's __oom_kill_process: SIGKILL to the victim's process (and to every other process
// sharing its mm), the reserves, the kill line, the reaper.
static void __oom_kill_process(task_struct *victim, const char *message)
{
	struct snapshot {
		unsigned long total_vm, anon, file, pgtables;
		int adj;
	} s{};
	mm_struct *mm;
	{
		SpinLockGuard g(tasklist_lock);
		task_struct *mmt = find_task_mm(victim);
		if (!mmt) {
			pr_info("%s: OOM victim %d (%s) is already exiting. Skip killing the task\n", message, victim->pid,
				victim->comm);
			return;
		}
		mm = mmt->mm;
		s = {mm->total_vm, static_cast<unsigned long>(mm->rss_stat[MM_ANONPAGES]),
		     static_cast<unsigned long>(mm->rss_stat[MM_FILEPAGES]), mm->pgtables, victim->signal->oom_score_adj};
		// How it ended, for wait4's reporters and the ktest runner (do_exit keeps a set reason).
		kstd::strlcpy(victim->exit.reason, "out of memory", sizeof(victim->exit.reason));
		mark_oom_victim(victim);
	}
	count_vm_event(OOM_KILL);
	__atomic_fetch_add(&stats.kills, 1, __ATOMIC_RELAXED);
	send_sig(SIGKILL, victim, true);
	pr_err("%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB, UID:%u "
	       "pgtables:%lukB oom_score_adj:%hd\n",
	       message, victim->pid, victim->comm, s.total_vm * 4, s.anon * 4, s.file * 4, 0ul, 0u, s.pgtables * 4,
	       static_cast<short>(s.adj));
	// Other processes sharing the mm (CLONE_VM without CLONE_THREAD) die with it, or the memory
	// would not come back. Collected under the lock, signalled outside it.
	task_struct *others[8];
	int n = 0;
	{
		SpinLockGuard g(tasklist_lock);
		list_for_each(pos, &task_list) {
			task_struct *p = list_entry(pos, task_struct, tasks);
			if (p->signal == victim->signal || p->mm != mm || (p->flags & PF_KTHREAD) || n == 8)
				continue;
			get_task_struct(p);
			others[n++] = p;
		}
	}
	for (int i = 0; i < n; i++) {
		send_sig(SIGKILL, others[i], true);
		put_task_struct(others[i]);
	}
}

// Linux's oom_kill_process.
static void oom_kill_process(oom_control *oc, task_struct *victim, const char *message)
{
	{
		SpinLockGuard g(tasklist_lock);
		if (task_will_free_mem(victim)) {
			mark_oom_victim(victim);
			return;
		}
	}
	dump_header(oc, victim);
	__oom_kill_process(victim, message);
}

enum class OomResult { Killed, Wait, Nothing };

// Linux's out_of_memory, under the oom lock.
static OomResult __out_of_memory(oom_control *oc)
{
	task_struct *me = current;
	oc->totalpages = totalram_pages(); // + total_swap_pages: no swap
	oc->constraint = CONSTRAINT_NONE;
	// A task already on its way out with its memory is helped, not joined by another victim.
	{
		SpinLockGuard g(tasklist_lock);
		if (task_will_free_mem(me)) {
			mark_oom_victim(me);
			return OomResult::Killed;
		}
	}
	// Linux does not OOM-kill for requests that cannot do filesystem I/O (its reclaim may just
	// be unable to help them) and has them retry; without reclaim a retry would spin, so such
	// a request fails here.
	if (!gfp_has(oc->gfp_mask, __GFP_FS))
		return OomResult::Nothing;
	bool abort = false;
	task_struct *victim = select_bad_process(oc, &abort);
	if (abort)
		return OomResult::Wait;
	if (!victim) {
		// Linux panics ("System is deadlocked on memory"); here the allocation fails and the
		// kernel carries on (the faulting task is ended by its fault handler).
		dump_header(oc, nullptr);
		pr_warn("Out of memory and no killable processes...\n");
		return OomResult::Nothing;
	}
	oom_kill_process(oc, victim, "Out of memory");
	put_task_struct(victim);
	return OomResult::Killed;
}

static bool out_of_memory(oom_control *oc)
{
	if (!can_sleep_here())
		return false;
	if (!oom_trylock()) {
		// Someone else is choosing a victim: its outcome is progress for us too.
		oom_sleep(&oom_lock_wait, HZ, [] { return oom_lock_free(); });
		return !fatal_signal_pending(current) || current->signal->oom_victim;
	}
	u64 gen = victims_gen();
	OomResult r = __out_of_memory(oc);
	oom_unlock();
	if (r == OomResult::Wait) {
		// A victim still holds its memory: wait until it exits or is reaped (the timeout only
		// bounds how long a lost wake-up could cost).
		__atomic_fetch_add(&stats.waits, 1, __ATOMIC_RELAXED);
		oom_sleep(&oom_victims_wait, HZ, [gen] { return victims_gen() != gen; });
	}
	return r != OomResult::Nothing;
}

// Whether this code runs on the CPU's IRQ stack (an interrupt handler: it is not the
// interrupted task allocating). There is no in_interrupt() count here; the stack tells.
static bool in_irq_handler()
{
	StackRange r = irq_stack_range();
	u64 sp = reinterpret_cast<u64>(__builtin_frame_address(0));
	return r.low < r.high && sp >= r.low && sp < r.high;
}

static bool reserves_allowed_hook()
{
	// Linux's oom_reserves_allowed (tsk_is_oom_victim), not from interrupts.
	task_struct *t = current;
	if ((t->flags & PF_IDLE) || in_irq_handler())
		return false;
	return __atomic_load_n(&t->signal->oom_victim, __ATOMIC_RELAXED) != 0;
}

static const oom_hooks hooks = {reserves_allowed_hook, out_of_memory};

// --- the oom_reaper -----------------------------------------------------------------------------

// The victim thread the reaper works on. The reaper holds no reference: exit_oom_victim (from
// that thread's exit_mm, under tasklist_lock) takes it off the queue or clears this, and the
// task is only touched while it is still here, under the locks exit_oom_victim takes. So
// nothing of the reaper's outlives a victim: its parent reaps it and finds every page and
// slab object back.
static task_struct *oom_reaper_current TA_GUARDED(oom_reaper_lock);

static void queue_oom_reaper(task_struct *t) TA_REQ(tasklist_lock)
{
	{
		SpinLockGuard g(oom_reaper_lock);
		if (t->oom_reaper_queued || oom_reaper_current == t)
			return;
		t->oom_reaper_queued = true;
		t->oom_reaper_list = nullptr;
		if (oom_reaper_tail)
			oom_reaper_tail->oom_reaper_list = t;
		else
			oom_reaper_list = t;
		oom_reaper_tail = t;
	}
	wake_up(&oom_reaper_wait);
}

static void unqueue_oom_reaper(task_struct *t) TA_REQ(oom_reaper_lock)
{
	task_struct *prev = nullptr;
	for (task_struct *q = oom_reaper_list; q; prev = q, q = q->oom_reaper_list) {
		if (q != t)
			continue;
		if (prev)
			prev->oom_reaper_list = q->oom_reaper_list;
		else
			oom_reaper_list = q->oom_reaper_list;
		if (oom_reaper_tail == q)
			oom_reaper_tail = prev;
		break;
	}
	t->oom_reaper_list = nullptr;
	t->oom_reaper_queued = false;
}

static bool reaper_still_on(task_struct *t)
{
	SpinLockGuard g(oom_reaper_lock);
	return oom_reaper_current == t;
}

struct reap_ctx {
	task_struct *victim;
	bool checked, valid, gone;
	unsigned long anon, file;
};

// The tasks that use the victim's mm: its threads, and anyone else with the same mm. The first
// call checks that the victim is still the reaper's (else it may be gone: nothing matches).
// Called with tasklist_lock and the run-queue locks held.
static bool uses_victim_mm(task_struct *t, void *arg) TA_NO_THREAD_SAFETY_ANALYSIS
{
	auto *c = static_cast<reap_ctx *>(arg);
	if (!c->checked) {
		c->checked = true;
		c->valid = reaper_still_on(c->victim);
	}
	if (!c->valid || t->exit_state) // a dead thread no longer uses anything
		return false;
	if (t->signal == c->victim->signal)
		return true;
	task_struct *mmt = find_task_mm(c->victim);
	return mmt && t->mm == mmt->mm;
}

// Runs with the task list and every run queue locked, every user of the mm blocked: nothing
// else can read or change the page tables, and the mm cannot go away.
static bool reap_locked(void *arg) TA_NO_THREAD_SAFETY_ANALYSIS
{
	auto *c = static_cast<reap_ctx *>(arg);
	task_struct *mmt = c->checked && c->valid ? find_task_mm(c->victim) : nullptr;
	if (!mmt) {
		c->gone = true; // exiting by itself: exit_oom_victim does the rest
		return true;
	}
	mm_struct *mm = mmt->mm;
	// Someone asleep with mmap_lock held (a fault or an address-space syscall waiting in the
	// allocator, a writer waiting for readers) is in the middle of changing the mm: not now
	// (Linux's mmap_read_trylock). Nobody can take it meanwhile: its users are all blocked.
	if (mm->mmap_lock.count() != 0)
		return false;
	// A user of the mm asleep inside the allocator is in the middle of a fault or a syscall on
	// it (the only place mm code sleeps): not now.
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (t->mm == mm && __atomic_load_n(&t->in_oom_wait, __ATOMIC_ACQUIRE))
			return false;
	}
	// Linux's __oom_reap_task_mm: the private mappings' pages (shared ones would not come back).
	for (vm_area_struct *v = vma_first(mm); v; v = vma_next(v))
		if (!(v->vm_flags & VM_SHARED))
			zap_page_range(mm, v->vm_start, v->vm_end);
	c->anon = static_cast<unsigned long>(mm->rss_stat[MM_ANONPAGES]);
	c->file = static_cast<unsigned long>(mm->rss_stat[MM_FILEPAGES]);
	// The next OOM may choose someone else (Linux's MMF_OOM_SKIP).
	__atomic_store_n(&c->victim->signal->oom_victim, OOM_VICTIM_SKIP, __ATOMIC_RELEASE);
	return true;
}

// Linux's oom_reap_task: waits for the victim to exit by itself, then reaps it. pid and comm
// were copied while the task was known to be alive.
static void oom_reap_task(task_struct *t, int pid, const char *comm)
{
	wait_event_timeout(oom_victims_wait, !reaper_still_on(t), OOM_REAPER_DELAY);
	for (int attempt = 0; attempt < MAX_OOM_REAP_RETRIES; attempt++) {
		if (!reaper_still_on(t))
			return; // it exited: exit_oom_victim did the rest
		reap_ctx c{t, false, false, false, 0, 0};
		if (call_with_tasks_blocked(uses_victim_mm, reap_locked, &c)) {
			if (c.gone)
				return;
			__atomic_fetch_add(&stats.reaped, 1, __ATOMIC_RELAXED);
			pr_info("oom_reaper: reaped process %d (%s), now anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB\n",
				pid, comm, c.anon * 4, c.file * 4, 0ul);
			victim_done();
			return;
		}
		wait_event_timeout(oom_victims_wait, !reaper_still_on(t), HZ / 10);
	}
	{
		SpinLockGuard g(tasklist_lock);
		SpinLockGuard r(oom_reaper_lock);
		if (oom_reaper_current != t)
			return;
		// Given up on: it no longer holds up the next OOM kill either (MMF_OOM_SKIP).
		__atomic_store_n(&t->signal->oom_victim, OOM_VICTIM_SKIP, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&stats.reap_failed, 1, __ATOMIC_RELAXED);
	pr_info("oom_reaper: unable to reap pid:%d (%s)\n", pid, comm);
	victim_done();
}

static bool reaper_has_work()
{
	SpinLockGuard g(oom_reaper_lock);
	return oom_reaper_list != nullptr;
}

static int oom_reaper(void *)
{
	for (;;) {
		wait_event(oom_reaper_wait, reaper_has_work());
		task_struct *t;
		int pid;
		char comm[sizeof(t->comm)];
		{
			SpinLockGuard g(oom_reaper_lock);
			t = oom_reaper_list;
			unqueue_oom_reaper(t);
			oom_reaper_current = t;
			oom_reaper_busy = true;
			pid = t->pid;
			memcpy(comm, t->comm, sizeof(comm));
		}
		oom_reap_task(t, pid, comm);
		{
			SpinLockGuard g(oom_reaper_lock);
			oom_reaper_current = nullptr;
			oom_reaper_busy = false;
		}
		wake_up(&oom_reaper_idle_wait);
	}
}

static bool reaper_idle()
{
	SpinLockGuard g(oom_reaper_lock);
	return !oom_reaper_list && !oom_reaper_busy;
}

static int parse_int(const char *s, int *out)
{
	long v = 0;
	bool neg = *s == '-';
	if (neg || *s == '+')
		s++;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = static_cast<int>(neg ? -v : v);
	return 0;
}

static int cmd_oom_score_adj(int argc, char **argv)
{
	int pid, adj;
	if ((argc != 2 && argc != 3) || parse_int(argv[1], &pid) || (argc == 3 && parse_int(argv[2], &adj))) {
		console_printf("usage: oom_score_adj PID [VAL]  (VAL: %d..%d)\n", OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX);
		return 1;
	}
	if (argc == 3) {
		int r = oom_set_score_adj(pid, adj);
		if (r)
			console_printf("oom_score_adj: %s\n", r == -ESRCH_ ? "no such process" : "invalid argument");
		return r ? 1 : 0;
	}
	task_struct *t = find_get_task_by_pid(pid);
	if (!t) {
		console_printf("oom_score_adj: no such process\n");
		return 1;
	}
	console_printf("%d\n", __atomic_load_n(&t->signal->oom_score_adj, __ATOMIC_RELAXED));
	put_task_struct(t);
	return 0;
}
CONSOLE_CMD(oom_score_adj_cmd, "oom_score_adj", "oom_score_adj PID [VAL]: read or set a process's oom_score_adj",
	    cmd_oom_score_adj);


void oom_init()
{
	init_waitqueue_head(&oom_lock_wait);
	init_waitqueue_head(&oom_victims_wait);
	init_waitqueue_head(&oom_reaper_wait);
	init_waitqueue_head(&oom_reaper_idle_wait);
	oom_reaper_th = kthread_run(oom_reaper, nullptr, "oom_reaper");
	if (!oom_reaper_th)
		pr_warn("oom_reaper: no memory for the thread; OOM victims are not reaped\n");
	register_oom_hooks(&hooks);
}

void exit_oom_victim(task_struct *t)
{
	{
		SpinLockGuard g(tasklist_lock);
		if (!t->signal->oom_victim)
			return;
		{
			SpinLockGuard r(oom_reaper_lock);
			if (t->oom_reaper_queued)
				unqueue_oom_reaper(t);
			if (oom_reaper_current == t)
				oom_reaper_current = nullptr;
		}
		if (task_struct *m = find_task_mm(t))
			queue_oom_reaper(m); // other threads still hold the mm
		else
			__atomic_store_n(&t->signal->oom_victim, OOM_VICTIM_SKIP, __ATOMIC_RELEASE);
	}
	victim_done(); // allocators waiting for a victim retry; the reaper lets go of t
}

bool pagefault_out_of_memory()
{
	return fatal_signal_pending(current);
}

int oom_set_score_adj(int pid, int adj)
{
	if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX)
		return -EINVAL_;
	task_struct *t = find_get_task_by_pid(pid);
	if (!t)
		return -ESRCH_;
	// Per process, as Linux's (every thread shares signal_struct).
	__atomic_store_n(&t->signal->oom_score_adj, adj, __ATOMIC_RELAXED);
	put_task_struct(t);
	return 0;
}

oom_stats oom_get_stats()
{
	oom_stats s;
	s.kills = __atomic_load_n(&stats.kills, __ATOMIC_RELAXED);
	s.reaped = __atomic_load_n(&stats.reaped, __ATOMIC_RELAXED);
	s.reap_failed = __atomic_load_n(&stats.reap_failed, __ATOMIC_RELAXED);
	s.waits = __atomic_load_n(&stats.waits, __ATOMIC_RELAXED);
	return s;
}

void oom_reaper_wait_idle() { wait_event(oom_reaper_idle_wait, reaper_idle()); }

unsigned long oom_score_of(task_struct *p)
{
	unsigned long totalpages = totalram_pages();
	oom_candidate c;
	{
		SpinLockGuard g(tasklist_lock);
		// The thread's alloc_lock keeps its mm from going while it is read (exit_mm clears
		// ->mm under it before the mmput): a reader of /proc may race with the exit.
		task_struct *mmt = find_task_mm(p);
		if (mmt) {
			SpinLockGuard a(mmt->alloc_lock);
			c = candidate_of(p, mmt->mm ? mmt : nullptr);
		} else {
			c = candidate_of(p, nullptr);
		}
	}
	// Linux's oom_badness gives LONG_MIN to oom_unkillable_task (init, kernel threads) too.
	if (c.unkillable || c.is_init || !c.has_mm)
		return 0;
	long badness = oom_badness_points(c, totalpages);
	if (badness == OOM_POINTS_MIN)
		return 0;
	long points = (1000 + badness * 1000 / static_cast<long>(totalpages)) * 2 / 3;
	return points < 0 ? 0 : static_cast<unsigned long>(points);
}
