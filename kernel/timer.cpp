// Tick-driven timers and timed sleeps (Linux's kernel/time/timer.c, without the wheel): see
// kernel/wait.h. Each CPU keeps its pending timers in a list sorted by expiry; the tick pops
// the expired ones. Sorted insertion is O(n), which is fine for the handful of sleepers a
// small system has; the wheel can replace the list without changing the interface.
#include "core/tick.h"
#include "drivers/arch_timer.h"
#include "kernel/irq.h"
#include "kernel/printk_internal.h"
#include "kernel/wait.h"
#include "fs/proc/proc_fs.h"

namespace {

struct timer_base {
	SpinLock lock;
	list_head pending TA_GUARDED(lock) = LIST_HEAD_INIT(pending);
	// The timer whose function this CPU's tick is calling right now (Linux's
	// base->running_timer): del_timer_sync waits for it to return.
	timer_list *running TA_GUARDED(lock) = nullptr;
};
timer_base timer_bases[NR_CPUS];

} // namespace

void add_timer(timer_list *t)
{
	// A pending timer sits on the list of the CPU that added it, under that CPU's lock.
	del_timer(t);
	unsigned cpu = smp_processor_id();
	timer_base &b = timer_bases[cpu];
	SpinLockGuard g(b.lock);
	t->cpu = cpu;
	t->pending = true;
	list_head *pos = b.pending.next;
	// Expiry order, FIFO among equals: the first pending timer is always the next to fire.
	while (pos != &b.pending && static_cast<i64>(list_entry(pos, timer_list, entry)->expires - t->expires) <= 0)
		pos = pos->next;
	__list_add(&t->entry, pos->prev, pos);
}

bool del_timer(timer_list *t)
{
	timer_base &b = timer_bases[t->cpu];
	SpinLockGuard g(b.lock);
	if (!t->pending)
		return false;
	list_del_init(&t->entry);
	t->pending = false;
	return true;
}

void run_local_timers(u64 now)
{
	timer_base &b = timer_bases[smp_processor_id()];
	for (;;) {
		timer_list *t;
		{
			SpinLockGuard g(b.lock);
			if (list_empty(&b.pending))
				return;
			t = list_first_entry(&b.pending, timer_list, entry);
			if (static_cast<i64>(t->expires - now) > 0)
				return;
			list_del_init(&t->entry);
			t->pending = false;
			b.running = t;
		}
		// Unlocked, as Linux's call_timer_fn: the function may re-arm its timer.
		t->function(t);
		SpinLockGuard g(b.lock);
		b.running = nullptr;
	}
}

bool del_timer_sync(timer_list *t)
{
	for (;;) {
		bool was_pending = del_timer(t);
		timer_base &b = timer_bases[__atomic_load_n(&t->cpu, __ATOMIC_RELAXED)];
		{
			SpinLockGuard g(b.lock);
			if (b.running != t)
				return was_pending;
		}
		cpu_relax(); // its function runs on another CPU's tick right now
	}
}

bool tick_ready() { return arch_timer_info().virq != 0 && irq_controller_ready(); }

void update_process_times(u64 jiffies)
{
	run_local_timers(jiffies);
	scheduler_tick();
	proc_account_tick(); // /proc/stat cputime and the load average
	printk_tick();
}

namespace {

struct process_timer {
	timer_list timer;
	task_struct *task;
};

void process_timeout(timer_list *t)
{
	auto *pt = reinterpret_cast<process_timer *>(reinterpret_cast<char *>(t) - __builtin_offsetof(process_timer, timer));
	wake_up_process(pt->task);
}

} // namespace

long schedule_timeout(long timeout)
{
	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		schedule();
		return timeout;
	}
	if (timeout < 0) {
		__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
		return 0;
	}
	u64 expire = get_jiffies_64() + static_cast<u64>(timeout);
	process_timer pt;
	pt.task = current;
	pt.timer.expires = expire;
	pt.timer.function = process_timeout;
	add_timer(&pt.timer);
	schedule();
	// The timer lives in this frame: it must be neither pending nor running on return.
	del_timer_sync(&pt.timer);
	i64 left = static_cast<i64>(expire - get_jiffies_64());
	return left < 0 ? 0 : static_cast<long>(left);
}

long schedule_timeout_uninterruptible(long timeout)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout);
}
