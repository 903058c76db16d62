// The scheduler core (Linux's kernel/sched/core.c): per-CPU run queues, schedule(), wake-ups,
// the tick, preemption and the idle loop; tasks' creation and end. See kernel/sched.h for the
// model and kernel/sched_fair.h for the policy.
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/fork.h"
#include "fs/proc/proc_fs.h"

#include <asm/arch_timer.h>
#include <asm/irqflags.h>
#include <asm/memory.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>
#include <asm/traps.h>
#include <asm/uaccess.h>

#include "core/fault_inject.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/thread_annotations.h"
#include "kernel/task_stack.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "mm/mm_struct.h"
#include "mm/slab.h"
#include "mm/vmstat.h"

extern "C" {
// arch/arm64/switch.S. Saves prev's callee-saved registers and SP into prev->thread, loads
// next's, makes next current (SP_EL0) and returns prev on next's stack.
task_struct *cpu_switch_to(task_struct *prev, task_struct *next);
// Where a new task starts: schedule_tail, then x19(x20) when x19 is set, then ret_to_user.
void ret_from_fork();
// The task an exception from EL0 makes current (entry.S reads it by TPIDR_EL1).
task_struct *__entry_task[NR_CPUS];
}

// The task list (ps, the OOM killer) and parent/child links (task_struct's parent, children
// and sibling are under it too; clang cannot name a lock for fields of another struct).
SpinLock tasklist_lock;
list_head task_list TA_GUARDED(tasklist_lock) = LIST_HEAD_INIT(task_list);

namespace {

struct rq {
	// Guards everything below and the __state/on_rq of the tasks on this rq. Always taken with
	// IRQs off (the tick and wake-ups from interrupts take it).
	SpinLock lock;
	sched::CfsRq cfs TA_GUARDED(lock);
	task_struct *curr = nullptr; // written under lock; read locklessly by this CPU's tick
	task_struct *idle = nullptr;
	u64 clock TA_GUARDED(lock) = 0; // ns, from the counter
	u64 nr_switches TA_GUARDED(lock) = 0;
	unsigned cpu = 0;
};

rq runqueues[NR_CPUS];
rq *cpu_rq(unsigned cpu) { return &runqueues[cpu]; }
rq *this_rq() { return cpu_rq(smp_processor_id()); }

// The boot context of CPU 0, which becomes its idle task (Linux's init_task, pid 0).
task_struct init_task;

int last_pid;
unsigned long tasks_alive TA_GUARDED(tasklist_lock);

kmem_cache *task_struct_cachep;

// Whose FP/SIMD state each CPU's registers hold (Linux's fpsimd_last_state).
task_struct *fpsimd_last_state[NR_CPUS];

u64 sched_clock()
{
	// Counter ticks to ns, split so that nothing overflows for any counter value (the
	// remainder times 1e9 stays below 2^64 for counter frequencies up to 18 GHz).
	static u64 freq;
	if (!freq)
		freq = arch_timer_get_cntfrq();
	u64 c = arch_counter_get_cntpct();
	return (c / freq) * 1000000000u + (c % freq) * 1000000000u / freq;
}

void update_rq_clock(rq *r) TA_REQ(r->lock)
{
	u64 now = sched_clock();
	if (static_cast<i64>(now - r->clock) > 0)
		r->clock = now;
}

bool is_idle(const task_struct *t) { return t->flags & PF_IDLE; }
bool is_user_task(const task_struct *t) { return !(t->flags & PF_KTHREAD); }

void resched_curr(rq *r) { set_tsk_need_resched(r->curr); }

// FP/SIMD and thread pointers belong to user tasks only: the kernel never touches them
// (-mgeneral-regs-only), so a kernel thread in between leaves the registers as they were.
void fpsimd_thread_switch(task_struct *prev, task_struct *next, unsigned cpu)
{
	if (is_user_task(prev) && !is_idle(prev)) {
		fpsimd_save_state(&prev->thread.uw_fpsimd);
		prev->thread.tp_value = read_sysreg(tpidr_el0);
		prev->thread.tp2_value = read_sysreg(tpidrro_el0);
		prev->thread.fpsimd_cpu = cpu;
		fpsimd_last_state[cpu] = prev;
	}
	if (is_user_task(next) && !is_idle(next)) {
		if (fpsimd_last_state[cpu] != next || next->thread.fpsimd_cpu != cpu)
			fpsimd_load_state(&next->thread.uw_fpsimd);
		write_sysreg(next->thread.tp_value, tpidr_el0);
		write_sysreg(next->thread.tp2_value, tpidrro_el0);
	}
}

void release_task_stack(task_struct *t)
{
	if (t->stack && t != &init_task) {
		free_thread_stack(t->stack);
		t->stack = nullptr;
	}
}

// Runs on next's stack right after the switch, with the rq lock still held by the switch.
// The lock was taken in the __schedule frame of whichever task switched to us (or by the
// switch that started a new task): a hand-over the analysis cannot follow, so it is off here
// (Linux annotates the same hand-over with __releases(rq->lock)).
void finish_task_switch(task_struct *prev) TA_NO_THREAD_SAFETY_ANALYSIS
{
	rq *r = this_rq();
	unsigned state = __atomic_load_n(&prev->__state, __ATOMIC_RELAXED);
	r->lock.unlock();
	if (state == TASK_DEAD) {
		// prev will never run again and nothing runs on its stack any more. The stack goes
		// before on_cpu clears: a reaper waits for on_cpu == 0 and may drop the last reference.
		release_task_stack(prev);
		__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
		put_task_struct(prev);
	} else {
		__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
	}
}

// Releases r->lock (in finish_task_switch, once running as next or back as prev): callers see
// the release; inside, the hand-over across cpu_switch_to is beyond the analysis.
void context_switch(rq *r, task_struct *prev, task_struct *next) TA_REL(r->lock) TA_NO_THREAD_SAFETY_ANALYSIS
{
	// Address space: user tasks run on their own page tables and ASID; kernel threads (and
	// the idle task) on the empty reserved table, so they never see user mappings.
	if (next->mm) {
		if (next->mm != prev->mm)
			check_and_switch_context(next->mm);
	} else if (prev->mm) {
		switch_to_kernel_context();
	}
	fpsimd_thread_switch(prev, next, r->cpu);
	__entry_task[r->cpu] = next;
	next->cpu = r->cpu;
	next->on_cpu = 1;
	task_struct *last = cpu_switch_to(prev, next);
	// Back in prev (which may be any CPU's task by now): finish the switch that brought us here.
	finish_task_switch(last);
}

// Called with preemption disabled (the caller raised preempt_count).
void __schedule(bool preempt)
{
	task_struct *prev = current;
	irqflags_t f = arch_local_irq_save();
	rq *r = this_rq();
	r->lock.lock();
	update_rq_clock(r);
	unsigned state = __atomic_load_n(&prev->__state, __ATOMIC_RELAXED);
	// Linux's accounting: a switch because the task sleeps is voluntary, any other (the tick,
	// a wake-up's preemption, sched_yield) involuntary.
	unsigned long *switch_count = &prev->nivcsw;
	if (!preempt && state != TASK_RUNNING && !is_idle(prev)) {
		r->cfs.dequeue(&prev->se);
		switch_count = &prev->nvcsw;
	}
	sched::sched_entity *se = r->cfs.pick_next(is_idle(prev) ? nullptr : &prev->se, r->clock);
	task_struct *next = se ? reinterpret_cast<task_struct *>(reinterpret_cast<char *>(se) -
							       __builtin_offsetof(task_struct, se))
			       : r->idle;
	clear_tsk_need_resched(prev);
	if (next != prev) {
		r->curr = next;
		r->nr_switches++;
		++*switch_count;
		context_switch(r, prev, next);
	} else {
		r->lock.unlock();
	}
	arch_local_irq_restore(f);
}

} // namespace

void set_comm(task_struct *t, const char *name)
{
	usize i = 0;
	for (; name[i] && i < sizeof(t->comm) - 1; i++)
		t->comm[i] = name[i];
	t->comm[i] = 0;
}

// --- need_resched ---------------------------------------------------------------------------------

void set_tsk_need_resched(task_struct *t) { __atomic_fetch_or(&t->ti_flags, 1ul << TIF_NEED_RESCHED, __ATOMIC_RELAXED); }
void clear_tsk_need_resched(task_struct *t) { __atomic_fetch_and(&t->ti_flags, ~(1ul << TIF_NEED_RESCHED), __ATOMIC_RELAXED); }

// --- scheduling -----------------------------------------------------------------------------------

void schedule()
{
	task_struct *t = current;
	if (__builtin_expect(t->preempt_count != 0, 0) || (arch_irqs_disabled() && !is_idle(t))) {
		// Linux's "BUG: scheduling while atomic": sleeping here would deadlock on whatever
		// the caller holds. Report (with one WARN backtrace per boot) and refuse.
		pr_err("BUG: scheduling while atomic: %s/%d/0x%08x, IRQs %s\n", t->comm, t->pid, t->preempt_count,
		       arch_irqs_disabled() ? "off" : "on");
		WARN_ON_ONCE(true);
		__atomic_store_n(&t->__state, TASK_RUNNING, __ATOMIC_RELAXED);
		return;
	}
	t->preempt_count++;
	__schedule(false);
	t->preempt_count--;
}

void preempt_schedule()
{
	task_struct *t = current;
	if (t->preempt_count || arch_irqs_disabled())
		return;
	do {
		t->preempt_count++;
		__schedule(true);
		t->preempt_count--;
	} while (need_resched());
}

void preempt_schedule_irq()
{
	task_struct *t = current;
	// From do_el1_irq with IRQs masked; the interrupted code had them on and preempt_count 0.
	do {
		t->preempt_count++;
		arch_local_irq_enable();
		__schedule(true);
		arch_local_irq_disable();
		t->preempt_count--;
	} while (need_resched());
}

extern "C" void schedule_tail(task_struct *prev)
{
	finish_task_switch(prev);
	// A new task starts with IRQs on and preemption enabled (create_task set its count to 1
	// for the switch that brought it here).
	arch_local_irq_enable();
	current->preempt_count--;
	// CLONE_CHILD_SETTID: the child stores its tid in its own memory (Linux's schedule_tail).
	if (u64 tidptr = current->set_child_tid) {
		int tid = current->pid;
		(void)copy_to_user(reinterpret_cast<void *>(tidptr), &tid, sizeof(tid));
	}
}

// Return to EL0 with IRQs masked: reschedule while needed (Linux's exit_to_user_mode_loop).
// Return to EL0 with IRQs masked: reschedule while needed and deliver pending signals
// (Linux's exit_to_user_mode_loop).
extern "C" void exit_to_user_mode(pt_regs *regs)
{
	for (;;) {
		unsigned long flags = __atomic_load_n(&current->ti_flags, __ATOMIC_ACQUIRE);
		if (!(flags & _TIF_WORK_MASK))
			return;
		arch_local_irq_enable();
		if (flags & (1ul << TIF_NEED_RESCHED))
			schedule();
		if (flags & (1ul << TIF_SIGPENDING))
			do_signal(regs);
		__atomic_fetch_and(&current->ti_flags, ~(1ul << TIF_NOTIFY_RESUME), __ATOMIC_RELAXED);
		arch_local_irq_disable();
	}
}

bool try_to_wake_up(task_struct *p, unsigned state)
{
	irqflags_t f = arch_local_irq_save();
	rq *r = cpu_rq(p->cpu);
	r->lock.lock();
	bool woken = false;
	if (__atomic_load_n(&p->__state, __ATOMIC_RELAXED) & state) {
		__atomic_store_n(&p->__state, TASK_RUNNING, __ATOMIC_RELAXED);
		woken = true;
		if (!p->se.on_rq) {
			update_rq_clock(r);
			r->cfs.update_curr(r->clock);
			r->cfs.enqueue(&p->se, sched::CfsRq::Enqueue::Wakeup);
			if (is_idle(r->curr) || r->cfs.check_preempt_wakeup(&p->se))
				resched_curr(r);
		}
	}
	r->lock.unlock();
	arch_local_irq_restore(f);
	return woken;
}

void wake_up_new_task(task_struct *p)
{
	irqflags_t f = arch_local_irq_save();
	rq *r = cpu_rq(p->cpu);
	r->lock.lock();
	update_rq_clock(r);
	r->cfs.update_curr(r->clock);
	__atomic_store_n(&p->__state, TASK_RUNNING, __ATOMIC_RELAXED);
	r->cfs.enqueue(&p->se, sched::CfsRq::Enqueue::New);
	if (is_idle(r->curr) || r->cfs.check_preempt_wakeup(&p->se))
		resched_curr(r);
	r->lock.unlock();
	arch_local_irq_restore(f);
}

void yield()
{
	{
		irqflags_t f = arch_local_irq_save();
		rq *r = this_rq();
		r->lock.lock();
		update_rq_clock(r);
		r->cfs.update_curr(r->clock);
		if (!is_idle(current))
			r->cfs.yield_curr();
		r->lock.unlock();
		arch_local_irq_restore(f);
	}
	schedule();
}

void scheduler_tick()
{
	rq *r = this_rq();
	if (!r->curr)
		return; // before sched_init_early
	r->lock.lock(); // IRQ context: IRQs are already masked
	update_rq_clock(r);
	// Tick-based cputime (Linux without VIRT_CPU_ACCOUNTING): the whole tick goes to where the
	// interrupted task was.
	task_struct *c = r->curr;
	if (!is_idle(c)) {
		constexpr u64 TICK_NSEC = 1000000000ull / 100;
		if (c->tick_from_user)
			c->utime_ns += TICK_NSEC;
		else
			c->stime_ns += TICK_NSEC;
	}
	if (is_idle(r->curr)) {
		if (r->cfs.nr_running())
			resched_curr(r);
	} else if (r->cfs.check_preempt_tick(r->clock)) {
		resched_curr(r);
	}
	r->lock.unlock();
}

void set_user_nice(task_struct *p, int nice)
{
	if (nice < sched::MIN_NICE)
		nice = sched::MIN_NICE;
	if (nice > sched::MAX_NICE)
		nice = sched::MAX_NICE;
	irqflags_t f = arch_local_irq_save();
	rq *r = cpu_rq(p->cpu);
	r->lock.lock();
	bool queued = p->se.on_rq;
	update_rq_clock(r);
	r->cfs.update_curr(r->clock);
	// Reweighting a queued entity changes the run queue's load: take it out and put it back.
	if (queued)
		r->cfs.dequeue(&p->se);
	p->nice = nice;
	p->se.weight = sched::nice_to_weight(nice);
	if (queued)
		r->cfs.enqueue(&p->se, sched::CfsRq::Enqueue::Requeue);
	if (queued && r->curr != p)
		resched_curr(r);
	r->lock.unlock();
	arch_local_irq_restore(f);
}

void fpsimd_preserve_current_state()
{
	task_struct *t = current;
	if (!is_user_task(t) || is_idle(t))
		return;
	irqflags_t f = arch_local_irq_save(); // no switch between the save and the bookkeeping
	fpsimd_save_state(&t->thread.uw_fpsimd);
	t->thread.tp_value = read_sysreg(tpidr_el0);
	t->thread.tp2_value = read_sysreg(tpidrro_el0);
	unsigned cpu = smp_processor_id();
	t->thread.fpsimd_cpu = cpu;
	fpsimd_last_state[cpu] = t;
	arch_local_irq_restore(f);
}

void fpsimd_flush_thread()
{
	task_struct *t = current;
	irqflags_t f = arch_local_irq_save(); // no switch between the load and the bookkeeping
	memset(&t->thread.uw_fpsimd, 0, sizeof(t->thread.uw_fpsimd));
	t->thread.tp_value = t->thread.tp2_value = 0;
	fpsimd_load_state(&t->thread.uw_fpsimd);
	write_sysreg(0ul, tpidr_el0);
	write_sysreg(0ul, tpidrro_el0);
	unsigned cpu = smp_processor_id();
	t->thread.fpsimd_cpu = cpu;
	fpsimd_last_state[cpu] = t;
	arch_local_irq_restore(f);
}

// --- tasks ------------------------------------------------------------------------------------------

pt_regs *task_pt_regs(task_struct *t)
{
	return reinterpret_cast<pt_regs *>(static_cast<char *>(t->stack) + THREAD_SIZE - sizeof(pt_regs));
}

// A zeroed task_struct with its kernel stack (nullptr: no memory, nothing kept).
static task_struct *new_task_struct()
{
	void *mem = kmem_cache_alloc(task_struct_cachep, GFP_KERNEL);
	if (!mem)
		return nullptr;
	void *stack = alloc_thread_stack(GFP_KERNEL);
	if (!stack) {
		kmem_cache_free(task_struct_cachep, mem);
		return nullptr;
	}
	auto *t = new (mem) task_struct{};
	t->stack = stack;
	return t;
}

task_struct *alloc_task(const char *name, int (*fn)(void *), void *arg, unsigned flags)
{
	task_struct *t = new_task_struct();
	if (!t)
		return nullptr;
	t->__state = TASK_NEW;
	t->flags = flags;
	// The scheduler's reference (dropped after the last switch away from the dead task) and the
	// parent's (dropped when it reaps the zombie, or by kthread_stop).
	t->usage = 2;
	set_comm(t, name);
	t->se.weight = sched::nice_to_weight(0);
	t->cpus_allowed = ~0ul >> (64 - NR_CPUS);
	t->thread.fpsimd_cpu = NR_CPUS;
	// One for the switch that first runs it; schedule_tail drops it.
	t->preempt_count = 1;
	t->cpu = smp_processor_id();
	t->start_counter = arch_counter_get_cntpct();
	INIT_LIST_HEAD(&t->children);
	INIT_LIST_HEAD(&t->sibling);
	INIT_LIST_HEAD(&t->tasks);
	INIT_LIST_HEAD(&t->thread_node);
	init_sigpending(&t->pending);
	t->exit_signal = SIGCHLD;

	pt_regs *regs = task_pt_regs(t);
	memset(regs, 0, sizeof(*regs));
	cpu_context &c = t->thread.cpu_context;
	c.x19_x28[0] = reinterpret_cast<u64>(fn);
	c.x19_x28[1] = reinterpret_cast<u64>(arg);
	c.fp = 0; // backtraces end at the new task's first frame
	c.sp = reinterpret_cast<u64>(regs);
	c.pc = reinterpret_cast<u64>(&ret_from_fork);
	return t;
}

void free_unlinked_task(task_struct *t)
{
	release_task_stack(t);
	flush_sigqueue(&t->pending);
	if (t->sighand)
		put_sighand(t->sighand);
	if (t->signal)
		put_signal_struct(t->signal);
	t->~task_struct();
	kmem_cache_free(task_struct_cachep, t);
}

void task_list_add(task_struct *t) TA_REQ(tasklist_lock)
{
	list_add_tail(&t->tasks, &task_list);
	tasks_alive++;
	proc_task_linked(t); // /proc/stat's processes, /proc/loadavg's last pid
}

// Linux's pid allocator without the idr: the next free number above the last one, wrapping
// from pid_max back to RESERVED_PIDS; a number is in use while a task, a thread group, a
// process group or a session has it.
static constexpr int PID_MAX = 32768, RESERVED_PIDS = 300;

static bool pid_in_use(int nr) TA_REQ(tasklist_lock)
{
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (t->pid == nr || t->tgid == nr || (t->signal && (t->signal->pgrp == nr || t->signal->session == nr)))
			return true;
	}
	return false;
}

int alloc_pid_locked() TA_REQ(tasklist_lock)
{
	for (int tries = 0; tries < PID_MAX; tries++) {
		int nr = last_pid + 1;
		if (nr >= PID_MAX)
			nr = RESERVED_PIDS;
		last_pid = nr;
		if (!pid_in_use(nr))
			return nr;
	}
	return -1; // every pid taken: EAGAIN
}

task_struct *create_task(const char *name, int (*fn)(void *), void *arg, unsigned flags)
{
	task_struct *t = alloc_task(name, fn, arg, flags);
	if (!t)
		return nullptr;
	// Its own process (thread group) with default signal actions.
	t->signal = alloc_signal_struct();
	t->sighand = alloc_sighand(nullptr);
	if (!t->signal || !t->sighand) {
		free_unlinked_task(t);
		return nullptr;
	}
	t->group_leader = t;
	t->signal->nr_threads = 1;
	t->signal->live = 1;
	task_struct *creator = current;
	t->signal->pgrp = creator->signal->pgrp;
	t->signal->session = creator->signal->session;
	t->signal->oom_score_adj = creator->signal->oom_score_adj;
	t->signal->rlim_nproc = creator->signal->rlim_nproc;
	t->signal->rlim_nproc_max = creator->signal->rlim_nproc_max;
	t->signal->rlim_nofile = creator->signal->rlim_nofile;
	t->signal->rlim_nofile_max = creator->signal->rlim_nofile_max;

	task_struct *parent = current;
	int pid;
	{
		SpinLockGuard g(tasklist_lock);
		pid = alloc_pid_locked();
		if (pid > 0) {
			t->pid = t->tgid = pid;
			list_add_tail(&t->thread_node, &t->signal->thread_head);
			t->parent = t->real_parent = parent;
			list_add_tail(&t->sibling, &parent->children);
			task_list_add(t);
		}
	}
	if (pid < 0) {
		free_unlinked_task(t);
		return nullptr;
	}
	return t;
}

void get_task_struct(task_struct *t) { __atomic_fetch_add(&t->usage, 1, __ATOMIC_RELAXED); }

void put_task_struct(task_struct *t)
{
	if (__atomic_sub_fetch(&t->usage, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	BUG_ON(t == &init_task);
	{
		SpinLockGuard g(tasklist_lock);
		if (!list_empty(&t->tasks))
			list_del_init(&t->tasks);
		if (!list_empty(&t->sibling))
			list_del_init(&t->sibling);
		tasks_alive--;
	}
	release_task_stack(t); // a task that never ran still has its stack
	flush_sigqueue(&t->pending);
	put_sighand(t->sighand);
	put_signal_struct(t->signal);
	t->~task_struct();
	kmem_cache_free(task_struct_cachep, t);
}

void do_dead_task_schedule()
{
	task_struct *t = current;
	__atomic_store_n(&t->__state, TASK_DEAD, __ATOMIC_RELAXED);
	__schedule(false);
	BUG_ON(true); // a dead task was scheduled again
	for (;;)
		;
}

task_struct *find_get_task_by_pid(int pid)
{
	SpinLockGuard g(tasklist_lock);
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (t->pid == pid && t->exit_state == 0) {
			get_task_struct(t);
			return t;
		}
	}
	return nullptr;
}

int task_ppid(task_struct *t)
{
	SpinLockGuard g(tasklist_lock);
	return t->parent ? t->parent->tgid : 0;
}

unsigned long nr_tasks_alive()
{
	SpinLockGuard g(tasklist_lock);
	return tasks_alive;
}

void for_each_task(void (*fn)(task_struct *t, void *arg), void *arg)
{
	SpinLockGuard g(tasklist_lock);
	list_for_each(pos, &task_list)
		fn(list_entry(pos, task_struct, tasks), arg);
}

char task_state_char(const task_struct *t)
{
	if (t->exit_state == EXIT_ZOMBIE)
		return 'Z';
	if (t->exit_state == EXIT_DEAD)
		return 'X';
	unsigned s = __atomic_load_n(&t->__state, __ATOMIC_RELAXED);
	if (s == TASK_RUNNING)
		return 'R';
	if (s & TASK_INTERRUPTIBLE)
		return 'S';
	if (s & TASK_UNINTERRUPTIBLE)
		return (t->flags & PF_KTHREAD) ? 'I' : 'D';
	return '?';
}

rq_stats rq_get_stats(unsigned cpu)
{
	rq *r = cpu_rq(cpu);
	irqflags_t f = arch_local_irq_save();
	r->lock.lock();
	rq_stats s{r->cfs.nr_running(), r->nr_switches, r->clock, r->cfs.check()};
	r->lock.unlock();
	arch_local_irq_restore(f);
	return s;
}

// --- boot -------------------------------------------------------------------------------------------

void sched_init_early()
{
	task_struct *t = &init_task;
	t->usage = 1;
	t->pid = 0;
	t->flags = PF_KTHREAD | PF_IDLE;
	t->__state = TASK_RUNNING;
	t->stack = reinterpret_cast<void *>(init_stack);
	t->thread.fpsimd_cpu = NR_CPUS;
	t->cpus_allowed = 1;
	set_comm(t, "swapper/0");
	INIT_LIST_HEAD(&t->children);
	INIT_LIST_HEAD(&t->sibling);
	INIT_LIST_HEAD(&t->tasks);
	INIT_LIST_HEAD(&t->thread_node);
	init_sigpending(&t->pending);
	t->signal = &init_signals;
	t->sighand = &init_sighand;
	init_sigpending(&init_signals.shared_pending);
	INIT_LIST_HEAD(&init_signals.thread_head);
	t->group_leader = t;
	write_sysreg(reinterpret_cast<u64>(t), sp_el0);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		runqueues[cpu].cpu = cpu;
	t->on_cpu = 1;
	rq *r = cpu_rq(0);
	r->curr = r->idle = t;
	__entry_task[0] = t;
}

task_struct *idle_task_create(unsigned cpu)
{
	if (cpu == 0 || cpu >= NR_CPUS)
		return nullptr;
	rq *r = cpu_rq(cpu);
	if (r->idle)
		return r->idle; // a second bring-up (hotplug later) reuses it
	task_struct *t = new_task_struct();
	if (!t)
		return nullptr;
	t->usage = 1;
	t->pid = 0;
	t->flags = PF_KTHREAD | PF_IDLE;
	t->__state = TASK_RUNNING;
	t->thread.fpsimd_cpu = NR_CPUS;
	t->cpus_allowed = 1ul << cpu;
	t->cpu = cpu;
	t->on_cpu = 1;
	char name[16] = "swapper/";
	name[8] = static_cast<char>('0' + cpu); // NR_CPUS <= 10
	name[9] = 0;
	static_assert(NR_CPUS <= 10);
	set_comm(t, name);
	INIT_LIST_HEAD(&t->children);
	INIT_LIST_HEAD(&t->sibling);
	INIT_LIST_HEAD(&t->tasks);
	INIT_LIST_HEAD(&t->thread_node);
	init_sigpending(&t->pending);
	// Shares the boot idle task's (static) signal state, as Linux's idle threads share
	// init_task's: they never take signals and never exit.
	t->signal = &init_signals;
	t->sighand = &init_sighand;
	t->group_leader = t;
	t->start_counter = arch_counter_get_cntpct();
	{
		irqflags_t f = arch_local_irq_save();
		r->lock.lock();
		r->curr = r->idle = t;
		r->lock.unlock();
		arch_local_irq_restore(f);
	}
	__entry_task[cpu] = t;
	return t;
}

task_struct *idle_task(unsigned cpu) { return cpu < NR_CPUS ? cpu_rq(cpu)->idle : nullptr; }

void sched_init()
{
	task_struct_cachep = kmem_cache_create("task_struct", sizeof(task_struct), alignof(task_struct),
					       SLAB_PANIC, nullptr);
	signals_init();
	fork_init();
	pr_info("sched: CFS run queue per CPU, HZ tick preemption, %zu-byte task_struct\n", sizeof(task_struct));
}

void cpu_startup_entry()
{
	task_struct *idle = current;
	BUG_ON(!is_idle(idle));
	for (;;) {
		// wfi with IRQs masked still wakes on a pending interrupt; unmasking then takes it.
		// Checking need_resched with IRQs masked closes the window where a wake-up's IRQ
		// arrives between the check and the wfi (Linux's cpu_idle_poll/default_idle_call).
		while (!need_resched()) {
			// Going idle folds this CPU's pending counter deltas (Linux's quiet_vmstat).
			refresh_cpu_vm_stats();
			arch_local_irq_disable();
			if (!need_resched())
				asm volatile("wfi" ::: "memory");
			arch_local_irq_enable();
		}
		idle->preempt_count++;
		__schedule(false);
		idle->preempt_count--;
	}
}

// fail-nth belongs to the task, and only task context counts (Linux's in_task()): not the idle
// task, not an interrupt handler running on the IRQ stack.
int *current_fail_nth()
{
	task_struct *t = current;
	if (!t || is_idle(t))
		return nullptr;
	u64 sp = reinterpret_cast<u64>(__builtin_frame_address(0));
	StackRange irq = irq_stack_range();
	if (irq.low && sp >= irq.low && sp < irq.high)
		return nullptr;
	return &t->fail_nth;
}

// Lock order: tasklist_lock, then the run queues in CPU order (do_task_exit takes
// tasklist_lock and wakes under it, so the run-queue locks nest inside it). Every rq lock is
// held, not only the victims' rq: a wake-up on any CPU takes the target's rq lock, and a task
// is only on one, but holding all of them keeps this correct without knowing where each task
// sits when migration exists. The locks are taken in a loop the analysis cannot follow.
bool call_with_tasks_blocked(bool (*match)(task_struct *t, void *arg), bool (*fn)(void *arg), void *arg)
	TA_NO_THREAD_SAFETY_ANALYSIS
{
	SpinLockGuard g(tasklist_lock);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		runqueues[cpu].lock.lock();
	bool blocked = true;
	list_for_each(pos, &task_list) {
		task_struct *t = list_entry(pos, task_struct, tasks);
		if (!match(t, arg))
			continue;
		unsigned state = __atomic_load_n(&t->__state, __ATOMIC_RELAXED);
		if (!(state & TASK_NORMAL) || t->se.on_rq || __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
			blocked = false;
			break;
		}
	}
	bool r = blocked && fn(arg);
	for (unsigned cpu = NR_CPUS; cpu-- > 0;)
		runqueues[cpu].lock.unlock();
	return r;
}
